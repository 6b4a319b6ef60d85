"""Random valid scenarios (hypothesis): allocations satisfy every rule; more money or fewer rules never
make the optimum worse."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import fundsim as fs
from fundsim.testing import assert_allocation_feasible

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# random scenarios may fund nothing, or put a minimum share where nothing may go: those warnings are expected
pytestmark = pytest.mark.filterwarnings("ignore::fundsim.errors.FundsimWarning")
PROFILES = ([1.0], [0.5, 0.5], [0.4, 0.4, 0.2])


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A small random scenario dict, valid by construction (it may still be infeasible)."""
    n_years = draw(st.integers(1, 3))
    years = list(range(2009, 2009 + n_years))
    pillars = [f"q{n}" for n in range(draw(st.integers(1, 3)))]
    priorities = [{"id": f"p{n}", "pillar": draw(st.sampled_from(pillars))} for n in range(draw(st.integers(1, 4)))]
    used_pillars = sorted({p["pillar"] for p in priorities})
    groups = ["south", "east", "other"]
    regions = [{"id": f"r{n}", "group": draw(st.sampled_from(groups))} for n in range(draw(st.integers(1, 4)))]
    r_ids, p_ids = [r["id"] for r in regions], [p["id"] for p in priorities]
    money = st.integers(0, 50).map(float)
    instruments = []
    for n in range(draw(st.integers(1, 3))):
        profile = draw(st.sampled_from(PROFILES))
        share = draw(st.sampled_from([0.5, 0.75, 0.8, 1.0]))
        instruments.append({
            "id": f"i{n}",
            "envelope": {y: draw(money) for y in years},
            "usable_share": draw(st.sampled_from([0.5, 1.0])),
            "eligibility": {
                "regions": draw(st.lists(st.sampled_from(r_ids), min_size=1, unique=True)),
                "priorities": draw(st.lists(st.sampled_from(p_ids), min_size=1, unique=True)),
            },
            "cofinancing": {"max_eu_share": share, **({"match_source": "ms"} if share < 1 else {})},
            "payment_profile": profile,
            "decommitment_window": 2,
        })
    spec: dict[str, Any] = {
        "name": "random", "years": years,
        "pillars": [{"id": q} for q in pillars], "regions": regions, "priorities": priorities,
        "match_sources": [{"id": "ms", "capacity": draw(st.integers(1, 40))}],
        "instruments": instruments,
        "absorption": {"basis": draw(st.sampled_from(["eu", "total"])),
                       "capacity": {r: draw(st.integers(5, 60)) for r in draw(st.lists(st.sampled_from(r_ids),
                                                                                        unique=True))}},
    }
    rules: dict[str, Any] = {}
    if draw(st.booleans()):
        rules["pillar_balance"] = [{"pillar": q, "max_share": draw(st.sampled_from([0.4, 0.6, 0.9]))}
                                   for q in used_pillars[: draw(st.integers(1, len(used_pillars)))]]
        rules["pillar_balance"][0]["min_share"] = draw(st.sampled_from([0.0, 0.1, 0.2]))
    if draw(st.booleans()):
        present = sorted({r["group"] for r in regions})
        rules["geographic_focus"] = [{"region_groups": present[:1], "min_share": draw(st.sampled_from([0.3, 0.6]))}]
    if draw(st.booleans()):
        rules["region_limits"] = [{"region": r_ids[0], "max": draw(st.integers(5, 40))}]
    if draw(st.booleans()):
        rules["min_packages"] = [{"region": r_ids[-1], "amount": draw(st.integers(1, 10))}]
    if draw(st.booleans()):
        rules["caps"] = [{"id": "c0", "instruments": ["i0"], "max": draw(st.integers(1, 30)),
                          "per_year": draw(st.booleans())}]
    spec["rules"] = rules
    weights = {"default": 1.0, "by_priority": {p: draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])) for p in p_ids}}
    impact: dict[str, Any] = {"weights": weights, "basis": draw(st.sampled_from(["eu", "total"]))}
    if draw(st.booleans()):
        impact["diminishing_returns"] = {"breakpoints": [5, 15], "slopes": [1.0, 0.5, 0.1]}
    spec["objective"] = {"impact": impact, **({"leverage": {"weight": 0.2}} if draw(st.booleans()) else {})}
    return spec


def _solve(spec: dict[str, Any]) -> fs.Allocation:
    try:
        return fs.solve(fs.scenario_from_dict(spec))
    except fs.InfeasibleError:
        reject()


@SETTINGS
@given(scenarios())
def test_allocations_satisfy_every_rule(spec: dict[str, Any]) -> None:
    alloc = _solve(spec)
    assert_allocation_feasible(alloc.scenario, alloc)


@SETTINGS
@given(scenarios(), st.sampled_from([1.0, 1.25, 2.0]))
def test_more_money_never_lowers_the_optimum(spec: dict[str, Any], factor: float) -> None:
    base = _solve(spec)
    richer = copy.deepcopy(spec)
    for ins in richer["instruments"]:
        ins["envelope"] = {y: v * factor for y, v in ins["envelope"].items()}
    alloc = fs.solve(fs.scenario_from_dict(richer))
    assert_allocation_feasible(alloc.scenario, alloc)
    assert alloc.objective >= base.objective - 1e-7 * max(1.0, abs(base.objective))


@SETTINGS
@given(scenarios(), st.data())
def test_removing_a_rule_never_lowers_the_optimum(spec: dict[str, Any], data: st.DataObject) -> None:
    base = _solve(spec)
    families = [k for k, v in spec["rules"].items() if v]
    if not families:
        reject()
    family = data.draw(st.sampled_from(families))
    fewer = copy.deepcopy(spec)
    del fewer["rules"][family][data.draw(st.integers(0, len(fewer["rules"][family]) - 1))]
    alloc = fs.solve(fs.scenario_from_dict(fewer))
    assert alloc.objective >= base.objective - 1e-7 * max(1.0, abs(base.objective))


def test_scaling_every_envelope_by_zero_gives_nothing() -> None:  # the warning is filtered module-wide
    spec = fs.load_scenario("scenarios/tutorial.yaml").spec
    for ins in spec["instruments"]:
        ins["envelope"] = 0.0
    alloc = fs.solve(fs.scenario_from_dict(spec))
    assert alloc.objective == pytest.approx(0.0)
    assert float(alloc.data["eu"].sum()) == 0.0
