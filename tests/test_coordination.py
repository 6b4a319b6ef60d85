"""Coordination capacity (16041/08 §25), worked by hand on one instrument, one priority, one region."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_budget_mechanics import tiny

import fundsim as fs
from fundsim.errors import ScenarioError
from fundsim.testing import assert_allocation_feasible, violations

CONTRACTS = {"deadline": {"kind": "contracting", "years": 3}, "contracting_profile": [0.5, 0.5]}


def scenario(capacity: Any, budget: dict | None = CONTRACTS) -> fs.Scenario:
    data = tiny([2009, 2010], 20, budget, profile=[0.5, 0.5])
    data["rules"] = {"coordination": [{"id": "r_delegation", "regions": ["r"], "capacity": capacity,
                                       "assumption": "a test capacity"}]}
    return fs.scenario_from_dict(data)


def test_the_delegation_follows_up_what_it_can() -> None:
    """Contracts signed half in the commitment year, half the next. 2010 signs half of 2009's and half of 2010's
    commitments: C09/2 + C10/2 ≤ 12/2... with a capacity of 6 in 2010, C09 + C10 ≤ 12; 2009's capacity of 10
    (C09/2 ≤ 10) does not bind. The optimum commits 12 in all; one more EUR m of 2010 capacity buys two EUR m of
    commitments (worth 2), 2009's is worth nothing."""
    sc = scenario({2009: 10, 2010: 6})
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(12.0)
    prices = alloc.duals["coordination"].sel(coordination_area="r_delegation").values.tolist()
    assert prices == pytest.approx([0.0, 2.0], abs=1e-9)
    assert_allocation_feasible(sc, alloc)


def test_funds_under_shared_management_are_not_the_delegations_to_follow_up() -> None:
    """A payment-deadline instrument signs no contracts the delegations follow up: the rule writes no row and the
    instrument commits its 40."""
    sc = scenario(6, {"deadline": {"kind": "payment", "years": 2}})
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(40.0)
    assert "coordination" not in alloc.lp.constraints


def test_the_checker_finds_a_plan_beyond_the_capacity() -> None:
    sc = scenario(6)
    data = fs.solve(sc).data.copy(deep=True)
    eu = np.zeros(data["eu"].shape)
    eu[0, 0, 0] = [8.0, 8.0]  # 4 signed in 2009, 4 + 4 in 2010
    data["eu"].values[:] = eu
    found = [v for v in violations(sc, data) if v.family == "coordination"]
    assert [(v.labels["year"], v.value, v.limit) for v in found] == [(2010, 8.0, 6.0)]


def test_a_coordination_entry_with_years_is_refused() -> None:
    data = tiny([2009, 2010], 20, CONTRACTS, profile=[0.5, 0.5])
    data["rules"] = {"coordination": [{"id": "x", "regions": ["r"], "years": [2009], "capacity": 5}]}
    with pytest.raises(ScenarioError, match="unknown field 'years'"):
        fs.scenario_from_dict(data)
