"""How an instrument's money is voted, kept and lost: its budget nature, appropriations, deadline and opening
position (the budget mechanics of a budget unit).

The general budget votes *commitment appropriations* and *payment appropriations* separately each year;
commitment appropriations a budget instrument does not commit by 31 December lapse, unless a share is carried
over into the next year. A multi-annual fund outside the budget (the 10th EDF) has no annual lapse: its money
stays available until its commitment cut-off date, and what is left then is lost. Commitments are then
contracted and paid; a deadline (``n + k``) decommits what is not contracted (external instruments: contracts
within three years of the financing decision) or not paid (shared management funds: the n+2 rule) in time.

Examples
--------
>>> edf = Budget(nature="fund", cutoff=2013, deadline=Deadline("contracting", 3))
>>> edf.deadline.window, edf.lapses
(3, False)
>>> Budget().carry_limit(np.array([10.0, 20.0])).tolist()  # a budget instrument carries nothing by default
[0.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Budget", "Deadline", "opening_due"]


@dataclass(frozen=True)
class Deadline:
    """The decommitment deadline of an instrument's commitments.

    Attributes
    ----------
    kind : ``"payment"``: money not paid by the end of year n + k is decommitted (the n+2 rule of the funds
        under shared management); ``"contracting"``: money not contracted by then is decommitted, payments
        of signed contracts may come later (the n+3 of external actions)
    years : ``k``
    counted_from : ``"commitment"`` (the budget commitment's year n) or ``"decision"`` (the financing
        decision, taken ``decision_lead`` years before the commitment)
    decision_lead : years between the financing decision and the commitment (``counted_from: decision``)

    Examples
    --------
    >>> Deadline("contracting", 3, "decision", decision_lead=1).window  # n+3 from a decision one year earlier
    2
    """

    kind: str = "payment"
    years: int = 2
    counted_from: str = "commitment"
    decision_lead: int = 0

    @property
    def window(self) -> int:
        """Years after the commitment year by which money must be paid or contracted."""
        return self.years - (self.decision_lead if self.counted_from == "decision" else 0)

    def words(self) -> str:
        """The deadline in a few words, e.g. ``"contracting within 3 years of the commitment"``."""
        start = "the financing decision" if self.counted_from == "decision" else "the commitment"
        lead = f" ({self.decision_lead} year(s) earlier)" if self.counted_from == "decision" else ""
        return f"{self.kind} within {self.years} years of {start}{lead}"


@dataclass(frozen=True, eq=False)
class Budget:
    """An instrument's budget nature, appropriations, deadline and opening position.

    Attributes
    ----------
    nature : ``"general_budget"`` (annual commitment appropriations that lapse at year end unless carried
        over) or ``"fund"`` (multi-annual: money stays available until ``cutoff``)
    unused : what becomes of usable money the plan does not commit: ``"lapses"`` (it is lost to the
        instrument) or ``"returns"`` (only part of the envelope is usable for this policy; what the plan leaves
        of that part returns to the instrument's other objectives)
    carry_share : general budget: the share of a year's commitment appropriations that may be carried over into
        the next year (0: everything not committed lapses)
    cutoff : fund: the last year in which new commitments may be made (31 December); ``None``: no cut-off
    payment_appropriations : EUR m per scenario year the instrument may pay for this policy; ``None``: not
        limited
    deadline : see :class:`Deadline`
    contracting_profile : contracting deadline: the share of a commitment contracted in its year, the next
        year, …; ``None``: contracted in the commitment year
    max_outstanding : at most this much of the instrument's commitments may remain unpaid at the end of the
        last year (the RAL at the horizon, EUR m); ``None``: not limited
    carried_in : commitment appropriations carried into the first year (EUR m)
    opening : commitments made before the first year, ``((year, EUR m), …)``, paid along the payment profile;
        what is unpaid at the start is the opening RAL

    Examples
    --------
    >>> b = Budget(carry_share=0.1, payment_appropriations=np.array([30.0, 35.0]))
    >>> b.carry_limit(np.array([100.0, 50.0])).tolist(), b.lapses
    ([10.0, 5.0], True)
    """

    nature: str = "general_budget"
    unused: str = "lapses"
    carry_share: float = 0.0
    cutoff: int | None = None
    payment_appropriations: np.ndarray | None = None
    deadline: Deadline = Deadline()
    contracting_profile: tuple[float, ...] | None = None
    max_outstanding: float | None = None
    carried_in: float = 0.0
    opening: tuple[tuple[int, float], ...] = ()

    @property
    def lapses(self) -> bool:
        """Whether money not committed in a year is lost at its end (a budget instrument whose whole usable money
        is for this policy)."""
        return self.nature == "general_budget" and self.unused == "lapses"

    def carry_limit(self, usable: np.ndarray, years: tuple[int, ...] | None = None) -> np.ndarray:
        """EUR m that may be carried out of each year into the next: ``carry_share`` of the year's commitment
        appropriations (general budget), without limit before the cut-off year (fund), nothing from the cut-off
        year on; ``years`` are the scenario's (needed for a fund's cut-off).

        Examples
        --------
        >>> Budget(nature="fund", cutoff=2010).carry_limit(np.array([5.0, 5.0, 0.0]), (2009, 2010, 2011)).tolist()
        [inf, 0.0, 0.0]
        """
        usable = np.asarray(usable, dtype=float)
        if self.nature != "fund":
            return self.carry_share * usable
        if self.cutoff is None or years is None:
            return np.full(usable.shape, np.inf)
        return np.where(np.asarray(years) < self.cutoff, np.inf, 0.0)

    def contracted_profile(self) -> tuple[float, ...]:
        """The contracting profile (``(1.0,)`` when none is given)."""
        return self.contracting_profile or (1.0,)


def opening_due(profile: tuple[float, ...], opening: tuple[tuple[int, float], ...], years: tuple[int, ...]
                ) -> tuple[np.ndarray, float, float]:
    """Payments falling due in each scenario year on commitments made before the first year (opening RAL), what
    was paid before the first year, and what falls due after the last.

    Examples
    --------
    EUR 100 m committed in 2008 with a 50/30/20 % profile: 50 paid in 2008, 30 due in 2009, 20 in 2010:

    >>> due, before, after = opening_due((0.5, 0.3, 0.2), ((2008, 100.0),), (2009, 2010))
    >>> due.tolist(), before, after
    ([30.0, 20.0], 50.0, 0.0)
    """
    due = np.zeros(len(years))
    before = after = 0.0
    for year, amount in opening:
        for lag, share in enumerate(profile):
            t = year + lag
            if t < years[0]:
                before += share * amount
            elif t > years[-1]:
                after += share * amount
            else:
                due[t - years[0]] += share * amount
    return due, before, after
