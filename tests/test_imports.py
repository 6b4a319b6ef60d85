"""Every module is importable by its dotted path, and ``import fundsim`` stays light (docs/architecture.md)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import fundsim
from fundsim._lazy import origins

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["matplotlib", "scipy.stats", "highspy", "SALib", "dask", "distributed", "pulp", "zarr", "openpyxl"]
# running fundsim.cli.__main__ runs the command; it is checked by running it below
MODULES = [m.name for m in pkgutil.walk_packages(fundsim.__path__, "fundsim.") if not m.name.endswith("__main__")]
LAZY_PACKAGES = ["fundsim", "fundsim.plots", "fundsim.sensitivity", "fundsim.diagnose", "fundsim.solvers",
                 "fundsim.lp", "fundsim.results"]


def loaded_after(code: str) -> dict[str, bool]:
    """Which of :data:`HEAVY` are in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_modules_are_found() -> None:
    assert {"fundsim.comparison.metrics", "fundsim.lp.assembly", "fundsim.solving", "fundsim.reporting.pages"} \
        <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_every_module_imports_by_its_path_and_nothing_shadows_it(name: str) -> None:
    module = importlib.import_module(name)
    parent, _, last = name.rpartition(".")
    assert getattr(importlib.import_module(parent), last) is module, f"{parent}.{last} is not the module {name}"


def test_public_functions_keep_their_names_beside_their_modules() -> None:
    import fundsim.comparison.metrics
    import fundsim.reporting
    import fundsim.solving

    assert fundsim.compare is fundsim.comparison.compare and callable(fundsim.compare)
    assert fundsim.report is fundsim.reporting.report and fundsim.solve is fundsim.solving.solve
    assert fundsim.comparison.metrics.__name__ == "fundsim.comparison.metrics"


def test_import_fundsim_loads_nothing_heavy() -> None:
    loaded = loaded_after("import fundsim")
    assert not any(loaded.values()), [m for m, yes in loaded.items() if yes]


def test_loading_a_scenario_loads_nothing_heavy() -> None:
    loaded = loaded_after("import fundsim as fs\nfs.load_scenario('scenarios/tutorial.yaml')")
    assert not any(loaded.values()), [m for m, yes in loaded.items() if yes]


@pytest.mark.parametrize("args", [["--help"], ["validate", "scenarios/tutorial.yaml"]])
def test_the_light_commands_load_nothing_heavy(args: list[str]) -> None:
    run = f"import runpy, sys\nsys.argv = ['fundsim', *{args!r}]\ntry:\n" \
          "    runpy.run_module('fundsim.cli', run_name='__main__')\nexcept SystemExit as stop:\n" \
          "    assert stop.code in (0, None), stop.code"
    loaded = loaded_after(run)
    assert not any(loaded.values()), [m for m, yes in loaded.items() if yes]


def test_names_load_on_first_use() -> None:
    code = "import fundsim as fs\nassert fs.solve(fs.load_scenario('scenarios/tutorial.yaml')).objective == 130.0"
    assert loaded_after(code)["highspy"]  # the solve needed the solver, and only then loaded it


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_lazy_names_are_all_and_resolve_to_their_modules(package: str) -> None:
    module = importlib.import_module(package)
    where = origins(package, module.__file__)
    assert set(where) == set(module.__all__)
    assert set(module.__all__) <= set(dir(module))
    for name, source in where.items():
        value = getattr(module, name)
        expected = importlib.import_module(source)
        assert value is (expected if source == f"{package}.{name}" else getattr(expected, name)), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"module 'fundsim\.plots' has no attribute 'no_such_chart'"):
        fundsim.plots.no_such_chart  # noqa: B018
    assert "attach" not in dir(fundsim) and "TYPE_CHECKING" not in dir(fundsim)
