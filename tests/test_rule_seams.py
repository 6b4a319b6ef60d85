"""A rule family is declared once: a toy family registered from this file, without editing fundsim/, gets its
rows, a labelled dual, ranging, a binding frequency in Monte Carlo, its violation in compare and its repair in
diagnose; and no module outside fundsim/rules/ branches on a family's name.

The toy family: "no instrument above x % of a region's EU money",
``Σ_{p,y} eu[i,p,r,y] ≤ x·Σ_{i',p,y} eu[i',p,r,y]`` — a share whose base is a region's money, not all EU money,
the case that gave wrong duals and ranging when the base was assumed to be ``E``.

Hand-solved on scenarios/tutorial.yaml with ENPI held to 50 % of North Africa's EU money (see the comments of
``test_the_toy_rule_plans_as_worked_by_hand``): objective 125 (130 without the rule), North Africa receives 40
(TPMA 20, ENPI 20), the row's price is 1 per EUR m of relaxation, 0.01 · 40 = 0.4 per percentage point.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import numpy as np
import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field

import fundsim as fs
from fundsim.comparison import compare
from fundsim.diagnose import diagnose
from fundsim.diagnose.repairs import apply_repairs
from fundsim.model import Limit
from fundsim.montecarlo.summaries import binding_frequency
from fundsim.rules import Plan, Repair, Rows, RuleFamily, Violation, families, register, registered
from fundsim.rules.checking import Rule
from fundsim.rules.family import Assembly
from fundsim.rules.shares import share_rows
from fundsim.testing import assert_allocation_feasible, violations

ROOT = Path(__file__).resolve().parents[1]
NAME = "instrument_region_share"


class ToyEntry(BaseModel):
    """One entry of the toy family under ``rules:`` in a scenario file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    instrument: str
    region: str
    max_share: Annotated[float, Field(gt=0, le=1)]


TOY_ROWS = Rows(NAME, ("toy_rule",), "objective gained per percentage point the instrument's maximum share of the "
                "region's EU money is raised", long_name="maximum share of an instrument in a region's EU money",
                share_of="the region's EU money",
                repair=Repair("the maximum share of {toy_rule!r}", section=NAME, dim="toy_rule", lower="max_share",
                              upper="max_share"))


def define_toy(a: Assembly) -> None:
    """``Σ_{p,y} eu[i,p,r,y] - x·Σ_{i',p,y} eu[i',p,r,y] ≤ 0`` per entry (instrument i, region r, share x)."""
    entries = a.sc.rules.of(NAME)
    if not entries:
        return
    sc, cells = a.sc, a.cells
    ins = np.array([sc.instrument_ids.index(e.instrument) for e in entries])
    reg = np.array([sc.region_ids.index(e.region) for e in entries])
    members = (cells.i[None, :] == ins[:, None]) & (cells.r[None, :] == reg[:, None])
    g, c = np.nonzero(cells.r[None, :] == reg[:, None])
    share_rows(a, TOY_ROWS, tuple(e.id for e in entries), members, [e.max_share for e in entries], "le",
               base=(g, cells.col[c], np.ones(len(g))))


def check_toy(plan: Plan) -> list[Violation]:
    """The instrument's money in the region over the period is at most ``x`` of the region's EU money."""
    sc, found = plan.sc, []
    for e in plan.sc.rules.of(NAME):
        i, r = sc.instrument_ids.index(e.instrument), sc.region_ids.index(e.region)
        found += plan.outside_share(Rule(NAME, "instrument share", {"toy_rule": e.id}),
                                    f"{e.instrument} in {e.region} gets", float(plan.eu[i, :, r].sum()),
                                    float(plan.eu[:, :, r].sum()), (None, e.max_share), of="the region's EU money")
    return found


TOY = RuleFamily(NAME, (TOY_ROWS,), define_toy, check_toy, order=500, entry=ToyEntry)


@pytest.fixture
def toy() -> Iterator[RuleFamily]:
    with registered(TOY) as family:
        yield family


def _scenario(tmp_path: Path, share: float, name: str = "tutorial-uncertain.yaml") -> Path:
    """The tutorial (or its uncertain variant) in a folder of its own, with ENPI ≤ ``share`` of North Africa."""
    for f in ("tutorial.yaml", "tutorial-uncertain.yaml"):
        shutil.copy(ROOT / "scenarios" / f, tmp_path / f)
    path = tmp_path / name
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw.setdefault("rules", {})[NAME] = [{"id": "enpi_na", "instrument": "enpi", "region": "north_africa",
                                          "max_share": share}]
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_the_toy_rule_plans_as_worked_by_hand(toy: RuleFamily, tmp_path: Path) -> None:
    # Without the rule: North Africa's 25 a year are full (remittances 15 at weight 3, return 35 at 2), ENPI sends
    # 35 of North Africa's 50 (70 %). With ENPI at most half of North Africa's money, TPMA's 20 all go there
    # (15 remittances, 5 return) and ENPI matches them: 20 to return, its other 20 to Eastern Partnership's
    # mobility (weight 1.5): 45 + 10 + 40 + 30 = 125. One EUR m more room in the row lets ENPI move 2 EUR m
    # (its own and the base it is a share of) from weight 1.5 to 2: a price of 1 per EUR m, 0.4 per point.
    sc = fs.load_scenario(_scenario(tmp_path, 0.5, "tutorial.yaml"))
    assert sc.rules.of(NAME)[0].max_share == 0.5
    alloc = fs.solve(sc)
    assert alloc.objective == pytest.approx(125.0)
    eu = alloc.data["eu"]
    assert float(eu.sel(region="north_africa").sum()) == pytest.approx(40.0)
    assert float(eu.sel(region="north_africa", instrument="enpi").sum()) == pytest.approx(20.0)
    lp = alloc.lp
    assert lp is not None and NAME in lp.constraints and lp.constraints[NAME].size == 1
    price = alloc.duals[NAME]
    assert price.attrs["units"] == "objective per percentage point"
    assert float(price.sel(toy_rule="enpi_na")) == pytest.approx(0.4)
    assert NAME in set(alloc.binding_rules()["rule"])
    assert_allocation_feasible(sc, alloc)


def test_the_toy_rule_is_ranged_as_a_share_of_its_own_base(toy: RuleFamily, tmp_path: Path) -> None:
    # by hand: the price 1 per EUR m holds while ENPI's North African money 20 + 2δ stays within [0, 30] (30: North
    # Africa's absorption, 25 a year, is full), δ in [-10, 5] EUR m of the row: shares 50 % + δ/40, [25 %, 62.5 %]
    alloc = fs.solve(fs.load_scenario(_scenario(tmp_path, 0.5, "tutorial.yaml")))
    low, value, high = alloc.ranging(exact=True)[NAME].sel(toy_rule="enpi_na").values.tolist()
    assert (low, value, high) == pytest.approx((25.0, 50.0, 62.5))
    assert alloc.ranging()[NAME].attrs["units"] == "%"


def test_the_toy_rule_has_its_binding_frequency_in_monte_carlo(toy: RuleFamily, tmp_path: Path) -> None:
    run = fs.simulate(fs.load_scenario(_scenario(tmp_path, 0.5)), draws=12, seed=3)
    shadow = run[f"shadow_price_{NAME}"]
    assert shadow.attrs["units"] == "objective per percentage point"
    binds = (np.abs(shadow.values) > 1e-7).any(axis=1)
    assert binds.sum() > 0
    freq = binding_frequency(run)
    row = freq[freq["rule"] == NAME]
    assert len(row) == 1
    optimal = run["status"].values == "optimal"
    assert float(row["binds_in"].iloc[0]) == pytest.approx(binds[optimal].mean())


def test_the_toy_rule_is_a_violation_in_compare(toy: RuleFamily, tmp_path: Path) -> None:
    loose = fs.load_scenario(_scenario(tmp_path, 0.9, "tutorial.yaml"))
    tight = loose.evolve(rules=loose.rules.__class__(**{**loose.rules.__dict__, "registered": (
        (NAME, (ToyEntry(id="enpi_na", instrument="enpi", region="north_africa", max_share=0.5),)),)}))
    plan = fs.solve(loose)  # ENPI sends 35 of North Africa's 50: 70 %, above 50 %
    found = [v for v in violations(tight, plan) if v.family == NAME]
    assert len(found) == 1
    v = found[0]
    assert (v.value, v.limit, v.size) == pytest.approx((35.0, 25.0, 10.0))
    assert v.unit == "EUR m"
    assert dict(v.labels) == {"toy_rule": "enpi_na"}
    table = compare(plan, scenario=tight).compliance
    mine = table[table["family"] == NAME]
    assert mine["size"].tolist() == pytest.approx([10.0])


def test_the_toy_rule_is_repaired_in_diagnose(toy: RuleFamily, tmp_path: Path) -> None:
    # ENPI at most 10 % of North Africa, and North Africa must get 45 over the period: TPMA gives at most 20, so
    # ENPI must give 25 of 45 at least, a share of 55.6 %; the least money moves when the share gives way there
    sc = fs.load_scenario(_scenario(tmp_path, 0.1, "tutorial.yaml"))
    tight = sc.evolve(rules=sc.rules.__class__(**{**sc.rules.__dict__, "region_limits": (
        Limit("north_africa", min=45.0),)}))
    d = diagnose(tight)
    repairs = [r for alt in d.repairs for r in alt if r.rule == NAME]
    assert repairs, d.repairs
    first = repairs[0]
    assert first.text.startswith("raise the maximum share of 'enpi_na' from 10 % to ")
    assert first.repaired == pytest.approx(25.0 / 45.0, abs=1e-6)
    fixed = apply_repairs(tight, [first])
    assert fixed.rules.of(NAME)[0].max_share == pytest.approx(25.0 / 45.0, abs=1e-6)
    assert fs.solve(fixed).data.attrs["status"] == "optimal"


def test_a_bad_toy_entry_is_a_located_error(toy: RuleFamily, tmp_path: Path) -> None:
    path = _scenario(tmp_path, 1.5, "tutorial.yaml")
    with pytest.raises(fs.ScenarioError) as err:
        fs.load_scenario(path)
    assert f"rules.{NAME}[0].max_share" in str(err.value)


def test_each_family_states_its_part_of_the_scenario_format_and_its_docs() -> None:
    doc = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    sections = [s for f in families() for s in f.sections]
    assert {s.key for s in sections} == {"pillar_balance", "geographic_focus", "region_limits", "priority_limits",
                                         "min_packages", "caps", "locks", "coordination", "conditions",
                                         "max_instruments_per_cell", "min_commitment", "admin_cost",
                                         "mobility_partnerships"}
    missing = [s.key for s in sections if s.doc not in doc]
    assert not missing, f"docs/scenario-format.md lacks the documented line of {missing}"
    from fundsim.scenario.schema import scenario_spec

    rules = scenario_spec().model_fields["rules"].annotation
    assert {s.key for s in sections} <= set(rules.model_fields)


def test_a_family_is_registered_once() -> None:
    with registered(TOY), pytest.raises(ValueError, match="already registered"):
        register(TOY)
    assert NAME not in [f.name for f in families()]


# ---- no module outside fundsim/rules/ branches on a family's name ---------------------------------------------
# the families' own package; and the scenario format and the synthetic scenarios, whose keys are the format's
# sections (``rules: caps:``), not branches on a family
SEAM_FREE = ("rules", "scenario", "examples")
NAMED = {"name", "rule", "family", "kind_of_rule"}


def _names() -> set[str]:
    """The row and column blocks the families write (their own names, such as ``impact`` or ``envelope``, are
    also words of the scenario format and of the objectives, so the blocks are what a branch on a family
    names)."""
    return {r.name for f in families() for r in f.rows} | {c.name for f in families() for c in f.columns}


def _subject(node: ast.expr) -> str | None:
    """The identifier a comparison is about: ``name``, ``block.name``, ``r.rule`` …"""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _strings(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Set | ast.Tuple | ast.List):
        return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    if isinstance(node, ast.Call) and _subject(node.func) == "frozenset" and node.args:
        return _strings(node.args[0])
    return set()


def branches_on_families(source: str, names: set[str]) -> list[str]:
    """``name == "impact_link"``, ``name in {...}`` and tables keyed by two or more family names."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            subjects = {_subject(s) for s in sides} & NAMED
            hits = set().union(*(_strings(s) for s in sides)) & names
            if subjects and hits:
                found.append(f"line {node.lineno}: compares {', '.join(sorted(subjects))} with {sorted(hits)}")
        elif isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            if len(keys & names) >= 2:
                found.append(f"line {node.lineno}: a table keyed by rule families {sorted(keys & names)}")
        elif isinstance(node, ast.Set | ast.Call) and len(_strings(node) & names) >= 3:
            found.append(f"line {node.lineno}: a set of rule families {sorted(_strings(node) & names)}")
    return found


def test_no_module_outside_the_families_branches_on_their_names() -> None:
    names = _names()
    bad = []
    for path in sorted((ROOT / "fundsim").rglob("*.py")):
        part = path.relative_to(ROOT / "fundsim").parts[0]
        if part in SEAM_FREE:
            continue
        bad += [f"{path.relative_to(ROOT)} {hit}" for hit in branches_on_families(path.read_text(encoding="utf-8"),
                                                                                  names)]
    assert not bad, "modules that branch on rule families' names:\n" + "\n".join(bad)


def test_the_seam_check_finds_what_it_looks_for() -> None:
    names = {"impact_link", "envelope", "caps", "min_package"}
    assert branches_on_families('if name == "impact_link": pass', names)
    assert branches_on_families('if block.name in {"envelope", "caps"}: pass', names)
    assert branches_on_families('T = {"envelope": 1, "caps": 2}', names)
    assert branches_on_families('R = frozenset({"envelope", "caps", "min_package"})', names)
    assert not branches_on_families('if parts[0] == "envelope": pass', names)  # a scenario path, not a family
    assert not branches_on_families('U = {"envelope": "EUR m per year", "payment_delay": "share"}', names)


def test_a_block_laid_out_with_an_integer_fill_keeps_its_fractions() -> None:
    from fundsim.rules.program import Block

    block = Block("x", ("cell",), (("a", "b", "c"),), 0, 2, positions=(np.array([0, 2]),))
    assert block.dense(np.array([1.025, 2.5]), fill=0).tolist() == [1.025, 0.0, 2.5]
