"""Quick infeasibility checks name the rule that cannot hold and the most that could reach it."""

from __future__ import annotations

from typing import Any

import pytest

import fundsim as fs
from fundsim.diagnose import quick_checks


def _tutorial() -> dict[str, Any]:
    return fs.load_scenario("scenarios/tutorial.yaml").spec


def _diagnosis(spec: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(fs.InfeasibleError) as info:
        fs.solve(fs.scenario_from_dict(spec))
    return info.value.diagnosis


def test_region_minimum_above_absorption() -> None:
    spec = _tutorial()
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 80}]
    (line,) = _diagnosis(spec)
    assert "the region 'north_africa' needs at least EUR 80.0 m but at most EUR 50.0 m can reach it" in line


def test_region_minimum_above_match_capacity() -> None:
    """ENPI co-financed at 50 % from member states who can give 1 a year: North Africa can get at most
    TPMA's 10 a year plus 1/1 of ENPI's a year — 22 over two years, short of the 30 asked."""
    spec = _tutorial()
    spec["match_sources"][0]["capacity"] = 1.0
    spec["instruments"][1]["cofinancing"] = {"max_eu_share": 0.5, "match_source": "member_states"}
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 30}]
    (line,) = _diagnosis(spec)
    assert "needs at least EUR 30.0 m but at most EUR" in line and "co-financing capacity" in line
    most = float(line.split("at most EUR ")[1].split(" m")[0])
    assert most < 30


def test_pillar_minimums_over_100_percent_are_bad_input() -> None:
    """Share minimums cannot make the LP infeasible (spending nothing keeps them), so minimums adding up
    to more than everything are reported as a problem of the file."""
    spec = _tutorial()
    spec["rules"]["pillar_balance"] = [{"pillar": "legal", "min_share": 0.7}, {"pillar": "irregular",
                                                                                  "min_share": 0.5}]
    with pytest.raises(fs.ScenarioError, match=r"rules.pillar_balance: the minimum pillar shares add up to "
                       r"120.0% \(legal 70% \+ irregular 50%\); together they may be at most 100 %"):
        fs.scenario_from_dict(spec)


def test_a_minimum_share_nobody_may_fund_is_warned_about() -> None:
    spec = _tutorial()
    for ins in spec["instruments"]:
        ins["eligibility"] = {"priorities": ["mobility", "return"]}
    spec["rules"]["pillar_balance"] = [{"pillar": "development", "min_share": 0.1}]
    with pytest.warns(fs.FundsimWarning, match="pillar 'development' must receive at least 10%.*spends nothing"):
        sc = fs.scenario_from_dict(spec)
    assert float(fs.solve(sc).data["eu"].sum()) == 0.0
    spec["rules"] = {"geographic_focus": [{"regions": ["north_africa"], "min_share": 0.5}]}
    for ins in spec["instruments"]:
        ins["eligibility"] = {"regions": ["eastern_partnership"]}
    with pytest.warns(fs.FundsimWarning, match="focus rule 'focus' asks for at least 50%.*north_africa"):
        fs.scenario_from_dict(spec)


def test_package_above_what_can_reach_it() -> None:
    spec = _tutorial()
    spec["rules"]["min_packages"] = [{"region": "eastern_partnership", "amount": 100, "priorities": ["mobility"]}]
    assert "the minimum package of 'eastern_partnership' needs at least EUR 100.0 m" in _diagnosis(spec)[0]


def test_conflicts_no_single_check_finds_are_said_so() -> None:
    """Each minimum fits on its own; together they exceed the money."""
    spec = _tutorial()
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 45},
                                      {"region": "eastern_partnership", "min": 30}]
    (line,) = _diagnosis(spec)
    assert "several rules conflict together" in line


def test_the_bound_is_an_upper_bound_on_feasible_scenarios() -> None:
    """On a feasible scenario no check fires except the catch-all."""
    sc = fs.load_scenario("scenarios/gam-2008.yaml")
    assert quick_checks(sc) == [quick_checks(sc)[0]] and "several rules" in quick_checks(sc)[0]
