"""``fundsim.sensitivity.assumptions`` and ``fundsim assumptions``: the numbers marked ``assumption:`` ranked by
how far the allocation moves over each one's range, on a variant of the tutorial worked by hand.

The variant: the tutorial without co-financing, match sources and the pillar balance, ENPI eligible for
mobility only. Worth per EUR m: remittances/North Africa 3, return/North Africa 2, mobility/Eastern
Partnership 1.5, the rest 1. TPMA (10 a year, any priority) all goes to remittances in North Africa (3 is the
best worth and North Africa absorbs 25 a year, more than the 10); ENPI (20 a year, mobility only) all goes to
mobility in the Eastern Partnership (1.5 > 1). The optimum is unique: objective 2·(10·3 + 20·1.5) = 120, two
funded cells (remittances/North Africa 20, mobility/Eastern Partnership 40).

Two numbers carry an assumption: ENPI's envelope (every EUR m of it in one known cell) and North Africa's
absorption capacity (slack: 10 a year reach North Africa, below any capacity of 10 or more).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import EXIT_BAD_INPUT, app
from fundsim.errors import ArgumentError
from fundsim.scenario.extends import read_tree
from fundsim.sensitivity.assumption_ranks import marked_numbers

runner = CliRunner()
ENVELOPE = "instruments.enpi.envelope"
CAPACITY = "absorption.capacity.north_africa"


def _variant(tutorial_path: Path, capacity: dict | None = None, **extra: object) -> dict:
    raw = yaml.safe_load(tutorial_path.read_text(encoding="utf-8"))
    del raw["match_sources"], raw["rules"], raw["instruments"][0]["cofinancing"]
    enpi = raw["instruments"][1]
    enpi["eligibility"] = {"priorities": ["mobility"]}
    enpi["envelope"] = {"value": 20, "assumption": "every EUR m of it goes to mobility in the Eastern Partnership"}
    raw["absorption"]["capacity"]["north_africa"] = {"value": 25, "assumption": "slack: TPMA brings 10 a year",
                                                     **(capacity or {})}
    raw.update(copy.deepcopy(extra))
    return raw


def _write(raw: dict, tmp_path: Path, name: str = "variant.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def variant(tutorial_path: Path, tmp_path: Path) -> Path:
    return _write(_variant(tutorial_path), tmp_path)


def test_the_variant_is_the_hand_solution(variant: Path) -> None:
    a = fs.solve(variant)
    assert a.objective == pytest.approx(120.0)
    cells = a.data["total"].sum(("instrument", "year"))
    assert float(cells.sel(priority="remittances", region="north_africa")) == pytest.approx(20.0)
    assert float(cells.sel(priority="mobility", region="eastern_partnership")) == pytest.approx(40.0)
    assert float(cells.sum()) == pytest.approx(60.0)


def test_ranks_distances_and_counts(variant: Path) -> None:
    """ENPI's envelope at 10 and 30 (20 × (1 ± 0.5)): 10 a year less or more for mobility/Eastern Partnership, an
    L1 of 2·10 = 20, one of the two funded cells moved, the objective ∓ 2·10·1.5 = 30. The capacity at 12.5 and
    37.5 stays above the 10 a year TPMA brings: nothing moves."""
    table = fs.sensitivity.assumptions(variant)
    assert table["path"].tolist() == [ENVELOPE, CAPACITY]
    assert table.index.tolist() == [1, 2]
    env, cap = table.iloc[0], table.iloc[1]
    assert (env["value"], env["low"], env["high"]) == (20.0, 10.0, 30.0)
    assert env["l1_low"] == pytest.approx(20.0, abs=1e-6) and env["l1_high"] == pytest.approx(20.0, abs=1e-6)
    assert (env["cells_low"], env["cells_high"]) == (1, 1)
    assert env["cells_share_low"] == pytest.approx(0.5) and env["cells_share_high"] == pytest.approx(0.5)
    assert env["objective_low"] == pytest.approx(-30.0) and env["objective_high"] == pytest.approx(30.0)
    assert (cap["low"], cap["high"]) == (12.5, 37.5)
    assert cap["l1_low"] == pytest.approx(0.0, abs=1e-6) and cap["l1_high"] == pytest.approx(0.0, abs=1e-6)
    assert (cap["cells_low"], cap["cells_high"]) == (0, 0)
    assert cap["objective_low"] == pytest.approx(0.0, abs=1e-9)
    assert set(table[["status_low", "status_high"]].to_numpy().ravel()) == {"optimal"}
    assert table.attrs["funded_cells"] == 2 and table.attrs["objective"] == pytest.approx(120.0)
    assert table.attrs["solves"] == 5
    assert cap["assumption"] == "slack: TPMA brings 10 a year"


def test_a_stated_range_is_used(tutorial_path: Path, tmp_path: Path) -> None:
    """North Africa's capacity over [6, 40]: at 6 a year TPMA funds 6 of remittances in North Africa and puts the
    other 4 into mobility in the Eastern Partnership (1.5, the best it can fund elsewhere): an L1 of 2·(4 + 4) =
    16, both funded cells moved, the objective 2·4·(1.5 - 3) = -12. At 40 nothing moves. ENPI's envelope still
    moves 20 and ranks first."""
    path = _write(_variant(tutorial_path, {"range": [6, 40]}), tmp_path)
    table = fs.sensitivity.assumptions(path, spread=0.5)
    assert table["path"].tolist() == [ENVELOPE, CAPACITY]
    cap = table.iloc[1]
    assert (cap["value"], cap["low"], cap["high"]) == (25.0, 6.0, 40.0)
    assert cap["l1_low"] == pytest.approx(16.0, abs=1e-6) and cap["l1_high"] == pytest.approx(0.0, abs=1e-6)
    assert (cap["cells_low"], cap["cells_share_low"]) == (2, 1.0)
    assert cap["objective_low"] == pytest.approx(-12.0)


def test_a_wider_spread_moves_further(variant: Path) -> None:
    """At spread 0.8 the envelope's ends are 4 and 36: 16 a year less or more, an L1 of 32."""
    env = fs.sensitivity.assumptions(variant, spread=0.8).iloc[0]
    assert (env["low"], env["high"]) == (pytest.approx(4.0), pytest.approx(36.0))
    assert env["l1_low"] == pytest.approx(32.0, abs=1e-6) and env["l1_high"] == pytest.approx(32.0, abs=1e-6)


def test_infeasible_and_refused_ends_are_reported(tutorial_path: Path, tmp_path: Path) -> None:
    """At least 2 for return, assumed over [2, 100]: 100 is more than the 60 of EU money, infeasible. A payment
    profile [0.5, 0.5] under TPMA's assumption moves share by share, the other rescaled so that it sums to 1
    (0.25 and 0.75 at the low end, solved). A payment deadline of n+1 moved to n+0 leaves the profile's second year
    past it: refused by the format."""
    raw = _variant(tutorial_path, rules={"priority_limits": [
        {"priority": "return", "min": {"value": 2, "range": [2, 100], "assumption": "at least a pilot"}}]})
    raw["instruments"][0].update(assumption="spread evenly", payment_profile=[0.5, 0.5],
                                 decommitment_window={"value": 1, "range": [0, 1], "assumption": "n+1"})
    table = fs.sensitivity.assumptions(_write(raw, tmp_path)).set_index("path")
    limit = table.loc["rules.priority_limits.return.min"]
    assert (limit["status_low"], limit["status_high"]) == ("unchanged", "infeasible")
    assert np.isnan(limit["l1_high"]) and np.isnan(limit["objective_high"])
    # a profile's share moves with the others rescaled, so the profile still sums to 1: 0.25/0.75 and 0.75/0.25
    profile = table.loc["instruments.tpma.payment_profile[0]"]
    assert (profile["status_low"], profile["status_high"]) == ("optimal", "optimal")
    window = table.loc["instruments.tpma.decommitment_window"]
    assert (window["status_low"], window["status_high"]) == ("refused", "unchanged")
    # no end that moved and was solved: ranked last
    assert set(table.index[-2:]) == {"instruments.tpma.decommitment_window", "rules.priority_limits.return.min"}
    assert "instruments.tpma.envelope.2009" in table.index  # TPMA's assumption covers its plain envelope


def test_block_assumptions_cover_numbers_without_a_source_of_their_own() -> None:
    tree = {"instruments": [{"id": "f", "assumption": "guessed", "envelope": {"value": 30, "source": "a budget"},
                             "usable_share": 0.8, "budget": {"deadline": {"years": 3, "source": "the rule"},
                                                             "opening": {"commitments": {2008: 4}}},
                             "cofinancing": {"max_eu_share": 0.9}}],
            "rules": {"caps": [{"id": "c", "years": [2009], "max": 6, "source": "a plan"},
                               {"id": "d", "max": {"value": 5, "source": "x", "assumption": "read as 5"}}]},
            "absorption": {"capacity": {"south": {"value": 4, "assumption": "small", "range": [1, 9]}}},
            "years": [2009], "uncertainty": {"assumption": "none", "parameters": [{"id": "p", "low": 1}]}}
    found = {m.name: (m.low, m.high, m.assumption) for m in marked_numbers(tree, 0.5)}
    assert found == {"instruments.f.usable_share": (0.4, 1.0, "guessed"),  # a share's high end stays at 1
                     "instruments.f.budget.opening.commitments.2008": (2.0, 6.0, "guessed"),
                     "instruments.f.cofinancing.max_eu_share": (0.45, 1.0, "guessed"),
                     "rules.caps.d.max": (2.5, 7.5, "read as 5"),
                     "absorption.capacity.south": (1.0, 9.0, "small")}
    deadline = {"instruments": [{"id": "f", "budget": {"deadline": {"years": 3, "assumption": "n+3"}}}]}
    assert [(m.low, m.high) for m in marked_numbers(deadline, 0.5)] == [(2.0, 4.0)]  # whole numbers inside [1.5, 4.5]


def test_a_bad_range_is_refused_where_it_is(tutorial_path: Path, tmp_path: Path) -> None:
    path = _write(_variant(tutorial_path, {"range": [30, 40]}), tmp_path)
    with pytest.raises(fs.ScenarioError) as info:
        fs.load_scenario(path)
    (problem,) = info.value.problems
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "range:" in text)
    assert f"variant.yaml:{line}" in str(problem)
    assert "absorption.capacity.north_africa.range" in str(problem)
    assert "the range [30, 40] does not hold the value 25" in str(problem)
    bad = _write(_variant(tutorial_path, {"range": [10]}), tmp_path, "short.yaml")
    with pytest.raises(fs.ScenarioError, match=r"a range is two finite numbers \[low, high\], got \[10\]"):
        fs.load_scenario(bad)


def test_arguments_are_checked(variant: Path) -> None:
    with pytest.raises(ArgumentError, match="spread must be between 0 and 1"):
        fs.sensitivity.assumptions(variant, spread=1.5)
    with pytest.raises(TypeError, match="spread: got the str"):
        fs.sensitivity.assumptions(variant, spread="half")
    changed = fs.load_scenario(variant).evolve(name="changed")
    with pytest.raises(ArgumentError, match="changed copy"):
        fs.sensitivity.assumptions(changed)


def test_the_marks_come_from_the_file_through_extends(variant: Path, tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text("extends: variant.yaml\nname: child\n", encoding="utf-8")
    assert [m.name for m in marked_numbers(read_tree(child)[0])] == [ENVELOPE, CAPACITY]
    assert fs.sensitivity.assumptions(child)["path"].tolist() == [ENVELOPE, CAPACITY]


def test_cli_prints_the_table_and_writes_it(variant: Path, tmp_path: Path) -> None:
    out = tmp_path / "table.csv"
    result = runner.invoke(app, ["assumptions", str(variant), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    first = next(line for line in lines if ENVELOPE in line)
    assert "20.00" in first and "1 (50.0 %)" in first and "-30.00" in first
    assert "2 numbers marked assumption" in result.output and "of the 2 funded" in result.output
    assert lines.index(first) < next(n for n, line in enumerate(lines) if CAPACITY in line)
    import pandas as pd

    table = pd.read_csv(out)
    assert table["path"].tolist() == [ENVELOPE, CAPACITY] and table["rank"].tolist() == [1, 2]
    top = runner.invoke(app, ["assumptions", str(variant), "--top", "1"])
    assert top.exit_code == 0 and ENVELOPE in top.output and CAPACITY not in top.output


def test_cli_bad_input_exits_2(tutorial_path: Path, variant: Path, tmp_path: Path) -> None:
    bad = _write(_variant(tutorial_path, {"range": [30, 40]}), tmp_path, "bad.yaml")
    result = runner.invoke(app, ["assumptions", str(bad)])
    assert result.exit_code == EXIT_BAD_INPUT and "does not hold the value 25" in result.output
    spread = runner.invoke(app, ["assumptions", str(variant), "--spread", "2"])
    assert spread.exit_code == EXIT_BAD_INPUT and "spread must be between 0 and 1" in spread.output
    wrong = runner.invoke(app, ["assumptions", str(variant), "--out", str(tmp_path / "t.xlsx")])
    assert wrong.exit_code == EXIT_BAD_INPUT and not (tmp_path / "t.xlsx").exists()


def test_only_ranks_the_numbers_under_the_given_paths(tutorial_path: Path) -> None:
    table = fs.sensitivity.assumptions(tutorial_path, only="absorption")
    assert table["path"].tolist() == ["absorption.capacity.north_africa"]
    with pytest.raises(fs.ArgumentError if hasattr(fs, "ArgumentError") else ValueError, match="no number marked"):
        fs.sensitivity.assumptions(tutorial_path, only=["objective"])


def test_a_conditions_first_year_moves_two_years_either_way(tutorial_path: Path, tmp_path: Path) -> None:
    """Mobility in the East allowed from 2010 (127.5, tests/test_conditions.py): from 2008 the condition is met
    before the plan (130, +2.5), from 2012 never within it (125, -2.5)."""
    raw = yaml.safe_load(tutorial_path.read_text(encoding="utf-8"))
    raw["rules"]["conditions"] = [{"id": "readmission", "pillars": ["legal"], "met_from": {"eastern_partnership": 2010},
                                   "assumption": "readmission in force from 2010"}]
    row = fs.sensitivity.assumptions(_write(raw, tmp_path), only="rules.conditions").iloc[0]
    assert (row["low"], row["high"]) == (2008.0, 2012.0)
    assert (row["status_low"], row["status_high"]) == ("optimal", "optimal")
    assert (row["objective_low"], row["objective_high"]) == (pytest.approx(2.5), pytest.approx(-2.5))
