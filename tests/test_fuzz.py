"""Fuzz tests: mutated shipped inputs give a result or a fundsim error with a message, never another
exception and never a hang.

The shipped scenarios and the evaluators' allocation file are mutated structurally (tests/fuzzing.py: drop,
duplicate, retype, nest, enlarge, rename) and pushed through the whole reading path. ``make test`` runs a
bounded, derandomised sample; ``make fuzz`` runs ``FUNDSIM_FUZZ_EXAMPLES`` examples in all (10 000 by default,
shared by weight) on fresh random data, and prints hypothesis's statistics.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzzing import Hang, hang_guard, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import app
from fundsim.errors import FundsimError, FundsimWarning

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FUZZING = "FUNDSIM_FUZZ_EXAMPLES" in os.environ
# make fuzz: FUNDSIM_FUZZ_EXAMPLES mutated inputs in all, shared by the tests by weight (fresh random data each
# run); make test: a derandomised sample of 30 per test
TOTAL = int(os.environ.get("FUNDSIM_FUZZ_EXAMPLES", "0"))
WEIGHT = {"scenarios": 0.4, "allocations": 0.4, "simulate": 0.1, "cli": 0.1}


def fuzz(part: str) -> settings:
    return settings(max_examples=max(1, round(TOTAL * WEIGHT[part])) if FUZZING else 30, deadline=None,
                    derandomize=not FUZZING, database=settings.default.database if FUZZING else None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.large_base_example])


SOLVE = {"time_limit": 20}


def _yaml(name: str) -> Any:
    return yaml.safe_load((SCENARIOS / name).read_text(encoding="utf-8"))


BASES = {name: _yaml(name) for name in ("tutorial.yaml", "tutorial-uncertain.yaml", "gam-2008.yaml")}


def _write_scenario(folder: Path, name: str, data: Any) -> Path:
    """Write the mutated ``name`` into ``folder`` beside unmutated copies of the shipped files it may extend."""
    for shipped in SCENARIOS.glob("*.yaml"):
        shutil.copy(shipped, folder / shipped.name)
    path = folder / name
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, RecursionError):
        text = repr(data)  # what cannot be written as YAML is still a file a user might give
    path.write_text(text, encoding="utf-8")
    return path


def _outcome(action: Any) -> str:
    """Run ``action``: 'ok' for a result, the error's type name for a fundsim error; anything else fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FundsimWarning)
        try:
            with hang_guard():
                action()
        except FundsimError as exc:
            assert str(exc).strip(), f"{type(exc).__name__} without a message"
            return type(exc).__name__
        except Hang:
            raise
    return "ok"


def _load_and_solve(path: Path) -> None:
    sc = fs.load_scenario(path)
    fs.solve(sc, options=SOLVE)


@fuzz("scenarios")
@given(st.sampled_from(sorted(BASES)).flatmap(lambda name: st.tuples(st.just(name), mutated(BASES[name]))))
def test_mutated_scenarios_load_solve_or_refuse(case: tuple[str, tuple[Any, list[str]]]) -> None:
    name, (data, done) = case
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_scenario(Path(tmp), name, data)
        outcome = _outcome(lambda: _load_and_solve(path))
    assert outcome in {"ok", "ScenarioError", "InfeasibleError", "SolverError", "LimitError"}, (outcome, done)


@fuzz("simulate")
@given(mutated(BASES["tutorial-uncertain.yaml"]))
def test_mutated_uncertain_scenarios_simulate_or_refuse(case: tuple[Any, list[str]]) -> None:
    data, done = case
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_scenario(Path(tmp), "tutorial-uncertain.yaml", data)
        outcome = _outcome(lambda: fs.simulate(fs.load_scenario(path), 4, seed=1))
    assert outcome in {"ok", "ScenarioError", "ArgumentError", "InfeasibleError", "SolverError", "LimitError"}, \
        (outcome, done)


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [row for row in csv.reader(f)][:40]


PLAN = _csv_rows(SCENARIOS / "gam-2008-as-programmed.csv")
GAM = fs.load_scenario(SCENARIOS / "gam-2008.yaml")


def _write_csv(path: Path, rows: Any) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        for row in rows if isinstance(rows, list) else [rows]:
            writer.writerow(row if isinstance(row, list) else [row])


@fuzz("allocations")
@given(mutated(PLAN))
def test_mutated_allocation_files_read_or_refuse(case: tuple[Any, list[str]]) -> None:
    rows, done = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.csv"
        _write_csv(path, rows)
        outcome = _outcome(lambda: fs.read_allocation(path, GAM))
    assert outcome in {"ok", "AllocationFileError", "LimitError", "ScenarioError"}, (outcome, done)


@fuzz("cli")
@given(st.sampled_from(["tutorial.yaml", "gam-2008.yaml"]).flatmap(
    lambda name: st.tuples(st.just(name), mutated(BASES[name]), st.sampled_from(["validate", "solve"]))))
def test_mutated_scenarios_on_the_command_line(case: tuple[str, tuple[Any, list[str]], str]) -> None:
    name, (data, done), command = case
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_scenario(Path(tmp), name, data)
        args = [command, str(path)] + (["--option", "time_limit=20"] if command == "solve" else [])
        with hang_guard():
            result = CliRunner().invoke(app, args)
    assert result.exit_code in {0, 2, 3, 4}, (result.exit_code, done, result.output[-2000:])
    assert result.exception is None or isinstance(result.exception, SystemExit), (done, repr(result.exception))
    assert "Traceback" not in result.output, done


@pytest.mark.parametrize("mutation", ["truncate", "nul", "tabs", "bom", "binary"])
def test_damaged_scenario_text_is_refused_with_a_message(tmp_path: Path, mutation: str) -> None:
    text = (SCENARIOS / "gam-2008.yaml").read_text(encoding="utf-8")
    damaged = {
        "truncate": text[: len(text) // 3],
        "nul": text.replace("instruments:", "instru\x00ments:", 1),
        "tabs": text.replace("  ", "\t", 5),
        "bom": "\ufeff" + text,
        "binary": None,
    }[mutation]
    path = tmp_path / "gam-2008.yaml"
    if damaged is None:
        path.write_bytes(bytes(range(256)) * 8)
    else:
        path.write_text(damaged, encoding="utf-8")
    assert _outcome(lambda: _load_and_solve(path)) in {"ok", "ScenarioError", "LimitError"}
