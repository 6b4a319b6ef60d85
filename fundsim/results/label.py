"""The one labelling step: flat primal, dual and ranging vectors → DataArrays with units and long names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import xarray as xr

from fundsim.errors import SolverError
from fundsim.model import Scenario
from fundsim.results.ranging import cost_ranging, face_cost_ranging, face_row_ranging, ranging_backend
from fundsim.rules import reported, share_base, user_rule
from fundsim.rules.program import Block, LinearProgram
from fundsim.rules.shares import TOTAL_COLUMN
from fundsim.solvers.base import RangingSolver, SolveResult, Status

__all__ = [
    "INTERVAL",
    "CostParameter",
    "block_array",
    "cost_parameters",
    "decision_arrays",
    "exact_row_ranges",
    "exact_rule_intervals",
    "exact_weight_intervals",
    "in_reported_units",
    "in_user_units",
    "range_units",
    "ranging_dataset",
    "rebased_solver",
    "relaxation_duals",
    "row_index",
    "row_ranges",
    "row_sides",
    "rule_ranges",
    "shadow_prices",
    "share_bases",
    "stacked_directions",
    "total_commitment",
    "weight_ranges",
]

INTERVAL = ("low", "value", "high")  # the last dim of every ranging variable


def block_array(block: Block, flat: np.ndarray, *, fill: float = np.nan, units: str | None = None,
                long_name: str | None = None) -> xr.DataArray:
    """The part of ``flat`` that belongs to ``block``, as a labelled DataArray.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> result = HighsSolver().solve(lp)
    >>> used = block_array(lp.constraints["envelope"], result.row_activity, units="EUR m")
    >>> used.dims, used.values.tolist(), used.attrs["units"]
    (('instrument', 'year'), [[10.0, 10.0], [20.0, 20.0]], 'EUR m')
    """
    return xr.DataArray(
        block.dense(flat, fill),
        dims=block.dims,
        coords={d: list(c) for d, c in zip(block.dims, block.coords, strict=True)},
        name=block.name,
        attrs={"units": units if units is not None else block.units,
               "long_name": long_name if long_name is not None else block.long_name},
    )


def decision_arrays(lp: LinearProgram, result: SolveResult) -> dict[str, xr.DataArray]:
    """The integer decisions of a mixed-integer programme (instrument active in a cell, cell open, region
    chosen as a mobility partnership), one labelled 0/1 array per block (NaN where no decision exists, e.g.
    regions that are not candidates); empty for a pure LP.

    Examples
    --------
    >>> import dataclasses, numpy as np, fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> from fundsim.solvers.mip import solve_mip
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> decision_arrays(fs.assemble(sc), HighsSolver().solve(fs.assemble(sc)))  # a pure LP has none
    {}
    >>> rules = dataclasses.replace(sc.rules, max_instruments_per_cell=fs.model.MaxInstrumentsPerCell(1))
    >>> lp = fs.assemble(sc.evolve(rules=rules))
    >>> active = decision_arrays(lp, solve_mip(HighsSolver(), lp))["instrument_active"]
    >>> active.dims, int(np.nansum(active))
    (('instrument', 'priority', 'region'), 4)
    """
    if lp.integrality is None:
        return {}
    x = np.round(np.asarray(result.x, float))
    return {name: block_array(block, x) for name, block in lp.variables.items()
            if block.size and lp.integrality[block.start]}


def relaxation_duals(lp: LinearProgram, result: SolveResult) -> np.ndarray:
    """Per row: change of the objective per unit of *relaxation* of the row's binding side.

    Relaxing a ``≤`` row raises its upper bound; relaxing a ``≥`` row lowers its lower bound. A ranged
    row (``min ≤ … ≤ max``, also ``min == max``) is relaxed on the side that binds, the one whose
    relaxation improves the objective, so its price has the sign of improvement: ≥ 0 when maximising,
    ≤ 0 when minimising. Equality rows keep ∂objective/∂bound.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> relax = relaxation_duals(lp, HighsSolver().solve(lp))
    >>> float(relax[lp.constraints["absorption"].start]), float(relax[lp.constraints["pillar_max_share"].start])
    (0.5, 1.0)
    """
    dual = np.asarray(result.row_dual, float)
    out = dual.copy()
    improving = 1.0 if lp.sense == "max" else -1.0
    for block in lp.constraints.values():
        s = slice(block.start, block.stop)
        if block.kind == "ge":
            out[s] = -dual[s]
        elif block.kind == "range":
            out[s] = improving * np.abs(dual[s])
    return out + 0.0  # turn -0.0 into 0.0


def share_bases(lp: LinearProgram, block: Block, x: np.ndarray) -> np.ndarray:
    """The base ``B`` of each row of a share rule in the plan ``x`` (EUR m): the money its share is taken of,
    all EU money ``E`` for the pillar balance and the focus, a region's money for a share of a region.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> share_bases(lp, lp.constraints["pillar_max_share"], HighsSolver().solve(lp).x).tolist()  # all EU money
    [60.0]
    """
    return np.asarray(share_base(block, lp.num_col) @ np.asarray(x, float))


def in_reported_units(lp: LinearProgram, relax: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per-row prices ``relax`` (objective per EUR m of a row) as fundsim reports them: money rules as they are,
    share rules per percentage point of their base in the plan ``x`` (``0.01·B`` EUR m, row by row).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> result = HighsSolver().solve(lp)
    >>> row = lp.constraints["pillar_max_share"].start
    >>> round(float(in_reported_units(lp, relaxation_duals(lp, result), result.x)[row]), 6)  # 1 per EUR m x 0.6 EUR m
    0.6
    """
    out = np.array(relax, float)
    for block in lp.constraints.values():
        if block.per_point:
            out[block.start : block.stop] *= 0.01 * share_bases(lp, block, x)
    return out


def shadow_prices(lp: LinearProgram, result: SolveResult) -> xr.Dataset:
    """Each rule's shadow price, labelled by the rule's own dims, as one Dataset.

    Money rules are in objective units per EUR m of relaxation; share rules (pillar balance, focus) per
    percentage point of the share, ``0.01 · B`` EUR m at the optimum's base ``B`` of each row (all EU money
    ``E`` for the shares of all EU money).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> prices = shadow_prices(lp, HighsSolver().solve(lp))
    >>> list(prices.data_vars)
    ['envelope', 'match_capacity', 'absorption', 'pillar_max_share']
    >>> prices["envelope"].values.tolist(), prices["pillar_max_share"].attrs["units"]
    ([[1.75, 1.75], [1.75, 1.75]], 'objective per percentage point')
    """
    relax = in_reported_units(lp, relaxation_duals(lp, result), result.x)
    data_vars, coords = {}, {}
    for name, block in lp.constraints.items():
        if not reported(name):
            continue
        units = "objective per percentage point" if block.per_point else block.units
        data_vars[name] = (block.dims, block.dense(relax), {"units": units,
                                                             "long_name": f"shadow price: {block.long_name}"})
        coords.update({d: list(c) for d, c in zip(block.dims, block.coords, strict=True)})
    return xr.Dataset(data_vars, coords=coords)


# ranging ---------------------------------------------------------------------------------------------
def rebased_solver(lp: LinearProgram, result: SolveResult) -> RangingSolver:
    """A backend of ``result``'s kind holding its optimal basis of ``lp`` again, ready for ranging
    (a :class:`~fundsim.errors.CapabilityError` for a backend without ranging).

    Re-solving from the kept basis takes no simplex iteration (about 12 ms on the reference scenario,
    mostly loading and factorising), which is why ranging is computed on demand, not at every solve.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> solver = rebased_solver(lp, HighsSolver().solve(lp))
    >>> type(solver).__name__, sorted(solver.ranging())[-2:]
    ('HighsSolver', ['row_bound_up_objective', 'row_status'])
    """
    if lp.integrality is not None and np.any(lp.integrality):
        raise SolverError("no ranging for a scenario with integer rules: shadow prices and their intervals are "
                          "defined for linear programmes only", "unavailable")
    solver = ranging_backend(result.solver)
    if result.basis is None:
        raise SolverError(f"ranging needs the optimal basis of the solve, which the {result.solver!r} backend did "
                          "not keep: solve again", "unavailable")
    solver.load(lp)
    solver.set_basis(result.basis)
    again = solver.solve()
    if again.status is not Status.OPTIMAL or not np.allclose(again.x, result.x, rtol=1e-9, atol=1e-7):
        raise SolverError("the solve's basis no longer gives its allocation (was the LP changed in place "
                          "since?): cannot range it", "error")
    return solver


def row_sides(lp: LinearProgram, raw: dict[str, np.ndarray], activity: np.ndarray) -> np.ndarray:
    """Per row, the bound that is ranged: +1 the upper, -1 the lower.

    A binding row's binding side; for a non-binding row the finite bound nearer its activity (a ``≤``
    row's maximum, a ``≥`` row's minimum).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> result = HighsSolver().solve(lp)
    >>> raw = rebased_solver(lp, result).ranging()
    >>> row_sides(lp, raw, result.row_activity).tolist()  # every rule of the tutorial is a maximum
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    """
    lower, upper, status = lp.row_lower, lp.row_upper, raw["row_status"]
    nearer_upper = np.isfinite(upper) & (~np.isfinite(lower) | (upper - activity <= activity - lower))
    return np.where(status != 0, status, np.where(nearer_upper, 1, -1)).astype(np.int8)


def row_ranges(lp: LinearProgram, raw: dict[str, np.ndarray], activity: np.ndarray) -> np.ndarray:
    """Per row, ``[low, value, high]`` of its ranged bound (:func:`row_sides`) over which the duals hold.

    A binding row gets HiGHS's ``row_bound`` interval, that of the optimal basis. A non-binding row's
    price 0 holds from its activity outwards.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> result = HighsSolver().solve(lp)
    >>> ranges = row_ranges(lp, rebased_solver(lp, result).ranging(), result.row_activity)
    >>> ranges[lp.constraints["absorption"].start].tolist()  # North Africa 2009: [low, value, high]
    [10.0, 25.0, 30.0]
    """
    side, basic = row_sides(lp, raw, activity), raw["row_status"] == 0
    low = np.where(basic, np.where(side > 0, activity, -np.inf), raw["row_bound_dn"])
    high = np.where(basic, np.where(side > 0, np.inf, activity), raw["row_bound_up"])
    return np.column_stack([low, np.where(side > 0, lp.row_upper, lp.row_lower), high])


def exact_row_ranges(solver: RangingSolver, lp: LinearProgram, raw: dict[str, np.ndarray], activity: np.ndarray,
                     rows: np.ndarray) -> np.ndarray:
    """Like :func:`row_ranges` for ``rows``, but the whole interval over which the duals stay optimal
    (:func:`~fundsim.results.ranging.face_row_ranging`), not only the optimal basis's.

    Examples
    --------
    >>> import numpy as np, fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> result = HighsSolver().solve(lp)
    >>> solver = rebased_solver(lp, result)
    >>> rows = np.arange(lp.constraints["absorption"].start, lp.constraints["absorption"].start + 2)
    >>> exact_row_ranges(solver, lp, solver.ranging(), result.row_activity, rows).tolist()
    [[5.0, 25.0, 30.0], [5.0, 25.0, 30.0]]
    """
    side = row_sides(lp, raw, activity)[rows]
    low, high = face_row_ranging(solver, rows, side)
    return np.column_stack([low, np.where(side > 0, lp.row_upper[rows], lp.row_lower[rows]), high])


def _as_share(lp: LinearProgram, block: Block, rows: np.ndarray, ranges: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Ranges of share rows ``Σ_g eu - β·B ≤ b`` (or ``≥ b``) as shares ``β + b/B`` in percent.

    First order: the base ``B`` is held at the optimum's, as for the price per percentage point; NaN where the
    base is empty.
    """
    local = rows - block.start
    beta = np.asarray(block.share)[local]
    base = share_bases(lp, block, x)[local]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * (beta[:, None] + ranges / base[:, None])
    return np.where(base[:, None] > 0, out, np.nan)


def total_commitment(lp: LinearProgram, result: SolveResult) -> float:
    """``E``, the total EU commitment at the optimum (0 when the LP has no share rule).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> total_commitment(lp, HighsSolver().solve(lp))
    60.0
    """
    total = lp.variables.get(TOTAL_COLUMN.name)
    return float(result.x[total.start]) if total is not None else 0.0


def in_user_units(lp: LinearProgram, result: SolveResult, name: str, rows: np.ndarray,
                  ranges: np.ndarray) -> np.ndarray:
    """Ranges of ``rows`` of rule family ``name`` (row units) as the user writes the rule: EUR m, or percent
    for share rules (see :func:`_as_share`).

    Examples
    --------
    >>> import numpy as np, fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> result = HighsSolver().solve(lp)
    >>> row = lp.constraints["pillar_max_share"].start  # the row sum(remittances) - 0.25 E <= 0, ranged [0, 0, 5]
    >>> in_user_units(lp, result, "pillar_max_share", np.array([row]), np.array([[0.0, 0.0, 5.0]])).round(2).tolist()
    [[25.0, 25.0, 33.33]]
    """
    block = lp.constraints[name]
    return _as_share(lp, block, rows, ranges, np.asarray(result.x, float)) if block.per_point else ranges


def range_units(block: Block) -> str:
    """The units ranging reports a rule's bound in: ``"%"`` for share rules, else ``"EUR m"``.

    Examples
    --------
    >>> import fundsim as fs
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> range_units(lp.constraints["pillar_max_share"]), range_units(lp.constraints["envelope"])
    ('%', 'EUR m')
    """
    return "%" if block.per_point else "EUR m"


def _local_dense(block: Block, local: np.ndarray) -> np.ndarray:
    """``local`` (one value per element of ``block``) on the block's full grid, NaN where no element."""
    return block.dense(np.concatenate([np.zeros(block.start), local]), np.nan)


def _labelled(dims: tuple[str, ...], coords: tuple[tuple, ...], dense: np.ndarray, units: str,
              long_name: str, holds: str) -> xr.DataArray:
    return xr.DataArray(dense, dims=(*dims, "interval"),
                        coords={**{d: list(c) for d, c in zip(dims, coords, strict=True)}, "interval": list(INTERVAL)},
                        attrs={"units": units, "long_name": long_name, "holds": holds})


def rule_ranges(lp: LinearProgram, result: SolveResult, ranges: np.ndarray) -> dict[str, xr.DataArray]:
    """Per rule family, the interval of its bound over which its shadow price holds, as the user writes it,
    from per-row ``ranges`` (:func:`row_ranges`).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> result = HighsSolver().solve(lp)
    >>> ranges = rule_ranges(lp, result, row_ranges(lp, rebased_solver(lp, result).ranging(), result.row_activity))
    >>> ranges["absorption"].dims, ranges["absorption"].sel(region="north_africa", year=2009).values.tolist()
    (('region', 'year', 'interval'), [10.0, 25.0, 30.0])
    """
    out = {}
    for name, block in lp.constraints.items():
        if not user_rule(name):
            continue
        rows = np.arange(block.start, block.stop)
        part = in_user_units(lp, result, name, rows, ranges[rows])
        dense = np.stack([_local_dense(block, part[:, k]) for k in range(3)], axis=-1)
        out[name] = _labelled(block.dims, block.coords, dense, range_units(block),
                              f"{block.long_name}: bound over which its shadow price holds", "shadow price")
    return out


def row_index(lp: LinearProgram, name: str) -> xr.DataArray:
    """The LP row of each rule of family ``name``, labelled by the rule's dims (NaN where no rule).

    Examples
    --------
    >>> import fundsim as fs
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> row_index(lp, "absorption").values.tolist()  # no absorption rule in the Eastern Partnership
    [[6.0, 7.0], [nan, nan]]
    """
    block = lp.constraints[name]
    return block_array(block, np.arange(lp.num_row, dtype=float))


@dataclass(frozen=True, eq=False)
class CostParameter:
    """A number of the objective that sets the costs of many columns at once.

    ``directions[:, k]`` is ``∂c/∂value[k]``: the LP's costs are ``Σ_k value[k]·directions[:, k]`` summed
    over every parameter (:func:`cost_parameters` builds them so). ``positions`` place the elements on
    ``dims`` (``None``: dense in C order); NaN in ``value`` marks an element that cannot be ranged.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> weights = cost_parameters(sc, fs.assemble(sc))[0]
    >>> weights.name, weights.dims, weights.directions.shape
    ('impact_weight', ('priority', 'region'), (25, 6))
    >>> weights.dense(weights.value).tolist()
    [[1.0, 1.5], [2.0, 1.0], [3.0, 1.0]]
    """

    name: str
    dims: tuple[str, ...]
    coords: tuple[tuple, ...]
    positions: tuple[np.ndarray, ...] | None
    value: np.ndarray
    directions: sp.csc_matrix
    units: str
    long_name: str

    def dense(self, values: np.ndarray) -> np.ndarray:
        shape = tuple(len(c) for c in self.coords)
        if self.positions is None:
            return values.reshape(shape)
        out = np.full(shape, np.nan)
        out[self.positions] = values
        return out


def _impact_parameter(sc: Scenario, lp: LinearProgram) -> CostParameter | None:
    """The impact weights ``weights[p, r]``: the cost of each ``eu`` column of the cell is ``weight·w·f·slope``,
    or, with diminishing returns, of each segment column ``weight·w·slope_s`` (see ``define_impact``)."""
    term = sc.objective.impact
    if term is None:
        return None
    nr = len(sc.regions)
    if term.breakpoints:
        seg = lp.variables["impact_segment"]
        p, r, s = seg.positions or ()
        cols, per_unit = np.arange(seg.start, seg.stop), term.weight * np.asarray(term.slopes)[s]
    else:
        eu = lp.variables["eu"]
        i, p, r, _ = eu.positions or ()
        factor = 1.0 + sc.match_ratio[i, p, r] if term.basis == "total" else np.ones(len(i))
        cols, per_unit = np.arange(eu.start, eu.stop), term.weight * factor * term.slopes[0]
    directions = sp.csc_matrix((per_unit, (cols, p * nr + r)), shape=(lp.num_col, len(sc.priorities) * nr))
    cells = np.flatnonzero(np.diff(directions.indptr) > 0)
    value = term.weights.ravel()[cells].astype(float)
    if term.breakpoints:  # a cell of weight 0 gets segments bounded at 0: a higher weight needs a rebuild
        value[value == 0] = np.nan
    return CostParameter("impact_weight", ("priority", "region"), (sc.priority_ids, sc.region_ids),
                         np.unravel_index(cells, (len(sc.priorities), nr)), value, directions[:, cells],
                         "weight", "impact weight: interval over which the allocation stays optimal")


def _leverage_parameter(sc: Scenario, lp: LinearProgram) -> CostParameter | None:
    """The leverage weight λ: each ``eu`` column earns ``λ·k``, k the co-financing it mobilises per EUR m."""
    if sc.objective.leverage is None:
        return None
    eu = lp.variables["eu"]
    i, p, r, _ = eu.positions or ()
    directions = sp.csc_matrix((sc.match_ratio[i, p, r], (np.arange(eu.start, eu.stop), np.zeros(eu.size, int))),
                               shape=(lp.num_col, 1))
    return CostParameter("leverage_weight", (), (), None, np.array([sc.objective.leverage.weight]), directions,
                         "objective per EUR m of co-financing",
                         "leverage weight: interval over which the allocation stays optimal")


def _goal_parameter(sc: Scenario, lp: LinearProgram) -> CostParameter | None:
    """The targets' weights: each EUR m short of target t costs ``weight·weight_t`` (see ``define_goals``)."""
    goals = sc.objective.goals
    if goals is None:
        return None
    block = lp.variables["shortfall"]
    sign = 1.0 if sc.objective.sense == "min" else -1.0
    n = block.size
    directions = sp.csc_matrix((np.full(n, sign * goals.weight), (np.arange(block.start, block.stop), np.arange(n))),
                               shape=(lp.num_col, n))
    return CostParameter("goal_weight", ("target",), block.coords, None,
                         np.array([t.weight for t in goals.targets], float), directions,
                         "objective per EUR m short", "target weight: interval over which the allocation stays "
                         "optimal")


def cost_parameters(sc: Scenario, lp: LinearProgram) -> list[CostParameter]:
    """The objective's numbers as the user writes them (impact weights per priority × region, the leverage
    weight, the targets' weights), each with the LP costs it sets.

    Examples
    --------
    >>> import numpy as np, fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> lp = fs.assemble(sc)
    >>> params = cost_parameters(sc, lp)
    >>> [p.name for p in params]
    ['impact_weight']
    >>> bool(np.allclose(sum(p.directions @ np.nan_to_num(p.value) for p in params), lp.c))
    True
    """
    found = (_impact_parameter(sc, lp), _leverage_parameter(sc, lp), _goal_parameter(sc, lp))
    return [p for p in found if p is not None]




def weight_ranges(params: list[CostParameter], low: np.ndarray, high: np.ndarray) -> dict[str, xr.DataArray]:
    """Per objective parameter, the interval of each value over which the allocation stays optimal, from the
    steps ``low``/``high`` along the parameters' directions (stacked in order).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> from fundsim.results.ranging import cost_ranging
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> lp = fs.assemble(sc)
    >>> params = cost_parameters(sc, lp)
    >>> low, high = cost_ranging(rebased_solver(lp, HighsSolver().solve(lp)), stacked_directions(params, lp.num_col))
    >>> weight_ranges(params, low, high)["impact_weight"].sel(priority="remittances", region="north_africa").values
    array([ 2.,  3., inf])
    """
    out, first = {}, 0
    for p in params:
        k = slice(first, first + len(p.value))
        first += len(p.value)
        ends = np.column_stack([p.value + low[k], p.value, p.value + high[k]])
        dense = np.stack([p.dense(ends[:, n]) for n in range(3)], axis=-1)
        out[p.name] = _labelled(p.dims, p.coords, dense, p.units, p.long_name, "allocation")
    return out


def stacked_directions(params: list[CostParameter], num_col: int) -> sp.csc_matrix:
    """All parameters' directions side by side (an empty matrix when there is none).

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> lp = fs.assemble(sc)
    >>> stacked_directions(cost_parameters(sc, lp), lp.num_col).shape, stacked_directions([], lp.num_col).shape
    ((25, 6), (25, 0))
    """
    return sp.hstack([p.directions for p in params], format="csc") if params else sp.csc_matrix((num_col, 0))


def ranging_dataset(sc: Scenario, lp: LinearProgram, result: SolveResult, *, exact: bool = False) -> xr.Dataset:
    """LP ranging of a solved scenario, labelled like the shadow prices.

    One variable per rule family (its dims and ``interval`` = low, value, high): the interval of the
    rule's bound over which its shadow price holds, in EUR m or, for share rules, percent. One variable
    per objective parameter (``impact_weight`` over priority × region, ``leverage_weight``,
    ``goal_weight`` over target): the interval of the weight over which the allocation stays optimal.
    Unlimited ends are ``±inf``.

    By default the intervals are those of the optimal basis (HiGHS's ranging, and its generalisation to
    a weight shared by many columns): the number holds at least over them. fundsim's LPs are highly
    degenerate (many ties), and the basis's interval can be a small part of the true one (on the
    reference scenario, 204 of 216 ends of binding rules lie short of it). ``exact=True`` computes the
    whole interval over which the same shadow prices (the same allocation) stay optimal, two LPs per
    number: 12 s on the reference scenario instead of 0.14 s (where every finite interval of a rule is
    then more than 1.5 times as wide).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> lp = fs.assemble(sc)
    >>> result = HighsSolver().solve(lp)
    >>> ranging_dataset(sc, lp, result)["absorption"].sel(region="north_africa", year=2010).values.tolist()
    [5.0, 25.0, 25.0]
    >>> ranging_dataset(sc, lp, result, exact=True)["absorption"].sel(region="north_africa", year=2010).values.tolist()
    [5.0, 25.0, 30.0]
    """
    solver = rebased_solver(lp, result)
    raw = solver.ranging()
    activity = np.asarray(result.row_activity, float)
    ranges = row_ranges(lp, raw, activity)
    params = cost_parameters(sc, lp)
    directions = stacked_directions(params, lp.num_col)
    if exact:
        rows = np.array([i for name, b in lp.constraints.items() if user_rule(name)
                         for i in range(b.start, b.stop)], dtype=np.int64)
        ranges[rows] = exact_row_ranges(solver, lp, raw, activity, rows)
        low, high = face_cost_ranging(solver, directions)
    else:
        low, high = cost_ranging(solver, directions)
    parts = {**rule_ranges(lp, result, ranges), **weight_ranges(params, low, high)}
    # the rules' region axis (units and regions planned in parts) is the one every part stands on, in its order
    # (an outer join would sort the labels)
    axis = next((list(b.coords[b.dims.index("region")]) for b in lp.constraints.values() if "region" in b.dims),
                None)
    if axis is not None:
        parts = {k: v.reindex(region=axis) if "region" in v.dims else v for k, v in parts.items()}
    ds = xr.Dataset(parts)
    ds.attrs["ranging"] = "exact" if exact else "basis"
    return ds


def exact_rule_intervals(lp: LinearProgram, result: SolveResult, picks: list[tuple[str, int]]) -> np.ndarray:
    """Exact ``[low, value, high]`` for some rules, each given as (family, LP row), in the user's units.

    The whole interval over which the shadow prices stay optimal (:func:`exact_row_ranges`), for a few
    rules: two LPs each, where :func:`ranging_dataset` with ``exact=True`` ranges them all.

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> row = lp.constraints["absorption"].start + 1  # North Africa, 2010
    >>> exact_rule_intervals(lp, HighsSolver().solve(lp), [("absorption", row)]).tolist()
    [[5.0, 25.0, 30.0]]
    """
    if not picks:
        return np.zeros((0, 3))
    solver = rebased_solver(lp, result)
    rows = np.array([row for _, row in picks], dtype=np.int64)
    ranges = exact_row_ranges(solver, lp, solver.ranging(), np.asarray(result.row_activity, float), rows)
    return np.vstack([in_user_units(lp, result, name, rows[k : k + 1], ranges[k : k + 1])
                      for k, (name, _) in enumerate(picks)])


def exact_weight_intervals(sc: Scenario, lp: LinearProgram, result: SolveResult,
                           picks: list[tuple[CostParameter, int]]) -> np.ndarray:
    """Exact ``[low, value, high]`` for some objective weights, each given as (parameter, element): the whole
    interval over which the allocation stays optimal (:func:`~fundsim.results.ranging.face_cost_ranging`).

    Examples
    --------
    >>> import fundsim as fs
    >>> from fundsim.solvers import HighsSolver
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> lp = fs.assemble(sc)
    >>> weights = cost_parameters(sc, lp)[0]  # element 0: mobility in North Africa
    >>> exact_weight_intervals(sc, lp, HighsSolver().solve(lp), [(weights, 0)]).tolist()
    [[-inf, 1.0, 2.0]]
    """
    if not picks:
        return np.zeros((0, 3))
    solver = rebased_solver(lp, result)
    low, high = face_cost_ranging(solver, sp.hstack([p.directions[:, [k]] for p, k in picks], format="csc"))
    value = np.array([p.value[k] for p, k in picks])
    return np.column_stack([value + low, value, value + high])
