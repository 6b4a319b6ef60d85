"""Functions take at most seven parameters (rarer options are grouped in small typed objects), and a typed
option given a wrong value is refused with the valid choices listed."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, get_args

import pytest

import fundsim as fs
from fundsim.errors import ArgumentError
from fundsim.montecarlo import Evaluation, Sampling, Storage
from fundsim.montecarlo.options import DesignName, ExecutorName, Mode

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "fundsim"
MOST = 7
UNCERTAIN = ROOT / "scenarios" / "tutorial-uncertain.yaml"


CONTRACT = ("solver", "options", "progress")  # every entry point (every long one, for progress) takes them by the
# project's contract: not counted


def _parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> list[str]:
    """The names of ``fn``'s parameters (``*args`` and ``**kwargs`` count one each), ``self``/``cls`` and the
    :data:`CONTRACT` keywords left out."""
    a = fn.args
    names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    names += [p.arg for p in (a.vararg, a.kwarg) if p is not None]
    if in_class and names[:1] in (["self"], ["cls"]):
        names = names[1:]
    return [n for n in names if n not in CONTRACT]


def _functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, bool]]:
    """Every function of a module with its qualified name and whether it is a method."""
    found = []

    def visit(node: ast.AST, prefix: str, in_class: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append((prefix + child.name, child, in_class))
                visit(child, f"{prefix}{child.name}.", False)
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.", True)
            else:
                visit(child, prefix, in_class)

    visit(tree, "", False)
    return found


def too_many(source: str) -> list[str]:
    """``name (n): parameters`` of each function of ``source`` with more than :data:`MOST` parameters."""
    out = []
    for name, fn, in_class in _functions(ast.parse(source)):
        params = _parameters(fn, in_class)
        if len(params) > MOST:
            out.append(f"{name} ({len(params)}): {', '.join(params)}")
    return out


def test_the_scan_counts_as_a_reader_would() -> None:
    source = ("def eight(a, b, c, d, e, f, g, h): ...\n"
              "def seven(a, b, *, c, d, e, **f): ...\n"
              "def star(a, b, c, d, e, f, *g, **h): ...\n"
              "class K:\n"
              "    def method(self, a, b, c, d, e, f, g): ...\n"
              "    @classmethod\n"
              "    def make(cls, a, b, c, d, e, f, g, h): ...\n"
              "def outer():\n"
              "    def inner(a, b, c, d, e, f, g, h): ...\n")
    assert too_many(source) == ["eight (8): a, b, c, d, e, f, g, h", "star (8): a, b, c, d, e, f, g, h",
                                "K.make (8): a, b, c, d, e, f, g, h", "outer.inner (8): a, b, c, d, e, f, g, h"]


def test_no_function_has_more_than_seven_parameters() -> None:
    # fundsim/cli/ is exempt: each parameter of a command function is one of its command-line options (typer
    # reads them from the signature), so a command has as many as it has options.
    offenders = []
    for path in sorted(PKG.rglob("*.py")):
        if "cli" in path.relative_to(PKG).parts[:1]:
            continue
        offenders += [f"{path.relative_to(ROOT)}: {o}" for o in too_many(path.read_text(encoding="utf-8"))]
    assert not offenders, "group these parameters in a small config object (or split the function):\n" + \
        "\n".join(offenders)


# ---- typed options ----------------------------------------------------------------------------------------
def _refused(make: Any, *words: str) -> str:
    with pytest.raises(ArgumentError) as info:
        make()
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    return message


def test_an_unknown_mode_lists_the_modes() -> None:
    assert get_args(Mode) == ("reoptimise", "stress")
    _refused(lambda: Evaluation("optimise"), "unknown mode 'optimise'; the modes are: reoptimise, stress")  # type: ignore[arg-type]
    _refused(lambda: Evaluation(3), "unknown mode 3; the modes are: reoptimise, stress")  # type: ignore[arg-type]


def test_an_unknown_design_lists_the_designs() -> None:
    assert get_args(DesignName) == ("random", "lhs", "sobol")
    _refused(lambda: Sampling(10, design="latin"), "unknown design 'latin'; the designs are: random, lhs, sobol")  # type: ignore[arg-type]
    _refused(lambda: fs.simulate(UNCERTAIN, 3, design="halton"), "unknown design 'halton'",  # type: ignore[arg-type]
             "random, lhs, sobol")


def test_an_unknown_executor_lists_the_executors() -> None:
    assert get_args(ExecutorName) == ("sequential", "processes")
    _refused(lambda: Evaluation(executor="gpu"), "unknown executor 'gpu'", "'sequential', 'processes'",
             "a dask.distributed.Client", "a scheduler address tcp://host:port")


def test_every_listed_choice_is_taken() -> None:
    for mode in get_args(Mode):
        assert Evaluation(mode).mode == mode
    for design in get_args(DesignName):
        assert Sampling(4, seed=1, design=design).design == design
    for executor in (*get_args(ExecutorName), "tcp://127.0.0.1:8786", None):
        assert Evaluation(executor=executor).executor == executor


@pytest.mark.parametrize(("make", "words"), [
    (lambda: Sampling(0), "draws must be a whole number of at least 1, got 0"),
    (lambda: Sampling(2.5), "draws must be a whole number of at least 1, got 2.5"),
    (lambda: Sampling(True), "draws must be a whole number of at least 1, got True"),
    (lambda: Sampling(5, seed=-1), "seed must be a whole number from 0 to 2**63 - 1"),
    (lambda: Evaluation(chunk_size=0), "chunk_size must be a whole number of at least 1, got 0"),
])
def test_numbers_out_of_range_are_refused(make: Any, words: str) -> None:
    _refused(make, words)


@pytest.mark.parametrize(("make", "words"), [
    (lambda: Evaluation("stress", plan=3), "plan: got the int 3; give None, a fundsim.Allocation"),
    (lambda: Evaluation(keep_allocations="yes"), "keep_allocations: got the str 'yes'; give True or False"),
    (lambda: Storage(3), "storage path: got the int 3; give the path of a .zarr folder"),
    (lambda: Storage("r.zarr", force=1), "force: got the int 1; give True or False"),
    (lambda: fs.simulate(UNCERTAIN, 3, evaluation="stress"), "evaluation: got the str 'stress'; give a "
                                                             "fundsim.montecarlo.Evaluation"),
    (lambda: fs.simulate(UNCERTAIN, 3, storage="r.zarr"), "storage: got the str 'r.zarr'; give a "
                                                          "fundsim.montecarlo.Storage"),
    (lambda: fs.simulate(UNCERTAIN, 3, progress="bar"), "progress: got the str 'bar'"),
    (lambda: fs.sensitivity.sweep(UNCERTAIN, "instruments.tpma.envelope", [1.0], evaluation={"mode": "stress"}),
     "evaluation: got the dict"),
])
def test_options_of_the_wrong_kind_are_refused_by_name(make: Any, words: str) -> None:
    with pytest.raises(TypeError, match=None) as info:
        make()
    assert words in str(info.value)


def test_options_are_frozen_and_a_variant_is_a_copy() -> None:
    import dataclasses

    base = Evaluation(executor="sequential")
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.mode = "stress"  # type: ignore[misc]
    stress = dataclasses.replace(base, mode="stress")
    assert (base.mode, stress.mode, stress.executor) == ("reoptimise", "stress", "sequential")
    assert Storage("out/run.zarr").path == Path("out/run.zarr")
