"""What the README shows is what fundsim does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_bad_file_example_is_what_validate_prints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's broken.yaml: the tutorial with an unknown field and a misspelt region."""
    text = (ROOT / "scenarios" / "tutorial.yaml").read_text()
    text = text.replace("group: east,", "group: east, colour: blue,")
    text = text.replace("eligibility: {priorities: [mobility, return]}",
                        "eligibility: {priorities: [mobility, return], regions: [north_afrika]}")
    (tmp_path / "broken.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate", "broken.yaml"])
    assert result.exit_code == 2
    block = README.split("$ fundsim validate broken.yaml\n", 1)[1].split("```", 1)[0]
    shown = [line for line in block.splitlines() if line.strip()]
    assert len(shown) == 3
    for line in shown:
        assert line in result.output, line


def test_python_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's Python tour, run as written from a fresh folder holding the scenarios."""
    block = README.split("### In Python (a notebook)\n\n```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "scenarios").mkdir()
    for path in (ROOT / "scenarios").iterdir():
        (tmp_path / "scenarios" / path.name).write_text(path.read_text())
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    alloc = namespace["alloc"]
    assert isinstance(alloc, fs.Allocation)
    assert re.search(r"alloc\.objective\s+# 130\.0", block)
    assert alloc.objective == pytest.approx(130.0)
    assert (tmp_path / "out" / "tutorial.xlsx").is_file()
    assert namespace["run"].sizes["draw"] == 200  # type: ignore[attr-defined]
    assert namespace["stress"]["lost_to_decommitment"].shape == (10_000,)  # type: ignore[index]
    assert list(namespace["study"]["objective"].values) == pytest.approx([110.0, 130.0, 147.5])  # type: ignore[index]
    assert "study[\"objective\"].values                           # [110.0, 130.0, 147.5]" in block
    assert (tmp_path / "out" / "gam-2008-report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_readme_names_the_two_commands() -> None:
    assert "make demo" in README and "make test" in README
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")
