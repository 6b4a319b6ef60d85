"""One self-contained HTML page: sections of headings, tables and figures, the figures embedded as PNG.

Nothing is fetched when the page is opened: styles are inline and each figure is a ``data:`` URI, so the
file can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fundsim.formats import Kind, format_frame

__all__ = ["Figure", "Section", "figure_html", "page", "render", "table_html"]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #345; padding-bottom: .2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
th { background: #f2f4f7; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0 2em; }
figcaption { font-size: .9em; color: #555; }
.meta td { text-align: left; }
nav ul { columns: 2; }
"""


@dataclass(frozen=True)
class Figure:
    """A matplotlib figure's PNG, with an id (for links and tests) and a caption.

    Examples
    --------
    >>> fig = Figure("fig-objective", "Distribution of the objective", b"PNG bytes")
    >>> fig.id, fig.caption
    ('fig-objective', 'Distribution of the objective')
    """

    id: str
    caption: str
    png: bytes


@dataclass
class Section:
    """A titled part of the page: ``parts`` are HTML fragments in order.

    Examples
    --------
    >>> import pandas as pd
    >>> section = Section("notes", "Notes")
    >>> section.text("a < b")
    >>> section.table(pd.DataFrame({"eu": [20.0]}, index=["tpma"]), "EU money")
    >>> len(section.parts), section.html().splitlines()[:2]
    (2, ['<section id="notes"><h2>Notes</h2>', '<p>a &lt; b</p>'])
    """

    id: str
    title: str
    parts: list[str] = field(default_factory=list)

    def text(self, paragraph: str) -> None:
        self.parts.append(f"<p>{html.escape(paragraph)}</p>")

    def heading(self, title: str) -> None:
        self.parts.append(f"<h3>{html.escape(title)}</h3>")

    def table(self, frame: pd.DataFrame, caption: str, *, index: bool = True,
              kinds: Kind | Mapping[Any, Kind] | None = None, decimals: Mapping[Any, int] | None = None) -> None:
        self.parts.append(table_html(frame, caption, index=index, kinds=kinds, decimals=decimals))

    def figure(self, fig: Figure) -> None:
        self.parts.append(figure_html(fig))

    def html(self) -> str:
        return f'<section id="{self.id}"><h2>{html.escape(self.title)}</h2>\n' + "\n".join(self.parts) + "</section>"


def render(fig_id: str, caption: str, draw: Any) -> Figure:
    """Call ``draw(ax)`` on a fresh Axes (or ``draw()`` returning Axes) and keep the PNG; the figure is
    closed so that long reports do not pile up open figures.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig = render("fig-empty", "An empty figure", lambda: plt.subplots(figsize=(2, 1))[1])
    >>> fig.id, fig.png[1:4]
    ('fig-empty', b'PNG')
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    ax = draw()
    fig = ax.figure if hasattr(ax, "figure") else ax
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return Figure(fig_id, caption, buffer.getvalue())


def figure_html(fig: Figure) -> str:
    """A figure as an HTML ``<figure>``: its PNG embedded as a ``data:`` URI, its caption escaped.

    Examples
    --------
    >>> print(figure_html(Figure("fig-x", "EU money <by pillar>", b"PNG")).replace("><", ">\\n<"))
    <figure id="fig-x">
    <img alt="EU money &lt;by pillar&gt;" src="data:image/png;base64,UE5H">
    <figcaption>EU money &lt;by pillar&gt;</figcaption>
    </figure>
    """
    data = base64.b64encode(fig.png).decode("ascii")
    caption = html.escape(fig.caption)
    return (f'<figure id="{fig.id}"><img alt="{caption}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption}</figcaption></figure>")


def table_html(frame: pd.DataFrame, caption: str, *, index: bool = True,
               kinds: Kind | Mapping[Any, Kind] | None = None, decimals: Mapping[Any, int] | None = None) -> str:
    """A DataFrame as an HTML table under its caption (a sentence when the table is empty), its numbers by
    fundsim's number policy (:func:`fundsim.formats.format_frame`, given ``kinds`` and ``decimals`` of some
    columns) and its labels escaped.

    Examples
    --------
    >>> import pandas as pd
    >>> table_html(pd.DataFrame(), "Binding rules")
    '<p><em>Binding rules: none.</em></p>'
    >>> text = table_html(pd.DataFrame({"eu": [18305.0], "rate": [0.8]}, index=["<edf>"]), "EU money",
    ...                   kinds={"rate": "share"})
    >>> "<th>&lt;edf&gt;</th>" in text, "<td>18,305.0</td>" in text, "<td>80.0 %</td>" in text
    (True, True, True)
    """
    if frame.empty:
        return f"<p><em>{html.escape(caption)}: none.</em></p>"
    body = format_frame(frame, kinds, decimals).to_html(index=index, border=0, escape=True)
    return f'<figure class="table"><figcaption>{html.escape(caption)}</figcaption>{body}</figure>'


def page(title: str, meta: dict[str, Any], sections: list[Section]) -> str:
    """The whole document: title, a metadata table, a table of contents and the sections.

    Examples
    --------
    >>> section = Section("notes", "Notes")
    >>> section.text("Solved with HiGHS.")
    >>> html = page("Tutorial report", {"scenario": "tutorial"}, [section])
    >>> html.startswith("<!DOCTYPE html>"), '<li><a href="#notes">Notes</a></li>' in html
    (True, True)
    """
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in meta.items())
    toc = "".join(f'<li><a href="#{s.id}">{html.escape(s.title)}</a></li>' for s in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><table class=\"meta\">{rows}</table>"
            f"<nav><h2>Contents</h2><ul>{toc}</ul></nav>\n"
            + "\n".join(s.html() for s in sections) + "</body></html>\n")
