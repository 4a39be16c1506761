"""Payload files split into numbered parts below a size limit, and read back in order.

The client refuses a request over ``nucleus.constants.MAX_PAYLOAD_SIZE`` (``0x1FFFFFE8``
bytes, about 512 MiB), so a JSONL file is cut, at a line boundary, before it would pass the
writer option ``max_file_bytes`` (default :data:`DEFAULT_MAX_FILE_BYTES`, half the cap: room
for the client's own wrapping). Parts are named ``<stem>.jsonl``, ``<stem>-00002.jsonl``,
``<stem>-00003.jsonl``... and listed in the manifest under ``parts`` (only when a file was
split, so a bundle with nothing to split is byte-identical to one written before parts
existed). The reader takes the manifest's order, or, without one, ``<stem>.jsonl`` then the
``<stem>-NNNNN.jsonl`` files in numeric order.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import IO, Any

import orjson

from nucleus_convert.errors import OutputError

__all__ = ["DEFAULT_MAX_FILE_BYTES", "PartedJsonlWriter", "parse_max_file_bytes", "part_paths"]

CLIENT_MAX_PAYLOAD_SIZE = 0x1FFFFFE8
"""``nucleus.constants.MAX_PAYLOAD_SIZE`` of scale-nucleus 0.22 (checked by a test)."""
DEFAULT_MAX_FILE_BYTES = CLIENT_MAX_PAYLOAD_SIZE // 2
_CHUNK = 1 << 20


def parse_max_file_bytes(value: Any) -> int:
    """A positive number of bytes, at most the client's cap."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number of bytes, got {value!r}") from None
    if not 0 < n <= CLIENT_MAX_PAYLOAD_SIZE:
        raise ValueError(f"expected 1 to {CLIENT_MAX_PAYLOAD_SIZE} bytes, got {n}")
    return n


parse_max_file_bytes.__name__ = "bytes"  # as formats NAME shows the type


def _append_file(path: Path, out: IO[bytes]) -> None:
    """Append the bytes of ``path`` to ``out``: copied by the kernel where it can
    (``copy_file_range``: no pass through Python's buffers; a gigabyte of parts at train2017
    scale), else, or for what is left after a refusal, through a buffer."""
    out.flush()
    with path.open("rb") as fh:
        remaining = os.fstat(fh.fileno()).st_size
        try:
            while remaining > 0:
                copied = os.copy_file_range(fh.fileno(), out.fileno(), remaining)
                if copied == 0:
                    break
                remaining -= copied
        except (OSError, AttributeError):  # another file system, an old kernel, not Linux
            pass
        if remaining:
            shutil.copyfileobj(fh, out, _CHUNK)  # from where the kernel copy stopped


def _part_name(name: str, number: int) -> str:
    stem = name.removesuffix(".jsonl")
    return name if number == 1 else f"{stem}-{number:05d}.jsonl"


class PartedJsonlWriter:
    """Like :class:`~nucleus_convert.toolkit.files.JsonlWriter` (one compact JSON value per
    line, buffered, files created on first write), starting a new part before a line would take
    the current one past ``limit`` bytes. ``parts`` names the files written, in order."""

    def __init__(self, folder: Path, name: str, limit: int) -> None:
        self.folder = folder
        self.name = name
        self.limit = limit
        self.count = 0
        self.parts: list[str] = []
        self._buf: list[bytes] = []
        self._buffered = 0
        self._part_size = 0
        self._fh: IO[bytes] | None = None

    def write(self, value: Any) -> None:
        self.write_line(orjson.dumps(value) + b"\n")

    def write_line(self, line: bytes) -> None:
        """Add one line already encoded (ending in a newline)."""
        size = len(line)
        if self._part_size + size > self.limit:
            if size > self.limit:
                raise OutputError(
                    f"{self.name}: one payload line is {size} bytes, over the part limit of "
                    f"{self.limit} (-w max_file_bytes=...)"
                )
            if self._part_size:
                self._next_part()
        self._buf.append(line)
        self._buffered += size
        self._part_size += size
        self.count += 1
        if self._buffered >= _CHUNK:
            self._flush()

    def write_lines_of(self, path: Path, lines: int) -> None:
        """Add the ``lines`` lines of file ``path`` (each ending in a newline), copied in blocks
        when they fit in the current part, else line by line (the split falls where
        :meth:`write_line` puts it)."""
        size = path.stat().st_size
        if self._part_size + size > self.limit:
            with path.open("rb") as fh:
                for line in fh:
                    self.write_line(line)
            return
        self._buf.append(b"")  # opens the part's file on flush, as a first line would
        self._flush()
        assert self._fh is not None
        _append_file(path, self._fh)
        self._part_size += size
        self.count += lines

    def _next_part(self) -> None:
        self._flush()
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self._part_size = 0

    def _flush(self) -> None:
        if not self._buf:
            return
        if self._fh is None:
            name = _part_name(self.name, len(self.parts) + 1)
            self.parts.append(name)
            self._fh = (self.folder / name).open("wb")
        self._fh.write(b"".join(self._buf))
        self._buf.clear()
        self._buffered = 0

    def close(self) -> None:
        self._flush()
        if self._fh is not None:
            self._fh.close()
            self._fh = None


_NUMBERED = re.compile(r"-(\d{5,})\.jsonl\Z")


def part_paths(root: Path, name: str, listed: Any) -> list[Path]:
    """The parts of bundle file ``name`` in reading order: the manifest's list when it has one
    (``listed``), else ``name`` then ``<stem>-NNNNN.jsonl`` by number; only files that exist."""
    if isinstance(listed, list) and all(isinstance(p, str) for p in listed):
        names = [p for p in listed if Path(p).name == p]
    else:
        stem = name.removesuffix(".jsonl")
        numbered = []
        for path in root.glob(f"{glob_escape(stem)}-*.jsonl"):
            match = _NUMBERED.search(path.name)
            if match and path.name == f"{stem}-{match.group(1)}.jsonl":
                numbered.append((int(match.group(1)), path.name))
        names = [name, *(n for _, n in sorted(numbered))]
    return [root / n for n in names if (root / n).is_file()]


def glob_escape(text: str) -> str:
    """``text`` with glob's special characters taken literally."""
    return re.sub(r"([*?\[])", r"[\1]", text)
