"""Minimum packages (16041/08 §11): a mobility-partnership region receives at least its package for the
package priorities over the period."""

from __future__ import annotations

import numpy as np

from fundsim import model as m
from fundsim.model import Scenario, Selector
from fundsim.rules.checking import Plan, Rule, Violation
from fundsim.rules.entries import Labels, Noted, Section
from fundsim.rules.family import Assembly, Repair, Rows, RuleFamily, register
from fundsim.rules.fields import Amount, PillarRef, PriorityRef, RegionRef

__all__ = ["FAMILY", "PACKAGE", "SECTION", "PackageSpec", "check_min_packages", "define_min_packages", "package_labels"]
from fundsim.rules.program import Entries, Header


def package_labels(sc: Scenario) -> tuple[str, ...]:
    """One label per minimum package: the region id, numbered where a region has more than one.

    Examples
    --------
    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["min_packages"] = [{"region": "north_africa", "amount": 10, "priorities": ["return"]},
    ...                                 {"region": "north_africa", "amount": 5},
    ...                                 {"region": "eastern_partnership", "amount": 8, "pillars": ["legal"]}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> package_labels(sc)
    ('north_africa#1', 'north_africa#2', 'eastern_partnership')
    """
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
    """``Σ_{i,p in package,y} eu[i,p,r,y] ≥ amount`` for mobility-partnership regions or countries (16041/08 §11);
    a region planned in parts counts all of its units.

    Rows are labelled by package: the region's id, or ``region#n`` when a region has several packages.

    Examples
    --------
    Return in North Africa has 4 eligible cells (two instruments, two years), North Africa 10 (TPMA's 3
    priorities and ENPI's 2, two years), the legal pillar (mobility) in the East 4:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["min_packages"] = [{"region": "north_africa", "amount": 10, "priorities": ["return"]},
    ...                                 {"region": "north_africa", "amount": 5},
    ...                                 {"region": "eastern_partnership", "amount": 8, "pillars": ["legal"]}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> lp = fs.assemble(sc)
    >>> block = lp.constraints["min_package"]
    >>> lp.row_lower[block.start:block.stop], lp.A[block.start:block.stop].getnnz(axis=1).tolist()
    (array([10.,  5.,  8.]), [4, 10, 4])
    """
    sc, cells = a.sc, a.cells
    packs = sc.rules.min_packages
    if not packs:
        return
    pr = np.stack([Selector(priorities=x.priorities).vector("priority", sc.priority_ids) for x in packs])
    covers = sc.membership[[sc.area_ids.index(x.region) for x in packs]]  # a region planned in parts: its units
    hit = covers[:, cells.r] & pr[:, cells.p]
    rows, idx = np.nonzero(hit)
    amounts = np.array([x.amount for x in packs])
    a.b.add_constraints(
        Header(PACKAGE.name, PACKAGE.dims, (package_labels(sc),), None, PACKAGE.row_unit, PACKAGE.long_name),
        Entries(rows, cells.col[idx], np.ones(len(idx))), amounts, np.full(len(packs), np.inf), kind="ge",
    )


def check_min_packages(plan: Plan) -> list[Violation]:
    """``Σ_{i, p in package, y} eu[i,p,r,y] ≥ amount`` for each package's region.

    Examples
    --------
    EUR 6 m for return in North Africa meets its second package (5, any priority) but not its first (10, return);
    the East gets nothing of its 8:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["min_packages"] = [{"region": "north_africa", "amount": 10, "priorities": ["return"]},
    ...                                 {"region": "north_africa", "amount": 5},
    ...                                 {"region": "eastern_partnership", "amount": 8, "pillars": ["legal"]}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> from fundsim.rules import Plan
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[1, 1, 0, 0] = 6.0  # enpi, return, north_africa, 2009
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels["package"], v.value, v.limit) for v in check_min_packages(plan)]
    [('north_africa#1', 6.0, 10.0), ('eastern_partnership', 0.0, 8.0)]
    """
    sc, found = plan.sc, []
    for pack, label in zip(sc.rules.min_packages, package_labels(sc), strict=True):
        counts = Selector(priorities=pack.priorities).vector("priority", sc.priority_ids)
        value = float(plan.eu[:, counts][:, :, sc.units_of(pack.region)].sum())
        which = "" if pack.priorities is None else f" ({', '.join(sorted(pack.priorities))})"
        found += plan.outside(Rule("min_packages", "minimum package", {"package": label}),
                              f"the package for {pack.region}{which} over the period is", value, pack.amount, None,
                              names=("minimum package", "maximum"))
    return found


class PackageSpec(Noted):
    """One entry of ``rules: min_packages:``: at least ``amount`` (EUR m) to the region over the period, counting only
    the listed priorities (or pillars; none listed: all).

    Examples
    --------
    >>> spec = PackageSpec.model_validate({"region": "north_africa", "amount": {"value": 10, "source": "§11"},
    ...                                    "priorities": ["return"]})
    >>> spec.amount, spec.priorities, spec.pillars
    (10.0, ['return'], None)
    """

    region: RegionRef
    amount: Amount
    priorities: list[PriorityRef] | None = None
    pillars: list[PillarRef] | None = None


def _build(value: list[PackageSpec], labels: Labels) -> tuple[m.MinPackage, ...]:
    return tuple(m.MinPackage(x.region, x.amount, labels.priorities_of(x)) for x in value)


SECTION = Section("min_packages", list[PackageSpec], [], _build,
                  doc="| `min_packages[]` | `region`, `amount` (EUR m), optional `priorities` / `pillars` | a "
                      "mobility-partnership package (§11): at least `amount` to the region, counting only the listed "
                      "priorities |")
FAMILY = register(RuleFamily("min_packages", (PACKAGE,), define_min_packages, check_min_packages, order=90,
                             sections=(SECTION,)))
