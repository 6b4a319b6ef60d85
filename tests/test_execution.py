"""The same numbers on every executor; runs streamed to Zarr resume after a kill."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import xarray as xr

import fundsim as fs
from fundsim.montecarlo import Evaluation, Storage
from fundsim.montecarlo.executors import ProcessExecutor, SequentialExecutor

ROOT = Path(__file__).resolve().parents[1]
VARYING = ("wall_seconds", "created", "chunk_size", "executor", "workers", "draws_computed")


def same(a: xr.Dataset, b: xr.Dataset) -> None:
    """Bit-for-bit equal data; attrs equal but for timing and how the run was split."""
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    assert {k: v for k, v in a.attrs.items() if k not in VARYING} == \
        {k: v for k, v in b.attrs.items() if k not in VARYING}


@pytest.fixture(scope="module")
def scenario() -> fs.Scenario:
    return fs.load_scenario(ROOT / "scenarios" / "tutorial-uncertain.yaml")


@pytest.fixture(scope="module")
def dask_client():  # type: ignore[no-untyped-def]
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_sequential_pool_and_dask_agree_bit_for_bit(scenario: fs.Scenario, dask_client) -> None:  # type: ignore[no-untyped-def]
    reference = fs.simulate(scenario, draws=24, seed=11, evaluation=Evaluation(executor="sequential", chunk_size=24))
    with_pool = fs.simulate(scenario, draws=24, seed=11,
                            evaluation=Evaluation(executor=ProcessExecutor(2), chunk_size=5))
    on_dask = fs.simulate(scenario, draws=24, seed=11, evaluation=Evaluation(executor=dask_client, chunk_size=7))
    same(reference, with_pool)
    same(reference, on_dask)
    assert with_pool.attrs["executor"] == "processes" and on_dask.attrs["executor"] == "dask"


def test_stress_mode_agrees_across_executors(scenario: fs.Scenario, dask_client) -> None:  # type: ignore[no-untyped-def]
    plan = fs.solve(scenario)
    def stress(executor: object, chunk_size: int) -> xr.Dataset:
        how = Evaluation("stress", plan=plan, executor=executor, chunk_size=chunk_size)
        return fs.simulate(scenario, draws=3000, seed=4, design="lhs", evaluation=how)

    reference = stress("sequential", 3000)
    same(reference, stress(ProcessExecutor(2), 700))
    same(reference, stress(dask_client, 1000))


def test_a_zarr_store_holds_the_same_run(scenario: fs.Scenario, tmp_path: Path) -> None:
    memory = fs.simulate(scenario, draws=30, seed=2, evaluation=Evaluation(executor="sequential", chunk_size=8))
    stored = fs.simulate(scenario, draws=30, seed=2, evaluation=Evaluation(executor="sequential", chunk_size=8),
                         storage=Storage(tmp_path / "r.zarr"))
    assert bool(stored["chunk_done"].all())
    for name in memory.data_vars:
        xr.testing.assert_equal(memory[name].load(), stored[name].load())
    assert stored.attrs["seed"] == 2 and stored.attrs["scenario_hash"] == scenario.digest


def test_a_store_refuses_another_run(scenario: fs.Scenario, tmp_path: Path) -> None:
    fs.simulate(scenario, draws=6, seed=1, evaluation=Evaluation(executor="sequential", chunk_size=3),
                storage=Storage(tmp_path / "r.zarr"))
    with pytest.raises(ValueError, match=r"holds another run \(seed: store 1, asked 2\)"):
        fs.simulate(scenario, draws=6, seed=2, evaluation=Evaluation(executor="sequential", chunk_size=3),
                    storage=Storage(tmp_path / "r.zarr"))


KILLED_RUN = """
import sys, fundsim as fs
from fundsim.montecarlo import Evaluation, Storage
sc = fs.load_scenario(sys.argv[1])
how = Evaluation(executor="sequential", chunk_size=4)
fs.simulate(sc, draws=int(sys.argv[2]), seed=5, evaluation=how, storage=Storage(sys.argv[3]))
"""


def test_a_run_killed_with_sigkill_resumes_to_the_same_numbers(tmp_path: Path) -> None:
    """Start a run in a subprocess, SIGKILL it once some chunks are on disk, restart it: the result equals
    an uninterrupted run."""
    scenario_file = ROOT / "scenarios" / "gam-2008-uncertain.yaml"
    store, draws = tmp_path / "killed.zarr", 48
    child = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(scenario_file), str(draws), str(store)],
                             cwd=ROOT)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.2)
        try:
            done = int(xr.open_zarr(store, consolidated=False)["chunk_done"].values.sum())
        except (OSError, KeyError, ValueError):  # not laid out yet, or being written
            continue
        if done >= 2:
            break
    assert child.poll() is None, "the run ended before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert 2 <= done < draws // 4
    # a file Zarr was writing when the kill came (written under a temporary name, renamed when complete)
    (store / ".zgroup.0123456789abcdef.partial").write_text("{")
    sc = fs.load_scenario(scenario_file)
    seen = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = fs.simulate(sc, draws=draws, seed=5, evaluation=Evaluation(executor="sequential", chunk_size=4),
                              storage=Storage(store), progress=seen.append)
    assert not [w for w in caught if "partial" in str(w.message)], "the half-written file was not cleared"
    assert not list(store.rglob("*.partial"))
    assert seen[0] >= 8  # the finished chunks were counted, not run again
    uninterrupted = fs.simulate(sc, draws=draws, seed=5, evaluation=Evaluation(executor="sequential", chunk_size=4))
    for name in uninterrupted.data_vars:
        xr.testing.assert_equal(uninterrupted[name], resumed[name].load())


def test_a_failing_chunk_stops_the_pool() -> None:
    with pytest.raises(ValueError, match="math domain error"), ProcessExecutor(2) as pool:
        list(pool.run(math.sqrt, [1.0, 4.0, -1.0, 9.0]))
    assert pool._pool is None


def test_sequential_executor_runs_in_order() -> None:
    with SequentialExecutor() as pool:
        assert list(pool.run(math.sqrt, [1.0, 4.0])) == [(0, 1.0), (1, 2.0)]


def test_unknown_executor() -> None:
    with pytest.raises(ValueError, match=r"use 'sequential', 'processes', a dask\.distributed\.Client"):
        fs.simulate(fs.load_scenario(ROOT / "scenarios" / "tutorial-uncertain.yaml"), draws=2,
                    evaluation=Evaluation(executor="gpu"))


def test_draws_sifting_cannot_decide_are_solved_cold_with_the_same_answers(
        scenario: fs.Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """A draw whose restricted LP sifting cannot decide is solved cold on its own LP: objectives equal cold
    solves of each draw's scenario, and the run does not depend on the chunking."""
    from fundsim.solvers.sifting import Sifting

    monkeypatch.setattr(Sifting, "solve", lambda self, lp: None)
    run = fs.simulate(scenario, draws=12, seed=8, evaluation=Evaluation(executor="sequential", chunk_size=12))
    same(run, fs.simulate(scenario, draws=12, seed=8, evaluation=Evaluation(executor="sequential", chunk_size=5)))
    values = fs.montecarlo.parameter_values(scenario.uncertainty, fs.montecarlo.unit_design(
        "random", 12, len(scenario.uncertainty.sources), 8))
    numbers = fs.montecarlo.drawn_numbers(scenario, values)
    for d in (0, 5, 11):
        cold = fs.solve(fs.montecarlo.scenario_of_draw(scenario, numbers, d)).objective
        assert float(run["objective"][d]) == pytest.approx(cold, rel=1e-9)
