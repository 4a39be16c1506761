"""CVAT XML values: numbers, point lists, flags and typed ``<attribute>`` values.

Reading: a coordinate is a decimal number (``12``, ``12.50``, ``-3e2``), never ``nan``, ``inf``
or Python's ``1_000``; a point list is ``x0,y0;x1,y1;...``; a flag is ``0`` or ``1``. An
``<attribute>`` value is typed by its label spec's ``input_type``: ``checkbox`` gives a bool
(``true``/``false``, any case), ``number`` an int or a float, ``select``/``radio``/``text``
(or no spec) the text as it is.

Writing: numbers are written with ``repr`` (the shortest text that reads back as the same
float), integers without a fraction; a bool as ``true``/``false``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from nucleus_convert.errors import InputError

__all__ = [
    "INT",
    "Where",
    "attribute_text",
    "flag",
    "integer",
    "number",
    "number_text",
    "points",
    "typed_value",
    "xml_text_problem",
]

INT = re.compile(r"[-+]?[0-9]+")
_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MAX_INT_DIGITS = 19


class Where:
    """Where a value is read: the file, the element's line and its record description."""

    __slots__ = ("line", "path", "record")

    def __init__(self, path: str, line: int | None, record: str) -> None:
        self.path = path
        self.line = line
        self.record = record

    def error(self, message: str, field: str | None = None) -> InputError:
        return InputError(message, path=self.path, line=self.line, record=self.record, field=field)


def number(text: str | None, where: Where, field: str) -> float:
    """A finite decimal number."""
    value = (text or "").strip()
    if not _NUMBER.fullmatch(value):
        raise where.error(f"expected a number, got {value[:40]!r}", field)
    out = float(value)
    if not math.isfinite(out):
        raise where.error(f"{value[:40]!r} is too large", field)
    return out


def integer(text: str | None, where: Where, field: str, minimum: int = 0) -> int:
    """A whole number of at most 19 digits, at least ``minimum``."""
    value = (text or "").strip()
    digits = value.lstrip("+-")
    if not INT.fullmatch(value) or len(digits) > _MAX_INT_DIGITS:
        raise where.error(f"expected a whole number, got {value[:40]!r}", field)
    out = int(value)
    if out < minimum:
        raise where.error(f"must be at least {minimum}, got {out}", field)
    return out


def flag(text: str | None, where: Where, field: str) -> bool:
    """``0``/``1`` (absent: ``False``); ``true``/``false`` are accepted too."""
    value = (text or "0").strip().lower()
    if value in ("0", "false"):
        return False
    if value in ("1", "true"):
        return True
    raise where.error(f"expected 0 or 1, got {value[:40]!r}", field)


def points(text: str | None, where: Where, field: str = "points") -> list[tuple[float, float]]:
    """``x0,y0;x1,y1;...`` as ``(x, y)`` pairs (empty text: no points)."""
    value = (text or "").strip()
    if not value:
        return []
    out: list[tuple[float, float]] = []
    for i, pair in enumerate(value.split(";")):
        xy = pair.split(",")
        if len(xy) != 2:
            raise where.error(f"point {i} is {pair.strip()[:40]!r}, not 'x,y'", field)
        out.append((number(xy[0], where, field), number(xy[1], where, field)))
    return out


def typed_value(text: str, input_type: str | None) -> Any:
    """An ``<attribute>`` text as the value its spec's ``input_type`` says (module docstring)."""
    if input_type == "checkbox":
        lowered = text.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        return text
    if input_type == "number":
        value = text.strip()
        if INT.fullmatch(value) and len(value.lstrip("+-")) <= _MAX_INT_DIGITS:
            return int(value)
        if _NUMBER.fullmatch(value):
            out = float(value)
            if math.isfinite(out):
                return out
    return text


def number_text(value: float) -> str:
    """A coordinate as written: integers without a fraction, floats as ``repr``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    number_value = float(value)
    if number_value.is_integer() and abs(number_value) < 1e15:
        return str(int(number_value))
    return repr(number_value)


def attribute_text(value: Any) -> str | None:
    """An attribute value as ``<attribute>`` text, or ``None`` when CVAT cannot hold it
    (lists, dicts, ``None``, non-finite numbers, text XML cannot hold)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return value if xml_text_problem(value) is None else None
    return None


def xml_text_problem(text: str) -> str | None:
    """Why ``text`` cannot be XML 1.0 text, or ``None`` when it can."""
    bad = _NOT_XML_CHAR.search(text)
    if bad is None:
        return None
    return f"holds {bad.group()!r}, a character XML 1.0 cannot hold"
