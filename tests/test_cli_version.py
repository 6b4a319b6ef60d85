"""``fundsim --version``: the versions a bug report needs, without starting the engine."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from typer.testing import CliRunner

from fundsim.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_version_names_fundsim_python_and_the_solvers() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == (f"fundsim {version('fundsim')} (Python {platform.python_version()}, "
                                     f"highspy {version('highspy')}, PuLP {version('pulp')})")


def test_version_wins_over_a_command_and_starts_no_engine() -> None:
    probe = ("import sys; from fundsim.cli import app\n"
             "try:\n    app(['--version', 'solve', 'no-such-file.yaml'])\n"
             "except SystemExit as exit:\n    code = exit.code\n"
             "print(code, sorted(m for m in ('numpy', 'pandas', 'highspy', 'xarray') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    shown, last = run.stdout.strip().splitlines()
    assert shown.startswith("fundsim ")
    assert last == "0 ['numpy']"  # exit 0 before the command runs; the model's numpy only: no solver, no pandas
