"""New mobility partnerships (16041/08 §11): choose which candidate regions become partners, each with its
package."""

from __future__ import annotations

import numpy as np

from fundsim.model import Selector
from fundsim.rules.binaries import binaries, links
from fundsim.rules.checking import Plan, Violation, eur
from fundsim.rules.family import Assembly, Rows, RuleFamily, register
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
    otherwise the candidates whose package is reached may be taken as the partners."""
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


FAMILY = register(RuleFamily("mobility_partnerships", (COUNT, PACKAGE, LINK), define_partnerships,
                             check_partnerships, order=150))
