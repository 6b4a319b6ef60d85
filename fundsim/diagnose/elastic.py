"""Elastic relaxation: the smallest change of the rules that makes an infeasible programme feasible.

Every rule row ``lower ≤ a·x ≤ upper`` of the :class:`~fundsim.lp.LinearProgram` gets a nonnegative slack
column on each finite side, ``lower ≤ a·x + s_lo - s_up ≤ upper``; definitional rows (the total ``E``, impact
segments, goals, the links of the integer rules) stay hard. The elastic programme minimises ``Σ s``.

Which rows may give way is declared by each rule family (:class:`fundsim.rules.Rows` with a ``repair``);
definitions, links and the integer rules stay hard.

Units. Every rule row is written in EUR m: a money rule's slack is the change of the user's number itself
(envelope, capacity, minimum or maximum, in EUR m). A share rule's row is ``Σ_q eu - β·B ≥ 0`` (or ``≤``), ``B``
its base (all EU money ``E`` for the pillar balance and the focus), so its slack ``s = Δβ·B`` is the money that
would have to move for the share to hold: one percentage point weighs ``0.01·B`` EUR m in the relaxed plan.
One EUR m weighs 1 whichever rule gives way, so the repair found moves the least money.

The slacks of a share rule are then translated into the share itself. Because the elastic objective is
linear in money, not in shares, each relaxed share is widened to the largest share that still holds given
the other repairs (Dinkelbach's iteration for ``max Σ_q eu / B``, a few LP solves): a single share repair is
therefore minimal in the share's own terms. Alternatives come from re-solving with the rows already used
made hard again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from fundsim.errors import InfeasibleError
from fundsim.lp import Block, LinearProgram
from fundsim.rules import row_spec, share_base
from fundsim.solvers import Capability, Status
from fundsim.solvers.backends import SolverChoice, SolverLike, display_name, program_kind, solver_choice

__all__ = ["TOL", "Relaxation", "elastic_program", "relax", "relaxable"]

TOL = 1e-7  # HiGHS's primal feasibility tolerance: smaller slacks are rounding, not repairs
_DINKELBACH_STEPS = 30


@dataclass(frozen=True)
class Relaxation:
    """One rule row given way: ``block``'s element ``index``, its ``side`` (``"lower"`` or ``"upper"``)
    moved from ``current`` to ``repaired`` (EUR m, or a share between 0 and 1 for share rules).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import Limit, MinPackage, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> tight = sc.evolve(rules=Rules(priority_limits=(Limit("mobility", min=70.0),),
    ...                              min_packages=(MinPackage("eastern_partnership", 70.0),)))
    >>> r = relax(fs.assemble(tight), rounds=1)[0][0]
    >>> r.block.name, r.index, r.side, r.current, r.repaired
    ('envelope', 1, 'upper', 10.0, 20.0)
    """

    block: Block
    index: int
    side: str
    current: float
    repaired: float


@dataclass(frozen=True, eq=False)
class _Slacks:
    """The slack columns of an elastic programme: the row each relaxes and on which side (+1 lower, -1 upper)."""

    first: int
    rows: np.ndarray
    signs: np.ndarray


def relaxable(name: str) -> bool:
    """Whether the row block ``name`` states a rule the user may relax (its family declares a repair).

    Examples
    --------
    >>> relaxable("envelope"), relaxable("total_eu_definition")
    (True, False)
    """
    spec = row_spec(name)
    return spec is not None and spec.repair is not None


def _rule_rows(lp: LinearProgram) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the rule blocks and the side of each slack: one per finite bound."""
    rows, signs = [], []
    for name, block in lp.constraints.items():
        if not relaxable(name):
            continue
        r = np.arange(block.start, block.stop)
        for bound, sign in ((lp.row_lower, 1.0), (lp.row_upper, -1.0)):
            finite = r[np.isfinite(bound[r])]
            rows.append(finite)
            signs.append(np.full(len(finite), sign))
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(rows), np.concatenate(signs)


def elastic_program(lp: LinearProgram) -> tuple[LinearProgram, _Slacks]:
    """``min Σ s`` subject to ``lower ≤ A x + S s ≤ upper``, the rows of the rule blocks given slack columns.

    The original objective is dropped; column bounds, integrality and the registry are kept, and the slack
    columns are registered as block ``slack``.

    Examples
    --------
    >>> import fundsim as fs
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> elastic, slacks = elastic_program(lp)
    >>> elastic.sense, list(elastic.variables), elastic.num_col - lp.num_col  # one slack per finite rule bound
    ('min', ['eu', 'unused', 'total_eu', 'slack'], 13)
    """
    rows, signs = _rule_rows(lp)
    n = len(rows)
    S = sp.csr_matrix((signs, (rows, np.arange(n))), shape=(lp.num_row, n))
    integrality = None if lp.integrality is None else np.concatenate([lp.integrality, np.zeros(n, np.int8)])
    slack = Block("slack", ("slack",), (tuple(range(n)),), lp.num_col, lp.num_col + n, units="EUR m",
                  long_name="relaxation of a rule")
    elastic = LinearProgram(
        "min", np.concatenate([np.zeros(lp.num_col), np.ones(n)]), sp.hstack([lp.A, S], format="csr"),
        lp.row_lower, lp.row_upper, np.concatenate([lp.col_lower, np.zeros(n)]),
        np.concatenate([lp.col_upper, np.full(n, np.inf)]), {**lp.variables, "slack": slack}, lp.constraints,
        integrality=integrality,
    )
    return elastic, _Slacks(lp.num_col, rows, signs)


def _block_of_rows(lp: LinearProgram) -> tuple[list[Block], np.ndarray]:
    """The blocks and, per row, the position of its block in that list."""
    blocks = list(lp.constraints.values())
    owner = np.full(lp.num_row, -1, dtype=np.int64)
    for n, block in enumerate(blocks):
        owner[block.start : block.stop] = n
    return blocks, owner


@dataclass(frozen=True, eq=False)
class _ShareRow:
    """A share row ``Σ_q eu - β·B`` as dense vectors over the columns: its members ``m`` and its base ``b``."""

    row: int
    members: np.ndarray
    base: np.ndarray

    @classmethod
    def of(cls, lp: LinearProgram, block: Block, row: int) -> _ShareRow:
        local = row - block.start
        base = share_base(block, lp.num_col).getrow(local).toarray().ravel()
        members = lp.A.getrow(row).toarray().ravel() + float(np.asarray(block.share)[local]) * base
        return cls(row, members, base)

    def share(self, x: np.ndarray) -> float:
        """``Σ_q eu / B``, the share the plan ``x`` gives."""
        return float(self.members @ x) / float(self.base @ x)

    def written(self, A: sp.csr_matrix, beta: float) -> sp.csr_matrix:
        """``A`` with this row's share set to ``β`` (a new matrix)."""
        delta = self.members - beta * self.base - A.getrow(self.row).toarray().ravel()
        cols = np.flatnonzero(delta)
        return (A + sp.csr_matrix((delta[cols], (np.full(len(cols), self.row), cols)), shape=A.shape)).tocsr()


def _widest_share(lp: LinearProgram, share: _ShareRow, beta: float, side: str, choice: SolverChoice) -> float:
    """The largest (side ``lower``) or smallest (``upper``) share the row can hold, starting from ``beta``.

    Dinkelbach: maximise ``Σ_q eu - β·B`` over the programme without the row; while positive, the plan's own
    share ``Σ_q eu / B`` exceeds β and becomes the next β. Each step is one LP on the same rows.
    """
    free_lower, free_upper = lp.row_lower.copy(), lp.row_upper.copy()
    free_lower[share.row], free_upper[share.row] = -np.inf, np.inf
    sense = "max" if side == "lower" else "min"
    on_base = np.flatnonzero(share.base)
    solver = choice.make_in_place()
    result = solver.solve(dataclasses.replace(lp, sense=sense, c=share.members - beta * share.base,
                                              row_lower=free_lower, row_upper=free_upper, offset=0.0))
    for _ in range(_DINKELBACH_STEPS):
        gain = result.objective if sense == "max" else -result.objective
        if result.status is not Status.OPTIMAL or gain <= TOL:
            break
        beta = share.share(result.x)
        # only the base's costs move: a warm re-solve
        solver.change_costs(on_base, (share.members - beta * share.base)[on_base])
        result = solver.solve()
    return beta


def _repaired_program(lp: LinearProgram, found: list[Relaxation]) -> LinearProgram:
    """``lp`` with every relaxation applied: bounds moved, shares written into their rows."""
    lower, upper, A = lp.row_lower.copy(), lp.row_upper.copy(), lp.A
    for r in found:
        row = r.block.start + r.index
        if r.block.per_point:
            A = _ShareRow.of(lp, r.block, row).written(A, r.repaired)
        elif r.side == "lower":
            lower[row] = r.repaired
        else:
            upper[row] = r.repaired
    return dataclasses.replace(lp, A=A, row_lower=lower, row_upper=upper)


def _polish_shares(lp: LinearProgram, found: list[Relaxation], choice: SolverChoice) -> list[Relaxation]:
    """Widen each relaxed share to the least change that holds given the other repairs; drop shares that
    need none after all."""
    out = list(found)
    for n, r in enumerate(found):
        if not r.block.per_point:
            continue
        work = _repaired_program(lp, out)
        row = r.block.start + r.index
        best = _widest_share(work, _ShareRow.of(lp, r.block, row), r.repaired, r.side, choice)  # members, base as in lp
        best = min(best, r.current) if r.side == "lower" else max(best, r.current)
        out[n] = dataclasses.replace(r, repaired=best)
    return [r for r in out if abs(r.repaired - r.current) > TOL * max(1.0, abs(r.current))]


def _relaxations(lp: LinearProgram, slacks: _Slacks, values: np.ndarray, x: np.ndarray) -> list[Relaxation]:
    """The rules the elastic solution relaxes, each with its bound before and after."""
    blocks, owner = _block_of_rows(lp)
    found = []
    for j in np.flatnonzero(values > TOL):
        row, side = int(slacks.rows[j]), "lower" if slacks.signs[j] > 0 else "upper"
        block = blocks[owner[row]]
        if block.per_point:
            current, repaired = float(np.asarray(block.share)[row - block.start]), _ShareRow.of(lp, block, row).share(x)
        else:
            current = float(lp.row_lower[row] if side == "lower" else lp.row_upper[row])
            repaired = current - values[j] if side == "lower" else current + values[j]
        found.append(Relaxation(block, row - block.start, side, current, float(repaired)))
    return found


def relax(lp: LinearProgram, rounds: int = 3, *, solver: SolverLike = "highs",
          options: dict[str, Any] | None = None) -> list[tuple[Relaxation, ...]]:
    """Up to ``rounds`` alternative repairs of an infeasible programme, each the least weighted relaxation
    with the rows of the earlier ones held hard; ``[]`` when ``lp`` is feasible.

    Raises
    ------
    InfeasibleError
        when no relaxation of the rules can help: the rows kept hard (the integer rules' links, say) conflict.
    CapabilityError
        when the backend lacks in-place updates (or integer columns, for a programme with integer rules).

    Parameters
    ----------
    lp : an assembled programme (see :func:`fundsim.lp.assemble`)
    rounds : how many alternatives to look for; fewer come back when no other rule can give way
    solver, options : the backend (a name, a backend, or a :class:`~fundsim.solvers.SolverChoice`) and its
        options; it needs in-place updates (each alternative re-solves the elastic programme changed)

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.model import Limit, MinPackage, Rules
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> relax(fs.assemble(sc))
    []
    >>> tight = sc.evolve(rules=Rules(priority_limits=(Limit("mobility", min=70.0),),
    ...                                  min_packages=(MinPackage("eastern_partnership", 70.0),)))
    >>> first = relax(fs.assemble(tight), rounds=1)[0]
    >>> sorted({r.block.name for r in first}), round(sum(r.repaired - r.current for r in first), 6)
    (['envelope'], 10.0)
    """
    elastic, slacks = elastic_program(lp)
    choice = solver_choice(solver, options, needs=(program_kind(elastic), Capability.IN_PLACE),
                           why=" to find the repairs of an infeasible scenario")
    backend = choice.make_in_place()
    result = backend.solve(elastic)
    if result.status is not Status.OPTIMAL:
        raise InfeasibleError("even with every envelope, capacity, limit, cap and share relaxed the rules cannot "
                              f"hold: the rules kept as they are ({', '.join(sorted(_hard_blocks(lp)))}) conflict "
                              f"among themselves ({display_name(choice.name)}: {result.status.value})")
    held = np.zeros(len(slacks.rows), dtype=bool)
    found: list[tuple[Relaxation, ...]] = []
    for _ in range(rounds):
        values = result.x[slacks.first :]
        if result.status is not Status.OPTIMAL or not (values > TOL).any():
            break
        repair = tuple(_polish_shares(lp, _relaxations(lp, slacks, values, result.x[: slacks.first]), choice))
        if repair:
            found.append(repair)
        held |= np.isin(slacks.rows, slacks.rows[values > TOL])
        cols = slacks.first + np.flatnonzero(held)
        backend.change_col_bounds(cols, np.zeros(len(cols)), np.zeros(len(cols)))
        result = backend.solve()  # warm, from the last basis (on a backend with warm re-solves)
    return found


def _hard_blocks(lp: LinearProgram) -> list[str]:
    """Row blocks the elastic programme keeps hard (definitions, links, integer rules)."""
    return [name for name in lp.constraints if not relaxable(name)]
