"""Hostile values shared by the mutators: as Python values and as raw text.

Raw text is what a serializer would refuse to produce (5,001-digit integers, ``NaN`` in JSON,
100,000-deep nesting); mutators put a placeholder where it goes and splice it in afterwards.
"""

from __future__ import annotations

from typing import Any

from fuzz.rng import Rng, pick

__all__ = ["RAW_JSON", "TOKENS", "py_value", "raw_json"]

# Text tokens for columns, XML text and attribute values.
TOKENS: tuple[str, ...] = (
    "",
    "0",
    "-1",
    "-0",
    "1",
    "2147483648",
    "-9223372036854775809",
    "18446744073709551616",
    "1" * 400,
    "1e308",
    "1e309",
    "-1e309",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "1_000",
    "0.5",
    "3.4028236e38",
    "abc",
    "x" * 5000,
    "\x00",
    "a\x00b",
    "../../../../etc/passwd",
    "/etc/passwd",
    "/dev/zero",
    "file:///dev/zero",
    "http://127.0.0.1:1/x.png",
    "é漢字",
    "\ud7ff\ufffe",
    "a" * 300,
    "%s%n",
    "  ",
    "\t",
    "true",
    "null",
)

RAW_JSON: tuple[str, ...] = (
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "9" * 5001,
    "18446744073709551616",
    "-9223372036854775809",
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 5_000 + "1" + "}" * 5_000,
    "[" * 900 + "]" * 900,
    "1.0000000000000000000000001",
)


def py_value(rng: Rng) -> Any:
    """A JSON value of a surprising type, size or content."""
    choice = rng.randrange(16)
    if choice < 6:
        return pick(rng, (None, True, False, 0, -1, 0.5))
    if choice < 9:
        return pick(rng, (2**63, -(2**63) - 1, 2**64 + 1, 10**30, -(10**30), 1e308, -1e-320))
    if choice < 12:
        return pick(rng, TOKENS)
    if choice == 12:
        return [] if rng.random() < 0.5 else {}
    if choice == 13:
        return [pick(rng, (0, 1, None, "a"))] * rng.randrange(1, 50)
    if choice == 14:
        return {"\x00": 1, "": None, "id": -1}
    return [[0, 0], [1, 1]]


def raw_json(rng: Rng) -> str:
    """Raw JSON text that ``json.dumps`` would not produce."""
    return pick(rng, RAW_JSON)
