"""Random scenarios with budget mechanics (hypothesis): every optimum keeps every rule and its ledger reconciles,
checked by fundsim.testing from the allocation alone; carry-over and payment appropriations move the optimum
only the way they should (more room never hurts, a binding limit never helps)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import scenarios as base_scenarios

import fundsim as fs
from fundsim.testing import assert_allocation_feasible

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pytestmark = pytest.mark.filterwarnings("ignore::fundsim.errors.FundsimWarning")


@st.composite
def budgeted(draw: st.DrawFn) -> dict[str, Any]:
    """A random small scenario whose instruments get random budget blocks, valid by construction."""
    spec = draw(base_scenarios())
    years = spec["years"]
    for ins in spec["instruments"]:
        window = ins.pop("decommitment_window")
        profile = ins["payment_profile"]
        nature = draw(st.sampled_from(["general_budget", "fund"]))
        budget: dict[str, Any] = {"nature": nature}
        if nature == "fund":
            budget["cutoff"] = draw(st.sampled_from([years[0], years[-1], years[-1] + 2]))
        else:
            budget["carry_over"] = draw(st.sampled_from([0.0, 0.1, 0.5]))
        if draw(st.booleans()):
            budget["deadline"] = {"kind": "contracting", "years": 3}
            budget["contracting_profile"] = [1.0]
        else:
            budget["deadline"] = {"kind": "payment", "years": max(window, len(profile) - 1)}
        if draw(st.booleans()):
            budget["payment_appropriations"] = {y: draw(st.integers(5, 60)) for y in years}
        if draw(st.booleans()):
            budget["max_outstanding"] = draw(st.integers(0, 30))
        if draw(st.booleans()):
            budget["opening"] = {"commitments": {years[0] - 1: draw(st.integers(0, 20))},
                                 "carried_in": draw(st.integers(0, 10))}
        ins["budget"] = budget
    return spec


def solved(spec: dict[str, Any]) -> tuple[fs.Scenario, fs.Allocation | None]:
    sc = fs.scenario_from_dict(spec)
    try:
        return sc, fs.solve(sc)
    except fs.InfeasibleError:
        return sc, None


@SETTINGS
@given(budgeted())
def test_every_budgeted_optimum_keeps_its_rules_and_its_ledger(spec: dict[str, Any]) -> None:
    sc, alloc = solved(spec)
    if alloc is None:
        return
    assert_allocation_feasible(sc, alloc)  # every rule, and the ledger reconciled term by term
    book = alloc.ledger()
    terms = sum(book[t] for t in ("committed", "carried_out", "lapsed", "not_used", "lost_at_cutoff"))
    np.testing.assert_allclose(terms.values, book["available"].values, rtol=1e-6, atol=1e-6)
    paid = (book["cohort_paid_before"] + book["cohort_paid"].sum("year") + book["cohort_decommitted"]
            + book["cohort_outstanding"])
    np.testing.assert_allclose(paid.values, book["cohort_committed"].values, rtol=1e-6, atol=1e-6)
    assert (book["payments_made"] <= book["payment_appropriations"] * (1 + 1e-7) + 1e-6).all()


@SETTINGS
@given(budgeted())
def test_more_carry_over_and_payment_appropriations_never_hurt(spec: dict[str, Any]) -> None:
    sc, alloc = solved(spec)
    looser = copy.deepcopy(spec)
    for ins in looser["instruments"]:
        b = ins["budget"]
        if b["nature"] == "general_budget":
            b["carry_over"] = 1.0
        b.pop("payment_appropriations", None)
        b.pop("max_outstanding", None)
    _, loose = solved(looser)
    if alloc is not None:
        assert loose is not None
        sense = 1.0 if sc.objective.sense == "max" else -1.0
        assert sense * loose.objective >= sense * alloc.objective - 1e-6 * (1 + abs(alloc.objective))
