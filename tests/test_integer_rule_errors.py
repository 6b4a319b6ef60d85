"""Error messages for the integer rules (``max_instruments_per_cell``, ``min_commitment``, ``admin_cost``,
``mobility_partnerships``) in a scenario file.

The same contract as tests/test_error_messages.py: no traceback, every problem of a file at once, each with
the file, the line, the field path as the file writes it, the value given and what would be valid. Each test
adds integer rules to the frozen copy of the tutorial (tests/data/base.yaml) and breaks them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fundsim import Problem, ScenarioError, load_scenario

from helpers import line_of

BASE = (Path(__file__).parent / "data" / "base.yaml").read_text(encoding="utf-8")
RULES = "rules:\n  pillar_balance:\n    - {pillar: development, max_share: 0.25}\n"
LEAKS = ("function-after", "Input should", "Value error", "[key]", "Spec", "pydantic", "Traceback",
         "validation error", "constrained-", "<class")


def with_rules(tmp_path: Path, extra: str) -> tuple[Path, str]:
    """The base file with ``extra`` (YAML, indented under ``rules:``) added to its rules."""
    assert BASE.count(RULES) == 1
    text = BASE.replace(RULES, RULES + extra)
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def problems_in(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    for p in problems:
        assert not any(leak in f"{p.path} {p.message}" for leak in LEAKS), str(p)
    return problems


def only(path: Path) -> Problem:
    problems = problems_in(path)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def check(p: Problem, file: Path, line: int, path: str, *parts: str) -> None:
    assert (p.file, p.line, p.path) == (str(file), line, path), str(p)
    for part in parts:
        assert part in p.message, f"{part!r} not in {p.message!r}"


PARTNERS = ("  mobility_partnerships:\n    candidates: [north_africa, eastern_partnership]\n    max_new: 1\n"
            "    package: 5\n")


def test_valid_integer_rules_load(tmp_path: Path) -> None:
    path, _ = with_rules(tmp_path, "  max_instruments_per_cell: 1\n  min_commitment: {amount: 2, by_instrument: "
                                   "{tpma: 1}}\n  admin_cost: {value: 0.5, assumption: a guess}\n" + PARTNERS)
    rules = load_scenario(path).rules
    assert rules.max_instruments_per_cell is not None and rules.max_instruments_per_cell.k == 1
    assert rules.min_commitment is not None and rules.min_commitment.minimum(("tpma", "enpi")).tolist() == [1, 2]
    assert rules.admin_cost is not None and rules.admin_cost.cost == 0.5
    assert rules.mobility_partnerships is not None and rules.mobility_partnerships.candidates == (
        "north_africa", "eastern_partnership")


@pytest.mark.parametrize(("value", "parts"), [
    ("0", ("must be ≥ 1", "instruments per priority × region cell", "got 0")),
    ("1.5", ("expected a whole number", "got 1.5")),
    ("two", ("expected a whole number", "got 'two'")),
    ("{value: 0, assumption: none}", ("must be ≥ 1", "got 0")),
])
def test_max_instruments_per_cell_must_be_a_whole_number_of_at_least_one(tmp_path: Path, value: str,
                                                                         parts: tuple[str, ...]) -> None:
    path, text = with_rules(tmp_path, f"  max_instruments_per_cell: {value}\n")
    check(only(path), path, line_of(text, "max_instruments_per_cell"), "rules.max_instruments_per_cell", *parts)


def test_admin_cost_below_zero(tmp_path: Path) -> None:
    path, text = with_rules(tmp_path, "  admin_cost: -1\n")
    check(only(path), path, line_of(text, "admin_cost"), "rules.admin_cost", "must be ≥ 0",
          "objective units per active priority × region cell", "got -1")


def test_min_commitment_below_zero_and_unknown_instrument(tmp_path: Path) -> None:
    path, text = with_rules(tmp_path, "  min_commitment:\n    amount: -2\n    by_instrument: {tpmaa: 1}\n")
    first, second = problems_in(path)
    check(first, path, line_of(text, "amount: -2"), "rules.min_commitment.amount", "must be ≥ 0", "EUR million",
          "got -2")
    check(second, path, line_of(text, "by_instrument"), "rules.min_commitment.by_instrument.tpmaa",
          "unknown instrument 'tpmaa'", "did you mean 'tpma'?", "valid instruments are: enpi, tpma")


def test_min_commitment_unknown_field(tmp_path: Path) -> None:
    path, text = with_rules(tmp_path, "  min_commitment: {amount: 2, per_instrument: {tpma: 1}}\n")
    check(only(path), path, line_of(text, "min_commitment"), "rules.min_commitment.per_instrument",
          "unknown field 'per_instrument'", "valid fields are: amount, assumption, by_instrument, note, source")


def test_unknown_candidate_region(tmp_path: Path) -> None:
    path, text = with_rules(tmp_path, PARTNERS.replace("[north_africa,", "[north_afrika,"))
    check(only(path), path, line_of(text, "candidates"), "rules.mobility_partnerships.candidates[0]",
          "unknown region 'north_afrika'", "did you mean 'north_africa'?",
          "valid regions are: eastern_partnership, north_africa")


def test_more_new_partnerships_than_candidates(tmp_path: Path) -> None:
    path, text = with_rules(tmp_path, PARTNERS.replace("max_new: 1", "max_new: 3"))
    check(only(path), path, line_of(text, "max_new"), "rules.mobility_partnerships.max_new",
          "max_new (3) is larger than the number of candidates (2: north_africa, eastern_partnership)",
          "give at most 2")


def test_min_new_above_max_new_and_a_repeated_candidate(tmp_path: Path) -> None:
    extra = PARTNERS.replace("eastern_partnership]", "north_africa, eastern_partnership]") + "    min_new: 2\n"
    path, text = with_rules(tmp_path, extra)
    repeated, above = problems_in(path)
    check(repeated, path, line_of(text, "candidates"), "rules.mobility_partnerships.candidates[1]",
          "the region 'north_africa' is a candidate twice (first as candidates[0])", "name each candidate once")
    check(above, path, line_of(text, "min_new"), "rules.mobility_partnerships.min_new",
          "min_new (2) is larger than max_new (1)", "give a min_new of at most 1")


@pytest.mark.parametrize(("old", "new", "line", "field", "parts"), [
    ("max_new: 1", "max_new: 0", "max_new", "max_new", ("must be ≥ 1", "new partnerships at most", "got 0")),
    ("package: 5", "package: -5", "package", "package", ("must be ≥ 0", "EUR million", "got -5")),
    ("    package: 5\n", "", "mobility_partnerships", "package", ("required field missing", "EUR million")),
    ("max_new: 1", "max_new: 1\n    only_partners: maybe", "only_partners", "only_partners",
     ("expected true or false", "got 'maybe'")),
])
def test_partnership_fields(tmp_path: Path, old: str, new: str, line: str, field: str,
                            parts: tuple[str, ...]) -> None:
    path, text = with_rules(tmp_path, PARTNERS.replace(old, new))
    check(only(path), path, line_of(text, line), f"rules.mobility_partnerships.{field}", *parts)


def test_a_misspelt_field_is_unknown_and_the_field_missing(tmp_path: Path) -> None:
    path, text = with_rules(tmp_path, PARTNERS.replace("package: 5", "pakage: 5"))
    missing, unknown = problems_in(path)
    check(missing, path, line_of(text, "mobility_partnerships"), "rules.mobility_partnerships.package",
          "required field missing (EUR million)")
    check(unknown, path, line_of(text, "pakage"), "rules.mobility_partnerships.pakage", "unknown field 'pakage'",
          "did you mean 'package'?", "valid fields are: assumption, candidates, max_new, min_new")


def test_a_region_with_a_package_is_no_candidate(tmp_path: Path) -> None:
    extra = "  min_packages:\n    - {region: eastern_partnership, amount: 3}\n" + PARTNERS
    path, text = with_rules(tmp_path, extra)
    check(only(path), path, line_of(text, "candidates"), "rules.mobility_partnerships.candidates[1]",
          "'eastern_partnership' already has a partnership package (rules.min_packages[0])",
          "candidates for new partnerships must be other regions")


def test_every_problem_of_the_integer_rules_at_once(tmp_path: Path) -> None:
    extra = ("  max_instruments_per_cell: 0\n  admin_cost: -1\n  min_commitment: {by_instrument: {edf: 1}}\n"
             + PARTNERS.replace("max_new: 1", "max_new: 5").replace("north_africa,", "north_afrika,"))
    path, _ = with_rules(tmp_path, extra)
    paths = [p.path for p in problems_in(path)]
    assert sorted(paths) == sorted([
        "rules.max_instruments_per_cell", "rules.admin_cost", "rules.min_commitment.by_instrument.edf",
        "rules.mobility_partnerships.candidates[0]"])

