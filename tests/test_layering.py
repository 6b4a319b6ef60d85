"""Imports run one way and never in a loop: the layers and rules of docs/architecture.md, read from its table.

Every import of a fundsim module counts, at any depth (late imports inside functions too); typing-only imports
(``if TYPE_CHECKING:``) count for the layers but not for cycles, as they never run, except in a package's
``__init__.py``, where they declare the lazy public names and run on first use.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from fundsim._lazy import origins

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "fundsim"
DOC = ROOT / "docs" / "architecture.md"
ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*([\w]+)\s*\|([^|]*)\|\s*$")


@dataclass(frozen=True)
class Layer:
    """A part's place: its layer and what it may import (``None``: any part in a lower layer)."""

    level: int
    allowed: frozenset[str] | None


def _table(text: str) -> dict[str, Layer]:
    """The parts of the table in docs/architecture.md: ``| layer | part | may import |``."""
    parts = {}
    for line in text.splitlines():
        if m := ROW.match(line):
            names = {n.strip() for n in m[3].split(",") if n.strip()}
            parts[m[2]] = Layer(int(m[1]), None if names == {"*"} else frozenset(names))
    return parts


LAYERS = _table(DOC.read_text(encoding="utf-8"))


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in sorted(PKG.rglob("*.py"))}


def _part(module: str) -> str:
    """``fundsim.lp.assembly`` → ``lp``; the package itself → ``__init__``."""
    return module.split(".")[1] if "." in module else "__init__"


def _typing_only(tree: ast.Module) -> set[int]:
    """The ids of the import nodes under ``if TYPE_CHECKING:``."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            found.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return found


def _resolve(module: str, name: str) -> str:
    """The module ``from module import name`` loads: a submodule, the module a lazy name comes from, or
    ``module`` itself."""
    if f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    path = MODULES.get(module)
    if path is not None and path.name == "__init__.py":
        lazy = origins(module, str(path))
        if name in lazy and lazy[name] != module:
            return _resolve(lazy[name], name)
    return module


def _targets(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [_resolve(node.module, a.name) for a in node.names]
    return []


def imports(path: Path, *, run_time: bool) -> set[str]:
    """The fundsim modules ``path`` imports anywhere in it; with ``run_time``, not the typing-only ones (but
    those of a package ``__init__``: its lazy names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _typing_only(tree) if run_time and path.name != "__init__.py" else set()
    found = set()
    for node in ast.walk(tree):
        if id(node) not in skip:
            found.update(t for t in _targets(node) if t.split(".")[0] == "fundsim" and t in MODULES)
    return found - {_module(path)}


def import_graph(*, run_time: bool) -> dict[str, set[str]]:
    """Module → the fundsim modules it imports."""
    return {name: imports(path, run_time=run_time) for name, path in MODULES.items()}


def _components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module (each holds a cycle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = stack[stack.index(v):]
            del stack[stack.index(v):]
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def one_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A cycle through the component's first module, as the modules along it (first repeated at the end)."""
    start, inside = component[0], set(component)
    paths = {start: [start]}
    todo = [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(graph[v] & inside):
            if w == start:
                return [*paths[v], start]
            if w not in paths:
                paths[w] = [*paths[v], w]
                todo.append(w)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per loop of modules in ``graph``."""
    return [one_cycle(graph, c) for c in _components(graph)]


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e2"}, "e2": {"e"}}
    assert cycles(graph) == [["a", "b", "c", "a"], ["e", "e2", "e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_table_is_read_and_is_a_layer_order() -> None:
    assert {"model", "rules", "lp", "solvers", "results", "testing", "cli"} <= set(LAYERS)
    assert LAYERS["model"].allowed == frozenset()
    assert LAYERS["testing"].allowed == {"model", "rules", "errors"}
    for part, layer in LAYERS.items():
        for other in layer.allowed or ():
            assert LAYERS[other].level < layer.level, f"{part} (layer {layer.level}) may import {other} above it"


def test_every_part_is_in_the_table() -> None:
    parts = {_part(m) for m in MODULES} - {"__init__"}
    assert parts <= set(LAYERS), f"parts missing from docs/architecture.md: {sorted(parts - set(LAYERS))}"


def _breaks(importer: str, imported: str) -> bool:
    mine, theirs = _part(importer), _part(imported)
    if mine in ("__init__", theirs):
        return False
    layer = LAYERS[mine]
    if LAYERS[theirs].level >= layer.level:
        return True
    return layer.allowed is not None and theirs not in layer.allowed


def test_imports_follow_the_layers() -> None:
    bad = [f"{m} imports {t}" for m, ts in import_graph(run_time=False).items() for t in sorted(ts) if _breaks(m, t)]
    assert not bad, "imports against docs/architecture.md:\n" + "\n".join(bad)


def test_a_wrong_import_is_caught() -> None:
    assert _breaks("fundsim.model.rules", "fundsim.rules.program")  # upwards
    assert _breaks("fundsim.solvers.highs", "fundsim.model.scenario")  # down, but not allowed
    assert _breaks("fundsim.testing", "fundsim.results.allocation")
    assert not _breaks("fundsim.results.allocation", "fundsim.solvers.base")
    assert not _breaks("fundsim.cli.core", "fundsim.reporting")


def test_no_import_cycles() -> None:
    found = cycles(import_graph(run_time=True))
    assert not found, "import cycles:\n" + "\n".join(" → ".join(c) for c in found)


def test_late_imports_count() -> None:
    # fs.solve imports the diagnosis only when a scenario is infeasible, inside the function
    assert "fundsim.diagnose.diagnosis" in imports(PKG / "solving.py", run_time=True)
    # lazy names of a package resolve to the module they come from
    assert "fundsim.lp.assembly" in imports(PKG / "diagnose" / "diagnosis.py", run_time=True)


def test_solvers_see_only_the_linear_program() -> None:
    for path in (PKG / "solvers").glob("*.py"):
        lp = {m for m in imports(path, run_time=False) if _part(m) in ("lp", "rules")}
        assert lp <= {"fundsim.rules.program"}, f"{path.name} imports {lp}"
