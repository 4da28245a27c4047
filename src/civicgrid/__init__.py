"""civicgrid: open platform for municipal grid-based social governance."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("civicgrid")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
