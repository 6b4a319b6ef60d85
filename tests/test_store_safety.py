"""Monte Carlo outputs lose nothing and resume only what they verify: the store marker, ``--force``, chunk
digests, interrupts (Ctrl-C, SIGTERM), and the checks made before any draw (seed, plan, draws, memory)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import EXIT_BAD_INPUT, app
from fundsim.montecarlo import Evaluation, Interrupted, Storage
from fundsim.montecarlo import checks as mc_checks
from fundsim.montecarlo.store import ZarrStore
from fundsim.outputs import STORE_MARKER, OutputError

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = "scenarios/tutorial-uncertain.yaml"
RUN = {"draws": 12, "seed": 3, "evaluation": Evaluation(executor="sequential", chunk_size=3)}  # four chunks of three
runner = CliRunner()


@pytest.fixture(scope="module")
def scenario() -> fs.Scenario:
    return fs.load_scenario(ROOT / TUTORIAL)


@pytest.fixture(scope="module")
def clean(scenario: fs.Scenario) -> xr.Dataset:
    """The run computed in memory, never stored: what every resumed store must equal."""
    return fs.simulate(scenario, **RUN)


def equal_to_clean(run: xr.Dataset, clean: xr.Dataset) -> None:
    for name in clean.data_vars:
        xr.testing.assert_equal(clean[name], run[name].load())


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def simulate_args(store: Path, *extra: str) -> list[str]:
    return ["simulate", TUTORIAL, "--draws", "12", "--seed", "3", "--chunk-size", "3", "--out", str(store), *extra]


# ---- never over what fundsim did not make ------------------------------------------------------------------


@pytest.mark.parametrize("zarr_like", [False, True], ids=["a user's folder", "a Zarr store not made by fundsim"])
def test_a_folder_fundsim_did_not_make_is_left_intact(scenario: fs.Scenario, tmp_path: Path, zarr_like: bool) -> None:
    folder = tmp_path / "mine.zarr"
    folder.mkdir()
    (folder / "thesis.txt").write_text("three years of work")
    if zarr_like:
        (folder / ".zgroup").write_text('{"zarr_format": 2}')
    before = files_of(folder)
    result = runner.invoke(app, simulate_args(folder))
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "is not a fundsim store" in result.output and "computed in" not in result.output
    with pytest.raises(OutputError, match="never empties a folder it did not make"):
        fs.simulate(scenario, **RUN, storage=Storage(folder))
    assert files_of(folder) == before


def test_a_store_of_another_run_is_replaced_only_with_force(tmp_path: Path) -> None:
    store = tmp_path / "run.zarr"
    assert runner.invoke(app, simulate_args(store)).exit_code == 0
    other = ["simulate", TUTORIAL, "--draws", "12", "--seed", "4", "--chunk-size", "3", "--out", str(store)]
    refused = runner.invoke(app, other)
    assert refused.exit_code == EXIT_BAD_INPUT, refused.output
    text = refused.output.replace("\n", " ")
    assert "holds another run (seed: store 3, asked 4)" in text and "--force" in text
    assert int(xr.open_zarr(store, consolidated=False).attrs["seed"]) == 3  # untouched
    replaced = runner.invoke(app, [*other, "--force"])
    assert replaced.exit_code == 0, replaced.output
    run = xr.open_zarr(store, consolidated=False)
    assert int(run.attrs["seed"]) == 4 and (store / STORE_MARKER).is_file()
    sc = fs.load_scenario(ROOT / TUTORIAL)
    equal_to_clean(run, fs.simulate(sc, **{**RUN, "seed": 4}))


def test_a_store_whose_run_cannot_be_read_needs_force(scenario: fs.Scenario, clean: xr.Dataset,
                                                      tmp_path: Path) -> None:
    store = tmp_path / "run.zarr"
    fs.simulate(scenario, **RUN, storage=Storage(store))
    (store / ".zattrs").write_text("{not json")
    with pytest.raises(OutputError, match="which run it holds is unknown; --force"):
        fs.simulate(scenario, **RUN, storage=Storage(store))
    equal_to_clean(fs.simulate(scenario, **RUN, storage=Storage(store, force=True)), clean)


def test_outputs_are_checked_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "plainfile").write_text("not a folder")
    inside_a_file = runner.invoke(app, simulate_args(tmp_path / "plainfile" / "run.nc"))
    assert inside_a_file.exit_code == EXIT_BAD_INPUT, inside_a_file.output
    assert "is a file, not a folder" in inside_a_file.output and "computed in" not in inside_a_file.output
    plan = tmp_path / "plan.nc"
    assert runner.invoke(app, ["solve", "scenarios/tutorial.yaml", "--out", str(plan)]).exit_code == 0
    before = plan.read_bytes()
    over_plan = runner.invoke(app, ["simulate", TUTORIAL, "--mode", "stress", "--plan", str(plan), "--draws", "5",
                                    "--out", str(plan)])
    assert over_plan.exit_code == EXIT_BAD_INPUT, over_plan.output
    assert "own inputs" in over_plan.output and plan.read_bytes() == before


def test_a_store_holding_the_scenario_or_its_base_is_refused(tmp_path: Path) -> None:
    """The extending file and the file it extends are both inputs: a store folder holding either is refused."""
    for name in ("tutorial.yaml", "tutorial-uncertain.yaml"):
        (tmp_path / name).write_text((ROOT / "scenarios" / name).read_text())
    folder = tmp_path / "s.zarr"
    folder.mkdir()
    base = folder / "tutorial.yaml"
    base.write_text((ROOT / "scenarios" / "tutorial.yaml").read_text())
    (folder / STORE_MARKER).write_text("")
    extending = folder / "tutorial-uncertain.yaml"
    extending.write_text((ROOT / TUTORIAL).read_text())
    result = runner.invoke(app, ["simulate", str(extending), "--draws", "3", "--out", str(folder)])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "own inputs" in result.output and base.exists() and extending.exists()


def test_a_nc_output_is_written_whole_and_holds_the_largest_seed(tmp_path: Path) -> None:
    out = tmp_path / "run.nc"
    result = runner.invoke(app, ["simulate", TUTORIAL, "--draws", "3", "--seed", str(2**63 - 1), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert int(xr.load_dataset(out).attrs["seed"]) == 2**63 - 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.nc"]  # no temporary file left


@pytest.mark.parametrize("seed", [2**63, -1])
def test_a_seed_outside_the_range_is_refused_before_the_work(seed: int, tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", TUTORIAL, "--draws", "3", "--seed", str(seed),
                                 "--out", str(tmp_path / "run.nc")])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "from 0 to 2**63 - 1" in result.output and not (tmp_path / "run.nc").exists()


# ---- resume verifies ---------------------------------------------------------------------------------------


def test_a_deleted_chunk_file_is_found_recomputed_and_reported(clean: xr.Dataset, tmp_path: Path) -> None:
    store = tmp_path / "run.zarr"
    assert runner.invoke(app, simulate_args(store)).exit_code == 0
    (store / "objective" / "1").unlink()  # draws 3:6 of the objective
    again = runner.invoke(app, simulate_args(store))
    assert again.exit_code == 0, again.output
    assert "recomputed 1 chunk (3 draws)" in again.output and "3 computed in" in again.output
    run = xr.open_zarr(store, consolidated=False)
    assert run.attrs["chunks_recomputed"] == 1 and run.attrs["draws_recomputed"] == 3
    equal_to_clean(run, clean)


def test_a_flipped_chunk_file_is_recomputed(scenario: fs.Scenario, clean: xr.Dataset, tmp_path: Path) -> None:
    store = tmp_path / "run.zarr"
    fs.simulate(scenario, **RUN, storage=Storage(store))
    chunk = store / "eu_by_region" / "2.0"
    data = bytearray(chunk.read_bytes())
    for at in range(len(data) // 2, len(data)):
        data[at] ^= 0xFF
    chunk.write_bytes(bytes(data))
    run = fs.simulate(scenario, **RUN, storage=Storage(store))
    assert run.attrs["chunks_recomputed"] == 1 and run.attrs["draws_computed"] == 3
    equal_to_clean(run, clean)


@pytest.mark.parametrize("what", ["chunk_done", "chunk_done/0", "chunk_digest"])
def test_deleted_chunk_marks_mean_not_done(scenario: fs.Scenario, clean: xr.Dataset, tmp_path: Path,
                                           what: str) -> None:
    """The marks (the whole ``chunk_done`` array, its data file, or the digests) gone: no KeyError, every chunk
    recomputed."""
    import shutil

    store = tmp_path / "run.zarr"
    fs.simulate(scenario, **RUN, storage=Storage(store))
    target = store / what
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    run = fs.simulate(scenario, **RUN, storage=Storage(store))
    assert run.attrs["chunks_recomputed"] == 4 and run.attrs["draws_computed"] == 12
    assert bool(run["chunk_done"].all())
    equal_to_clean(run, clean)


def test_a_store_missing_a_variable_is_laid_out_again(scenario: fs.Scenario, clean: xr.Dataset,
                                                      tmp_path: Path) -> None:
    import shutil

    store = tmp_path / "run.zarr"
    fs.simulate(scenario, **RUN, storage=Storage(store))
    shutil.rmtree(store / "cofin")
    run = fs.simulate(scenario, **RUN, storage=Storage(store))
    assert run.attrs["draws_computed"] == 12
    equal_to_clean(run, clean)


def test_a_draw_without_a_result_is_never_reported_complete(scenario: fs.Scenario, clean: xr.Dataset,
                                                            tmp_path: Path) -> None:
    """A chunk written with a draw lost (its digest consistent with the loss): the run is refused, the chunk
    unmarked, and the next run computes it again."""
    store = tmp_path / "run.zarr"
    fs.simulate(scenario, **RUN, storage=Storage(store))
    lost = xr.Dataset({"objective": ("draw", np.array([np.nan]))})
    lost.to_zarr(store, region={"draw": slice(4, 5)}, zarr_format=2, consolidated=False)
    disk = ZarrStore(store, dict(xr.open_zarr(store, consolidated=False).attrs), [(0, 3), (3, 6), (6, 9), (9, 12)])
    forged = xr.Dataset({"chunk_digest": ("chunk", np.array([disk.digest(3, 6)], dtype="<U32"))})
    forged.to_zarr(store, region={"chunk": slice(1, 2)}, zarr_format=2, consolidated=False)
    with pytest.raises(OutputError, match="1 draws have no result in the store"):
        fs.simulate(scenario, **RUN, storage=Storage(store))
    run = fs.simulate(scenario, **RUN, storage=Storage(store))
    assert run.attrs["draws_computed"] == 3
    equal_to_clean(run, clean)


def test_counts_of_failed_and_infeasible_draws_are_in_the_attrs(clean: xr.Dataset) -> None:
    status = clean["status"].values
    assert clean.attrs["draws_infeasible"] == int((status == "infeasible").sum()) == 0
    assert clean.attrs["draws_failed"] == 0 and clean.attrs["draws_recomputed"] == 0


# ---- interrupts --------------------------------------------------------------------------------------------


def test_an_interrupted_run_keeps_its_chunks_and_resumes_to_the_same_numbers(
        scenario: fs.Scenario, clean: xr.Dataset, tmp_path: Path) -> None:
    store, seen = tmp_path / "run.zarr", []

    def stop_after_two(n: int) -> None:
        seen.append(n)
        if sum(seen) == 6:  # two chunks of three draws written
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as stopped:
        fs.simulate(scenario, **RUN, storage=Storage(store), progress=stop_after_two)
    assert (stopped.value.chunks_kept, stopped.value.n_chunks, stopped.value.draws_kept) == (2, 4, 6)
    assert xr.open_zarr(store, consolidated=False)["chunk_done"].values.tolist() == [True, True, False, False]
    resumed = fs.simulate(scenario, **RUN, storage=Storage(store))
    assert resumed.attrs["draws_computed"] == 6 and resumed.attrs["chunks_recomputed"] == 0
    equal_to_clean(resumed, clean)


def test_the_command_exits_130_saying_what_was_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write = ZarrStore.write
    calls = []

    def write_then_stop(self: ZarrStore, *args: object) -> None:
        write(self, *args)
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(ZarrStore, "write", write_then_stop)
    store = tmp_path / "out" / "x.zarr"
    result = runner.invoke(app, simulate_args(store))
    assert result.exit_code == 130, result.output
    assert f"interrupted: 2 of 4 chunks (6 draws) kept in {store}; run the same command again to resume" \
        in result.output.replace("\n", "")
    monkeypatch.setattr(ZarrStore, "write", write)
    again = runner.invoke(app, simulate_args(store))
    assert again.exit_code == 0 and "resumed: 6 draws were in the store already" in again.output


def test_an_interrupted_run_without_a_store_says_nothing_was_kept(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    def interrupted(task: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("fundsim.montecarlo.run._chunk_task", interrupted)
    result = runner.invoke(app, ["simulate", TUTORIAL, "--draws", "3", "--out", str(tmp_path / "r.nc")])
    assert result.exit_code == 130, result.output
    assert "interrupted: nothing was kept" in result.output and "r.nc was not written" in result.output
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("sig", "workers"), [(signal.SIGINT, "2"), (signal.SIGTERM, "1")],
                         ids=["Ctrl-C to a pool's process group", "SIGTERM"])
def test_a_signal_stops_the_command_with_exit_130_and_the_chunks_kept(tmp_path: Path, sig: int,
                                                                      workers: str) -> None:
    """Ctrl-C reaches every process of the terminal's group (the pool's workers too); SIGTERM the parent."""
    store = tmp_path / "stopped.zarr"
    child = subprocess.Popen([sys.executable, "-m", "fundsim.cli", "simulate", "scenarios/gam-2008-uncertain.yaml",
                              "--draws", "60", "--chunk-size", "4", "--workers", workers, "--out", str(store)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.2)
        try:
            if int(xr.open_zarr(store, consolidated=False)["chunk_done"].values.sum()) >= 2:
                break
        except (OSError, KeyError, ValueError):  # not laid out yet, or being written
            continue
    assert child.poll() is None, "the run ended before it could be stopped"
    os.killpg(child.pid, sig) if sig == signal.SIGINT else child.send_signal(sig)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    found = re.search(r"interrupted: (\d+) of 15 chunks \((\d+) draws\) kept in .*stopped\.zarr; run the same "
                      r"command again to resume", stderr.replace("\n", ""))
    assert found, stderr
    kept = int(found.group(1))
    assert kept >= 2 and int(found.group(2)) == 4 * kept
    assert int(xr.open_zarr(store, consolidated=False)["chunk_done"].values.sum()) == kept
    assert not _group_alive(child.pid, within=15), "a worker of the pool was left running"


def _group_alive(group: int, within: float) -> bool:
    """Whether a process of ``group`` still exists after ``within`` seconds (an exited worker is reaped by init)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.2)
    return True


# ---- refused before any draw -------------------------------------------------------------------------------


def test_too_many_draws_are_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", TUTORIAL, "--draws", "1000000000000"])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    text = result.output.replace("\n", " ")
    assert "1,000,000,000,000 draws is above the limit draws = 100000000" in text and "FUNDSIM_LIMIT_DRAWS" in text


def test_a_run_that_would_not_fit_in_memory_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(mc_checks, "available_memory", lambda: 50_000_000)
    result = runner.invoke(app, ["simulate", TUTORIAL, "--mode", "stress", "--draws", "2000000",
                                 "--out", str(tmp_path / "r.nc")])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    text = result.output.replace("\n", " ")
    for part in ("2,000,000 draws needing about", "4,000,000 draws held in memory until the end",
                 "50.0 MB of memory available", "a .zarr store", "fewer draws", "memory_share = 0.8"):
        assert part in text, part
    sc = fs.load_scenario(ROOT / TUTORIAL)  # a store holds only the chunks in flight: the same run fits
    mc_checks.check_memory(sc, 2_000_000, Evaluation("stress", chunk_size=10_000), in_memory=False, workers=2)


@pytest.mark.parametrize("mode", ["reoptimise", "stress"])
def test_the_memory_estimate_is_on_the_high_side_of_what_a_draw_takes(scenario: fs.Scenario, mode: str) -> None:
    plan = fs.solve(scenario) if mode == "stress" else None
    run = fs.simulate(scenario, draws=40, evaluation=Evaluation(mode, plan=plan, executor="sequential"))
    taken = sum(v.nbytes for v in run.data_vars.values() if "draw" in v.dims) / 40
    estimate = mc_checks.per_draw_bytes(scenario, mode, keep_allocations=False)
    assert taken <= estimate <= 4 * taken


def test_a_plan_that_is_a_run_or_a_pipe_is_refused(tmp_path: Path) -> None:
    run_nc = tmp_path / "run.nc"
    assert runner.invoke(app, ["simulate", TUTORIAL, "--draws", "3", "--out", str(run_nc)]).exit_code == 0
    store = tmp_path / "run.zarr"
    assert runner.invoke(app, ["simulate", TUTORIAL, "--draws", "3", "--out", str(store)]).exit_code == 0
    pipe = tmp_path / "plan.nc"
    os.mkfifo(pipe)
    for plan, says in ((run_nc, "is a Monte Carlo run in reoptimise mode written by 'fundsim simulate'"),
                       (store, "is a Monte Carlo run store written by 'fundsim simulate --out …zarr'"),
                       (pipe, "this is a named pipe, not a regular file")):
        result = runner.invoke(app, ["simulate", TUTORIAL, "--mode", "stress", "--plan", str(plan), "--draws", "5"])
        assert result.exit_code == EXIT_BAD_INPUT, result.output
        assert says in result.output.replace("\n", " "), result.output
