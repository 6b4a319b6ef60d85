"""Cheap infeasibility checks name the rule that cannot hold and the most that could reach it.

Every check is sound: it compares a minimum with an upper bound on what could meet it, so a check that
fires on a scenario proves it infeasible, and no check fires on the shipped (feasible) scenarios.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import fundsim as fs
from fundsim.diagnose import checks, quick_checks
from fundsim.diagnose.checklist import (
    check_minimum_within_maximum,
    check_minimums_against_shares,
    check_minimums_reachable,
    check_minimums_together,
    check_pillar_minimums_total,
)
from fundsim.model import PillarBalance, Rules


def _tutorial() -> dict[str, Any]:
    return copy.deepcopy(fs.load_scenario("scenarios/tutorial.yaml").spec)


def _infeasible(sc: fs.Scenario) -> bool:
    with pytest.raises(fs.InfeasibleError):
        fs.solve(sc)
    return True


def test_region_minimum_above_absorption() -> None:
    spec = _tutorial()
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 80}]
    sc = fs.scenario_from_dict(spec)
    (line,) = checks(sc)
    assert "the region 'north_africa' needs at least EUR 80.0 m but at most EUR 50.0 m can reach it" in line
    assert _infeasible(sc)


def test_infeasible_error_leads_with_the_checks() -> None:
    spec = _tutorial()
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 80}]
    with pytest.raises(fs.InfeasibleError) as info:
        fs.solve(fs.scenario_from_dict(spec))
    assert "the region 'north_africa' needs at least EUR 80.0 m" in info.value.diagnosis[0]


def test_region_minimum_above_match_capacity() -> None:
    """ENPI co-financed at 50 % from member states who can give 1 a year: North Africa can get at most
    TPMA's 10 a year plus 1/1 of ENPI's a year — 22 over two years, short of the 30 asked."""
    spec = _tutorial()
    spec["match_sources"][0]["capacity"] = 1.0
    spec["instruments"][1]["cofinancing"] = {"max_eu_share": 0.5, "match_source": "member_states"}
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 30}]
    sc = fs.scenario_from_dict(spec)
    (line,) = check_minimums_reachable(sc)
    assert "needs at least EUR 30.0 m but at most EUR" in line and "co-financing capacity" in line
    most = float(line.split("at most EUR ")[1].split(" m")[0])
    assert most < 30
    assert _infeasible(sc)


def test_pillar_minimums_over_100_percent_are_bad_input() -> None:
    """Share minimums cannot make the LP infeasible (spending nothing keeps them), so minimums adding up
    to more than everything are reported as a problem of the file."""
    spec = _tutorial()
    spec["rules"]["pillar_balance"] = [{"pillar": "legal", "min_share": 0.7}, {"pillar": "irregular",
                                                                                  "min_share": 0.5}]
    with pytest.raises(fs.ScenarioError, match=r"rules.pillar_balance: the minimum pillar shares add up to "
                       r"120.0% \(legal 70% \+ irregular 50%\); together they may be at most 100 %"):
        fs.scenario_from_dict(spec)


def test_pillar_minimums_over_100_percent_made_in_python_are_found() -> None:
    sc = fs.load_scenario("scenarios/tutorial.yaml")
    odd = sc.evolve(rules=Rules(pillar_balance=(PillarBalance("legal", 0.7), PillarBalance("irregular", 0.5))))
    assert check_pillar_minimums_total(odd) == [
        "the minimum pillar shares add up to 120.0% of all EU money (legal 70%, irregular 50%); lower them to "
        "100 % or less in total"]


def test_a_minimum_share_nobody_may_fund_is_warned_about() -> None:
    spec = _tutorial()
    for ins in spec["instruments"]:
        ins["eligibility"] = {"priorities": ["mobility", "return"]}
    spec["rules"]["pillar_balance"] = [{"pillar": "development", "min_share": 0.1}]
    with pytest.warns(fs.FundsimWarning, match="pillar 'development' must receive at least 10%.*spends nothing"):
        sc = fs.scenario_from_dict(spec)
    assert float(fs.solve(sc).data["eu"].sum()) == 0.0
    assert "the pillar 'development' must receive at least 10% of EU money but no instrument may fund" in \
        checks(sc)[0]
    spec["rules"] = {"geographic_focus": [{"regions": ["north_africa"], "min_share": 0.5}]}
    for ins in spec["instruments"]:
        ins["eligibility"] = {"regions": ["eastern_partnership"]}
    with pytest.warns(fs.FundsimWarning, match="focus rule 'focus' asks for at least 50%.*north_africa"):
        fs.scenario_from_dict(spec)


def test_package_above_what_can_reach_it() -> None:
    spec = _tutorial()
    spec["rules"]["min_packages"] = [{"region": "eastern_partnership", "amount": 100, "priorities": ["mobility"]}]
    sc = fs.scenario_from_dict(spec)
    assert "the minimum package of 'eastern_partnership' needs at least EUR 100.0 m" in checks(sc)[0]
    assert _infeasible(sc)


def test_annual_cap_minimum_above_the_year_s_money() -> None:
    spec = _tutorial()
    spec["rules"]["caps"] = [{"id": "enpi_2010", "instruments": ["enpi"], "years": [2010], "per_year": True,
                              "min": 25}]
    sc = fs.scenario_from_dict(spec)
    assert check_minimums_reachable(sc) == [
        "the cap 'enpi_2010' in 2010 needs at least EUR 25.0 m but at most EUR 20.0 m can reach it (usable "
        "envelopes of the eligible instruments, co-financing capacity of their match sources, absorption capacity)"]
    assert _infeasible(sc)


def test_minimum_inside_a_smaller_maximum() -> None:
    spec = _tutorial()
    spec["rules"]["caps"] = [{"id": "tpma_cap", "instruments": ["tpma"], "max": 8}]
    spec["rules"]["min_packages"] = [{"region": "north_africa", "amount": 10, "priorities": ["remittances"]}]
    sc = fs.scenario_from_dict(spec)
    assert check_minimum_within_maximum(sc) == [
        "the minimum package of 'north_africa' needs at least EUR 10.0 m but the cap 'tpma_cap' allows at most "
        "EUR 8.0 m on a slice that contains it"]
    assert _infeasible(sc)


def test_minimum_against_a_maximum_share() -> None:
    """Development at most 10 %: remittances can have at most 10/90 of the 60 that can go elsewhere."""
    spec = _tutorial()
    spec["rules"]["pillar_balance"] = [{"pillar": "development", "max_share": 0.1}]
    spec["rules"]["priority_limits"] = [{"priority": "remittances", "min": 10}]
    sc = fs.scenario_from_dict(spec)
    (line,) = check_minimums_against_shares(sc)
    assert line.startswith("the priority 'remittances' needs at least EUR 10.0 m, all of it in the pillar "
                           "'development', but the maximum share of 10% allows at most EUR 6.7 m there")
    assert _infeasible(sc)


def test_minimum_against_a_minimum_share_elsewhere() -> None:
    """The East at least 90 %: North Africa can have at most 10/90 of the 60 that can reach the East."""
    spec = _tutorial()
    spec["rules"]["geographic_focus"] = [{"id": "east", "regions": ["eastern_partnership"], "min_share": 0.9}]
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 10}]
    sc = fs.scenario_from_dict(spec)
    (line,) = check_minimums_against_shares(sc)
    assert line.startswith("the region 'north_africa' needs at least EUR 10.0 m, all of it outside the focus rule "
                           "'east' (eastern_partnership), but the minimum share of 90% for the focus rule 'east' "
                           "(eastern_partnership) leaves at most EUR 6.7 m elsewhere")
    assert _infeasible(sc)


def test_minimums_of_several_regions_together() -> None:
    """Each minimum fits on its own; together they exceed the 60 there is."""
    spec = _tutorial()
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 45},
                                      {"region": "eastern_partnership", "min": 30}]
    sc = fs.scenario_from_dict(spec)
    assert check_minimums_reachable(sc) == []
    assert check_minimums_together(sc) == [
        "the minimums of the regions add up to EUR 75.0 m (north_africa 45.0 + eastern_partnership 30.0) but at "
        "most EUR 60.0 m can reach them together (usable envelopes of the eligible instruments, co-financing "
        "capacity of their match sources, absorption capacity)"]
    assert _infeasible(sc)


def test_conflicts_no_single_check_finds_are_said_so() -> None:
    """Remittances need 20 twice (priority minimum, package) but development may have only 25 % of 60: no
    cheap check sees it (the 20 fit under the 60 that could go elsewhere), the elastic repair does."""
    spec = _tutorial()
    spec["rules"]["priority_limits"] = [{"priority": "remittances", "min": 20}]
    spec["rules"]["min_packages"] = [{"region": "north_africa", "amount": 20, "priorities": ["remittances"]}]
    sc = fs.scenario_from_dict(spec)
    assert checks(sc) == []
    (line,) = quick_checks(sc)
    assert "several rules conflict together" in line
    assert _infeasible(sc)


@pytest.mark.parametrize("name", ["tutorial", "gam-2008", "tutorial-uncertain", "gam-2008-uncertain"])
def test_no_check_fires_on_a_feasible_scenario(name: str) -> None:
    sc = fs.load_scenario(Path("scenarios") / f"{name}.yaml")
    assert checks(sc) == []
    assert quick_checks(sc) == [quick_checks(sc)[0]] and "several rules" in quick_checks(sc)[0]
