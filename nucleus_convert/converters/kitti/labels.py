"""KITTI object label lines (``label_2/*.txt``): parsing, checking and formatting.

One object per line, whitespace separated, 15 columns (16 with a score, which makes the line
a prediction; KITTI's results files have the same layout)::

    type truncated occluded alpha  left top right bottom  h w l  x y z  rotation_y [score]

* ``type``: ``Car``, ``Van``, ``Truck``, ``Pedestrian``, ``Person_sitting``, ``Cyclist``,
  ``Tram``, ``Misc`` or ``DontCare`` (any other word is kept as is).
* ``truncated``: float in 0..1; ``occluded``: integer 0 (fully visible), 1 (partly
  occluded), 2 (largely occluded), 3 (unknown); ``alpha``: observation angle in [-π, π].
  KITTI writes ``-1``, ``-1``, ``-10`` for "not set" (its ``DontCare`` lines do): these
  sentinels read as *absent* and an absent value is written back as the sentinel.
* ``left top right bottom``: the 2D box in the image, 0-based pixel coordinates, floats
  (model box: ``x = left``, ``width = right - left``; DESIGN.md).
* ``h w l``: dimensions in metres; ``x y z``: the centre of the box's *bottom face* in the
  rectified camera frame; ``rotation_y``: rotation about camera +y in [-π, π]. A line without
  a 3D box has KITTI's unset values: ``h w l = -1 -1 -1`` (the location and rotation are then
  ignored; KITTI writes ``-1000 -1000 -1000 -10``, datumaro ``-1 -1 -1 -1``).

Numbers are plain decimals (``12``, ``-1.57``, ``7.07e+02``); ``nan``, ``inf``, ``1_0`` and
non-ASCII digits are refused. Every error names the file, the line and the column.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from nucleus_convert.errors import InputError

__all__ = [
    "COLUMNS",
    "KITTI_TYPES",
    "Label",
    "format_label",
    "format_number",
    "parse_label_file",
    "parse_label_line",
]

COLUMNS = (
    "type",
    "truncated",
    "occluded",
    "alpha",
    "left",
    "top",
    "right",
    "bottom",
    "height",
    "width",
    "length",
    "x",
    "y",
    "z",
    "rotation_y",
    "score",
)
KITTI_TYPES = (
    "Car",
    "Van",
    "Truck",
    "Pedestrian",
    "Person_sitting",
    "Cyclist",
    "Tram",
    "Misc",
    "DontCare",
)
DONTCARE = "DontCare"
UNSET_TRUNCATED = -1.0
UNSET_OCCLUDED = -1
UNSET_ALPHA = -10.0
UNSET_DIMENSIONS = (-1.0, -1.0, -1.0)

_UNSET_3D = "-1 -1 -1 -1000 -1000 -1000 -10"  # as KITTI's devkit writes it
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
# Angles are printed with two decimals: 3.1416 may read back as 3.14 or as 3.15 written by
# tools that round up; allow the print error of a 2-decimal pi.
_ANGLE_LIMIT = math.pi + 0.005


@dataclass(frozen=True, slots=True)
class Label:
    """One label line, checked; ``None`` where KITTI's "not set" sentinel was written."""

    line: int
    type: str
    truncated: float | None
    occluded: int | None
    alpha: float | None
    box: tuple[float, float, float, float]
    """``(left, top, right, bottom)``, 0-based pixels."""
    dimensions: tuple[float, float, float] | None
    """``(h, w, l)`` in metres, or None when the line has no 3D box."""
    location: tuple[float, float, float] | None
    rotation_y: float | None
    score: float | None


def _number(word: str, path: Path, line: int, column: int) -> float:
    if not _DECIMAL.match(word):
        raise InputError(
            f"{COLUMNS[column]} (column {column + 1}) is {word!r}, not a number",
            path=path,
            line=line,
        )
    value = float(word)
    if not math.isfinite(value):
        raise InputError(
            f"{COLUMNS[column]} (column {column + 1}) {word!r} is out of range",
            path=path,
            line=line,
        )
    return value


def _occluded(word: str, path: Path, line: int) -> int:
    """Column 3 as an integer (checked by :func:`_occluded_value`)."""
    if not _INTEGER.match(word):
        raise InputError(f"occluded (column 3) is {word!r}, not an integer", path=path, line=line)
    return int(word)


def _occluded_value(value: int, word: str, path: Path, line: int) -> int | None:
    """Column 3: 0..3, or -1 for "not set" (None)."""
    if value == UNSET_OCCLUDED:
        return None
    if value not in (0, 1, 2, 3):
        raise InputError(
            f"occluded (column 3) {word} is not 0, 1, 2 or 3 (-1 means not set)",
            path=path,
            line=line,
        )
    return value


def _truncated(words: list[str], nums: list[float], path: Path, line: int) -> float | None:
    """Column 2: truncation in 0..1, or -1 for "not set" (None)."""
    truncated = None if nums[0] == UNSET_TRUNCATED else nums[0]
    if truncated is not None and not 0.0 <= truncated <= 1.0:
        raise InputError(
            f"truncated (column 2) {words[1]} is outside 0..1 (-1 means not set)",
            path=path,
            line=line,
        )
    return truncated


def _alpha(words: list[str], nums: list[float], path: Path, line: int) -> float | None:
    """Column 4: the observation angle in [-pi, pi], or -10 for "not set" (None)."""
    alpha = None if nums[2] == UNSET_ALPHA else nums[2]
    if alpha is not None and abs(alpha) > _ANGLE_LIMIT:
        raise InputError(
            f"alpha (column 4) {words[3]} is outside [-pi, pi] (-10 means not set)",
            path=path,
            line=line,
        )
    return alpha


_Box3D = tuple[tuple[float, float, float] | None, tuple[float, float, float] | None, float | None]


def _three_d(words: list[str], nums: list[float], path: Path, line: int) -> _Box3D:
    """Columns 9-15: ``(dimensions, location, rotation_y)``, all None for KITTI's "no 3D box"
    (``h w l = -1 -1 -1``); sizes positive, rotation in [-pi, pi]."""
    h, w, length = nums[7:10]
    if (h, w, length) == UNSET_DIMENSIONS:
        return None, None, None
    if min(h, w, length) <= 0:
        raise InputError(
            f"dimensions h w l ({words[8]} {words[9]} {words[10]}) must be positive "
            "(-1 -1 -1 means no 3D box)",
            path=path,
            line=line,
        )
    rotation_y = nums[13]
    if abs(rotation_y) > _ANGLE_LIMIT:
        raise InputError(
            f"rotation_y (column 15) {words[14]} is outside [-pi, pi]", path=path, line=line
        )
    return (h, w, length), (nums[10], nums[11], nums[12]), rotation_y


def parse_label_line(text: str, path: Path, line: int) -> Label | None:
    """Parse one line (None for a blank line); raises :class:`InputError` naming ``path:line``."""
    words = text.split()
    if not words:
        return None
    if len(words) not in (15, 16):
        raise InputError(
            f"a KITTI label line has 15 columns (16 with a score), this one has {len(words)}",
            path=path,
            line=line,
        )
    kind = words[0]
    if _DECIMAL.match(kind):
        raise InputError(f"type (column 1) is the number {kind!r}", path=path, line=line)
    nums = [_number(w, path, line, i) for i, w in enumerate(words[1:], start=1)]
    occluded_int = _occluded(words[2], path, line)  # the checks in column order, as ever
    truncated = _truncated(words, nums, path, line)
    occluded = _occluded_value(occluded_int, words[2], path, line)
    alpha = _alpha(words, nums, path, line)
    left, top, right, bottom = nums[3:7]
    if right < left or bottom < top:
        raise InputError(
            f"the 2D box has right < left or bottom < top ({left}, {top}, {right}, {bottom})",
            path=path,
            line=line,
        )
    dimensions, location, rotation_y = _three_d(words, nums, path, line)
    return Label(
        line=line,
        type=kind,
        truncated=truncated,
        occluded=occluded,
        alpha=alpha,
        box=(left, top, right, bottom),
        dimensions=dimensions,
        location=location,
        rotation_y=rotation_y,
        score=nums[14] if len(nums) == 15 else None,
    )


def parse_label_file(path: Path) -> list[Label]:
    """All labels of one ``label_2/*.txt`` file, in file order."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", path=path, line=line) from None
    labels = []
    for lineno, row in enumerate(text.splitlines(), start=1):
        label = parse_label_line(row, path, lineno)
        if label is not None:
            labels.append(label)
    return labels


def format_number(value: float, decimals: int = 2) -> str:
    """The shortest fixed-point text with at least ``decimals`` decimals within 1e-9 of ``value``.

    KITTI prints two decimals; values that came from KITTI and went through a transform and
    back (``1.8900000000000003``) are written as they were read (``1.89``), and finer values
    keep the digits they need (up to 17 significant).
    """
    if not math.isfinite(value):
        raise ValueError(f"{value} cannot be written to a KITTI label")
    tol = 1e-9 * max(1.0, abs(value))
    for d in range(decimals, 18):
        text = f"{value:.{d}f}"
        if abs(float(text) - value) <= tol:
            break
    else:
        text = repr(value)
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return text


def format_label(
    *,
    type: str,
    truncated: float | None,
    occluded: int | None,
    alpha: float | None,
    box: tuple[float, float, float, float],
    dimensions: tuple[float, float, float] | None = None,
    location: tuple[float, float, float] | None = None,
    rotation_y: float | None = None,
    score: float | None = None,
) -> str:
    """One label line (no newline); absent values are written as KITTI's "not set" sentinels,
    spelled as KITTI writes them (``-1 -1 -10`` and ``-1 -1 -1 -1000 -1000 -1000 -10``)."""
    if not type or any(c.isspace() for c in type):
        raise ValueError(f"a KITTI type is one word, not {type!r}")
    parts = [
        type,
        "-1" if truncated is None else format_number(truncated),
        str(UNSET_OCCLUDED if occluded is None else occluded),
        "-10" if alpha is None else format_number(alpha),
        *(format_number(v) for v in box),
    ]
    if dimensions is None or location is None or rotation_y is None:
        parts.append(_UNSET_3D)
    else:
        parts += [format_number(v) for v in (*dimensions, *location, rotation_y)]
    if score is not None:
        parts.append(format_number(score))
    return " ".join(parts)
