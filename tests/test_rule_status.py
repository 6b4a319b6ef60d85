"""Allocation.rule_status: every user's rule binding or slack, with its distance to binding, worked by hand on the
tutorial (scenarios/tutorial.yaml works its optimum out in its comments)."""

from __future__ import annotations

import pathlib

import pytest
import yaml

import fundsim as fs

ROOT = pathlib.Path(__file__).resolve().parents[1]


def row(table, rule: str, where: str) -> dict:
    hit = table[(table["rule"] == rule) & (table["where"] == where)]
    assert len(hit) == 1, (rule, where, table)
    return hit.iloc[0].to_dict()


def test_the_tutorials_rules_by_hand() -> None:
    """Every envelope is committed (binding, worth 1.75); North Africa absorbs its 25 (0.5); TPMA's 10 a year at
    80 % mobilise 2.5 of the member states' 100 (97.5 to spare); development gets its 25 % ceiling (0.6 per
    point)."""
    table = fs.solve(ROOT / "scenarios" / "tutorial.yaml").rule_status()
    assert row(table, "envelope", "tpma, 2009") | {} == {
        "rule": "envelope", "where": "tpma, 2009", "status": "binding", "side": "maximum", "value": 10.0,
        "bound": 10.0, "distance": 0.0, "units": "EUR m", "shadow_price": pytest.approx(1.75)}
    match = row(table, "match_capacity", "member_states, 2010")
    assert (match["status"], match["value"], match["distance"]) == ("slack", pytest.approx(2.5), pytest.approx(97.5))
    assert row(table, "absorption", "north_africa, 2010")["shadow_price"] == pytest.approx(0.5)
    pillar = row(table, "pillar_max_share", "development")
    assert (pillar["status"], pillar["value"], pillar["units"]) == ("binding", pytest.approx(25.0),
                                                                    "percentage points")
    assert pillar["shadow_price"] == pytest.approx(0.6)


def test_a_slack_share_rule_says_how_many_points_it_is_from_binding() -> None:
    """A floor of 10 % for the legal pillar, which the optimum exceeds: slack by its share less 10 points."""
    raw = yaml.safe_load((ROOT / "scenarios" / "tutorial.yaml").read_text())
    raw["rules"]["pillar_balance"].append({"pillar": "legal", "min_share": 0.10})
    alloc = fs.solve(fs.scenario_from_dict(raw))
    legal = row(alloc.rule_status(), "pillar_min_share", "legal")
    share = float(alloc.by_pillar().loc["legal", "share_of_eu"]) * 100
    assert legal["status"] == "slack" and legal["side"] == "minimum"
    assert legal["value"] == pytest.approx(share) and legal["distance"] == pytest.approx(share - 10.0)


def test_unused_appropriations_do_not_hide_an_envelope_left_unused() -> None:
    """One instrument voted 40 then 10, a region that absorbs 30 then 20: 2009 commits 30 and 10 lapse, so its
    envelope row is slack by 10 though the row itself (committed + unused = voted) holds as an equality; 2010's
    binds."""
    from test_budget_mechanics import tiny

    alloc = fs.solve(fs.scenario_from_dict(tiny([2009, 2010], {2009: 40, 2010: 10}, absorption={2009: 30, 2010: 20})))
    table = alloc.rule_status()
    first, second = row(table, "envelope", "f, 2009"), row(table, "envelope", "f, 2010")
    assert (first["status"], first["value"], first["distance"]) == ("slack", 30.0, 10.0)
    assert second["status"] == "binding"


def test_an_allocation_read_from_a_file_has_no_rule_status(tmp_path: pathlib.Path) -> None:
    sc = fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml")
    path = fs.solve(sc).save(tmp_path / "plan.csv")
    with pytest.raises(fs.ArgumentError, match="solve its scenario"):
        fs.read_allocation(path, sc).rule_status()
