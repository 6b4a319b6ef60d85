"""Minimum packages (16041/08 §11): a mobility-partnership region receives at least its package for the
package priorities over the period."""

from __future__ import annotations

import numpy as np

from fundsim.model import Scenario, Selector
from fundsim.rules.checking import Plan, Rule, Violation
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.program import Entries, Header


def package_labels(sc: Scenario) -> tuple[str, ...]:
    """One label per minimum package: the region id, numbered where a region has more than one."""
    regions = [x.region for x in sc.rules.min_packages]
    seen: dict[str, int] = {}
    labels = []
    for r in regions:
        seen[r] = seen.get(r, 0) + 1
        labels.append(r if regions.count(r) == 1 else f"{r}#{seen[r]}")
    return tuple(labels)


PACKAGE = Rows("min_package", ("package",), "objective gained per EUR m the minimum package is lowered",
               long_name="minimum package for partnership regions",
               repair=Repair("the minimum package of {package!r}", section="min_packages", dim="package",
                             lower="amount", upper="amount", labels=package_labels))


def define_min_packages(a: Assembly) -> None:
    """``Σ_{i,p in package,y} eu[i,p,r,y] ≥ amount`` for mobility-partnership regions (16041/08 §11).

    Rows are labelled by package: the region's id, or ``region#n`` when a region has several packages.
    """
    sc, cells = a.sc, a.cells
    packs = sc.rules.min_packages
    if not packs:
        return
    pr = np.stack([Selector(priorities=x.priorities).vector("priority", sc.priority_ids) for x in packs])
    region_rows = np.array([sc.region_ids.index(x.region) for x in packs])
    hit = (region_rows[:, None] == cells.r[None, :]) & pr[:, cells.p]
    rows, idx = np.nonzero(hit)
    amounts = np.array([x.amount for x in packs])
    a.b.add_constraints(
        Header(PACKAGE.name, PACKAGE.dims, (package_labels(sc),), None, PACKAGE.row_unit, PACKAGE.long_name),
        Entries(rows, cells.col[idx], np.ones(len(idx))), amounts, np.full(len(packs), np.inf), kind="ge",
    )


def check_min_packages(plan: Plan) -> list[Violation]:
    """``Σ_{i, p in package, y} eu[i,p,r,y] ≥ amount`` for each package's region."""
    sc, found = plan.sc, []
    for pack, label in zip(sc.rules.min_packages, package_labels(sc), strict=True):
        counts = Selector(priorities=pack.priorities).vector("priority", sc.priority_ids)
        value = float(plan.eu[:, counts, sc.region_ids.index(pack.region)].sum())
        which = "" if pack.priorities is None else f" ({', '.join(sorted(pack.priorities))})"
        found += plan.outside(Rule("min_packages", "minimum package", {"package": label}),
                              f"the package for {pack.region}{which} over the period is", value, pack.amount, None,
                              names=("minimum package", "maximum"))
    return found


FAMILY = register(RuleFamily("min_packages", (PACKAGE,), define_min_packages, check_min_packages, order=90))
