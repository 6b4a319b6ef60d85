"""``fs.replan`` and ``fundsim replan``: the mid-term review. The years before ``from_year`` are held at the actuals
cell by cell, the later ones are planned again under the (revised) scenario.

Hand case on scenarios/tutorial.yaml (TPMA 10 a year for any priority, ENPI 20 a year for mobility and return;
North Africa absorbs 25 a year; remittances at most 25 % of all EU money; weights: remittances in North Africa 3,
return there 2, mobility in the Eastern Partnership 1.5, the rest 1). In 2009 TPMA's 10 went to mobility in the
East and ENPI's 20 to return in North Africa: 15 + 40 = 55. Re-planned from 2010: TPMA's 10 to remittances in
North Africa (30; the ceiling, 15, does not bind), ENPI fills North Africa with 15 of return (30) and sends its
last 5 East (7.5): 67.5, in all 122.5 (the optimum of every year is 130).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import EXIT_BAD_INPUT, EXIT_INFEASIBLE, app
from fundsim.model import Lock, Selector, frozen_array
from fundsim.results import allocation_dataset
from fundsim.results.inputs import AllocationFileError
from fundsim.testing import assert_allocation_feasible

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL, GAM = ROOT / "scenarios" / "tutorial.yaml", ROOT / "scenarios" / "gam-2008.yaml"
TPMA, ENPI = 0, 1
MOBILITY, RETURN, REMITTANCES = 0, 1, 2
NA, EAST = 0, 1
runner = CliRunner()


@pytest.fixture(scope="module")
def gam() -> fs.Scenario:
    return fs.load_scenario(GAM)


@pytest.fixture(scope="module")
def gam_plan(gam: fs.Scenario) -> fs.Allocation:
    return fs.solve(gam)


def hand_actuals(sc: fs.Scenario) -> fs.Allocation:
    """2009 as committed in the hand case (2010 left empty: it is re-planned)."""
    eu = np.zeros((2, 3, 2, 2))
    eu[TPMA, MOBILITY, EAST, 0] = 10.0
    eu[ENPI, RETURN, NA, 0] = 20.0
    return fs.Allocation(allocation_dataset(sc, eu), xr.Dataset(), scenario=sc)


def cut(sc: fs.Scenario, instrument: str, year: int, factor: float) -> fs.Scenario:
    """The scenario with the instrument's envelope and usable money of that year multiplied by ``factor``."""
    n, y = sc.instrument_ids.index(instrument), sc.years.index(year)
    ins = sc.instruments[n]
    usable, envelope = np.array(ins.usable, float), np.array(ins.envelope, float)
    usable[y], envelope[y] = factor * usable[y], factor * envelope[y]
    changed = dataclasses.replace(ins, usable=frozen_array(usable), envelope=frozen_array(envelope))
    return sc.evolve(instruments=(*sc.instruments[:n], changed, *sc.instruments[n + 1:]))


def eu_of(alloc: fs.Allocation, years: list[int]) -> np.ndarray:
    return alloc.data["eu"].sel(year=years).transpose("instrument", "priority", "region", "year").values


# ---- (a) the years before from_year are the actuals, cell by cell -----------------------------------------------
def test_the_held_year_is_the_actuals_and_the_rest_is_replanned_by_hand() -> None:
    sc = fs.load_scenario(TUTORIAL)
    actuals = hand_actuals(sc)
    review = fs.replan(sc, actuals, 2010)
    assert np.abs(eu_of(review, [2009]) - eu_of(actuals, [2009])).max() <= 1e-6
    assert review.objective == pytest.approx(122.5)
    later = review.data["eu"].sel(year=2010)
    assert float(later.sel(instrument="tpma", priority="remittances", region="north_africa")) == pytest.approx(10.0)
    assert float(later.sel(instrument="enpi", priority="return", region="north_africa")) == pytest.approx(15.0)
    assert float(later.sel(instrument="enpi", priority="mobility", region="eastern_partnership")) == pytest.approx(5.0)
    assert float(later.sum()) == pytest.approx(30.0)
    assert review.data.attrs["replanned_from"] == 2010
    assert review.data.attrs["actuals"] == f"the allocation of the scenario 'tutorial', hash {sc.digest}"
    assert review.scenario is not None
    held = [lock for lock in review.scenario.rules.locks if lock.id.startswith("actual:")]
    assert len(held) == int(sc.eligible[..., 0].sum()) == 10  # every eligible cell of 2009, the empty ones too
    assert {lock.id for lock in held} >= {"actual:tpma:mobility:eastern_partnership:2009",
                                          "actual:enpi:return:north_africa:2009"}
    assert all(lock.fixed for lock in held)


def test_the_held_years_are_the_actuals_on_the_reference_scenario(gam: fs.Scenario) -> None:
    # actuals that are not the optimum: the 2009 and 2010 of the plan with ENPI's 2009 money locked lower
    sel = Selector(instruments=frozenset({"enpi"}), years=frozenset({2009}))
    low = gam.evolve(rules=dataclasses.replace(gam.rules, locks=(Lock("enpi_2009", sel, max=10.0),)))
    actuals = fs.solve(low)
    review = fs.replan(gam, actuals, 2011)
    assert np.abs(eu_of(review, [2009, 2010]) - eu_of(actuals, [2009, 2010])).max() <= 1e-6
    assert float(review.data["eu"].sel(instrument="enpi", year=2009).sum()) == pytest.approx(10.0, abs=1e-6)
    assert_allocation_feasible(gam, review)


# ---- (b) the unchanged scenario re-planned from its own optimum -------------------------------------------------
@pytest.mark.parametrize("path,from_year", [(TUTORIAL, 2010), (GAM, 2011), (GAM, 2013)])
def test_replanning_the_unchanged_scenario_from_its_optimum_keeps_the_objective(path: Path, from_year: int) -> None:
    sc = fs.load_scenario(path)
    plan = fs.solve(sc)
    review = fs.replan(sc, plan, from_year)
    assert review.objective == pytest.approx(plan.objective, rel=1e-6)
    before = [y for y in sc.years if y < from_year]
    assert np.abs(eu_of(review, before) - eu_of(plan, before)).max() <= 1e-6


# ---- (c) a cut to a later year's envelope moves only the later years --------------------------------------------
def test_a_cut_to_a_later_envelope_moves_only_the_later_years(gam: fs.Scenario, gam_plan: fs.Allocation) -> None:
    enpi_2012 = float(gam.instruments[gam.instrument_ids.index("enpi")].usable[gam.years.index(2012)])
    planned = float(gam_plan.data["eu"].sel(instrument="enpi", year=2012).sum())
    assert planned > 0.7 * enpi_2012 + 1.0  # the optimum uses more than the cut leaves: something must move
    revised = cut(gam, "enpi", 2012, 0.7)
    review = fs.replan(revised, gam_plan, 2011)
    assert np.abs(eu_of(review, [2009, 2010]) - eu_of(gam_plan, [2009, 2010])).max() <= 1e-6
    assert np.abs(eu_of(review, [2011, 2012, 2013]) - eu_of(gam_plan, [2011, 2012, 2013])).max() > 1.0
    assert float(review.data["eu"].sel(instrument="enpi", year=2012).sum()) <= 0.7 * enpi_2012 + 1e-6
    unchanged = fs.replan(gam, gam_plan, 2011).objective
    assert review.objective <= unchanged + 1e-9 * abs(unchanged)
    free = fs.solve(revised).objective  # every year free to move: the held past can only cost
    assert review.objective <= free + 1e-9 * abs(free)
    assert_allocation_feasible(revised, review)


# ---- (d) errors, in Python -----------------------------------------------------------------------------------
def test_from_year_must_be_a_later_year_of_the_scenario(gam: fs.Scenario, gam_plan: fs.Allocation) -> None:
    with pytest.raises(fs.ArgumentError, match=r"from_year 2015 is not a year of the scenario 'gam-2008'; its years "
                       r"are 2009, 2010, 2011, 2012, 2013"):
        fs.replan(gam, gam_plan, 2015)
    with pytest.raises(fs.ArgumentError, match=r"from_year 2009 is the first year of the scenario 'gam-2008': no "
                       r"year before it is held at the actuals, so there is nothing to re-plan from; give a later "
                       r"year \(2010, 2011, 2012, 2013\)"):
        fs.replan(gam, gam_plan, 2009)
    with pytest.raises(TypeError, match=r"from_year: got the str '2011'; give a year of the scenario"):
        fs.replan(gam, gam_plan, "2011")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"actuals: got None; give an Allocation"):
        fs.replan(gam, None, 2011)  # type: ignore[arg-type]


def test_actuals_of_another_scenario_are_refused(gam: fs.Scenario) -> None:
    tutorial_plan = fs.solve(TUTORIAL)
    with pytest.raises(fs.ArgumentError) as err:
        fs.replan(gam, tutorial_plan, 2011)
    text = str(err.value)
    assert text.startswith("actuals: they are not an allocation of the scenario 'gam-2008': ")
    assert "they lack the instrument labels edf10, dci_geo, ipa, ifs, return_fund, refugee_fund" in text
    assert "they have priority labels the scenario does not have: mobility, return" in text


def test_actuals_must_hold_every_held_year() -> None:
    # a revision that adds 2011: re-planned from 2011, the years held are 2009 and 2010; actuals of 2009 alone lack
    # 2010, while the year the actuals lack beyond the held ones (2011) is no problem
    raw = yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))
    raw["years"] = [2009, 2010, 2011]
    longer = fs.scenario_from_dict(raw)
    plan = fs.solve(TUTORIAL)
    with pytest.raises(fs.ArgumentError) as err:
        fs.replan(longer, fs.Allocation(plan.data.sel(year=[2009]), xr.Dataset()), 2011)
    assert str(err.value) == ("actuals: they are not an allocation of the scenario 'tutorial': they lack the year "
                              "labels 2010")
    review = fs.replan(longer, plan, 2011)
    assert np.abs(eu_of(review, [2009, 2010]) - eu_of(plan, [2009, 2010])).max() <= 1e-6


def test_actuals_that_break_the_revised_rules_name_the_rule(gam: fs.Scenario, gam_plan: fs.Allocation) -> None:
    # ENPI's 2010 envelope cut by 30 % after the money was committed: the envelope must be at least what ENPI
    # committed in 2010, the least change that holds the actuals
    revised = cut(gam, "enpi", 2010, 0.7)
    committed = float(gam_plan.data["eu"].sel(instrument="enpi", year=2010).sum())
    usable = float(revised.instruments[revised.instrument_ids.index("enpi")].usable[1])
    assert committed > usable + 1.0
    with pytest.raises(fs.InfeasibleError) as err:
        fs.replan(revised, gam_plan, 2011)
    assert err.value.message.startswith("the actuals of 2009–2010 (the optimal allocation of the scenario "
                                        "'gam-2008', hash ")
    assert err.value.message.endswith("cannot be held under the rules of the scenario 'gam-2008'")
    (first,) = err.value.repairs[0]
    assert (first.rule, first.where, first.side) == ("envelope", {"instrument": "enpi", "year": 2010}, "upper")
    assert (first.current, first.repaired) == pytest.approx((usable, committed))
    assert "raise the usable envelope of 'enpi' in 2010" in str(err.value)
    assert "actual:" not in str(err.value)  # what was committed is not a rule that can give way


def test_actuals_in_a_cell_the_revised_scenario_makes_ineligible() -> None:
    raw = yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))
    raw["instruments"][1]["eligibility"] = {"priorities": ["mobility"]}  # ENPI may no longer fund return
    revised = fs.scenario_from_dict(raw)
    with pytest.raises(fs.InfeasibleError) as err:
        fs.replan(revised, hand_actuals(fs.load_scenario(TUTORIAL)), 2010)
    assert "they commit money in 1 cell the scenario makes ineligible" in err.value.message
    assert list(err.value.diagnosis) == ["EUR 20.000 m for enpi for return in north_africa in 2009"]


def test_a_csv_path_in_python_is_read_against_the_scenario(tmp_path: Path) -> None:
    sc = fs.load_scenario(TUTORIAL)
    plan = fs.solve(sc)
    path = tmp_path / "plan.csv"
    plan.to_csv(path)
    review = fs.replan(sc, path, 2010)
    assert review.data.attrs["actuals"] == str(path)
    np.testing.assert_allclose(review.data["eu"].sel(year=2009), plan.data["eu"].sel(year=2009), atol=1e-6)
    (tmp_path / "broken.csv").write_text("not,an,allocation\n1,2,3\n")
    with pytest.raises(AllocationFileError):
        fs.replan(sc, tmp_path / "broken.csv", 2010)


# ---- (d) errors, on the command line ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tutorial_nc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replan") / "plan.nc"
    fs.solve(TUTORIAL).save(path)
    return path


@pytest.mark.parametrize("args,words", [
    (["--from-year", "2015"], "from_year 2015 is not a year of the scenario 'tutorial'; its years are 2009, 2010"),
    (["--from-year", "2009"], "from_year 2009 is the first year of the scenario 'tutorial': no year before it"),
])
def test_the_command_refuses_a_year_it_cannot_replan_from(tutorial_nc: Path, args: list[str], words: str) -> None:
    result = runner.invoke(app, ["replan", str(TUTORIAL), "--actuals", str(tutorial_nc), *args])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert words in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_the_command_refuses_actuals_of_another_scenario(tutorial_nc: Path) -> None:
    result = runner.invoke(app, ["replan", str(GAM), "--actuals", str(tutorial_nc), "--from-year", "2011"])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    text = " ".join(result.output.split())
    assert "the file lacks the scenario's instrument labels edf10, dci_geo, ipa, ifs, return_fund, refugee_fund: it " \
           "was written for another scenario" in text
    assert "Traceback" not in result.output


def test_the_command_names_the_rule_the_actuals_break(tutorial_nc: Path, tmp_path: Path) -> None:
    # the revision cuts ENPI's 2009 envelope to 14, but the plan committed its 20 in 2009
    raw = yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))
    raw["instruments"][1]["envelope"] = {2009: 14, 2010: 20}
    revised = tmp_path / "revised.yaml"
    revised.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    result = runner.invoke(app, ["replan", str(revised), "--actuals", str(tutorial_nc), "--from-year", "2010",
                                 "--out", str(tmp_path / "review.nc")])
    assert result.exit_code == EXIT_INFEASIBLE, result.output
    text = " ".join(result.output.split())
    assert "the actuals of 2009 (" in text and "cannot be held under the rules of the scenario 'tutorial'" in text
    assert "raise the usable envelope of 'enpi' in 2009 from EUR 14.0 m by EUR 6.0 m to EUR 20.0 m" in text
    assert not (tmp_path / "review.nc").exists()


def test_the_command_checks_its_files_before_any_work(tutorial_nc: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["replan", str(TUTORIAL), "--actuals", str(tmp_path / "nope.nc"), "--from-year",
                                  "2010"])
    assert missing.exit_code == EXIT_BAD_INPUT and "no such file" in missing.output
    over = runner.invoke(app, ["replan", str(TUTORIAL), "--actuals", str(tutorial_nc), "--from-year", "2010",
                               "--out", str(tutorial_nc)])
    assert over.exit_code == EXIT_BAD_INPUT and "one of this command's own inputs" in over.output
    kind = runner.invoke(app, ["replan", str(TUTORIAL), "--actuals", str(tutorial_nc), "--from-year", "2010",
                               "--out", str(tmp_path / "review.txt")])
    assert kind.exit_code == EXIT_BAD_INPUT and "use .nc, .csv or .xlsx" in kind.output


# ---- (e) actuals from a CSV file written by Allocation.to_csv ----------------------------------------------------
def test_replan_from_a_csv_of_the_actuals(tmp_path: Path) -> None:
    sc = fs.load_scenario(TUTORIAL)
    csv = tmp_path / "actuals.csv"
    hand_actuals(sc).to_csv(csv)
    out, prices = tmp_path / "review.nc", tmp_path / "prices.csv"
    result = runner.invoke(app, ["replan", str(TUTORIAL), "--actuals", str(csv), "--from-year", "2010", "--out",
                                 str(out), "--shadow-prices", str(prices)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert f"held 2009 at the actuals of {csv}, cell by cell (EUR 30.0 m); re-planned 2010" in text
    assert "objective 122.5000" in text and "By pillar" in text and "Binding rules" in text
    review = fs.open_allocation(out)
    assert review.objective == pytest.approx(122.5)
    assert np.abs(eu_of(review, [2009]) - eu_of(hand_actuals(sc), [2009])).max() <= 1e-6
    assert (review.data.attrs["replanned_from"], review.data.attrs["actuals"]) == (2010, str(csv))
    assert prices.is_file()
    # in Python: read the file against the revised scenario, then re-plan
    again = fs.replan(sc, fs.read_allocation(csv, sc), 2010)
    assert again.objective == pytest.approx(122.5)
    assert again.data.attrs["actuals"] == str(csv)


def test_the_command_sums_up_the_held_cells_instead_of_listing_them(tmp_path: Path) -> None:
    """gam-2008 re-planned from its own optimum from 2011: the cells of 2009–2010 held at the actuals that bind are
    one line; the binding-rules table lists the scenario's own rules."""
    plan = tmp_path / "plan.nc"
    fs.solve(GAM).save(plan)
    result = runner.invoke(app, ["replan", str(GAM), "--actuals", str(plan), "--from-year", "2011"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "cells held at the actuals bind" in x)
    assert int(line.split()[0]) > 0
    table = result.output[result.output.index("Binding rules and shadow prices"):]
    assert "actual:" not in table
