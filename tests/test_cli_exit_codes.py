"""Every command returns the exit codes its ``--help`` documents: 0 ok, 2 bad input, 3 infeasible, 4 solver
failure, 130 interrupted (Ctrl-C or SIGTERM: what was written whole is kept, one line says so)."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_OK, EXIT_SOLVER, app
from fundsim.cli.common import EXIT_INTERRUPTED
from fundsim.errors import SolverError

TUTORIAL = "scenarios/tutorial.yaml"
UNCERTAIN = "scenarios/tutorial-uncertain.yaml"
NOTHING_KEPT = "interrupted: nothing was written (fundsim writes each output whole or not at all)"

SENSITIVITY = {  # subcommand: (its arguments on the tutorial, the study function it calls)
    "sweep": ((TUTORIAL, "instruments.tpma.envelope", "--values", "0.5,1"), "sweep"),
    "tornado": ((UNCERTAIN,), "tornado"),
    "sobol": ((UNCERTAIN, "--n", "4", "--ignore-correlation"), "sobol"),
    "morris": ((UNCERTAIN, "--trajectories", "2", "--ignore-correlation"), "morris"),
    "budget-frontier": ((TUTORIAL, "--lo", "0.5", "--hi", "1.5"), "budget_frontier"),
    "pareto": ((TUTORIAL, "--points", "3"), "pareto_front"),
}


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture(scope="module")
def infeasible(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tutorial with a minimum for North Africa above what can reach it (50)."""
    spec = yaml.safe_load(Path(TUTORIAL).read_text())
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 80}]
    path = tmp_path_factory.mktemp("infeasible") / "infeasible.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tutorial's optimum as a CSV allocation, to compare and report on."""
    return fs.solve(fs.load_scenario(TUTORIAL)).save(tmp_path_factory.mktemp("plan") / "plan.csv")


def raising(exc: BaseException) -> Callable[..., Any]:
    def stop(*args: object, **kwargs: object) -> None:
        raise exc

    return stop


def interrupt_solves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the solver runs, wherever a command solves."""
    monkeypatch.setattr(sys.modules["fundsim.cli.core"], "solve_scenario", raising(KeyboardInterrupt()))
    monkeypatch.setattr(sys.modules["fundsim.solving"], "solve", raising(KeyboardInterrupt()))


# ---- validate ---------------------------------------------------------------------------------------------
def test_validate_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("validate", TUTORIAL)[0] == EXIT_OK
    assert run("validate", tmp_path / "none.yaml")[0] == EXIT_BAD_INPUT
    monkeypatch.setattr(sys.modules["fundsim.scenario"], "load_scenario", raising(KeyboardInterrupt()))
    code, text = run("validate", TUTORIAL)
    assert code == EXIT_INTERRUPTED and NOTHING_KEPT in text


# ---- solve ------------------------------------------------------------------------------------------------
def test_solve_exit_0_2_3_4(infeasible: Path, tmp_path: Path) -> None:
    assert run("solve", TUTORIAL)[0] == EXIT_OK
    code, text = run("solve", TUTORIAL, "--out", tmp_path / "a.json")
    assert code == EXIT_BAD_INPUT and "use .nc, .csv or .xlsx" in text
    code, text = run("solve", infeasible)
    assert code == EXIT_INFEASIBLE and "needs at least EUR 80.0 m" in text
    code, text = run("solve", TUTORIAL, "--option", "time_limit=0")
    assert code == EXIT_SOLVER and "limit" in text


def test_solve_interrupted_while_solving_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    interrupt_solves(monkeypatch)
    code, text = run("solve", TUTORIAL, "--out", tmp_path / "a.nc")
    assert code == EXIT_INTERRUPTED
    assert text == f"{NOTHING_KEPT} — run the same command again to redo the rest"
    assert list(tmp_path.iterdir()) == []


def test_solve_interrupted_while_writing_keeps_the_outputs_already_complete(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fs.Allocation, "to_excel", raising(KeyboardInterrupt()))
    nc, xlsx = tmp_path / "a.nc", tmp_path / "a.xlsx"
    code, text = run("solve", TUTORIAL, "--out", nc, "--out", xlsx)
    assert code == EXIT_INTERRUPTED
    assert f"interrupted: kept {nc} (complete); nothing else was written" in text
    assert fs.open_allocation(nc).objective == pytest.approx(130.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nc"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_real_signal_exits_130(signum: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process receives Ctrl-C (SIGINT) or SIGTERM while it computes."""
    def signalled(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signum)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the work goes on until the signal is handled
            time.sleep(0.01)
        raise AssertionError(f"signal {signum} was not handled")

    monkeypatch.setattr(sys.modules["fundsim.cli.core"], "solve_scenario", signalled)
    code, text = run("solve", TUTORIAL, "--out", tmp_path / "a.csv")
    assert code == EXIT_INTERRUPTED and NOTHING_KEPT in text
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is the command's only


def test_an_interrupted_milp_keeps_its_best_plan_where_out_asked(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C as soon as HiGHS finds its first plan for the coherent scenario (a MILP): the plan is kept,
    written, labelled interrupted with its proved gap, and the command exits 130 saying so."""
    from fundsim.comparison.metrics import cube, objective_value
    from fundsim.solvers.highs import HighsSolver
    from fundsim.testing import assert_allocation_feasible

    real = HighsSolver._run

    def ctrl_c_at_the_first_plan(self: HighsSolver) -> bool:
        if self._is_mip():
            self.highs.cbMipImprovingSolution.subscribe(lambda event: os.kill(os.getpid(), signal.SIGINT))
        return real(self)

    monkeypatch.setattr(HighsSolver, "_run", ctrl_c_at_the_first_plan)
    nc, csv = tmp_path / "plan.nc", tmp_path / "plan.csv"
    code, text = run("solve", "scenarios/gam-2008-coherent.yaml", "--out", nc, "--out", csv)
    assert code == EXIT_INTERRUPTED, text
    plan = fs.open_allocation(nc)
    gap = plan.data.attrs["mip_gap"]
    assert plan.status == "interrupted" and 0.0 < gap < np.inf  # the first plan found may be far from the bound
    assert (f"interrupted: kept the best plan found so far (status interrupted, proved within {gap:.2%} of the "
            f"optimum), written to {nc}, {csv}") in text
    sc = fs.load_scenario("scenarios/gam-2008-coherent.yaml")
    assert_allocation_feasible(sc, plan)  # the kept plan keeps every rule
    # scored without the LP, admin cost only on cells that hold money: never below the solver's score, which
    # also pays for cells the unfinished search switched on and left empty
    assert objective_value(sc, cube(sc, plan.data)) >= plan.objective - 1e-9
    np.testing.assert_allclose(cube(sc, fs.read_allocation(csv, sc).data), cube(sc, plan.data), atol=1e-9)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the solver's handler is gone


def test_an_interrupted_lp_solve_raises_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C inside HiGHS's simplex on an LP: HiGHS stops at its next check, nothing is kept."""
    from fundsim.solvers.highs import HighsSolver

    real = HighsSolver._run

    def ctrl_c_in_the_simplex(self: HighsSolver) -> bool:
        self.highs.cbSimplexInterrupt.subscribe(lambda event: os.kill(os.getpid(), signal.SIGINT))
        return real(self)

    monkeypatch.setattr(HighsSolver, "_run", ctrl_c_in_the_simplex)
    code, text = run("solve", TUTORIAL, "--option", "solver=simplex", "--out", tmp_path / "a.nc")
    assert code == EXIT_INTERRUPTED and NOTHING_KEPT in text
    assert list(tmp_path.iterdir()) == []


# ---- simulate (its store cases are tested with the Monte Carlo runs) -----------------------------------------
def test_simulate_exit_0_and_2(tmp_path: Path) -> None:
    assert run("simulate", UNCERTAIN, "--draws", "3")[0] == EXIT_OK
    assert run("simulate", TUTORIAL, "--draws", "3")[0] == EXIT_BAD_INPUT  # no uncertainty declared


def test_an_interrupted_simulation_keeps_its_store_and_resumes(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import fundsim.montecarlo as montecarlo

    real = montecarlo.simulate

    def stopped_after_the_first_chunk(*args: Any, progress: Callable[[int], None], **kwargs: Any) -> Any:
        def chunk_done(n: int) -> None:
            progress(n)
            if n:  # the first call counts the draws already in the store, none
                raise KeyboardInterrupt

        return real(*args, progress=chunk_done, **kwargs)

    store = tmp_path / "run.zarr"
    args = ("simulate", UNCERTAIN, "--draws", "6", "--chunk-size", "3", "--out", store)
    monkeypatch.setattr(montecarlo, "simulate", stopped_after_the_first_chunk)
    code, text = run(*args)
    assert code == EXIT_INTERRUPTED
    assert text.endswith(f"interrupted: 1 of 2 chunks (3 draws) kept in {store}; run the same command again "
                         "to resume")
    monkeypatch.undo()
    code, text = run(*args)
    assert code == EXIT_OK and "resumed: 3 draws were in the store already" in text


# ---- export -----------------------------------------------------------------------------------------------
def test_export_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import highspy

    assert run("export", TUTORIAL, "--out", tmp_path / "a.mps")[0] == EXIT_OK
    (tmp_path / "folder.lp").mkdir()
    code, text = run("export", TUTORIAL, "--out", tmp_path / "folder.lp")
    assert code == EXIT_BAD_INPUT and "a folder of that name exists" in text
    monkeypatch.setattr(highspy.Highs, "writeModel", lambda self, path: highspy.HighsStatus.kError)
    code, text = run("export", TUTORIAL, "--out", tmp_path / "b.mps")
    assert code == EXIT_SOLVER and "HiGHS could not write" in text
    monkeypatch.setattr(highspy.Highs, "writeModel", raising(KeyboardInterrupt()))
    code, text = run("export", TUTORIAL, "--out", tmp_path / "c.mps")
    assert code == EXIT_INTERRUPTED and NOTHING_KEPT in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mps", "folder.lp"]


# ---- compare ----------------------------------------------------------------------------------------------
def test_compare_exit_codes(plan: Path, infeasible: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "cmp.csv"
    code, text = run("compare", TUTORIAL, plan, "--out", out)
    assert code == EXIT_OK, text
    assert out.read_text().splitlines()[0] == "metric,units,optimum,plan"
    code, text = run("compare", TUTORIAL, plan, "--out", tmp_path / "cmp.nc")
    assert code == EXIT_BAD_INPUT and "use .xlsx or .csv" in text
    assert run("compare", infeasible, plan)[0] == EXIT_INFEASIBLE
    code, text = run("compare", TUTORIAL, plan, "--option", "time_limit=0")
    assert code == EXIT_SOLVER and "limit" in text
    interrupt_solves(monkeypatch)
    code, text = run("compare", TUTORIAL, plan, "--out", tmp_path / "again.xlsx")
    assert code == EXIT_INTERRUPTED and NOTHING_KEPT in text
    assert not (tmp_path / "again.xlsx").exists()


# ---- report -----------------------------------------------------------------------------------------------
def test_report_exit_codes(plan: Path, infeasible: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.html"
    assert run("report", TUTORIAL, "--compare", plan, "--out", out)[0] == EXIT_OK
    assert run("report", TUTORIAL, "--out", tmp_path / "r.pdf")[0] == EXIT_BAD_INPUT
    assert run("report", infeasible, "--out", tmp_path / "i.html")[0] == EXIT_INFEASIBLE
    monkeypatch.setattr(sys.modules["fundsim.solving"], "solve", raising(SolverError("stopped at its limit", "limit")))
    assert run("report", TUTORIAL, "--out", tmp_path / "s.html")[0] == EXIT_SOLVER
    before = out.read_bytes()
    interrupt_solves(monkeypatch)
    code, text = run("report", TUTORIAL, "--out", out)
    assert code == EXIT_INTERRUPTED and NOTHING_KEPT in text
    assert out.read_bytes() == before  # the old report stays as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


# ---- sensitivity ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SENSITIVITY))
def test_sensitivity_exit_0_and_2(name: str, tmp_path: Path) -> None:
    args, _ = SENSITIVITY[name]
    out = tmp_path / f"{name}.nc"
    code, text = run("sensitivity", name, *args, "--out", out)
    assert code == EXIT_OK, text
    assert out.is_file() and f"wrote {out}" in text
    code, text = run("sensitivity", name, *args, "--out", tmp_path / f"{name}.xlsx")
    assert code == EXIT_BAD_INPUT and "use .nc or .csv" in text


@pytest.mark.parametrize("name", ["budget-frontier", "pareto"])
def test_sensitivity_on_an_infeasible_scenario_exits_3(name: str, infeasible: Path) -> None:
    args, _ = SENSITIVITY[name]
    code, text = run("sensitivity", name, infeasible, *args[1:])
    assert code == EXIT_INFEASIBLE and "infeasible" in text


@pytest.mark.parametrize(("stop", "expected"), [(SolverError("stopped at its limit", "limit"), EXIT_SOLVER),
                                                (KeyboardInterrupt(), EXIT_INTERRUPTED)])
@pytest.mark.parametrize("name", list(SENSITIVITY))
def test_sensitivity_exit_4_and_130(name: str, stop: BaseException, expected: int, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import fundsim.sensitivity as sensitivity

    args, function = SENSITIVITY[name]
    monkeypatch.setattr(sensitivity, function, raising(stop))
    code, text = run("sensitivity", name, *args, "--out", tmp_path / "study.csv")
    assert code == expected
    assert ("solver failure" in text) if expected == EXIT_SOLVER else (NOTHING_KEPT in text)
    assert list(tmp_path.iterdir()) == []


def test_every_command_documents_its_exit_codes() -> None:
    for command in ("validate", "solve", "simulate", "export", "compare", "report",
                    *(f"sensitivity {name}" for name in SENSITIVITY)):
        code, text = run(*command.split(), "--help")
        assert code == EXIT_OK and "Exit codes: 0 ok; 2 bad input" in text, command
        assert "130 interrupted by Ctrl-C or SIGTERM" in text, command
