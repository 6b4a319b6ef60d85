"""New mobility partnerships (16041/08 §11): choose which candidate regions become partners, each with its
package."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import Field, model_validator

from fundsim import model as m
from fundsim.model import Scenario, Selector
from fundsim.rules.binaries import binaries, links
from fundsim.rules.checking import Plan, Violation, eur
from fundsim.rules.entries import Labels, Noted, Section
from fundsim.rules.family import Assembly, Columns, Rows, RuleFamily, register
from fundsim.rules.fields import Amount, Located, PillarRef, PriorityRef, RegionRef, Whole
from fundsim.rules.program import Block
from fundsim.rules.rows import NONE

__all__ = [
    "COUNT",
    "FAMILY",
    "LINK",
    "PACKAGE",
    "PARTNERS",
    "SECTION",
    "PartnershipsSpec",
    "check_partnerships",
    "define_partnerships",
    "partners_of",
]
from fundsim.rules.program import Entries, Header

COUNT = Rows("partnership_count", ("partnerships",),
             "objective gained per new partnership more allowed (integer rule: not reported)",
             long_name="number of new mobility partnerships", row_unit="objective per partnership")
PACKAGE = Rows("partnership_package", ("region",),
               "objective gained per EUR m the partnership package is lowered (integer rule: not reported)",
               long_name="package of each new mobility partnership")
LINK = Rows("partnership_link", ("instrument", "priority", "region", "year"),
            "none reported: an integer rule's link (package priorities funded in a candidate only through its "
            "partnership)", role="link",
            long_name="package priorities funded in a candidate only through its partnership")


def define_partnerships(a: Assembly) -> None:
    """``min_new ≤ Σ_r u[r] ≤ max_new`` and ``Σ_{i, p in package, y} eu[i,p,r,y] ≥ package·u[r]`` (§11).

    ``u[r]`` (block ``partnership``) chooses candidate r for a new mobility partnership. With
    ``only_partners``, also ``eu[i,p,r,y] ≤ U·u[r]`` for the package priorities of each candidate.

    Examples
    --------
    Two candidates, at most one new partnership, a package of 10 for mobility: each candidate's package row holds
    its four mobility cells (two instruments, two years) and ``-10`` on its binary:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["mobility_partnerships"] = {"candidates": ["north_africa", "eastern_partnership"], "max_new": 1,
    ...                                          "package": 10, "priorities": ["mobility"]}
    >>> sc = fs.scenario_from_dict(raw)
    >>> lp = fs.assemble(sc)
    >>> count, package = lp.constraints["partnership_count"], lp.constraints["partnership_package"]
    >>> lp.row_upper[count.start:count.stop], lp.variables["partnership"].size
    (array([1.]), 2)
    >>> sorted(lp.A[package.start].data.tolist()), lp.constraints["partnership_link"].size
    ([-10.0, 1.0, 1.0, 1.0, 1.0], 8)
    """
    sc, cells, b = a.sc, a.cells, a.b
    mp = sc.rules.mobility_partnerships
    if mp is None:
        return
    cand = np.array([sc.region_ids.index(x) for x in mp.candidates])
    block = binaries(b, Header("partnership", ("region",), (sc.region_ids,), (cand,),
                               long_name="new mobility partnership chosen"))
    u_col = block.start + np.arange(block.size)
    kind = "range" if mp.min_new > 0 else "le"
    b.add_constraints(Header(COUNT.name, COUNT.dims, (("new",),), None, COUNT.row_unit, COUNT.long_name),
                      Entries(np.zeros(block.size, np.int64), u_col, np.ones(block.size)),
                      np.array([float(mp.min_new) if mp.min_new else -np.inf]), np.array([float(mp.max_new)]),
                      kind=kind)
    slot = np.full(len(sc.regions), -1, dtype=np.int64)
    slot[cand] = np.arange(len(cand))
    hit = (slot[cells.r] >= 0) & Selector(priorities=mp.priorities).vector("priority", sc.priority_ids)[cells.p]
    rows = np.concatenate([slot[cells.r[hit]], np.arange(len(cand))])
    b.add_constraints(Header(PACKAGE.name, PACKAGE.dims, (sc.region_ids,), (cand,), PACKAGE.row_unit,
                             PACKAGE.long_name),
                      Entries(rows, np.concatenate([cells.col[hit], u_col]),
                              np.append(np.ones(hit.sum()), -np.full(len(cand), mp.package))),
                      np.zeros(len(cand)), np.full(len(cand), np.inf), kind="ge")
    if mp.only_partners:
        links(a, LINK, hit, u_col[slot[cells.r[hit]]], "le")


def check_partnerships(plan: Plan) -> list[Violation]:
    """At most ``max_new`` (at least ``min_new``) candidates are partners, each with its package.

    With ``only_partners`` every candidate receiving money for the package priorities is a partner;
    otherwise the candidates whose package is reached may be taken as the partners.

    Examples
    --------
    Mobility money in both candidates makes two partners where one is allowed, and the East's 3 miss the package:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["mobility_partnerships"] = {"candidates": ["north_africa", "eastern_partnership"], "max_new": 1,
    ...                                          "package": 10, "priorities": ["mobility"]}
    >>> sc = fs.scenario_from_dict(raw)
    >>> from fundsim.rules import Plan
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 0, :, 0] = 12.0, 3.0  # tpma, mobility, 2009: north_africa 12, eastern_partnership 3
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit) for v in check_partnerships(plan)]
    [({'partnerships': 'new'}, 2.0, 1.0), ({'region': 'eastern_partnership'}, 3.0, 10.0)]
    """
    sc, mp = plan.sc, plan.sc.rules.mobility_partnerships
    if mp is None:
        return []
    counts = Selector(priorities=mp.priorities).vector("priority", sc.priority_ids)
    cand = [sc.region_ids.index(x) for x in mp.candidates]
    money = plan.eu[:, counts][:, :, cand].sum(axis=(0, 1, 3))
    reached = mp.package - money <= plan.slack(mp.package)
    found = []

    def violation(labels: dict, value: float, limit: float, unit: str, message: str) -> Violation:
        return Violation("mobility_partnerships", "mobility partnerships", labels, value, limit, abs(value - limit),
                         unit, f"mobility partnerships: {message}")

    if mp.only_partners:
        funded = [x for x, v in zip(mp.candidates, money, strict=True) if v > plan.atol]
        if len(funded) > mp.max_new:
            found.append(violation({"partnerships": "new"}, len(funded), mp.max_new, "count",
                                   f"{len(funded)} candidates receive money for the package priorities "
                                   f"({', '.join(funded)}), more than the {mp.max_new} new partnerships allowed"))
        found += [violation({"region": x}, v, mp.package, "EUR m",
                            f"the package for {x} over the period is {eur(v)}, below the partnership package of "
                            f"{eur(mp.package)} (by {mp.package - v:.3f})")
                  for x, v, ok in zip(mp.candidates, money, reached, strict=True) if v > plan.atol and not ok]
    if reached.sum() < mp.min_new:
        found.append(violation({"partnerships": "new"}, int(reached.sum()), mp.min_new, "count",
                               f"{int(reached.sum())} candidates reach the partnership package of {eur(mp.package)}, "
                               f"fewer than the {mp.min_new} new partnerships required"))
    return found


def partners_of(sc: Scenario, eu: np.ndarray, block: Block, upper: np.ndarray) -> np.ndarray:
    """1 for each candidate region that receives money for the partnership priorities (reaches its package,
    when money may also reach candidates outside a partnership).

    Examples
    --------
    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["mobility_partnerships"] = {"candidates": ["north_africa", "eastern_partnership"], "max_new": 1,
    ...                                          "package": 10, "priorities": ["mobility"]}
    >>> sc = fs.scenario_from_dict(raw)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 0, 0, 0] = 12.0  # tpma, mobility, north_africa, 2009
    >>> block = fs.assemble(sc).variables["partnership"]
    >>> partners_of(sc, eu, block, np.ones(2))  # north_africa, eastern_partnership
    array([1., 0.])
    """
    mp = sc.rules.mobility_partnerships
    if mp is None:
        return np.zeros(0)
    counts = Selector(priorities=mp.priorities).vector("priority", sc.priority_ids)
    money = eu[:, counts].sum(axis=(0, 1, 3))[[sc.region_ids.index(x) for x in mp.candidates]]
    return (money > NONE if mp.only_partners else money >= mp.package - NONE).astype(float)


PARTNERS = Columns("partnership", "reduced cost of a new mobility partnership", partners_of)
class PartnershipsSpec(Noted):
    """``rules: mobility_partnerships:``: the candidate regions, how many new partnerships (``min_new`` to ``max_new``),
    and the package each partner receives (EUR m) for the listed priorities.

    Examples
    --------
    >>> spec = PartnershipsSpec.model_validate({"candidates": ["north_africa"], "max_new": 1, "package": 10})
    >>> spec.min_new, spec.only_partners
    (0, True)
    >>> try:
    ...     PartnershipsSpec.model_validate({"candidates": ["north_africa"], "max_new": 2, "package": 10})
    ... except ValueError as exc:
    ...     print(exc.errors()[0]["msg"])
    Value error, max_new (2) is larger than the number of candidates (1: north_africa); give at most 1
    """

    candidates: Annotated[list[RegionRef], Field(min_length=1)]
    max_new: Annotated[Whole, Field(ge=1, description="new partnerships at most")]
    min_new: Annotated[Whole, Field(ge=0, description="new partnerships at least")] = 0
    package: Amount
    priorities: list[PriorityRef] | None = None
    pillars: list[PillarRef] | None = None
    only_partners: bool = True

    @model_validator(mode="after")
    def _check(self) -> PartnershipsSpec:
        first: dict[str, int] = {}
        problems: list[tuple[tuple[Any, ...], str]] = []
        for n, x in enumerate(self.candidates):
            if x in first:
                problems.append((("candidates", n), f"the region {x!r} is a candidate twice (first as candidates"
                                                    f"[{first[x]}]); name each candidate once"))
            first.setdefault(x, n)
        n = len(set(self.candidates))
        if self.max_new > n:
            problems.append((("max_new",), f"max_new ({self.max_new}) is larger than the number of candidates ({n}: "
                                           f"{', '.join(dict.fromkeys(self.candidates))}); give at most {n}"))
        if self.min_new > self.max_new:
            problems.append((("min_new",), f"min_new ({self.min_new}) is larger than max_new ({self.max_new}); "
                                           f"give a min_new of at most {self.max_new}"))
        if problems:
            raise Located(problems)
        return self


def _build(x: PartnershipsSpec | None, labels: Labels) -> m.MobilityPartnerships | None:
    if x is None:
        return None
    return m.MobilityPartnerships(tuple(dict.fromkeys(x.candidates)), x.max_new, x.package, labels.priorities_of(x),
                                  x.min_new, x.only_partners)


SECTION = Section("mobility_partnerships", PartnershipsSpec | None, None, _build,
                  doc="| `mobility_partnerships` | `candidates`, `max_new`, `package`, optional `min_new`, "
                      "`priorities` / `pillars`, `only_partners` | EUR m for `package` | none | choose new mobility "
                      "partnerships among candidate regions, each with a minimum package |")
FAMILY = register(RuleFamily("mobility_partnerships", (COUNT, PACKAGE, LINK), define_partnerships,
                             check_partnerships, order=150, columns=(PARTNERS,), sections=(SECTION,)))
