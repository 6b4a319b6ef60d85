"""Imports run one way (DESIGN.md): the domain knows no solver, solvers know no domain."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "fundsim"

# what each part may import of fundsim (besides itself); "*" = anything
ALLOWED: dict[str, set[str]] = {
    "_version": set(),
    "errors": set(),
    "outputs": {"errors"},
    "limits": {"errors"},
    "model": set(),
    "scenario": {"model", "errors", "limits"},
    "lp": {"model", "errors"},
    "solvers": {"lp", "errors"},
    "results": {"model", "lp", "solvers", "errors", "_version", "outputs", "limits"},
    "diagnose": {"model", "lp", "solvers", "errors"},
    "solving": {"model", "scenario", "lp", "solvers", "results", "errors", "diagnose", "limits"},
    "testing": {"model", "results", "errors"},
    "examples": {"model", "scenario", "errors"},
    "montecarlo": {"model", "lp", "solvers", "results", "diagnose", "errors", "_version", "outputs", "limits"},
    "sensitivity": {
        "model",
        "scenario",
        "lp",
        "solvers",
        "results",
        "diagnose",
        "montecarlo",
        "solving",
        "errors",
        "_version",
        "outputs",
        "limits",
    },
    "comparison": {
        "model",
        "scenario",
        "lp",
        "solvers",
        "results",
        "diagnose",
        "solving",
        "testing",
        "errors",
        "_version",
        "outputs",
        "limits",
    },
    "plots": {"model", "results", "montecarlo", "sensitivity", "comparison", "errors"},
    "reporting": {"*"},
    "cli": {"*"},
    "__init__": {"*"},
}


def _part(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fundsim"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("fundsim."):
                    found.add(alias.name.split(".")[1])
    return found


def test_every_part_is_known() -> None:
    parts = {_part(p) for p in PKG.rglob("*.py")}
    assert parts <= set(ALLOWED) | {"montecarlo", "sensitivity", "comparison", "plots", "reporting"}, parts - set(
        ALLOWED
    )


def test_imports_follow_the_layering() -> None:
    bad = []
    for path in PKG.rglob("*.py"):
        part = _part(path)
        allowed = ALLOWED.get(part, {"*"})
        if "*" in allowed:
            continue
        for imported in _imports(path) - {part}:
            if imported not in allowed:
                bad.append(f"{path.relative_to(PKG)} imports fundsim.{imported}")
    assert not bad, "\n".join(bad)


def test_solvers_see_only_the_linear_program() -> None:
    for path in (PKG / "solvers").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fundsim.lp"):
                assert node.module == "fundsim.lp.program", f"{path.name} imports {node.module}"
