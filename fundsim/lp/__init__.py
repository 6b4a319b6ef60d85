"""Vectorised assembly of scenarios into sparse linear programs with labelled blocks."""

from fundsim.lp.assemble import assemble
from fundsim.lp.program import Block, LinearProgram, ProgramBuilder

__all__ = ["Block", "LinearProgram", "ProgramBuilder", "assemble"]
