"""``fs.compare``: set allocations side by side — metrics, aligned differences, compliance, gap to the optimum
and the rules that explain it."""

from __future__ import annotations

import html
from collections.abc import Sequence
from functools import cached_property
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from fundsim.comparison.attribution import Attribution, attribute
from fundsim.comparison.metrics import CUBE, cube, metrics_table, objective_value
from fundsim.errors import FundsimError
from fundsim.model import Scenario
from fundsim.outputs import write_excel
from fundsim.results import Allocation
from fundsim.results.inputs import wrong_type
from fundsim.solvers.backends import SolverLike, solver_choice
from fundsim.solving import as_scenario, check_options
from fundsim.testing import violations

__all__ = ["Comparison", "ComparisonError", "compare"]



class ComparisonError(FundsimError, ValueError):
    """Allocations cannot be compared: no scenario, another scenario's labels, or names that clash.

    Examples
    --------
    >>> import fundsim as fs
    >>> fs.compare()
    Traceback (most recent call last):
    ...
    fundsim.comparison.comparison.ComparisonError: nothing to compare: give at least one allocation
    """


def _is_optimum(alloc: Allocation, sc: Scenario) -> bool:
    return (alloc.lp is not None and alloc.result is not None and alloc.data.attrs.get("status") == "optimal"
            and alloc.data.attrs.get("scenario_hash") == sc.digest)


class Comparison:
    """Allocations of one scenario side by side. Make one with :func:`compare`.

    Attributes
    ----------
    scenario : the scenario whose rules and objective apply
    names : one name per allocation, in the order given
    allocations : the allocations
    eu : DataArray ``(allocation, instrument, priority, region, year)`` of EU commitments, EUR m

    Examples
    --------
    >>> import pathlib, tempfile, fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "spread.csv"
    >>> lines = ["instrument,priority,region,year,amount"] + [
    ...     f"{i},{p},{r},{y},{eu}" for i, p, r, eu in [("tpma", "remittances", "north_africa", 5),
    ...     ("tpma", "mobility", "eastern_partnership", 5), ("enpi", "return", "north_africa", 10),
    ...     ("enpi", "mobility", "eastern_partnership", 10)] for y in (2009, 2010)]
    >>> _ = path.write_text("\\n".join(lines))
    >>> cmp = fs.compare(fs.solve(sc), fs.read_allocation(path, sc, name="spread"))
    >>> cmp.names, cmp.objectives.to_dict()
    (('optimum', 'spread'), {'optimum': 130.0, 'spread': 115.0})
    >>> cmp.summary("pillar")["spread"].to_dict()
    {'legal': 30.0, 'irregular': 20.0, 'development': 10.0}
    >>> cmp.eu.dims
    ('allocation', 'instrument', 'priority', 'region', 'year')
    """

    def __init__(self, scenario: Scenario, allocations: Sequence[Allocation], names: Sequence[str],
                 options: dict[str, Any] | None = None, solver: SolverLike = "highs") -> None:
        self.scenario = scenario
        self.allocations = tuple(allocations)
        self.names = tuple(names)
        self.options = dict(options or {})
        self.solver = solver_choice(solver, self.options)
        self._solved: Allocation | None = None

    # ---- data ---------------------------------------------------------------------------------------
    def _cube(self, name: str, variable: str = "eu") -> np.ndarray:
        return cube(self.scenario, self.allocations[self._index(name)].data, variable)

    def _index(self, name: str | int) -> int:
        if isinstance(name, int):
            return name
        if name not in self.names:
            raise ComparisonError(f"no allocation called {name!r} in this comparison; it holds {list(self.names)}")
        return self.names.index(name)

    @cached_property
    def eu(self) -> xr.DataArray:
        sc = self.scenario
        coords: dict[str, Any] = {"allocation": list(self.names), **sc.cube_coords()}
        values = np.stack([self._cube(n) for n in self.names])
        return xr.DataArray(values, dims=("allocation", *CUBE), coords=coords, name="eu",
                            attrs={"units": "EUR m", "long_name": "EU commitment"})

    def summary(self, by: str) -> pd.DataFrame:
        """EU commitments (EUR m) by ``pillar``, ``group`` (region group) or any cube dimension, one column per
        allocation."""
        dims = [d for d in CUBE if d not in self.eu[by].dims]
        table = self.eu.sum(dims)
        if by in ("pillar", "group"):
            table = table.groupby(by).sum()
            order = list(dict.fromkeys(self.eu[by].values.tolist()))
            table = table.sel({by: order})
        return table.transpose(by, "allocation").to_pandas()

    @cached_property
    def differences(self) -> xr.Dataset:
        """EU commitments and total cost of each allocation minus the first one's, aligned on the scenario's
        labels (dim ``allocation``: every allocation but the first)."""
        first = self.names[0]
        out = {}
        for variable, long_name in (("eu", "EU commitment"), ("total", "total eligible cost")):
            base = self._cube(first, variable)
            values = np.stack([self._cube(n, variable) - base for n in self.names[1:]]) if len(self.names) > 1 \
                else np.zeros((0, *base.shape))
            out[variable] = (("allocation", *CUBE), values,
                             {"units": "EUR m", "long_name": f"{long_name}, difference from {first}"})
        coords = {k: v for k, v in self.eu.coords.items() if k != "allocation"}
        return xr.Dataset(out, coords={**coords, "allocation": list(self.names[1:])}, attrs={"baseline": first})

    # ---- scores -------------------------------------------------------------------------------------
    @cached_property
    def objectives(self) -> pd.Series:
        """Each allocation's objective, evaluated from its EU cube without the LP."""
        return pd.Series({n: objective_value(self.scenario, self._cube(n)) for n in self.names}, name="objective")

    @property
    def optimum(self) -> Allocation:
        """The scenario's optimum: an optimal input when there is one, else solved once with ``fs.solve``
        (on the comparison's ``solver``, with its ``options``)."""
        for alloc in self.allocations:
            if _is_optimum(alloc, self.scenario):
                return alloc
        if self._solved is None:
            from fundsim.solving import solve

            self._solved = solve(self.scenario, solver=self.solver)
        return self._solved

    @cached_property
    def gap(self) -> pd.DataFrame:
        """Objective of each allocation, the optimum's, and the gap (how much worse, ≥ 0 for a plan that keeps
        the rules; a plan that breaks rules can score above the optimum), also in per cent of the optimum."""
        best = objective_value(self.scenario, cube(self.scenario, self.optimum.data))
        sign = 1.0 if self.scenario.objective.sense == "max" else -1.0
        table = pd.DataFrame({"objective": self.objectives, "optimum": best})
        table["gap"] = sign * (best - table["objective"])
        table["gap_percent"] = 100.0 * table["gap"] / abs(best) if best else np.nan
        table.index.name = "allocation"
        return table

    @cached_property
    def compliance(self) -> pd.DataFrame:
        """Every rule each allocation breaks, from the violation records (:class:`fundsim.rules.Violation`):
        ``allocation``, ``rule`` (the rule in words), ``family`` (its registered name), ``size`` (by how much the
        bound is missed, in ``units``: EUR m, or a count for the integer rules; for eligibility the money
        misplaced) and the ``violation`` in the rule's words."""
        rows = [{"allocation": n, "rule": v.rule, "family": v.family, "size": v.size, "units": v.unit,
                 "violation": v.message.removeprefix(f"{v.rule}: ")}
                for n, alloc in zip(self.names, self.allocations, strict=True)
                for v in violations(self.scenario, alloc)]
        return pd.DataFrame(rows, columns=["allocation", "rule", "family", "size", "units", "violation"])

    @cached_property
    def metrics(self) -> pd.DataFrame:
        """Metric × allocation, with a ``units`` column (see :mod:`fundsim.comparison.metrics` for definitions),
        plus the objective, the gap to the optimum and the number of rule violations."""
        tables = [metrics_table(self.scenario, alloc.data) for alloc in self.allocations]
        table = pd.concat([tables[0][["units"]], *(t["value"].rename(n) for t, n in zip(tables, self.names,
                                                                                        strict=True))], axis=1)
        counts = self.compliance.groupby("allocation").size().reindex(list(self.names), fill_value=0)
        extra = pd.DataFrame([
            ["objective units", *self.gap["objective"]],
            ["objective units", *self.gap["gap"]],
            ["% of the optimum", *self.gap["gap_percent"]],
            ["violations", *counts.astype(float)],
        ], index=["objective", "gap to the optimum", "gap to the optimum (%)", "rule violations"],
            columns=["units", *self.names])
        out = pd.concat([table, extra])
        out.index.name = "metric"
        return out

    def attribution(self, a: str | int, b: str | int | None = None) -> Attribution:
        """Why ``b`` (default: the optimum) scores differently from ``a``: the gap split exactly into
        shadow price × room on each binding rule and reduced cost × money in each cell, using the optimum's
        duals. See :mod:`fundsim.comparison.attribution` for what the terms mean."""
        sc = self.scenario
        eu_a, name_a = self._cube(self.names[self._index(a)]), self.names[self._index(a)]
        if b is None:
            eu_b, name_b = cube(sc, self.optimum.data), "optimum"
        else:
            eu_b, name_b = self._cube(self.names[self._index(b)]), self.names[self._index(b)]
        return attribute(self.optimum, sc, eu_a, eu_b, (name_a, name_b))

    # ---- output -------------------------------------------------------------------------------------
    def to_excel(self, path: str | Path) -> Path:
        """Write metrics, gap, compliance, the attribution of each allocation's gap and the nonzero
        differences to an Excel workbook (one sheet each): atomically, text cells that a spreadsheet would
        read as formulas neutralised (see :mod:`fundsim.outputs`)."""
        attributions = [self.attribution(n).by_rule.assign(allocation=n) for n in self.names]
        diffs = self.differences["eu"].to_dataframe().reset_index()
        diffs = diffs[diffs["eu"].abs() > 1e-9].drop(columns=["pillar", "group", "in_region"], errors="ignore")
        return write_excel(path, [("metrics", self.metrics, True), ("gap", self.gap, True),
                                  ("compliance", self.compliance, False),
                                  ("attribution", pd.concat(attributions), False),
                                  (f"eu minus {self.names[0]}", diffs, False)])

    def __repr__(self) -> str:
        return f"<Comparison of {len(self.names)} allocations of {self.scenario.name!r}: {', '.join(self.names)}>"

    def _repr_html_(self) -> str:
        fmt = {"float_format": lambda v: f"{v:,.4g}"}
        table = self.compliance
        rules = (table.groupby(["rule", "allocation"]).size().unstack(fill_value=0).to_html() if len(table)
                 else "<p>every allocation keeps every rule</p>")
        return (f"<h4>Comparison of {html.escape(', '.join(self.names))} ({html.escape(self.scenario.name)})</h4>"
                + "<h5>Objective and gap to the optimum</h5>" + self.gap.to_html(**fmt)
                + "<h5>Metrics</h5>" + self.metrics.to_html(**fmt)
                + "<h5>Rule violations (count per rule family)</h5>" + rules)


# ---- making one --------------------------------------------------------------------------------------------
ALLOCATION = "a fundsim.Allocation (fs.solve(sc), fs.read_allocation(path, sc) or fs.open_allocation(path))"


def _check_arguments(allocations: Sequence[Any], names: Any, options: Any) -> None:
    """A ``TypeError`` naming the first argument of ``compare`` that is of the wrong kind."""
    for n, alloc in enumerate(allocations):
        if not isinstance(alloc, Allocation):
            hint = f" — read the file first: fs.read_allocation({str(alloc)!r}, scenario)" \
                if isinstance(alloc, str | PathLike) else ""
            raise wrong_type(f"allocations[{n}]", alloc, ALLOCATION + hint)
    if names is not None and (isinstance(names, str) or not isinstance(names, Sequence)
                              or not all(isinstance(x, str) for x in names)):
        raise wrong_type("names", names, "a list of strings, one name per allocation, or None")
    check_options(options)


def _scenario(allocations: Sequence[Allocation], scenario: Scenario | str | PathLike[str] | None) -> Scenario:
    known = [a.scenario for a in allocations if a.scenario is not None]
    sc = as_scenario(scenario) if scenario is not None else (known[0] if known else None)
    if sc is None:
        raise ComparisonError("no scenario to compare against: pass scenario=fs.load_scenario(...) (the "
                              "allocations carry none)")
    for n, alloc in enumerate(allocations):
        wrong = [d for d, labels in sc.coords().items()
                 if d not in alloc.data.coords or sorted(map(str, alloc.data[d].values)) != sorted(map(str, labels))]
        if wrong:
            raise ComparisonError(f"allocation {n + 1} does not use the labels of scenario {sc.name!r} (its "
                                  f"{', '.join(wrong)} differ): compare allocations of one scenario")
    return sc


def _names(allocations: Sequence[Allocation], names: Sequence[str] | None) -> list[str]:
    if names is not None:
        if len(names) != len(allocations) or len(set(names)) != len(names):
            raise ComparisonError(f"give one distinct name per allocation: {len(allocations)} allocations, "
                                  f"names {list(names)}")
        return list(names)
    found: list[str] = []
    for n, alloc in enumerate(allocations):
        attrs = alloc.data.attrs
        base = str(attrs.get("name") or ("optimum" if attrs.get("status") == "optimal" else f"allocation {n + 1}"))
        name, k = base, 2
        while name in found:
            name, k = f"{base} ({k})", k + 1
        found.append(name)
    return found


def compare(*allocations: Allocation, scenario: Scenario | str | PathLike[str] | None = None,
            names: Sequence[str] | None = None, options: dict[str, Any] | None = None,
            solver: SolverLike = "highs") -> Comparison:
    """Compare allocations of one scenario: metrics, differences, compliance, gap to the optimum, attribution.

    Parameters
    ----------
    *allocations : :class:`~fundsim.Allocation` objects (solved, read with
        :func:`~fundsim.comparison.read_allocation`, or opened from NetCDF)
    scenario : the scenario whose rules and objective apply (default: the first allocation's), or the path
        of its file
    names : one name per allocation (default: each one's ``name`` attribute, ``"optimum"`` for a solved one)
    options : solver options for solving the optimum when no allocation given is one, e.g.
        ``{"mip_rel_gap": 0.01}`` for a scenario with integer rules
    solver : the backend that solves that optimum (a name: ``"highs"``, the default, or ``"pulp"``; a
        backend; or a :class:`~fundsim.solvers.SolverChoice`)

    Returns
    -------
    Comparison
        with ``metrics``, ``differences``, ``compliance``, ``gap``, ``attribution(a, b)`` and ``to_excel``.

    Raises
    ------
    TypeError
        for an argument of the wrong kind: an allocation that is not an :class:`~fundsim.Allocation` (a path:
        read it with :func:`~fundsim.comparison.read_allocation` first), names that are not strings, options
        that are not a dict, a solver that is not a backend
    ComparisonError
        for no allocation, no scenario, allocations of another scenario or names that clash

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.comparison import compare, read_allocation
    >>> sc = fs.load_scenario("scenarios/gam-2008.yaml")
    >>> actual = read_allocation("scenarios/gam-2008-as-programmed.csv", sc, name="as programmed")
    >>> cmp = compare(fs.solve(sc), actual)
    >>> cmp.names
    ('optimum', 'as programmed')
    >>> round(float(cmp.gap.loc["optimum", "gap"]), 9)
    0.0
    >>> sorted(set(cmp.compliance["rule"]))[:3]
    ['absorption', 'geographic focus', 'match capacity']
    >>> cbc = compare(actual, solver="pulp")  # the optimum solved by CBC
    >>> bool(abs(cbc.gap.loc["as programmed", "gap"] - cmp.gap.loc["as programmed", "gap"]) < 1e-4)
    True
    """
    if not allocations:
        raise ComparisonError("nothing to compare: give at least one allocation")
    _check_arguments(allocations, names, options)
    sc = _scenario(allocations, scenario)
    return Comparison(sc, allocations, _names(allocations, names), options, solver)
