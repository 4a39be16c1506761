"""The values the format's one-of options accept (parsed by :func:`nucleus_convert.choice`)."""

from __future__ import annotations

__all__ = ["IMAGES", "ON_ERROR", "TASKS"]

ON_ERROR = ("raise", "skip")
TASKS = ("auto", "detect", "segment")
IMAGES = ("copy", "symlink", "none")
