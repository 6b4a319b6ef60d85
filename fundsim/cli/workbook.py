"""``fundsim template``: a scenario workbook to plan in Excel (docs/excel.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from fundsim.cli.common import app, check_outputs, exit_codes, interruptible, load, wrote


@app.command(epilog=exit_codes(0, 2, 130))
@interruptible
def template(
    out_file: Path = typer.Argument(..., help="the workbook to write (.xlsx)"),
    from_file: Path = typer.Option(None, "--from", metavar="FILE",
                                   help="fill it from this scenario (.yaml, .yml, .toml or .xlsx); extends: is "
                                   "followed and flattened"),
) -> None:
    """Write a scenario workbook: one sheet per part of a scenario, units in the headers, lists of the ids,
    a notes column for source: and assumption: texts. Every command reads it as it reads a YAML file.

    Without --from the workbook is empty; with it, it holds the scenario (the merged tree: comments and the
    extends: structure are not kept). The file is written whole or not at all, never over the input.
    """
    from fundsim.scenario.extends import read_tree
    from fundsim.scenario.xlsx import write_workbook

    check_outputs([out_file], (".xlsx",), inputs=[from_file] if from_file else [], option="template")
    tree = None
    if from_file is not None:
        sc = load(from_file)  # validated first: a workbook is written only from a scenario that loads
        tree = read_tree(from_file)[0]
        detail = f" (scenario {sc.name!r}, hash {sc.digest})"
    write_workbook(tree, out_file)
    wrote(out_file, detail if from_file is not None else " (an empty scenario workbook)")
