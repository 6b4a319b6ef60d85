"""Every public function and class shows how it is called: a numpydoc ``Examples`` section with ``>>>`` lines,
which ``pytest --doctest-modules fundsim`` runs (``make test``; issue 13, deliverable 9).

Public means named in a module's ``__all__`` and defined there, outside the packages' ``__init__.py`` (which
only re-export) and outside the command-line commands (``@app.command``), whose ``--help`` is their
documentation. The scan reads the source (no import), so it sees exactly what the doctest run sees.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "fundsim"
EXAMPLES = re.compile(r"^Examples\n-{3,}\n.*?^\s*>>> ", re.M | re.S)


@dataclass(frozen=True)
class Public:
    """One public function or class: ``path::name``, and whether its docstring has runnable examples."""

    path: str
    name: str
    has_examples: bool

    @property
    def key(self) -> str:
        return f"{self.path}::{self.name}"


def _all(tree: ast.Module) -> list[str]:
    """The names a module's ``__all__`` lists (``[]`` when it has none)."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return list(ast.literal_eval(value))
    return []


def _is_command(node: ast.AST) -> bool:
    """Whether a function is a command of the command line (decorated ``@app.command(...)``)."""
    def named(d: ast.expr) -> str:
        d = d.func if isinstance(d, ast.Call) else d
        return d.attr if isinstance(d, ast.Attribute) else d.id if isinstance(d, ast.Name) else ""
    return any(named(d) == "command" for d in getattr(node, "decorator_list", ()))


def has_examples(doc: str | None) -> bool:
    """Whether a (dedented) docstring has an ``Examples`` section with at least one ``>>>`` line.

    Examples
    --------
    >>> has_examples("Sum.\\n\\nExamples\\n--------\\n>>> 1 + 1\\n2\\n")
    True
    >>> has_examples("Sum.\\n\\n>>> 1 + 1\\n2\\n"), has_examples(None)
    (False, False)
    """
    return bool(doc and EXAMPLES.search(doc))


def public_objects() -> list[Public]:
    """Every public function and class of fundsim, in file order."""
    found = []
    for path in sorted(PKG.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {n.name: n for n in tree.body
                   if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and not _is_command(n)}
        rel = path.relative_to(ROOT).as_posix()
        found += [Public(rel, name, has_examples(ast.get_docstring(defined[name])))
                  for name in _all(tree) if name in defined]
    return found


PUBLIC = public_objects()


def _missing(objects: list[Public]) -> str:
    return "\n".join(f"  {p.key}" for p in objects if not p.has_examples) or "  (none)"


def test_the_scan_finds_the_public_api() -> None:
    keys = {p.key for p in PUBLIC}
    assert {"fundsim/solving.py::solve", "fundsim/model/scenario.py::Scenario",
            "fundsim/comparison/metrics.py::herfindahl", "fundsim/outputs.py::write_csv"} <= keys
    assert not any(p.path.endswith("__init__.py") for p in PUBLIC)
    assert len(PUBLIC) > 300


def test_every_public_function_and_class_has_runnable_examples() -> None:
    done = sum(p.has_examples for p in PUBLIC)
    print(f"{done} of {len(PUBLIC)} public functions and classes have runnable examples")
    assert all(p.has_examples for p in PUBLIC), f"without an Examples section of '>>>' lines:\n{_missing(PUBLIC)}"
