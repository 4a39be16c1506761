"""Small I/O helpers shared by formats: JSON Lines in and out, safe names, a paused collector."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import sha1
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson

from nucleus_convert.errors import InputError

__all__ = [
    "JsonlWriter",
    "SafeNames",
    "gc_paused",
    "is_remote",
    "iter_jsonl",
    "join_location",
    "load_json",
    "local_image_size",
    "parse_json",
    "read_file_bytes",
]

_CHUNK = 1 << 20


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause CPython's cyclic collector for bulk work that builds only acyclic data.

    Parsing and converting large annotation files spends about half its time in the collector
    otherwise; it is restored afterwards, even on error.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def is_remote(location: str) -> bool:
    """True for URLs (``scheme://...``), False for local paths."""
    return "://" in location


def join_location(root: str, name: str) -> str:
    """``name`` under ``root``: a URL prefix (joined with ``/``) or a local folder."""
    if is_remote(root):
        return root.rstrip("/") + "/" + name
    return str(Path(root) / name)


def local_image_size(location: str) -> tuple[int, int] | None:
    """``(width, height)`` from a local image's header, or None when it cannot be read here.

    Only the header is read; Pillow's decompression-bomb limit stays in force.
    """
    if is_remote(location) or not Path(location).is_file():
        return None
    from PIL import Image

    from nucleus_convert.toolkit.limits import image_errors

    try:
        with Image.open(location) as im:
            return im.size
    except image_errors():  # any class Pillow raises on a broken file (ValueError, ...)
        return None


def read_file_bytes(path: Path) -> bytes:
    """The bytes of a whole file, raising :class:`InputError` when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None


def parse_json(data: bytes, path: Path) -> Any:
    """Parse JSON text read from ``path`` (orjson's types: integers beyond 64 bits become
    floats), raising :class:`InputError` with the line on bad JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        line = data.count(b"\n", 0, exc.pos) + 1
        raise InputError(f"not valid JSON: {exc.msg}", path=path, line=line) from None


def load_json(path: Path) -> Any:
    """Parse a whole JSON file, raising :class:`InputError` with the position on bad JSON."""
    return parse_json(read_file_bytes(path), path)


def iter_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, value)`` for each non-blank line of a JSON Lines file."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from None
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                yield lineno, orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg}", path=path, line=lineno) from None


class JsonlWriter:
    """Writes one compact JSON value per line, buffered; the file is created on first write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._buf: list[bytes] = []
        self._size = 0
        self._fh: IO[bytes] | None = None

    def write(self, value: Any) -> None:
        line = orjson.dumps(value) + b"\n"
        self._buf.append(line)
        self._size += len(line)
        self.count += 1
        if self._size >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._fh is None:
            self._fh = self.path.open("wb")
        self._fh.write(b"".join(self._buf))
        self._buf.clear()
        self._size = 0

    def close(self) -> None:
        if self._buf:
            self._flush()
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class SafeNames:
    """File names derived from reference ids, confined to one folder and never reused.

    Characters other than letters, digits, ``.``, ``_`` and ``-`` become ``_``; a name that
    had to change, or that is already taken, gets a short hash of the id so that two ids never
    share a file. Leading dots are replaced so no name is hidden or climbs out (``..``).
    """

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def name(self, ref: str, suffix: str) -> str:
        stem = _UNSAFE.sub("_", ref)[:120]
        if stem.startswith("."):
            stem = "_" + stem[1:]
        if not stem or stem != ref or (stem + suffix) in self._taken:
            stem = f"{stem}-{sha1(ref.encode('utf-8')).hexdigest()[:8]}"
        n = 1
        candidate = stem + suffix
        while candidate in self._taken:
            n += 1
            candidate = f"{stem}-{n}{suffix}"
        self._taken.add(candidate)
        return candidate

    def taken(self) -> set[str]:
        """Every name given so far."""
        return set(self._taken)
