"""A bundle's item annotations, by reference id, kept decoded up to a budget and indexed past
it, so that memory does not grow with the bundle.

The check pass reads every annotation line once, in file order: it decodes the line (so a
malformed one fails the read before anything is written, naming its file and line) and notes
what it tells the header (:data:`~.manifest.HeaderFact`, one of each kind per item). The first
:data:`DECODED_BUDGET` annotations are kept as decoded; past that, only where the line is: its
file, byte offset, length and line number. When the item stream reaches an item,
:meth:`AnnotationIndex.take` gives its annotations in file order, decoding the indexed lines
again (``os.pread``: no shared file position, so forked partition workers read from the same
index).

Memory bound: the decoded budget (a kilobyte or so an annotation) plus about a hundred bytes
an annotation past it. Speed: a bundle within the budget is decoded once, as before; past it,
each indexed line is decoded twice (measured on the val-scale bundle with the budget at 0:
about 2.6x the read time). A file changed between the two passes gives the located error of
the changed line, never a silent difference: bytes that no longer parse, or belong to another
item, fail.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from nucleus_convert.converters.nucleus.manifest import HeaderFacts
from nucleus_convert.errors import InputError
from nucleus_convert.model import Annotation

__all__ = ["AnnotationIndex"]

Decode = Callable[[Any, bool], tuple[str, Annotation]]
"""``(payload, prediction) -> (reference id, annotation)``, raising :class:`InputError`."""

_Line = tuple[int, int, int, int]
"""(file number, byte offset, length, line number)"""

DECODED_BUDGET = 200_000
"""Annotations kept decoded before the index keeps only where the rest are (about 300 MB of
model objects at most; a val2017-sized bundle, 80,000 annotations, stays decoded)."""


def _lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """``(line number, byte offset, line)`` for each non-blank line of ``path``."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    offset = 0
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            if raw.strip():
                yield lineno, offset, raw
            offset += len(raw)


class AnnotationIndex:
    """Each item's annotations, decoded or indexed (see the module docstring)."""

    def __init__(self, decode: Decode) -> None:
        self._decode = decode
        self._files: list[tuple[Path, bool]] = []
        self._fds: dict[int, int] = {}
        self.lines: dict[str, list[_Line | Annotation]] = defaultdict(list)
        self.decoded = 0
        self.facts = HeaderFacts()

    def add_file(self, path: Path, *, prediction: bool) -> None:
        """Check every line of ``path`` and index it under its reference id."""
        number = len(self._files)
        self._files.append((path, prediction))
        for lineno, offset, raw in _lines(path):
            ref, ann = self._decode_line(raw, number, lineno)
            if self.decoded < DECODED_BUDGET:
                self.decoded += 1
                self.lines[ref].append(ann)
            else:
                self.lines[ref].append((number, offset, len(raw), lineno))
            self.facts.add(ref, ann)

    def _decode_line(self, raw: bytes, number: int, lineno: int) -> tuple[str, Annotation]:
        path, prediction = self._files[number]
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc.msg}", path=path, line=lineno) from None
        try:
            return self._decode(obj, prediction)
        except InputError as exc:
            raise exc.located(path=path, line=lineno) from None

    def refs(self) -> list[str]:
        """The reference ids that still have annotations, in order of first appearance."""
        return list(self.lines)

    def take(self, ref: str) -> list[Annotation]:
        """Decode the annotations of ``ref`` (in file order) and forget them."""
        out = []
        for entry in self.lines.pop(ref, ()):
            if not isinstance(entry, tuple):
                out.append(entry)
                continue
            number, offset, length, lineno = entry
            raw = self._read(number, offset, length)
            got, ann = self._decode_line(raw, number, lineno)
            if got != ref:
                path = self._files[number][0]
                raise InputError("the file changed while it was read", path=path, line=lineno)
            out.append(ann)
        return out

    def _read(self, number: int, offset: int, length: int) -> bytes:
        fd = self._fds.get(number)
        path = self._files[number][0]
        try:
            if fd is None:
                fd = self._fds[number] = os.open(path, os.O_RDONLY)
            return os.pread(fd, length, offset)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", path=path) from None

    def close(self) -> None:
        """Close the files :meth:`take` opened (in this process)."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
