"""Error messages for malformed scenario files (after xarray's ``test_error_messages.py``).

The contract (docs, STYLE.md "Errors and checks"): bad input never gives a traceback; every problem of
a file is reported at once, each with the file, the line, the field path, the value given and what
would be valid (unknown ids list the valid ones, with a "did you mean"). YAML is loaded safely.

Each test breaks a frozen copy of the tutorial (tests/data/base.yaml) in one way and checks the
important parts of the message. Line numbers are looked up in the broken text with :func:`line_of`,
so each test says which line it expects in words a reader can check.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import fundsim as fs
from fundsim import Problem, ScenarioError, load_scenario

from helpers import line_of

BASE = (Path(__file__).parent / "data" / "base.yaml").read_text(encoding="utf-8")

# Words that only appear when pydantic's (or Python's) own wording leaks through.
LEAKS = ("function-after", "Input should", "Value error", "[key]", "Spec", "pydantic", "Traceback",
         "validation error", "constrained-", "<class")


# ---- helpers -----------------------------------------------------------------------------------------
def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with the one occurrence of ``old`` replaced."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_in(path: Path) -> tuple[Problem, ...]:
    """The problems loading ``path`` reports; checks that none leaks pydantic's wording."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert problems, "a ScenarioError without problems"
    for p in problems:
        assert isinstance(p, Problem)
        text = f"{p.path} {p.message}"
        assert not any(leak in text for leak in LEAKS), text
    return problems


def only(path: Path) -> Problem:
    problems = problems_in(path)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def check(p: Problem, file: Path, line: int | None, path: str, *parts: str) -> None:
    """The problem names ``file``, ``line`` and ``path``, and its message holds each of ``parts``."""
    assert (p.file, p.line, p.path) == (str(file), line, path), str(p)
    for part in parts:
        assert part in p.message, f"{part!r} not in {p.message!r}"


def broken(tmp_path: Path, old: str, new: str, name: str = "scenario.yaml") -> tuple[Path, str]:
    text = edit(old, new)
    return write(tmp_path, text, name), text


def test_base_is_valid() -> None:
    """The frozen copy loads; every other test breaks it."""
    assert load_scenario(Path(__file__).parent / "data" / "base.yaml").years == (2009, 2010)


# ---- the file as a whole -----------------------------------------------------------------------------
def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "years: [2009, 2010]", "years: [2009, 2010")
    p = only(path)
    # the parser notices the missing ']' on the next line, and says where the list began
    check(p, path, line_of(text, "pillars:"), "", "not valid YAML", "expected ',' or ']'", "column 8",
          f"flow sequence that starts at line {line_of(text, 'years:')}")
    assert str(p).startswith(f"{path}:{line_of(text, 'pillars:')}: (top level): not valid YAML")


def test_yaml_tab_indentation_gets_a_hint(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    envelope: 20\n", "\tenvelope: 20\n")
    check(only(path), path, line_of(text, "\tenvelope"), "", "not valid YAML", "'\\t'",
          "indents with spaces, not tabs")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    check(only(path), path, 1, "", "the file is empty", "a scenario is a mapping of sections")


def test_top_level_list(tmp_path: Path) -> None:
    path = write(tmp_path, "# a comment\n- name: tutorial\n- years: [2009]\n")
    check(only(path), path, 2, "", "a scenario is a mapping of sections", "got a list")


def test_top_level_scalar(tmp_path: Path) -> None:
    path = write(tmp_path, "just some text\n")
    check(only(path), path, 1, "", "a scenario is a mapping of sections", "'just some text'")


def test_duplicate_keys_are_all_reported(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "description: Two", "name: again\ndescription: Two")
    text = edit("    name: European Neighbourhood", "    name: ENPI\n    name: European Neighbourhood", text)
    write(tmp_path, text)
    first, second = problems_in(path)
    check(first, path, line_of(text, "name: again"), "name", "the key 'name' appears twice",
          f"first at line {line_of(text, 'name: tutorial')}")
    check(second, path, line_of(text, "name: European Neighbourhood"), "instruments[1].name",
          "the key 'name' appears twice", f"first at line {line_of(text, 'name: ENPI')}")


def test_unknown_file_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, BASE, "scenario.json")
    check(only(path), path, None, "", "unknown file type '.json'", "use .yaml, .yml or .toml")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    check(only(path), path, None, "", "no such file", str(path))


def test_directory_instead_of_file(tmp_path: Path) -> None:
    check(only(tmp_path), tmp_path, None, "", "not a file")


def test_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(b"name: \xff\xfe\x00\x01\n")
    check(only(path), path, None, "", "not a text file", "not UTF-8")


# ---- safe YAML ---------------------------------------------------------------------------------------
def test_python_object_tag_is_rejected_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "was_run"
    path, text = broken(tmp_path, "name: tutorial", f'name: !!python/object/apply:os.system ["touch {marker}"]')
    check(only(path), path, line_of(text, "!!python"), "name",
          "the YAML tag '!!python/object/apply:os.system' is not allowed", "plain data only")
    assert not marker.exists()


def test_python_object_tag_on_a_mapping(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "  basis: eu\n  capacity:",
                        "  basis: !!python/object:collections.OrderedDict {a: 1}\n  capacity:")
    check(only(path), path, line_of(text, "!!python"), "absorption.basis",
          "'!!python/object:collections.OrderedDict' is not allowed")


def test_custom_tag(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "envelope: 20", "envelope: !eur 20")
    check(only(path), path, line_of(text, "!eur"), "instruments[1].envelope", "the YAML tag '!eur' is not allowed")


def test_alias_cycle(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "name: tutorial", "name: tutorial\nnote: &loop [1, *loop]")
    check(only(path), path, line_of(text, "&loop"), "note[1]", "alias refers to a value that contains it")


def test_alias_bomb_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'Billion laughs': a few lines of aliases that expand to 10**8 values are refused, not expanded."""
    import fundsim.scenario.files as files

    monkeypatch.setattr(files, "_MAX_VALUES", 10_000)  # the real limit (10**6) takes seconds to reach
    lines = ["name: lol", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    p = only(path)
    assert (p.file, p.line) == (str(path), 2) and "expands to more than 10,000 values" in p.message


def test_aliases_and_merge_keys_are_plain_data(tmp_path: Path) -> None:
    """Anchors, aliases and ``<<`` merges are ordinary YAML and work."""
    text = edit("  - id: tpma\n", "  - <<: &defaults {envelope: 5, payment_profile: [0.5, 0.5]}\n    id: tpma\n")
    text = edit("  - id: enpi\n", "  - <<: *defaults\n    id: enpi\n", text)
    sc = load_scenario(write(tmp_path, text))
    assert [i.payment_profile for i in sc.instruments] == [(0.5, 0.5), (0.5, 0.5)]


# ---- fields: unknown, missing, wrong type --------------------------------------------------------------
def test_unknown_top_level_field(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "description:", "descripton:")
    check(only(path), path, line_of(text, "descripton"), "descripton",
          "unknown field 'descripton' (did you mean 'description'?)",
          "valid fields are: absorption, assumption, description, instruments, match_sources, name")


def test_a_top_level_key_yaml_reads_as_a_number_is_an_unknown_field(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "description:", "2009: eu\ndescription:")
    problem = only(path)
    assert problem.line == line_of(text, "2009: eu") and problem.message.startswith(
        "unknown field '2009'; valid fields are: absorption, assumption, description"), problem


def test_unknown_field_in_instrument(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    envelope: 20\n", "    envelope: 20\n    decomitment_window: 3\n")
    check(only(path), path, line_of(text, "decomitment"), "instruments[1].decomitment_window",
          "unknown field 'decomitment_window' (did you mean 'decommitment_window'?)",
          "cofinancing, decommitment_window, eligibility, envelope, id")


def test_missing_region_group(tmp_path: Path) -> None:
    path, text = broken(tmp_path, ", group: east,", ",")
    check(only(path), path, line_of(text, "id: eastern_partnership"), "regions[1].group",
          "required field missing", "south, east, south_east or other")


def test_missing_instrument_envelope(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    envelope: 20\n", "")
    check(only(path), path, line_of(text, "id: enpi"), "instruments[1].envelope",
          "required field missing", "{total, profile}")


def test_missing_section(tmp_path: Path) -> None:
    text = BASE[: BASE.index("priorities:")] + BASE[BASE.index("match_sources:"):]
    problems = problems_in(write(tmp_path, text))
    missing = [p for p in problems if p.path == "priorities"]
    assert len(missing) == 1
    check(missing[0], tmp_path / "scenario.yaml", line_of(text, "name: tutorial"), "priorities",
          "required field missing", "a list of entries, each with id, pillar")
    # the references to priorities cannot be checked against anything, and are not reported as unknown
    assert not any("unknown priority" in p.message for p in problems)


def test_string_for_a_number(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "envelope: 20", "envelope: twenty")
    check(only(path), path, line_of(text, "twenty"), "instruments[1].envelope", "must be a number", "'twenty'")


def test_string_for_a_share(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "max_eu_share: 0.8", "max_eu_share: high")
    check(only(path), path, line_of(text, "high"), "instruments[0].cofinancing.max_eu_share",
          "expected a number", "share above 0, at most 1", "got 'high'")


def test_empty_value_for_a_number(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "envelope: 20", "envelope:")
    check(only(path), path, line_of(text, "    envelope:", whole=True), "instruments[1].envelope",
          "must be a number", "got nothing")


def test_boolean_for_a_number(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "envelope: 20", "envelope: yes")
    check(only(path), path, line_of(text, "envelope: yes"), "instruments[1].envelope",
          "expected a number, got the boolean True", "yes/no/on/off")


def test_norway_problem_id_read_as_boolean(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "{id: legal,", "{id: no,")
    problems = problems_in(path)
    check(problems[0], path, line_of(text, "{id: no,"), "pillars[0].id", "expected text; got False",
          "quote the text: 'no'")


def test_invalid_id(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "{id: remittances,", "{id: 2remittances,")
    p = problems_in(path)[0]
    check(p, path, line_of(text, "2remittances"), "priorities[2].id", "not a valid id",
          "starts with a letter", "got '2remittances'")


def test_text_instead_of_a_list(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "{priorities: [mobility, return]}", "{regions: north_africa}")
    check(only(path), path, line_of(text, "eligibility"), "instruments[1].eligibility.regions",
          "expected a list; got 'north_africa'", "write [north_africa]")


def test_choice_not_among_literals(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "  basis: eu\n  capacity:", "  basis: EU\n  capacity:")
    check(only(path), path, line_of(text, "basis: EU"), "absorption.basis",
          "unknown choice 'EU'", "valid choices are: eu, total")


def test_null_section_entry(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "  - {id: irregular, name: Irregular migration and return}\n", "  -\n")
    problems = problems_in(path)
    check(problems[0], path, line_of(text, "  -", whole=True), "pillars[1]", "expected a mapping with fields",
          "id, name",
          "got nothing")


# ---- numbers out of range ------------------------------------------------------------------------------
def test_negative_envelope(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "envelope: 20", "envelope: -5")
    check(only(path), path, line_of(text, "-5"), "instruments[1].envelope", "≥ 0", "EUR million", "got -5")


@pytest.mark.parametrize(("value", "rule"), [("0", "must be > 0"), ("1.5", "must be ≤ 1"), ("-0.2", "must be > 0")])
def test_max_eu_share_out_of_range(tmp_path: Path, value: str, rule: str) -> None:
    path, text = broken(tmp_path, "max_eu_share: 0.8", f"max_eu_share: {value}")
    check(only(path), path, line_of(text, "max_eu_share"), "instruments[0].cofinancing.max_eu_share",
          rule, "share above 0, at most 1", f"got {value}")


def test_pillar_balance_share_above_one(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "max_share: 0.25", "max_share: 25")
    check(only(path), path, line_of(text, "max_share"), "rules.pillar_balance[0].max_share",
          "must be ≤ 1", "share between 0 and 1", "got 25")


def test_min_share_above_max_share(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "max_share: 0.25", "min_share: 0.5, max_share: 0.25")
    check(only(path), path, line_of(text, "min_share"), "rules.pillar_balance[0].max_share",
          "max_share (0.25) is below min_share (0.5)")


def test_neither_min_nor_max(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "{pillar: development, max_share: 0.25}", "{pillar: development}")
    check(only(path), path, line_of(text, "{pillar: development}"), "rules.pillar_balance[0]",
          "give min_share, max_share or both")


def test_decommitment_window_too_long(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    envelope: 20\n", "    envelope: 20\n    decommitment_window: 20\n")
    check(only(path), path, line_of(text, "decommitment_window"), "instruments[1].decommitment_window",
          "must be ≤ 10", "got 20")


# ---- references to declared ids ----------------------------------------------------------------------
def test_unknown_region_in_eligibility(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "{priorities: [mobility, return]}", "{regions: [north_africa, eastern_partnershp]}")
    check(only(path), path, line_of(text, "eastern_partnershp"), "instruments[1].eligibility.regions[1]",
          "unknown region 'eastern_partnershp' (did you mean 'eastern_partnership'?)",
          "valid regions are: eastern_partnership, north_africa")


def test_unknown_region_in_block_list_names_its_own_line(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    eligibility: {priorities: [mobility, return]}\n",
                        "    eligibility:\n      regions:\n        - north_africa\n        - atlantis\n")
    check(only(path), path, line_of(text, "atlantis"), "instruments[1].eligibility.regions[1]",
          "unknown region 'atlantis';", "valid regions are: eastern_partnership, north_africa")


def test_unknown_region_group(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "{priorities: [mobility, return]}", "{region_groups: [souht]}")
    check(only(path), path, line_of(text, "souht"), "instruments[1].eligibility.region_groups[0]",
          "unknown region group 'souht' (did you mean 'south'?)", "valid region groups are: east, south")


def test_unknown_pillar_in_priority(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "pillar: irregular,", "pillar: irregullar,")
    check(only(path), path, line_of(text, "irregullar"), "priorities[1].pillar",
          "unknown pillar 'irregullar' (did you mean 'irregular'?)",
          "valid pillars are: development, irregular, legal")


def test_unknown_priority_plural_is_spelled_right(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "{priorities: [mobility, return]}", "{priorities: [mobility, retrun]}")
    check(only(path), path, line_of(text, "retrun"), "instruments[1].eligibility.priorities[1]",
          "unknown priority 'retrun' (did you mean 'return'?)", "valid priorities are: mobility, remittances, return")


def test_unknown_match_source_in_cofinancing(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "match_source: member_states", "match_source: member_state")
    check(only(path), path, line_of(text, "member_state}"), "instruments[0].cofinancing.match_source",
          "unknown match source 'member_state' (did you mean 'member_states'?)",
          "valid match sources are: member_states")


def test_unknown_region_as_mapping_key(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    north_africa: {value: 25", "    north_afrika: {value: 25")
    check(only(path), path, line_of(text, "north_afrika"), "absorption.capacity.north_afrika",
          "unknown region 'north_afrika' (did you mean 'north_africa'?)")


def test_duplicate_ids(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "  - {id: return, name: Vol", "  - {id: mobility, name: Vol")
    problems = problems_in(path)
    check(problems[0], path, line_of(text, "{id: mobility, name: Vol"), "priorities[1].id",
          "the id 'mobility' is declared twice in priorities",
          f"first as priorities[0], line {line_of(text, '{id: mobility, name: Mob')}", "ids must be unique")
    # the id that vanished is, consistently, unknown where it is still used
    assert [p.path for p in problems[1:]] == ["instruments[1].eligibility.priorities[1]",
                                              "objective.impact.weights.cells[1].priority"]


# ---- years ---------------------------------------------------------------------------------------------
def test_years_not_consecutive(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "years: [2009, 2010]", "years: [2009, 2011]")
    problems = problems_in(path)
    check(problems[0], path, line_of(text, "years:"), "years", "years must be consecutive",
          "got [2009, 2011]", "missing 2010")


def test_years_repeated(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "years: [2009, 2010]", "years: [2009, 2010, 2010]")
    check(problems_in(path)[0], path, line_of(text, "years:"), "years", "without repeats",
          "got [2009, 2010, 2010]", "2010 repeated")


def test_envelope_for_a_year_outside_the_scenario(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    envelope: {2009: 10, 2010: 10}\n",
                        "    envelope:\n      2009: 10\n      2010: 5\n      2011: 5\n")
    check(only(path), path, line_of(text, "2011: 5"), "instruments[0].envelope[2011]",
          "year 2011 is not a scenario year", "the years are 2009, 2010")


def test_envelope_year_key_not_a_year(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "{2009: 10, 2010: 10}", "{2009: 10, y2010: 10}")
    check(only(path), path, line_of(text, "y2010"), "instruments[0].envelope.y2010",
          "expected a year as key, got 'y2010'", "the scenario years are 2009, 2010")


def test_envelope_total_profile_not_summing_to_one(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "{2009: 10, 2010: 10}", "{total: 20, profile: {2009: 0.5, 2010: 0.6}}")
    check(only(path), path, line_of(text, "total: 20"), "instruments[0].envelope.profile",
          "must sum to 1, it sums to 1.1", "0.5 + 0.6")


def test_envelope_total_gathers_all_its_problems(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    envelope: {2009: 10, 2010: 10}\n",
                        "    envelope:\n      total: -20\n      profil: {2009: 1}\n")
    problems = problems_in(path)
    assert [(p.line, p.path) for p in problems] == [
        (line_of(text, "    envelope:", whole=True), "instruments[0].envelope"),
        (line_of(text, "total: -20"), "instruments[0].envelope.total"),
        (line_of(text, "profil:"), "instruments[0].envelope.profil"),
    ]
    assert "needs its profile" in problems[0].message
    assert "got -20" in problems[1].message
    assert "unknown field 'profil' (did you mean 'profile'?)" in problems[2].message


def test_cap_for_a_year_outside_the_scenario(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "  pillar_balance:\n",
                        "  caps:\n    - {id: early, years: [2009, 2012], max: 5}\n  pillar_balance:\n")
    check(only(path), path, line_of(text, "id: early"), "rules.caps[0].years[1]",
          "year 2012 is not a scenario year", "the years are 2009, 2010")


# ---- instruments ---------------------------------------------------------------------------------------
def test_payment_profile_not_summing_to_one(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    envelope: 20\n", "    envelope: 20\n    payment_profile: [0.5, 0.4]\n")
    check(only(path), path, line_of(text, "payment_profile"), "instruments[1].payment_profile",
          "must sum to 1", "[0.5, 0.4] sums to 0.9")


def test_payment_profile_longer_than_decommitment_window(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    envelope: 20\n",
                        "    envelope: 20\n    decommitment_window: 1\n    payment_profile: [0.4, 0.3, 0.3]\n")
    check(only(path), path, line_of(text, "payment_profile"), "instruments[1].payment_profile",
          "pays over 3 years", "n+1", "at most 2 years", "widen decommitment_window (now 1)")


def test_payment_profile_problems_reported_together(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    envelope: 20\n", "    envelope: 20\n    payment_profile: [0.2, 0.2, 0.2, 0.2]\n")
    problems = problems_in(path)
    assert len(problems) == 2
    where = (line_of(text, "payment_profile"), "instruments[1].payment_profile")
    assert {(p.line, p.path) for p in problems} == {where}
    assert "sums to 0.8" in problems[0].message and "pays over 4 years" in problems[1].message


def test_usable_share_and_usable_amount_both_given(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    envelope: 20\n",
                        "    envelope: 20\n    usable_share: 0.5\n    usable_amount: 8\n")
    check(only(path), path, line_of(text, "usable_amount"), "instruments[1].usable_amount",
          "give usable_share or usable_amount, not both", "usable_share is 0.5", "usable_amount is 8")


def test_capacity_per_region_without_per_region(tmp_path: Path) -> None:
    path, text = broken(tmp_path, 'capacity: {value: 100, assumption: "generous on purpose, so that it never '
                                  'binds in the tutorial"}', "capacity: {north_africa: 10, eastern_partnership: 5}")
    check(only(path), path, line_of(text, "north_africa: 10"), "match_sources[0].capacity",
          "capacity is given per region (north_africa, eastern_partnership) but per_region is false",
          "set per_region: true")


def test_capacity_per_region_unknown_region(tmp_path: Path) -> None:
    path, text = broken(tmp_path, 'capacity: {value: 100, assumption: "generous on purpose, so that it never '
                                  'binds in the tutorial"}',
                        "per_region: true\n    capacity:\n      north_africa: 10\n      eastern_partner: 5")
    check(only(path), path, line_of(text, "eastern_partner:"), "match_sources[0].capacity.eastern_partner",
          "unknown region 'eastern_partner' (did you mean 'eastern_partnership'?)")


# ---- provenance --------------------------------------------------------------------------------------
def test_provenance_with_misspelt_key(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "north_africa: {value: 25, assumption: limited", "north_africa: {value: 3, sorce: x")
    text = text.replace("sorce: x administrative capacity (16041/08 §8)}", "sorce: x}")
    write(tmp_path, text)
    check(only(path), path, line_of(text, "sorce"), "absorption.capacity.north_africa.sorce",
          "unknown key 'sorce' (did you mean 'source'?) in a number with provenance",
          "valid keys are: assumption, note, source, value", "{value: <number>, source: <text>}")


def test_provenance_without_value(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "envelope: 20", "envelope: {amount: 20, source: budget line 19 02}")
    problems = problems_in(path)
    assert [p.path for p in problems] == ["instruments[1].envelope", "instruments[1].envelope.amount"]
    assert all(p.line == line_of(text, "amount: 20") for p in problems)
    check(problems[0], path, line_of(text, "amount: 20"), "instruments[1].envelope",
          "needs its value", "got the keys amount, source")
    check(problems[1], path, line_of(text, "amount: 20"), "instruments[1].envelope.amount",
          "unknown key 'amount'")


# ---- objective -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("slopes", "breakpoints", "words"), [
    ("[1, 2]", "[10]", "slopes must not increase (returns diminish), got [1, 2]"),
    ("[1, 0.5]", "[10, 20]", "2 breakpoints [10, 20] need 3 slopes, got 2 [1, 0.5]"),
])
def test_diminishing_returns(tmp_path: Path, slopes: str, breakpoints: str, words: str) -> None:
    path, text = broken(tmp_path, "    basis: eu\n    weights:",
                        f"    basis: eu\n    diminishing_returns: {{breakpoints: {breakpoints}, slopes: {slopes}}}\n"
                        "    weights:")
    check(only(path), path, line_of(text, "diminishing_returns"), "objective.impact.diminishing_returns.slopes",
          words)


def test_breakpoints_not_increasing(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "    basis: eu\n    weights:",
                        "    basis: eu\n    diminishing_returns:\n      breakpoints: [20, 10]\n"
                        "      slopes: [1, 0.5, 0.2]\n    weights:")
    check(only(path), path, line_of(text, "breakpoints"), "objective.impact.diminishing_returns.breakpoints",
          "breakpoints must increase, got [20, 10]")


def test_focus_rule_without_regions(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "  pillar_balance:\n",
                        "  geographic_focus:\n    - {min_share: 0.3}\n  pillar_balance:\n")
    check(only(path), path, line_of(text, "min_share: 0.3"), "rules.geographic_focus[0]",
          "name the region_groups (or regions) the focus rule is about")


@pytest.mark.parametrize("objective", ["objective: {}\n", "objective:\n  note: nothing to maximise\n"])
def test_objective_without_term(tmp_path: Path, objective: str) -> None:
    text = BASE[: BASE.index("objective:")] + objective
    path = write(tmp_path, text)
    check(only(path), path, line_of(text, "objective:"), "objective",
          "give at least one objective term: impact, leverage or goals")


def test_goals_without_targets(tmp_path: Path) -> None:
    text = BASE[: BASE.index("objective:")] + "objective:\n  goals: {targets: []}\n"
    path = write(tmp_path, text)
    check(only(path), path, line_of(text, "goals:"), "objective.goals.targets", "give at least 1 entry",
          "got an empty list")


# ---- extends ---------------------------------------------------------------------------------------------
def test_extends_a_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "name: child\nextends: ../nowhere/base.yaml\n", "child.yaml")
    check(only(path), path, 2, "extends", "the base file '../nowhere/base.yaml' does not exist",
          "relative to this file")


def test_extends_in_a_circle(tmp_path: Path) -> None:
    a = write(tmp_path, "extends: b.yaml\nname: a\n", "a.yaml")
    b = write(tmp_path, "name: b\n\nextends: a.yaml\n", "b.yaml")
    check(only(a), b, 3, "extends", "files extend each other in a circle: a.yaml → b.yaml → a.yaml")


def test_extends_itself(tmp_path: Path) -> None:
    a = write(tmp_path, "extends: a.yaml\nname: a\n", "a.yaml")
    check(only(a), a, 1, "extends", "a circle: a.yaml → a.yaml")


def test_extends_not_a_path(tmp_path: Path) -> None:
    path = write(tmp_path, "name: child\nextends: [a.yaml, b.yaml]\n", "child.yaml")
    check(only(path), path, 2, "extends", "the path of one base scenario file", "['a.yaml', 'b.yaml']")


def test_problem_in_extending_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, BASE, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nname: child\ninstruments:\n  - id: enpi\n    envelope: -3\n",
                  "child.yaml")
    check(only(child), child, 5, "instruments[1].envelope", "got -3")


def test_new_entry_in_extending_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, BASE, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\ninstruments:\n  - id: new_fund\n    name: New\n", "child.yaml")
    check(only(child), child, 3, "instruments[2].envelope", "required field missing")


def test_problem_from_base_file_names_the_base(tmp_path: Path) -> None:
    text = edit("max_eu_share: 0.8", "max_eu_share: 1.8")
    base = write(tmp_path, text, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nname: child\n", "child.yaml")
    check(only(child), base, line_of(text, "max_eu_share"), "instruments[0].cofinancing.max_eu_share",
          "must be ≤ 1", "got 1.8")


def test_problems_from_both_files_reported_together(tmp_path: Path) -> None:
    text = edit("pillar: legal,", "pillar: legl,")
    base = write(tmp_path, text, "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nname: child\nyears: [2009, 2010]\nrules:\n  pillar_balance:\n"
                            "    - {pillar: development, max_share: 2}\n", "child.yaml")
    first, second = problems_in(child)
    check(first, child, 6, "rules.pillar_balance[0].max_share", "must be ≤ 1", "got 2")
    check(second, base, line_of(text, "legl"), "priorities[0].pillar", "unknown pillar 'legl' (did you mean 'legal'?)")


def test_syntax_error_in_base_names_the_base(tmp_path: Path) -> None:
    base = write(tmp_path, "name: [unclosed\n", "base.yaml")
    child = write(tmp_path, "extends: base.yaml\n", "child.yaml")
    assert only(child).file == str(base)


# ---- TOML ----------------------------------------------------------------------------------------------
TOML = """\
name = "toml tutorial"
years = [2009, 2010]

[[pillars]]
id = "legal"

[[regions]]
id = "north_africa"
group = "south"

[[priorities]]
id = "mobility"
pillar = "legal"

[[match_sources]]
id = "member_states"
capacity = 50

[[instruments]]
id = "tpma"
envelope = 10

[instruments.cofinancing]
max_eu_share = 0.8
match_source = "member_states"

[[instruments]]
id = "enpi"
envelope = 20
"""


def test_toml_is_valid() -> None:
    assert len(fs.scenario_from_dict(__import__("tomllib").loads(TOML)).instruments) == 2


def test_toml_wrong_type(tmp_path: Path) -> None:
    text = TOML.replace("max_eu_share = 0.8", 'max_eu_share = "high"')
    path = write(tmp_path, text, "scenario.toml")
    # tomllib gives no lines; they are found again in the text, best effort (the contract allows None)
    check(only(path), path, line_of(text, "max_eu_share"), "instruments[0].cofinancing.max_eu_share",
          "expected a number", "got 'high'")


def test_toml_several_problems_in_array_of_tables(tmp_path: Path) -> None:
    text = TOML.replace('pillar = "legal"', 'pillar = "legl"').replace("envelope = 20", "envelope = -20")
    path = write(tmp_path, text, "scenario.toml")
    first, second = problems_in(path)
    check(first, path, line_of(text, "legl"), "priorities[0].pillar", "unknown pillar 'legl'")
    check(second, path, line_of(text, "-20"), "instruments[1].envelope", "got -20")


def test_toml_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "t"\nyears = [2009, 2010\n[[pillars]]\n', "scenario.toml")
    p = only(path)
    assert (p.file, p.path) == (str(path), "") and p.line is not None and "not valid TOML" in p.message


# ---- all at once -----------------------------------------------------------------------------------------
def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = edit("description:", "descripton:")
    text = edit("pillar: development, source", "pillar: developement, source", text)
    text = edit("envelope: 20", "envelope: -5", text)
    text = edit("max_eu_share: 0.8", "max_eu_share: 1.5", text)
    text = edit("    north_africa: {value: 25", "    north_afrika: {value: 25", text)
    text = edit("{pillar: development, max_share: 0.25}", "{pillar: development, min_share: 0.5, max_share: 0.25}",
                text)
    text = edit("weight: 3.0", "weight: -3.0", text)
    path = write(tmp_path, text)
    problems = problems_in(path)
    assert len(problems) == 7, "\n".join(map(str, problems))
    assert [(p.line, p.path) for p in problems] == [  # in file order
        (line_of(text, "descripton"), "descripton"),
        (line_of(text, "developement"), "priorities[2].pillar"),
        (line_of(text, "max_eu_share: 1.5"), "instruments[0].cofinancing.max_eu_share"),
        (line_of(text, "-5"), "instruments[1].envelope"),
        (line_of(text, "north_afrika"), "absorption.capacity.north_afrika"),
        (line_of(text, "min_share"), "rules.pillar_balance[0].max_share"),
        (line_of(text, "-3.0"), "objective.impact.weights.cells[0].weight"),
    ]
    error = ScenarioError(problems)
    assert str(error).startswith("7 problems in the scenario:\n  - ")


# ---- every field broken in turn --------------------------------------------------------------------------
JUNK = (None, "x", -1, 1.5e300, True, [], [1, "a"], {"a": 1}, {"value": 1, "sorce": "y"}, float("nan"), 2009, "")


def _leaf_paths(data: object, path: tuple = ()) -> list[tuple]:
    out = [path] if path else []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for k, v in items:
        out.extend(_leaf_paths(v, (*path, k)))
    return out


def test_any_field_broken_gives_clean_problems(tmp_path: Path) -> None:
    """Each value of the base replaced by junk (two kinds each, in turn): never a traceback, never pydantic's
    own wording, always a line number for a YAML file."""
    import copy

    import yaml

    base = yaml.safe_load(BASE)
    paths = _leaf_paths(base)
    assert len(paths) > 100
    for n, path in enumerate(paths):
        for junk in (JUNK[n % len(JUNK)], JUNK[(3 * n + 5) % len(JUNK)]):
            data = copy.deepcopy(base)
            parent = data
            for k in path[:-1]:
                parent = parent[k]
            parent[path[-1]] = junk
            file = write(tmp_path, yaml.safe_dump(data, allow_unicode=True))
            try:
                load_scenario(file)
            except ScenarioError as exc:
                for p in exc.problems:
                    text = f"{p.path} {p.message}"
                    assert p.line is not None and not any(leak in text for leak in LEAKS), (path, junk, str(p))


# ---- the exception itself ----------------------------------------------------------------------------------
def test_problem_text_is_file_line_path_message(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "envelope: 20", "envelope: -5")
    p = only(path)
    assert str(p) == f"{path}:{line_of(text, '-5')}: instruments[1].envelope: {p.message}"


def test_scenario_error_survives_pickling(tmp_path: Path) -> None:
    path, _ = broken(tmp_path, "envelope: 20", "envelope: -5\n    nme: x")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    error = info.value
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ScenarioError and isinstance(copy, ValueError) and isinstance(copy, fs.FundsimError)
    assert copy.problems == error.problems and len(copy.problems) == 2
    assert str(copy) == str(error)


def test_scenario_from_dict_reports_paths_without_file() -> None:
    import yaml

    data = yaml.safe_load(edit("envelope: 20", "envelope: -5"))
    with pytest.raises(ScenarioError) as info:
        fs.scenario_from_dict(data)
    (p,) = info.value.problems
    assert (p.file, p.line, p.path) == (None, None, "instruments[1].envelope")
    assert str(p).startswith("<scenario>: instruments[1].envelope: ")


def test_scenario_from_dict_not_a_mapping() -> None:
    with pytest.raises(ScenarioError, match="a scenario is a mapping of sections"):
        fs.scenario_from_dict(["name", "years"])  # type: ignore[arg-type]


# ---- the command line ------------------------------------------------------------------------------------
def test_cli_validate_reports_problems_and_exits_2(tmp_path: Path) -> None:
    typer_testing = pytest.importorskip("typer.testing")
    cli = pytest.importorskip("fundsim.cli")
    path, text = broken(tmp_path, "envelope: 20", "envelope: -5")
    text = edit("pillar: legal,", "pillar: legl,", text)
    write(tmp_path, text)
    result = typer_testing.CliRunner().invoke(cli.app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    output = result.output
    assert "Traceback" not in output
    assert f"{path}:{line_of(text, '-5')}: instruments[1].envelope: the amount must be" in output
    assert f"{path}:{line_of(text, 'legl')}: priorities[0].pillar: unknown pillar 'legl'" in output
    assert "2 problems" in output


def test_cli_validate_missing_file_exits_2(tmp_path: Path) -> None:
    typer_testing = pytest.importorskip("typer.testing")
    cli = pytest.importorskip("fundsim.cli")
    result = typer_testing.CliRunner().invoke(cli.app, ["validate", str(tmp_path / "nowhere.yaml")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "no such file" in result.output


def test_an_unknown_key_with_a_hyphen_is_named(tmp_path: Path) -> None:
    """``bb-cc`` looks like one of pydantic's internal step names; it is the user's key and is named as such."""
    path = tmp_path / "odd.yaml"
    path.write_text("a: {x: 1}\nbb-cc: {y: 1}\n")
    with pytest.raises(fs.ScenarioError) as err:
        fs.load_scenario(path)
    assert "bb-cc: unknown field 'bb-cc'" in str(err.value)
