"""The results-framework objective term, worked by hand on the tutorial scenario with two indicators.

The tutorial's impact curves are replaced by a results framework (scenarios/tutorial.yaml itself is unchanged):

- ``returnees``: persons given reintegration support, return in North Africa, EUR 4 000 each on EU money
  (250 persons per EUR m), target 5 000 persons, worth 0.002 each up to it and 0.0005 beyond: 0.5 per EUR m up
  to EUR 20 m, 0.125 per EUR m after;
- ``trained``: persons trained for circular migration, mobility in the Eastern Partnership, EUR 10 000 each on
  total cost (100 persons per EUR m of total cost), no target, worth 0.003 each: 0.375 per EUR m of TPMA (which
  mobilises 0.25 of co-financing per EUR m) and 0.3 per EUR m of ENPI.

Nothing else is worth anything; North Africa's absorption (25 a year) and the remittances ceiling stay slack.
ENPI (20 a year) and TPMA (10 a year) each have one best use: TPMA's is mobility (0.375 against 0.5 for return
below the target — but ENPI's alternative is only 0.3, so return is bought with ENPI), ENPI's money goes to
return up to the target (EUR 20 m; 0.5 > 0.3) and the rest to mobility (0.3 > 0.125 beyond the target).
Optimum: 5 000 persons · 0.002 = 10, plus (20 + 25) EUR m total · 100 · 0.003 = 13.5: 23.5.
Shadow prices: TPMA's envelope 0.375 and ENPI's 0.3 per EUR m each year; the ``trained`` link 0.003 per person
(its outputs are unbounded); the ``returnees`` link 0.3 / 250 = 0.0012 per person: one person more of the
indicator lets EUR 0.004 m of ENPI go back to mobility. Raising the target by one person would gain
0.002 − 0.0012 = 0.0008.
"""

from __future__ import annotations

import copy
import pathlib

import numpy as np
import pytest
import xarray as xr
import yaml

import fundsim as fs
from fundsim.results.allocation import allocation_dataset
from fundsim.results.objective import indicator_outputs, objective_terms, objective_value, results_value
from fundsim.testing import assert_allocation_feasible

TUTORIAL = pathlib.Path("scenarios/tutorial.yaml")

RETURNEES = {"id": "returnees_reintegrated", "name": "Returnees given reintegration support", "unit": "persons",
             "priorities": ["return"], "regions": ["north_africa"],
             "unit_cost": {"value": 0.004, "assumption": "EUR 4 000 per person, a round figure for the test"},
             "basis": "eu", "target": 5000, "value": 0.002, "beyond_target": 0.0005}
TRAINED = {"id": "migrants_trained", "name": "Migrants trained for circular migration", "unit": "persons",
           "pillars": ["legal"], "region_groups": ["east"], "unit_cost": 0.01, "basis": "total", "value": 0.003}


def with_results(*indicators: dict, keep_impact: bool = False) -> dict:
    raw = yaml.safe_load(TUTORIAL.read_text())
    results = {"results": {"indicators": [copy.deepcopy(i) for i in indicators]}}
    raw["objective"] = {**raw["objective"], **results} if keep_impact else results
    return raw


@pytest.fixture(scope="module")
def sc() -> fs.Scenario:
    return fs.scenario_from_dict(with_results(RETURNEES, TRAINED))


@pytest.fixture(scope="module")
def alloc(sc: fs.Scenario) -> fs.Allocation:
    return fs.solve(sc)


def hand_plan(sc: fs.Scenario) -> np.ndarray:
    """TPMA 10 for return in North Africa in 2009 and 10 for remittances there in 2010; ENPI 15 for return in
    North Africa and 5 for mobility in the East in 2009, 5 and 15 in 2010. Every rule holds (North Africa 25 and
    15; remittances 10 of 60)."""
    eu = np.zeros((2, 3, 2, 2))
    eu[0, 1, 0, 0], eu[0, 2, 0, 1] = 10.0, 10.0
    eu[1, 1, 0, 0], eu[1, 0, 1, 0] = 15.0, 5.0
    eu[1, 1, 0, 1], eu[1, 0, 1, 1] = 5.0, 15.0
    return eu


# ---- the optimum, its outputs and its shadow prices, by hand -------------------------------------------------
def test_optimum_by_hand(alloc: fs.Allocation) -> None:
    assert alloc.status == "optimal"
    assert alloc.data.attrs["sense"] == "maximise"
    assert alloc.objective == pytest.approx(23.5, rel=1e-9)
    assert_allocation_feasible(alloc.scenario, alloc)
    eu = alloc.data["eu"]
    assert float(eu.sel(instrument="enpi", priority="return", region="north_africa").sum()) == pytest.approx(20.0)
    assert float(eu.sel(instrument="enpi", priority="mobility", region="eastern_partnership").sum()) == \
        pytest.approx(20.0)
    assert float(eu.sel(instrument="tpma", priority="mobility", region="eastern_partnership").sum()) == \
        pytest.approx(20.0)
    assert float(eu.sum()) == pytest.approx(60.0)


def test_outputs_per_indicator(alloc: fs.Allocation) -> None:
    table = alloc.outputs()
    assert table.index.tolist() == ["returnees_reintegrated", "migrants_trained"]
    assert table["unit"].tolist() == ["persons", "persons"]
    assert table["name"].tolist() == ["Returnees given reintegration support",
                                      "Migrants trained for circular migration"]
    assert table["basis"].tolist() == ["eu", "total"]
    # 20 EU money buys 5 000 persons (the target binds); 20 ENPI + 20 TPMA with 5 co-financing buy 4 500
    assert table["money"].tolist() == pytest.approx([20.0, 45.0])
    assert table["outputs"].tolist() == pytest.approx([5000.0, 4500.0])
    assert table.loc["returnees_reintegrated", "target"] == 5000.0
    assert table.loc["returnees_reintegrated", "share_of_target"] == pytest.approx(1.0)
    assert np.isnan(table.loc["migrants_trained", "target"])
    assert np.isnan(table.loc["migrants_trained", "share_of_target"])


def test_shadow_prices_by_hand(alloc: fs.Allocation) -> None:
    link = alloc.duals["results_link"]
    assert link.attrs["units"] == "objective per unit of output"
    assert float(link.sel(indicator="returnees_reintegrated")) == pytest.approx(0.3 / 250)
    assert float(link.sel(indicator="migrants_trained")) == pytest.approx(0.003)
    env = alloc.duals["envelope"]
    assert env.sel(instrument="tpma").values.tolist() == pytest.approx([0.375, 0.375])
    assert env.sel(instrument="enpi").values.tolist() == pytest.approx([0.3, 0.3])
    assert float(np.abs(alloc.duals["absorption"]).max()) == pytest.approx(0.0, abs=1e-12)
    # the link prices outputs, it is no user's rule: left out of the binding rules unless asked for
    assert "results_link" not in alloc.binding_rules()["rule"].tolist()
    assert "results_link" in alloc.binding_rules(marginal_impact=True)["rule"].tolist()


def test_raising_the_target_gains_its_reduced_value(sc: fs.Scenario) -> None:
    """One person more of target (5 000 → 5 100: 100 persons) gains 100 · (0.002 − 0.0012) = 0.08."""
    raised = fs.solve(fs.scenario_from_dict(with_results({**RETURNEES, "target": 5100}, TRAINED)))
    assert raised.objective - 23.5 == pytest.approx(100 * (0.002 - 0.0012), rel=1e-9)


def test_the_lp_columns_hold_the_outputs(alloc: fs.Allocation) -> None:
    lp, x = alloc.lp, alloc.result.x
    q = lp.variables["results_output"]
    assert q.coords == (("returnees_reintegrated", "migrants_trained"), ("to_target", "beyond_target"))
    assert x[q.start:q.stop].tolist() == pytest.approx([5000.0, 0.0, 4500.0, 0.0], abs=1e-6)
    # no target: the first piece is unbounded and the second closed
    assert lp.col_upper[q.start:q.stop].tolist() == [5000.0, np.inf, np.inf, 0.0]


# ---- the independent scorer -------------------------------------------------------------------------------
def test_scorer_equals_the_lp_on_the_optimum(sc: fs.Scenario, alloc: fs.Allocation) -> None:
    eu = alloc.data["eu"].values
    assert objective_terms(sc, eu) == pytest.approx({"results": 23.5})
    assert objective_value(sc, eu) == pytest.approx(alloc.objective, rel=1e-9)


def test_scorer_on_a_hand_made_plan(sc: fs.Scenario) -> None:
    """Return in North Africa gets 10 + 15 + 5 = 30 EU money: 7 500 persons, 5 000 at 0.002 and 2 500 at 0.0005
    (11.25); mobility in the East gets 20 of ENPI: 2 000 persons at 0.003 (6). 17.25 in all."""
    eu = hand_plan(sc)
    money, outputs = indicator_outputs(sc, eu)
    assert money.tolist() == pytest.approx([30.0, 20.0])
    assert outputs.tolist() == pytest.approx([7500.0, 2000.0])
    assert results_value(sc, eu) == pytest.approx(17.25)
    # the LP with the plan locked cell by cell reaches the same objective
    locks = [{"id": f"c{n}", "instruments": [sc.instrument_ids[i]], "priorities": [sc.priority_ids[p]],
              "regions": [sc.region_ids[r]], "years": [sc.years[y]], "amount": float(eu[i, p, r, y])}
             for n, (i, p, r, y) in enumerate(zip(*np.nonzero(sc.eligible), strict=True))]
    raw = with_results(RETURNEES, TRAINED)
    raw["rules"]["locks"] = locks
    locked = fs.solve(fs.scenario_from_dict(raw))
    assert locked.objective == pytest.approx(17.25, rel=1e-9)
    assert np.abs(locked.data["eu"].values - eu).max() < 1e-9


def test_compare_scores_a_plan_by_the_results_framework(sc: fs.Scenario, alloc: fs.Allocation) -> None:
    plan = fs.Allocation(allocation_dataset(sc, hand_plan(sc)).assign_attrs(name="hand"), xr.Dataset(),
                         scenario=sc)
    cmp = fs.compare(alloc, plan, names=["optimum", "hand"])
    assert cmp.objectives.to_dict() == pytest.approx({"optimum": 23.5, "hand": 17.25})
    assert cmp.gap["gap"].to_dict() == pytest.approx({"optimum": 0.0, "hand": 6.25})


def test_results_add_to_the_impact_term() -> None:
    """With the tutorial's impact kept (optimum 130) and an indicator worth little beside it, the plan stays the
    tutorial's: return in North Africa 35 EU money, 8 750 persons against a target of 5 000, worth 0.002 up to it and
    0.0005 beyond: 10 + 1.875 on top of 130."""
    alloc = fs.solve(fs.scenario_from_dict(with_results(RETURNEES, keep_impact=True)))
    assert alloc.objective == pytest.approx(130.0 + 10.0 + 3750 * 0.0005, rel=1e-9)
    assert alloc.outputs()["outputs"].tolist() == pytest.approx([8750.0])
    assert objective_terms(alloc.scenario, alloc.data["eu"].values) == pytest.approx({"impact": 130.0,
                                                                                      "results": 11.875})


def test_no_indicators_no_outputs() -> None:
    alloc = fs.solve(fs.load_scenario(TUTORIAL))
    assert alloc.outputs().empty
    assert list(alloc.outputs().columns) == ["name", "unit", "basis", "money", "outputs", "target",
                                             "share_of_target"]
    assert "results_output" not in alloc.lp.variables


def test_solve_prints_outputs_only_with_indicators(tmp_path: pathlib.Path) -> None:
    from typer.testing import CliRunner

    from fundsim.cli import app

    path = tmp_path / "rf.yaml"
    path.write_text(yaml.safe_dump(with_results(RETURNEES, TRAINED)))
    shown = CliRunner().invoke(app, ["solve", str(path)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "Results framework: outputs per indicator" in shown.output
    line = next(x for x in shown.output.splitlines() if "returnees_reintegrated" in x)
    assert "5,000.0" in line and "100.0%" in line and "20.0 (eu)" in line
    plain = CliRunner().invoke(app, ["solve", str(TUTORIAL)], env={"COLUMNS": "200"})
    assert plain.exit_code == 0 and "Results framework" not in plain.output


# ---- bad indicators are refused, each where it is --------------------------------------------------------
def problems_of(tmp_path: pathlib.Path, *indicators: dict) -> dict[str, str]:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(with_results(*indicators), sort_keys=False))
    with pytest.raises(fs.ScenarioError) as err:
        fs.load_scenario(path)
    for p in err.value.problems:
        assert p.file is not None and p.file.endswith("bad.yaml") and p.line is not None, str(p)
    return {p.path: p.message for p in err.value.problems}


def test_bad_indicators_refused_with_located_errors(tmp_path: pathlib.Path) -> None:
    found = problems_of(tmp_path, {**RETURNEES, "priorities": ["retrun"]}, {**TRAINED, "unit_cost": 0},
                        {**RETURNEES, "id": "too_good", "beyond_target": 0.01})
    base = "objective.results.indicators"
    assert set(found) == {f"{base}[0].priorities[0]", f"{base}[1].unit_cost", f"{base}[2].beyond_target"}
    assert "'retrun'" in found[f"{base}[0].priorities[0]"] and "return" in found[f"{base}[0].priorities[0]"]
    assert found[f"{base}[1].unit_cost"] == "must be > 0 (EUR m per unit of output); got 0"
    assert "exceeds value (0.002)" in found[f"{base}[2].beyond_target"]


def test_beyond_target_needs_a_target(tmp_path: pathlib.Path) -> None:
    lone = {k: v for k, v in RETURNEES.items() if k != "target"}
    found = problems_of(tmp_path, lone, TRAINED)
    assert list(found) == ["objective.results.indicators[0].beyond_target"]
    assert "needs a target" in found["objective.results.indicators[0].beyond_target"]


def test_indicator_ids_are_distinct(tmp_path: pathlib.Path) -> None:
    found = problems_of(tmp_path, RETURNEES, {**TRAINED, "id": RETURNEES["id"]})
    assert list(found) == ["objective.results.indicators[1].id"]
    assert "given twice (also at indicators[0])" in found["objective.results.indicators[1].id"]


def test_domain_object_checks_itself() -> None:
    sel = fs.model.Selector()
    with pytest.raises(ValueError, match="unit cost of the indicator 'x' must be a finite number > 0"):
        fs.model.Indicator("x", sel, unit_cost=-1.0)
    with pytest.raises(ValueError, match="returns may only diminish"):
        fs.model.Indicator("x", sel, unit_cost=1.0, target=2.0, value=1.0, beyond_target=2.0)
    assert fs.model.Indicator("x", sel, unit_cost=1.0, target=2.0, value=1.0, beyond_target=0.5).worth(4.0) == 3.0


# ---- a scenario of its own, no shipped file -----------------------------------------------------------------
OWN = {
    "name": "one_region", "years": [2009],
    "pillars": [{"id": "legal"}, {"id": "irregular"}],
    "regions": [{"id": "sahel", "group": "south"}],
    "priorities": [{"id": "labour", "pillar": "legal"}, {"id": "return", "pillar": "irregular"}],
    "instruments": [{"id": "fund", "envelope": 10}],
    "objective": {"results": {"weight": 2.0, "indicators": [
        {"id": "returns", "priorities": ["return"], "unit_cost": 0.5, "target": 8, "value": 1.0,
         "beyond_target": 0.25},
        {"id": "placements", "priorities": ["labour"], "unit_cost": 1.0, "value": 0.6}]}},
}


def test_own_scenario_by_hand() -> None:
    """Per EUR m: return is worth 2 outputs · 1 = 2 up to EUR 4 m (8 outputs), then 0.5; labour 0.6. So 4 go to
    return, 6 to labour: (8 + 3.6) · weight 2 = 23.2. The envelope's shadow price is 0.6 · 2 = 1.2; the return
    link's 1.2 / 2 = 0.6 per output (between 0.5 and 2: a unit of output more frees EUR 0.5 m for labour),
    the labour link's 1.2."""
    sc = fs.scenario_from_dict(copy.deepcopy(OWN))
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(23.2, rel=1e-9)
    assert alloc.data["eu"].sel(priority="return").sum().item() == pytest.approx(4.0)
    assert alloc.outputs()["outputs"].tolist() == pytest.approx([8.0, 6.0])
    assert alloc.duals["envelope"].values.ravel().tolist() == pytest.approx([1.2])
    assert alloc.duals["results_link"].values.tolist() == pytest.approx([0.6, 1.2])
    assert objective_value(sc, alloc.data["eu"].values) == pytest.approx(23.2)
    # a cheaper return (unit cost 0.1: 10 outputs per EUR m, 2.5 per EUR m beyond the target): return takes
    # all 10, 8 outputs at 1 and 92 at 0.25 — (8 + 23) · 2 = 62
    cheap = copy.deepcopy(OWN)
    cheap["objective"]["results"]["indicators"][0]["unit_cost"] = 0.1
    alloc = fs.solve(fs.scenario_from_dict(cheap))
    assert alloc.objective == pytest.approx(62.0, rel=1e-9)
    assert alloc.outputs()["share_of_target"].iloc[0] == pytest.approx(100 / 8)
