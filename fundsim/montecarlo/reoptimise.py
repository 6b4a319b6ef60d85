"""Re-optimise per draw: assemble once, then solve each draw's numbers warm from the scenario's optimum.

A draw's numbers are put into the scenario and the LP of that scenario is built (vectorised,
milliseconds). A draw with the scenario's own structure is solved by sifting
(:class:`~fundsim.solvers.sifting.Sifting`): over the columns that carried the scenario's optimum, warm
from its optimal basis, adding the columns whose reduced costs price in until none does. A draw that changes
the LP's structure (money appearing in, or vanishing from, a cell), or that sifting cannot decide (the
restricted LP infeasible or unbounded, a solver limit, no certificate within the rounds allowed), is solved
cold on its own LP, as is every draw of a scenario with no optimum of its own; structural changes are
counted.

Each draw also records its own money ledger, read from its solution's ``unused`` columns (commitment
appropriations neither committed nor carried over) split by each instrument's budget nature as the
allocation's ledger splits them (:func:`fundsim.results.ledger.split_unused`): ``lapsed_by_instrument``,
``not_used_by_instrument``, ``lost_at_cutoff_by_instrument`` and the sum of what lapses, ``lapsed``. Payments
beyond the payment appropriations are not recorded: a re-optimised plan keeps its payments (the opening RAL's
included) within them by its ``payment_appropriations`` rows, so they would be zero in every draw; a run stores
the variables of its own mode only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import xarray as xr

from fundsim.diagnose import diagnose
from fundsim.lp import Block, LinearProgram, assemble
from fundsim.model import Scenario
from fundsim.montecarlo.numbers import DrawnNumbers, scenario_of_draw
from fundsim.results import relaxation_duals
from fundsim.results.allocation import CUBE
from fundsim.results.label import in_reported_units
from fundsim.results.ledger import UNUSED_TERMS, split_unused
from fundsim.results.names import placed, shadow_price_name
from fundsim.rules import column_spec, reported
from fundsim.solvers import Capability, SolveResult, Status
from fundsim.solvers.backends import SolverChoice, program_kind, solver_choice
from fundsim.solvers.mip import solve_mip
from fundsim.solvers.sifting import Sifting

__all__ = ["Reoptimiser"]


def _same_structure(a: LinearProgram, b: LinearProgram) -> bool:
    return a.same_matrix(b) and list(a.constraints) == list(b.constraints)


@dataclass
class Reoptimiser:
    """Holds the scenario's LP, solved once, and sifts each draw from its optimum; ``solve_draws`` runs a
    chunk of draws.

    Every draw starts from the scenario's working set and optimal basis, so a draw's result depends on that
    draw alone, not on which draws the same worker solved before it: results are identical whatever the
    chunking or the executor. Draws whose LP has another structure (money drawn to zero in an instrument,
    say) are solved cold on their own LP and counted in ``rebuilt``.

    ``solver`` is the backend that solves the draws (HiGHS by default). Sifting is HiGHS's
    (:meth:`~fundsim.solvers.sifting.Sifting.works_with`); on any other backend every draw is solved on
    its own LP from scratch: the same optima, more slowly.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.montecarlo.numbers import drawn_numbers
    >>> sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    >>> draws = Reoptimiser(sc).solve_draws(drawn_numbers(sc, np.ones((2, 4))), np.arange(2))
    >>> draws["objective"].values.tolist()  # the plan's own numbers: the optimum, 130, worked by hand
    [130.0, 130.0]
    """

    scenario: Scenario
    keep_allocations: bool = False
    solver: SolverChoice = field(default_factory=solver_choice)
    lp: LinearProgram = field(init=False)
    base_lp: LinearProgram = field(init=False)
    template: dict[str, Block] = field(init=False)
    sifting: Sifting | None = field(init=False, default=None)
    rebuilt: int = 0

    def __post_init__(self) -> None:
        self.lp = self.base_lp = assemble(self.scenario)
        # results are labelled by the blocks of the scenario's own LP, whatever a draw's LP holds: a rule
        # block that a draw's LP lacks (money drawn to zero) reads as NaN in that draw
        self.template = {name: block for name, block in self.lp.constraints.items() if reported(name)}
        # an LP is solved once, to sift its draws from; a MILP's draws are solved as MILPs, each priced with
        # its integer decisions fixed. A scenario with no optimum of its own has its draws solved cold.
        self.solver.require(program_kind(self.lp), Capability.DUALS)
        if self.lp.integrality is None and Sifting.works_with(self.solver.backend):
            base = self.solver.make().solve(self.lp)
            if base.status is Status.OPTIMAL:
                self.sifting = Sifting(self.lp, base, options=self.solver.settings, keep=_slack_columns(self.lp))

    def _solve(self, lp: LinearProgram) -> SolveResult:
        """Sift a draw with the scenario's structure; solve anything else cold on its own LP."""
        self.lp = lp
        if lp.integrality is not None:
            return solve_mip(self.solver.make(), lp)
        if _same_structure(lp, self.base_lp):
            result = self.sifting.solve(lp) if self.sifting is not None else None
            if result is not None:
                return result
        else:
            self.rebuilt += 1
        return self.solver.make().solve(lp)

    def solve_draws(self, numbers: DrawnNumbers, draw_ids: np.ndarray) -> xr.Dataset:
        """Solve each draw of ``numbers``; return per-draw results labelled by ``draw`` (one labelling step
        per chunk: per draw only flat numpy vectors are kept)."""
        rows = [self._one(scenario_of_draw(self.scenario, numbers, d)) for d in range(numbers.n)]
        return self._label(rows, np.asarray(draw_ids))

    def _one(self, sc: Scenario) -> dict[str, Any]:
        rebuilt_before = self.rebuilt
        lp = assemble(sc)
        result = self._solve(lp)
        ok = result.status is Status.OPTIMAL
        eu_block = self.lp.variables["eu"]
        i, p, r, y = eu_block.positions  # type: ignore[misc]
        cells = result.x[eu_block.start:eu_block.stop] if ok else np.full(eu_block.size, np.nan)
        cells = np.where(np.abs(cells) < 1e-9, 0.0, cells)
        k = sc.match_ratio[i, p, r]
        out: dict[str, Any] = {
            "status": result.status.value,
            "objective": result.objective if ok else np.nan,
            "iterations": result.iterations,
            "rebuilt": self.rebuilt > rebuilt_before,
            "diagnosis": "" if ok or result.status is not Status.INFEASIBLE
            else diagnose(sc, lp, alternatives=1).summary(),
            "cofin": float(np.dot(cells, k)),
        }
        for dim, index in (("pillar", self._pillar_of[p]), ("group", self._group_of[r]), ("region", r),
                           ("instrument", i), ("year", y)):
            out[f"eu_by_{dim}"] = np.bincount(index, weights=cells, minlength=len(self._labels[dim])) if ok \
                else np.full(len(self._labels[dim]), np.nan)
        unused = self._unused(result.x) if ok else np.full((len(sc.instrument_ids), len(sc.years)), np.nan)
        for term, part in split_unused(sc, unused).items():
            out[f"{term}_by_instrument"] = part.sum(axis=1)
        if self.keep_allocations:
            out["eu"] = eu_block.dense(cells, 0.0)
        relax = in_reported_units(self.lp, relaxation_duals(self.lp, result), result.x) if ok \
            else np.full(self.lp.num_row, np.nan)
        for name, template in self.template.items():
            block = self.lp.constraints.get(name)
            out[shadow_price_name(name)] = np.full(template.shape, np.nan) if block is None else block.dense(relax)
        return out

    def _unused(self, x: np.ndarray) -> np.ndarray:
        """The draw's ``unused`` columns as an (instrument, year) array (0 where the draw's LP has none)."""
        block = self.lp.variables.get("unused")
        if block is None:
            return np.zeros((len(self.scenario.instrument_ids), len(self.scenario.years)))
        values = block.dense(x, 0.0)
        return np.where(np.abs(values) < 1e-9, 0.0, values)

    @cached_property
    def _labels(self) -> dict[str, tuple]:
        sc = self.scenario
        return {"pillar": sc.pillar_ids, "group": tuple(dict.fromkeys(sc.region_groups)), "region": sc.region_ids,
                "instrument": sc.instrument_ids, "year": sc.years}

    @cached_property
    def _pillar_of(self) -> np.ndarray:
        return np.array([self.scenario.pillar_ids.index(q) for q in self.scenario.priority_pillars])

    @cached_property
    def _group_of(self) -> np.ndarray:
        groups = self._labels["group"]
        return np.array([groups.index(g) for g in self.scenario.region_groups])

    def _label(self, rows: list[dict[str, Any]], draws: np.ndarray) -> xr.Dataset:
        """Stack the per-draw vectors and label them once."""
        sc = self.scenario
        data: dict[str, Any] = {
            "status": (("draw",), np.array([r["status"] for r in rows], dtype=object)),
            "objective": (("draw",), np.array([r["objective"] for r in rows], float),
                          {"units": "objective units", "long_name": "optimal objective"}),
            "iterations": (("draw",), np.array([r["iterations"] for r in rows])),
            "rebuilt": (("draw",), np.array([r["rebuilt"] for r in rows]),
                        {"long_name": "the draw changed the LP's structure and was solved cold"}),
            "diagnosis": (("draw",), np.array([r["diagnosis"] for r in rows], dtype=object)),
            "cofin": (("draw",), np.array([r["cofin"] for r in rows]),
                      {"units": "EUR m", "long_name": "co-financing mobilised"}),
        }
        coords: dict[str, Any] = {"draw": draws, **{d: list(v) for d, v in self._labels.items()}}
        for dim in self._labels:
            data[f"eu_by_{dim}"] = (("draw", dim), np.stack([r[f"eu_by_{dim}"] for r in rows]),
                                    {"units": "EUR m", "long_name": f"EU commitments by {dim}"})
        for term in UNUSED_TERMS:
            name = f"{term}_by_instrument"
            data[name] = (("draw", "instrument"), np.stack([r[name] for r in rows]),
                          {"units": "EUR m", "long_name": _LEDGER_WORDS[term]})
        data["lapsed"] = (("draw",), data["lapsed_by_instrument"][1].sum(axis=1),
                          {"units": "EUR m", "long_name": _LEDGER_WORDS["lapsed"]})
        if self.keep_allocations:
            data["eu"] = (("draw", *CUBE), np.stack([r["eu"] for r in rows]),
                          {"units": "EUR m", "long_name": "EU commitment"})
            coords.update({d: list(v) for d, v in sc.coords().items()})
        for name, block in self.template.items():
            units = "objective per percentage point" if block.per_point else block.units
            labels = xr.DataArray(np.empty(block.shape), dims=block.dims,
                                  coords={d: list(c) for d, c in zip(block.dims, block.coords, strict=True)})
            dims = placed(coords, name, labels).dims  # the rule's dims, renamed where the run has them otherwise
            coords.update({str(d): list(c) for d, c in zip(dims, block.coords, strict=True)})
            data[shadow_price_name(name)] = (("draw", *dims), np.stack([r[shadow_price_name(name)] for r in rows]),
                                             {"units": units, "long_name": f"shadow price: {block.long_name}"})
        return xr.Dataset(data, coords=coords)


_LEDGER_WORDS = {
    "lapsed": "commitment appropriations the draw's plan leaves unused, lapsed",
    "not_used": "usable money the draw's plan leaves, not used for this policy (returns to the instrument's other "
                "objectives)",
    "lost_at_cutoff": "money left at the fund's commitment cut-off in the draw's plan, lost",
}


def _slack_columns(lp: LinearProgram) -> np.ndarray:
    """The columns of blocks a family declares as slack (:attr:`fundsim.rules.Columns.slack`)."""
    spans = [np.arange(b.start, b.stop) for name, b in lp.variables.items()
             if (spec := column_spec(name)) is not None and spec.slack]
    return np.concatenate(spans) if spans else np.zeros(0, np.int64)
