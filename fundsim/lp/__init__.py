"""Vectorised assembly of scenarios into sparse linear programs with labelled blocks."""

from typing import TYPE_CHECKING

from fundsim._lazy import attach

if TYPE_CHECKING:  # where each public name lives; imported on first use (fundsim._lazy)
    from fundsim.lp.assembly import assemble
    from fundsim.rules.program import Block, LinearProgram, ProgramBuilder

__all__ = ["Block", "LinearProgram", "ProgramBuilder", "assemble"]

__getattr__, __dir__ = attach(__name__, __file__)
