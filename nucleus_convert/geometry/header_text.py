"""Text shared by the PCD and PLY readers: header lines read with limits, integer header values,
and the checks of ascii point data (open3d reads a word that is not a number as 0 and wraps an
integer beyond its type)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from nucleus_convert.errors import InputError

__all__ = [
    "MAX_HEADER_LINE",
    "MAX_HEADER_LINES",
    "ascii_rows",
    "check_integers",
    "check_words",
    "header_ints",
    "header_lines",
    "int_range",
]

MAX_HEADER_LINE = 65_536
MAX_HEADER_LINES = 1_000

_NUMBER = re.compile(
    r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf)", re.IGNORECASE
)
_INTEGER = re.compile(r"[-+]?\d+")

Rows = list[tuple[int, list[str]]]
"""ascii data rows: ``(index of the line after the header, words)``, blank lines left out"""


def header_lines(
    stream: BinaryIO, path: Path, what: str, max_line: int = MAX_HEADER_LINE
) -> Iterator[tuple[int, str, bool]]:
    """The text lines of a header: (line number, text without the line end, whether the line
    had its line end: a header line without one was cut short by the end of the file).

    At most :data:`MAX_HEADER_LINES` lines of ``max_line`` bytes (line end included;
    default :data:`MAX_HEADER_LINE`), ASCII only.
    """
    for number in range(1, MAX_HEADER_LINES + 1):
        raw = stream.readline(max_line)
        if not raw:
            return
        complete = raw.endswith(b"\n")
        if not complete and len(raw) == max_line:
            raise InputError(
                f"{what} header line longer than {max_line} bytes", path=path, line=number
            )
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            raise InputError(
                f"not a {what} header: a header line is not ASCII text", path=path, line=number
            ) from None
        yield number, text.rstrip("\r\n"), complete
    raise InputError(f"{what} header has more than {MAX_HEADER_LINES} lines", path=path)


def header_ints(words: list[str], path: Path, line: int, key: str, minimum: int) -> tuple[int, ...]:
    """The integers of a header entry, each at least ``minimum``."""
    try:
        values = tuple(int(w) for w in words)
    except ValueError:
        raise InputError(
            f"{key} expects integers, got {' '.join(words)!r}", path=path, line=line
        ) from None
    if any(v < minimum for v in values):
        raise InputError(
            f"{key} values must be >= {minimum}, got {' '.join(words)!r}", path=path, line=line
        )
    return values


def ascii_rows(stream: BinaryIO, path: Path, line: int | None) -> Rows:
    """The rest of ``stream`` as ascii data rows (:data:`Rows`); ``line`` locates the error for
    a byte that is not ASCII."""
    try:
        text = stream.read().decode("ascii")
    except UnicodeDecodeError:
        raise InputError(
            "ascii data holds a byte that is not ASCII", path=path, line=line
        ) from None
    return [(k, line.split()) for k, line in enumerate(text.splitlines()) if line.strip()]


def check_words(rows: Rows, want: int, what: str, path: Path, first: int) -> None:
    """Every row of ascii data (file line ``first + index``) has ``want`` words, and every word
    is a decimal number (open3d reads other words as 0)."""
    for k, words in rows:
        if len(words) != want:
            raise InputError(
                f"ascii {what} has {len(words)} values, the header says {want}",
                path=path,
                line=first + k,
            )
    if all(_NUMBER.fullmatch(word) for _, words in rows for word in words):
        return
    for k, words in rows:
        for word in words:
            if not _NUMBER.fullmatch(word):
                raise InputError(f"not a number: {word!r}", path=path, line=first + k)


def int_range(kind: str, size: int) -> tuple[int, int]:
    """The range of an unsigned (``U``) or signed (``I``) integer of ``size`` bytes."""
    bits = 8 * size
    return (0, 2**bits - 1) if kind == "U" else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def check_integers(
    rows: Rows, column: int, low: int, high: int, name: str, path: Path, first: int
) -> None:
    """Every value of ``column`` is an integer within ``low..high``."""
    for k, words in rows:
        word = words[column]
        if not _INTEGER.fullmatch(word) or not low <= int(word) <= high:
            raise InputError(
                f"{name} {word!r} is not an integer within {low}..{high}, as its type requires",
                path=path,
                line=first + k,
            )
