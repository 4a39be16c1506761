"""Limits every reader checks before it allocates or calls native code.

Hostile or broken input must end in one :class:`~nucleus_convert.errors.InputError` line naming
file, record and field, never in a traceback, a native crash or gigabytes of memory. The checks
here are shared by every reader (built-in or plugin) so that each limit lives in one place:

* **pixels** per mask or image: at most :func:`pixel_limit` (default Pillow's decompression-bomb
  limit, ``PIL.Image.MAX_IMAGE_PIXELS``, about 89 million), raised per read with the reader
  option ``max_pixels`` (:func:`max_pixels_option`). :func:`pixels_problem` checks a declared
  ``width x height`` (a PNG header, an RLE ``size``) before anything is decoded;
  :func:`open_image` opens an image, checks its header's size and turns every Pillow decode
  error class (:data:`IMAGE_ERRORS`) into an ``InputError``;
* **nesting depth and integer size** of free-form JSON-like values (unknown keys, metadata,
  attributes): at most :data:`MAX_DEPTH` levels (64; annotation files need a handful; orjson
  writes at most 255 and Python recurses about 1000 deep) and integers within what orjson
  writes (``-2**63 .. 2**64 - 1``), checked iteratively by :func:`json_value_problem`;
* **counts** declared in headers (a class count, a number of points): :func:`count_problem`;
* **names that become file names** (ids in list files): :func:`file_name_problem`, no NUL byte
  and no part longer than :data:`~nucleus_convert.toolkit.paths.MAX_NAME_BYTES` bytes.

Importing this module loads neither numpy nor Pillow.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nucleus_convert.errors import InputError
from nucleus_convert.registry import Option
from nucleus_convert.toolkit.paths import MAX_NAME_BYTES

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = [
    "INT_MAX",
    "INT_MIN",
    "MAX_COUNT",
    "MAX_DEPTH",
    "count_problem",
    "file_name_problem",
    "image_errors",
    "json_value_problem",
    "max_pixels_option",
    "open_image",
    "parse_max_pixels",
    "pixel_limit",
    "pixels_problem",
]

MAX_DEPTH = 64
"""Deepest nesting of a free-form value (a list or object inside another counts one level)."""

INT_MIN = -(2**63)
INT_MAX = 2**64 - 1
"""The integers orjson writes: a signed or an unsigned 64-bit value."""

MAX_COUNT = 1 << 20
"""Default bound on a count a header declares for things held in memory (classes, names)."""


def pixel_limit(max_pixels: int | None = None) -> int:
    """``max_pixels`` when given, else Pillow's decompression-bomb limit (read at call time)."""
    if max_pixels is not None:
        return max_pixels
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    return int(limit) if limit else 1 << 62


def parse_max_pixels(value: Any) -> int:
    """The ``max_pixels`` option: a positive integer (``_`` separators allowed)."""
    try:
        n = int(str(value).replace("_", "")) if not isinstance(value, int) else value
    except ValueError:
        raise ValueError(f"expected a positive number of pixels, got {value!r}") from None
    if isinstance(n, bool) or n <= 0:
        raise ValueError(f"expected a positive number of pixels, got {value!r}")
    return n


parse_max_pixels.__name__ = "pixels"


def max_pixels_option() -> Option:
    """The ``max_pixels`` reader option, spelt the same by every format that reads pixels."""
    return Option(
        "max_pixels",
        "largest mask or image (width x height) read; default Pillow's decompression-bomb "
        "limit (PIL.Image.MAX_IMAGE_PIXELS)",
        parse_max_pixels,
        None,
    )


def pixels_problem(width: int, height: int, max_pixels: int | None = None) -> str | None:
    """Why a ``width x height`` raster may not be decoded, or ``None`` when it may."""
    limit = pixel_limit(max_pixels)
    if width * height > limit:
        return (
            f"{width}x{height} is {width * height} pixels, over the limit of {limit} "
            "(raise it with the reader option max_pixels)"
        )
    return None


def image_errors() -> tuple[type[BaseException], ...]:
    """Every exception class Pillow raises on a broken or hostile file (decode included)."""
    from PIL import Image

    return (
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        IndexError,
        KeyError,
        struct.error,
        zlib.error,
        Image.DecompressionBombError,
    )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk_problem(path: Path) -> str | None:
    """Why the PNG at ``path`` cannot be what its chunk headers say: a chunk declaring more
    bytes than the file has left (Pillow allocates a chunk's declared length before reading
    it: 2 GiB for a 43-byte file). ``None`` for a sound PNG or a file that is no PNG."""
    try:
        with path.open("rb") as fh:
            if fh.read(8) != _PNG_SIGNATURE:
                return None
            size = fh.seek(0, 2)
            pos = 8
            while pos + 8 <= size:
                fh.seek(pos)
                head = fh.read(8)
                length = int.from_bytes(head[:4], "big")
                left = size - pos - 8  # a missing CRC at the very end Pillow tolerates
                if length > left:
                    kind = head[4:8].decode("latin-1")
                    return (
                        f"PNG chunk {kind!r} at byte {pos} declares {length} bytes but the file "
                        f"has {max(left, 0)} after it"
                    )
                if head[4:8] == b"IEND":
                    break
                pos += 12 + length
    except (OSError, ValueError):  # unreadable, or a NUL in the path: Pillow reports it
        return None
    return None


@contextmanager
def open_image(
    path: Path,
    *,
    max_pixels: int | None = None,
    what: str = "image",
    size: tuple[int, int] | None = None,
) -> Iterator[PILImage.Image]:
    """Open ``path`` with Pillow, refusing it before any pixel is decoded when its header says
    more than :func:`pixel_limit` pixels, or, when ``size`` (``(width, height)``, what the
    dataset declares) is given, another size; any Pillow error inside the ``with`` block
    (decoding included) becomes an :class:`InputError` naming the file (``what`` names the
    role, as in ``"cannot read segmentation mask"``)."""
    from PIL import Image

    errors = image_errors()
    limit = pixel_limit(max_pixels)
    saved = Image.MAX_IMAGE_PIXELS
    try:
        # The limit is checked here, from the header, before any pixel is decoded; Pillow's
        # own check (a warning at its limit, an error at twice it) would ignore max_pixels.
        Image.MAX_IMAGE_PIXELS = None
        problem = png_chunk_problem(path)
        if problem is not None:
            raise InputError(f"cannot read {what}: {problem}", path=path)
        with Image.open(path) as im:
            width, height = im.size
            problem = pixels_problem(width, height, limit)
            if problem is not None:
                raise InputError(f"{what} is too large: {problem}", path=path)
            if size is not None and (width, height) != tuple(size):
                raise InputError(
                    f"{what} is {width}x{height} pixels but the image is {size[0]}x{size[1]}",
                    path=path,
                )
            yield im
    except errors as exc:
        raise InputError(f"cannot read {what}: {_one_line(exc)}", path=path) from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def count_problem(value: Any, *, limit: int = MAX_COUNT, minimum: int = 0) -> str | None:
    """Why ``value`` is not a count within ``minimum..limit``, or ``None`` when it is."""
    if type(value) is not int:
        return f"must be an integer, got {str(value)[:40]!r}"
    if value < minimum or value > limit:
        return f"must be within {minimum}..{limit}, got {value}"
    return None


def file_name_problem(name: str) -> str | None:
    """Why ``name`` (a relative path with ``/`` separators) cannot name a file to open: a NUL
    byte, or a part longer than :data:`MAX_NAME_BYTES` bytes in UTF-8; ``None`` when it can."""
    if "\x00" in name:
        return "the name holds a NUL byte"
    if len(name) > MAX_NAME_BYTES // 4:  # a part can only be too long in a long name
        for part in name.split("/"):
            if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
                return f"a part of the name is longer than {MAX_NAME_BYTES} bytes"
    return None


_SCALARS = (str, float, bool, type(None))


def json_value_problem(value: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """Why a free-form value cannot be carried, or ``None`` when it can.

    Walks ``value`` iteratively (no recursion, so any depth is safe; a container shared by
    several parents, as YAML aliases make, is walked once): lists and dicts may nest
    at most ``max_depth`` levels; integers must lie within :data:`INT_MIN`..:data:`INT_MAX`
    (what orjson writes). Scalars cost one type test.
    """
    kind = type(value)
    if kind is int:
        return _int_problem(value)
    if kind is not list and kind is not dict:
        return None
    stack: list[tuple[Any, int]] = [(value, 1)]
    seen = {id(value)}  # a container shared (YAML aliases) is walked once, not once a path
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return f"nested more than {max_depth} levels deep"
        children = node.values() if type(node) is dict else node
        for child in children:
            ckind = type(child)
            if ckind is list or ckind is dict:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, depth + 1))
            elif ckind is int:
                problem = _int_problem(child)
                if problem is not None:
                    return problem
    return None


def _int_problem(value: int) -> str | None:
    if INT_MIN <= value <= INT_MAX:
        return None
    return f"an integer of {value.bit_length()} bits does not fit in 64 bits"
