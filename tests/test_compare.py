"""fs.compare: metrics worked by hand on the tutorial, the LP-free objective against the solver, the attribution
of a gap to the tutorial's hand-worked shadow prices, compliance and the comparison figures."""

from __future__ import annotations

import copy
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import fundsim as fs
from fundsim.comparison import Comparison, ComparisonError, compare, lp_point, metrics, objective_value, read_allocation
from fundsim.plots.compare import difference_heatmap, flow_chart, stacked_bars
from fundsim.results import Allocation, allocation_dataset

TPMA, ENPI = 0, 1
MOBILITY, RETURN, REMITTANCES = 0, 1, 2
NORTH_AFRICA, EAST = 0, 1


@pytest.fixture(scope="module")
def sc() -> fs.Scenario:
    return fs.load_scenario("scenarios/tutorial.yaml")


@pytest.fixture(scope="module")
def optimum(sc: fs.Scenario) -> fs.Allocation:
    return fs.solve(sc)


@pytest.fixture(scope="module")
def gam() -> fs.Scenario:
    return fs.load_scenario("scenarios/gam-2008.yaml")


@pytest.fixture(scope="module")
def curves() -> fs.Scenario:
    """The reference case under its former objective (impact curves) and three-component pillar balance: the
    as-programmed plan breaks rules that gain it objective there, and falls below the 15 % legal-migration floor."""
    return fs.load_scenario("scenarios/gam-2008-impact-curves.yaml")


def plan(sc: fs.Scenario, name: str, *cells: tuple[int, int, int, float]) -> Allocation:
    """An allocation of the tutorial: (instrument, priority, region, EUR m a year in 2009 and 2010)."""
    eu = np.zeros((2, 3, 2, 2))
    for i, p, r, amount in cells:
        eu[i, p, r, :] = amount
    data = allocation_dataset(sc, eu)
    data.attrs.update(name=name, status="external", scenario=sc.name)
    return Allocation(data, xr.Dataset(), sc)


@pytest.fixture(scope="module")
def spread(sc: fs.Scenario) -> Allocation:
    """Every envelope used, but North Africa only 15 a year of its 25 and remittances 10 of the 15 allowed.

    TPMA 5 remittances North Africa + 5 mobility East; ENPI 10 return North Africa + 10 mobility East (a year).
    Objective by hand 10·3 + 20·2 + 30·1.5 = 115, 15 below the optimum of 130.
    """
    return plan(sc, "spread", (TPMA, REMITTANCES, NORTH_AFRICA, 5), (TPMA, MOBILITY, EAST, 5),
                (ENPI, RETURN, NORTH_AFRICA, 10), (ENPI, MOBILITY, EAST, 10))


# ---- metrics by hand -----------------------------------------------------------------------------------
def test_metrics_worked_by_hand(sc: fs.Scenario, spread: Allocation) -> None:
    d = spread.data
    # EU 60: mobility 30 (legal), return 20 (irregular), remittances 10 (development); North Africa 30, East 30
    assert metrics.pillar_shares(sc, d).to_dict() == pytest.approx({"legal": 50.0, "irregular": 100 / 3,
                                                                   "development": 100 / 6})
    assert metrics.group_shares(sc, d).to_dict() == {"south": 50.0, "east": 50.0}
    assert metrics.focus_shares(sc, d).empty  # the tutorial has no focus rule
    assert metrics.pillar_balance_distance(sc, d) == 0.0  # development 16.7 % ≤ 25 %
    assert metrics.herfindahl(sc, d, "region") == pytest.approx(0.5)  # 0.5² + 0.5²
    assert metrics.herfindahl(sc, d, "instrument") == pytest.approx(5 / 9)  # (20/60)² + (40/60)²
    assert metrics.leverage(sc, d) == pytest.approx(65 / 60)  # TPMA's 20 at 80 % mobilise 5
    assert metrics.active_cells(sc, d) == 3  # remittances NA, return NA, mobility East
    assert metrics.instruments_per_cell(sc, d) == pytest.approx(4 / 3)  # mobility East has two
    assert metrics.multi_instrument_share(sc, d) == pytest.approx(100 / 3)
    assert metrics.average_commitment(sc, d) == 7.5  # 60 over 8 instrument × priority × region × year entries
    assert metrics.objective_value(sc, d["eu"].values) == 115.0


def test_distance_from_the_pillar_balance_by_hand(sc: fs.Scenario) -> None:
    heavy = plan(sc, "heavy", (TPMA, REMITTANCES, NORTH_AFRICA, 10), (ENPI, RETURN, NORTH_AFRICA, 5),
                 (ENPI, MOBILITY, EAST, 15))
    # development 20 of 60 = 33.3 %, 8.3 points above its 25 % ceiling
    assert metrics.pillar_balance_distance(sc, heavy.data) == pytest.approx(100 / 3 - 25)
    assert metrics.herfindahl(sc, heavy.data, "region") == pytest.approx((30 / 60) ** 2 + (30 / 60) ** 2)


def test_metrics_of_nothing_are_not_numbers(sc: fs.Scenario) -> None:
    empty = plan(sc, "empty").data
    assert np.isnan(metrics.leverage(sc, empty)) and np.isnan(metrics.herfindahl(sc, empty, "region"))
    assert metrics.active_cells(sc, empty) == 0 and np.isnan(metrics.average_commitment(sc, empty))
    assert metrics.pillar_shares(sc, empty).isna().all()


# ---- the objective without the LP -------------------------------------------------------------------------
def _variant(sc: fs.Scenario, **changes: dict) -> fs.Scenario:
    spec = copy.deepcopy(sc.spec)
    for key, value in changes.items():
        spec[key] = {**spec.get(key, {}), **value} if key == "rules" else value
    return fs.scenario_from_dict(spec)


GOALS = {"targets": [{"id": "remit", "priorities": ["remittances"], "amount": 20, "weight": 3},
                     {"id": "east", "regions": ["eastern_partnership"], "amount": 30}]}


@pytest.fixture(scope="module")
def variants(sc: fs.Scenario) -> dict[str, fs.Scenario]:
    impact = sc.spec["objective"]["impact"]
    return {
        "goals only (minimise)": _variant(sc, objective={"goals": GOALS}),
        "impact, leverage and goals": _variant(sc, objective={"impact": {**impact, "basis": "total",
                                                                         "diminishing_returns": {
                                                                             "breakpoints": [8], "slopes": [1, 0.4]}},
                                                              "leverage": {"weight": 0.5}, "goals": GOALS}),
        "integer rules": _variant(sc, rules={"admin_cost": 0.5, "max_instruments_per_cell": 1}),
    }


@pytest.mark.parametrize("which", ["goals only (minimise)", "impact, leverage and goals", "integer rules"])
def test_objective_equals_the_solver_at_the_optimum(variants: dict[str, fs.Scenario], which: str) -> None:
    scenario = variants[which]
    alloc = fs.solve(scenario)
    assert objective_value(scenario, alloc.data["eu"].values) == pytest.approx(alloc.objective, abs=1e-7)


def test_objective_equals_the_solver_on_the_shipped_scenarios(sc: fs.Scenario, optimum: fs.Allocation,
                                                              gam: fs.Scenario) -> None:
    assert objective_value(sc, optimum.data["eu"].values) == 130.0
    reference = fs.solve(gam)
    assert objective_value(gam, reference.data["eu"].values) == pytest.approx(806.601961, abs=1e-5)
    assert objective_value(gam, reference.data["eu"].values) == pytest.approx(reference.objective, rel=1e-12)


def test_objective_equals_the_lp_cost_at_any_allocation(gam: fs.Scenario) -> None:
    """Away from the optimum the evaluator agrees with the LP's cost vector at the columns the money implies
    (segments filled in order): the two were written independently."""
    lp = fs.solve(gam).lp
    assert lp is not None
    rng = np.random.default_rng(7)
    for scale in (0.05, 1.0, 20.0):  # inside the first segment, across, far beyond the last breakpoint
        eu = scale * rng.random(gam.eligible.shape) * gam.eligible
        x = lp_point(lp, gam, eu)
        assert float(lp.c @ x) == pytest.approx(objective_value(gam, eu), rel=1e-12)


# ---- attribution ---------------------------------------------------------------------------------------
def test_attribution_on_the_tutorial_follows_the_hand_worked_shadow_prices(optimum: fs.Allocation,
                                                                           spread: Allocation) -> None:
    """The gap of 15 is absorption 0.5 × 10 unused each year (10) plus the remittances ceiling 1 × 5 unused
    (5); the envelopes (1.75) bind but the spread uses them fully, so they explain nothing."""
    at = compare(optimum, spread).attribution("spread")
    assert (at.a, at.b, at.gap) == ("spread", "optimum", 15.0)
    assert abs(at.residual) < 1e-12 and at.terms["contribution"].sum() == pytest.approx(15.0)
    by_rule = at.by_rule.set_index("name")["contribution"]
    assert by_rule.to_dict() == pytest.approx({"absorption": 10.0, "pillar_max_share": 5.0})
    assert at.by_rule["name"].iloc[0] == "absorption"
    rows = at.terms.set_index(["name", "where"])
    assert rows.loc[("absorption", "north_africa, 2009"), ["price", "a", "b"]].tolist() == [0.5, 15.0, 25.0]
    assert rows.loc[("pillar_max_share", "development"), "price"] == 1.0  # per EUR m (0.6 per point)
    assert "absorption +10" in repr(at) and "<h4>" in at._repr_html_()


def test_attribution_of_a_plan_that_breaks_rules(sc: fs.Scenario, optimum: fs.Allocation) -> None:
    """North Africa gets 30 a year (5 beyond its capacity), remittances 20 of 60 (5 beyond the 25 % ceiling of
    the money the LP sees) and ENPI funds remittances in the East, which it may not: broken rules show as
    negative terms, the ineligible money as a term outside the LP."""
    bold = plan(sc, "bold", (TPMA, REMITTANCES, NORTH_AFRICA, 10), (ENPI, RETURN, NORTH_AFRICA, 20),
                (ENPI, REMITTANCES, EAST, 5))
    cmp = compare(optimum, bold)
    at = cmp.attribution("bold")
    assert at.objective_a == 20 * 3 + 40 * 2 + 10 * 1  # 150, above the optimum: it breaks rules
    assert at.gap == -20.0 and abs(at.residual) < 1e-12
    by_rule = at.by_rule.set_index("name")["contribution"].to_dict()
    assert by_rule == pytest.approx({"absorption": -0.5 * 10, "pillar_max_share": -1.0 * 5, "ineligible money": -10})
    assert (at.terms.loc[at.terms["name"] == "absorption", "contribution"] == -2.5).all()  # 5 too much each year
    rules = set(cmp.compliance.loc[cmp.compliance["allocation"] == "bold", "rule"])
    assert rules == {"absorption", "eligibility", "envelope", "pillar balance"}


def test_attribution_between_two_plans_is_the_difference_of_their_gaps(sc: fs.Scenario, optimum: fs.Allocation,
                                                                        spread: Allocation) -> None:
    other = plan(sc, "other", (TPMA, REMITTANCES, NORTH_AFRICA, 5), (TPMA, RETURN, NORTH_AFRICA, 5),
                 (ENPI, RETURN, NORTH_AFRICA, 10), (ENPI, MOBILITY, EAST, 10))  # 30 + 60 + 30 = 120
    cmp = compare(optimum, spread, other)
    between = cmp.attribution("spread", "other")
    assert between.gap == pytest.approx(120.0 - 115.0) and abs(between.residual) < 1e-12
    to_opt = {n: cmp.attribution(n).by_rule.set_index("name")["contribution"] for n in ("spread", "other")}
    expected = to_opt["spread"].sub(to_opt["other"], fill_value=0.0)
    got = between.by_rule.set_index("name")["contribution"]
    assert got.to_dict() == pytest.approx(expected[expected.abs() > 1e-9].to_dict())
    assert got.to_dict() == pytest.approx({"absorption": 5.0})  # 'other' leaves 10 of North Africa unused, not 20


def test_attribution_on_the_reference_scenario_adds_up(curves: fs.Scenario) -> None:
    actual = read_allocation("scenarios/gam-2008-as-programmed.csv", curves, name="as programmed")
    cmp = compare(fs.solve(curves), actual)
    at = cmp.attribution("as programmed")
    assert at.gap == pytest.approx(cmp.gap.loc["as programmed", "gap"])
    assert abs(at.residual) < 1e-8 * abs(at.gap)
    broken = at.by_rule.set_index("name")["contribution"]
    assert broken["match_capacity"] < 0 and broken["absorption"] < 0  # rules the plan breaks gain it objective


# ---- the comparison ------------------------------------------------------------------------------------------
def test_compare_tables(sc: fs.Scenario, optimum: fs.Allocation, spread: Allocation) -> None:
    cmp = compare(optimum, spread)
    assert cmp.names == ("optimum", "spread")
    m = cmp.metrics
    assert list(m.columns) == ["units", "optimum", "spread"]
    assert m.loc["pillar share: legal", "units"] == "% of EU commitments"
    assert m.loc["pillar share: legal", "spread"] == pytest.approx(50.0)
    assert m.loc["active priority × region cells", ["optimum", "spread"]].tolist() == [3.0, 3.0]
    assert m.loc["gap to the optimum", "spread"] == 15.0 and m.loc["rule violations", "spread"] == 0.0
    assert cmp.gap.loc["spread"].tolist() == pytest.approx([115.0, 130.0, 15.0, 100 * 15 / 130])
    diff = cmp.differences["eu"].sel(allocation="spread")
    xr.testing.assert_equal(diff.drop_vars("allocation"), (spread.data["eu"] - optimum.data["eu"]).drop_attrs())
    assert cmp.differences["eu"].attrs == {"units": "EUR m", "long_name": "EU commitment, difference from optimum"}
    assert cmp.summary("group").loc["east"].tolist() == [10.0, 30.0]


def test_compare_solves_the_optimum_when_none_is_given(sc: fs.Scenario, spread: Allocation, tmp_path: Path) -> None:
    spread.to_csv(tmp_path / "spread.csv")
    read = read_allocation(tmp_path / "spread.csv", sc)
    cmp = compare(read, spread, names=["from file", "in memory"])
    assert cmp.gap["optimum"].tolist() == [130.0, 130.0] and cmp.gap["gap"].tolist() == [15.0, 15.0]
    assert float(np.abs(cmp.differences["eu"]).max()) == 0.0
    assert cmp.attribution("from file").gap == 15.0


def test_compare_solves_the_optimum_with_the_options_given(sc: fs.Scenario, spread: Allocation) -> None:
    cmp = compare(spread, options={"solver": "ipm"})
    assert cmp.gap["optimum"].tolist() == [pytest.approx(130.0)]
    with pytest.raises(ValueError, match="no_such_option"):
        compare(spread, options={"no_such_option": 1}).gap  # noqa: B018 (the property solves)


def test_compliance_of_the_as_programmed_plan(curves: fs.Scenario) -> None:
    actual = read_allocation("scenarios/gam-2008-as-programmed.csv", curves, name="as programmed")
    table = compare(actual).compliance
    border = table[table["violation"].str.contains("border_management")]
    assert border["rule"].tolist() == ["priority limits"] and border["size"].iloc[0] == pytest.approx(106.7)
    legal = table[table["violation"].str.contains("pillar legal_migration")]
    assert legal["size"].iloc[0] > 90  # legal migration far below its 15 % floor
    assert table["size"].notna().all() and (table["size"] > 0).all()


def test_comparison_errors(sc: fs.Scenario, gam: fs.Scenario, optimum: fs.Allocation, spread: Allocation) -> None:
    with pytest.raises(ComparisonError, match="nothing to compare"):
        compare()
    bare = Allocation(spread.data, xr.Dataset())
    with pytest.raises(ComparisonError, match="no scenario to compare against"):
        compare(bare)
    with pytest.raises(ComparisonError, match=r"allocation 2 does not use the labels of scenario 'tutorial' \(its "
                                              "instrument, priority, region, year differ\\)"):
        compare(optimum, fs.solve(gam))
    with pytest.raises(ComparisonError, match="one distinct name per allocation"):
        compare(optimum, spread, names=["a", "a"])
    with pytest.raises(ComparisonError, match=r"no allocation called 'nope' .* \['optimum', 'spread'\]"):
        compare(optimum, spread).attribution("nope")
    assert compare(spread, spread).names == ("spread", "spread (2)")


def test_excel_and_html(optimum: fs.Allocation, spread: Allocation, tmp_path: Path) -> None:
    cmp = compare(optimum, spread)
    path = cmp.to_excel(tmp_path / "cmp.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["metrics", "gap", "compliance", "attribution", "eu minus optimum"]
    attribution = sheets["attribution"]
    assert attribution.loc[attribution["allocation"] == "spread", "contribution"].sum() == pytest.approx(15.0)
    html = cmp._repr_html_()
    assert "Objective and gap to the optimum" in html and "every allocation keeps every rule" in html
    assert isinstance(cmp, Comparison) and "2 allocations of 'tutorial'" in repr(cmp)


# ---- figures ---------------------------------------------------------------------------------------------------
def test_stacked_bars(optimum: fs.Allocation, spread: Allocation) -> None:
    ax = stacked_bars([optimum, spread], by="pillar")
    assert ax.get_title() == "tutorial: EU commitments by pillar"
    assert ax.get_ylabel() == "EU commitment [EUR m]" and ax.get_xlabel() == "allocation"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["legal", "irregular", "development"]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [10.0, 30.0, 35.0, 20.0, 15.0, 10.0]  # legal, irregular, development for each plan
    with pytest.raises(ValueError, match="cannot stack by 'colour'"):
        stacked_bars(optimum, by="colour")
    plt.close("all")


def test_difference_heatmap(optimum: fs.Allocation, spread: Allocation) -> None:
    cmp = compare(optimum, spread)
    ax = difference_heatmap(cmp, "optimum", "spread")
    image = ax.images[0]
    values = image.get_array()
    assert values.shape == (2, 3)  # regions × priorities
    assert values[NORTH_AFRICA, RETURN] == -15.0 and values[EAST, MOBILITY] == 20.0
    assert image.get_clim() == (-20.0, 20.0)  # centred at zero
    assert ax.get_title() == "tutorial: spread − optimum"
    assert image.colorbar.ax.get_ylabel() == "EU commitment, spread − optimum [EUR m]"
    grouped = difference_heatmap(cmp, "optimum", "spread", rows="group", cols="pillar")
    assert [t.get_text() for t in grouped.get_xticklabels()] == ["legal", "irregular", "development"]
    with pytest.raises(ValueError, match="no allocation called 'x'"):
        difference_heatmap(cmp, "x", "spread")
    plt.close("all")


def test_flow_chart(spread: Allocation) -> None:
    ax = flow_chart(spread)
    assert ax.get_title() == "tutorial (spread): EU commitment from instrument to pillar to region group [EUR m]"
    texts = {t.get_text() for t in ax.texts}
    assert {"tpma (20.0)", "enpi (40.0)", "legal (30.0)", "south (30.0)", "east (30.0)"} <= texts
    assert len(ax.collections) == 7  # bands: tpma→2 pillars, enpi→2 pillars; legal→east, 2 pillars→south
    plt.close("all")
