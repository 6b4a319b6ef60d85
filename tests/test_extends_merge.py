"""``extends:`` merges a variant into its base by the documented rules (docs/scenario-format.md, ``extends:``).

Each test writes a small base and an overlay, loads the overlay and compares the scenario's numbers with
values written out by hand: mappings merge key by key at every depth, a base number stands for every year
(region), another shape replaces the value whole, lists are replaced whole except lists of entries with ids,
and ``null`` deletes a key with a warning.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fundsim as fs

ROOT = Path(__file__).resolve().parents[1]
INF = np.inf

BASE = """
name: base
years: [2011, 2012, 2013]
pillars: [{id: q}]
regions: [{id: a, group: south}, {id: b, group: east}, {id: c, group: east}]
priorities: [{id: p, pillar: q}, {id: r, pillar: q}]
match_sources:
  - {id: partners, per_region: true, capacity: {a: 8, b: {2011: 9, 2012: 9, 2013: 9}, c: 7}}
  - {id: states, capacity: 5}
instruments:
  - id: fund
    envelope: {2011: 10, 2012: 20, 2013: 30}
    usable_share: 0.5
    eligibility: {region_groups: [east], priorities: [p]}
    cofinancing: {max_eu_share: 0.8, match_source: partners}
  - id: flat
    envelope: {value: 20, source: "budget line 19 02"}
    usable_amount: {2011: 4, 2012: 4, 2013: 4}
    payment_profile: [0.5, 0.5]
absorption:
  default: 50
  capacity: {a: 10, b: {2011: 5, 2012: 6, 2013: 7}, c: 3}
rules:
  region_limits: [{region: a, max: 30}, {region: b, min: 1}]
  caps: [{id: c1, regions: [a], max: 5}]
"""


def load(tmp_path: Path, overlay: str, base: str = BASE, suffix: str = ".yaml") -> fs.Scenario:
    (tmp_path / "base.yaml").write_text(base, encoding="utf-8")
    path = tmp_path / f"variant{suffix}"
    head = 'extends = "base.yaml"\n' if suffix == ".toml" else "extends: base.yaml\n"
    path.write_text(head + overlay, encoding="utf-8")
    return fs.load_scenario(path)


def instrument(sc: fs.Scenario, iid: str) -> fs.model.Instrument:
    return sc.instruments[sc.instrument_ids.index(iid)]


def absorption(sc: fs.Scenario) -> dict[str, list[float]]:
    return {r: sc.absorption.capacity[n].tolist() for n, r in enumerate(sc.region_ids)}


def test_the_base_reads_as_written(tmp_path: Path) -> None:
    sc = load(tmp_path, "name: same\n")
    assert instrument(sc, "fund").envelope.tolist() == [10, 20, 30]
    assert instrument(sc, "flat").envelope.tolist() == [20, 20, 20]
    assert absorption(sc) == {"a": [10, 10, 10], "b": [5, 6, 7], "c": [3, 3, 3]}
    assert sc.match_sources[0].capacity.tolist() == [[8, 8, 8], [9, 9, 9], [7, 7, 7]]


# ---- mappings merge key by key at every depth -------------------------------------------------------------
def test_one_year_of_a_year_map_changes_that_year_only(tmp_path: Path) -> None:
    sc = load(tmp_path, "instruments:\n  - {id: fund, envelope: {2013: 40}}\n")
    assert instrument(sc, "fund").envelope.tolist() == [10, 20, 40]
    assert instrument(sc, "fund").usable.tolist() == [5, 10, 20]  # the usable share stays


def test_a_base_number_stands_for_every_year(tmp_path: Path) -> None:
    sc = load(tmp_path, "instruments:\n  - {id: flat, envelope: {2013: 40}}\n")
    assert instrument(sc, "flat").envelope.tolist() == [20, 20, 40]
    assert ("instruments[1].envelope[2011]", "source", "budget line 19 02") in sc.provenance  # the note stays


def test_one_region_of_the_absorption_capacity_changes_that_region_only(tmp_path: Path) -> None:
    sc = load(tmp_path, "absorption:\n  capacity: {b: {2013: 1}, a: {2012: 2}}\n")
    assert absorption(sc) == {"a": [10, 2, 10], "b": [5, 6, 1], "c": [3, 3, 3]}


def test_one_region_of_a_partner_capacity_changes_that_region_only(tmp_path: Path) -> None:
    sc = load(tmp_path, "match_sources:\n  - {id: partners, capacity: {c: {2011: 1}}}\n")
    assert sc.match_sources[0].capacity.tolist() == [[8, 8, 8], [9, 9, 9], [1, 7, 7]]
    assert sc.match_sources[1].capacity.tolist() == [5, 5, 5]


def test_a_base_number_stands_for_every_region_of_a_partner_capacity(tmp_path: Path) -> None:
    base = BASE.replace("capacity: {a: 8, b: {2011: 9, 2012: 9, 2013: 9}, c: 7}", "capacity: 6")
    sc = load(tmp_path, "match_sources:\n  - {id: partners, capacity: {b: {2012: 2}}}\n", base)
    assert sc.match_sources[0].capacity.tolist() == [[6, 6, 6], [6, 2, 6], [6, 6, 6]]


def test_a_toml_overlay_names_years_as_text(tmp_path: Path) -> None:
    sc = load(tmp_path, '[[instruments]]\nid = "fund"\nenvelope = {"2012" = 25}\n', suffix=".toml")
    assert instrument(sc, "fund").envelope.tolist() == [10, 25, 30]


def test_an_empty_mapping_changes_nothing(tmp_path: Path) -> None:
    sc = load(tmp_path, "absorption: {capacity: {}}\ninstruments:\n  - {id: fund, eligibility: {}}\n")
    assert absorption(sc) == {"a": [10, 10, 10], "b": [5, 6, 7], "c": [3, 3, 3]}
    assert instrument(sc, "fund").regions == {"b", "c"}


# ---- another shape replaces the value whole -----------------------------------------------------------
def test_a_total_and_profile_replaces_a_year_map(tmp_path: Path) -> None:
    sc = load(tmp_path, "instruments:\n  - {id: fund, envelope: {total: 100, profile: {2011: 0.2, 2013: 0.8}}}\n")
    assert instrument(sc, "fund").envelope.tolist() == [20, 0, 80]


def test_a_total_and_profile_merges_key_by_key(tmp_path: Path) -> None:
    base = BASE.replace("{2011: 10, 2012: 20, 2013: 30}", "{total: 60, profile: {2011: 0.5, 2012: 0.25, 2013: 0.25}}")
    sc = load(tmp_path, "instruments:\n  - {id: fund, envelope: {total: 100}}\n", base)
    assert instrument(sc, "fund").envelope.tolist() == [50, 25, 25]


def test_a_number_replaces_a_year_map(tmp_path: Path) -> None:
    sc = load(tmp_path, "instruments:\n  - {id: fund, envelope: 12}\nabsorption: {capacity: {b: 4}}\n")
    assert instrument(sc, "fund").envelope.tolist() == [12, 12, 12]
    assert absorption(sc)["b"] == [4, 4, 4]


def test_a_mapping_that_names_no_years_replaces_a_number(tmp_path: Path) -> None:
    base = BASE + "  min_commitment: 0.5\n"
    sc = load(tmp_path, "rules:\n  min_commitment: {amount: 1, by_instrument: {fund: 2}}\n", base)
    assert sc.rules.min_commitment.minimum(sc.instrument_ids).tolist() == [2.0, 1.0]


def test_a_usable_share_replaces_a_usable_amount(tmp_path: Path) -> None:
    sc = load(tmp_path, "instruments:\n  - {id: flat, usable_share: 0.25}\n  - {id: fund, usable_amount: 3}\n")
    assert instrument(sc, "flat").usable.tolist() == [5, 5, 5]
    assert instrument(sc, "fund").usable.tolist() == [3, 3, 3]


def test_regions_replace_region_groups_in_a_selector(tmp_path: Path) -> None:
    sc = load(tmp_path, "instruments:\n  - {id: fund, eligibility: {regions: [a]}}\n")
    fund = instrument(sc, "fund")
    assert fund.regions == {"a"}  # not the union with the base's east group
    assert fund.priorities == {"p"}  # the other dimension stays


def test_a_distribution_of_another_kind_replaces_the_base_one(tmp_path: Path) -> None:
    base = BASE + """uncertainty:
  parameters:
    - {id: u, path: absorption.capacity, distribution: {kind: normal, mean: 1, sd: 0.1, low: 0.5, high: 1.5}}
"""
    same = load(tmp_path, "uncertainty:\n  parameters:\n    - {id: u, distribution: {sd: 0.2}}\n", base)
    d = same.uncertainty.parameters[0].distribution
    assert (d.kind, d.mean, d.sd, d.low, d.high) == ("normal", 1, 0.2, 0.5, 1.5)
    other = load(tmp_path, "uncertainty:\n  parameters:\n    - {id: u, distribution: {kind: uniform, low: 0.8, "
                           "high: 1.2}}\n", base)
    d = other.uncertainty.parameters[0].distribution
    assert (d.kind, d.low, d.high, d.mean, d.sd) == ("uniform", 0.8, 1.2, None, None)


# ---- lists ------------------------------------------------------------------------------------------------
def test_a_list_without_ids_is_replaced_whole(tmp_path: Path) -> None:
    sc = load(tmp_path, "instruments:\n  - {id: flat, payment_profile: [1.0]}\n"
                        "rules:\n  region_limits: [{region: c, max: 2}]\n")
    assert instrument(sc, "flat").payment_profile == (1.0,)
    assert [(x.label, x.min, x.max) for x in sc.rules.region_limits] == [("c", None, 2)]


def test_a_list_with_ids_merges_by_id(tmp_path: Path) -> None:
    sc = load(tmp_path, "rules:\n  caps: [{id: c1, max: 7}, {id: c2, regions: [b], max: 1}]\n"
                        "regions:\n  - {id: d, group: south}\n")
    assert [(c.id, c.max) for c in sc.rules.caps] == [("c1", 7), ("c2", 1)]
    assert sc.region_ids == ("a", "b", "c", "d")
    assert absorption(sc)["d"] == [50, 50, 50]  # the default capacity


# ---- null ---------------------------------------------------------------------------------------------
def test_null_removes_a_limit_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(fs.FundsimWarning, match=r"variant.yaml:4: absorption.capacity.a: null removes the base's "
                                               r"value 10; what it set no longer holds"):
        sc = load(tmp_path, "absorption:\n  capacity:\n    a: null\n")
    assert absorption(sc) == {"a": [50, 50, 50], "b": [5, 6, 7], "c": [3, 3, 3]}  # a falls to the default


def test_null_removes_one_year_and_one_rule(tmp_path: Path) -> None:
    with pytest.warns(fs.FundsimWarning) as caught:
        sc = load(tmp_path, "instruments:\n  - {id: flat, envelope: {2012: null}}\n"
                            "rules: {caps: null}\n")
    assert instrument(sc, "flat").envelope.tolist() == [20, 0, 20]  # a year left out of an envelope: 0
    assert sc.rules.caps == ()
    assert [str(w.message).split(": ")[1] for w in caught] == ["instruments[1].envelope[2012]", "rules.caps"]


def test_null_of_what_is_no_rule_or_of_an_absent_key_says_nothing(tmp_path: Path) -> None:
    base = BASE + "objective: {impact: {weight: 2}, leverage: {weight: 1}}\n"
    sc = load(tmp_path, "description: null\ninstruments:\n  - {id: flat, eligibility: null, source: null}\n"
                        "objective: {impact: null}\n", base)
    assert sc.description == "" and sc.objective.impact is None and sc.objective.leverage is not None


# ---- where problems are reported --------------------------------------------------------------------
def test_a_problem_in_a_merged_year_names_the_overlay_line(tmp_path: Path) -> None:
    with pytest.raises(fs.ScenarioError) as info:
        load(tmp_path, "instruments:\n  - id: fund\n    envelope: {2013: -1}\n")
    (p,) = info.value.problems
    assert (Path(p.file).name, p.line, p.path) == ("variant.yaml", 4, "instruments[0].envelope[2013]")


def test_a_problem_in_a_kept_base_year_names_the_base_line(tmp_path: Path) -> None:
    base = BASE.replace("{2011: 10, 2012: 20, 2013: 30}", "{2011: 10, 2012: -20, 2013: 30}")
    with pytest.raises(fs.ScenarioError) as info:
        load(tmp_path, "instruments:\n  - {id: fund, envelope: {2013: 40}}\n", base)
    (p,) = info.value.problems
    assert (Path(p.file).name, p.path) == ("base.yaml", "instruments[0].envelope[2012]")
    assert p.line == BASE.splitlines().index("    envelope: {2011: 10, 2012: 20, 2013: 30}") + 1


# ---- the shipped variants ---------------------------------------------------------------------------
@pytest.mark.parametrize(("variant", "base"), [("gam-2008-coherent", "gam-2008"),
                                              ("gam-2008-uncertain", "gam-2008-impact-curves"),
                                              ("tutorial-uncertain", "tutorial")])
def test_shipped_variants_are_their_base_plus_what_they_add(variant: str, base: str) -> None:
    """A shipped variant adds sections (or keys of ``rules``) and changes entries by id: its data is its base's
    with those put in, computed here from PyYAML's own reading of both files (mappings merged key by key, a list
    of entries with ids merged entry by entry, anything else replaced); nothing of the base is lost."""
    import yaml

    from fundsim.scenario.extends import read_tree

    def plain(name: str) -> dict:
        return yaml.safe_load((ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8"))

    def merged(old: object, new: object) -> object:
        if isinstance(old, dict) and isinstance(new, dict):
            return {**old, **{k: merged(old.get(k), v) for k, v in new.items()}}
        if isinstance(old, list) and isinstance(new, list) and all(isinstance(e, dict) and "id" in e for e in new):
            changes = {e["id"]: e for e in new}
            kept = [merged(e, changes.pop(e["id"])) if e.get("id") in changes else e for e in old]
            return kept + list(changes.values())
        return new

    overlay, expected = plain(variant), plain(base)
    if "extends" in expected:  # a base that is itself a variant: its own merge is tested on its own line
        expected = read_tree(ROOT / "scenarios" / f"{base}.yaml")[0]
    del overlay["extends"]
    assert read_tree(ROOT / "scenarios" / f"{variant}.yaml")[0] == merged(expected, overlay)
