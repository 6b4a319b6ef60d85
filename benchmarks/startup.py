"""How long fundsim takes to start, as ratios to ``python -c "import numpy"`` measured in the same run.

Each command runs in a fresh subprocess ``--repeat`` times (default 5) and the best wall time is kept, so
a busy machine's noise mostly drops out; the ratio to the numpy baseline is what to compare between runs
and machines (goal: ≤ 3× for ``import fundsim`` and ``fundsim --help``).

==========================  ==============================================================
command                     what it measures
==========================  ==============================================================
``import numpy``            the baseline: an interpreter and numpy
``import fundsim``          the public API's import (heavy parts load on first use)
``fundsim --help``          the command line's help (``python -m fundsim.cli --help``)
``fundsim validate``        ``validate scenarios/tutorial.yaml``: read and check one file
==========================  ==============================================================

Usage: ``python benchmarks/startup.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import ROOT, SCENARIOS, print_table

COMMANDS: dict[str, list[str]] = {
    "import numpy": ["-c", "import numpy"],
    "import fundsim": ["-c", "import fundsim"],
    "fundsim --help": ["-m", "fundsim.cli", "--help"],
    "fundsim validate": ["-m", "fundsim.cli", "validate", str(SCENARIOS / "tutorial.yaml")],
}


def best_time(args: list[str], repeat: int) -> float:
    """The best wall time, in seconds, of ``repeat`` runs of ``python args`` in fresh subprocesses."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def measure(repeat: int) -> list[dict[str, object]]:
    """One row per command: its best time and its ratio to ``import numpy``."""
    best = {name: best_time(args, repeat) for name, args in COMMANDS.items()}
    base = best["import numpy"]
    return [{"command": name, "best_s": t, "ratio": t / base} for name, t in best.items()]


def main() -> None:
    """Measure every command and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command, best kept (default 5)")
    repeat = max(1, parser.parse_args().repeat)
    columns = [("command", "command", "{}"), ("best_s", "best s", "{:.3f}"), ("ratio", "× import numpy", "{:.1f}")]
    print_table(measure(repeat), columns, f"startup, best of {repeat} (python {sys.version.split()[0]})",
                left=("command",))


if __name__ == "__main__":
    main()
