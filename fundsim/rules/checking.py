"""What a family's violation check reads and returns: an allocation's numbers as a :class:`Plan`, and each
broken rule as a :class:`Violation` record.

The checks re-read each rule from the scenario's domain objects and re-check it on the numbers with plain
numpy; they never look at the LP (see :mod:`fundsim.testing`, which runs them all).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fundsim.model import Scenario, Selector

__all__ = ["CUBE", "Plan", "Rule", "Violation", "cofinancing_rule", "eligible", "eur", "paid", "selected"]

CUBE = ("instrument", "priority", "region", "year")


@dataclass(frozen=True)
class Violation:
    """One rule an allocation breaks, as data; ``str(v)`` is its message in the rule's words.

    Attributes
    ----------
    family : the rule family's registered name (``"envelope"``, ``"pillar_balance"`` …)
    rule : the rule in words, as the message starts (``"envelope"``, ``"pillar balance"`` …)
    labels : where it is broken, e.g. ``{"instrument": "enpi", "year": 2010}``
    value : the allocation's amount (EUR m) or count
    limit : the bound it misses (EUR m, or the count allowed); NaN where there is no number
    size : by how much it misses the bound, in ``unit`` (≥ 0)
    unit : ``"EUR m"`` or ``"count"``
    message : the violation in words, e.g. ``"envelope: tpma's commitments in 2009 are EUR 12.000 m, above
        the usable envelope of EUR 10.000 m (by 2.000)"``

    Examples
    --------
    >>> v = Violation("caps", "caps", {"cap": "c"}, 12.0, 10.0, 2.0, "EUR m", "caps: … (by 2.000)")
    >>> str(v), v.size
    ('caps: … (by 2.000)', 2.0)
    """

    family: str
    rule: str
    labels: Mapping[str, Any]
    value: float
    limit: float
    size: float
    unit: str
    message: str

    def __post_init__(self) -> None:
        for name in ("value", "limit", "size"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "labels", {k: v.item() if isinstance(v, np.generic) else v
                                            for k, v in self.labels.items()})

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Rule:
    """What a bound check is about: the family, the rule in words (the message's start) and the labels.

    Examples
    --------
    >>> Rule("caps", "caps", {"cap": "enpi_east"}).words
    'caps'
    """

    family: str
    words: str
    labels: Mapping[str, Any] = field(default_factory=dict)


def eur(value: float) -> str:
    """``EUR 12.000 m``: an amount in a violation message.

    Examples
    --------
    >>> eur(12), eur(0.0004)
    ('EUR 12.000 m', 'EUR 0.000 m')
    """
    return f"EUR {value:.3f} m"


@dataclass(frozen=True, eq=False)
class Plan:
    """An allocation's numbers as plain arrays in the scenario's label order, and the tolerance.

    Examples
    --------
    >>> import numpy as np
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> eu = np.zeros((2, 3, 2, 2))  # instrument × priority × region × year, in the scenario's label order
    >>> plan = Plan(sc, eu, eu, eu, eu, None, None, rtol=1e-7, atol=1e-6)
    >>> plan.cell(0, 2, 0, 0)
    'tpma for remittances in north_africa in 2009'
    >>> plan.labels(1, 0, 1)
    {'instrument': 'enpi', 'priority': 'mobility', 'region': 'eastern_partnership'}
    >>> round(float(plan.slack(10.0)), 12)  # 1e-6 + 1e-7·10
    2e-06
    >>> [v.message for v in plan.outside(Rule("caps", "caps", {"cap": "c"}), "commitments are", 12.0, None, 10.0)]
    ['caps: commitments are EUR 12.000 m, above the maximum of EUR 10.000 m (by 2.000)']
    >>> found = plan.outside_share(Rule("caps", "caps"), "the slice gets", 30.0, 60.0, (None, 0.25))
    >>> [(v.limit, v.size) for v in found]  # 30 of 60 against at most 25 % (15)
    [(15.0, 15.0)]
    """

    sc: Scenario
    eu: np.ndarray
    cofin: np.ndarray
    total: np.ndarray
    payments: np.ndarray
    after_horizon: np.ndarray | None  # payments due after the last year, per (instrument, priority, region)
    flagged: np.ndarray | None  # the allocation's own eligible flags
    rtol: float
    atol: float
    exact_cofinancing: bool = False
    carried: np.ndarray | None = None  # appropriations carried over, per (instrument, year), when the plan states them
    unused: np.ndarray | None = None  # appropriations left unused, per (instrument, year), when the plan states them

    def slack(self, bound: Any) -> Any:
        """How far past ``bound`` a value may lie before it counts as a violation."""
        return self.atol + self.rtol * np.abs(bound)

    def cell(self, i: int, p: int, r: int, y: int | None = None) -> str:
        """``"<instrument> for <priority> in <region> in <year>"``: one cell in words."""
        sc = self.sc
        when = "" if y is None else f" in {sc.years[y]}"
        return f"{sc.instrument_ids[i]} for {sc.priority_ids[p]} in {sc.region_ids[r]}{when}"

    def labels(self, i: int, p: int, r: int, y: int | None = None) -> dict[str, Any]:
        """One cell's labels."""
        sc = self.sc
        out = {"instrument": sc.instrument_ids[i], "priority": sc.priority_ids[p], "region": sc.region_ids[r]}
        return out if y is None else {**out, "year": sc.years[y]}

    def outside(self, rule: Rule, subject: str, value: float, lower: float | None, upper: float | None, *,
                names: tuple[str, str] = ("minimum", "maximum")) -> list[Violation]:
        """The violations of ``value`` outside ``[lower, upper]``; ``subject`` ends with its verb ("… are"),
        ``names`` say what the lower and the upper bound are called."""
        found = []
        if upper is not None and np.isfinite(upper) and value - upper > self.slack(upper):
            found.append(Violation(rule.family, rule.words, rule.labels, value, upper, value - upper, "EUR m",
                                   f"{rule.words}: {subject} {eur(value)}, above the {names[1]} of {eur(upper)} "
                                   f"(by {value - upper:.3f})"))
        if lower is not None and np.isfinite(lower) and lower - value > self.slack(lower):
            found.append(Violation(rule.family, rule.words, rule.labels, value, lower, lower - value, "EUR m",
                                   f"{rule.words}: {subject} {eur(value)}, below the {names[0]} of {eur(lower)} "
                                   f"(by {lower - value:.3f})"))
        return found

    def outside_share(self, rule: Rule, subject: str, value: float, base: float, shares: tuple[float | None,
                      float | None], of: str = "EU commitments") -> list[Violation]:
        """The violations of money ``value`` outside ``[min_share, max_share]`` (``shares``) of ``base``."""
        found = []
        share = value / base if base > 0 else 0.0
        for limit, side, sign in ((shares[1], "above the maximum", 1.0), (shares[0], "below the minimum", -1.0)):
            if limit is None:
                continue
            bound = limit * base
            excess = sign * (value - bound)
            if excess > self.slack(bound):
                found.append(Violation(
                    rule.family, rule.words, rule.labels, value, bound, excess, "EUR m",
                    f"{rule.words}: {subject} {eur(value)} of {eur(base)} of {of} ({share:.1%}), {side} share of "
                    f"{limit:.1%} ({eur(bound)}; by {excess:.3f})"))
        return found


# ---- what the scenario says, recomputed from the domain objects --------------------------------------
def eligible(sc: Scenario) -> np.ndarray:
    """Boolean cube: the instrument funds the priority and the region and has usable money that year.

    Examples
    --------
    ENPI may not fund remittances; every other instrument × priority × region × year cell is eligible (20 of 24):

    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> cube = eligible(sc)
    >>> int(cube.sum()), bool(cube[1, 2].any())
    (20, False)
    """
    out = np.zeros((len(sc.instruments), len(sc.priorities), len(sc.regions), len(sc.years)), dtype=bool)
    for n, ins in enumerate(sc.instruments):
        p = np.isin(sc.priority_ids, list(ins.priorities))
        r = np.isin(sc.region_ids, list(ins.regions))
        out[n] = p[:, None, None] & r[None, :, None] & (np.asarray(ins.usable) > 0)[None, None, :]
    return out


def cofinancing_rule(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Maximum EU share and match source per (instrument, priority, region); later exceptions win.

    Examples
    --------
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> share, source = cofinancing_rule(sc)
    >>> share[:, 0, 0], source[:, 0, 0]  # tpma, enpi for mobility in north_africa
    (array([0.8, 1. ]), array(['member_states', None], dtype=object))
    """
    shape = (len(sc.instruments), len(sc.priorities), len(sc.regions))
    share = np.empty(shape)
    source = np.empty(shape, dtype=object)
    for n, ins in enumerate(sc.instruments):
        rule = ins.cofinancing
        share[n], source[n] = rule.max_eu_share, rule.match_source
        for exc in rule.exceptions:
            p = np.array([exc.priorities is None or x in exc.priorities for x in sc.priority_ids])
            r = np.array([exc.regions is None or x in exc.regions for x in sc.region_ids])
            hit = p[:, None] & r[None, :]
            share[n][hit] = exc.max_eu_share
            if exc.match_source is not None:
                source[n][hit] = exc.match_source
    return share, source


def paid(sc: Scenario, money: np.ndarray) -> np.ndarray:
    """Money falling due per (instrument, priority, region, year) under each instrument's payment profile.

    Examples
    --------
    TPMA paying half in the year committed and half the next, EUR 10 m committed in 2009 falls due 5 and 5:

    >>> import pathlib
    >>> import numpy as np
    >>> import yaml
    >>> import fundsim as fs
    >>> raw = yaml.safe_load(pathlib.Path("scenarios/tutorial.yaml").read_text())
    >>> raw["instruments"][0]["payment_profile"] = [0.5, 0.5]
    >>> sc = fs.scenario_from_dict(raw)
    >>> eu = np.zeros((2, 3, 2, 2))
    >>> eu[0, 2, 0, 0] = 10.0  # tpma, remittances, north_africa, 2009
    >>> paid(sc, eu)[0, 2, 0]
    array([5., 5.])
    """
    ny = len(sc.years)
    out = np.zeros_like(money)
    for n, ins in enumerate(sc.instruments):
        for lag, share in enumerate(ins.payment_profile[:ny]):
            out[n, ..., lag:] += share * money[n, ..., : ny - lag]
    return out


def selected(sel: Selector, sc: Scenario) -> np.ndarray:
    """Boolean cube of the cells a selector names (eligible or not).

    Examples
    --------
    >>> from fundsim.model import Selector
    >>> import fundsim as fs
    >>> sc = fs.load_scenario("scenarios/tutorial.yaml")
    >>> cube = selected(Selector(instruments=frozenset({"enpi"})), sc)
    >>> cube.shape, int(cube.sum())  # ENPI's 3 priorities × 2 regions × 2 years, remittances included
    ((2, 3, 2, 2), 12)
    """
    v = [sel.vector(dim, tuple(labels)) for dim, labels in zip(CUBE, sc.coords().values(), strict=True)]
    return v[0][:, None, None, None] & v[1][None, :, None, None] & v[2][None, None, :, None] & v[3]
