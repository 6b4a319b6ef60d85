"""Small helpers shared by the test modules (pytest puts this folder on ``sys.path``)."""

from __future__ import annotations


def line_of(text: str, snippet: str, *, whole: bool = False) -> int:
    """1-based number of the one line of ``text`` that contains ``snippet`` (or is it, if ``whole``)."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if (line == snippet if whole else snippet in line)]
    assert len(found) == 1, f"{snippet!r} is on lines {found}"
    return found[0]
