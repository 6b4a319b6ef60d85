"""The HTML report: parsed back, every section, table and embedded figure is there; the CLI's errors."""

from __future__ import annotations

import base64
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import EXIT_BAD_INPUT, app
from fundsim.comparison import read_allocation
from fundsim.montecarlo import Evaluation, Storage
from fundsim.reporting import report

GAM = "scenarios/gam-2008.yaml"
AS_PROGRAMMED = "scenarios/gam-2008-as-programmed.csv"
PNG = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Sections, figures (with their decoded images), tables and captions of a report."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.figures: dict[str, bytes] = {}
        self.tables = 0
        self.captions: list[str] = []
        self.links: list[str] = []
        self._figure: str | None = None
        self._caption = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append(str(a["id"]))
        elif tag == "figure":
            self._figure = a.get("id")
        elif tag == "img" and self._figure:
            src = str(a["src"])
            assert src.startswith("data:image/png;base64,"), src[:40]
            self.figures[self._figure] = base64.b64decode(src.split(",", 1)[1])
        elif tag == "table":
            self.tables += 1
        elif tag == "figcaption":
            self._caption = True
        elif tag in ("link", "script") or (tag == "img" and not str(a.get("src", "")).startswith("data:")):
            self.links.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._figure = None
        elif tag == "figcaption":
            self._caption = False

    def handle_data(self, data: str) -> None:
        if self._caption and data.strip():
            self.captions.append(data.strip())


@pytest.fixture(scope="module")
def gam() -> fs.Scenario:
    return fs.load_scenario(GAM)


@pytest.fixture(scope="module")
def full_page(gam: fs.Scenario) -> Page:
    sc_mc = fs.load_scenario("scenarios/gam-2008-uncertain.yaml")
    run = fs.simulate(sc_mc, draws=8, seed=1, evaluation=Evaluation(executor="sequential"))
    return Page(report(gam, compare=[read_allocation(AS_PROGRAMMED, gam)], simulation=run))


def test_every_section_and_figure_is_there(full_page: Page) -> None:
    assert full_page.sections == ["scenario", "allocation", "ledger", "binding-rules", "comparison", "monte-carlo"]
    expected = {"fig-allocation-pillar", "fig-allocation-group", "fig-allocation-flow", "fig-shadow-prices",
                "fig-comparison-pillar", "fig-comparison-group", "fig-difference-1", "fig-mc-distribution",
                "fig-mc-fan", "fig-mc-binding", "fig-mc-shadow"}
    assert expected <= set(full_page.figures), expected - set(full_page.figures)
    for name, png in full_page.figures.items():
        assert png.startswith(PNG) and len(png) > 5_000, name  # a real picture, not an empty canvas
    assert full_page.tables >= 15


def test_the_page_is_self_contained(full_page: Page) -> None:
    assert full_page.links == []  # no stylesheet, script or image fetched from elsewhere


def test_tables_are_captioned_in_domain_words(full_page: Page) -> None:
    text = " ".join(full_page.captions)
    for phrase in ("By pillar", "By region group", "binding rules", "Objective and gap to the optimum", "Metrics",
                   "Rules each allocation breaks", "Why the optimum scores", "Outputs over the draws",
                   "How often each rule binds", "Probability of meeting each target"):
        assert phrase in text, phrase


def test_sections_for_comparison_and_simulation_only_when_given(gam: fs.Scenario, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "r.html"
    page = Page(report(gam, out=path))
    assert page.sections == ["scenario", "allocation", "ledger", "binding-rules"]
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_cli_writes_the_report(tmp_path: Path) -> None:
    sc = fs.load_scenario("scenarios/tutorial-uncertain.yaml")
    run_path = tmp_path / "run.zarr"
    fs.simulate(sc, draws=6, seed=2, evaluation=Evaluation(executor="sequential"), storage=Storage(run_path))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "scenarios/tutorial-uncertain.yaml", "--out", str(out),
                                      "--simulation", str(run_path)])
    assert result.exit_code == 0, result.output
    page = Page(out.read_text(encoding="utf-8"))
    assert page.sections == ["scenario", "allocation", "ledger", "binding-rules", "monte-carlo"]


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "r.pdf"], "use an .html file"),
    (["--out", "r.html", "--compare", "nowhere.csv"], "nowhere.csv: no such file"),
    (["--out", "r.html", "--simulation", "tests/test_report.py"], "a Monte Carlo run is a .zarr store or a .nc"),
])
def test_report_errors_exit_2(args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = [str(tmp_path / a) if a.startswith(("r.", "nowhere")) else a for a in args]
    result = CliRunner().invoke(app, ["report", GAM, *args])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert message in result.output.replace("\n", " ")


def test_a_malformed_allocation_file_exits_2_with_the_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("instrument,priority,region,year,amount\ntpmaa,legal_migration,north_africa,2010,5\n")
    result = CliRunner().invoke(app, ["report", GAM, "--out", str(tmp_path / "r.html"), "--compare", str(bad)])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "tpmaa" in result.output and "tpma" in result.output
