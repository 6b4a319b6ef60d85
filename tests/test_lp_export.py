"""MPS and LP export: files that a fresh HiGHS reads back to the same optimum, with the rule and labels
in every name, legal in each format and unique."""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pytest

import fundsim as fs
from fundsim.rules.program import Entries, Header, LinearProgram, ProgramBuilder
from fundsim.solvers import HighsSolver, names, write_program
from fundsim.solvers.export import _LP_UNSAFE, LP_NAME_LENGTH

ROOT = Path(__file__).resolve().parents[1]


def read_back(path: Path) -> highspy.Highs:
    """A fresh HiGHS with ``path`` read and solved."""
    HighsSolver.is_available()  # the first Highs() of a process prints a banner: let fundsim make it, muted
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h


def names_in(h: highspy.Highs) -> tuple[list[str], list[str]]:
    return ([h.getColName(j)[1] for j in range(h.getNumCol())], [h.getRowName(i)[1] for i in range(h.getNumRow())])


@pytest.fixture(scope="module", params=["tutorial", "gam-2008"])
def program(request: pytest.FixtureRequest) -> LinearProgram:
    return fs.assemble(fs.load_scenario(ROOT / "scenarios" / f"{request.param}.yaml"))


@pytest.mark.parametrize("fmt", ["mps", "lp"])
def test_written_files_read_back_to_the_same_optimum(program: LinearProgram, fmt: str, tmp_path: Path) -> None:
    path = write_program(program, tmp_path / f"model.{fmt}")
    h = read_back(path)
    expected = HighsSolver().solve(program).objective
    assert h.getInfo().objective_function_value == pytest.approx(expected, rel=1e-9)
    assert h.getObjectiveSense()[1] == highspy.ObjSense.kMaximize
    assert (h.getNumCol(), h.getNumRow()) == (program.num_col, program.num_row)
    cols, rows = names(program, fmt)
    read_cols, read_rows = names_in(h)
    assert read_rows == rows  # every name survives the round trip unchanged
    if fmt == "mps":
        assert read_cols == cols
    else:  # an LP file lists columns as they first appear: same names and costs, in another order
        cost = dict(zip(read_cols, h.getLp().col_cost_, strict=True))
        assert cost == dict(zip(cols, program.c, strict=True))


def test_names_carry_the_rule_and_the_labels(tmp_path: Path) -> None:
    lp = fs.assemble(fs.load_scenario(ROOT / "scenarios" / "gam-2008.yaml"))
    mps = write_program(lp, tmp_path / "reference.mps").read_text()
    text = write_program(lp, tmp_path / "reference.lp").read_text()
    assert "eu[tpma,labour_mobility,north_africa_rest,2009]" in mps
    assert "absorption[north_africa,2009]" in mps and "priority_limits[border_management]" in mps
    assert "eu(tpma,labour_mobility,north_africa_rest,2009)" in text
    assert "absorption(north_africa,2009):" in text  # an LP row is "name: terms <= bound"
    cols, rows = names(lp)
    assert len(set(cols)) == lp.num_col and len(set(rows)) == lp.num_row
    block = lp.constraints["absorption"]
    assert all(r.startswith("absorption[") for r in rows[block.start:block.stop])


def test_offset_ranges_and_integers_survive(tmp_path: Path) -> None:
    """max 5a + 4b + 7 with a ranged row and integer columns: integer optimum 27 (LP relaxation 28)."""
    b = ProgramBuilder(sense="max")
    b.add_variables(Header("n", ("item",), (("a", "b"),)), 2, cost=np.array([5.0, 4.0]))
    b.add_constraints(Header("capacity", ("resource",), (("wood", "labour"),)),
                      Entries(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([6.0, 4.0, 1.0, 2.0])),
                      np.array([1.0, -np.inf]), np.array([24.0, 6.0]), kind="range")
    lp = b.build()
    lp.offset = 7.0
    assert HighsSolver().solve(lp).objective == pytest.approx(28.0)
    lp.integrality = np.array([1, 1], np.int32)
    for fmt in ("mps", "lp"):
        h = read_back(write_program(lp, tmp_path / f"milp.{fmt}"))
        assert h.getInfo().objective_function_value == pytest.approx(27.0)
        assert list(h.getSolution().col_value) == pytest.approx([4.0, 0.0])
        assert h.getLp().row_lower_[0] == 1.0  # the range's lower side is kept


def test_awkward_labels_are_made_legal_and_unique(tmp_path: Path) -> None:
    """Spaces, hyphens, brackets, a leading digit, labels that collide once sanitised, and an overlong name."""
    labels = ("north africa", "a-b", "a_b", "x[1]", "9lives", "é", "L" * 300)
    b = ProgramBuilder(sense="min")
    b.add_variables(Header("flow", ("label",), (labels,)), len(labels), lower=1.0, cost=1.0)
    n = len(labels)
    b.add_constraints(Header("2nd rule", ("label",), (labels,)), Entries(np.arange(n), np.arange(n), np.ones(n)),
                      np.full(n, 2.0), np.full(n, np.inf), kind="ge")
    lp = b.build()
    cols, rows = names(lp, "mps")
    assert cols[0] == "flow[north_africa]" and rows[1] == "2nd_rule[a-b]"
    lp_cols, lp_rows = names(lp, "lp")
    assert lp_cols[:4] == ["flow(north_africa)", "flow(a_b)", "flow(a_b)#2", "flow(x(1))"]
    assert lp_rows[0] == "_2nd_rule(north_africa)"  # an LP name may not start with a digit
    for name in lp_cols + lp_rows:
        assert not _LP_UNSAFE.search(name) and len(name) <= LP_NAME_LENGTH
    assert len(set(lp_cols)) == n and len(set(lp_rows)) == n
    for fmt in ("mps", "lp"):
        h = read_back(write_program(lp, tmp_path / f"awkward.{fmt}"))
        assert h.getInfo().objective_function_value == pytest.approx(2.0 * n)
        assert sorted(names_in(h)[0]) == sorted(names(lp, fmt)[0]) and names_in(h)[1] == names(lp, fmt)[1]


def test_columns_and_rows_outside_every_block_get_plain_names() -> None:
    lp = fs.assemble(fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml"))
    lp.variables, lp.constraints = {}, {}
    cols, rows = names(lp)
    assert cols[:2] == ["c0", "c1"] and rows[-1] == f"r{lp.num_row - 1}"


def test_bad_paths_and_formats_are_explained(tmp_path: Path) -> None:
    lp = fs.assemble(fs.load_scenario(ROOT / "scenarios" / "tutorial.yaml"))
    with pytest.raises(ValueError, match=r"cannot write '.*model\.txt': the file name must end in \.mps or \.lp "
                                         r"\(got '\.txt'\)"):
        write_program(lp, tmp_path / "model.txt")
    with pytest.raises(ValueError, match="got 'no suffix'"):
        write_program(lp, tmp_path / "model")
    with pytest.raises(ValueError, match="unknown format 'xml'; the formats are: mps, lp"):
        names(lp, "xml")
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(fs.FundsimError, match="a-file is a file, not a folder"):
        write_program(lp, tmp_path / "a-file" / "model.mps")
