"""Coordination capacity (16041/08 §25): the Commission's delegations and the member states' missions follow up
the external actions of a region, so the contracts signed there in a year stay within what they can follow up.

Contracts are those of instruments with a contracting deadline (the external actions), signed along each
instrument's contracting profile (:attr:`fundsim.model.Budget.contracting_profile`); the funds under shared
management are followed up by the member states and do not count.
"""

from __future__ import annotations

import numpy as np

from fundsim import model as m
from fundsim.rules.checking import Plan, Rule, Violation, selected
from fundsim.rules.entries import CellSelector, Labels, Section
from fundsim.rules.family import Assembly, Rows, RuleFamily, register
from fundsim.rules.fields import Id, InstrumentRef, YearSeries
from fundsim.rules.program import Entries, Header
from fundsim.rules.rows import mask

__all__ = ["COORDINATION", "FAMILY", "SECTION", "CoordinationSpec", "check_coordination", "contracted",
           "contracting_profiles", "define_coordination"]

COORDINATION = Rows("coordination", ("coordination_area", "year"),
                    "objective gained per EUR m more contracts the delegations and missions can follow up in that "
                    "year", long_name="coordination capacity (§25)")


def contracting_profiles(sc: m.Scenario) -> np.ndarray:
    """``profile[i, l]``: the share of instrument i's commitments contracted l years later; 0 for instruments
    without a contracting deadline (their contracts are not the delegations' to follow up).

    Examples
    --------
    >>> import dataclasses
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> budget = fs.model.Budget(deadline=fs.model.Deadline("contracting", 3), contracting_profile=(0.6, 0.4))
    >>> tpma = dataclasses.replace(sc.instruments[0], budget=budget)
    >>> contracting_profiles(sc.evolve(instruments=(tpma, sc.instruments[1]))).tolist()
    [[0.6, 0.4], [0.0, 0.0]]
    """
    own = [ins.budget.contracted_profile() if ins.budget.deadline.kind == "contracting" else ()
           for ins in sc.instruments]
    out = np.zeros((len(own), max(1, *(len(p) for p in own))))
    for n, p in enumerate(own):
        out[n, : len(p)] = p
    return out


def contracted(sc: m.Scenario, eu: np.ndarray) -> np.ndarray:
    """Contracts signed per (instrument, priority, region, year) on the commitments ``eu``, for instruments with a
    contracting deadline (what falls after the last year is left out).

    Examples
    --------
    >>> import dataclasses
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> budget = fs.model.Budget(deadline=fs.model.Deadline("contracting", 3), contracting_profile=(0.6, 0.4))
    >>> sc = sc.evolve(instruments=(dataclasses.replace(sc.instruments[0], budget=budget), sc.instruments[1]))
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 0, 0, 0] = 10.0
    >>> contracted(sc, eu)[0, 0, 0].tolist()
    [6.0, 4.0]
    """
    profile = contracting_profiles(sc)
    ny = eu.shape[-1]
    out = np.zeros_like(eu)
    for lag in range(min(profile.shape[1], ny)):
        out[..., lag:] += profile[:, lag, None, None, None] * eu[..., : ny - lag]
    return out


def define_coordination(a: Assembly) -> None:
    """``Σ_{cells of entry e, l} cprofile[i,l]·eu[i,p,r,y−l] ≤ capacity[e,y]``: the contracts signed in year y on
    the entry's slice within its coordination capacity. A row per entry and year with a finite capacity.

    Examples
    --------
    >>> import pathlib
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["instruments"][0]["payment_profile"] = [0.5, 0.5]
    >>> raw["instruments"][0]["budget"] = {"deadline": {"kind": "contracting", "years": 3},
    ...                                    "contracting_profile": [0.5, 0.5]}
    >>> raw["rules"]["coordination"] = [{"id": "na", "regions": ["north_africa"], "capacity": 6}]
    >>> lp = fs.assemble(fs.scenario_from_dict(raw))
    >>> block = lp.constraints["coordination"]
    >>> block.coords, lp.row_upper[block.start:block.stop]
    ((('na',), (2009, 2010)), array([6., 6.]))
    >>> lp.A[block.start + 1].nnz  # 2010 signs half of 2009's and of 2010's TPMA commitments there: 3 cells each
    6
    """
    sc, cells, b = a.sc, a.cells, a.b
    entries = sc.rules.coordination
    if not entries:
        return
    profile = contracting_profiles(sc)
    cap = np.stack([np.asarray(e.capacity, float) for e in entries])
    ei, ey = np.nonzero(np.isfinite(cap))
    if not len(ei):
        return
    row_of = np.full(cap.shape, -1, dtype=np.int64)
    row_of[ei, ey] = np.arange(len(ei))
    rows, cols, vals = [], [], []
    ny = len(sc.years)
    for e, entry in enumerate(entries):
        inside = mask(entry.selector, sc, cells)
        for lag in range(profile.shape[1]):
            coef = profile[cells.i, lag]
            year = cells.y + lag
            ok = inside & (coef > 0) & (year < ny)
            target = row_of[e, year[ok]]
            keep = target >= 0
            rows.append(target[keep])
            cols.append(cells.col[ok][keep])
            vals.append(coef[ok][keep])
    rows_, cols_, vals_ = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    used = np.unique(rows_)  # a year in which no contract can be signed on the slice gets no row
    if not len(used):
        return
    renumber = np.full(len(ei), -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    b.add_constraints(
        Header(COORDINATION.name, COORDINATION.dims, (tuple(e.id for e in entries), sc.years), (ei[used], ey[used]),
               COORDINATION.row_unit, COORDINATION.long_name),
        Entries(renumber[rows_], cols_, vals_), np.full(len(used), -np.inf), cap[ei[used], ey[used]], kind="le",
    )


def check_coordination(plan: Plan) -> list[Violation]:
    """The contracts signed each year on each entry's slice within its coordination capacity.

    Examples
    --------
    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> from fundsim.rules import Plan
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["instruments"][0]["payment_profile"] = [0.5, 0.5]
    >>> raw["instruments"][0]["budget"] = {"deadline": {"kind": "contracting", "years": 3},
    ...                                    "contracting_profile": [0.5, 0.5]}
    >>> raw["rules"]["coordination"] = [{"id": "na", "regions": ["north_africa"], "capacity": 6}]
    >>> sc = fs.scenario_from_dict(raw)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 0, 0] = [8.0, 8.0]  # tpma, mobility, north_africa: 4 signed in 2009, 4 + 4 in 2010
    >>> [(v.labels, v.value, v.limit) for v in check_coordination(Plan(sc, eu, eu, eu, eu, None, None, 1e-7, 1e-6))]
    [({'coordination_area': 'na', 'year': 2010}, 8.0, 6.0)]
    """
    sc, found = plan.sc, list[Violation]()
    signed = contracted(sc, plan.eu)
    for entry in sc.rules.coordination:
        money = np.where(selected(entry.selector, sc), signed, 0.0).sum(axis=(0, 1, 2))
        for y, year in enumerate(sc.years):
            rule = Rule("coordination", "coordination capacity", {"coordination_area": entry.id, "year": year})
            found += plan.outside(rule, f"contracts signed in {year} in the slice of {entry.id} are",
                                  float(money[y]), None, float(entry.capacity[y]), names=("minimum", "capacity"))
    return found


class CoordinationSpec(CellSelector):
    """One entry of ``rules: coordination:``: a slice (usually regions or region groups) and the contracts its
    delegations and missions can follow up a year (EUR m, a year series).

    Examples
    --------
    >>> CoordinationSpec.model_validate({"id": "sahel", "regions": ["west_africa"], "capacity": 12}).capacity
    12.0
    """

    id: Id
    instruments: list[InstrumentRef] | None = None
    capacity: YearSeries


def _build(value: list[CoordinationSpec], labels: Labels) -> tuple[m.Coordination, ...]:
    return tuple(m.Coordination(x.id, m.Selector(None if x.instruments is None else frozenset(x.instruments),
                                                 labels.priorities_of(x), labels.regions_of(x), label=x.id),
                                np.asarray(labels.series(x.capacity, np.inf), float)) for x in value)


SECTION = Section("coordination", list[CoordinationSpec], [], _build,
                  doc="| `coordination[]` | `id`, selector (`regions`, `region_groups`, `instruments`, `priorities`), "
                      "`capacity` (EUR m a year) | contracts signed a year on the slice by instruments with a "
                      "contracting deadline (the delegations' follow-up, §25) |")
FAMILY = register(RuleFamily("coordination", (COORDINATION,), define_coordination, check_coordination, order=95,
                             sections=(SECTION,)))
