"""Minimum commitment (16041/08 §26, readability): an instrument funds a priority in a region with nothing or
with at least its minimum over the period."""

from __future__ import annotations

from typing import Annotated

import numpy as np

from fundsim import model as m
from fundsim.rules.binaries import instrument_lines, least
from fundsim.rules.checking import Plan, Violation, eur
from fundsim.rules.entries import Labels, Noted, Section, as_field
from fundsim.rules.family import Assembly, Rows, RuleFamily, register
from fundsim.rules.fields import Amount, InstrumentRef

__all__ = ["FAMILY", "MIN", "SECTION", "MinCommitmentSpec", "check_min_commitment", "define_min_commitment"]
from fundsim.rules.program import Entries, Header

MIN = Rows("min_commitment", ("instrument", "priority", "region"),
           "objective gained per EUR m the minimum commitment is lowered (integer rule: not reported)",
           long_name="minimum commitment of an instrument to a priority in a region")


def define_min_commitment(a: Assembly) -> None:
    """``Σ_y eu[i,p,r,y] ≥ m_i·z[i,p,r]``: an instrument funds a priority in a region with 0 or at least m_i.

    The minimum holds for the line's total over the period; how it is spread over the years is free.

    Examples
    --------
    A minimum of 5 gives each of the 10 lines (TPMA's 3 priorities and ENPI's 2, in two regions) a row: its two
    years of money and ``-5`` on its binary:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["min_commitment"] = 5
    >>> sc = fs.scenario_from_dict(raw)
    >>> lp = fs.assemble(sc)
    >>> block = lp.constraints["min_commitment"]
    >>> block.size, float(lp.row_lower[block.start]), sorted(lp.A[block.start].data.tolist())
    (10, 0.0, [-5.0, 1.0, 1.0])
    """
    sc, cells = a.sc, a.cells
    smallest = least(sc)
    if not (smallest > 0).any():
        return
    lines = instrument_lines(a)
    if lines is None:
        return
    zi, zp, zr = (np.asarray(x) for x in lines.block.positions or ())
    with_min = smallest[zi] > 0
    row_of = np.full(lines.block.size, -1, dtype=np.int64)
    row_of[with_min] = np.arange(with_min.sum())
    has_line = lines.col >= 0  # a cell of an instrument with no line (no binary) has none: col is -1
    cell_row = np.full(len(lines.col), -1, dtype=np.int64)
    cell_row[has_line] = row_of[lines.col[has_line] - lines.block.start]
    use = cell_row >= 0
    n = int(with_min.sum())
    a.b.add_constraints(Header(MIN.name, MIN.dims, (sc.instrument_ids, sc.priority_ids, sc.region_ids),
                               (zi[with_min], zp[with_min], zr[with_min]), MIN.row_unit, MIN.long_name),
                        Entries(np.concatenate([cell_row[use], np.arange(n)]),
                                np.concatenate([cells.col[use], lines.block.start + np.flatnonzero(with_min)]),
                                np.concatenate([np.ones(use.sum()), -smallest[zi[with_min]]])),
                        np.zeros(n), np.full(n, np.inf), kind="ge")


def check_min_commitment(plan: Plan) -> list[Violation]:
    """An instrument funds a priority in a region with 0 or at least its minimum commitment over the period.

    Examples
    --------
    EUR 2 m from TPMA to mobility in the East over the period: more than nothing, 3 short of the minimum:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["min_commitment"] = 5
    >>> sc = fs.scenario_from_dict(raw)
    >>> from fundsim.rules import Plan
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 0, 1, :] = 1.0  # tpma, mobility, eastern_partnership, 1 each year
    >>> plan = Plan(sc, eu, np.zeros_like(eu), eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> [(v.labels, v.value, v.limit, v.size) for v in check_min_commitment(plan)]
    [({'instrument': 'tpma', 'priority': 'mobility', 'region': 'eastern_partnership'}, 2.0, 5.0, 3.0)]
    """
    sc, rule = plan.sc, plan.sc.rules.min_commitment
    if rule is None:
        return []
    smallest = np.broadcast_to(rule.minimum(sc.instrument_ids)[:, None, None], plan.eu.shape[:3])
    line = plan.eu.sum(axis=3)
    gap = smallest - line
    short = (line > plan.atol) & (gap > plan.slack(smallest))
    return [Violation("min_commitment", "minimum commitment", plan.labels(*t), line[t], smallest[t], gap[t], "EUR m",
                      f"minimum commitment: {plan.cell(*t)} commits {eur(line[t])} over the period, more than nothing "
                      f"but below the minimum commitment of {eur(smallest[t])} (by {gap[t]:.3f})")
            for t in map(tuple, np.argwhere(short))]


class MinCommitmentSpec(Noted):
    """``rules: min_commitment:``: the least an instrument commits to a priority in a region over the period when it
    commits anything (``amount``, EUR m; ``by_instrument`` for its own).

    Examples
    --------
    >>> MinCommitmentSpec.model_validate({"amount": 5, "by_instrument": {"enpi": 8}}).by_instrument
    {'enpi': 8.0}

    A plain number is the ``amount`` (the section's annotation reads it so):

    >>> import pathlib
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["rules"]["min_commitment"] = 5
    >>> fs.scenario_from_dict(raw).rules.min_commitment
    MinCommitment(amount=5.0, by_instrument=())
    """

    amount: Amount = 0.0
    by_instrument: dict[InstrumentRef, Amount] = {}


def _build(value: MinCommitmentSpec | None, labels: Labels) -> m.MinCommitment | None:
    return None if value is None else m.MinCommitment(value.amount, tuple(value.by_instrument.items()))


SECTION = Section("min_commitment", Annotated[MinCommitmentSpec | None, as_field("amount")], None, _build,
                  doc="| `min_commitment` | a number, or `amount` and `by_instrument` | EUR m | none | an instrument "
                      "funds a priority in a region with nothing or at least the minimum, counted over the period |")
FAMILY = register(RuleFamily("min_commitment", (MIN,), define_min_commitment, check_min_commitment, order=130,
                             sections=(SECTION,)))
