"""Every source a shipped scenario cites resolves in scenarios/sources.yaml, and no project file points outside.

A scenario cites a public document as ``[@key]`` or ``[@key, locator]`` (docs/sources.md). These tests read the
files as text and YAML only, with a small parser of their own (no fundsim code): every ``source`` string of a
shipped scenario (scenarios/*.yaml, and the ``source`` column of scenarios/*.csv) cites a key or a public URL;
every cited key resolves; every entry of the sources file is cited; every entry has a title and a public address
(or an official number and a note saying why there is none). Each failure names the file and the key path.
"""

from __future__ import annotations

import csv
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SOURCES = SCENARIOS / "sources.yaml"

CITATION = re.compile(r"\[@([A-Za-z0-9_.:-]+)")
URL = re.compile(r"https?://[^\s\"'<>]+")
KEY = re.compile(r"[A-Za-z0-9_.:-]+")
DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
FIELDS = {"title", "author", "date", "number", "url", "note", "supports", "see_also"}
SCENARIO_FILES = sorted(p for p in SCENARIOS.glob("*.yaml") if p != SOURCES)
CSV_FILES = sorted(SCENARIOS.glob("*.csv"))


def cited_keys(text: str) -> list[str]:
    """The keys a text cites, in order: ``[@a, §4]; [@b]`` -> ``['a', 'b']``."""
    return CITATION.findall(text)


def strings(node: object, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a parsed YAML tree, with its key path (``instruments[3].envelope.source``)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for n, item in enumerate(node):
            yield from strings(item, f"{path}[{n}]")
    elif isinstance(node, str):
        yield path, node


def scenario_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(key path, text) of every string of a scenario file; for a CSV, its ``source`` column by line."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                if "source" in row:
                    yield f"line {line}.source", row["source"] or ""
    else:
        yield from strings(yaml.safe_load(path.read_text(encoding="utf-8")))


def source_fields(path: Path) -> Iterator[tuple[str, object]]:
    """(key path, value) of every ``source`` field of a scenario file, whatever the value's type."""
    if path.suffix == ".csv":
        yield from scenario_texts(path)
        return

    def walk(node: object, at: str) -> Iterator[tuple[str, object]]:
        if isinstance(node, dict):
            for key, value in node.items():
                sub = f"{at}.{key}" if at else str(key)
                if key == "source":
                    yield sub, value
                else:
                    yield from walk(value, sub)
        elif isinstance(node, list):
            for n, item in enumerate(node):
                yield from walk(item, f"{at}[{n}]")

    yield from walk(yaml.safe_load(path.read_text(encoding="utf-8")), "")


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.fixture(scope="module")
def sources() -> dict[str, dict]:
    data = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{rel(SOURCES)}: the top level must map keys to entries"
    return data


# ---- the parser itself ------------------------------------------------------------------------------------
def test_the_parser_reads_keys_with_and_without_locators() -> None:
    assert cited_keys('205 [V] [@eeas-migration]; [@lavieeco-380] / 4 years') == ["eeas-migration", "lavieeco-380"]
    assert cited_keys("[@reg-1905-2006-dci, Annex IV]; [@council-16041-08, §4, §16]") == [
        "reg-1905-2006-dci", "council-16041-08"]
    assert cited_keys("16041/08 §4 [V] lavieeco") == []
    assert cited_keys("[@a.b:c_d-1]") == ["a.b:c_d-1"]


# ---- the sources file ---------------------------------------------------------------------------------------
def test_sources_file_keys_are_unique_and_citable() -> None:
    """yaml.safe_load keeps the last of two equal keys silently, so the node tree is read for duplicates."""
    root = yaml.compose(SOURCES.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    assert isinstance(root, yaml.MappingNode), f"{rel(SOURCES)}: the top level must be a mapping"
    seen: dict[str, int] = {}
    problems = []
    for key_node, _ in root.value:
        key, line = key_node.value, key_node.start_mark.line + 1
        if key in seen:
            problems.append(f"{rel(SOURCES)}:{line}: key {key!r} already defined on line {seen[key]}")
        seen.setdefault(key, line)
        if not KEY.fullmatch(key):
            problems.append(f"{rel(SOURCES)}:{line}: key {key!r} cannot be cited as [@{key}]")
    assert not problems, "\n".join(problems)
    assert len(seen) >= 10


def test_every_entry_has_a_title_a_public_address_and_what_it_supports(sources: dict[str, dict]) -> None:
    problems = []
    for key, entry in sources.items():
        where = f"{rel(SOURCES)}: {key}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: an entry is a mapping of fields, not {entry!r}")
            continue
        if unknown := set(entry) - FIELDS:
            problems.append(f"{where}: unknown field(s) {sorted(unknown)}; the fields are {sorted(FIELDS)}")
        for field in ("title", "supports"):
            if not (isinstance(entry.get(field), str) and entry[field].strip()):
                problems.append(f"{where}.{field}: required, a non-empty text")
        if "url" not in entry:
            problems.append(f"{where}.url: required (a public http(s) address, or null with a note)")
        elif entry["url"] is None:
            if not (isinstance(entry.get("note"), str) and entry["note"].strip()):
                problems.append(f"{where}.note: url is null, so a note must say why and how to obtain it")
            if not entry.get("number"):
                problems.append(f"{where}.number: url is null, so the official document number is required")
        elif not (isinstance(entry["url"], str) and URL.fullmatch(entry["url"])):
            problems.append(f"{where}.url: {entry['url']!r} is not a public http(s) address")
        if "see_also" in entry and not (isinstance(entry["see_also"], str) and URL.fullmatch(entry["see_also"])):
            problems.append(f"{where}.see_also: {entry['see_also']!r} is not a public http(s) address")
        if "date" in entry and not (isinstance(entry["date"], str) and DATE.fullmatch(entry["date"])):
            problems.append(f"{where}.date: {entry['date']!r} is not a quoted YYYY, YYYY-MM or YYYY-MM-DD")
    assert not problems, "\n".join(problems)


# ---- the scenarios' citations -------------------------------------------------------------------------------
def test_shipped_scenarios_are_found() -> None:
    names = {p.name for p in SCENARIO_FILES + CSV_FILES}
    assert {"gam-2008.yaml", "gam-2008-uncertain.yaml", "gam-2008-coherent.yaml", "tutorial.yaml",
            "tutorial-uncertain.yaml", "gam-2008-as-programmed.csv"} <= names


@pytest.mark.parametrize("path", SCENARIO_FILES + CSV_FILES, ids=lambda p: p.name)
def test_every_source_cites_a_key_or_a_public_address(path: Path) -> None:
    problems = []
    for at, value in source_fields(path):
        if not isinstance(value, str):
            problems.append(f"{rel(path)}: {at}: a source is a text, not {value!r}")
        elif not (cited_keys(value) or URL.search(value)):
            problems.append(f"{rel(path)}: {at}: cites no [@key] and no public URL: {value!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", SCENARIO_FILES + CSV_FILES, ids=lambda p: p.name)
def test_every_citation_resolves_in_the_sources_file(path: Path, sources: dict[str, dict]) -> None:
    """Any text of a scenario (source, assumption, note, description) may cite; every key must resolve."""
    problems = []
    for at, text in scenario_texts(path):
        for key in cited_keys(text):
            if key not in sources:
                problems.append(f"{rel(path)}: {at}: [@{key}] is not a key of {rel(SOURCES)}")
        # '[@a; @b]' (a pandoc group) would hide @b from the parser: one key per bracket
        if hidden := re.findall(r"(?<!\[)@([A-Za-z0-9_.:-]+)", text):
            problems.append(f"{rel(path)}: {at}: write one key per bracket, [@{hidden[0]}], not inside a group")
    assert not problems, "\n".join(problems)


def test_every_entry_of_the_sources_file_is_cited(sources: dict[str, dict]) -> None:
    cited = {key for path in SCENARIO_FILES + CSV_FILES for _, text in scenario_texts(path)
             for key in cited_keys(text)}
    dead = sorted(set(sources) - cited)
    assert not dead, f"{rel(SOURCES)}: entries no shipped scenario cites: {', '.join(dead)}"


# ---- nothing outside the project ----------------------------------------------------------------------------
FORBIDDEN = ("/work/", "/home/", "/tmp/", "C:\\", "instruments-2007-2013.md", "SEED-NOTES.md", "../shared")
EXEMPT = {"tests/test_sources.py"}  # this file names the patterns it looks for


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in out.decode("utf-8").split("\0") if name]


def test_the_project_is_a_git_checkout_with_its_files_tracked() -> None:
    files = set(tracked_files())
    assert {"scenarios/sources.yaml", "scenarios/gam-2008.yaml", "docs/sources.md", "pyproject.toml"} <= files


def test_no_tracked_file_names_a_machine_path_or_a_file_outside_the_project() -> None:
    problems = []
    for name in tracked_files():
        path = ROOT / name
        if name in EXEMPT or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary (a workbook, an image): no text to read
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for pattern in FORBIDDEN:
                if pattern in line:
                    problems.append(f"{name}:{number}: names {pattern!r}: {line.strip()[:120]}")
    assert not problems, "\n".join(problems)
