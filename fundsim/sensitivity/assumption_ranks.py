"""Which assumptions decide the plan: every number marked ``assumption:`` moved over its range, one at a time.

Which numbers count
    A number counts when the nearest note above it, itself included, is an ``assumption:``: a number written
    ``{value: x, assumption: "…"}``, or a plain number inside a block (an instrument, a rule entry, a weights
    block, a match source …) whose ``assumption:`` covers it, unless a block closer to the number, or the
    number itself, carries a ``source:`` only. So an instrument's ``assumption:`` covers its payment profile
    and budget figures but not an envelope written ``{value: 3661, source: "…"}``. A number with both a
    ``source:`` and an ``assumption:`` counts (its value was assumed from what the source gives). Calendar
    years (``years:``, ``cutoff:``) are labels, not numbers, and the ``uncertainty:`` section is a study of its
    own (:func:`fundsim.sensitivity.tornado`): neither is moved.

The range of a number
    ``range: [low, high]`` beside its ``value`` where the file states one; otherwise
    ``value × (1 ± spread)``. A share's ends stay within [0, 1], and a whole number's (a deadline's k, a
    count) are the whole numbers inside the range. Each end is a scenario of its own, validated and solved
    again from the file (a rebuild, not a warm re-solve: most of these numbers are shares, rule bounds,
    breakpoints or profiles, which change the programme's matrix, not only a bound or a cost). An end the
    format refuses (a profile that no longer sums to 1) is reported ``refused``; one whose rules cannot all
    hold ``infeasible``.

What is measured at each end, against the scenario's own optimum
    ``l1``: the L1 distance of the EU cube (instrument × priority × region × year), EUR m; ``cells``: how many
    of the funded priority × region cells of the optimum (total money, EU plus co-financing, over
    instruments and years, above 1e-6) change by more than 1e-3 EUR m, and ``cells_share`` that count as a
    share of the funded cells; ``cells_eu``: how many of them change their EU money by more than 1e-3 EUR m (a
    co-financing rate moves every total of the instrument's cells by arithmetic; ``cells_eu`` counts the plan's
    decisions only); ``objective``: the change of the objective.

Examples
--------
>>> import fundsim as fs
>>> table = assumptions(fs.load_scenario("scenarios/tutorial.yaml"))
>>> table[["path", "value", "low", "high"]].to_dict("records")[0]
{'path': 'absorption.capacity.north_africa', 'value': 25.0, 'low': 12.5, 'high': 37.5}
>>> table[["cells_low", "objective_low", "objective_high"]].round(6).to_dict("records")[0]
{'cells_low': 2, 'objective_low': -12.5, 'objective_high': 5.0}
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from fundsim.errors import ArgumentError, FundsimWarning, ScenarioError
from fundsim.model import Scenario
from fundsim.rules.fields import NOTE_KEYS
from fundsim.rules.program import LinearProgram
from fundsim.sensitivity.arguments import check_number
from fundsim.solvers.backends import SolverChoice, SolverLike, solver_choice
from fundsim.solvers.base import Status
from fundsim.solving import as_scenario

__all__ = ["Marked", "assumptions", "marked_numbers", "nearest_program"]

FUNDED = 1e-6  # EUR m: a cell of the optimum with more total money than this is funded
MOVED = 1e-3  # EUR m: a funded cell whose money changes by more than this has moved
_SKIPPED_SECTIONS = frozenset({"uncertainty", "years", "name", "description", "extends"})
_CALENDAR = frozenset({"cutoff", "year", "years"})  # a number (or list) here is a calendar year, not moved
_WHOLE = frozenset({"years", "decision_lead", "decommitment_window", "max_new", "min_new",
                    "max_instruments_per_cell", "lag"})
_MET_FROM = "met_from"  # a condition's first year (per unit): a calendar year, moved ±_YEARS years
_YEARS = 2
_PROFILES = frozenset({"payment_profile", "contracting_profile"})  # shares that sum to 1
_LABEL_KEYS = ("pillar", "priority", "region", "instrument")

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Marked:
    """One assumption-marked number: where it is in the file's tree, its name, value, range and assumption.

    Examples
    --------
    >>> Marked(("absorption", "capacity", "north_africa"), "absorption.capacity.north_africa", 25.0, 12.5, 37.5,
    ...        "limited administrative capacity").name
    'absorption.capacity.north_africa'
    """

    where: Path
    name: str
    value: float
    low: float
    high: float
    assumption: str


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_noted(value: Any) -> bool:
    return isinstance(value, dict) and "value" in value and set(value) <= NOTE_KEYS and _is_number(value["value"])


def _label(entry: Any, n: int, siblings: list[Any]) -> str:
    """An entry of a list as a path names it: its id, else its labels (``remittances/west_africa``), else ``[n]``."""
    if not isinstance(entry, dict):
        return f"[{n}]"
    if isinstance(entry.get("id"), str):
        return entry["id"]
    def labels(e: Any) -> str:
        return "/".join(str(e[k]) for k in _LABEL_KEYS if isinstance(e, dict) and isinstance(e.get(k), str))
    mine = labels(entry)
    unique = mine and sum(labels(e) == mine for e in siblings) == 1
    return mine if unique else f"[{n}]"


def _name(parts: list[str]) -> str:
    return ".".join(parts).replace(".[", "[")


def _note(block: dict[Any, Any], inherited: str | None) -> str | None:
    """The assumption that covers a block's plain numbers: its own, none when it gives a source only, else the
    one it inherits."""
    if isinstance(block.get("assumption"), str):
        return block["assumption"]
    return None if isinstance(block.get("source"), str) else inherited


def _walk(node: Any, where: Path, parts: list[str], note: str | None) -> Iterator[tuple[Path, str, Any, str]]:
    """(tree path, name, number or noted number, assumption) of every assumption-marked number below ``node``."""
    key = where[-1] if where else None
    if _is_noted(node):
        text = _note(node, note)
        if text is not None:
            yield where, _name(parts), node, text
    elif _is_number(node):
        if note is not None and key not in _CALENDAR - {"years"}:  # a scalar years: is a deadline's k
            yield where, _name(parts), node, note
    elif isinstance(node, dict):
        inner = _note(node, note)
        for k, v in node.items():
            if (not where and k in _SKIPPED_SECTIONS) or k in ("source", "assumption", "note"):
                continue
            yield from _walk(v, (*where, k), [*parts, str(k)], inner)
    elif isinstance(node, list) and key not in _CALENDAR:
        for n, v in enumerate(node):
            yield from _walk(v, (*where, n), [*parts, f"[{n}]" if not isinstance(v, dict) else _label(v, n, node)],
                             note)


def _whole(key: Any, value: Any) -> bool:
    return key in _WHOLE and isinstance(value, int) and not isinstance(value, bool)


def _ends(key: Any, number: Any, spread: float) -> tuple[float, float, float]:
    """(value, low, high) of a number: its stated ``range``, else value × (1 ± spread), kept to a share's or a
    whole number's values."""
    raw = number["value"] if isinstance(number, dict) else number
    value = float(raw)
    if isinstance(number, dict) and "range" in number:
        low, high = (float(v) for v in number["range"])
        return value, low, high
    low, high = sorted((value * (1 - spread), value * (1 + spread)))
    if isinstance(key, str) and key.endswith("share"):
        low, high = max(low, 0.0), min(high, 1.0)
    if _whole(key, raw):
        low, high = float(math.ceil(low - 1e-9)), float(math.floor(high + 1e-9))
    return value, low, high


def _short(text: str, width: int = 72) -> str:
    words = " ".join(text.split())
    return words if len(words) <= width else words[:width - 1].rstrip() + "…"


def marked_numbers(tree: Mapping[str, Any], spread: float = 0.5) -> list[Marked]:
    """Every assumption-marked number of a scenario's (merged) tree, in the file's order, with its range.

    Examples
    --------
    >>> from fundsim.scenario.extends import read_tree
    >>> [(m.name, m.low, m.high) for m in marked_numbers(read_tree("scenarios/tutorial.yaml")[0])]
    [('match_sources.member_states.capacity', 50.0, 150.0), ('absorption.capacity.north_africa', 12.5, 37.5)]
    """
    found = []
    for where, name, number, text in _walk(dict(tree), (), [], None):
        key = next((k for k in reversed(where) if isinstance(k, str)), None)  # the field it belongs to
        if len(where) >= 2 and where[-2] == _MET_FROM and not (isinstance(number, dict) and "range" in number):
            value = float(number["value"] if isinstance(number, dict) else number)
            value, low, high = value, value - _YEARS, value + _YEARS
        else:
            value, low, high = _ends(key, number, spread)
        found.append(Marked(where, name, value, low, high, text))
    return found


def _tree(sc: Scenario) -> dict[str, Any]:
    """The scenario's tree as its file gives it (the notes on single numbers are only there), else its spec."""
    from fundsim.scenario.build import spec_digest
    from fundsim.scenario.extends import read_tree
    from fundsim.scenario.validate import validate_spec

    if not sc.spec:
        raise ArgumentError(f"scenario {sc.name!r} is a changed copy (Scenario.evolve): which of its numbers are "
                            "assumptions is not known; pass the scenario as loaded from its file")
    if sc.source_file is None:
        return copy.deepcopy(sc.spec)  # built from a mapping: block notes only (single numbers lose theirs)
    tree, origins = read_tree(sc.source_file)
    if spec_digest(validate_spec(copy.deepcopy(tree), origins)) != sc.digest:
        raise ArgumentError(f"{sc.source_file} has changed since scenario {sc.name!r} was loaded from it; "
                            "load it again")
    return tree


def _set(tree: dict[str, Any], where: Path, value: float) -> dict[str, Any]:
    out = copy.deepcopy(tree)
    node: Any = out
    for k in where[:-1]:
        node = node[k]
    if isinstance(node[where[-1]], dict):
        node[where[-1]]["value"] = value
    elif isinstance(node, list) and len(where) >= 2 and where[-2] in _PROFILES:
        # one share of a profile moved: the others keep their proportions and the profile still sums to 1
        old = [float(v) for v in node]
        rest = sum(old) - old[where[-1]]
        scale = (1.0 - value) / rest if rest > 0 else 0.0
        node[:] = [value if n == where[-1] else v * scale for n, v in enumerate(old)]
    else:  # a whole number (a year, a count) stays an int
        old = node[where[-1]]
        whole = isinstance(old, int) and not isinstance(old, bool) and float(value).is_integer()
        node[where[-1]] = int(value) if whole else value
    return out


@dataclass(frozen=True)
class _Base:
    """The scenario's own optimum: its EU cube, total money per priority × region cell, objective."""

    eu: np.ndarray
    cells: np.ndarray
    objective: float

    @property
    def funded(self) -> np.ndarray:
        return self.cells > FUNDED


def _optimum(sc: Scenario, solver: SolverLike, options: Mapping[str, Any] | None) -> _Base:
    from fundsim.solving import solve

    a = solve(sc, solver=solver, options=dict(options) if options else None)
    cells = a.data["total"].sum(("instrument", "year")).transpose("priority", "region").values
    return _Base(a.data["eu"].transpose("instrument", "priority", "region", "year").values, cells, a.objective)


def nearest_program(lp: LinearProgram, target: np.ndarray, objective: float) -> LinearProgram:
    """The LP whose optimum is the optimal plan of ``lp`` nearest to ``target`` (an EU cube): minimise
    ``Σ |eu - target|`` (as ``Σ d⁺ + d⁻`` with ``eu - d⁺ + d⁻ = target``) over the plans of ``lp`` whose objective is
    within a relative 1e-9 of its optimum ``objective``. An LP has many optimal plans when its optimum is
    degenerate (which instrument or year funds a cell is often free): a number whose change leaves the plan
    optimal must not show as a move because the solver found another vertex.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> near = nearest_program(lp, np.zeros((2, 3, 2, 2)), 130.0)
    >>> near.sense, near.num_col - lp.num_col, near.num_row - lp.num_row  # d⁺, d⁻ per EU column; one row each, and
    ... # the objective's
    ('min', 40, 21)
    >>> round(HighsSolver().solve(near).objective, 6)  # all 60 of EU money is spent in every optimal plan
    60.0
    """
    eu = lp.variables["eu"]
    m, n = eu.size, lp.num_col
    pick = sp.csr_matrix((np.ones(m), (np.arange(m), eu.start + np.arange(m))), shape=(m, n))
    eye = sp.identity(m, format="csr")
    A = sp.vstack([sp.hstack([lp.A, sp.csr_matrix((lp.num_row, 2 * m))]), sp.hstack([pick, -eye, eye]),
                   sp.hstack([sp.csr_matrix(lp.c), sp.csr_matrix((1, 2 * m))])], format="csr")
    at = target[eu.positions] if eu.positions is not None else target.reshape(-1)
    slack = 1e-9 * (1.0 + abs(objective))
    best = objective - lp.offset
    low, high = (best - slack, np.inf) if lp.sense == "max" else (-np.inf, best + slack)
    integrality = None if lp.integrality is None else np.concatenate([lp.integrality, np.zeros(2 * m)])
    return LinearProgram("min", np.concatenate([np.zeros(n), np.ones(2 * m)]), A,
                         np.concatenate([lp.row_lower, at, [low]]), np.concatenate([lp.row_upper, at, [high]]),
                         np.concatenate([lp.col_lower, np.zeros(2 * m)]),
                         np.concatenate([lp.col_upper, np.full(2 * m, np.inf)]),
                         lp.variables, lp.constraints, 0.0, integrality)


def _moved_to(variant: Scenario, base: _Base, choice: SolverChoice) -> dict[str, Any]:
    """The end's figures: its optimum, and the optimal plan nearest to the base's."""
    from fundsim.lp import assemble
    from fundsim.solvers.mip import solve_mip

    lp = assemble(variant)
    first = solve_mip(choice.make(), lp)
    if first.status is Status.INFEASIBLE:
        return {"status": "infeasible", **_NOT_SOLVED}
    near = solve_mip(choice.make(), nearest_program(lp, base.eu, first.objective)) \
        if first.status is Status.OPTIMAL else first
    if near.status is not Status.OPTIMAL:
        return {"status": "solver failure", **_NOT_SOLVED}
    eu = lp.variables["eu"].dense(near.x[: lp.num_col], fill=0.0)
    cells = (eu * (1.0 + variant.match_ratio[..., None])).sum(axis=(0, 3))
    moved = base.funded & (np.abs(cells - base.cells) > MOVED)
    decided = base.funded & (np.abs(eu.sum(axis=(0, 3)) - base.eu.sum(axis=(0, 3))) > MOVED)
    funded = int(base.funded.sum())
    return {"status": "optimal", "l1": float(np.abs(eu - base.eu).sum()), "cells": int(moved.sum()),
            "cells_share": moved.sum() / funded if funded else 0.0, "cells_eu": int(decided.sum()),
            "objective": first.objective - base.objective}


_NOT_SOLVED = {"l1": np.nan, "cells": pd.NA, "cells_share": np.nan, "cells_eu": pd.NA, "objective": np.nan}


def _end(tree: dict[str, Any], m: Marked, x: float, base: _Base, choice: SolverChoice) -> dict[str, Any]:
    """The figures of one end: status, l1, cells, cells_share, objective (NaN where not optimal)."""
    from fundsim.scenario import scenario_from_dict

    if x == m.value:
        return {"status": "unchanged", "l1": 0.0, "cells": 0, "cells_share": 0.0, "cells_eu": 0, "objective": 0.0}
    try:
        with warnings.catch_warnings():  # an end may make a rule slack or a limit odd: its figures say so
            warnings.simplefilter("ignore", FundsimWarning)
            variant = scenario_from_dict(_set(tree, m.where, x))
    except ScenarioError:
        return {"status": "refused", **_NOT_SOLVED}
    return _moved_to(variant, base, choice)


def _row(m: Marked, ends: dict[str, dict[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = {"path": m.name, "value": m.value, "low": m.low, "high": m.high}
    for figure in ("l1", "cells", "cells_share", "cells_eu", "objective", "status"):
        for side in ("low", "high"):
            row[f"{figure}_{side}"] = ends[side][figure]
    row["assumption"] = _short(m.assumption)
    return row


def assumptions(scenario: Scenario | str, *, spread: float = 0.5, only: str | Sequence[str] | None = None,
                solver: SolverLike = "highs", options: Mapping[str, Any] | None = None,
                progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """The numbers marked ``assumption:`` ranked by how far the allocation moves over each one's range.

    Parameters
    ----------
    scenario : a scenario loaded from its file (or the file's path); the marks are read from the file
    spread : where a number states no ``range: [low, high]``, its ends are value × (1 ± spread); 0 ≤ spread ≤ 1
    only : rank only the numbers whose path starts with one of these (e.g. ``"rules"``, ``"instruments.tpma"``)
    solver, options : the backend that solves each end and its options, as for :func:`fundsim.solve`
    progress : called with 1 after each end is solved (a progress bar's advance)

    Returns
    -------
    pandas.DataFrame, one row per marked number, ranked by the larger of ``l1_low`` and ``l1_high`` (numbers
    with no optimal end last): ``path`` (e.g. ``instruments.enpi.usable_share``), ``value``, ``low``,
    ``high``; per end (``_low``, ``_high``) ``l1`` (EUR m), ``cells`` and ``cells_share`` (the funded
    priority × region cells that move), ``objective`` (its change) and ``status`` (``optimal``,
    ``unchanged`` when the end is the value itself, ``infeasible``, ``refused`` by the format, ``solver
    failure``; the figures of an end that is not solved are NaN); ``assumption`` (shortened). ``attrs``
    hold ``scenario``, ``spread``, ``objective`` (the base optimum's), ``funded_cells``, ``solves`` and
    ``seconds``.

    Examples
    --------
    >>> import fundsim as fs
    >>> table = assumptions("scenarios/tutorial.yaml", spread=0.2)  # North Africa absorbs 20 or 30 a year
    >>> table[["path", "l1_low", "l1_high", "cells_low", "objective_low"]].round(4).to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'path': 'absorption.capacity.north_africa', 'l1_low': 20.0, 'l1_high': 20.0, 'cells_low': 2,
      'objective_low': -5.0},
     {'path': 'match_sources.member_states.capacity', 'l1_low': 0.0, 'l1_high': 0.0, 'cells_low': 0,
      'objective_low': 0.0}]
    """
    started = time.perf_counter()
    check_number("spread", spread)
    if not 0 <= spread <= 1:
        raise ArgumentError(f"spread must be between 0 and 1 (the ends are value × (1 ± spread)); got {spread!r}")
    sc = as_scenario(scenario)
    tree = _tree(sc)
    marked = marked_numbers(tree, spread)
    if only is not None:
        prefixes = (only,) if isinstance(only, str) else tuple(only)
        marked = [m for m in marked if m.name.startswith(prefixes)]
        if not marked:
            raise ArgumentError(f"no number marked assumption has a path starting with {', '.join(prefixes)}")
    base = _optimum(sc, solver, options)
    choice = solver_choice(solver, options)
    rows = []
    for m in marked:
        ends = {}
        for side, x in (("low", m.low), ("high", m.high)):
            ends[side] = _end(tree, m, x, base, choice)
            if progress is not None:
                progress(1)
        rows.append(_row(m, ends))
    return _ranked(pd.DataFrame(rows, columns=_COLUMNS), sc, spread, base, started)


_COLUMNS = ["path", "value", "low", "high", "l1_low", "l1_high", "cells_low", "cells_high", "cells_share_low",
            "cells_share_high", "cells_eu_low", "cells_eu_high", "objective_low", "objective_high", "status_low",
            "status_high", "assumption"]


def _ranked(table: pd.DataFrame, sc: Scenario, spread: float, base: _Base, started: float) -> pd.DataFrame:
    key = table[["l1_low", "l1_high"]].max(axis=1, skipna=True)
    table = table.assign(_key=key).sort_values("_key", ascending=False, kind="stable", na_position="last")
    table = table.drop(columns="_key").reset_index(drop=True)
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    for col in ("cells_low", "cells_high", "cells_eu_low", "cells_eu_high"):
        table[col] = table[col].astype("Int64")
    table.attrs.update({"scenario": sc.name, "spread": spread, "objective": base.objective,
                        "funded_cells": int(base.funded.sum()),
                        "solves": int(sum((table[f"status_{s}"] != "unchanged").sum() for s in ("low", "high"))) + 1,
                        "seconds": time.perf_counter() - started})
    return table
