"""PLY headers and vertex data, checked before open3d reads them (see
:mod:`nucleus_convert.geometry.pointcloud_files` for why).

The header is ``ply``, a ``format`` line, ``element``/``property`` lines (``comment`` and
``obj_info`` skipped), ending with ``end_header``. Every error names the header (or data) line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nucleus_convert.errors import InputError
from nucleus_convert.geometry.header_text import (
    Rows,
    ascii_rows,
    check_integers,
    check_words,
    header_ints,
    header_lines,
    int_range,
)

__all__ = ["PLY_TYPES", "PlyElement", "PlyHeader", "check_ply_data", "parse_ply_header"]

PLY_TYPES = {
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
"""PLY type names and their numpy codes."""
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


@dataclass(slots=True)
class _Parse:
    """What the header lines read so far say."""

    path: Path
    format: str | None = None
    elements: list[PlyElement] = field(default_factory=list)
    current: tuple[str, int, list[tuple[str, str]], int] | None = None

    def close_element(self) -> None:
        """End the current element: its name must be new and, with records, it must have
        properties (RPly walks records of no bytes one by one: 2**32 - 1 of them hang it)."""
        if self.current is not None:
            name, count, props, line = self.current
            if any(e.name == name for e in self.elements):
                raise InputError(
                    f"PLY element {name!r} is declared twice", path=self.path, line=line
                )
            if count and not props:
                raise InputError(
                    f"PLY element {name!r} has {count} records but no property",
                    path=self.path,
                    line=line,
                )
            self.elements.append(PlyElement(name, count, tuple(props), line))
            self.current = None

    def entry(self, words: list[str], text: str, number: int) -> None:
        """Take one ``format``, ``element`` or ``property`` line."""
        key = words[0]
        if key == "format":
            if len(words) != 3 or words[1] not in _PLY_FORMATS:
                raise InputError(
                    f"unknown PLY format {' '.join(words[1:])!r}; expected one of "
                    f"{', '.join(_PLY_FORMATS)} and a version",
                    path=self.path,
                    line=number,
                )
            self.format = words[1]
        elif key == "element":
            self.close_element()
            if len(words) != 3:
                raise InputError("element expects a name and a count", path=self.path, line=number)
            (count,) = header_ints(words[2:], self.path, number, "element count", 0)
            self.current = (words[1], count, [], number)
        elif key == "property":
            self.current_properties(number).append(_property(words, text, self.path, number))
        else:
            raise InputError(f"unknown PLY header entry {key!r}", path=self.path, line=number)

    def current_properties(self, number: int) -> list[tuple[str, str]]:
        if self.current is None:
            raise InputError("property before any element", path=self.path, line=number)
        return self.current[2]


def _property(words: list[str], text: str, path: Path, number: int) -> tuple[str, str]:
    """``(name, type)`` of a ``property`` line; a list's type is ``"list <count> <item>"``."""
    if len(words) == 3 and words[1] in PLY_TYPES:
        return words[2], words[1]
    if len(words) == 5 and words[1] == "list" and words[2] in PLY_TYPES and words[3] in PLY_TYPES:
        return words[4], f"list {words[2]} {words[3]}"
    raise InputError(f"malformed property {text.strip()!r}", path=path, line=number)


PLY_MAX_LINE = 1000
"""Longest PLY header line read (bytes, line end included): RPly, which open3d reads PLY with,
keeps a header line in 1024 bytes and aborts the process (a fortified buffer overflow) on a
line of about 1040 or more."""

PLY_MAX_WORD = 255
"""Longest word (property name, type) in a PLY header: RPly keeps a word in 256 bytes."""


def parse_ply_header(stream: BinaryIO, path: Path) -> PlyHeader:
    """Parse and check the header of a PLY file (``stream`` at its start)."""
    state = _Parse(path)
    end = False
    last = 0
    for number, text, complete in header_lines(stream, path, "PLY", PLY_MAX_LINE):
        last = number
        words = text.split()
        if any(len(word) > PLY_MAX_WORD for word in words):
            raise InputError(
                f"PLY header word longer than {PLY_MAX_WORD} bytes", path=path, line=number
            )
        if not complete and words != ["end_header"]:
            break  # cut short: reported below as a truncated header
        if number == 1:
            if words != ["ply"]:
                raise InputError("not a PLY file: the first line is not 'ply'", path=path, line=1)
        elif words and words[0] == "end_header":
            end = True
            break
        elif words and words[0] not in ("comment", "obj_info"):
            state.entry(words, text, number)
    if not end:
        raise InputError(
            "PLY header ends before end_header (truncated file?)", path=path, line=max(last, 1)
        )
    if state.format is None:
        raise InputError("PLY header has no format line", path=path, line=last)
    state.close_element()
    return PlyHeader(state.format, tuple(state.elements), stream.tell(), last + 1)


def _ply_size(kind: str) -> int:
    return int(PLY_TYPES[kind][1:])


def _is_list(kind: str) -> bool:
    return kind.startswith("list")


def _vertex(header: PlyHeader, path: Path) -> PlyElement:
    """The vertex element, with x, y and z, and no list property up to it."""
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
    for element in header.elements[: header.elements.index(vertex) + 1]:
        for name, kind in element.properties:
            if _is_list(kind):
                raise InputError(
                    f"list property {name!r} of element {element.name!r}: PLY files with list "
                    "properties before or in the vertex element are not supported",
                    path=path,
                    line=element.line,
                )
    return vertex


def _check_binary(header: PlyHeader, vertex: PlyElement, path: Path, remaining: int) -> None:
    """The data is as long as the elements say (at least up to the vertices when a later
    element has list properties, whose size the header cannot tell)."""
    fixed = all(not _is_list(k) for e in header.elements for _, k in e.properties)
    upto = header.elements[: header.elements.index(vertex) + 1]
    counted = header.elements if fixed else upto
    need = sum(e.count * sum(_ply_size(k) for _, k in e.properties) for e in counted)
    if remaining != need and (fixed or remaining < need):
        raise InputError(
            f"the header's elements take {need} bytes of binary data, but the file has {remaining}",
            path=path,
            line=vertex.line,
        )


def _check_ascii_values(mine: Rows, vertex: PlyElement, path: Path, first: int) -> None:
    """Integers within their type; float32 values within float32's range."""
    for column, (name, kind) in enumerate(vertex.properties):
        code = PLY_TYPES[kind]
        if code[0] in "iu":
            low, high = int_range("U" if code[0] == "u" else "I", int(code[1:]))
            check_integers(mine, column, low, high, name, path, first)
        elif code == "f4":
            values = np.array([words[column] for _, words in mine], dtype=np.float64)
            over = np.flatnonzero(np.abs(values) > np.finfo(np.float32).max)
            if over.size:
                k, words = mine[int(over[0])]
                raise InputError(
                    f"{name} {words[column]} is beyond float32's range", path=path, line=first + k
                )


def _check_ascii(stream: BinaryIO, header: PlyHeader, vertex: PlyElement, path: Path) -> None:
    rows = ascii_rows(stream, path, None)
    fixed = all(not _is_list(k) for e in header.elements for _, k in e.properties)
    index = header.elements.index(vertex)
    skip = sum(e.count for e in header.elements[:index])
    total = sum(e.count for e in header.elements)
    if len(rows) < skip + vertex.count or (fixed and len(rows) != total):
        raise InputError(
            f"the header's elements take {total} lines but the ascii data has {len(rows)}",
            path=path,
            line=vertex.line,
        )
    mine = rows[skip : skip + vertex.count]
    check_words(mine, len(vertex.properties), "vertex", path, header.data_line)
    _check_ascii_values(mine, vertex, path, header.data_line)


def check_ply_data(stream: BinaryIO, header: PlyHeader, path: Path, file_size: int) -> None:
    """Check the vertex data against the header before open3d reads it.

    open3d's PLY reader (RPly) stops at the first value it cannot read (a float beyond float32's
    range, an integer beyond its type's) and open3d then returns the points it had not filled
    yet, uninitialised, with nothing but a log line: so every vertex value is checked here.
    """
    vertex = _vertex(header, path)
    if header.format != "ascii":
        _check_binary(header, vertex, path, file_size - header.data_offset)
    else:
        _check_ascii(stream, header, vertex, path)
