"""PCD headers and data, checked before open3d reads them (see
:mod:`nucleus_convert.geometry.pointcloud_files` for why).

The header is ``KEY value...`` lines, ``#`` comments, in any order, each key once, ending with
the ``DATA`` line; FIELDS, SIZE, TYPE, WIDTH, HEIGHT, POINTS and DATA are required, COUNT
defaults to 1 a field, VIEWPOINT to the identity. Every error names the header (or data) line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from nucleus_convert.errors import InputError
from nucleus_convert.geometry.header_text import (
    ascii_rows,
    check_integers,
    check_words,
    header_ints,
    header_lines,
    int_range,
)

__all__ = ["PcdHeader", "check_pcd_data", "parse_pcd_header"]

_PCD_KEYS = (
    "VERSION",
    "FIELDS",
    "SIZE",
    "TYPE",
    "COUNT",
    "WIDTH",
    "HEIGHT",
    "VIEWPOINT",
    "POINTS",
    "DATA",
)
_PCD_REQUIRED = ("FIELDS", "SIZE", "TYPE", "WIDTH", "HEIGHT", "POINTS", "DATA")
_PCD_DATA = ("ascii", "binary", "binary_compressed")
_IDENTITY_VIEWPOINT = (0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class PcdHeader:
    """A PCD header as written, with the line (1-based) of every entry.

    ``data_offset`` is the byte offset of the data, just after the ``DATA`` line.
    """

    fields: tuple[str, ...]
    sizes: tuple[int, ...]
    types: tuple[str, ...]
    counts: tuple[int, ...]
    width: int
    height: int
    points: int
    data: str
    viewpoint: tuple[float, ...]
    version: str | None
    lines: dict[str, int]
    data_offset: int

    @property
    def point_size(self) -> int:
        """Bytes a point takes in binary data."""
        return sum(s * c for s, c in zip(self.sizes, self.counts, strict=True))

    @property
    def values_per_point(self) -> int:
        """Numbers a point takes in ascii data."""
        return sum(self.counts)

    def dtype(self) -> np.dtype[Any]:
        """The numpy dtype of one point of binary data (little-endian, packed)."""
        kinds = {"F": "f", "U": "u", "I": "i"}
        return np.dtype(
            [
                (f"f{k}_{name}", f"<{kinds[t]}{s}", (c,)) if c > 1 else (name, f"<{kinds[t]}{s}")
                for k, (name, s, t, c) in enumerate(
                    zip(self.fields, self.sizes, self.types, self.counts, strict=True)
                )
            ]
        )


@dataclass(slots=True)
class _Entries:
    """The header's entries as words, with their lines."""

    path: Path
    words: dict[str, list[str]]
    lines: dict[str, int]

    def error(self, message: str, key: str) -> InputError:
        return InputError(message, path=self.path, line=self.lines[key])

    def one(self, key: str) -> list[str]:
        if len(self.words[key]) != 1:
            raise self.error(f"{key} expects one value, got {' '.join(self.words[key])!r}", key)
        return self.words[key]

    def ints(self, key: str, minimum: int) -> tuple[int, ...]:
        return header_ints(self.words[key], self.path, self.lines[key], key, minimum)


def _read_entries(stream: BinaryIO, path: Path) -> tuple[_Entries, int]:
    """The entries up to the ``DATA`` line and the data's byte offset; required keys present."""
    entries = _Entries(path, {}, {})
    last = 0
    data_offset = -1
    for number, text, complete in header_lines(stream, path, "PCD"):
        last = number
        words = text.split()
        if not complete and (not words or words[0] != "DATA"):
            break  # cut short: reported below as a truncated header
        if not words or words[0].startswith("#"):
            continue
        key = words[0]
        if key not in _PCD_KEYS:
            raise InputError(f"unknown PCD header entry {words[0]!r}", path=path, line=number)
        if key in entries.words:
            raise InputError(
                f"{key} given twice (first on line {entries.lines[key]})", path=path, line=number
            )
        entries.words[key] = words[1:]
        entries.lines[key] = number
        if key == "DATA":
            data_offset = stream.tell()
            break
    if data_offset < 0:
        raise InputError(
            "PCD header ends before its DATA line (truncated file?)", path=path, line=max(last, 1)
        )
    for key in _PCD_REQUIRED:
        if key not in entries.words:
            raise entries.error(f"PCD header has no {key} line", "DATA")
    return entries, data_offset


def _fields(
    e: _Entries,
) -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...], tuple[int, ...]]:
    """FIELDS, SIZE, TYPE and COUNT, one value each per field, of PCD types."""
    fields = tuple(e.words["FIELDS"])
    if not fields:
        raise e.error("FIELDS lists no field", "FIELDS")
    if len(set(fields)) != len(fields):
        raise e.error(f"FIELDS repeats a name: {' '.join(fields)}", "FIELDS")
    n = len(fields)
    sizes = e.ints("SIZE", 1)
    types = tuple(e.words["TYPE"])
    counts = e.ints("COUNT", 1) if "COUNT" in e.words else (1,) * n
    for key, values in (("SIZE", sizes), ("TYPE", types), ("COUNT", counts)):
        if len(values) != n:
            raise InputError(
                f"{key} has {len(values)} values but FIELDS names {n} fields",
                path=e.path,
                line=e.lines.get(key, e.lines["FIELDS"]),
            )
    for name, size, kind in zip(fields, sizes, types, strict=True):
        ok = (kind == "F" and size in (4, 8)) or (kind in ("U", "I") and size in (1, 2, 4, 8))
        if not ok:
            raise e.error(
                f"field {name!r}: TYPE {kind} with SIZE {size} is not a PCD type "
                "(F: 4 or 8 bytes; U, I: 1, 2, 4 or 8)",
                "TYPE",
            )
    _check_xyz(e, fields, types, counts)
    return fields, sizes, types, counts


def _check_xyz(
    e: _Entries, fields: tuple[str, ...], types: tuple[str, ...], counts: tuple[int, ...]
) -> None:
    """x, y and z are fields of one float each."""
    for axis in ("x", "y", "z"):
        if axis not in fields:
            raise e.error(
                f"a point cloud needs x, y and z fields; FIELDS has {' '.join(fields)}", "FIELDS"
            )
        k = fields.index(axis)
        if types[k] != "F" or counts[k] != 1:
            raise InputError(
                f"field {axis!r} must be one float (TYPE F, COUNT 1), got TYPE {types[k]} "
                f"COUNT {counts[k]}",
                path=e.path,
                line=e.lines["TYPE"]
                if types[k] != "F"
                else e.lines.get("COUNT", e.lines["FIELDS"]),
            )


def _size(e: _Entries) -> tuple[int, int, int]:
    """WIDTH, HEIGHT and POINTS, which must agree."""
    (width,) = header_ints(e.one("WIDTH"), e.path, e.lines["WIDTH"], "WIDTH", 0)
    (height,) = header_ints(e.one("HEIGHT"), e.path, e.lines["HEIGHT"], "HEIGHT", 0)
    (points,) = header_ints(e.one("POINTS"), e.path, e.lines["POINTS"], "POINTS", 0)
    if points != width * height:
        raise e.error(
            f"POINTS {points} disagrees with WIDTH x HEIGHT = {width} x {height} = "
            f"{width * height}",
            "POINTS",
        )
    return width, height, points


def _viewpoint(e: _Entries) -> tuple[float, ...]:
    if "VIEWPOINT" not in e.words:
        return _IDENTITY_VIEWPOINT
    try:
        viewpoint = tuple(float(w) for w in e.words["VIEWPOINT"])
    except ValueError:
        viewpoint = ()
    if len(viewpoint) != 7:
        raise e.error("VIEWPOINT expects 7 numbers (tx ty tz qw qx qy qz)", "VIEWPOINT")
    return viewpoint


def parse_pcd_header(stream: BinaryIO, path: Path) -> PcdHeader:
    """Parse and check the header of a PCD file (``stream`` at its start)."""
    e, data_offset = _read_entries(stream, path)
    fields, sizes, types, counts = _fields(e)
    width, height, points = _size(e)
    (data,) = e.one("DATA")
    if data not in _PCD_DATA:
        raise e.error(f"unknown DATA kind {data!r}; expected one of {', '.join(_PCD_DATA)}", "DATA")
    return PcdHeader(
        fields=fields,
        sizes=sizes,
        types=types,
        counts=counts,
        width=width,
        height=height,
        points=points,
        data=data,
        viewpoint=_viewpoint(e),
        version=" ".join(e.words["VERSION"]) if "VERSION" in e.words else None,
        lines=e.lines,
        data_offset=data_offset,
    )


def _check_binary(header: PcdHeader, path: Path, remaining: int) -> None:
    expected = header.points * header.point_size
    if remaining != expected:
        raise InputError(
            f"POINTS {header.points} x {header.point_size} bytes a point = {expected} bytes "
            f"of binary data, but the file has {remaining}",
            path=path,
            line=header.lines["POINTS"],
        )


# LZF's best case is a back reference of 264 bytes spelled in 3 (control, length, offset).
LZF_MAX_RATIO = 88


def _check_compressed(stream: BinaryIO, header: PcdHeader, path: Path, remaining: int) -> None:
    sizes = stream.read(8)
    if len(sizes) < 8:
        raise InputError(
            "binary_compressed data ends before its two sizes", path=path, line=header.lines["DATA"]
        )
    compressed, uncompressed = (int(v) for v in np.frombuffer(sizes, dtype="<u4"))
    expected = header.points * header.point_size
    if uncompressed != expected:
        raise InputError(
            f"POINTS {header.points} x {header.point_size} bytes a point = {expected} bytes, "
            f"but the compressed data says it unpacks to {uncompressed}",
            path=path,
            line=header.lines["POINTS"],
        )
    if remaining - 8 != compressed:
        raise InputError(
            f"binary_compressed data says it is {compressed} bytes but the file has "
            f"{remaining - 8} after the sizes",
            path=path,
            line=header.lines["DATA"],
        )
    if uncompressed > LZF_MAX_RATIO * compressed:
        # Checked before open3d allocates the unpacked buffer: a few hundred bytes of file
        # could otherwise declare gigabytes of points.
        raise InputError(
            f"binary_compressed data of {compressed} bytes cannot unpack to {uncompressed}: "
            f"LZF expands at most {LZF_MAX_RATIO} times",
            path=path,
            line=header.lines["POINTS"],
        )


def _check_ascii(stream: BinaryIO, header: PcdHeader, path: Path, intensity: str | None) -> None:
    """One point a line (blank lines are skipped, as PCL does), ``values_per_point`` numbers;
    an integer-typed intensity written as an integer within its type's range."""
    rows = ascii_rows(stream, path, header.lines["DATA"])
    if len(rows) != header.points:
        raise InputError(
            f"POINTS {header.points} but the ascii data has {len(rows)} lines",
            path=path,
            line=header.lines["POINTS"],
        )
    first = header.lines["DATA"] + 1
    check_words(rows, header.values_per_point, "point", path, first)
    if intensity is None:
        return
    k = header.fields.index(intensity)
    if header.types[k] in ("U", "I"):
        column = sum(header.counts[:k])
        low, high = int_range(header.types[k], header.sizes[k])
        check_integers(rows, column, low, high, intensity, path, first)


def check_pcd_data(
    stream: BinaryIO, header: PcdHeader, path: Path, file_size: int, intensity: str | None
) -> None:
    """Check that the data after the header is what the header says.

    In ascii data an integer-typed intensity must be written as an integer within its type's
    range: open3d would wrap 300 to 44 in a U 1 field, read 5.7 as 5 and 1e2 as 1.
    """
    remaining = file_size - header.data_offset
    if header.data == "binary":
        _check_binary(header, path, remaining)
    elif header.data == "binary_compressed":
        _check_compressed(stream, header, path, remaining)
    else:
        _check_ascii(stream, header, path, intensity)
