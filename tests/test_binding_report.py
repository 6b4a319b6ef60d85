"""The report's binding table counts the optimal draws only: on a run where a quarter of the draws is
infeasible, a rule binding in every optimal draw reads 100 % (not 75 %), with the infeasible quarter beside it."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np

import fundsim as fs
from fundsim.montecarlo import Evaluation
from fundsim.reporting.sections import simulation_section

UNCERTAIN = Path(__file__).resolve().parents[1] / "scenarios" / "tutorial-uncertain.yaml"


class Tables(HTMLParser):
    """Each table of an HTML fragment by its caption: its header and its rows of cell texts."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption = ""
        self._rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figcaption":
            self._caption = ""
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self.tables[self._caption.strip()] = self._rows
            self._rows = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        else:
            self._caption += data


def test_the_report_counts_binding_among_the_optimal_draws(tmp_path: Path) -> None:
    path = tmp_path / "tight.yaml"
    path.write_text(f"extends: {UNCERTAIN}\nname: tight\nrules:\n  region_limits:\n"
                    "    - {region: north_africa, min: 45}\n", encoding="utf-8")
    run = fs.simulate(fs.load_scenario(path), draws=60, seed=3, evaluation=Evaluation(chunk_size=16))
    infeasible = float(np.mean(run["status"].values != "optimal"))
    assert infeasible == 0.25  # 15 of the 60 draws cannot give North Africa its 45
    tables = Tables("".join(simulation_section(run).parts)).tables
    (caption,) = [c for c in tables if c.startswith("How often each rule binds among the optimal draws")]
    header, *rows = tables[caption]
    column = {name: header.index(name) for name in ("rule", "where", "binds_in", "infeasible_share")}
    envelope = [r for r in rows if r[column["rule"]] == "envelope"]
    assert len(envelope) == 4  # two instruments × two years, spent in every optimal draw
    assert {r[column["binds_in"]] for r in envelope} == {"100.0 %"}
    assert {r[column["infeasible_share"]] for r in rows} == {"25.0 %"}
