"""Nothing is coerced without a word: a seed of 1.5 is refused (it would run as 1 and be recorded as 1.5),
and a distribution that could draw outside its parameter's range (a payment delay beyond [0, 1], a negative
capacity or multiplier) is refused at validation, naming the distribution, the path and what would be valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fundsim as fs
from fundsim.model.uncertainty import check_seed

ROOT = Path(__file__).resolve().parents[1]


def tutorial_with(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    spec = fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml").spec
    spec["uncertainty"] = {"parameters": parameters}
    return spec


def problem_of(parameters: list[dict[str, Any]]) -> fs.Problem:
    with pytest.raises(fs.ScenarioError) as info:
        fs.scenario_from_dict(tutorial_with(parameters))
    (p,) = info.value.problems
    return p


def delay(distribution: dict[str, Any]) -> dict[str, Any]:
    return {"id": "d", "path": "instruments.tpma.payment_delay", "mode": "absolute", "distribution": distribution}


def envelope(distribution: dict[str, Any], mode: str = "multiplicative") -> dict[str, Any]:
    return {"id": "e", "path": "instruments.tpma.envelope", "mode": mode, "distribution": distribution}


# ---- seeds ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("seed", "said"), [
    (1.5, "got 1.5 (a float): write 1 or 2"),
    (3.0, "got 3.0 (a float): write 3"),
    (True, "got True (a boolean)"),
    (np.bool_(False), "(a boolean)"),
    (-1, "got -1 (an int)"),
    ("7", "got '7' (a str)"),
    (2**63, "(an int)"),
])
def test_a_seed_that_is_not_a_whole_number_is_refused(seed: Any, said: str) -> None:
    with pytest.raises(ValueError, match=r"^seed must be a whole number from 0 to 2\*\*63 - 1") as info:
        check_seed(seed)
    assert said in str(info.value)


def test_whole_number_seeds_are_taken_as_ints() -> None:
    assert [check_seed(s) for s in (0, 7, np.int64(9), 2**63 - 1)] == [0, 7, 9, 2**63 - 1]
    assert type(check_seed(np.int64(9))) is int


def test_simulate_refuses_a_float_seed_before_drawing() -> None:
    sc = fs.load_scenario(ROOT / "scenarios" / "tutorial-uncertain.yaml")
    with pytest.raises(ValueError, match=r"seed must be a whole number .* got 1.5 \(a float\): write 1 or 2"):
        fs.simulate(sc, draws=2, seed=1.5)  # type: ignore[arg-type]
    run = fs.simulate(sc, draws=2, seed=np.int64(1))  # type: ignore[arg-type]
    assert run.attrs["seed"] == 1 and type(run.attrs["seed"]) is int


# ---- payment delays ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("distribution", "drawn"), [
    ({"kind": "lognormal", "median": 0.2, "sigma": 0.5}, "from 0 to inf"),
    ({"kind": "uniform", "low": 0.0, "high": 1.2}, "from 0 to 1.2"),
    ({"kind": "normal", "mean": 0.3, "sd": 0.1}, "from -inf to inf"),
    ({"kind": "normal", "mean": 0.3, "sd": 0.1, "low": 0.0}, "from 0 to inf"),
    ({"kind": "pert", "low": -0.1, "mode": 0.2, "high": 0.5}, "from -0.1 to 0.5"),
    ({"kind": "discrete", "values": [0.5, 1.5], "probabilities": [0.5, 0.5]}, "from 0.5 to 1.5"),
])
def test_a_payment_delay_that_could_leave_0_1_is_refused(distribution: dict[str, Any], drawn: str) -> None:
    p = problem_of([delay(distribution)])
    assert p.path == "uncertainty.parameters[0].distribution"
    assert p.message == (
        f"the {distribution['kind']} distribution on instruments.tpma.payment_delay can draw {drawn}, but a "
        "payment delay, a share of each year's payments, must lie within [0, 1]; use a uniform, triangular or "
        "pert distribution with low ≥ 0 and high ≤ 1, a normal with low ≥ 0 and high ≤ 1 (truncated), or "
        "discrete values within [0, 1]")


@pytest.mark.parametrize("distribution", [
    {"kind": "uniform", "low": 0.0, "high": 1.0},
    {"kind": "normal", "mean": 0.3, "sd": 0.1, "low": 0.0, "high": 1.0},
    {"kind": "triangular", "low": 0.0, "mode": 0.1, "high": 0.4},
    {"kind": "discrete", "values": [0.0, 1.0], "probabilities": [0.5, 0.5]},
])
def test_a_payment_delay_within_0_1_is_taken(distribution: dict[str, Any]) -> None:
    sc = fs.scenario_from_dict(tutorial_with([delay(distribution)]))
    assert sc.uncertainty is not None and sc.uncertainty.parameters[0].distribution.kind == distribution["kind"]


# ---- numbers that may not be negative ---------------------------------------------------------------------
@pytest.mark.parametrize(("parameter", "what", "drawn"), [
    (envelope({"kind": "normal", "mean": 1.0, "sd": 0.05}), "a multiplier of an envelope", "from -inf to inf"),
    (envelope({"kind": "uniform", "low": -0.1, "high": 1.0}), "a multiplier of an envelope", "from -0.1 to 1"),
    (envelope({"kind": "discrete", "values": [-5.0, 5.0], "probabilities": [0.5, 0.5]}, "absolute"),
     "an envelope", "from -5 to 5"),
    ({"id": "a", "path": "absorption.capacity.north_africa", "distribution": {"kind": "normal", "mean": 1.0,
      "sd": 0.3, "high": 2.0}}, "a multiplier of an absorption capacity", "from -inf to 2"),
    ({"id": "m", "path": "match_sources.member_states.capacity", "mode": "absolute",
      "distribution": {"kind": "triangular", "low": -1.0, "mode": 5.0, "high": 9.0}}, "a match capacity",
     "from -1 to 9"),
    ({"id": "w", "path": "objective.impact.weights", "distribution": {"kind": "uniform", "low": -1.0, "high": 2.0}},
     "a multiplier of an impact weight", "from -1 to 2"),
])
def test_a_distribution_that_could_draw_a_negative_number_is_refused(parameter: dict[str, Any], what: str,
                                                                    drawn: str) -> None:
    p = problem_of([parameter])
    kind, path = parameter["distribution"]["kind"], parameter["path"]
    assert p.path == "uncertainty.parameters[0].distribution"
    assert p.message == (f"the {kind} distribution on {path} can draw {drawn}, but {what} must be 0 or more; use "
                         "a lognormal, a uniform, triangular or pert distribution with low ≥ 0, a normal with "
                         "low ≥ 0 (truncated), or discrete values ≥ 0")


def test_a_refused_distribution_in_a_file_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text((ROOT / "scenarios" / "tutorial.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "variant.yaml"
    path.write_text("extends: base.yaml\nuncertainty:\n  parameters:\n    - id: e\n"
                    "      path: instruments.tpma.envelope\n"
                    "      distribution: {kind: normal, mean: 1, sd: 0.1}\n", encoding="utf-8")
    with pytest.raises(fs.ScenarioError) as info:
        fs.load_scenario(path)
    (p,) = info.value.problems
    assert (p.file, p.line, p.path) == (str(path), 6, "uncertainty.parameters[0].distribution")


@pytest.mark.parametrize("name", ["tutorial-uncertain", "gam-2008-uncertain"])
def test_the_shipped_uncertain_scenarios_need_no_clipping(name: str) -> None:
    sc = fs.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    assert sc.uncertainty is not None and len(sc.uncertainty.parameters) >= 4
