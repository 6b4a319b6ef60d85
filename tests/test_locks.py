"""Locks (``rules: locks:``): a slice's EU commitments fixed at an amount or held within bounds, worked by hand on
scenarios/tutorial.yaml.

The tutorial's optimum is 130: North Africa (25 a year) gets 50, 15 for remittances (weight 3, at most 25 % of
all EU money) and 35 for return (weight 2); the other 10 go to mobility in the Eastern Partnership (1.5). TPMA
has 10 a year (any priority), ENPI 20 a year (mobility and return only). One EUR m less of an envelope loses 1.75:
1.5 in the East and a quarter EUR m of remittances (3 instead of 2).
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import numpy as np
import pytest
import yaml

import fundsim as fs
from fundsim.diagnose.repairs import apply_repairs
from fundsim.model import Lock, Rules, Selector
from fundsim.rules import Plan, families, row_spec
from fundsim.rules.locks import check_locks
from fundsim.testing import violations

TPMA, ENPI = 0, 1
MOBILITY, RETURN, REMITTANCES = 0, 1, 2
NA, EAST = 0, 1
ENPI_2009 = {"id": "enpi_2009", "instruments": ["enpi"], "years": [2009]}


def tutorial(*locks: dict[str, Any]) -> fs.Scenario:
    raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text(encoding="utf-8"))
    raw["rules"]["locks"] = list(locks)
    return fs.scenario_from_dict(raw)


def test_a_fixed_lock_is_kept_and_costs_what_the_hand_solution_says() -> None:
    # ENPI commits 17 in 2009 instead of 20: all EU money E = 57, remittances at most 25 % = 14.25 (weight 3),
    # North Africa's 50 hold 35.75 of return (2), the East 7 of mobility (1.5): 42.75 + 71.5 + 10.5 = 124.75,
    # 3 EUR m less at 1.75 each
    sc = tutorial({**ENPI_2009, "amount": 17})
    assert sc.rules.locks == (Lock("enpi_2009", sc.rules.locks[0].selector, 17.0, 17.0),)
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(124.75)
    assert 130.0 - alloc.objective == pytest.approx(3 * 1.75)
    assert float(alloc.data["eu"].sel(instrument="enpi", year=2009).sum()) == pytest.approx(17.0, abs=1e-9)
    assert float(alloc.data["eu"].sel(instrument="enpi", year=2010).sum()) == pytest.approx(20.0, abs=1e-9)


def test_a_fixed_locks_shadow_price_and_its_interval() -> None:
    # one EUR m more in the lock is one EUR m more of ENPI's 2009 money: 1.75 (see above). The price holds down to
    # 15, where 2009's money (TPMA 10 + ENPI 15) only fills North Africa's 25 and the East's share of 2009 is gone,
    # and up to 20, ENPI's envelope
    alloc = fs.solve(tutorial({**ENPI_2009, "amount": 17}))
    price = alloc.duals["locks"]
    assert price.dims == ("lock",)
    assert price.attrs["units"] == "objective per EUR m"
    assert float(price.sel(lock="enpi_2009")) == pytest.approx(1.75)
    assert "locks" in set(alloc.binding_rules()["rule"])
    low, value, high = alloc.ranging(exact=True)["locks"].sel(lock="enpi_2009").values.tolist()
    assert (low, value, high) == pytest.approx((15.0, 17.0, 20.0))
    spec = row_spec("locks")
    assert spec is not None and spec.repair is not None
    assert spec.dual == ("objective gained per EUR m the lock is loosened (a fixed amount lowered or raised, a "
                         "bound moved)")


def test_bounded_locks_worked_by_hand() -> None:
    # at least 15 to mobility in North Africa (weight 1): it displaces 15 of return there (2), 130 - 15 = 115;
    # each EUR m less of the minimum gives back 1
    low = fs.solve(tutorial({"id": "na_mobility", "priorities": ["mobility"], "regions": ["north_africa"],
                             "min": 15}))
    assert low.objective == pytest.approx(115.0)
    assert float(low.data["eu"].sel(priority="mobility", region="north_africa").sum()) == pytest.approx(15.0)
    assert float(low.duals["locks"].sel(lock="na_mobility")) == pytest.approx(1.0)
    # at most 5 of TPMA's money for remittances: North Africa takes 5 of remittances (3) and 45 of return (2),
    # the East 10 (1.5): 15 + 90 + 15 = 120; each EUR m more of the maximum turns return (2) into remittances (3)
    high = fs.solve(tutorial({"id": "tpma_remittances", "instruments": ["tpma"], "priorities": ["remittances"],
                              "max": 5}))
    assert high.objective == pytest.approx(120.0)
    assert float(high.duals["locks"].sel(lock="tpma_remittances")) == pytest.approx(1.0)
    lp = high.lp
    assert lp is not None
    block = lp.constraints["locks"]
    assert (lp.row_lower[block.start], lp.row_upper[block.start]) == (-np.inf, 5.0)
    assert lp.A[block.start].nnz == 4  # TPMA's remittances: two regions, two years


def test_a_lock_above_the_envelope_is_explained_by_diagnose() -> None:
    # ENPI cannot commit 25 in 2009: its envelope is 20. Either the lock gives way by 5 or the envelope grows by 5
    sc = tutorial({**ENPI_2009, "amount": 25})
    with pytest.raises(fs.InfeasibleError) as err:
        fs.solve(sc)
    repairs = [r for alt in err.value.repairs for r in alt if r.where == {"lock": "enpi_2009"}]
    assert len(repairs) == 1, err.value.repairs
    lock = repairs[0]
    assert (lock.side, lock.current, lock.repaired) == ("lower", 25.0, pytest.approx(20.0))
    assert lock.text == "lower the minimum of the lock 'enpi_2009' from EUR 25.0 m by EUR 5.0 m to EUR 20.0 m"
    assert "the lock 'enpi_2009'" in str(err.value)
    fixed = apply_repairs(sc, [lock])
    assert (fixed.rules.locks[0].min, fixed.rules.locks[0].max) == (pytest.approx(20.0), 25.0)
    assert fs.solve(fixed).objective == pytest.approx(130.0)  # ENPI commits its 20 in 2009: the optimum again


def _plan(sc: fs.Scenario, eu: np.ndarray) -> Plan:
    zero = np.zeros_like(eu)
    return Plan(sc, eu, zero, eu, eu, None, None, rtol=1e-7, atol=1e-6)


def test_check_locks_finds_broken_locks_on_a_hand_made_allocation() -> None:
    sc = tutorial({**ENPI_2009, "amount": 17},
                  {"id": "tpma_remittances", "instruments": ["tpma"], "priorities": ["remittances"], "max": 5},
                  {"id": "east", "regions": ["eastern_partnership"], "min": 2, "max": 30})
    eu = np.zeros((2, 3, 2, 2))
    eu[ENPI, RETURN, NA, 0] = 12.0  # ENPI's 2009: 12, 5 below its locked 17
    eu[TPMA, REMITTANCES, NA, 0] = 6.0
    eu[TPMA, REMITTANCES, NA, 1] = 2.0  # TPMA's remittances: 8, 3 above the maximum of 5
    eu[ENPI, MOBILITY, EAST, 1] = 2.0  # the East: 2, its minimum exactly
    found = check_locks(_plan(sc, eu))
    assert [(dict(v.labels), v.value, v.limit, v.size, v.unit) for v in found] == [
        ({"lock": "enpi_2009"}, 12.0, 17.0, 5.0, "EUR m"),
        ({"lock": "tpma_remittances"}, 8.0, 5.0, 3.0, "EUR m")]
    assert found[0].message == ("locks: commitments in the slice of lock enpi_2009 are EUR 12.000 m, below the "
                                "locked amount of EUR 17.000 m (by 5.000)")
    assert found[1].message.endswith("above the maximum of EUR 5.000 m (by 3.000)")
    # the oracle runs the family's check with every other: the same two records
    data = fs.solve("scenarios/tutorial.yaml").data.copy()
    data["eu"] = data["eu"].copy(data=eu)
    mine = [v for v in violations(sc, data) if v.family == "locks"]
    assert [(dict(v.labels), v.size) for v in mine] == [({"lock": "enpi_2009"}, 5.0), ({"lock": "tpma_remittances"},
                                                                                        3.0)]


def test_a_locks_slice_counts_ineligible_money_in_the_check() -> None:
    # ENPI may not fund remittances; money there still lies in ENPI's 2009 slice
    sc = tutorial({**ENPI_2009, "max": 10})
    eu = np.zeros((2, 3, 2, 2))
    eu[ENPI, REMITTANCES, NA, 0] = 11.0
    assert [v.value for v in check_locks(_plan(sc, eu))] == [11.0]


def test_the_scenario_format_of_locks_and_its_errors() -> None:
    sc = tutorial({**ENPI_2009, "amount": {"value": 17, "source": "the 2009 annual action programme"}},
                  {"id": "east", "region_groups": ["east"], "pillars": ["legal"], "min": 2})
    fixed, east = sc.rules.locks
    assert (fixed.min, fixed.max, fixed.fixed) == (17.0, 17.0, True)
    assert fixed.selector.instruments == frozenset({"enpi"}) and fixed.selector.years == frozenset({2009})
    assert (east.min, east.max, east.fixed) == (2.0, None, False)
    assert east.selector.regions == frozenset({"eastern_partnership"})
    assert east.selector.priorities == frozenset({"mobility"})
    with pytest.raises(fs.ScenarioError) as err:
        tutorial({**ENPI_2009, "amount": 17, "max": 20}, {"id": "nothing"}, {"id": "enpi_2009", "max": 3},
                 {"id": "later", "years": [2011], "amount": 1})
    lines = {p.path: p.message for p in err.value.problems}
    assert lines["rules.locks[0]"].startswith("give amount (a fixed lock) or min/max (a bounded lock), not both")
    assert lines["rules.locks[1]"].startswith("give amount (the slice's commitments fixed at it), or min, max")
    assert lines["rules.locks[3].years[0]"] == "year 2011 is not a scenario year; the years are 2009, 2010"
    with pytest.raises(fs.ScenarioError) as err:
        tutorial({**ENPI_2009, "amount": 17}, {"id": "enpi_2009", "max": 3})
    assert [(p.path, p.message) for p in err.value.problems] == [
        ("rules.locks[1].id", "the lock id 'enpi_2009' is used twice (first at locks[0]); give each lock its own id")]


def test_the_domain_object_and_its_place_in_the_rules() -> None:
    names = [f.name for f in dataclasses.fields(Rules)]
    assert names.index("locks") == names.index("caps") + 1
    assert names.index("locks") < names.index("max_instruments_per_cell")
    sel = Selector(instruments=frozenset({"enpi"}))
    with pytest.raises(ValueError, match="needs an amount, a min or a max"):
        Lock("x", sel)
    with pytest.raises(ValueError, match="must be a finite number ≥ 0"):
        Lock("x", sel, min=-1.0)
    with pytest.raises(ValueError, match=r"its max \(3\) is below its min \(5\)"):
        Lock("x", sel, 5.0, 3.0)
    assert "locks" in [f.name for f in families()]


def test_locks_in_a_scenario_built_in_python() -> None:
    # a variant is a copy with changes: the same lock as a domain object gives the same plan as from the file
    base = fs.load_scenario("scenarios/tutorial.yaml")
    lock = Lock("enpi_2009", Selector(instruments=frozenset({"enpi"}), years=frozenset({2009})), 17.0, 17.0)
    variant = base.evolve(rules=dataclasses.replace(base.rules, locks=(lock,)))
    assert fs.solve(variant).objective == pytest.approx(124.75)


def test_the_worked_example_of_the_scenario_format_holds() -> None:
    # docs/scenario-format.md, `rules: locks`: the example's numbers, worked by hand there (and above)
    doc = pathlib.Path("docs/scenario-format.md").read_text(encoding="utf-8")
    section = doc.split("## `rules: locks`", 1)[1].split("\n## ", 1)[0]
    block = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])
    alloc = fs.solve(tutorial(*block["rules"]["locks"]))
    assert alloc.objective == pytest.approx(124.75)
    assert "42.75 + 71.5 + 10.5 = 124.75" in " ".join(section.split())
    prices = alloc.duals["locks"]
    assert float(prices.sel(lock="enpi_2009")) == pytest.approx(1.75)
    assert float(prices.sel(lock="tpma_east")) == pytest.approx(0.0)
    assert float(alloc.data["eu"].sel(instrument="tpma", priority="mobility",
                                      region="eastern_partnership").sum()) >= 2.0 - 1e-9
