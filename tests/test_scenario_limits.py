"""Unbounded input refused with a located problem: the file, the field path (and line), the limit and how to
raise it (``FUNDSIM_LIMIT_<NAME>`` or ``fundsim.limits.raised``); never a traceback, a hang or a stack overflow.

Small limits (``fundsim.limits.raised``) keep the inputs small; the default limits are tested where the input
is cheap to build.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import fundsim as fs
from fundsim.cli import EXIT_BAD_INPUT, app
from fundsim.limits import raised

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = (ROOT / "scenarios" / "tutorial.yaml").read_text(encoding="utf-8")

# a case slower than this hangs (a quadratic check over 100 000 entries takes hours); not a speed assertion
HANG = 60


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def line_of(text: str, fragment: str) -> int:
    return next(n for n, t in enumerate(lines_of(text), 1) if fragment in t)


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def only(load: Callable[[], Any]) -> fs.Problem:
    with pytest.raises(fs.ScenarioError) as info:
        load()
    assert len(info.value.problems) == 1, str(info.value)
    return info.value.problems[0]


def states_the_limit(p: fs.Problem, name: str, limit: int) -> None:
    assert f"is above the limit {name} = {limit}" in p.message, p.message
    assert f"FUNDSIM_LIMIT_{name.upper()}" in p.message and f"fundsim.limits.raised({name}=...)" in p.message


def edit(old: str, new: str, text: str = TUTORIAL) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# ---- integers ---------------------------------------------------------------------------------------------
def test_a_401_digit_integer(tmp_path: Path) -> None:
    text = edit("envelope: 20", "envelope: " + "9" * 401)
    path = write(tmp_path, text)
    p = only(lambda: fs.load_scenario(path))
    assert (p.file, p.line, p.path) == (str(path), line_of(text, "9" * 401), "instruments[1].envelope")
    assert "an integer of 401 digits" in p.message
    states_the_limit(p, "integer_digits", 18)


def test_integer_digits_at_the_limit_pass_and_one_more_is_refused(tmp_path: Path) -> None:
    with raised(integer_digits=4):  # the years have 4
        at_limit = fs.load_scenario(write(tmp_path, edit("envelope: 20", "envelope: 1000"), "a.yaml"))
        assert at_limit.instruments[1].envelope.tolist() == [1000, 1000]
        p = only(lambda: fs.load_scenario(write(tmp_path, edit("envelope: 20", "envelope: 10_000"), "b.yaml")))
    assert p.path == "instruments[1].envelope" and "an integer of 5 digits" in p.message
    states_the_limit(p, "integer_digits", 4)


def test_a_long_integer_in_toml(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\nyears = [2009]\n\n[absorption]\ndefault = ' + "7" * 30 + "\n", "s.toml")
    p = only(lambda: fs.load_scenario(path))
    assert (p.line, p.path) == (5, "absorption.default") and "an integer of 30 digits" in p.message
    states_the_limit(p, "integer_digits", 18)


def test_an_integer_beyond_what_python_converts_in_toml(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\nnote = "y"\nyears = [' + "1" * 5000 + "]\n", "s.toml")
    p = only(lambda: fs.load_scenario(path))
    assert p.line == 3 and "an integer with more digits than the limit" in p.message
    states_the_limit(p, "integer_digits", 18)


def test_an_integer_in_a_python_mapping() -> None:
    spec = fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml").spec
    spec["instruments"][0]["envelope"] = 10**400
    p = only(lambda: fs.scenario_from_dict(spec))
    assert (p.file, p.path) == (None, "instruments[0].envelope") and "an integer of 401 digits" in p.message


# ---- nesting --------------------------------------------------------------------------------------------
def test_500_deep_yaml(tmp_path: Path) -> None:
    text = TUTORIAL + "note: " + "[" * 500 + "]" * 500 + "\n"
    path = write(tmp_path, text)
    p = only(lambda: fs.load_scenario(path))
    assert (p.file, p.line) == (str(path), len(lines_of(text)))
    assert "a value nested 201 deep" in p.message
    states_the_limit(p, "nesting_depth", 200)


def test_500_deep_toml(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\nnote = ' + "[" * 500 + "]" * 500 + "\n", "s.toml")
    p = only(lambda: fs.load_scenario(path))
    assert p.file == str(path)
    states_the_limit(p, "nesting_depth", 200)


def test_250_deep_toml_that_python_reads_is_refused_by_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\nnote = ' + "[" * 250 + "]" * 250 + "\n", "s.toml")
    with raised(nesting_depth=1000):  # read without refusal: the scenario's own problems are reported
        with pytest.raises(fs.ScenarioError) as info:
            fs.load_scenario(path)
        assert not any("nesting_depth" in p.message for p in info.value.problems)
    p = only(lambda: fs.load_scenario(path))
    assert (p.line, p.path.split("[")[0]) == (2, "note") and "a value nested 201 deep" in p.message


@pytest.mark.parametrize("suffix", [".yaml", ".toml"])
def test_a_value_nested_as_deep_as_the_default_limit_is_read(tmp_path: Path, suffix: str) -> None:
    """200 levels are read through every recursive step (the YAML composer, tomllib, extends, validation)."""
    base = TUTORIAL + "note: " + "[" * 199 + "1" + "]" * 199 + "\n"  # the 1 at note[0]…[0], 200 deep
    write(tmp_path, base, "base.yaml")
    if suffix == ".toml":
        write(tmp_path, 'extends = "base.yaml"\ndescription = ' + "[" * 199 + "1" + "]" * 199 + "\n", "v.toml")
    else:
        write(tmp_path, "extends: base.yaml\nnote: " + "[" * 199 + "2" + "]" * 199 + "\n", "v.yaml")
    with pytest.raises(fs.ScenarioError) as info:
        fs.load_scenario(tmp_path / f"v{suffix}")
    assert {p.path for p in info.value.problems} <= {"note", "description"}  # text expected: nothing else


def test_nesting_at_the_limit_passes_and_one_more_is_refused(tmp_path: Path) -> None:
    """A value's depth is the length of its path: the 1 in ``note: [[1]]`` is at note[0][0], 3 deep."""
    with raised(nesting_depth=8):  # the tutorial nests 6 deep (objective.impact.weights.cells[0].priority)
        with pytest.raises(fs.ScenarioError) as info:
            fs.load_scenario(write(tmp_path, TUTORIAL + "note: " + "[" * 7 + "1" + "]" * 7 + "\n", "a.yaml"))
        assert [p.path for p in info.value.problems] == ["note"]  # a note is text: only that is wrong
        text = TUTORIAL + "note: " + "[" * 8 + "1" + "]" * 8 + "\n"
        p = only(lambda: fs.load_scenario(write(tmp_path, text, "b.yaml")))
    assert p.line == len(lines_of(text)) and "a value nested 9 deep" in p.message
    states_the_limit(p, "nesting_depth", 8)


def test_aliases_nesting_deeper_than_the_text(tmp_path: Path) -> None:
    """Each alias wraps the previous anchor in one more list: 300 levels from lines only one level deep."""
    chain = [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 300)]
    text = TUTORIAL + "a0: &a0 [1]\n" + "\n".join(chain) + "\n"
    p = only(lambda: fs.load_scenario(write(tmp_path, text)))
    assert p.path.startswith("a199[0][0]") and "a value nested 201 deep" in p.message
    states_the_limit(p, "nesting_depth", 200)


def test_a_deep_python_mapping() -> None:
    spec = fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml").spec
    deep: list[Any] = []
    spec["note"] = deep
    for _ in range(5000):  # far beyond Python's recursion limit
        deep.append([])
        deep = deep[0]
    p = only(lambda: fs.scenario_from_dict(spec))
    assert p.path.startswith("note[0][0]") and "a value nested 201 deep" in p.message


def test_a_python_mapping_that_contains_itself() -> None:
    spec = fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml").spec
    spec["rules"]["self"] = spec
    p = only(lambda: fs.scenario_from_dict(spec))
    states_the_limit(p, "nesting_depth", 200)


# ---- extends chains ---------------------------------------------------------------------------------------
def chain(tmp_path: Path, n: int) -> Path:
    """``c0.yaml`` extends ``c1.yaml`` … extends ``c{n-1}.yaml``, the tutorial: a chain of n files."""
    for i in range(n - 1):
        write(tmp_path, f"extends: c{i + 1}.yaml\nname: c{i}\n", f"c{i}.yaml")
    write(tmp_path, TUTORIAL, f"c{n - 1}.yaml")
    return tmp_path / "c0.yaml"


def test_1200_chained_extends(tmp_path: Path) -> None:
    p = only(lambda: fs.load_scenario(chain(tmp_path, 1200)))
    assert (Path(p.file).name, p.line, p.path) == ("c31.yaml", 1, "extends")
    assert "a chain of 33 files or more (from c0.yaml)" in p.message
    states_the_limit(p, "extends_chain", 32)


def test_an_extends_chain_at_the_limit_loads(tmp_path: Path) -> None:
    with raised(extends_chain=4):
        assert fs.load_scenario(chain(tmp_path, 4)).name == "c0"
        p = only(lambda: fs.load_scenario(chain(tmp_path, 5)))
    assert (Path(p.file).name, p.path) == ("c3.yaml", "extends")
    states_the_limit(p, "extends_chain", 4)


# ---- characters and size ----------------------------------------------------------------------------------
def test_a_nul_byte(tmp_path: Path) -> None:
    text = edit("name: tutorial", "name: tuto\0rial")
    path = write(tmp_path, text)
    p = only(lambda: fs.load_scenario(path))
    assert (p.file, p.line) == (str(path), line_of(text, "name: tuto"))
    assert p.message.startswith("the file holds the control character U+0000 (column 11); a scenario file is "
                                "plain text")


def test_a_nul_byte_in_toml(tmp_path: Path) -> None:
    p = only(lambda: fs.load_scenario(write(tmp_path, 'name = "x"\n\nyears = [2009\0]\n', "s.toml")))
    assert p.line == 3 and "U+0000 (column 14)" in p.message


def test_another_character_yaml_refuses(tmp_path: Path) -> None:
    text = edit("name: tutorial", "name: tuto\x85\x9frial")
    p = only(lambda: fs.load_scenario(write(tmp_path, text)))
    assert p.line == line_of(text, "name: tuto") and "the character U+009F is not allowed" in p.message


def test_a_30_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"name: big\n" + b"# padding\n" * 3_000_000)
    p = only(lambda: fs.load_scenario(path))  # refused by its size, before it is read or parsed
    assert (p.file, p.path) == (str(path), "") and "the file's size, 30,000,010 bytes," in p.message
    states_the_limit(p, "scenario_bytes", 2_000_000)


def test_file_size_at_the_limit_passes(tmp_path: Path) -> None:
    path = write(tmp_path, TUTORIAL)
    size = path.stat().st_size
    with raised(scenario_bytes=size):
        assert fs.load_scenario(path).name == "tutorial"
    with raised(scenario_bytes=size - 1):
        p = only(lambda: fs.load_scenario(path))
    states_the_limit(p, "scenario_bytes", size - 1)


# ---- list entries -----------------------------------------------------------------------------------------
def test_labels_over_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path, TUTORIAL)
    with raised(labels=2):  # the tutorial has 3 pillars, its first list of more than 2
        p = only(lambda: fs.load_scenario(path))
    assert (p.line, p.path) == (line_of(TUTORIAL, "pillars:") + 1, "pillars")
    assert "a list of 3 entries" in p.message
    states_the_limit(p, "labels", 2)


def test_labels_over_the_limit_in_toml_and_python(tmp_path: Path) -> None:
    with raised(labels=2):
        p = only(lambda: fs.load_scenario(write(tmp_path, 'name = "x"\nyears = [2009, 2010, 2011]\n', "s.toml")))
        assert (p.line, p.path) == (2, "years") and "a list of 3 entries" in p.message
        p = only(lambda: fs.scenario_from_dict({"name": "x", "years": [2009, 2010, 2011]}))
    assert p.path == "years"


def test_100_000_repeated_years_are_checked_in_linear_time() -> None:
    spec = fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml").spec
    spec["years"] = [2009] * 100_000
    start = time.perf_counter()
    with pytest.raises(fs.ScenarioError) as info:
        fs.scenario_from_dict(spec)
    assert time.perf_counter() - start < HANG  # a quadratic check takes hours
    (years,) = [p for p in info.value.problems if p.path == "years"]
    assert years.message == ("years must increase one by one without repeats, got [2009, 2009, 2009, 2009, 2009, "
                             "2009, … (100,000 years)] (2009 repeated)")


def test_50_000_region_limits_and_unknown_regions_in_linear_time() -> None:
    spec = fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml").spec
    spec["rules"]["region_limits"] = ([{"region": "north_africa", "min": 1}] * 25_000
                                      + [{"region": "nowhere", "max": 2}] * 25_000)
    start = time.perf_counter()
    with pytest.raises(fs.ScenarioError) as info:
        fs.scenario_from_dict(spec)
    assert time.perf_counter() - start < HANG
    problems = info.value.problems
    assert len(problems) == 25_000 and {p.path.split("]")[0] for p in problems} == {"rules.region_limits[" + str(n)
                                                                                 for n in range(25_000, 50_000)}
    assert problems[0].message.startswith("unknown region 'nowhere'; valid regions are:")


# ---- files that are not regular files ----------------------------------------------------------------------
def finishes(load: Callable[[], Any], seconds: float = 10) -> fs.Problem:
    """``only(load)`` in a thread that must end in time: opening a named pipe would wait for a writer."""
    found: list[Any] = []
    thread = threading.Thread(target=lambda: found.append(only(load)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "reading the file hangs"
    return found[0]


def test_a_named_pipe_is_refused_without_opening_it(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    p = finishes(lambda: fs.load_scenario(pipe))
    assert (p.file, p.line, p.path) == (str(pipe), None, "")
    assert p.message == "a named pipe, not a regular file: give the path of a scenario file (.yaml, .yml or .toml)"


def test_a_named_pipe_as_the_base_of_extends(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    variant = write(tmp_path, "name: v\nextends: pipe.yaml\n")
    p = finishes(lambda: fs.load_scenario(variant))
    assert (p.file, p.line, p.path) == (str(variant), 2, "extends")
    assert p.message == "the base file 'pipe.yaml' is a named pipe, not a scenario file"


def test_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")  # reading it would never end
    p = finishes(lambda: fs.load_scenario(link))
    assert p.message.startswith("a device, not a regular file")


# ---- the command line -------------------------------------------------------------------------------------
CASES = {
    "integer": lambda d: write(d, edit("envelope: 20", "envelope: " + "9" * 401)),
    "nesting": lambda d: write(d, TUTORIAL + "note: " + "[" * 500 + "]" * 500 + "\n"),
    "nul": lambda d: write(d, edit("name: tutorial", "name: tuto\0rial")),
    "chain": lambda d: chain(d, 40),
    "pipe": lambda d: (os.mkfifo(d / "pipe.yaml"), d / "pipe.yaml")[1],
}
MESSAGES = {"integer": "integer_digits = 18", "nesting": "nesting_depth = 200", "nul": "U+0000",
            "chain": "extends_chain = 32", "pipe": "a named pipe"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_exits_2_with_the_file_and_the_message(case: str, tmp_path: Path) -> None:
    path = CASES[case](tmp_path)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and MESSAGES[case] in result.output
    assert (path.name if case != "chain" else "c31.yaml") in result.output


# ---- expansion ("billion laughs") -------------------------------------------------------------------------
def test_merge_keys_that_expand_exponentially_are_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``<<`` merges of mappings built from aliases: 8 lines that would expand to 10**8 values."""
    import fundsim.scenario.files as files

    monkeypatch.setattr(files, "_MAX_VALUES", 10_000)  # the real bound (10**6) takes seconds to reach
    lines = ["name: lol", "m0: &m0 {" + ", ".join(f"k{j}: lol" for j in range(10)) + "}"]
    lines += [f"m{i}: &m{i} {{" + ", ".join(f"k{j}: *m{i - 1}" for j in range(10)) + "}" for i in range(1, 8)]
    lines += ["bomb: {<<: [*m7, *m7]}"]
    start = time.perf_counter()
    p = only(lambda: fs.load_scenario(write(tmp_path, "\n".join(lines) + "\n")))
    assert time.perf_counter() - start < HANG
    assert "expands to more than 10,000 values" in p.message


def test_base_numbers_standing_for_every_region_are_bounded(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import fundsim.scenario.extends as extends

    monkeypatch.setattr(extends, "_MAX_VALUES", 5)
    regions = "".join(f"  - {{id: r{n}, group: g}}\n" for n in range(6))
    base = TUTORIAL.replace("regions:\n", "regions:\n" + regions, 1)
    base = base.replace("    capacity: {value: 100,", "    per_region: true\n    capacity: {value: 100,", 1)
    write(tmp_path, base, "base.yaml")
    variant = write(tmp_path, "extends: base.yaml\nmatch_sources:\n  - {id: member_states, capacity: {r1: 5}}\n",
                    "v.yaml")
    p = only(lambda: fs.load_scenario(variant))
    assert (p.file, p.line, p.path) == (str(variant), 3, "match_sources[0].capacity")
    assert "merging this file into its base makes more than 5 values" in p.message
