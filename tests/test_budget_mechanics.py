"""Budget mechanics (issue 14): carry-over and lapse, a fund's cut-off, payment appropriations with the opening
RAL, outstanding commitments at the horizon, deadlines, and the money ledger — each worked by hand on a tiny
scenario (one instrument, one priority, one region), and the ledger reconciled on the shipped scenarios."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pytest
import yaml

import fundsim as fs
from fundsim.diagnose import diagnose
from fundsim.diagnose.repairs import apply_repairs
from fundsim.errors import ScenarioError
from fundsim.testing import assert_allocation_feasible, violations

ROOT = Path(__file__).resolve().parents[1]


def tiny(years: list[int], envelope: Any, budget: dict | None = None, *, absorption: Any = None,
         profile: list[float] | None = None, weight: float = 1.0, usable_share: float | None = None) -> dict:
    """One instrument ``f`` funding one priority in one region; impact ``weight`` per EUR m."""
    instrument: dict[str, Any] = {"id": "f", "envelope": envelope}
    if budget is not None:
        instrument["budget"] = budget
    if profile is not None:
        instrument["payment_profile"] = profile
    if usable_share is not None:
        instrument["usable_share"] = usable_share
    data: dict[str, Any] = {
        "name": "tiny", "years": years,
        "pillars": [{"id": "q"}], "priorities": [{"id": "p", "pillar": "q"}],
        "regions": [{"id": "r", "group": "south"}],
        "instruments": [instrument],
        "objective": {"impact": {"weights": {"default": weight}, "basis": "eu"}},
    }
    if absorption is not None:
        data["absorption"] = {"basis": "eu", "capacity": {"r": absorption}, "after_horizon": "unlimited"}
    return data


def committed(alloc: fs.Allocation) -> list[float]:
    return [round(float(v), 6) for v in alloc.data["eu"].sum(("instrument", "priority", "region")).values]


def ledger(alloc: fs.Allocation, name: str) -> list[float]:
    return [round(float(v), 6) for v in alloc.ledger()[name].sel(instrument="f").values]


# ---- carry-over and lapse ------------------------------------------------------------------------------------
def test_carry_over_moves_money_into_a_year_that_can_absorb_it() -> None:
    """40 voted in 2009, 10 in 2010; the region absorbs 30 then 20. Without carry-over 2009 commits 30 and lapses
    10, 2010 commits its 10: 40 in all. Carrying over a quarter (at most 10) lets 2010 commit 20: 50 in all, no
    lapse; one more EUR m of carry-over limit would be worth nothing more (2010's absorption binds)."""
    without = fs.solve(fs.scenario_from_dict(tiny([2009, 2010], {2009: 40, 2010: 10}, absorption={2009: 30, 2010: 20})))
    assert committed(without) == [30.0, 10.0]
    assert ledger(without, "lapsed") == [10.0, 0.0]
    assert ledger(without, "carried_out") == [0.0, 0.0]
    with_carry = fs.solve(fs.scenario_from_dict(tiny([2009, 2010], {2009: 40, 2010: 10}, {"carry_over": 0.25},
                                                     absorption={2009: 30, 2010: 20})))
    assert committed(with_carry) == [30.0, 20.0]
    assert ledger(with_carry, "carried_out") == [10.0, 0.0]
    assert ledger(with_carry, "carried_in") == [0.0, 10.0]
    assert ledger(with_carry, "available") == [40.0, 20.0]
    assert ledger(with_carry, "lapsed") == [0.0, 0.0]
    assert with_carry.objective == pytest.approx(50.0)
    assert_allocation_feasible(with_carry.scenario, with_carry)


def test_a_smaller_carry_over_limit_binds_and_the_rest_lapses() -> None:
    """A carry-over of 10 % (4 of 2009's 40): 2010 commits 14, 2009 lapses 6; 2010's envelope row is worth 1 per
    EUR m (the impact weight), 2009's nothing (money there lapses)."""
    alloc = fs.solve(fs.scenario_from_dict(tiny([2009, 2010], {2009: 40, 2010: 10}, {"carry_over": 0.1},
                                                absorption={2009: 30, 2010: 20})))
    assert committed(alloc) == [30.0, 14.0]
    assert ledger(alloc, "lapsed") == [6.0, 0.0]
    prices = alloc.duals["envelope"].sel(instrument="f").values.tolist()
    assert prices == pytest.approx([0.0, 1.0], abs=1e-9)


def test_partly_usable_money_left_is_not_used_for_this_policy_rather_than_lapsed() -> None:
    """Only a fifth of a 100 envelope is usable (20 a year); the region absorbs 15: 5 a year is not used for this
    policy (it returns to the instrument's other objectives), nothing lapses."""
    alloc = fs.solve(fs.scenario_from_dict(tiny([2009, 2010], 100, absorption=15, usable_share=0.2)))
    assert ledger(alloc, "not_used") == [5.0, 5.0]
    assert ledger(alloc, "lapsed") == [0.0, 0.0]
    assert alloc.scenario.instruments[0].budget.unused == "returns"


# ---- a fund and its cut-off -----------------------------------------------------------------------------------
def test_a_fund_keeps_its_money_until_the_cutoff_and_loses_what_is_left() -> None:
    """A fund voted 10 a year 2009–2011 with its cut-off at the end of 2010; the region absorbs 5 in 2009, 12 in
    2010 and anything in 2011. 2009 commits 5 and carries 5; 2010 has 15 and commits 12, losing 3 at the
    cut-off; 2011's 10 cannot be committed (lost). One more EUR m allowed after the cut-off is worth 1."""
    sc = fs.scenario_from_dict(tiny([2009, 2010, 2011], 10, {"nature": "fund", "cutoff": 2010},
                                    absorption={2009: 5, 2010: 12, 2011: 100}))
    alloc = fs.solve(sc)
    assert committed(alloc) == [5.0, 12.0, 0.0]
    assert ledger(alloc, "carried_out") == [5.0, 0.0, 0.0]
    assert ledger(alloc, "lost_at_cutoff") == [0.0, 3.0, 10.0]
    assert ledger(alloc, "lapsed") == [0.0, 0.0, 0.0]
    assert alloc.duals["commitment_cutoff"].sel(instrument="f", year=2011).item() == pytest.approx(1.0)
    assert_allocation_feasible(sc, alloc)


def test_a_fund_without_a_cutoff_in_the_horizon_keeps_what_is_left_available() -> None:
    sc = fs.scenario_from_dict(tiny([2009, 2010], 10, {"nature": "fund", "cutoff": 2013}, absorption=4))
    alloc = fs.solve(sc)
    assert committed(alloc) == [4.0, 4.0]
    assert ledger(alloc, "carried_out") == [6.0, 12.0]  # 12 still available after 2010
    assert float(fs.results.ledger.unused_money(alloc.ledger())["still_available"].sel(instrument="f")) == 12.0


# ---- payment appropriations, the opening RAL, the RAL at the horizon --------------------------------------------
def test_payment_appropriations_shared_with_the_opening_ral() -> None:
    """Paid half in the year committed and half the next, each cohort by n+1; 20 committed in 2008 leave 10 due
    in 2009, to be paid in 2009. Payment appropriations of 20 in 2009 and 15 in 2010: 2009 pays the opening 10
    and 10 on 2009's commitments, 2010 pays 15 more on them, so 2009 may commit 10 + 15 = 25 of its 30 (5 lapse;
    its half due in 2009, 12.5, is paid 10 then and the rest late but in time). 2010's commitments are due by
    2011, after the horizon: they are committed in full, 30, and left outstanding (RAL). One more EUR m of
    payment appropriations in either year, or one EUR m of 2009's commitments allowed past the deadline, buys
    one EUR m more of 2009 commitments: worth 1."""
    budget = {"payment_appropriations": {2009: 20, 2010: 15}, "deadline": {"kind": "payment", "years": 1},
              "opening": {"commitments": {2008: 20}}}
    sc = fs.scenario_from_dict(tiny([2009, 2010], 30, budget, profile=[0.5, 0.5]))
    alloc = fs.solve(sc)
    assert committed(alloc) == [25.0, 30.0]
    assert alloc.objective == pytest.approx(55.0)
    assert ledger(alloc, "lapsed") == [5.0, 0.0]
    assert ledger(alloc, "payments_due") == [22.5, 27.5]  # 10 + 12.5; 12.5 + 15
    assert ledger(alloc, "payments_made") == [20.0, 15.0]
    cohorts = alloc.ledger().sel(instrument="f")
    assert cohorts["cohort"].values.tolist() == [2008, 2009, 2010]
    assert cohorts["cohort_committed"].values.tolist() == [20.0, 25.0, 30.0]
    assert cohorts["cohort_paid_before"].values.tolist() == [10.0, 0.0, 0.0]
    assert cohorts["cohort_paid"].values.tolist() == [[10.0, 0.0], [10.0, 15.0], [0.0, 0.0]]
    assert cohorts["cohort_outstanding"].values.tolist() == [0.0, 0.0, 30.0]  # the RAL at the end of 2010
    assert alloc.duals["payment_appropriations"].sel(instrument="f").values.sum() + \
        alloc.duals["payment_deadline"].sel(instrument="f", cohort=2009).item() >= 1.0 - 1e-9
    for year in (2009, 2010):  # each relaxation alone, re-solved: one EUR m more is worth 1
        more = copy.deepcopy(budget)
        more["payment_appropriations"][year] += 1
        assert fs.solve(fs.scenario_from_dict(tiny([2009, 2010], 30, more, profile=[0.5, 0.5]))).objective == \
            pytest.approx(56.0)
    assert_allocation_feasible(sc, alloc)


def test_a_contracting_deadline_lets_short_payment_appropriations_grow_the_ral() -> None:
    """The same with a contracting deadline (n+3): payments may wait past n+1, so 2009 commits its 30 and what its
    payment appropriations cannot pay is outstanding at the end of 2010."""
    budget = {"payment_appropriations": {2009: 20, 2010: 15}, "deadline": {"kind": "contracting", "years": 3},
              "opening": {"commitments": {2008: 20}}}
    alloc = fs.solve(fs.scenario_from_dict(tiny([2009, 2010], 30, budget, profile=[0.5, 0.5])))
    assert committed(alloc) == [30.0, 30.0]
    assert ledger(alloc, "payments_made") == [20.0, 15.0]
    assert float(alloc.ledger()["cohort_outstanding"].sum()) == pytest.approx(20 + 60 - 10 - 35)  # 35 of 80 paid
    assert "payment_deadline" not in alloc.lp.constraints


def test_opening_ral_beyond_the_payment_appropriations_is_diagnosed_and_repaired() -> None:
    """The 2008 commitments alone need 10 in 2009 (their n+1 deadline) against 6 of payment appropriations: no plan
    exists; the diagnosis names the payment appropriations of 2009 and raises them by 4."""
    sc = fs.scenario_from_dict(tiny([2009, 2010], 30, {"payment_appropriations": {2009: 6, 2010: 100},
                                                       "deadline": {"kind": "payment", "years": 1},
                                                       "opening": {"commitments": {2008: 20}}}, profile=[0.5, 0.5]))
    with pytest.raises(fs.InfeasibleError):
        fs.solve(sc)
    diagnosis = diagnose(sc)
    repair = next(r for alt in diagnosis.repairs for r in alt if r.rule == "payment_appropriations")
    assert repair.where == {"instrument": "f", "year": 2009}
    assert repair.change == pytest.approx(4.0)
    assert "payment appropriations of 'f' in 2009" in repair.text
    fixed = apply_repairs(sc, [repair])
    assert fixed.instruments[0].budget.payment_appropriations.tolist() == [10.0, 100.0]
    assert fs.solve(fixed).status == "optimal"


def test_outstanding_commitments_at_the_horizon_are_limited() -> None:
    """Half of 2010's commitments are unpaid at the end of 2010; at most 4 may be: 2010 commits 8 (12 lapse), and
    one more EUR m of the limit is worth 2."""
    sc = fs.scenario_from_dict(tiny([2009, 2010], 20, {"max_outstanding": 4}, profile=[0.5, 0.5]))
    alloc = fs.solve(sc)
    assert committed(alloc) == [20.0, 8.0]
    assert float(alloc.ledger()["cohort_outstanding"].sum()) == pytest.approx(4.0)
    assert alloc.duals["max_outstanding"].sel(instrument="f").item() == pytest.approx(2.0)


# ---- deadlines and their validation -----------------------------------------------------------------------------
def test_contracting_deadline_leaves_payments_free_but_holds_contracts() -> None:
    """n+3 for contracts: a five-year payment profile is fine; a contracting profile over five years is not."""
    ok = fs.scenario_from_dict(tiny([2009], 10, {"deadline": {"kind": "contracting", "years": 3},
                                                 "contracting_profile": [0.5, 0.5]},
                                    profile=[0.2, 0.2, 0.2, 0.2, 0.2]))
    assert ok.instruments[0].budget.deadline.kind == "contracting"
    assert ok.instruments[0].decommitment_window == 3
    with pytest.raises(ScenarioError, match="contracts must be signed by n\\+3"):
        fs.scenario_from_dict(tiny([2009], 10, {"deadline": {"kind": "contracting", "years": 3},
                                                "contracting_profile": [0.2] * 5}))
    with pytest.raises(ScenarioError, match="money not paid by n\\+2 is decommitted"):
        fs.scenario_from_dict(tiny([2009], 10, {"deadline": {"kind": "payment", "years": 2}},
                                   profile=[0.25] * 4))


@pytest.mark.parametrize(("budget", "words"), [
    ({"nature": "fund", "carry_over": 0.1}, "carry_over is for general_budget"),
    ({"cutoff": 2013}, "cut-off is the rule of a multi-annual fund"),
    ({"contracting_profile": [1.0]}, "needs a contracting deadline"),
    ({"opening": {"commitments": {2009: 5}}}, "made before the first year"),
    ({"deadline": {"years": 2, "decision_lead": 1}}, "decision_lead needs counted_from: decision"),
])
def test_inconsistent_budget_blocks_are_refused_with_their_reason(budget: dict, words: str) -> None:
    with pytest.raises(ScenarioError, match=words):
        fs.scenario_from_dict(tiny([2009, 2010], 10, budget))


def test_deadline_and_decommitment_window_together_are_refused() -> None:
    data = tiny([2009], 10, {"deadline": {"years": 3}})
    data["instruments"][0]["decommitment_window"] = 2
    with pytest.raises(ScenarioError, match="give the deadline once"):
        fs.scenario_from_dict(data)


def test_counted_from_the_decision_shortens_the_window() -> None:
    sc = fs.scenario_from_dict(tiny([2009], 10, {"deadline": {"kind": "payment", "years": 3,
                                                              "counted_from": "decision", "decision_lead": 1}},
                                    profile=[0.4, 0.3, 0.3]))
    assert sc.instruments[0].decommitment_window == 2


# ---- old scenarios keep their meaning ---------------------------------------------------------------------------
def _old_formulation_optimum(lp: fs.LinearProgram) -> float:
    """The optimum of the programme as fundsim wrote it before budget mechanics: envelope rows ``Σ eu ≤ usable``
    without the unused columns, solved by HiGHS directly."""
    keep = np.ones(lp.num_col, bool)
    unused = lp.variables["unused"]
    keep[unused.start:unused.stop] = False
    lower = lp.row_lower.copy()
    env = lp.constraints["envelope"]
    lower[env.start:env.stop] = -np.inf
    A = lp.A[:, np.flatnonzero(keep)].tocsc()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = int(keep.sum()), lp.num_row
    model.col_cost_ = (-lp.c[keep] if lp.sense == "max" else lp.c[keep]).tolist()
    model.col_lower_, model.col_upper_ = lp.col_lower[keep].tolist(), lp.col_upper[keep].tolist()
    model.row_lower_, model.row_upper_ = lower.tolist(), lp.row_upper.tolist()
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_, model.a_matrix_.index_, model.a_matrix_.value_ = (
        A.indptr.tolist(), A.indices.tolist(), A.data.tolist())
    h.passModel(model)
    h.run()
    value = h.getInfo().objective_function_value
    return float(-value if lp.sense == "max" else value) + lp.offset


@pytest.mark.parametrize("name", ["tutorial.yaml", "gam-2008.yaml"])
def test_scenarios_without_budget_blocks_keep_their_optimum(name: str) -> None:
    raw = yaml.safe_load((ROOT / "scenarios" / name).read_text())
    for ins in raw["instruments"]:  # the budget blocks out, the payment deadline as long as the profile needs
        ins.pop("budget", None)
        ins["decommitment_window"] = max(2, len(ins.get("payment_profile", [1.0])) - 1)
    sc = fs.scenario_from_dict(raw)
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(_old_formulation_optimum(alloc.lp), rel=1e-9)


# ---- the ledger on the shipped scenarios --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tutorial.yaml", "tutorial-uncertain.yaml", "gam-2008.yaml",
                                  "gam-2008-uncertain.yaml"])
def test_the_ledger_reconciles_on_the_shipped_scenarios(name: str) -> None:
    sc = fs.load_scenario(ROOT / "scenarios" / name)
    alloc = fs.solve(sc)
    assert violations(sc, alloc) == []
    book = alloc.ledger()
    terms = sum(book[t] for t in ("committed", "carried_out", "lapsed", "not_used", "lost_at_cutoff"))
    np.testing.assert_allclose(terms.values, book["available"].values, rtol=1e-6, atol=1e-9)
    paid = book["cohort_paid_before"] + book["cohort_paid"].sum("year") + book["cohort_decommitted"] \
        + book["cohort_outstanding"]
    np.testing.assert_allclose(paid.values, book["cohort_committed"].values, rtol=1e-6, atol=1e-9)


def test_a_broken_ledger_is_caught_by_the_oracle() -> None:
    sc = fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml")
    data = fs.solve(sc).data.copy(deep=True)
    data["cohort_decommitted"].loc[{"instrument": "enpi", "cohort": 2010}] = 3.0
    found = [v for v in violations(sc, data) if v.family == "ledger"]
    assert [v.labels for v in found] == [{"instrument": "enpi", "cohort": 2010}]
    assert "paid, decommitted and outstanding" in found[0].message


def test_a_plan_read_without_a_ledger_gets_one_from_its_money(tmp_path: Path) -> None:
    sc = fs.scenario_from_dict(tiny([2009, 2010], {2009: 40, 2010: 10}, {"carry_over": 0.25},
                                    absorption={2009: 30, 2010: 20}))
    alloc = fs.solve(sc)
    path = alloc.save(tmp_path / "plan.csv")
    book = fs.read_allocation(path, sc).ledger()
    assert book["carried_out"].sel(instrument="f").values.tolist() == [10.0, 0.0]
    assert book["lapsed"].sel(instrument="f").values.tolist() == [0.0, 0.0]


def test_budget_blocks_survive_extends(tmp_path: Path) -> None:
    base = tiny([2009, 2010], 30, {"carry_over": 0.1})
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base))
    over = {"extends": "base.yaml", "instruments": [{"id": "f", "budget": {"payment_appropriations": 12}}]}
    (tmp_path / "over.yaml").write_text(yaml.safe_dump(over))
    budget = fs.load_scenario(tmp_path / "over.yaml").instruments[0].budget
    assert budget.carry_share == 0.1 and budget.payment_appropriations.tolist() == [12.0, 12.0]
    assert copy.deepcopy(budget).carry_share == 0.1


# ---- what users see: the CLI, the workbook, the report ------------------------------------------------------------
def test_solve_prints_the_money_not_committed_by_instrument() -> None:
    from typer.testing import CliRunner

    from fundsim.cli import app

    result = CliRunner().invoke(app, ["solve", str(ROOT / "scenarios" / "gam-2008.yaml")], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Money not committed (EUR m)" in text
    ledger = text[text.index("Money not committed"):]
    row = next(line for line in ledger.splitlines() if line.strip("│ ").startswith("ipa"))
    assert "141.9" in row  # IPA's usable amount the plan leaves to IPA's other objectives (the figure)


def test_the_workbook_and_the_report_carry_the_ledger(tmp_path: Path) -> None:
    import openpyxl

    sc = fs.scenario_from_dict(tiny([2009, 2010], {2009: 40, 2010: 10}, absorption={2009: 30, 2010: 20}))
    alloc = fs.solve(sc)
    book = openpyxl.load_workbook(alloc.save(tmp_path / "plan.xlsx"))
    assert {"ledger", "unused_money"} <= set(book.sheetnames)
    rows = list(book["ledger"].values)
    head = list(rows[0])
    lapsed = [r[head.index("lapsed")] for r in rows[1:]]
    assert lapsed == [10.0, 0.0]  # 2009's 40 less the 30 it can absorb
    page = fs.report(sc, out=tmp_path / "report.html")  # the page, also written there
    assert "Money ledger: where every euro goes" in page and "leaves EUR 10.0 m" in page


def test_payments_cannot_run_ahead_of_contracts() -> None:
    with pytest.raises(ScenarioError, match=r"has paid 50% by n\+0 but contracting_profile \[0\.2, 0\.8\] has "
                                            r"contracted only 20%"):
        fs.scenario_from_dict(tiny([2009], 10, {"deadline": {"kind": "contracting", "years": 3},
                                                "contracting_profile": [0.2, 0.8]}, profile=[0.5, 0.5]))


def test_an_opening_ral_beyond_the_outstanding_limit_is_repaired() -> None:
    """20 committed in 2008, paid 40/30/30 %: 6 is still unpaid at the end of 2009 whatever the plan does, above
    the limit of 4; the diagnosis raises the limit by 2, and then the plan commits nothing whose money would
    remain unpaid (2009's commitments pay 40 % in 2009: at most 0 may be committed)."""
    sc = fs.scenario_from_dict(tiny([2009], 30, {"max_outstanding": 4, "opening": {"commitments": {2008: 20}}},
                                    profile=[0.4, 0.3, 0.3]))
    with pytest.raises(fs.InfeasibleError):
        fs.solve(sc)
    repair = next(r for alt in diagnose(sc).repairs for r in alt if r.rule == "max_outstanding")
    assert repair.change == pytest.approx(2.0)
    fixed = apply_repairs(sc, [repair])
    assert fixed.instruments[0].budget.max_outstanding == pytest.approx(6.0)
    assert committed(fs.solve(fixed)) == [0.0]


def test_the_worked_example_of_the_scenario_format_page() -> None:
    """docs/scenario-format.md, budget mechanics: ENPI votes 30 a year, pays 30/40/30 %, has 25 of payment
    appropriations, 30 committed in 2008 and a contracting deadline: with 30 committed each year, 21 falls due in
    2009 and 30 in 2010; 2010 pays 25 and 5 wait, outstanding at the end of 2010 with what falls due later."""
    budget = {"carry_over": 0.1, "payment_appropriations": 25, "deadline": {"kind": "contracting", "years": 3},
              "contracting_profile": [0.6, 0.4], "opening": {"commitments": {2008: 30}}}
    alloc = fs.solve(fs.scenario_from_dict(tiny([2009, 2010], 30, budget, profile=[0.3, 0.4, 0.3])))
    assert committed(alloc) == [30.0, 30.0]
    assert ledger(alloc, "payments_due") == [21.0, 30.0]
    assert ledger(alloc, "payments_made") == [21.0, 25.0]
    book = alloc.ledger().sel(instrument="f")
    # 2008: 9 before, 12 + 9 paid; 2009: 9 + 12 paid, 9 later; 2010: 4 of its 9 paid, 5 wait, 21 later
    assert book["cohort_outstanding"].values.tolist() == [0.0, 9.0, 26.0]


def test_a_limit_on_one_instruments_ral_leaves_the_others_payment_rows_alone() -> None:
    """Found by hypothesis: two instruments with payment appropriations, only the second with a limit on its RAL.
    The first's payments must not enter the second's rows: each pays at most 5 a year, the second commits 5
    (paid at once, nothing outstanding) and the first its 1."""
    data = tiny([2011], 1.0, {"payment_appropriations": 5})
    data["instruments"].append({"id": "g", "envelope": 6.0, "budget": {"payment_appropriations": 5,
                                                                      "max_outstanding": 0}})
    alloc = fs.solve(fs.scenario_from_dict(data))
    lp = alloc.lp
    pa = lp.constraints["payment_appropriations"]
    assert set(lp.A[pa.start:pa.stop].data.tolist()) == {1.0}
    assert alloc.data["eu"].sum(("priority", "region", "year")).values.tolist() == [1.0, 5.0]
    assert_allocation_feasible(alloc.scenario, alloc)


def test_a_cutoff_before_the_first_year_is_refused() -> None:
    with pytest.raises(ScenarioError, match="a cut-off in 1999 falls before the first year \\(2009\\)"):
        fs.scenario_from_dict(tiny([2009, 2010], 10, {"nature": "fund", "cutoff": 1999}))


def test_the_two_spellings_of_the_deadline_stay_in_step() -> None:
    """A budget that states its deadline sets the instrument's window; a window changed alone sets the budget's
    payment deadline (Monte Carlo reads the one, the rules the other)."""
    import dataclasses

    ins = fs.scenario_from_dict(tiny([2009], 10)).instruments[0]
    contracting = dataclasses.replace(ins, budget=fs.model.Budget(deadline=fs.model.Deadline("contracting", 3)))
    assert contracting.decommitment_window == 3
    shorter = dataclasses.replace(ins, decommitment_window=0)
    assert shorter.budget.deadline == fs.model.Deadline("payment", 0)


def test_payment_appropriations_over_an_instrument_with_nothing_to_commit() -> None:
    # found by tests/test_budget_properties.py: an envelope of 0 leaves no eligible cell, and the payment
    # columns grouped the cells of no (instrument, year) into one empty group (a ValueError from zip)
    spec = {"name": "empty", "years": [2009], "pillars": [{"id": "q0"}],
            "regions": [{"id": "r0", "group": "south"}], "priorities": [{"id": "p0", "pillar": "q0"}],
            "match_sources": [{"id": "ms", "capacity": 1}],
            "instruments": [{"id": "i0", "envelope": {2009: 0.0}, "usable_share": 0.5,
                             "eligibility": {"regions": ["r0"], "priorities": ["p0"]},
                             "cofinancing": {"max_eu_share": 0.5, "match_source": "ms"}, "payment_profile": [1.0],
                             "budget": {"nature": "general_budget", "carry_over": 0.0,
                                        "deadline": {"kind": "payment", "years": 2},
                                        "payment_appropriations": {2009: 5}}}],
            "absorption": {"basis": "eu", "capacity": {}}, "rules": {},
            "objective": {"impact": {"weights": {"default": 1.0, "by_priority": {"p0": 0.5}}, "basis": "eu"}}}
    with pytest.warns(fs.FundsimWarning, match="every allocation is empty"):
        alloc = fs.solve(fs.scenario_from_dict(spec))
    assert alloc.objective == 0.0 and float(alloc.data["eu"].sum()) == 0.0
