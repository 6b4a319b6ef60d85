"""The installed version of fundsim (imports nothing else of fundsim)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fundsim")
except PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0.0.0+unknown"
