"""Infeasibility explained in the rules' own words: each crafted scenario is infeasible, the diagnosis names
the rule and labels that must give way, applying the repair makes the scenario solve, and applying 90 % of a
single repair does not (the repair is the least one).

The scenarios start from the tutorial (2 instruments, 3 priorities, 2 regions, 2009-2010; TPMA 10 a year
co-financed at 80 % by member states, ENPI 20 a year for mobility and return, North Africa absorbing 25 a
year). Each is built so that its cheapest repair is unique: the competing repairs need two rules to move.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import fundsim as fs
from fundsim.diagnose import Diagnosis, Repair, diagnose, repair
from fundsim.diagnose.elastic import relax
from fundsim.diagnose.repairs import apply_repairs
from fundsim.rules.program import Entries, Header, ProgramBuilder, ShareRows

Spec = dict[str, Any]


def _scenario(change: Callable[[Spec], None]) -> fs.Scenario:
    spec = copy.deepcopy(fs.load_scenario("scenarios/tutorial.yaml").spec)
    change(spec)
    return fs.scenario_from_dict(spec)


def _feasible(sc: fs.Scenario) -> bool:
    try:
        fs.solve(sc)  # returns only when the status is OPTIMAL (and conftest re-checks every rule)
    except fs.InfeasibleError:
        return False
    return True


# ---- the crafted scenarios, one per rule family --------------------------------------------------------
def pillar_min_share(s: Spec) -> None:
    """Legal migration ≥ 90 % of EU money, but return needs 10 (twice: a priority minimum and a package):
    at most 50 of 60 can be legal, 83.3 %."""
    s["rules"]["pillar_balance"] = [{"pillar": "legal", "min_share": 0.9}]
    s["rules"]["priority_limits"] = [{"priority": "return", "min": 10}]
    s["rules"]["min_packages"] = [{"region": "north_africa", "amount": 10, "priorities": ["return"]}]


def pillar_max_share(s: Spec) -> None:
    """Development ≤ 25 %, but remittances need 20 of the 60 (twice): 33.3 %."""
    s["rules"]["priority_limits"] = [{"priority": "remittances", "min": 20}]
    s["rules"]["min_packages"] = [{"region": "north_africa", "amount": 20, "priorities": ["remittances"]}]


def focus_min_share(s: Spec) -> None:
    """The East ≥ 80 %, but North Africa needs 20 of the 60 (twice): the East can have 40, 66.7 %."""
    s["rules"]["geographic_focus"] = [{"id": "east", "regions": ["eastern_partnership"], "min_share": 0.8}]
    s["rules"]["region_limits"] = [{"region": "north_africa", "min": 20}]
    s["rules"]["min_packages"] = [{"region": "north_africa", "amount": 20}]


def region_limit_min(s: Spec) -> None:
    """North Africa needs 55; money (TPMA 20 + ENPI 30) and absorption (2 × 25) both stop at 50."""
    s["instruments"][1]["envelope"] = 15
    s["rules"]["region_limits"] = [{"region": "north_africa", "min": 55}]


def priority_limit_min(s: Spec) -> None:
    """Remittances (TPMA only, 15) need 18; the development ceiling (25 % of 60) also stops them at 15."""
    s["instruments"][0]["envelope"] = 7.5
    s["instruments"][1]["envelope"] = 22.5
    s["rules"]["priority_limits"] = [{"priority": "remittances", "min": 18}]


def min_package(s: Spec) -> None:
    """A package of 55 for North Africa; money and absorption both stop at 50."""
    s["instruments"][1]["envelope"] = 15
    s["rules"]["min_packages"] = [{"region": "north_africa", "amount": 55, "priorities": ["mobility", "return"]}]


def annual_cap_min(s: Spec) -> None:
    """TPMA must give the East 12 in 2010 but has 10; more TPMA would also need more match."""
    s["match_sources"][0]["capacity"] = 2.5
    s["rules"]["caps"] = [{"id": "tpma_east", "instruments": ["tpma"], "regions": ["eastern_partnership"],
                           "years": [2010], "per_year": True, "min": 12}]


def cap_min(s: Spec) -> None:
    """ENPI must give return in North Africa 42 but has 40, and North Africa absorbs 40."""
    s["absorption"]["capacity"]["north_africa"] = 20
    s["rules"]["caps"] = [{"id": "enpi_na_return", "instruments": ["enpi"], "regions": ["north_africa"],
                           "priorities": ["return"], "min": 42}]


def match_capacity(s: Spec) -> None:
    """Remittances (TPMA, 2010 only) need 6 twice; a match of 1 carries only 4 at 80 % EU share."""
    s["instruments"][0]["envelope"] = {2009: 0, 2010: 20}
    s["match_sources"][0]["capacity"] = 1.0
    s["rules"]["priority_limits"] = [{"priority": "remittances", "min": 6}]
    s["rules"]["min_packages"] = [{"region": "north_africa", "amount": 6, "priorities": ["remittances"]}]


def partner_match_capacity(s: Spec) -> None:
    """Partner countries match TPMA; North Africa's partners raise 1 in 2010, enough for 4, the package is 6."""
    s["match_sources"].append({"id": "partners", "per_region": True,
                               "capacity": {"north_africa": 1.0, "eastern_partnership": 100.0}})
    s["instruments"][0]["envelope"] = {2009: 0, 2010: 20}
    s["instruments"][0]["cofinancing"] = {"max_eu_share": 0.8, "match_source": "partners"}
    s["rules"]["min_packages"] = [{"region": "north_africa", "amount": 6, "priorities": ["remittances"]}]


def absorption(s: Spec) -> None:
    """North Africa needs 55 twice; it absorbs 25 a year and 2009 money stops at 25 too."""
    s["instruments"][0]["envelope"] = {2009: 5, 2010: 10}
    s["rules"]["region_limits"] = [{"region": "north_africa", "min": 55}]
    s["rules"]["min_packages"] = [{"region": "north_africa", "amount": 55}]


def absorption_after_horizon(s: Spec) -> None:
    """TPMA (2010 only, paid 30 % then 70 %) alone funds North Africa; 70 % of a commitment falls due in 2011,
    capped at 2010's capacity of 7, so at most 10 can be committed; 12 are needed twice."""
    s["instruments"][0]["envelope"] = {2009: 0, 2010: 20}
    s["instruments"][0]["payment_profile"] = [0.3, 0.7]
    s["instruments"][1]["eligibility"] = {"priorities": ["mobility", "return"], "regions": ["eastern_partnership"]}
    s["absorption"]["capacity"]["north_africa"] = 7
    s["rules"]["region_limits"] = [{"region": "north_africa", "min": 12}]
    s["rules"]["min_packages"] = [{"region": "north_africa", "amount": 12}]


def envelope(s: Spec) -> None:
    """The East needs 45 twice; ENPI (2010 only) and TPMA give 40, and TPMA's match is used up."""
    s["instruments"][1]["envelope"] = {2009: 0, 2010: 20}
    s["match_sources"][0]["capacity"] = 2.5
    s["rules"]["region_limits"] = [{"region": "eastern_partnership", "min": 45}]
    s["rules"]["min_packages"] = [{"region": "eastern_partnership", "amount": 45}]


# (scenario, rule, labels, side, repaired bound, words the repair uses)
CASES = [
    (pillar_min_share, "pillar_min_share", {"pillar": "legal"}, "lower", 50 / 60,
     "lower the minimum share of the pillar 'legal' from 90 % to 83.3 %"),
    (pillar_max_share, "pillar_max_share", {"pillar": "development"}, "upper", 20 / 60,
     "raise the maximum share of the pillar 'development' from 25 % to 33.3 %"),
    (focus_min_share, "focus_min_share", {"focus": "east"}, "lower", 40 / 60,
     "lower the minimum share of the focus rule 'east' from 80 % to 66.7 %"),
    (region_limit_min, "region_limits", {"region": "north_africa"}, "lower", 50.0,
     "lower the minimum for the region 'north_africa' from EUR 55.0 m by EUR 5.0 m to EUR 50.0 m"),
    (priority_limit_min, "priority_limits", {"priority": "remittances"}, "lower", 15.0,
     "lower the minimum for the priority 'remittances' from EUR 18.0 m by EUR 3.0 m to EUR 15.0 m"),
    (min_package, "min_package", {"package": "north_africa"}, "lower", 50.0,
     "lower the minimum package of 'north_africa' from EUR 55.0 m by EUR 5.0 m to EUR 50.0 m"),
    (annual_cap_min, "annual_caps", {"annual_cap": "tpma_east", "year": 2010}, "lower", 10.0,
     "lower the annual minimum of the cap 'tpma_east' (binding in 2010) from EUR 12.0 m by EUR 2.0 m to EUR 10.0 m"),
    (cap_min, "caps", {"cap": "enpi_na_return"}, "lower", 40.0,
     "lower the minimum of the cap 'enpi_na_return' from EUR 42.0 m by EUR 2.0 m to EUR 40.0 m"),
    (match_capacity, "match_capacity", {"source": "member_states", "year": 2010}, "upper", 1.5,
     "raise the co-financing capacity of 'member_states' in 2010 from EUR 1.0 m by EUR 0.5 m to EUR 1.5 m"),
    (partner_match_capacity, "partner_match_capacity",
     {"partner_source": "partners", "region": "north_africa", "year": 2010}, "upper", 1.5,
     "raise the co-financing capacity of 'partners' in 'north_africa' in 2010 from EUR 1.0 m by EUR 0.5 m to "
     "EUR 1.5 m"),
    (absorption, "absorption", {"region": "north_africa", "year": 2010}, "upper", 30.0,
     "raise the absorption capacity of 'north_africa' in 2010 from EUR 25.0 m by EUR 5.0 m to EUR 30.0 m"),
    (absorption_after_horizon, "absorption_after_horizon", {"region": "north_africa", "year_after": 2011}, "upper",
     8.4, "raise the absorption capacity of 'north_africa' in the last year (it also caps payments due in 2011) "
     "from EUR 7.0 m by EUR 1.4 m to EUR 8.4 m"),
    (envelope, "envelope", {"instrument": "enpi", "year": 2010}, "upper", 25.0,
     "raise the usable envelope of 'enpi' in 2010 from EUR 20.0 m by EUR 5.0 m to EUR 25.0 m"),
]


@pytest.mark.parametrize(("change", "rule", "where", "side", "repaired", "text"), CASES,
                         ids=[c[0].__name__ for c in CASES])
def test_the_least_repair_is_named_and_works(change: Callable[[Spec], None], rule: str, where: dict[str, Any],
                                             side: str, repaired: float, text: str) -> None:
    sc = _scenario(change)
    assert not _feasible(sc)
    d = diagnose(sc)
    (first,) = d.repairs[0]
    assert (first.rule, first.where, first.side) == (rule, where, side)
    assert first.repaired == pytest.approx(repaired, rel=1e-6)
    assert first.change == pytest.approx(first.repaired - first.current)
    assert first.units == ("share of all EU commitments" if rule.endswith("share") else "EUR m")
    assert first.text == text
    assert _feasible(repair(sc, d))
    ninety = dataclasses.replace(first, repaired=first.current + 0.9 * first.change)
    assert not _feasible(apply_repairs(sc, [ninety]))


@pytest.mark.parametrize("change", [pillar_min_share, focus_min_share, absorption, match_capacity],
                         ids=lambda f: f.__name__)
def test_every_alternative_works_and_keeps_the_earlier_rules(change: Callable[[Spec], None]) -> None:
    """Alternatives relax other rules than the earlier ones did, and each alone makes the scenario feasible."""
    sc = _scenario(change)
    d = diagnose(sc)
    assert len(d.repairs) >= 2
    used: set[tuple[str, tuple]] = set()
    for n, alternative in enumerate(d.repairs):
        rows = {(r.rule, tuple(sorted(r.where.items()))) for r in alternative}
        assert not rows & used, f"alternative {n} relaxes a rule an earlier one relaxed"
        used |= rows
        assert _feasible(repair(sc, d, n))
    assert len(d) == len(d.checks) + len(d.repairs)
    assert d[len(d.checks)].startswith("repair: ") and d[-1].startswith("or: ")


def test_contradictory_rules_offer_either_side() -> None:
    """A package of 15 inside a region limited to 10: lower the one or raise the other, by 5 each."""
    sc = _scenario(lambda s: s["rules"].update(region_limits=[{"region": "north_africa", "max": 10}],
                                               min_packages=[{"region": "north_africa", "amount": 15}]))
    d = diagnose(sc)
    assert "the minimum package of 'north_africa' needs at least EUR 15.0 m but the region 'north_africa' allows " \
           "at most EUR 10.0 m on a slice that contains it" in d.checks
    assert [len(alt) for alt in d.repairs] == [1, 1]
    found = {(alt[0].rule, alt[0].side, alt[0].repaired) for alt in d.repairs}
    assert found == {("min_package", "lower", 10.0), ("region_limits", "upper", 15.0)}
    for n, (only,) in enumerate(d.repairs):
        assert abs(only.change) == pytest.approx(5.0)
        assert _feasible(repair(sc, d, n))
        ninety = dataclasses.replace(only, repaired=only.current + 0.9 * only.change)
        assert not _feasible(apply_repairs(sc, [ninety]))


def test_a_repair_may_need_several_rules_at_once() -> None:
    """With the region minimum held, its competitors need both money and absorption to grow, in one year."""
    sc = _scenario(region_limit_min)
    second = diagnose(sc).repairs[1]
    assert {r.rule for r in second} == {"envelope", "absorption"}
    assert {r.where["year"] for r in second} == {second[0].where["year"]}
    assert all(r.change == pytest.approx(5.0) for r in second)


def test_the_reference_scenario_is_diagnosed_and_repaired() -> None:
    """GAM 2008 with a TPMA floor for Africa above TPMA's whole usable money (277.5): 12.5 must give way, and 7
    more, because the migration-and-development packages of Moldova (4) and Georgia (3) only TPMA can fund (ENPI
    does not fund that pillar, DCI and the EDF do not reach the East): 19.5 in all."""
    spec = fs.load_scenario("scenarios/gam-2008.yaml").spec
    spec["rules"]["caps"] = [dict(c, min=290) if c["id"] == "tpma_africa" else c for c in spec["rules"]["caps"]]
    sc = fs.scenario_from_dict(spec)
    d = diagnose(sc)
    assert "the cap 'tpma_africa' needs at least EUR 290.0 m but at most EUR 277.5 m can reach it" in d.checks[0]
    assert sum(abs(r.change) for r in d.repairs[0]) == pytest.approx(19.5)
    assert all(r.rule in {"caps", "envelope", "min_package"} for alt in d.repairs for r in alt)
    assert _feasible(repair(sc, d))


def test_share_repairs_are_minimal_in_share_terms() -> None:
    """Where the least money and the least share disagree, the share is widened to the least share change.

    Columns q (the pillar's money) and n (the rest) move together on a segment from (q, n) = (0.5, 1) to
    (8, 10) (a hard row); the pillar must have half. Least money short of half is at the first end (0.25 EUR m,
    share 1/3); the largest share is at the other (8/18): the repair must say 8/18, not 1/3.
    """
    b = ProgramBuilder(sense="max")
    eu = b.add_variables(Header("eu", ("cell",), (("q", "n"),)), 2, lower=np.array([0.0, 1.0]),
                         upper=np.array([np.inf, 10.0]))
    total = b.add_variables(Header("total_eu"), 1).start
    slope = 7.5 / 9
    b.add_constraints(Header("total_eu_definition"), Entries(np.zeros(3, int), np.array([0, 1, total]),
                                                             np.array([-1.0, -1.0, 1.0])),
                      np.zeros(1), np.zeros(1), kind="eq")
    b.add_constraints(Header("segment"), Entries(np.zeros(2, int), np.array([eu.start, eu.start + 1]),
                                                 np.array([1.0, -slope])),
                      np.array([0.5 - slope]), np.array([0.5 - slope]), kind="eq")
    b.add_constraints(Header("pillar_min_share", ("pillar",), (("legal",),)),
                      Entries(np.zeros(2, int), np.array([eu.start, total]), np.array([1.0, -0.5])),
                      np.zeros(1), np.full(1, np.inf), kind="ge",
                      share=ShareRows(np.array([0.5]), (np.zeros(1), np.array([total]), np.ones(1))))
    lp = b.build()
    ((only,),) = relax(lp, rounds=1)
    assert (only.block.name, only.side, only.current) == ("pillar_min_share", "lower", 0.5)
    assert only.repaired == pytest.approx(8 / 18, rel=1e-9)


def test_rules_kept_hard_that_conflict_are_named() -> None:
    """Rows that are not rules (definitions, links) never give way: when they alone conflict, no repair exists
    and the diagnosis says which blocks were kept."""
    b = ProgramBuilder(sense="max")
    col = b.add_variables(Header("eu", ("cell",), (("a",),)), 1, upper=1.0).start
    b.add_constraints(Header("envelope", ("instrument",), (("x",),)), Entries(np.zeros(1, int), np.array([col]),
                                                                              np.ones(1)),
                      np.full(1, -np.inf), np.ones(1), kind="le")
    b.add_constraints(Header("impact_link"), Entries(np.zeros(1, int), np.array([col]), np.ones(1)), np.full(1, 2.0),
                      np.full(1, np.inf), kind="ge")
    lp = b.build()
    message = r"even with every envelope, capacity, limit, cap and share relaxed .* \(impact_link\) conflict"
    with pytest.raises(fs.InfeasibleError, match=message):
        relax(lp)
    d = diagnose(fs.load_scenario("scenarios/tutorial.yaml"), lp=lp)
    assert d.repairs == () and "(impact_link) conflict among themselves" in d.checks[-1]


def test_a_feasible_scenario_has_nothing_to_repair() -> None:
    sc = fs.load_scenario("scenarios/tutorial.yaml")
    assert fs.solve(sc).objective == pytest.approx(130.0)
    d = diagnose(sc)
    assert d.repairs == () and d.checks == () and list(d) == []
    assert str(d) == "no diagnosis: the rules hold together"
    with pytest.raises(ValueError, match=r"no repair number 0; its repairs are: none: the scenario it describes is "
                                         r"feasible"):
        repair(sc, d)


def test_asking_for_a_missing_alternative_says_which_exist() -> None:
    sc = _scenario(region_limit_min)
    d = diagnose(sc, alternatives=2)
    assert len(d.repairs) == 2
    with pytest.raises(ValueError, match=r"no repair number 5; its repairs are: alternative 0 … 1"):
        repair(sc, d, 5)


def test_infeasible_error_carries_the_diagnosis_and_pickles() -> None:
    sc = _scenario(pillar_min_share)
    d = diagnose(sc)
    err = fs.InfeasibleError(f"scenario {sc.name!r} has no allocation that satisfies all its rules", d)
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back.diagnosis, Diagnosis) and back.diagnosis == d
    assert back.repairs == d.repairs and isinstance(back.repairs[0][0], Repair)
    assert str(back) == str(err)
    assert "  - repair: lower the minimum share of the pillar 'legal' from 90 % to 83.3 %" in str(err)
    assert list(back.diagnosis)[: len(d.checks)] == list(d.checks)
    plain = pickle.loads(pickle.dumps(fs.InfeasibleError("no allocation", ["a reason"])))
    assert plain.diagnosis == ("a reason",) and plain.repairs == ()


def test_words_for_the_cli_and_for_monte_carlo_draws() -> None:
    sc = _scenario(absorption)
    d = diagnose(sc)
    text = str(d)
    assert text.startswith("What stands in the way:\n  - the region 'north_africa' needs at least EUR 55.0 m")
    assert "What would make it feasible" in text
    assert "\n  - raise the absorption capacity of 'north_africa' in 2010" in text and "\n  - or " in text
    line = d.summary()
    assert "\n" not in line and line.startswith("repair: raise the absorption capacity of 'north_africa' in 2010")
    assert "; or: " in line
    short = d.summary(width=80)
    assert len(short) == 80 and short.endswith("…")
