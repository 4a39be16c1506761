"""Parsers for the format's options (the CLI passes every value as a string)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["IMAGES", "ON_ERROR", "TASKS", "choice", "flag"]

ON_ERROR = ("raise", "skip")
TASKS = ("auto", "detect", "segment")
IMAGES = ("copy", "symlink", "none")


def flag(text: str) -> bool:
    """``true/false``, ``yes/no``, ``on/off``, ``1/0`` (any case) as a bool."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def choice(*values: str) -> Callable[[str], str]:
    """A parser accepting exactly one of ``values`` (any case)."""

    def parse(text: str) -> str:
        value = str(text).strip().lower()
        if value not in values:
            raise ValueError(f"expected one of {', '.join(values)}, got {text!r}")
        return value

    parse.__name__ = "one of " + "|".join(values)
    return parse
