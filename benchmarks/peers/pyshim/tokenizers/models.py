"""Import-only stand-in (see the package docstring)."""
from . import _Absent


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _Absent(f"models.{name}")
