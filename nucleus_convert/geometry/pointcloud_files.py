"""Point cloud files: KITTI velodyne ``.bin``, PCD (``.pcd``) and PLY (``.ply``).

:func:`read_points` gives a :class:`PointCloud` whose ``points`` follow the model's convention
(:class:`nucleus_convert.model.PointCloudMedia`): an ``(N, 4)`` float32 array of x, y, z and
intensity, intensity in 0..1.

* ``.bin`` is read with :func:`numpy.fromfile`: 16 bytes a point, little-endian float32 x, y, z,
  reflectance (already 0..1 in KITTI).
* ``.pcd`` and ``.ply`` are read with open3d's tensor API (``open3d.t.io``), which keeps extra
  attributes such as ``intensity`` (the legacy API drops them). open3d is an optional
  dependency, imported only here: ``pip install 'nucleus-convert[pointcloud]'``.

open3d silently accepts PCD files that lie: POINTS that disagrees with WIDTH x HEIGHT, binary
data longer than the header says, ascii data with fewer or more lines than POINTS (it then
makes up points from uninitialised memory), short lines, words that are not numbers (read as 0),
an unknown DATA kind (read as binary), integers beyond their type (300 in a ``U 1`` intensity
reads as 44). Its PLY reader stops at the first value it cannot read and then returns the
points it had not filled, uninitialised, with only a log line. So the PCD and PLY headers are
parsed here first and the data checked against them, and every such lie is an
:class:`InputError` naming the file and the header (or data) line at fault (``path:line: ...``).

Intensity: the source field named ``intensity``, ``reflectance``, ``remission``,
``scalar_intensity`` or ``i`` (any case), in that order of preference. Float values within 0..1
are kept; values up to 255 (and integer-typed fields, which count 0..255) are divided by 255 and
``intensity_scale`` says so; anything negative or above 255 is refused. Without such a field the
intensity is 0 and ``source_intensity`` is ``"none"``.

NaN or infinite coordinates are refused with the index of the first bad point: a non-dense PCD
(an organised cloud that marks missing returns with NaN) has to be cleaned before converting,
because silently dropping points would shift every index that labels refer to.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from nucleus_convert.errors import FormatError, InputError, OutputError

__all__ = [
    "PcdHeader",
    "PlyHeader",
    "PointCloud",
    "parse_pcd_header",
    "parse_ply_header",
    "read_points",
    "write_bin",
    "write_pcd",
    "write_ply",
]

INSTALL_HINT = "pip install 'nucleus-convert[pointcloud]'"
SUFFIXES = (".bin", ".pcd", ".ply")
INTENSITY_NAMES = ("intensity", "reflectance", "remission", "scalar_intensity", "i")
_MAX_HEADER_LINE = 65_536
_MAX_HEADER_LINES = 1_000


@dataclass(frozen=True, slots=True)
class PointCloud:
    """Points read from a file, and how their intensity was obtained.

    ``points`` is ``(N, 4)`` float32: x, y, z (metres, the cloud's frame) and intensity in 0..1.
    ``intensity_scale`` is what the source intensity was divided by (1.0 or 255.0);
    ``source_intensity`` the source field it came from (``"reflectance"``, ``"intensity"``...)
    or ``"none"`` (intensity 0); ``fields`` the source's field (property) names, in file order.
    """

    points: npt.NDArray[np.float32]
    intensity_scale: float
    source_intensity: str
    fields: tuple[str, ...]


def read_points(path: str | Path) -> PointCloud:
    """Read a ``.bin`` (KITTI velodyne), ``.pcd`` or ``.ply`` point cloud."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise FormatError(
            f"{path}: unknown point cloud file type {suffix or '(no suffix)'!r}; "
            f"expected one of {', '.join(SUFFIXES)}"
        )
    try:
        if suffix == ".bin":
            return _read_bin(path)
        if suffix == ".pcd":
            return _read_pcd(path)
        return _read_ply(path)
    except OSError as exc:
        raise InputError(f"cannot read point cloud: {exc.strerror or exc}", path=path) from None


# --------------------------------------------------------------------------------------------
# KITTI .bin
# --------------------------------------------------------------------------------------------

_BIN_FIELDS = ("x", "y", "z", "reflectance")


def _read_bin(path: Path) -> PointCloud:
    size = path.stat().st_size
    if size % 16:
        raise InputError(
            f"size {size} bytes is not a multiple of 16 (a KITTI velodyne point is 4 "
            "little-endian float32: x, y, z, reflectance)",
            path=path,
        )
    data = np.fromfile(path, dtype="<f4")
    if data.size * 4 != size:  # the file changed under us
        raise InputError(f"read {data.size * 4} bytes of {size}", path=path)
    pts = data.astype(np.float32, copy=False).reshape(-1, 4)
    _check_finite(pts[:, :3], path, dense_hint=False)
    inten, scale = _scale_intensity(pts[:, 3], "reflectance", path)
    if scale != 1.0:
        pts[:, 3] = inten  # the array is ours: numpy.fromfile made it
    return PointCloud(pts, scale, "reflectance", _BIN_FIELDS)


# --------------------------------------------------------------------------------------------
# PCD
# --------------------------------------------------------------------------------------------

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


def _header_lines(stream: BinaryIO, path: Path, what: str) -> Iterator[tuple[int, str, bool]]:
    """The text lines of a header: (line number, text without the line end, whether the line
    had its line end: a header line without one was cut short by the end of the file)."""
    for number in range(1, _MAX_HEADER_LINES + 1):
        raw = stream.readline(_MAX_HEADER_LINE)
        if not raw:
            return
        complete = raw.endswith(b"\n")
        if not complete and len(raw) == _MAX_HEADER_LINE:
            raise InputError(
                f"{what} header line longer than {_MAX_HEADER_LINE} bytes", path=path, line=number
            )
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            raise InputError(
                f"not a {what} header: a header line is not ASCII text", path=path, line=number
            ) from None
        yield number, text.rstrip("\r\n"), complete
    raise InputError(f"{what} header has more than {_MAX_HEADER_LINES} lines", path=path)


def _ints(words: list[str], path: Path, line: int, key: str, minimum: int) -> tuple[int, ...]:
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


def parse_pcd_header(stream: BinaryIO, path: Path) -> PcdHeader:
    """Parse and check the header of a PCD file (``stream`` at its start)."""
    entries: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    last = 0
    data_offset = -1
    for number, text, complete in _header_lines(stream, path, "PCD"):
        last = number
        words = text.split()
        if not complete and (not words or words[0] != "DATA"):
            break  # cut short: reported below as a truncated header
        if not words or words[0].startswith("#"):
            continue
        key = words[0]
        if key not in _PCD_KEYS:
            raise InputError(f"unknown PCD header entry {words[0]!r}", path=path, line=number)
        if key in entries:
            raise InputError(
                f"{key} given twice (first on line {lines[key]})", path=path, line=number
            )
        entries[key] = words[1:]
        lines[key] = number
        if key == "DATA":
            data_offset = stream.tell()
            break
    if data_offset < 0:
        raise InputError(
            "PCD header ends before its DATA line (truncated file?)", path=path, line=max(last, 1)
        )
    for key in _PCD_REQUIRED:
        if key not in entries:
            raise InputError(f"PCD header has no {key} line", path=path, line=lines["DATA"])

    def one(key: str) -> list[str]:
        if len(entries[key]) != 1:
            raise InputError(
                f"{key} expects one value, got {' '.join(entries[key])!r}",
                path=path,
                line=lines[key],
            )
        return entries[key]

    fields = tuple(entries["FIELDS"])
    if not fields:
        raise InputError("FIELDS lists no field", path=path, line=lines["FIELDS"])
    if len(set(fields)) != len(fields):
        raise InputError(
            f"FIELDS repeats a name: {' '.join(fields)}", path=path, line=lines["FIELDS"]
        )
    n = len(fields)
    sizes = _ints(entries["SIZE"], path, lines["SIZE"], "SIZE", 1)
    types = tuple(entries["TYPE"])
    if "COUNT" in entries:
        counts = _ints(entries["COUNT"], path, lines["COUNT"], "COUNT", 1)
    else:
        counts = (1,) * n
    for key, values in (("SIZE", sizes), ("TYPE", types), ("COUNT", counts)):
        if len(values) != n:
            raise InputError(
                f"{key} has {len(values)} values but FIELDS names {n} fields",
                path=path,
                line=lines.get(key, lines["FIELDS"]),
            )
    for name, size, kind in zip(fields, sizes, types, strict=True):
        ok = (kind == "F" and size in (4, 8)) or (kind in ("U", "I") and size in (1, 2, 4, 8))
        if not ok:
            raise InputError(
                f"field {name!r}: TYPE {kind} with SIZE {size} is not a PCD type "
                "(F: 4 or 8 bytes; U, I: 1, 2, 4 or 8)",
                path=path,
                line=lines["TYPE"],
            )
    for axis in ("x", "y", "z"):
        if axis not in fields:
            raise InputError(
                f"a point cloud needs x, y and z fields; FIELDS has {' '.join(fields)}",
                path=path,
                line=lines["FIELDS"],
            )
        k = fields.index(axis)
        if types[k] != "F" or counts[k] != 1:
            raise InputError(
                f"field {axis!r} must be one float (TYPE F, COUNT 1), got TYPE {types[k]} "
                f"COUNT {counts[k]}",
                path=path,
                line=lines["TYPE"] if types[k] != "F" else lines.get("COUNT", lines["FIELDS"]),
            )
    (width,) = _ints(one("WIDTH"), path, lines["WIDTH"], "WIDTH", 0)
    (height,) = _ints(one("HEIGHT"), path, lines["HEIGHT"], "HEIGHT", 0)
    (points,) = _ints(one("POINTS"), path, lines["POINTS"], "POINTS", 0)
    if points != width * height:
        raise InputError(
            f"POINTS {points} disagrees with WIDTH x HEIGHT = {width} x {height} = "
            f"{width * height}",
            path=path,
            line=lines["POINTS"],
        )
    (data,) = one("DATA")
    if data not in _PCD_DATA:
        raise InputError(
            f"unknown DATA kind {data!r}; expected one of {', '.join(_PCD_DATA)}",
            path=path,
            line=lines["DATA"],
        )
    viewpoint: tuple[float, ...] = (0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    if "VIEWPOINT" in entries:
        try:
            viewpoint = tuple(float(w) for w in entries["VIEWPOINT"])
        except ValueError:
            viewpoint = ()
        if len(viewpoint) != 7:
            raise InputError(
                "VIEWPOINT expects 7 numbers (tx ty tz qw qx qy qz)",
                path=path,
                line=lines["VIEWPOINT"],
            )
    version = " ".join(entries["VERSION"]) if "VERSION" in entries else None
    return PcdHeader(
        fields=fields,
        sizes=sizes,
        types=types,
        counts=counts,
        width=width,
        height=height,
        points=points,
        data=data,
        viewpoint=viewpoint,
        version=version,
        lines=lines,
        data_offset=data_offset,
    )


_NUMBER = re.compile(
    r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf)", re.IGNORECASE
)


def _check_pcd_data(
    stream: BinaryIO, header: PcdHeader, path: Path, file_size: int, intensity: str | None
) -> None:
    """Check that the data after the header is what the header says.

    In ascii data an integer-typed intensity must be written as an integer within its type's
    range: open3d would wrap 300 to 44 in a U 1 field, read 5.7 as 5 and 1e2 as 1.
    """
    remaining = file_size - header.data_offset
    points_line = header.lines["POINTS"]
    if header.data == "binary":
        expected = header.points * header.point_size
        if remaining != expected:
            raise InputError(
                f"POINTS {header.points} x {header.point_size} bytes a point = {expected} bytes "
                f"of binary data, but the file has {remaining}",
                path=path,
                line=points_line,
            )
        return
    if header.data == "binary_compressed":
        sizes = stream.read(8)
        if len(sizes) < 8:
            raise InputError(
                "binary_compressed data ends before its two sizes",
                path=path,
                line=header.lines["DATA"],
            )
        compressed, uncompressed = (int(v) for v in np.frombuffer(sizes, dtype="<u4"))
        expected = header.points * header.point_size
        if uncompressed != expected:
            raise InputError(
                f"POINTS {header.points} x {header.point_size} bytes a point = {expected} bytes, "
                f"but the compressed data says it unpacks to {uncompressed}",
                path=path,
                line=points_line,
            )
        if remaining - 8 != compressed:
            raise InputError(
                f"binary_compressed data says it is {compressed} bytes but the file has "
                f"{remaining - 8} after the sizes",
                path=path,
                line=header.lines["DATA"],
            )
        return
    # ascii: one point a line (blank lines are skipped, as PCL does), values_per_point numbers.
    try:
        text = stream.read().decode("ascii")
    except UnicodeDecodeError:
        raise InputError(
            "ascii data holds a byte that is not ASCII", path=path, line=header.lines["DATA"]
        ) from None
    rows = [(k, line.split()) for k, line in enumerate(text.splitlines()) if line.strip()]
    if len(rows) != header.points:
        raise InputError(
            f"POINTS {header.points} but the ascii data has {len(rows)} lines",
            path=path,
            line=points_line,
        )
    first = header.lines["DATA"] + 1
    _check_words(rows, header.values_per_point, "point", path, first)
    if intensity is not None:
        k = header.fields.index(intensity)
        if header.types[k] in ("U", "I"):
            column = sum(header.counts[:k])
            low, high = _int_range(header.types[k], header.sizes[k])
            _check_integers(rows, column, low, high, intensity, path, first)


def _check_words(
    rows: list[tuple[int, list[str]]], want: int, what: str, path: Path, first: int
) -> None:
    """Every row of ascii data (``(index, words)``, file line ``first + index``) has ``want``
    words, and every word is a decimal number (open3d reads other words as 0)."""
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


def _int_range(kind: str, size: int) -> tuple[int, int]:
    bits = 8 * size
    return (0, 2**bits - 1) if kind == "U" else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


_INTEGER = re.compile(r"[-+]?\d+")


def _check_integers(
    rows: list[tuple[int, list[str]]],
    column: int,
    low: int,
    high: int,
    name: str,
    path: Path,
    first: int,
) -> None:
    for k, words in rows:
        word = words[column]
        if not _INTEGER.fullmatch(word) or not low <= int(word) <= high:
            raise InputError(
                f"{name} {word!r} is not an integer within {low}..{high}, as its type requires",
                path=path,
                line=first + k,
            )


def _read_pcd(path: Path) -> PointCloud:
    with path.open("rb") as stream:
        header = parse_pcd_header(stream, path)
        names = {name.lower(): name for name in header.fields}
        source = next((names[n] for n in INTENSITY_NAMES if n in names), None)
        if source is not None and header.counts[header.fields.index(source)] != 1:
            raise InputError(
                f"intensity field {source!r} must hold one value a point (COUNT 1)",
                path=path,
                line=header.lines.get("COUNT", header.lines["FIELDS"]),
            )
        _check_pcd_data(stream, header, path, os.fstat(stream.fileno()).st_size, source)
    if header.points == 0:
        empty = np.zeros((0, 4), dtype=np.float32)
        return PointCloud(empty, 1.0, source or "none", header.fields)
    xyz, inten = _read_open3d(path, "pcd", header.points, source)
    return _assemble(xyz, inten, source, header.fields, path, dense_hint=True)


# --------------------------------------------------------------------------------------------
# PLY
# --------------------------------------------------------------------------------------------

_PLY_TYPES = {
    "char": "i1",
    "int8": "i1",
    "uchar": "u1",
    "uint8": "u1",
    "short": "i2",
    "int16": "i2",
    "ushort": "u2",
    "uint16": "u2",
    "int": "i4",
    "int32": "i4",
    "uint": "u4",
    "uint32": "u4",
    "float": "f4",
    "float32": "f4",
    "double": "f8",
    "float64": "f8",
}
_PLY_FORMATS = ("ascii", "binary_little_endian", "binary_big_endian")


@dataclass(frozen=True, slots=True)
class PlyElement:
    """One ``element`` of a PLY header: its name, count, properties and the line it is on.

    A property is ``(name, type)``; a list property's type is ``"list <count> <item>"``.
    """

    name: str
    count: int
    properties: tuple[tuple[str, str], ...]
    line: int


@dataclass(frozen=True, slots=True)
class PlyHeader:
    """A PLY header: format, elements in file order and the byte offset of the data."""

    format: str
    elements: tuple[PlyElement, ...]
    data_offset: int
    data_line: int

    def element(self, name: str) -> PlyElement | None:
        """The element called ``name``, if any."""
        return next((e for e in self.elements if e.name == name), None)


def parse_ply_header(stream: BinaryIO, path: Path) -> PlyHeader:
    """Parse and check the header of a PLY file (``stream`` at its start)."""
    fmt: str | None = None
    elements: list[PlyElement] = []
    current: tuple[str, int, list[tuple[str, str]], int] | None = None
    end = False
    last = 0
    for number, text, complete in _header_lines(stream, path, "PLY"):
        last = number
        words = text.split()
        if not complete and words != ["end_header"]:
            break  # cut short: reported below as a truncated header
        if number == 1:
            if words != ["ply"]:
                raise InputError("not a PLY file: the first line is not 'ply'", path=path, line=1)
            continue
        if not words or words[0] in ("comment", "obj_info"):
            continue
        key = words[0]
        if key == "format":
            if len(words) != 3 or words[1] not in _PLY_FORMATS:
                raise InputError(
                    f"unknown PLY format {' '.join(words[1:])!r}; expected one of "
                    f"{', '.join(_PLY_FORMATS)} and a version",
                    path=path,
                    line=number,
                )
            fmt = words[1]
        elif key == "element":
            if current is not None:
                elements.append(PlyElement(current[0], current[1], tuple(current[2]), current[3]))
            if len(words) != 3:
                raise InputError("element expects a name and a count", path=path, line=number)
            (count,) = _ints(words[2:], path, number, "element count", 0)
            current = (words[1], count, [], number)
        elif key == "property":
            if current is None:
                raise InputError("property before any element", path=path, line=number)
            if len(words) == 3 and words[1] in _PLY_TYPES:
                current[2].append((words[2], words[1]))
            elif (
                len(words) == 5
                and words[1] == "list"
                and words[2] in _PLY_TYPES
                and words[3] in _PLY_TYPES
            ):
                current[2].append((words[4], f"list {words[2]} {words[3]}"))
            else:
                raise InputError(f"malformed property {text.strip()!r}", path=path, line=number)
        elif key == "end_header":
            end = True
            break
        else:
            raise InputError(f"unknown PLY header entry {key!r}", path=path, line=number)
    if not end:
        raise InputError(
            "PLY header ends before end_header (truncated file?)", path=path, line=max(last, 1)
        )
    if fmt is None:
        raise InputError("PLY header has no format line", path=path, line=last)
    if current is not None:
        elements.append(PlyElement(current[0], current[1], tuple(current[2]), current[3]))
    return PlyHeader(fmt, tuple(elements), stream.tell(), last + 1)


def _ply_size(kind: str) -> int:
    return int(_PLY_TYPES[kind][1:])


def _check_ply_data(stream: BinaryIO, header: PlyHeader, path: Path, file_size: int) -> None:
    """Check the vertex data against the header before open3d reads it.

    open3d's PLY reader (RPly) stops at the first value it cannot read (a float beyond float32's
    range, an integer beyond its type's) and open3d then returns the points it had not filled
    yet, uninitialised, with nothing but a log line: so every vertex value is checked here.
    """
    vertex = header.element("vertex")
    if vertex is None:
        raise InputError("PLY has no vertex element", path=path)
    names = [name for name, _ in vertex.properties]
    for axis in ("x", "y", "z"):
        if axis not in names:
            raise InputError(
                f"a point cloud needs x, y and z vertex properties; the vertex element has "
                f"{' '.join(names) or 'none'}",
                path=path,
                line=vertex.line,
            )
    index = header.elements.index(vertex)
    upto = header.elements[: index + 1]
    for element in upto:
        for name, kind in element.properties:
            if kind.startswith("list"):
                raise InputError(
                    f"list property {name!r} of element {element.name!r}: PLY files with list "
                    "properties before or in the vertex element are not supported",
                    path=path,
                    line=element.line,
                )
    fixed = all(not kind.startswith("list") for e in header.elements for _, kind in e.properties)
    remaining = file_size - header.data_offset
    if header.format != "ascii":
        need = sum(e.count * sum(_ply_size(k) for _, k in e.properties) for e in upto)
        if fixed:
            need = sum(
                e.count * sum(_ply_size(k) for _, k in e.properties) for e in header.elements
            )
        if remaining != need and (fixed or remaining < need):
            raise InputError(
                f"the header's elements take {need} bytes of binary data, but the file has "
                f"{remaining}",
                path=path,
                line=vertex.line,
            )
        return
    try:
        text = stream.read().decode("ascii")
    except UnicodeDecodeError:
        raise InputError("ascii data holds a byte that is not ASCII", path=path) from None
    rows = [(k, line.split()) for k, line in enumerate(text.splitlines()) if line.strip()]
    skip = sum(e.count for e in header.elements[:index])
    total = sum(e.count for e in header.elements)
    if len(rows) < skip + vertex.count or (fixed and len(rows) != total):
        raise InputError(
            f"the header's elements take {total} lines but the ascii data has {len(rows)}",
            path=path,
            line=vertex.line,
        )
    mine = rows[skip : skip + vertex.count]
    first = header.data_line
    _check_words(mine, len(vertex.properties), "vertex", path, first)
    for column, (name, kind) in enumerate(vertex.properties):
        code = _PLY_TYPES[kind]
        if code[0] in "iu":
            low, high = _int_range("U" if code[0] == "u" else "I", int(code[1:]))
            _check_integers(mine, column, low, high, name, path, first)
        elif code == "f4":
            values = np.array([words[column] for _, words in mine], dtype=np.float64)
            over = np.flatnonzero(np.abs(values) > np.finfo(np.float32).max)
            if over.size:
                k, words = mine[int(over[0])]
                raise InputError(
                    f"{name} {words[column]} is beyond float32's range", path=path, line=first + k
                )


def _read_ply(path: Path) -> PointCloud:
    with path.open("rb") as stream:
        header = parse_ply_header(stream, path)
        _check_ply_data(stream, header, path, os.fstat(stream.fileno()).st_size)
    vertex = header.element("vertex")
    assert vertex is not None
    fields = tuple(name for name, _ in vertex.properties)
    names = {name.lower(): name for name in fields}
    source = next((names[n] for n in INTENSITY_NAMES if n in names), None)
    if vertex.count == 0:
        return PointCloud(np.zeros((0, 4), dtype=np.float32), 1.0, source or "none", fields)
    xyz, inten = _read_open3d(path, "ply", vertex.count, source)
    return _assemble(xyz, inten, source, fields, path, dense_hint=False)


# --------------------------------------------------------------------------------------------
# open3d, intensity, finiteness
# --------------------------------------------------------------------------------------------


def _open3d() -> Any:
    """The open3d module, or a FormatError saying how to install it."""
    try:
        # import_module keeps open3d's large, partly typed surface out of mypy's view.
        return importlib.import_module("open3d")
    except ImportError as exc:
        raise FormatError(
            f"reading .pcd and .ply point clouds needs open3d ({exc}): {INSTALL_HINT}"
        ) from None


@contextmanager
def _quiet(o3d: Any) -> Iterator[None]:
    """open3d prints warnings on failure; we raise our own errors instead."""
    with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
        yield


def _read_open3d(
    path: Path, fmt: str, expected: int, intensity: str | None
) -> tuple[npt.NDArray[Any], npt.NDArray[Any] | None]:
    """Positions ``(N, 3)`` and the intensity attribute ``(N,)`` read by ``open3d.t.io``."""
    o3d = _open3d()
    try:
        with _quiet(o3d):
            cloud = o3d.t.io.read_point_cloud(
                str(path), format=fmt, remove_nan_points=False, remove_infinite_points=False
            )
    except Exception as exc:  # open3d (pybind11) raises RuntimeError, and may raise others
        raise InputError(f"open3d cannot read this {fmt.upper()}: {exc}", path=path) from None
    attributes = set(cloud.point)
    if "positions" not in attributes:
        raise InputError(f"open3d read no points from this {fmt.upper()}", path=path)
    xyz = cloud.point["positions"].numpy()
    if xyz.shape != (expected, 3):
        raise InputError(
            f"open3d read {xyz.shape[0]} points, the header says {expected}", path=path
        )
    inten = None
    if intensity is not None:
        if intensity not in attributes:
            raise InputError(f"open3d dropped the {intensity!r} field", path=path)
        inten = cloud.point[intensity].numpy().reshape(-1)
        if inten.shape[0] != expected:
            raise InputError(
                f"open3d read {inten.shape[0]} {intensity!r} values for {expected} points",
                path=path,
            )
    return xyz, inten


def _assemble(
    xyz: npt.NDArray[Any],
    inten: npt.NDArray[Any] | None,
    source: str | None,
    fields: tuple[str, ...],
    path: Path,
    *,
    dense_hint: bool,
) -> PointCloud:
    pts = np.empty((xyz.shape[0], 4), dtype=np.float32)
    pts[:, :3] = xyz  # float64 sources are rounded to float32 here (the model's precision)
    _check_finite(pts[:, :3], path, dense_hint=dense_hint)
    if inten is None or source is None:
        pts[:, 3] = 0.0
        return PointCloud(pts, 1.0, "none", fields)
    pts[:, 3], scale = _scale_intensity(inten, source, path)
    return PointCloud(pts, scale, source, fields)


def _check_finite(xyz: npt.NDArray[Any], path: Path, *, dense_hint: bool) -> None:
    finite = np.isfinite(xyz)
    if finite.all():
        return
    bad = int(np.flatnonzero(~finite.all(axis=1))[0])
    hint = (
        " (a non-dense PCD marks missing returns with NaN: remove those points before "
        "converting, so that point indices stay meaningful)"
        if dense_hint
        else ""
    )
    raise InputError(
        f"coordinate is NaN or infinite: {xyz[bad].tolist()}{hint}",
        path=path,
        field=f"points[{bad}]",
    )


def _scale_intensity(
    values: npt.NDArray[Any], name: str, path: Path
) -> tuple[npt.NDArray[np.float32], float]:
    """Intensity in 0..1 and what it was divided by (1.0 or 255.0)."""
    if values.size == 0:
        return values.astype(np.float32), 1.0
    integer = values.dtype.kind in "iu"
    if not integer:
        finite = np.isfinite(values)
        if not finite.all():
            bad = int(np.flatnonzero(~finite)[0])
            raise InputError(f"{name} is NaN or infinite", path=path, field=f"points[{bad}].{name}")
    low, high = values.min(), values.max()
    if low < 0 or high > 255:
        bad = int(np.flatnonzero((values < 0) | (values > 255))[0])
        raise InputError(
            f"{name} {values[bad].item()} is outside 0..1 and 0..255 (values range "
            f"{low.item()}..{high.item()})",
            path=path,
            field=f"points[{bad}].{name}",
        )
    if integer or high > 1:
        return (values.astype(np.float64) / 255.0).astype(np.float32), 255.0
    return values.astype(np.float32, copy=False), 1.0


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _as_points(points: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """``(N, 4)`` little-endian float32 (intensity 0 for ``(N, 3)``), finite."""
    arr = np.asarray(points)
    if arr.ndim != 2 or arr.shape[1] not in (3, 4):
        raise OutputError(f"point cloud must have shape (N, 3) or (N, 4), got {arr.shape}")
    out = np.zeros((arr.shape[0], 4), dtype="<f4")
    out[:, : arr.shape[1]] = arr
    finite = np.isfinite(out)
    if not finite.all():
        bad = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise OutputError(f"point {bad} has a NaN or infinite value: {out[bad].tolist()}")
    return out


def _ascii_rows(arr: npt.NDArray[np.float32]) -> bytes:
    """One line a point, each float32 with 9 significant digits (enough to read back exact,
    through a correctly rounded float32 or float64 parse alike)."""
    if arr.shape[0] == 0:
        return b""
    values: list[float] = arr.astype(np.float64).ravel().tolist()
    text: str = ("%.9g %.9g %.9g %.9g\n" * arr.shape[0]) % tuple(values)
    # The one float32 whose 9-digit decimal lies beyond float32's range (RPly refuses it):
    # print the largest float32 exactly instead.
    return text.replace("3.40282347e+38", "3.4028234663852886e+38").encode("ascii")


def write_pcd(points: npt.NDArray[Any], path: str | Path, *, binary: bool = True) -> None:
    """Write x, y, z, intensity float32 as a PCD (``DATA binary`` or ``ascii``)."""
    arr = _as_points(points)
    n = arr.shape[0]
    header = (
        "# .PCD v0.7 - Point Cloud Data file format\n"
        "VERSION 0.7\n"
        "FIELDS x y z intensity\n"
        "SIZE 4 4 4 4\n"
        "TYPE F F F F\n"
        "COUNT 1 1 1 1\n"
        f"WIDTH {n}\n"
        "HEIGHT 1\n"
        "VIEWPOINT 0 0 0 1 0 0 0\n"
        f"POINTS {n}\n"
        f"DATA {'binary' if binary else 'ascii'}\n"
    ).encode("ascii")
    Path(path).write_bytes(header + (arr.tobytes() if binary else _ascii_rows(arr)))


def write_ply(points: npt.NDArray[Any], path: str | Path, *, binary: bool = True) -> None:
    """Write x, y, z, intensity float32 vertices as a PLY (binary little-endian or ascii)."""
    arr = _as_points(points)
    header = (
        "ply\n"
        f"format {'binary_little_endian' if binary else 'ascii'} 1.0\n"
        "comment written by nucleus-convert\n"
        f"element vertex {arr.shape[0]}\n"
        "property float x\n"
        "property float y\n"
        "property float z\n"
        "property float intensity\n"
        "end_header\n"
    ).encode("ascii")
    Path(path).write_bytes(header + (arr.tobytes() if binary else _ascii_rows(arr)))


def write_bin(points: npt.NDArray[Any], path: str | Path) -> None:
    """Write KITTI velodyne layout: little-endian float32 x, y, z, reflectance."""
    _as_points(points).tofile(Path(path))
