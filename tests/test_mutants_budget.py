"""Tests written to kill mutants of the budget rule families (``fundsim/rules/envelope.py``, ``absorption.py``,
``payments.py``): every figure worked by hand on a tiny scenario (one instrument ``f``, one priority, one region)
or the tutorial, never computed with the function under test."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import fundsim as fs
from fundsim.rules import Plan
from fundsim.rules.envelope import appropriations, available_of, check_envelope
from tests.test_budget_mechanics import tiny


def scenario(years, envelope, budget=None, **kw):
    return fs.scenario_from_dict(tiny(years, envelope, budget, **kw))


# ---- envelope.py ---------------------------------------------------------------------------------------------
def test_appropriations_of_a_budget_instrument_with_carry_over() -> None:
    """40 then 10 voted, a quarter may be carried over: 10 out of 2009, nothing out of the last year (it lapses);
    money may lapse in every year."""
    got = appropriations(scenario([2009, 2010], {2009: 40, 2010: 10}, {"carry_over": 0.25}))
    assert got["usable"].tolist() == [[40.0, 10.0]]
    assert got["carry_limit"].tolist() == [[10.0, 0.0]]
    assert got["unused_limit"].tolist() == [[np.inf, np.inf]]
    assert got["carried_in0"].tolist() == [0.0]


def test_appropriations_of_a_fund_with_its_cutoff_inside_the_years() -> None:
    """A fund with its cut-off in 2010 of 2009–2011: carries everything out of 2009, nothing from 2010 on; may leave
    money unused (lost) only from its cut-off year."""
    got = appropriations(scenario([2009, 2010, 2011], 10, {"nature": "fund", "cutoff": 2010}))
    assert got["carry_limit"].tolist() == [[np.inf, 0.0, 0.0]]
    assert got["unused_limit"].tolist() == [[0.0, np.inf, np.inf]]


def test_appropriations_of_a_fund_with_its_cutoff_in_the_last_year() -> None:
    """Cut-off at the end of the last year: nothing is carried out of it (it is lost there), nothing lost before."""
    got = appropriations(scenario([2009, 2010], 10, {"nature": "fund", "cutoff": 2010}))
    assert got["carry_limit"].tolist() == [[np.inf, 0.0]]
    assert got["unused_limit"].tolist() == [[0.0, np.inf]]


def test_appropriations_of_a_fund_with_its_cutoff_in_the_last_of_three_years() -> None:
    """Cut-off 2011 of 2009–2011: carried freely out of 2009 and 2010, nothing out of 2011 (lost there)."""
    got = appropriations(scenario([2009, 2010, 2011], 10, {"nature": "fund", "cutoff": 2011}))
    assert got["carry_limit"].tolist() == [[np.inf, np.inf, 0.0]]
    assert got["unused_limit"].tolist() == [[0.0, 0.0, np.inf]]


@pytest.mark.parametrize("budget", [{"nature": "fund"}, {"nature": "fund", "cutoff": 2013}])
def test_appropriations_of_a_fund_without_a_cutoff_in_the_years(budget: dict) -> None:
    """No cut-off inside the years: everything may be carried, out of the last year too; nothing may be lost."""
    got = appropriations(scenario([2009, 2010], 10, budget))
    assert got["carry_limit"].tolist() == [[np.inf, np.inf]]
    assert got["unused_limit"].tolist() == [[0.0, 0.0]]


def test_appropriations_carried_into_the_first_year() -> None:
    got = appropriations(scenario([2009, 2010], 10, {"opening": {"carried_in": 5}}))
    assert got["carried_in0"].tolist() == [5.0]
    assert got["carry_limit"].tolist() == [[0.0, 0.0]]


def _block(lp, name: str) -> tuple[list[list[int]], list[float], list[float]]:
    b = lp.variables[name] if name in lp.variables else lp.constraints[name]
    return [p.tolist() for p in b.positions], b.start, b.stop


def test_the_envelope_rows_and_columns_of_a_carry_over() -> None:
    """40 then 10 voted, a quarter carried over (at most 10 out of 2009, nothing out of 2010): rows
    ``eu + carried + unused = 40`` in 2009 and ``eu − carried + unused = 10`` in 2010; one ``carried`` column (2009,
    at most 10), two ``unused`` columns without limit."""
    lp = fs.assemble(scenario([2009, 2010], {2009: 40, 2010: 10}, {"carry_over": 0.25}))
    rows, cols = lp.constraints["envelope"], lp.variables
    assert [p.tolist() for p in rows.positions] == [[0, 0], [0, 1]]
    assert lp.row_lower[rows.start:rows.stop].tolist() == [40.0, 10.0]
    assert lp.row_upper[rows.start:rows.stop].tolist() == [40.0, 10.0]
    carried, unused, eu = cols["carried"], cols["unused"], cols["eu"]
    assert [p.tolist() for p in carried.positions] == [[0], [0]]
    assert lp.col_upper[carried.start:carried.stop].tolist() == [10.0]
    assert lp.col_lower[carried.start:carried.stop].tolist() == [0.0]
    assert [p.tolist() for p in unused.positions] == [[0, 0], [0, 1]]
    assert lp.col_upper[unused.start:unused.stop].tolist() == [np.inf, np.inf]
    a = lp.A.toarray()[rows.start:rows.stop]
    assert a[:, carried.start].tolist() == [1.0, -1.0]
    assert a[:, unused.start:unused.stop].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert a[:, eu.start:eu.stop].tolist() == [[1.0, 0.0], [0.0, 1.0]]  # eu columns in year order
    assert np.count_nonzero(a) == 6  # nothing else in the rows


def test_the_envelope_rows_of_a_fund_carry_out_of_the_last_year() -> None:
    """A fund without a cut-off: ``carried`` columns in both years (out of 2010 too, still available after it),
    the 2010 one entering only its own row; no ``unused`` columns."""
    lp = fs.assemble(scenario([2009, 2010], 10, {"nature": "fund"}))
    rows, carried = lp.constraints["envelope"], lp.variables["carried"]
    assert "unused" not in lp.variables
    assert [p.tolist() for p in carried.positions] == [[0, 0], [0, 1]]
    assert lp.col_upper[carried.start:carried.stop].tolist() == [np.inf, np.inf]
    a = lp.A.toarray()[rows.start:rows.stop, carried.start:carried.stop]
    assert a.tolist() == [[1.0, 0.0], [-1.0, 1.0]]


def test_which_years_get_an_envelope_row() -> None:
    """A row where there is money in (voted, or carried into the first year), money that may come in from the
    year before, or cells; none for a year with nothing voted, nothing carried in and no cells."""
    def rows(envelope, budget=None):
        lp = fs.assemble(scenario([2009, 2010], envelope, budget))
        block = lp.constraints["envelope"]
        return [p.tolist() for p in block.positions], lp.row_upper[block.start:block.stop].tolist()

    assert rows({2009: 10, 2010: 0}) == ([[0], [0]], [10.0])
    assert rows({2009: 0, 2010: 10}) == ([[0], [1]], [10.0])
    assert rows({2009: 10, 2010: 0}, {"carry_over": 0.5}) == ([[0, 0], [0, 1]], [10.0, 0.0])
    assert rows({2009: 0, 2010: 10}, {"opening": {"carried_in": 5}}) == ([[0, 0], [0, 1]], [5.0, 10.0])
    assert rows({2009: 10, 2010: 10}, {"opening": {"carried_in": 5}}) == ([[0, 0], [0, 1]], [15.0, 10.0])
    assert rows({2009: 0, 2010: 10}, {"opening": {"carried_in": 0.5}}) == ([[0, 0], [0, 1]], [0.5, 10.0])
    assert rows({2009: 10, 2010: 0}, {"carry_over": 0.05}) == ([[0, 0], [0, 1]], [10.0, 0.0])  # 0.5 may come in


def test_which_years_get_an_envelope_row_over_three_years() -> None:
    """10 voted in 2009 only, half of it may be carried: 2010 may receive 5, 2011 nothing (2010 voted nothing to
    carry a share of): rows for 2009 and 2010 only."""
    lp = fs.assemble(scenario([2009, 2010, 2011], {2009: 10, 2010: 0, 2011: 0}, {"carry_over": 0.5}))
    block = lp.constraints["envelope"]
    assert [p.tolist() for p in block.positions] == [[0, 0], [0, 1]]
    assert lp.row_upper[block.start:block.stop].tolist() == [10.0, 0.0]


def _ledger(alloc: fs.Allocation, name: str) -> list[float]:
    return [round(float(v), 6) for v in alloc.data[name].sel(instrument="f").values]


def test_a_carry_over_solved() -> None:
    """40 then 10 voted, a quarter carried over (10); the region absorbs 30 then 20: 2009 commits 30 and carries
    its 10 left into 2010, which commits 20; nothing lapses; objective 50."""
    alloc = fs.solve(scenario([2009, 2010], {2009: 40, 2010: 10}, {"carry_over": 0.25},
                              absorption={2009: 30, 2010: 20}))
    assert alloc.objective == pytest.approx(50.0)
    assert _ledger(alloc, "committed") == [30.0, 20.0]
    assert _ledger(alloc, "carried_out") == [10.0, 0.0]
    assert _ledger(alloc, "available") == [40.0, 20.0]
    assert _ledger(alloc, "lapsed") == [0.0, 0.0]
    assert fs.testing.violations(alloc.scenario, alloc) == []


def test_money_carried_into_the_first_year_is_committed() -> None:
    """10 voted a year and 5 carried into 2009; the region absorbs 15 then 10: 25 committed in all."""
    alloc = fs.solve(scenario([2009, 2010], 10, {"opening": {"carried_in": 5}}, absorption={2009: 15, 2010: 10}))
    assert alloc.objective == pytest.approx(25.0)
    assert _ledger(alloc, "committed") == [15.0, 10.0]


def test_a_fund_solved_up_to_its_cutoff() -> None:
    """A fund voted 10 a year 2009–2011, cut-off 2010; the region absorbs 5, 12, anything: 2009 commits 5 and
    carries 5; 2010 has 15, commits 12 and loses 3; 2011's 10 are lost; objective 17."""
    alloc = fs.solve(scenario([2009, 2010, 2011], 10, {"nature": "fund", "cutoff": 2010},
                              absorption={2009: 5, 2010: 12, 2011: 100}))
    assert alloc.objective == pytest.approx(17.0)
    assert _ledger(alloc, "committed") == [5.0, 12.0, 0.0]
    assert _ledger(alloc, "carried_out") == [5.0, 0.0, 0.0]
    assert _ledger(alloc, "lost_at_cutoff") == [0.0, 3.0, 10.0]


def _eu(*by_year: float) -> np.ndarray:
    return np.array(by_year, dtype=float).reshape(1, 1, 1, -1)


@pytest.mark.parametrize(("envelope", "budget", "eu", "carried", "unused"), [
    # 40, 10 voted, carry 10 at most: 2010 needs 10 of 2009's 10 left
    ({2009: 40, 2010: 10}, {"carry_over": 0.25}, (30, 20), [10, 0], [0, 0]),
    # 2010 needs only 2 of 2009's 15 left: 2 carried, 13 lapse
    ({2009: 40, 2010: 10}, {"carry_over": 0.25}, (25, 12), [2, 0], [13, 0]),
    # 2010 needs nothing of 2009's 15 left: all 15 lapse
    ({2009: 40, 2010: 10}, {"carry_over": 0.25}, (25, 10), [0, 0], [15, 0]),
    # 2010 would need 15 but at most 10 may be carried
    ({2009: 40, 2010: 10}, {"carry_over": 0.25}, (30, 25), [10, 0], [0, 0]),
    # limits 20, 5, 0: 2011 needs 5 of 2010's; 2010 needs 5 of 2009's to commit 10 and pass 5 on
    ({2009: 40, 2010: 10, 2011: 10}, {"carry_over": 0.5}, (20, 10, 15), [5, 5, 0], [15, 0, 0]),
    # 2011 would need 10 but 2010 may pass on only 5, so 2010 needs only 5 of 2009's
    ({2009: 40, 2010: 10, 2011: 10}, {"carry_over": 0.5}, (20, 10, 20), [5, 5, 0], [15, 0, 0]),
    # a fund carries everything before its cut-off, loses at it what later years do not need
    ({2009: 30, 2010: 0, 2011: 0}, {"nature": "fund", "cutoff": 2010}, (10, 10, 0), [20, 0, 0], [0, 10, 0]),
    # 5 carried in, 12 committed of 15: 3 lapse in 2009
    ({2009: 10, 2010: 10}, {"opening": {"carried_in": 5}}, (12, 10), [0, 0], [3, 0]),
])
def test_the_best_carry_over_for_given_commitments(envelope, budget, eu, carried, unused) -> None:
    """``available_of``, ``carried_of`` and ``unused_of`` for commitments given: carry over only what later
    years need, the rest unused (a fund: everything before its cut-off); available = usable + carried in."""
    from fundsim.rules.envelope import CARRIED, UNUSED
    sc = scenario(sorted(envelope), envelope, budget)
    cube = _eu(*eu)
    usable = [float(envelope[y]) for y in sorted(envelope)]
    came_in = [float((budget.get("opening") or {}).get("carried_in", 0.0)), *map(float, carried[:-1])]
    assert available_of(sc, cube).tolist() == [[u + c for u, c in zip(usable, came_in, strict=True)]]
    lp = fs.assemble(sc)
    for spec, want in ((CARRIED, carried), (UNUSED, unused)):
        if spec.name not in lp.variables:
            assert not any(want[:-1])
            continue
        block = lp.variables[spec.name]
        got = spec.point(sc, cube, block, lp.col_upper[block.start:block.stop])
        assert got.tolist() == [float(want[y]) for y in block.positions[1]]


# ---- absorption.py -------------------------------------------------------------------------------------------
def two_regions(profile: list[float], after: str, caps: tuple[float, float] = (8.0, 6.0)) -> fs.model.Scenario:
    """``tiny`` with a second region ``s``; absorption on EU money, ``r`` absorbing ``caps[0]`` a year, ``s``
    ``caps[1]``; ``f`` pays along ``profile``; 10 voted a year 2009–2010."""
    data = tiny([2009, 2010], 10, profile=profile)
    data["regions"].append({"id": "s", "group": "south"})
    data["absorption"] = {"basis": "eu", "capacity": {"r": caps[0], "s": caps[1]}, "after_horizon": after}
    return fs.scenario_from_dict(data)


def _col(lp, r: int, y: int) -> int:
    """The ``eu`` column of (f, p, region r, year y)."""
    block = lp.variables["eu"]
    pos = [p.tolist() for p in block.positions]
    return block.start + next(n for n in range(len(pos[0])) if pos[2][n] == r and pos[3][n] == y)


def test_the_absorption_rows_of_a_rising_profile_after_the_horizon() -> None:
    """Paid a quarter in the year committed, three quarters the next (rising): rows per region
    ``0.25·eu09 ≤ cap``, ``0.75·eu09 + 0.25·eu10 ≤ cap`` and, for 2011 after the horizon, ``0.75·eu10 ≤ cap``
    (held to the last year's capacity); the scenario years' rows first, region by region, then the later ones."""
    lp = fs.assemble(two_regions([0.25, 0.75], "last_year"))
    inside, after = lp.constraints["absorption"], lp.constraints["absorption_after_horizon"]
    assert [p.tolist() for p in inside.positions] == [[0, 0, 1, 1], [0, 1, 0, 1]]
    assert lp.row_upper[inside.start:inside.stop].tolist() == [8.0, 8.0, 6.0, 6.0]
    assert np.all(np.isneginf(lp.row_lower[inside.start:inside.stop]))
    assert after.coords == (("r", "s"), (2011,))
    assert [p.tolist() for p in after.positions] == [[0, 1], [0, 0]]
    assert lp.row_upper[after.start:after.stop].tolist() == [8.0, 6.0]
    assert np.all(np.isneginf(lp.row_lower[after.start:after.stop]))
    a = lp.A.toarray()
    want_inside = {(0, 0, 0): 0.25, (1, 0, 0): 0.75, (1, 0, 1): 0.25, (2, 1, 0): 0.25, (3, 1, 0): 0.75,
                   (3, 1, 1): 0.25}
    for (row, r, y), v in want_inside.items():
        assert a[inside.start + row, _col(lp, r, y)] == v
    assert a[after.start, _col(lp, 0, 1)] == 0.75
    assert a[after.start + 1, _col(lp, 1, 1)] == 0.75
    eu = lp.variables["eu"]
    assert np.count_nonzero(a[inside.start:inside.stop, eu.start:eu.stop]) == 6
    assert np.count_nonzero(a[after.start:after.stop, eu.start:eu.stop]) == 2
    assert np.count_nonzero(a[inside.start:after.stop]) == 8  # nothing but eu in these rows


@pytest.mark.parametrize(("profile", "after", "rows_after"), [
    ([0.5, 0.5], "last_year", False),  # never rising: implied by the last year's rows
    ([0.75, 0.25], "last_year", False),
    ([0.25, 0.75], "unlimited", False),
    ([0.25, 0.75], "last_year", True),
])
def test_rows_after_the_horizon_only_for_a_rising_profile_held_to_the_last_year(profile, after, rows_after) -> None:
    lp = fs.assemble(two_regions(profile, after))
    assert ("absorption_after_horizon" in lp.constraints) is rows_after
    assert lp.constraints["absorption"].size == 4


@pytest.mark.parametrize(("after", "objective", "eu"), [
    # 0.75·eu10 ≤ 6 binds: eu10 = 8, then 0.75·eu09 + 2 ≤ 6 gives eu09 = 16/3 (cutting eu10 by 1 frees only 1/3)
    ("last_year", 8 + 16 / 3, [16 / 3, 8.0]),
    # nothing after 2010: eu10 = 10 (its envelope), 0.75·eu09 + 2.5 ≤ 6 gives eu09 = 14/3
    ("unlimited", 10 + 14 / 3, [14 / 3, 10.0]),
])
def test_a_rising_profile_solved_with_and_without_the_capacity_after_the_horizon(after, objective, eu) -> None:
    """One region absorbing 6 a year, 10 voted a year, paid a quarter then three quarters."""
    data = tiny([2009, 2010], 10, profile=[0.25, 0.75])
    data["absorption"] = {"basis": "eu", "capacity": {"r": 6}, "after_horizon": after}
    alloc = fs.solve(fs.scenario_from_dict(data))
    assert alloc.objective == pytest.approx(objective)
    assert alloc.data["eu"].sum(("instrument", "priority", "region")).values.tolist() == pytest.approx(eu)


def test_the_tutorial_absorption_rows_on_total_cost() -> None:
    """On total cost, TPMA's commitments (80 % EU: 0.25 of match per EUR m) count 1.25 per EUR m, ENPI's 1;
    only North Africa has a capacity (25 a year); no rows after 2010 (profiles ``[1.0]``)."""
    sc = fs.load_scenario("scenarios/tutorial.yaml")
    sc = sc.evolve(absorption=dataclasses.replace(sc.absorption, basis="total"))
    lp = fs.assemble(sc)
    block = lp.constraints["absorption"]
    assert [p.tolist() for p in block.positions] == [[0, 0], [0, 1]]
    assert lp.row_upper[block.start:block.stop].tolist() == [25.0, 25.0]
    assert "absorption_after_horizon" not in lp.constraints
    eu = lp.variables["eu"]
    pos = [p.tolist() for p in eu.positions]
    a = lp.A.toarray()[block.start:block.stop, eu.start:eu.stop]
    for n in range(len(pos[0])):
        i, r, y = pos[0][n], pos[2][n], pos[3][n]
        want = [0.0, 0.0]
        if r == 0:
            want[y] = 1.25 if i == 0 else 1.0
        assert a[:, n].tolist() == want
    alloc = fs.solve(sc)
    assert fs.testing.violations(sc, alloc) == []


def _plan(sc, eu, *, total=None, payments=None, after=None, rtol=1e-7, atol=1e-6):
    zero = np.zeros_like(eu)
    return Plan(sc, eu, zero, eu if total is None else total, zero if payments is None else payments, after, None,
                rtol=rtol, atol=atol)


@pytest.mark.parametrize(("after", "cap", "found"), [
    # due: 2009 2.5, 2010 7.5 + 2.5 = 10, 2011 7.5
    ("last_year", 8.0, [({"region": "r", "year": 2010}, 10.0, 8.0, 2.0)]),
    ("last_year", 7.0, [({"region": "r", "year": 2010}, 10.0, 7.0, 3.0),
                        ({"region": "r", "year_after": 2011}, 7.5, 7.0, 0.5)]),
    ("unlimited", 7.0, [({"region": "r", "year": 2010}, 10.0, 7.0, 3.0)]),
])
def test_check_absorption_with_payments_after_the_horizon(after, cap, found) -> None:
    """10 committed in each year, paid a quarter then three quarters."""
    data = tiny([2009, 2010], 10, profile=[0.25, 0.75])
    data["absorption"] = {"basis": "eu", "capacity": {"r": cap}, "after_horizon": after}
    sc = fs.scenario_from_dict(data)
    from fundsim.rules.absorption import check_absorption
    got = check_absorption(_plan(sc, _eu(10, 10)))
    assert [(v.labels, v.value, v.limit, v.size) for v in got] == found
    assert got[0].message == ("absorption: payments to r in 2010 are EUR 10.000 m, above the capacity of "
                              f"EUR {cap:.3f} m (by {10 - cap:.3f})")
    if len(found) > 1:
        assert "payments to r in 2011 are EUR 7.500 m" in got[1].message


def test_check_absorption_of_two_instruments_paying_differently() -> None:
    """Two instruments in one region (capacity 9): ``f`` pays all at once, ``g`` half then half; 6 each committed in
    2009: due 6 + 3 = 9 in 2009 (within), 3 in 2010 (within); 8 each: 12 (3 above), 4."""
    data = tiny([2009, 2010], 10, profile=[1.0])
    data["instruments"].append({"id": "g", "envelope": 10, "payment_profile": [0.5, 0.5]})
    data["absorption"] = {"basis": "eu", "capacity": {"r": 9}, "after_horizon": "last_year"}
    sc = fs.scenario_from_dict(data)
    from fundsim.rules.absorption import check_absorption
    eu = np.zeros((2, 1, 1, 2))
    eu[:, 0, 0, 0] = 6.0
    assert check_absorption(_plan(sc, eu)) == []
    eu[:, 0, 0, 0] = 8.0
    got = check_absorption(_plan(sc, eu))
    assert [(v.labels, v.value, v.limit, v.size) for v in got] == [({"region": "r", "year": 2009}, 12.0, 9.0, 3.0)]


def test_check_absorption_on_total_cost() -> None:
    """On total cost the plan's total (EU + co-financing) counts, not its EU money: the tutorial's North Africa
    with 20 EU and 30 total in 2009 is 5 above its 25."""
    sc = fs.load_scenario("scenarios/tutorial.yaml")
    from fundsim.rules.absorption import check_absorption
    eu = np.zeros((2, 3, 2, 2))
    eu[1, 1, 0, 0] = 20.0
    total = eu * 1.5
    assert check_absorption(_plan(sc, eu, total=total)) == []  # on EU money: 20 of 25
    sc = sc.evolve(absorption=dataclasses.replace(sc.absorption, basis="total"))
    got = check_absorption(_plan(sc, eu, total=total))
    assert [(v.labels, v.value, v.limit, v.size) for v in got] == [({"region": "north_africa", "year": 2009}, 30.0,
                                                                     25.0, 5.0)]
    assert got[0].message.startswith("absorption: payments (EU + co-financing) to north_africa in 2009 are")


# ---- payments.py ---------------------------------------------------------------------------------------------
def test_check_payments_against_the_profile() -> None:
    """Paid half then half: 10 committed in 2009 give 5 and 5. Paying 4 in 2010 is 1 short; paying 6, 1 over;
    with ``atol`` 1 and ``rtol`` 0, 1 off is within the tolerance and 1.5 off is not."""
    from fundsim.rules.payments import check_payments
    sc = scenario([2009, 2010], 10, profile=[0.5, 0.5])
    eu = _eu(10, 0)
    assert check_payments(_plan(sc, eu, payments=_eu(5, 5))) == []
    for paid, size in ((4.0, 1.0), (6.0, 1.0)):
        got = check_payments(_plan(sc, eu, payments=_eu(5, paid)))
        assert [(v.family, v.labels, v.value, v.limit, v.size, v.unit) for v in got] == [
            ("payments", {"instrument": "f", "priority": "p", "region": "r", "year": 2010}, paid, 5.0, size, "EUR m")]
        assert got[0].rule == "payments"
        assert got[0].message == (f"payments: f for p in r in 2010 pays EUR {paid:.3f} m, but the payment profile "
                                  "[0.5, 0.5] of its commitments gives EUR 5.000 m")
    assert check_payments(_plan(sc, eu, payments=_eu(5, 4), rtol=0.0, atol=1.0)) == []
    assert check_payments(_plan(sc, eu, payments=_eu(5, 6), rtol=0.0, atol=1.0)) == []
    assert len(check_payments(_plan(sc, eu, payments=_eu(5, 3.5), rtol=0.0, atol=1.0))) == 1


def test_check_payments_in_full_counting_what_falls_due_after_the_horizon() -> None:
    """10 committed in each year, paid half then half: 5, 10 in the years and 5 after. Stating 3 after the horizon
    pays 18 in all of 20 committed (2 short); 7 pays 22 (2 over); with ``atol`` 2, ``rtol`` 0 both are within."""
    from fundsim.rules.payments import check_payments
    sc = scenario([2009, 2010], 10, profile=[0.5, 0.5])
    eu, pay = _eu(10, 10), _eu(5, 10)
    assert check_payments(_plan(sc, eu, payments=pay, after=np.full((1, 1, 1), 5.0))) == []
    for after, total in ((3.0, 18.0), (7.0, 22.0)):
        got = check_payments(_plan(sc, eu, payments=pay, after=np.full((1, 1, 1), after)))
        assert [(v.family, v.labels, v.value, v.limit, v.size, v.unit) for v in got] == [
            ("payments", {"instrument": "f", "priority": "p", "region": "r"}, total, 20.0, 2.0, "EUR m")]
        assert got[0].rule == "payments"
        assert got[0].message == (f"payments: f for p in r pays EUR {total:.3f} m in all (counting what falls due "
                                  "after the last year), but commits EUR 20.000 m")
        assert check_payments(_plan(sc, eu, payments=pay, after=np.full((1, 1, 1), after), rtol=0.0, atol=2.0)) == []
    assert check_payments(_plan(sc, eu, payments=pay, after=None)) == []  # nothing stated after: not checked


# ---- envelope.py: the check --------------------------------------------------------------------------------------
def _found(plan: Plan) -> list[tuple]:
    return [(v.family, v.labels, v.value, v.limit, v.size, v.message) for v in check_envelope(plan)]


def test_check_envelope_counts_the_best_carry_over_when_the_plan_states_none() -> None:
    """40 then 10 voted, at most 10 carried: 30 and 20 committed fit (10 carried in); 30 and 21 are 1 above
    2010's 10 + 10; 41 in 2009 is 1 above its 40, with nothing carried in."""
    sc = scenario([2009, 2010], {2009: 40, 2010: 10}, {"carry_over": 0.25})
    assert _found(_plan(sc, _eu(30, 20))) == []
    assert _found(_plan(sc, _eu(30, 21))) == [
        ("envelope", {"instrument": "f", "year": 2010}, 21.0, 20.0, 1.0,
         "envelope: f's commitments in 2010 are EUR 21.000 m, above the usable envelope plus EUR 10.000 m carried "
         "in of EUR 20.000 m (by 1.000)")]
    assert _found(_plan(sc, _eu(41, 0))) == [
        ("envelope", {"instrument": "f", "year": 2009}, 41.0, 40.0, 1.0,
         "envelope: f's commitments in 2009 are EUR 41.000 m, above the usable envelope of EUR 40.000 m (by 1.000)")]


def test_check_envelope_counts_what_is_carried_into_the_first_year() -> None:
    """10 voted in 2009 and 5 carried in: 15 fit, 16 are 1 above."""
    sc = scenario([2009, 2010], 10, {"opening": {"carried_in": 5}})
    assert _found(_plan(sc, _eu(15, 10))) == []
    assert [(v.labels, v.value, v.limit) for v in check_envelope(_plan(sc, _eu(16, 10)))] == [
        ({"instrument": "f", "year": 2009}, 16.0, 15.0)]
    assert "plus EUR 5.000 m carried in" in check_envelope(_plan(sc, _eu(16, 10)))[0].message


def _stated(plan: Plan, carried, unused) -> Plan:
    return dataclasses.replace(plan, carried=None if carried is None else np.array([carried], dtype=float),
                               unused=None if unused is None else np.array([unused], dtype=float))


def test_check_envelope_of_what_the_plan_states_it_carries_and_leaves_unused() -> None:
    """At most 10 may be carried out of 2009, nothing out of 2010: a plan stating 12 carried is 2 above (its
    commitments, 28 and 22, fit 40 and 10 + 12); stating −1 is 1 below the minimum of 0. When it states what it
    carries but not what it leaves unused, its carry-over is taken as stated (22 fit) and not checked."""
    sc = scenario([2009, 2010], {2009: 40, 2010: 10}, {"carry_over": 0.25})
    plan = _plan(sc, _eu(28, 22))
    assert _found(_stated(plan, [12, 0], [0, 0])) == [
        ("envelope", {"instrument": "f", "year": 2009}, 12.0, 10.0, 2.0,
         "envelope: f's appropriations carried over in 2009 are EUR 12.000 m, above the limit of EUR 10.000 m "
         "(by 2.000)")]
    assert _found(_stated(plan, [12, 0], None)) == []
    assert _found(plan)[0][1:4] == ({"instrument": "f", "year": 2010}, 22.0, 20.0)  # the best carry-over is 10
    got = _found(_stated(_plan(sc, _eu(30, 9)), [0, -1], [10, 0]))
    assert [g[1:5] for g in got] == [({"instrument": "f", "year": 2010}, -1.0, 0.0, 1.0)]
    assert got[0][5].startswith("envelope: f's appropriations carried over in 2010 are")
    assert "below the minimum of EUR 0.000 m" in got[0][5]


def test_check_envelope_of_a_fund_leaving_money_unused_before_its_cutoff() -> None:
    """A fund (cut-off 2010) may not leave money unused in 2009: 2 stated unused there is 2 above the limit of 0;
    in 2010 (its cut-off year) any amount may be lost."""
    sc = scenario([2009, 2010, 2011], 10, {"nature": "fund", "cutoff": 2010})
    plan = _stated(_plan(sc, _eu(8, 10, 0)), [0, 0, 0], [2, 10, 10])
    assert [(v.labels, v.value, v.limit, v.size) for v in check_envelope(plan)] == [
        ({"instrument": "f", "year": 2009}, 2.0, 0.0, 2.0)]
    assert check_envelope(plan)[0].message.startswith("envelope: f's appropriations left unused in 2009 are")


def test_the_labels_of_the_budget_blocks() -> None:
    """Row kinds, units and long names of the envelope and absorption blocks and of the appropriation columns."""
    lp = fs.assemble(scenario([2009, 2010], {2009: 40, 2010: 10}, {"carry_over": 0.25}))
    env = lp.constraints["envelope"]
    assert (env.kind, env.long_name, env.dims, env.coords) == ("le", "usable envelope", ("instrument", "year"),
                                                               (("f",), (2009, 2010)))
    assert env.units == "objective per EUR m"
    carried, unused = lp.variables["carried"], lp.variables["unused"]
    assert carried.long_name == "commitment appropriations carried over into the next year"
    assert unused.long_name == "commitment appropriations left unused (lapsed, returned, or lost at the cut-off)"
    assert carried.dims == unused.dims == ("instrument", "year")
    assert carried.coords == unused.coords == (("f",), (2009, 2010))
    lp = fs.assemble(two_regions([0.25, 0.75], "last_year"))
    inside, after = lp.constraints["absorption"], lp.constraints["absorption_after_horizon"]
    assert (inside.kind, inside.long_name, inside.dims) == ("le", "absorption capacity (payments)", ("region", "year"))
    assert inside.units == after.units == "objective per EUR m"
    assert inside.coords == (("r", "s"), (2009, 2010))
    assert (after.kind, after.long_name, after.dims) == ("le", "absorption capacity after the last year (payments)",
                                                         ("region", "year_after"))


def test_available_appropriations_of_two_instruments() -> None:
    """``f``: 40 then 10 voted, a quarter carried over, committing 30 then 20 (10 carried into 2010); ``g``: 10 a
    year and 5 carried into 2009, committing nothing: available 40, 20 and 15, 10."""
    data = tiny([2009, 2010], {2009: 40, 2010: 10}, {"carry_over": 0.25})
    data["instruments"].append({"id": "g", "envelope": 10, "budget": {"opening": {"carried_in": 5}}})
    sc = fs.scenario_from_dict(data)
    eu = np.zeros((2, 1, 1, 2))
    eu[0, 0, 0] = [30.0, 20.0]
    assert available_of(sc, eu).tolist() == [[40.0, 20.0], [15.0, 10.0]]


def test_absorption_rows_of_many_regions_keep_their_order() -> None:
    """Ten regions (enough for an unstable sort to reorder the rows), region ``k`` absorbing ``k + 1`` a year;
    paid a quarter then three quarters, held after 2010 to the last year's capacity: the row of (region k, year y)
    holds 0.25 × region k's year-y money and 0.75 × its year y − 1 money, bounded by k + 1; the row of (k, 2011)
    holds 0.75 × its 2010 money."""
    data = tiny([2009, 2010], 100, profile=[0.25, 0.75])
    data["regions"] = [{"id": f"r{k}", "group": "south"} for k in range(10)]
    data["absorption"] = {"basis": "eu", "capacity": {f"r{k}": k + 1 for k in range(10)},
                          "after_horizon": "last_year"}
    lp = fs.assemble(fs.scenario_from_dict(data))
    a = lp.A.toarray()
    for name, years in (("absorption", (0, 1)), ("absorption_after_horizon", (2,))):
        block = lp.constraints[name]
        regions, ys = (p.tolist() for p in block.positions)
        assert regions == [k for k in range(10) for _ in years]
        assert lp.row_upper[block.start:block.stop].tolist() == [float(k + 1) for k in regions]
        for row, (k, y) in enumerate(zip(regions, ys, strict=True)):
            y = years[0] + y if name == "absorption" else 2
            want = {(k, y): 0.25, (k, y - 1): 0.75}
            got = {}
            for n in np.nonzero(a[block.start + row])[0]:
                got[(_region_year(lp, n))] = a[block.start + row, n]
            assert got == {key: v for key, v in want.items() if 0 <= key[1] <= 1}


def _region_year(lp, col: int) -> tuple[int, int]:
    block = lp.variables["eu"]
    n = col - block.start
    return int(block.positions[2][n]), int(block.positions[3][n])


def test_a_carry_over_limit_below_one_eur_m_gets_its_column() -> None:
    """5 % of 10 voted: at most 0.5 may be carried out of 2009, a ``carried`` column bounded by 0.5."""
    lp = fs.assemble(scenario([2009, 2010], 10, {"carry_over": 0.05}))
    carried = lp.variables["carried"]
    assert [p.tolist() for p in carried.positions] == [[0], [0]]
    assert lp.col_upper[carried.start:carried.stop].tolist() == [0.5]


def test_an_instrument_without_cells_still_gets_its_envelope_rows() -> None:
    """``g`` (0.5 voted a year) may fund no region, so it has no cells: its rows (``unused = 0.5``) come from its
    voted money alone, in both years."""
    data = tiny([2009, 2010], 10)
    data["instruments"].append({"id": "g", "envelope": 0.5, "eligibility": {"regions": []}})
    lp = fs.assemble(fs.scenario_from_dict(data))
    block = lp.constraints["envelope"]
    assert [p.tolist() for p in block.positions] == [[0, 0, 1, 1], [0, 1, 0, 1]]
    assert lp.row_upper[block.start:block.stop].tolist() == [10.0, 10.0, 0.5, 0.5]
    assert set(lp.variables["eu"].positions[0].tolist()) == {0}
