"""Lazy public names (PEP 562): a package's objects are imported from their modules on first use.

A package lists where each public name lives once, as the imports of its ``if TYPE_CHECKING:`` block (type
checkers and readers see them there), and sets ``__getattr__, __dir__ = attach(__name__, __file__)``.
Nothing heavy (plotting, scipy.stats, a solver, SALib, Dask) is imported before a name that needs it is used.

>>> import fundsim.plots
>>> "sweep_plot" in dir(fundsim.plots)
True
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["attach"]

_MACHINERY = {"TYPE_CHECKING", "attach"}  # bound in the package for this module's sake, not part of its API


def origins(package: str, init_file: str) -> dict[str, str]:
    """Public name → the module it comes from, read from the ``if TYPE_CHECKING:`` block of ``init_file``.

    ``from fundsim import plots`` inside the package ``fundsim`` names its submodule ``fundsim.plots``.
    """
    found: dict[str, str] = {}
    for node in ast.parse(Path(init_file).read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for imp in node.body:
                if not isinstance(imp, ast.ImportFrom) or imp.module is None:
                    raise TypeError(f"{init_file}: lazy names are declared as 'from MODULE import NAME' only")
                for alias in imp.names:
                    name = alias.asname or alias.name
                    found[name] = f"{package}.{alias.name}" if imp.module == package else imp.module
    return found


def attach(package: str, init_file: str) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package`` (its ``__init__`` is ``init_file``).

    Examples
    --------
    >>> import fundsim.plots
    >>> getattr_, dir_ = attach("fundsim.plots", fundsim.plots.__file__)
    >>> getattr_("sweep_plot").__module__, "sweep_plot" in dir_()
    ('fundsim.plots.sensitivity', True)
    """
    where = origins(package, init_file)

    def __getattr__(name: str) -> object:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(where[name])
        value = module if where[name] == f"{package}.{name}" else getattr(module, name)
        setattr(sys.modules[package], name, value)  # found directly from now on
        return value

    def __dir__() -> list[str]:
        return sorted((set(vars(sys.modules[package])) - _MACHINERY) | set(where))

    return __getattr__, __dir__
