"""Each rule family's check gives a violation record whose fields are right (family, rule, labels, value, limit,
size, unit), worked by hand on scenarios/tutorial.yaml, for plans built cell by cell: compare, its compliance
table and the report read these fields, so a wrong field is a wrong figure. (Also kills mutants of the family
checks, see docs/mutation.md.)

The tutorial: TPMA 10 EUR m a year (at most 80 % EU, so 0.25 of co-financing per EUR m, from member states
whose capacity is 100 a year), ENPI 20 a year (mobility and return only); North Africa absorbs 25 a year;
the development pillar (remittances) has at most 25 % of all EU money; payments fall due in the year of the
commitment.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import fundsim as fs
from fundsim.model import Cap, Limit, MaxInstrumentsPerCell, MinCommitment, MinPackage, MobilityPartnerships, Selector
from fundsim.rules import Plan, Violation, families

TPMA, ENPI = 0, 1
MOBILITY, RETURN, REMITTANCES = 0, 1, 2
NA, EAST = 0, 1


@pytest.fixture(scope="module")
def tutorial() -> fs.Scenario:
    return fs.load_scenario("scenarios/tutorial.yaml")


def cube() -> np.ndarray:
    return np.zeros((2, 3, 2, 2))


def plan(sc: fs.Scenario, eu: np.ndarray, cofin: np.ndarray | None = None, *, total: np.ndarray | None = None,
         payments: np.ndarray | None = None, exact: bool = False) -> Plan:
    """A plan of the EU cube ``eu`` (co-financing at the rule's rate unless given; payments in the year)."""
    k = np.broadcast_to(sc.match_ratio[..., None], eu.shape)
    cofin = eu * k if cofin is None else cofin
    return Plan(sc, eu, cofin, eu + cofin if total is None else total, eu if payments is None else payments, None,
                None, rtol=1e-7, atol=1e-6, exact_cofinancing=exact)


def check(family: str, p: Plan) -> list[Violation]:
    (found,) = [f for f in families() if f.name == family]
    assert found.check is not None
    return found.check(p)


def fields(v: Violation) -> tuple[Any, ...]:
    return v.family, v.rule, dict(v.labels), v.value, v.limit, v.size, v.unit


def with_rules(sc: fs.Scenario, **rules: Any) -> fs.Scenario:
    return sc.evolve(rules=dataclasses.replace(sc.rules, **rules))


def test_envelope(tutorial: fs.Scenario) -> None:
    eu = cube()
    eu[TPMA, MOBILITY, EAST, 0] = 12.0  # 2 above TPMA's 10 in 2009
    (v,) = check("envelope", plan(tutorial, eu))
    assert fields(v) == ("envelope", "envelope", {"instrument": "tpma", "year": 2009}, 12.0, 10.0,
                         pytest.approx(2.0), "EUR m")
    assert v.message == ("envelope: tpma's commitments in 2009 are EUR 12.000 m, above the usable envelope of "
                         "EUR 10.000 m (by 2.000)")


def test_cofinancing_short_excess_and_total(tutorial: fs.Scenario) -> None:
    eu, cofin = cube(), cube()
    eu[TPMA, REMITTANCES, NA, 0], cofin[TPMA, REMITTANCES, NA, 0] = 10.0, 1.0  # needs 2.5: 1.5 short
    cell = {"instrument": "tpma", "priority": "remittances", "region": "north_africa", "year": 2009}
    (short,) = check("cofinancing", plan(tutorial, eu, cofin))
    assert fields(short) == ("cofinancing", "co-financing", cell, 1.0, pytest.approx(2.5), pytest.approx(1.5), "EUR m")
    assert short.message.startswith("co-financing: the EU share of tpma for remittances in north_africa in 2009 is ")
    cofin[TPMA, REMITTANCES, NA, 0] = 4.0  # 1.5 more than the rate: a violation only when planned exactly
    assert check("cofinancing", plan(tutorial, eu, cofin)) == []
    (excess,) = check("cofinancing", plan(tutorial, eu, cofin, exact=True))
    assert fields(excess) == ("cofinancing", "co-financing", cell, 4.0, pytest.approx(2.5), pytest.approx(1.5),
                              "EUR m")
    assert "mobilises EUR 4.000 m of co-financing" in excess.message
    cofin[TPMA, REMITTANCES, NA, 0] = 2.5
    (total,) = check("cofinancing", plan(tutorial, eu, cofin, total=eu + cofin + 1.0 * (eu > 0)))
    assert fields(total) == ("cofinancing", "co-financing", cell, 13.5, pytest.approx(12.5), pytest.approx(1.0),
                             "EUR m")
    assert total.message.startswith("co-financing: the total cost of tpma for remittances")


def test_match_capacity(tutorial: fs.Scenario) -> None:
    eu, cofin = cube(), cube()
    cofin[TPMA, MOBILITY, EAST, 1] = 120.0  # member states give at most 100 in 2010
    (v,) = check("match_capacity", plan(tutorial, eu, cofin))
    assert fields(v) == ("match_capacity", "match capacity", {"source": "member_states", "year": 2010}, 120.0,
                         100.0, pytest.approx(20.0), "EUR m")


def test_payments(tutorial: fs.Scenario) -> None:
    eu = cube()
    eu[ENPI, RETURN, EAST, 0] = 5.0
    (v,) = check("payments", plan(tutorial, eu, payments=cube()))  # committed 5 in 2009, paid nothing
    cell = {"instrument": "enpi", "priority": "return", "region": "eastern_partnership", "year": 2009}
    assert fields(v) == ("payments", "payments", cell, 0.0, 5.0, pytest.approx(5.0), "EUR m")


def test_absorption(tutorial: fs.Scenario) -> None:
    eu = cube()
    eu[ENPI, RETURN, NA, 0] = 30.0  # paid in 2009: 5 above North Africa's 25
    (v,) = check("absorption", plan(tutorial, eu))
    assert fields(v) == ("absorption", "absorption", {"region": "north_africa", "year": 2009}, 30.0, 25.0,
                         pytest.approx(5.0), "EUR m")


def test_pillar_balance(tutorial: fs.Scenario) -> None:
    eu = cube()
    eu[TPMA, REMITTANCES, NA, 0], eu[ENPI, RETURN, EAST, 0] = 10.0, 10.0  # development 10 of 20: max 25 % = 5
    (v,) = check("pillar_balance", plan(tutorial, eu))
    assert fields(v) == ("pillar_balance", "pillar balance", {"pillar": "development"}, 10.0, 5.0,
                         pytest.approx(5.0), "EUR m")
    assert "(50.0%), above the maximum share of 25.0%" in v.message


def test_limits(tutorial: fs.Scenario) -> None:
    sc = with_rules(tutorial, region_limits=(Limit("eastern_partnership", min=5.0),),
                    priority_limits=(Limit("return", max=1.0),))
    eu = cube()
    eu[ENPI, RETURN, NA, 0] = 3.0
    region, priority = check("limits", plan(sc, eu))
    assert fields(region) == ("region_limits", "region limits", {"region": "eastern_partnership"}, 0.0, 5.0,
                              pytest.approx(5.0), "EUR m")
    assert fields(priority) == ("priority_limits", "priority limits", {"priority": "return"}, 3.0, 1.0,
                                pytest.approx(2.0), "EUR m")


def test_min_packages(tutorial: fs.Scenario) -> None:
    sc = with_rules(tutorial, min_packages=(MinPackage("north_africa", 10.0, frozenset({"return"})),))
    eu = cube()
    eu[ENPI, RETURN, NA, 1], eu[TPMA, MOBILITY, NA, 1] = 4.0, 9.0  # mobility does not count
    (v,) = check("min_packages", plan(sc, eu))
    assert fields(v) == ("min_packages", "minimum package", {"package": "north_africa"}, 4.0, 10.0,
                         pytest.approx(6.0), "EUR m")


def test_caps(tutorial: fs.Scenario) -> None:
    tpma = Selector(instruments=frozenset({"tpma"}))
    eu = cube()
    eu[TPMA, MOBILITY, EAST, 0], eu[TPMA, RETURN, NA, 1] = 2.0, 6.0
    (period,) = check("caps", plan(with_rules(tutorial, caps=(Cap("c", tpma, max=5.0),)), eu))
    assert fields(period) == ("caps", "caps", {"cap": "c"}, 8.0, 5.0, pytest.approx(3.0), "EUR m")
    (annual,) = check("caps", plan(with_rules(tutorial, caps=(Cap("c", tpma, max=5.0, per_year=True),)), eu))
    assert fields(annual) == ("caps", "caps", {"annual_cap": "c", "year": 2010}, 6.0, 5.0, pytest.approx(1.0),
                              "EUR m")


def test_instruments_per_cell(tutorial: fs.Scenario) -> None:
    eu = cube()
    eu[TPMA, RETURN, NA, 0], eu[ENPI, RETURN, NA, 1] = 1.0, 1.0
    sc = with_rules(tutorial, max_instruments_per_cell=MaxInstrumentsPerCell(1))
    (v,) = check("max_instruments_per_cell", plan(sc, eu))
    assert fields(v) == ("max_instruments_per_cell", "instruments per cell",
                         {"priority": "return", "region": "north_africa"}, 2.0, 1.0, 1.0, "count")


def test_min_commitment(tutorial: fs.Scenario) -> None:
    eu = cube()
    eu[TPMA, MOBILITY, EAST, :] = 1.0  # 2 over the period, minimum 5: 3 short
    (v,) = check("min_commitment", plan(with_rules(tutorial, min_commitment=MinCommitment(5.0)), eu))
    assert fields(v) == ("min_commitment", "minimum commitment",
                         {"instrument": "tpma", "priority": "mobility", "region": "eastern_partnership"}, 2.0, 5.0,
                         pytest.approx(3.0), "EUR m")


def test_partnerships(tutorial: fs.Scenario) -> None:
    both = MobilityPartnerships(("north_africa", "eastern_partnership"), max_new=1, package=10.0)
    eu = cube()
    eu[ENPI, RETURN, NA, 0], eu[ENPI, MOBILITY, EAST, 0] = 4.0, 12.0  # two funded, one allowed; NA short by 6
    count, package = check("mobility_partnerships", plan(with_rules(tutorial, mobility_partnerships=both), eu))
    assert fields(count) == ("mobility_partnerships", "mobility partnerships", {"partnerships": "new"}, 2.0, 1.0,
                             1.0, "count")
    assert fields(package) == ("mobility_partnerships", "mobility partnerships", {"region": "north_africa"}, 4.0,
                               10.0, pytest.approx(6.0), "EUR m")
    one = dataclasses.replace(both, min_new=1)
    (fewer,) = check("mobility_partnerships", plan(with_rules(tutorial, mobility_partnerships=one), cube()))
    assert fields(fewer) == ("mobility_partnerships", "mobility partnerships", {"partnerships": "new"}, 0.0, 1.0,
                             1.0, "count")
    assert fewer.message.startswith("mobility partnerships: 0 candidates reach the partnership package")
