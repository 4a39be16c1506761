"""Parsers for format options, for built-in formats and plugins alike.

An :class:`~nucleus_convert.registry.Option`'s ``type`` turns the value a user gave (always a
string from the CLI's ``-r``/``-w KEY=VALUE``; any value from Python) into what the reader or
writer receives, and raises ``ValueError`` with a message for a value it refuses; the caller
names the option and the format.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["choice", "flag"]

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def flag(value: Any) -> bool:
    """A bool: ``True``/``False`` as they are, or ``true/false``, ``yes/no``, ``on/off``,
    ``1/0`` in any case."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def choice(*values: str) -> Callable[[Any], str]:
    """A parser accepting exactly one of ``values`` (compared in lower case)."""

    def parse(value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in values:
            raise ValueError(f"expected one of {', '.join(values)}, got {value!r}")
        return value.strip().lower()

    parse.__name__ = "one of " + "|".join(values)
    return parse
