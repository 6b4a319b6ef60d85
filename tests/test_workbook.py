"""Scenario workbooks: the template, reading a workbook as a scenario file, the round trip and its safety."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import app
from fundsim.scenario.extends import read_tree
from fundsim.scenario.xlsx import write_workbook

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if p.name != "sources.yaml")
runner = CliRunner()

# the tutorial (scenarios/tutorial.yaml), typed into sheets by hand: header row first
TUTORIAL = {
    "scenario": [["field", "value", "notes"], ["name", "tutorial"], ["absorption.basis", "eu"],
                 ["objective.impact.basis", "eu"], ["objective.impact.weights.default", 1.0]],
    "years": [["year"], [2009], [2010]],
    "pillars": [["id", "name"], ["legal", "Legal migration"], ["irregular", "Return"], ["development", "Development"]],
    "regions": [["id", "name", "group"], ["north_africa", "North Africa", "south"],
                ["eastern_partnership", "Eastern Partnership", "east"]],
    "priorities": [["id", "pillar", "notes"], ["mobility", "legal", "source: [@council-16041-08, §16]"],
                   ["return", "irregular"], ["remittances", "development"]],
    "match_sources": [["id", "name"], ["member_states", "EU member states"]],
    "match_capacity": [["source", "year (or all)", "capacity (EUR m a year)", "notes"],
                       ["member_states", "all", 100, "assumption: generous on purpose"]],
    "instruments": [["id", "max_eu_share (share 0–1)", "match_source", "eligible_priorities"],
                    ["tpma", 0.8, "member_states", None], ["enpi", None, None, "mobility, return"]],
    "envelopes": [["instrument", "year", "envelope (EUR m)"], ["tpma", 2009, 10], ["tpma", 2010, 10],
                  ["enpi", "all", 20]],
    "absorption": [["region", "year", "capacity (EUR m a year)", "notes"],
                   ["north_africa", "all", 25, "assumption: limited administrative capacity"]],
    "rules": [["family", "pillar", "max_share (share 0–1)"], ["pillar_balance", "development", 0.25]],
    "impact_cells": [["priority", "region", "weight (per EUR m)"], ["remittances", "north_africa", 3.0],
                     ["return", "north_africa", 2.0], ["mobility", "eastern_partnership", 1.5]],
}


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def _changed(name: str, row: int, col: int, value: object) -> dict[str, list[list[object]]]:
    sheets = {k: [list(r) for r in v] for k, v in TUTORIAL.items()}
    sheets[name][row][col] = value
    return sheets


def _problems(path: Path) -> list[str]:
    with pytest.raises(fs.ScenarioError) as caught:
        fs.load_scenario(path)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("yaml_file", SHIPPED, ids=lambda p: p.name)
def test_round_trip_keeps_the_meaning_and_the_notes(yaml_file: Path, tmp_path: Path) -> None:
    book = write_workbook(read_tree(yaml_file)[0], tmp_path / "scenario.xlsx")
    before, after = fs.load_scenario(yaml_file), fs.load_scenario(book)
    assert after.digest == before.digest
    assert sorted(after.provenance) == sorted(before.provenance)
    assert len(before.provenance) > 0


def test_a_hand_made_workbook_loads_to_the_tutorials_numbers(tmp_path: Path) -> None:
    sc = fs.load_scenario(_book(tmp_path / "tutorial.xlsx", TUTORIAL))
    assert sc.years == (2009, 2010)
    assert sc.instrument_ids == ("tpma", "enpi")
    assert [list(i.usable) for i in sc.instruments] == [[10, 10], [20, 20]]
    assert ("priorities[0]", "source", "[@council-16041-08, §16]") in sc.provenance
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(130.0)  # the tutorial's hand-worked optimum (scenarios/tutorial.yaml)


def test_a_bad_value_names_sheet_and_cell(tmp_path: Path) -> None:
    path = _book(tmp_path / "bad.xlsx", _changed("instruments", 1, 1, 1.2))
    problems = _problems(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}, sheet instruments, cell B2: instruments[0].cofinancing.max_eu_share: ")
    assert "1.2" in problems[0]
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "sheet instruments, cell B2" in result.output


def test_a_missing_sheet_and_a_missing_column_are_named(tmp_path: Path) -> None:
    sheets = {k: v for k, v in TUTORIAL.items() if k != "pillars"}
    assert any("has no sheet 'pillars'" in p for p in _problems(_book(tmp_path / "a.xlsx", sheets)))
    no_id = _changed("regions", 0, 0, "code")
    problems = _problems(_book(tmp_path / "b.xlsx", no_id))
    assert any("sheet regions, cell A1" in p and "unknown column 'code'" in p for p in problems)
    assert any("sheet regions, cell A1" in p and "no column 'id'" in p for p in problems)


def test_an_unknown_id_names_its_cell(tmp_path: Path) -> None:
    problems = _problems(_book(tmp_path / "id.xlsx", _changed("priorities", 2, 1, "irregullar")))
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'id.xlsx'}, sheet priorities, cell B3: priorities[1].pillar: ")
    assert "irregular" in problems[0]  # the id it may have meant


def test_a_formula_without_a_cached_value_is_refused(tmp_path: Path) -> None:
    problems = _problems(_book(tmp_path / "f.xlsx", _changed("envelopes", 3, 2, "=10+10")))
    assert problems == [f"{tmp_path / 'f.xlsx'}, sheet envelopes, cell C4: (top level): the formula =10+10 has no "
                        "cached value (the file was saved by a program that does not calculate, a script with "
                        "openpyxl for one); open it in Excel or LibreOffice and save it, or write the number"]


def test_the_template_lists_the_ids_of_its_sheets(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    result = runner.invoke(app, ["template", str(path), "--from", str(ROOT / "scenarios" / "tutorial.yaml")])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    assert book.defined_names["pillar_ids"].attr_text == "pillars!$A$2:$A$500"
    assert book.defined_names["instrument_ids"].attr_text == "instruments!$A$2:$A$500"
    lists = {(dv.formula1, str(dv.sqref)) for dv in book["priorities"].data_validations.dataValidation}
    assert ("=pillar_ids", "C2:C500") in lists
    lists = {dv.formula1 for dv in book["envelopes"].data_validations.dataValidation}
    assert "=instrument_ids" in lists
    assert book["instruments"].freeze_panes == "B2"
    assert book["envelopes"]["C1"].value == "envelope (EUR m)"
    assert runner.invoke(app, ["template", str(tmp_path / "empty.xlsx")]).exit_code == 0
    assert runner.invoke(app, ["template", str(path), "--from", str(path)]).exit_code == 2  # never over its input


def test_text_that_looks_like_a_formula_comes_back_verbatim(tmp_path: Path) -> None:
    tree = read_tree(ROOT / "scenarios" / "tutorial.yaml")[0]
    tree["pillars"][0]["name"] = '=HYPERLINK("http://x","y")'
    tree["priorities"][1]["source"] = "=1+2"
    path = write_workbook(tree, tmp_path / "t.xlsx")
    cell = openpyxl.load_workbook(path)["pillars"]["B2"]
    assert cell.data_type == "s"
    assert cell.value == '\'=HYPERLINK("http://x","y")'
    sc = fs.load_scenario(path)
    assert sc.pillars[0].name == '=HYPERLINK("http://x","y")'
    assert ("priorities[1]", "source", "=1+2") in sc.provenance
