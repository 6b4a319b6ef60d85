"""Edges of the scenario format: empty selectors, repeated rules, and what ``extends:`` replaces."""

from __future__ import annotations

from pathlib import Path

import pytest

import fundsim as fs

ROOT = Path(__file__).resolve().parents[1]


def _problems(path: Path) -> list[fs.Problem]:
    with pytest.raises(fs.ScenarioError) as info:
        fs.load_scenario(path)
    return list(info.value.problems)


def test_an_empty_eligibility_list_means_nowhere() -> None:
    spec = fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml").spec
    spec["instruments"][0]["eligibility"] = {"regions": []}
    sc = fs.scenario_from_dict(spec)
    assert sc.eligible[0].sum() == 0
    assert sc.eligible[1].sum() > 0  # enpi untouched
    del spec["instruments"][0]["eligibility"]
    assert fs.scenario_from_dict(spec).eligible[0].all()  # left out: everywhere


RULES = """
rules:
  caps:
    - {id: c, regions: [north_africa], max: 5}
    - {id: c, regions: [eastern_partnership], max: 6}
  geographic_focus:
    - {region_groups: [south], min_share: 0.1}
    - {region_groups: [east], min_share: 0.1}
  pillar_balance:
    - {pillar: legal, min_share: 0.1}
    - {pillar: legal, max_share: 0.5}
  region_limits:
    - {region: north_africa, min: 30}
    - {region: north_africa, max: 10}
"""


def test_repeated_rules_and_contradictory_limits(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "tutorial.yaml").read_text()
    text = text[: text.index("rules:")] + RULES + text[text.index("objective:"):]
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    lines = text.splitlines()

    def line(fragment: str) -> int:
        return next(n for n, t in enumerate(lines, 1) if fragment in t)

    got = {(p.line, p.path): p.message for p in _problems(path)}
    assert got[(line("{id: c, regions: [eastern"), "rules.caps[1].id")] == (
        "the cap id 'c' is given twice (first at rules.caps[0]); give each cap its own id")
    assert "the focus rule id 'focus' is given twice" in got[(line("region_groups: [east]"),
                                                              "rules.geographic_focus[1].id")]
    assert "put the min_share and max_share of a pillar in one entry" in got[(line("pillar: legal, max"),
                                                                             "rules.pillar_balance[1].pillar")]
    assert got[(line("min: 30"), "rules.region_limits[0].min")] == (
        "the limits for 'north_africa' contradict each other: min 30 here, max 10 at rules.region_limits[1]")
    assert len(got) == 4


def test_two_compatible_limits_for_one_region_both_hold() -> None:
    spec = fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml").spec
    spec["rules"]["region_limits"] = [{"region": "north_africa", "min": 5}, {"region": "north_africa", "max": 40}]
    (limit,) = fs.scenario_from_dict(spec).rules.region_limits
    assert (limit.min, limit.max) == (5, 40)


BASE = """
name: base
years: [2009, 2010]
pillars: [{id: q}]
regions: [{id: a, group: south}, {id: b, group: east}]
priorities: [{id: p, pillar: q}]
instruments:
  - id: fund
    envelope: {total: 30, profile: {2009: 0.5, 2010: 0.5}}
    usable_share: 0.5
    eligibility: {regions: [a]}
rules:
  caps: [{id: c1, regions: [a], max: 5}]
  region_limits: [{region: b, max: 3}]
"""


def test_extends_replaces_other_shapes_whole_and_null_removes(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "child.yaml").write_text("""
extends: base.yaml
name: child
instruments:
  - id: fund
    envelope: {2009: 10, 2010: 20}
    usable_amount: 4
    eligibility: {priorities: [p]}
rules:
  caps: []
  region_limits: null
""")
    with pytest.warns(fs.FundsimWarning, match="rules.region_limits: null removes"):
        sc = fs.load_scenario(tmp_path / "child.yaml")
    (fund,) = sc.instruments
    assert fund.envelope.tolist() == [10.0, 20.0]  # a year map replaces the {total, profile}
    assert fund.usable.tolist() == [4.0, 4.0]  # usable_amount replaces usable_share
    assert fund.regions == {"a"}  # eligibility merges key by key: the base's regions stay
    assert sc.rules.caps == ()  # an empty list clears the base's caps
    assert sc.rules.region_limits == ()  # null removes the key


def test_extends_merges_entries_by_id(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "child.yaml").write_text("""
extends: base.yaml
instruments:
  - {id: fund, usable_share: 1.0}
  - {id: other, envelope: 5}
""")
    sc = fs.load_scenario(tmp_path / "child.yaml")
    assert sc.name == "base"
    assert sc.instrument_ids == ("fund", "other")
    assert sc.instruments[0].usable.tolist() == [15.0, 15.0]
    assert sc.instruments[0].regions == {"a"}  # untouched fields stay
