"""Absorption capacity (16041/08 §8): the payments falling due in a region and year stay within what the region
can absorb."""

from __future__ import annotations

import numpy as np

from fundsim.model import stacked
from fundsim.rules.checking import Plan, Rule, Violation
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import payment_profiles

__all__ = ["ABSORPTION", "AFTER", "FAMILY", "check_absorption", "define_absorption"]

ABSORPTION = Rows("absorption", ("region", "year"),
                  "objective gained per EUR m more absorption capacity of the region in that year",
                  long_name="absorption capacity (payments)",
                  repair=Repair("the absorption capacity of {region!r} in {year}", target="absorption_capacity"))
AFTER = Rows("absorption_after_horizon", ("region", "year_after"),
             "objective gained per EUR m more absorption capacity of the region's last year, for the payments due "
             "in that later year", long_name="absorption capacity after the last year (payments)",
             repair=Repair("the absorption capacity of {region!r} in the last year (it also caps payments due in "
                           "{year_after})", target="absorption_capacity"))


def define_absorption(a: Assembly) -> None:
    """``Σ_{i,p,l} profile[i,l]·f·eu[i,p,r,y-l] ≤ capacity[r,y]`` (16041/08 §8), per planning unit, and for a
    region planned in parts whose capacity is stated for the whole region, summed over its units.

    Payments of a commitment follow the instrument's payment profile; ``f`` is 1 when absorption counts
    EU money and ``1 + k`` when it counts total cost. Only region-years with a finite capacity get a row.
    Payments falling due after the last year are capped at the last year's capacity (block
    ``absorption_after_horizon[region, year]``) unless the scenario says ``after_horizon: unlimited``.
    When no payment profile ever rises, those rows are implied by the last year's and are left out:
    what falls due in year T+t is then at most what fell due in year T, termwise.

    Examples
    --------
    North Africa absorbs 25 a year; the Eastern Partnership has no capacity and gets no row. Every payment
    profile is ``[1.0]``, so nothing falls due after 2010 and there is no block after the horizon:

    >>> import fundsim as fs
    >>> lp = fs.assemble(fs.load_scenario("scenarios/tutorial.yaml"))
    >>> block = lp.constraints["absorption"]
    >>> block.positions, lp.row_upper[block.start:block.stop]
    ((array([0, 0]), array([0, 1])), array([25., 25.]))
    >>> "absorption_after_horizon" in lp.constraints
    False
    """
    sc, cells, b = a.sc, a.cells, a.b
    profile = payment_profiles(sc)
    longest = profile.shape[1]
    rising = any(np.any(np.diff(ins.payment_profile) > 0) for ins in sc.instruments)
    ny = len(sc.years)
    shared = sc.absorption.shared
    cap = sc.absorption.extended(longest - 1 if rising else 0, stacked(sc.absorption.capacity, shared))
    factor = 1.0 + cells.k if sc.absorption.basis == "total" else np.ones(cells.n)
    # each cell counts in its unit's row and in those of the regions planned in parts that hold it
    area, cell = (np.nonzero(sc.capacity_cover(shared)[:, cells.r]) if shared
                  else (cells.r, np.arange(cells.n)))
    row_of = np.full(cap.shape, -1, dtype=np.int64)
    finite = np.isfinite(cap)
    row_of[finite] = np.arange(finite.sum())
    rows, cols, vals = [], [], []
    ci, cy, ccol = cells.i[cell], cells.y[cell], cells.col[cell]
    for lag in range(longest):  # a handful of lags, each vectorised over all cells
        coef = profile[ci, lag] * factor[cell]
        ok = (coef > 0) & (cy + lag < cap.shape[1])
        target = row_of[area[ok], cy[ok] + lag]
        keep = target >= 0
        rows.append(target[keep])
        cols.append(ccol[ok][keep])
        vals.append(coef[ok][keep])
    rows_, cols_, vals_ = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    fr, fy = np.nonzero(finite)
    inside = fy < ny  # rows of scenario years come first (row_of numbers them in C order per region)
    order = np.argsort(~inside, kind="stable")
    new_row = np.empty(len(order), dtype=np.int64)
    new_row[order] = np.arange(len(order))
    rows_ = new_row[rows_]
    n_in = int(inside.sum())
    labels = sc.capacity_labels(shared)
    b.add_constraints(
        Header(ABSORPTION.name, ABSORPTION.dims, (labels, sc.years), (fr[inside], fy[inside]),
               ABSORPTION.row_unit, ABSORPTION.long_name),
        Entries(rows_[rows_ < n_in], cols_[rows_ < n_in], vals_[rows_ < n_in]), np.full(n_in, -np.inf),
        cap[fr[inside], fy[inside]], kind="le",
    )
    later = tuple(sc.years[-1] + t for t in range(1, cap.shape[1] - ny + 1))
    late = rows_ >= n_in
    b.add_constraints(
        Header(AFTER.name, AFTER.dims, (labels, later), (fr[~inside], fy[~inside] - ny), AFTER.row_unit,
               AFTER.long_name),
        Entries(rows_[late] - n_in, cols_[late], vals_[late]), np.full(len(fr) - n_in, -np.inf),
        cap[fr[~inside], fy[~inside]], kind="le",
    )


def check_absorption(plan: Plan) -> list[Violation]:
    """``Σ_{i,p,l} profile[i,l]·money[i,p,r,y-l] ≤ capacity[r,y]``: payments falling due in a region-year,
    of EU money or of total cost (EU + co-financing) by the absorption basis, stay within capacity.

    Years after the last scenario year are held to the last year's capacity when the scenario's
    ``after_horizon`` is ``"last_year"``.

    Examples
    --------
    EUR 30 m paid to North Africa in 2009 (profile ``[1.0]``: paid in the year committed), 5 above its capacity:

    >>> import numpy as np
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0, 0], eu[1, 1, 0, 0] = 10.0, 20.0  # tpma remittances and enpi return, north_africa, 2009
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit, v.size) for v in check_absorption(plan)]
    [({'region': 'north_africa', 'year': 2009}, 30.0, 25.0, 5.0)]
    """
    sc, found = plan.sc, []
    total = sc.absorption.basis == "total"
    money = (plan.total if total else plan.eu).sum(axis=1)  # (instrument, region, year)
    ny = len(sc.years)
    extra = max(len(ins.payment_profile) for ins in sc.instruments) - 1
    due = np.zeros((len(sc.regions), ny + extra))
    for n, ins in enumerate(sc.instruments):
        for lag, share in enumerate(ins.payment_profile):
            due[:, lag : lag + ny] += share * money[n]
    what = "payments (EU + co-financing)" if total else "payments"
    shared = sc.absorption.shared
    due = sc.capacity_cover(shared) @ due  # a region planned in parts: the payments to all of its units
    cap = stacked(sc.absorption.capacity, shared)
    tail = cap[:, -1] if sc.absorption.after_horizon == "last_year" else np.full(len(cap), np.inf)
    for r, region in enumerate(sc.capacity_labels(shared)):
        for y in range(ny + extra):
            limit = cap[r, y] if y < ny else tail[r]
            labels = {"region": region, "year": sc.years[0] + y} if y < ny else {"region": region,
                                                                                 "year_after": sc.years[0] + y}
            rule = Rule("absorption", "absorption", labels)
            found += plan.outside(rule, f"{what} to {region} in {sc.years[0] + y} are", due[r, y], None, limit,
                                  names=("minimum", "capacity"))
    return found


FAMILY = register(RuleFamily("absorption", (ABSORPTION, AFTER), define_absorption, check_absorption, order=50))
