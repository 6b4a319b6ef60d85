"""Public functions check their arguments: a wrong kind of argument is a ``TypeError`` naming the parameter,
what it got and what it accepts, raised before any work — never an AttributeError or KeyError from deep
inside. Where a user would expect a path to work (``fs.solve(path)``), it does, as xarray's ``open_dataset``
takes one."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import fundsim as fs
from fundsim.montecarlo import Evaluation
from fundsim.solving import as_scenario

TUTORIAL = "scenarios/tutorial.yaml"
UNCERTAIN = "scenarios/tutorial-uncertain.yaml"
CSV = "scenarios/gam-2008-as-programmed.csv"
SCENARIO = ("give a fundsim.Scenario (fs.load_scenario(path)) or the path of a scenario file (.yaml, .yml or "
            ".toml)")


@pytest.fixture(scope="module")
def sc() -> fs.Scenario:
    return fs.load_scenario(TUTORIAL)


# ---- paths work where a user expects them ---------------------------------------------------------------
def test_solve_takes_a_path(tmp_path: Path) -> None:
    assert fs.solve(TUTORIAL).objective == 130.0  # the tutorial's hand-solved optimum
    assert fs.solve(Path(TUTORIAL)).objective == 130.0


def test_other_functions_take_a_scenario_path(sc: fs.Scenario) -> None:
    optimum = fs.solve(sc)
    gam = fs.load_scenario("scenarios/gam-2008.yaml")
    by_path = fs.read_allocation(CSV, "scenarios/gam-2008.yaml")
    assert by_path.objective == fs.read_allocation(CSV, gam).objective
    assert fs.compare(optimum, scenario=TUTORIAL).names == ("optimum",)
    s = fs.sensitivity.sweep(TUTORIAL, "absorption.capacity.north_africa", [15, 30])
    assert s["objective"].values.round(6).tolist() == [120.0, 135.0]  # the sweep's docstring, by hand
    assert round(fs.sensitivity.budget_frontier(TUTORIAL).value(1.0), 6) == 130.0
    assert as_scenario(sc) is sc


def test_a_path_that_does_not_load_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(fs.ScenarioError):
        fs.solve(tmp_path / "missing.yaml")


# ---- wrong kinds of argument ----------------------------------------------------------------------------
def _raises(call: Callable[[], Any], parameter: str, got: str, accepts: str) -> None:
    with pytest.raises(TypeError) as info:
        call()
    text = str(info.value)
    assert text.startswith(f"{parameter}: got {got}; give "), text
    assert accepts in text, text


@pytest.mark.parametrize(("call", "parameter", "got"), [
    (lambda: fs.solve(None), "scenario", "None"),
    (lambda: fs.solve(3), "scenario", "the int 3"),
    (lambda: fs.report(None), "scenario", "None"),
    (lambda: fs.read_allocation(CSV, None), "scenario", "None"),
    (lambda: fs.compare(fs.solve(TUTORIAL), scenario=2.5), "scenario", "the float 2.5"),
    (lambda: fs.sensitivity.sweep(None, "instruments.tpma.envelope", [1.0]), "scenario", "None"),
    (lambda: fs.sensitivity.tornado(None), "scenario", "None"),
    (lambda: fs.sensitivity.budget_frontier(None), "scenario", "None"),
    (lambda: fs.sensitivity.pareto_front(None), "scenario", "None"),
    (lambda: as_scenario(None), "scenario", "None"),
    (lambda: as_scenario([1], "plan scenario"), "plan scenario", "the list [1]"),
])
def test_a_scenario_that_is_none_of_the_accepted_kinds(call: Callable[[], Any], parameter: str, got: str) -> None:
    _raises(call, parameter, got, SCENARIO)


def test_a_dict_scenario_points_at_scenario_from_dict() -> None:
    _raises(lambda: fs.solve({"name": "x"}), "scenario", "the dict {'name': 'x'}", "fs.scenario_from_dict(d)")


def test_solve_arguments(sc: fs.Scenario) -> None:
    _raises(lambda: fs.solve(sc, solver=None), "solver", "None", "'highs' or 'pulp'")
    _raises(lambda: fs.solve(sc, options=3), "options", "the int 3", "a dict of solver options")
    _raises(lambda: fs.solve(sc, options={1: 2}), "options", "the dict {1: 2}", "a dict of solver options")


def test_compare_arguments(sc: fs.Scenario) -> None:
    optimum = fs.solve(sc)
    accepts = "a fundsim.Allocation (fs.solve(sc), fs.read_allocation(path, sc) or fs.open_allocation(path))"
    _raises(lambda: fs.compare(None), "allocations[0]", "None", accepts)
    _raises(lambda: fs.compare(optimum, CSV), "allocations[1]", f"the str {CSV!r}",
            f"read the file first: fs.read_allocation({CSV!r}, scenario)")
    _raises(lambda: fs.compare(optimum, names="a"), "names", "the str 'a'", "a list of strings")
    _raises(lambda: fs.compare(optimum, names=[1]), "names", "the list [1]", "a list of strings")
    _raises(lambda: fs.compare(optimum, options="fast"), "options", "the str 'fast'", "a dict of solver options")


def test_reading_arguments(sc: fs.Scenario) -> None:
    _raises(lambda: fs.read_allocation(None, sc), "path", "None", "a path (a str or pathlib.Path)")
    _raises(lambda: fs.read_allocation(CSV, sc, sheet=1), "sheet", "the int 1", "a string or None")
    _raises(lambda: fs.read_allocation(CSV, sc, name=["x"]), "name", "the list ['x']", "a string or None")
    _raises(lambda: fs.open_allocation(None), "path", "None", "a path (a str or pathlib.Path)")
    _raises(lambda: fs.open_allocation(7), "path", "the int 7", "a path")


def test_sensitivity_arguments(sc: fs.Scenario) -> None:
    uncertain = fs.load_scenario(UNCERTAIN)
    sweep, path = fs.sensitivity.sweep, "instruments.tpma.envelope"
    _raises(lambda: sweep(sc, path, [1.0], outputs=3), "outputs", "the int 3", "an output name such as 'objective'")
    _raises(lambda: sweep(sc, path, [1.0],
                          evaluation=Evaluation("stress", plan=3)), "plan", "the int 3", "a fundsim.Allocation")
    _raises(lambda: sweep(sc, path, [1.0], relative="yes"), "relative", "the str 'yes'", "True or False")
    _raises(lambda: fs.sensitivity.tornado(uncertain, output=None), "output", "None", "one output name")
    _raises(lambda: fs.sensitivity.tornado(uncertain, low="5%"), "low", "the str '5%'", "a number")
    _raises(lambda: fs.sensitivity.tornado_study(uncertain, outputs=[1]), "outputs", "the list [1]", "output name")
    _raises(lambda: fs.sensitivity.budget_frontier(sc, instrument=3), "instrument", "the int 3",
            "an instrument id (tpma, enpi) or None")
    _raises(lambda: fs.sensitivity.budget_frontier(sc, lo="0"), "lo", "the str '0'", "a number")
    _raises(lambda: fs.sensitivity.budget_frontier(sc, tol=None), "tol", "None", "a number")
    pareto = fs.sensitivity.pareto_front
    _raises(lambda: pareto(sc, objectives="impact"), "objectives", "the str 'impact'", "('impact', 'leverage')")
    _raises(lambda: pareto(sc, objectives=None), "objectives", "None", "a tuple of two or three objective names")
    _raises(lambda: pareto(sc, pillar_targets=3), "pillar_targets", "the int 3", "a dict of target shares")
    _raises(lambda: pareto(sc, tol="a"), "tol", "the str 'a'", "a number")


def test_long_values_are_shortened_in_the_message() -> None:
    with pytest.raises(TypeError) as info:
        fs.solve(list(range(1000)))
    got = re.match(r"scenario: got (.*?); give", str(info.value))
    assert got is not None and len(got.group(1)) < 80 and got.group(1).endswith("…")


def test_simulate_takes_a_path_and_names_a_wrong_scenario() -> None:
    run = fs.simulate("scenarios/tutorial-uncertain.yaml", 4, seed=3)
    assert run.sizes["draw"] == 4 and set(run["status"].values) == {"optimal"}
    with pytest.raises(TypeError, match=r"^scenario: got None; give a fundsim.Scenario"):
        fs.simulate(None, 4)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [1.5, -1, 2**32, True])
def test_sobol_and_morris_refuse_a_seed_salib_cannot_take(seed: object) -> None:
    sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    for study in (fs.sensitivity.sobol, fs.sensitivity.morris):
        with pytest.raises(fs.ArgumentError, match=r"^seed must be a whole number from 0 to 2\*\*32 - 1"):
            study(sc, seed=seed, ignore_correlation=True)  # type: ignore[arg-type]
