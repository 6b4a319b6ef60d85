"""Vectorised assembly of scenarios into sparse linear programs with labelled blocks."""

from fundsim.lp.assembly import assemble
from fundsim.lp.program import Block, LinearProgram, ProgramBuilder

__all__ = ["Block", "LinearProgram", "ProgramBuilder", "assemble"]
