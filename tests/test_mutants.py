"""Tests written to kill mutants that survived the suite (issue 12): each asserts behaviour against an
expected value worked out here by hand, not read back from the code under test.

* montecarlo/numbers.py: a drawn amount below zero is no money (a clip bound of 1 would add phantom
  money), an amount between 0 and 1 is kept as drawn, and a payment delay is a share in [0, 1];
* compare/files.py: unknown labels are grouped under the key (dimension, label, table): one problem per
  label and table, naming the first five other places and counting the rest;
* scenario/files.py: a mapping key that is a list, a mapping or a tagged value is reported (file, line,
  field path, what would be valid), and an explicitly tagged plain key is still a key;
* montecarlo/reoptimise.py: the per-draw ``rebuilt`` flag is set exactly on the draws whose LP has another
  structure;
* examples/synthetic.py: the generator is ``numpy.random.default_rng(seed)``, as documented, and the three
  co-financing kinds are spread evenly over the instruments.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from openpyxl import Workbook

import fundsim as fs
from fundsim.comparison import AllocationFileError, read_allocation
from fundsim.examples.synthetic import GROUP_ODDS, GROUPS, synthetic_spec
from fundsim.montecarlo import DrawnNumbers, Evaluation, drawn_numbers, scenario_of_draw
from fundsim.montecarlo.reoptimise import Reoptimiser

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "scenarios" / "tutorial.yaml"
BASE = (ROOT / "tests" / "data" / "base.yaml").read_text(encoding="utf-8")
TPMA, ENPI = 0, 1  # instrument order of the tutorial
NA, EP = 0, 1  # region order
REMITTANCES = 2  # priority order: mobility, return, remittances


def tutorial_data() -> dict[str, Any]:
    return yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))


def tutorial(parameters: list[dict[str, Any]], **changes: Any) -> fs.Scenario:
    """The tutorial with these uncertain parameters (and top-level sections replaced by ``changes``)."""
    data = tutorial_data()
    data.update(copy.deepcopy(changes))
    data["uncertainty"] = {"parameters": parameters}
    return fs.scenario_from_dict(data)


def absolute(pid: str, path: str) -> dict[str, Any]:
    return {"id": pid, "path": path, "mode": "absolute", "distribution": {"kind": "uniform", "low": 0.0, "high": 2.0}}


# ---- montecarlo/numbers.py: no phantom money -------------------------------------------------------------
MONEY = [absolute("t", "instruments.tpma.envelope"), absolute("m", "match_sources.member_states.capacity"),
         absolute("a", "absorption.capacity.north_africa"),
         absolute("w", "objective.impact.weights.remittances.north_africa")]


def test_negative_drawn_amounts_are_no_money_and_small_ones_are_kept() -> None:
    """Draw 0 sets every number below zero: the drawn scenario holds none of it (not 1, not the negative).
    Draw 1 sets amounts between 0 and 1: they are kept as drawn."""
    sc = tutorial(MONEY)
    numbers = drawn_numbers(sc, np.array([[-4.0, -3.0, -2.0, -1.0], [0.5, 0.25, 0.75, 0.4]]))
    for d, (usable, match, absorb, weight) in enumerate([(0.0, 0.0, 0.0, 0.0), (0.5, 0.25, 0.75, 0.4)]):
        drawn = scenario_of_draw(sc, numbers, d)
        np.testing.assert_array_equal(drawn.instruments[TPMA].usable, [usable, usable])
        np.testing.assert_array_equal(drawn.match_sources[0].capacity, [match, match])
        np.testing.assert_array_equal(drawn.absorption.capacity[NA], [absorb, absorb])
        assert drawn.objective.impact is not None
        assert drawn.objective.impact.weights[REMITTANCES, NA] == weight
        np.testing.assert_array_equal(drawn.instruments[ENPI].usable, [20.0, 20.0])  # not drawn: unchanged


def test_a_draw_of_negative_money_spends_nothing_of_it() -> None:
    """The TPMA drawn at -4 a year and the ENPI untouched (20 a year, mobility and return only): the optimum
    commits no TPMA money at all, and all 40 of the ENPI."""
    sc = tutorial([absolute("t", "instruments.tpma.envelope")])
    drawn = scenario_of_draw(sc, drawn_numbers(sc, np.array([[-4.0]])), 0)
    eu = fs.solve(drawn).data["eu"]
    assert float(eu.sel(instrument="tpma").sum()) == 0.0
    assert float(eu.sel(instrument="enpi").sum()) == pytest.approx(40.0, abs=1e-6)


def test_an_absolute_envelope_draw_gives_nothing_in_a_year_with_no_envelope() -> None:
    """The ENPI with 0.8 EUR m in 2009 and none in 2010, half usable: a drawn envelope of 30 a year gives
    15 usable in 2009 (however small the envelope drawn over) and 0 in 2010 (no usable share in a year
    without an envelope)."""
    tpma, enpi = tutorial_data()["instruments"]
    sc = tutorial([absolute("e", "instruments.enpi.envelope")],
                  instruments=[tpma, {**enpi, "envelope": {2009: 0.8, 2010: 0}, "usable_share": 0.5}])
    for _ in range(3):  # a result that depended on uninitialised memory would not hold every time
        numbers = drawn_numbers(sc, np.array([[30.0], [30.0]]))
        np.testing.assert_array_equal(numbers.usable[:, ENPI], [[15.0, 0.0], [15.0, 0.0]])


def test_a_payment_delay_is_a_share_between_0_and_1() -> None:
    """Payment profile (0.6, 0.4): a delay above 1 moves everything one year (as 1 does), one below 0 moves
    nothing (as 0 does), and 0.25 moves a quarter of each year's payment."""
    tpma, enpi = tutorial_data()["instruments"]
    delay = {**absolute("d", "instruments.tpma.payment_delay"), "distribution": {"kind": "uniform", "low": 0.0,
                                                                                 "high": 1.0}}
    sc = tutorial([delay],
                  instruments=[{**tpma, "payment_profile": [0.6, 0.4]}, enpi])
    numbers = drawn_numbers(sc, np.array([[1.5], [-0.5], [0.25], [0.0]]))
    expected = [[0.0, 0.6, 0.4], [0.6, 0.4, 0.0], [0.45, 0.3 + 0.15, 0.1], [0.6, 0.4, 0.0]]  # 0.75·p + 0.25·shifted
    np.testing.assert_allclose(numbers.profile(sc, TPMA), expected, atol=1e-12)
    assert scenario_of_draw(sc, numbers, 3).instruments[TPMA].payment_profile == (0.6, 0.4)  # no delay: as given
    assert scenario_of_draw(sc, numbers, 2).instruments[TPMA].payment_profile == pytest.approx((0.45, 0.45, 0.1))


def test_without_a_delay_every_draw_has_the_scenario_profile() -> None:
    sc = tutorial([absolute("t", "instruments.tpma.envelope")])
    numbers = DrawnNumbers(np.ones((3, 2, 2)), (np.ones((3, 2)),), np.ones((3, 2, 2)), None)
    np.testing.assert_array_equal(numbers.profile(sc, TPMA), [[1.0]] * 3)


def test_drawn_numbers_of_a_scenario_without_uncertainty_are_its_own() -> None:
    """No uncertain parameter: each draw holds the scenario's own numbers (10 and 20 EUR m a year usable,
    member states' 100, North Africa's absorption 25, the impact weights), and no delay."""
    sc = fs.scenario_from_dict(tutorial_data())
    numbers = drawn_numbers(sc, np.zeros((3, 0)))
    np.testing.assert_array_equal(numbers.usable, [[[10.0, 10.0], [20.0, 20.0]]] * 3)
    np.testing.assert_array_equal(numbers.match[0], [[100.0, 100.0]] * 3)
    np.testing.assert_array_equal(numbers.absorption[:, NA], [[25.0, 25.0]] * 3)
    assert sc.objective.impact is not None and numbers.weights is not None
    np.testing.assert_array_equal(numbers.weights, np.repeat(np.asarray(sc.objective.impact.weights)[None], 3, 0))
    assert numbers.delay is None


def test_a_scenario_without_an_impact_term_draws_no_weights() -> None:
    """Leverage alone (1 per EUR m of co-financing): the TPMA at half its money (5 a year, EU at most 80 %)
    mobilises 10 · 0.2 / 0.8 = 2.5 EUR m of co-financing, the optimum of the drawn scenario."""
    sc = tutorial([{"id": "t", "path": "instruments.tpma.envelope",
                    "distribution": {"kind": "uniform", "low": 0.5, "high": 1.5}}],
                  objective={"leverage": {"weight": 1.0}})
    numbers = drawn_numbers(sc, np.array([[0.5]]))
    assert numbers.weights is None
    drawn = scenario_of_draw(sc, numbers, 0)
    assert drawn.objective == sc.objective
    assert fs.solve(drawn).objective == pytest.approx(2.5, abs=1e-9)


# ---- montecarlo/stress.py: a plan under a draw, worked by hand -------------------------------------------
TWO_BY_TWO = {
    "name": "two-by-two", "years": [2009, 2010], "pillars": [{"id": "q1"}, {"id": "q2"}],
    "regions": [{"id": "r1", "group": "south"}, {"id": "r2", "group": "south"}],
    "priorities": [{"id": "p1", "pillar": "q1"}, {"id": "p2", "pillar": "q2"}],
    "match_sources": [{"id": "ms", "capacity": 100}],
    "instruments": [{"id": "i", "envelope": 30, "decommitment_window": 0,
                     "cofinancing": {"max_eu_share": 0.8, "match_source": "ms"}}],
    "absorption": {"basis": "eu", "capacity": {"r1": 1000}},
    "uncertainty": {"parameters": [
        {"id": "env", "path": "instruments.i.envelope",
         "distribution": {"kind": "discrete", "values": [0.5], "probabilities": [1.0]}},
        {"id": "ms", "path": "match_sources.ms.capacity", "mode": "absolute",
         "distribution": {"kind": "discrete", "values": [3.5], "probabilities": [1.0]}},
        {"id": "cap", "path": "absorption.capacity.r1", "mode": "absolute",
         "distribution": {"kind": "discrete", "values": [10.0], "probabilities": [1.0]}}]},
}


def test_a_plan_under_a_draw_worked_by_hand() -> None:
    """The plan: 12 (p1, pillar q1) and 4 (p2, q2) in r1 in 2009; 0.5 (p2) in r2 in 2009 and 20 (p1) in 2010;
    all paid at once and due the same year (window 0). The draw halves the usable money to 15 a year, lets
    the member states match 3.5 a year and r1 absorb 10 (r2 absorbs anything).

    * envelope excess: 16.5 - 15 = 1.5 in 2009, 20 - 15 = 5 in 2010;
    * co-financing at 0.2/0.8 = 0.25 per EUR m: 4.125 and 5 needed, 3.5 a year raised: 0.625 + 1.5 short;
    * r1 pays 10 of its 16 in 2009 and loses 6, taken pro rata from its pillars: 4.5 of q1, 1.5 of q2;
    * finally spent: q1 12 + 20 - 4.5 = 27.5, q2 4 + 0.5 - 1.5 = 3; r1 10, r2 20.5.
    """
    sc = fs.scenario_from_dict(TWO_BY_TWO)
    eu = np.zeros(sc.eligible.shape)
    eu[0, 0, 0, 0], eu[0, 1, 0, 0], eu[0, 1, 1, 0], eu[0, 0, 1, 1] = 12.0, 4.0, 0.5, 20.0
    run = fs.simulate(sc, draws=2, evaluation=Evaluation("stress", plan=fs.results.allocation_dataset(sc, eu)))
    np.testing.assert_allclose(run["envelope_excess"].sel(instrument="i"), [[1.5, 5.0]] * 2, atol=1e-12)
    np.testing.assert_allclose(run["cofin_shortfall"], 2.125, atol=1e-12)
    np.testing.assert_allclose(run["lost_by_region"], [[6.0, 0.0]] * 2, atol=1e-12)
    np.testing.assert_allclose(run["lost_by_instrument"], [[6.0]] * 2, atol=1e-12)
    np.testing.assert_allclose(run["lost_to_decommitment"], 6.0, atol=1e-12)
    np.testing.assert_allclose(run["spent_by_pillar"], [[27.5, 3.0]] * 2, atol=1e-12)
    np.testing.assert_allclose(run["spent_by_region"], [[10.0, 20.5]] * 2, atol=1e-12)
    assert list(run["spent_by_pillar"]["pillar"].values) == ["q1", "q2"]
    assert list(run["lost_by_region"]["region"].values) == ["r1", "r2"]


@pytest.mark.parametrize(("weights", "returns", "expected"), [
    ({"default": 1.0}, None, 38.125),
    ({"default": 1.0, "by_pillar": {"q2": 2.0}}, {"breakpoints": [10], "slopes": [1.0, 0.5]}, 34.375)])
def test_the_realised_objective_of_a_plan_worked_by_hand(weights: dict[str, Any], returns: dict[str, Any] | None,
                                                         expected: float) -> None:
    """Impact on total cost: each EUR m of EU money brings 0.25 of co-financing. r1 loses 6 of its 16 (as in
    the test above), 6/16 = 37.5 % of each of its cells: (p1, r1) 12 → 7.5 and (p2, r1) 4 → 2.5 spent; r2 spends
    its 20.5. 30.5 EU spent are 38.125 in all. With q2 worth 2 and returns halving past 10 EUR m in a cell:
    (p1, r1) 9.375 gives 9.375, (p2, r1) 3.125 gives 2 · 3.125, (p2, r2) 0.625 gives 2 · 0.625, (p1, r2) 25
    gives 10 + 7.5: 34.375."""
    spec = copy.deepcopy(TWO_BY_TWO)
    spec["objective"] = {"impact": {"basis": "total", "weights": weights,
                                    **({"diminishing_returns": returns} if returns else {})}}
    sc = fs.scenario_from_dict(spec)
    eu = np.zeros(sc.eligible.shape)
    eu[0, 0, 0, 0], eu[0, 1, 0, 0], eu[0, 1, 1, 0], eu[0, 0, 1, 1] = 12.0, 4.0, 0.5, 20.0
    run = fs.simulate(sc, draws=2, evaluation=Evaluation("stress", plan=fs.results.allocation_dataset(sc, eu)))
    np.testing.assert_allclose(run["realised_objective"], expected, rtol=1e-12)


def test_every_money_output_of_a_stress_run_is_labelled_in_eur_m() -> None:
    """Figures label themselves from ``units`` and ``long_name`` (xarray's ``label_from_attrs``)."""
    sc = fs.scenario_from_dict(TWO_BY_TWO)
    eu = np.zeros(sc.eligible.shape)
    eu[0, 0, 0, 0] = 12.0
    run = fs.simulate(sc, draws=1, evaluation=Evaluation("stress", plan=fs.results.allocation_dataset(sc, eu)))
    labels = {name: (run[name].attrs.get("units"), run[name].attrs.get("long_name")) for name in STRESS_LABELS}
    assert labels == STRESS_LABELS
    assert run["realised_objective"].dims == ("draw",) and run["envelope_excess"].dims == ("draw", "instrument", "year")


STRESS_LABELS = {
    "realised_objective": ("objective units", "objective of the plan under the draw"),
    "lost_to_decommitment": ("EUR m", "EU money decommitted (not paid, or not contracted, by its deadline n + k)"),
    "lost_by_region": ("EUR m", "EU money lost"),
    "lost_by_instrument": ("EUR m", "EU money lost"),
    "payment_backlog": ("EUR m", "payments waiting for absorption capacity, summed over years"),
    "cofin_shortfall": ("EUR m", "co-financing the match sources cannot raise"),
    "envelope_excess": ("EUR m", "commitments above the drawn usable envelope"),
    "spent_by_pillar": ("EUR m", "EU money finally spent"),
    "spent_by_region": ("EUR m", "EU money finally spent"),
}


# ---- scenario/files.py: keys that are not plain text ------------------------------------------------------
KEY_MESSAGE = "a mapping key must be plain text or a number, not a list, a mapping or a tagged value"


def scenario_file(tmp_path: Path, extra: str) -> tuple[Path, int]:
    """The frozen tutorial with ``extra`` added to its ``absorption`` mapping; the number of its first line."""
    old = "absorption:\n  basis: eu\n"
    assert BASE.count(old) == 1
    text = BASE.replace(old, f"{old}  {extra}\n")
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text.splitlines().index(f"  {extra.splitlines()[0]}") + 1


@pytest.mark.parametrize("key", ["[a, b]: eu", "{a: 1}: eu", "!eur basis: eu", "!!binary aGVsbG8=: eu"],
                         ids=["list", "mapping", "custom-tag", "binary-tag"])
def test_a_key_that_is_not_plain_text_is_reported(tmp_path: Path, key: str) -> None:
    path, line = scenario_file(tmp_path, key)
    with pytest.raises(fs.ScenarioError) as info:
        fs.load_scenario(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.path, problem.message) == (str(path), line, "absorption",
                                                                           KEY_MESSAGE)


def test_every_bad_key_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    path, line = scenario_file(tmp_path, "[a, b]: eu\n  {c: 1}: eu")
    with pytest.raises(fs.ScenarioError) as info:
        fs.load_scenario(path)
    assert [(p.line, p.path, p.message) for p in info.value.problems] == [
        (line, "absorption", KEY_MESSAGE), (line + 1, "absorption", KEY_MESSAGE)]


def test_a_plain_key_tagged_as_text_is_still_a_key(tmp_path: Path) -> None:
    """``!!str basis`` is the plain key ``basis``: given twice, it is a duplicate, not a bad key."""
    path, line = scenario_file(tmp_path, "!!str basis: total")
    with pytest.raises(fs.ScenarioError) as info:
        fs.load_scenario(path)
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (line, "absorption.basis")
    assert problem.message == (f"the key 'basis' appears twice in the same mapping (first at line {line - 1}); "
                               "give each key once")


# ---- compare/files.py: unknown labels, one problem per label and table -----------------------------------
def allocation_problems(path: Path) -> list[str]:
    with pytest.raises(AllocationFileError) as info:
        read_allocation(path, fs.load_scenario(TUTORIAL))
    return [str(p) for p in info.value.problems]


def test_an_unknown_label_on_many_lines_names_five_more_and_counts_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("instrument,priority,region,year,amount\n" + "tpma,return,mars,2009,1\n" * 8, encoding="utf-8")
    (msg,) = allocation_problems(path)
    assert msg.startswith(f"{path}:2: column 'region' (also line 3, line 4, line 5, line 6, line 7 and 2 more): "
                          "unknown region 'mars'")


def test_one_text_unknown_as_two_labels_in_two_sheets_is_four_problems(tmp_path: Path) -> None:
    """Two grid sheets, each naming the unknown 'mars' as a priority (B1) and as a region (A2)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title in ("tpma 2009", "tpma 2010"):
        ws = wb.create_sheet(title)
        ws.append(["region", "mars"])
        ws.append(["mars", 5])
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    found = sorted((m.removeprefix(f"{path}: ").split(" ")[1], m.split("unknown ")[1].split(" ")[0])
                   for m in allocation_problems(path))
    assert found == [("2009!A2", "region"), ("2009!B1", "priority"), ("2010!A2", "region"), ("2010!B1", "priority")]


# ---- montecarlo/reoptimise.py: the rebuilt flag ---------------------------------------------------------
def test_rebuilt_marks_exactly_the_draws_with_another_structure() -> None:
    """The TPMA drawn to zero takes its cells out of the LP (another structure, solved cold); drawn at its
    own or twice its money it keeps the scenario's structure (warm)."""
    sc = tutorial([{"id": "t", "path": "instruments.tpma.envelope",
                    "distribution": {"kind": "discrete", "values": [0.0, 1.0], "probabilities": [0.5, 0.5]}}])
    values = np.array([[0.0], [1.0], [2.0], [0.0], [0.0], [1.0]])
    reopt = Reoptimiser(sc)
    run = reopt.solve_draws(drawn_numbers(sc, values), np.arange(len(values)))
    assert run["rebuilt"].values.tolist() == [True, False, False, True, True, False]
    assert reopt.rebuilt == 3
    # the TPMA's 20 (or 40) EUR m is committed only in the draws that have it; the ENPI's 40 in all
    np.testing.assert_allclose(run["eu_by_instrument"].sel(instrument="tpma").values, [0, 20, 40, 0, 0, 20],
                               atol=1e-6)


def test_rebuilt_through_simulate_follows_the_drawn_money() -> None:
    sc = tutorial([{"id": "t", "path": "instruments.tpma.envelope",
                    "distribution": {"kind": "discrete", "values": [0.0, 1.0], "probabilities": [0.5, 0.5]}}])
    run = fs.simulate(sc, draws=12, seed=3, evaluation=Evaluation(executor="sequential", chunk_size=5))
    zero = run["parameter_value"].values[:, 0] == 0.0
    assert zero.any() and not zero.all()
    np.testing.assert_array_equal(run["rebuilt"].values, zero)


# ---- examples/synthetic.py: the generator ---------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 7])
def test_the_generator_is_default_rng_of_the_seed(seed: int) -> None:
    """The first draw of the documented generator, ``numpy.random.default_rng(seed)``, sets the groups of
    the regions after the first four (one per group)."""
    n = 30
    spec = synthetic_spec(n, 3, 4, 2, seed=seed)
    expected = list(GROUPS) + [str(g) for g in np.random.default_rng(seed).choice(GROUPS, size=n - 4, p=GROUP_ODDS)]
    assert [r["group"] for r in spec["regions"]] == expected


def test_the_three_cofinancing_kinds_are_spread_evenly() -> None:
    """Six instruments: two matched by the member states (EU at most 50 %), two by the partner countries
    (80–90 %) and two paid wholly by the EU."""
    spec = synthetic_spec(12, 6, 7, 2, seed=4)
    kinds = sorted((i["cofinancing"].get("match_source", "eu only"), i["cofinancing"]["max_eu_share"])
                   for i in spec["instruments"])
    assert [k for k, _ in kinds] == ["eu only", "eu only", "member_states", "member_states", "partners", "partners"]
    shares = [s for _, s in kinds]
    assert shares[:4] == [1.0, 1.0, 0.5, 0.5] and all(s in (0.8, 0.85, 0.9) for s in shares[4:])


# ---- rules/binaries.py: the big-M of a cell is the most it can hold on its own -------------------------------
@pytest.mark.parametrize(("basis", "expected"), [("eu", 25.0), ("total", 20.0)])
def test_a_cells_big_m_is_its_absorption_over_the_basis(basis: str, expected: float) -> None:
    """TPMA with 30 usable a year, return in North Africa in 2009 (co-financing k = 0.25 per EUR m, profile
    (1.0,)), North Africa absorbs 25 a year, member states could match 100/0.25 = 400: the cell holds
    min(30, 400, 25) = 25 EU money when absorption counts EU money, and 25/(1 + 0.25) = 20 when it counts EU
    money plus co-financing. A smaller value would cut feasible plans; a larger one only weakens the bound."""
    from fundsim.rules.binaries import cell_upper
    from fundsim.rules.rows import Cells

    data = tutorial_data()
    data["instruments"][0]["envelope"] = {2009: 30, 2010: 30}
    data["absorption"]["basis"] = basis
    sc = fs.scenario_from_dict(data)
    cells = Cells(i=np.array([0]), p=np.array([sc.priority_ids.index("return")]),
                  r=np.array([sc.region_ids.index("north_africa")]), y=np.array([0]), col=np.array([0]),
                  k=np.array([0.25]))
    assert cell_upper(sc, cells).tolist() == [expected]
