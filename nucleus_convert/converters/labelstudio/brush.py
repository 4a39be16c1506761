"""Label Studio's brush RLE: a bit-packed run-length code of the mask's RGBA pixels.

The format is the one of thi.ng's ``rle-pack`` that Label Studio's editor writes and that
``label_studio_converter/brush.py`` (``decode_rle`` / ``encode_rle``) reads and writes. Bits are
read most significant first, byte after byte:

* a header: ``num`` (32 bits, how many values follow: ``width * height * 4``, the RGBA bytes
  of the image row by row), ``word size - 1`` (5 bits; Label Studio writes 8-bit words) and
  four run-length field sizes, each ``size - 1`` in 4 bits (Label Studio writes 3, 4, 8, 16);
* then chunks until ``num`` values are out: a flag bit, a 2-bit index into the four sizes and a
  count ``n`` of that many bits, for ``n + 1`` values: with the flag set, one word repeated
  ``n + 1`` times; without it, ``n + 1`` words one after another;
* zero bits to the end of the last byte.

A pixel belongs to the mask when its alpha byte (every fourth value, the last of each pixel) is
not 0, as the editor draws it. :func:`encode_mask` writes what ``label_studio_converter``'s
``mask2rle`` writes for a 0/255 mask, byte for byte: every channel 255 on the mask, runs with
the smallest of the four fields that holds them (runs over 65,536 values split), and, as that
encoder does, a whole zero byte at the end when the bits fill the last byte exactly.

Pure numpy: no Pillow, nothing read from disk. Sizes are checked before anything is allocated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "BrushError",
    "decode_mask",
    "decode_values",
    "encode_mask",
    "encode_values",
    "read_header",
    "rle_bytes",
]

_HEADER_BITS = 32 + 5 + 4 * 4
_SIZES = (3, 4, 8, 16)
_WORD = 8
_MAX_RUN = 1 << 16


_Chunk = tuple[int, int, int, "npt.NDArray[np.uint64] | None"]


class BrushError(ValueError):
    """A brush RLE that cannot be a mask of the stated size; the message says why."""


def rle_bytes(rle: Any) -> bytes:
    """The bytes of a result's ``rle`` list (integers 0..255)."""
    if not isinstance(rle, list):
        raise BrushError(f"rle must be a list of bytes, got {type(rle).__name__}")
    try:
        return bytes(rle)
    except (TypeError, ValueError):
        raise BrushError("rle must hold integers from 0 to 255") from None


class _Bits:
    """Reads fields of up to 32 bits from a byte string, most significant bit first."""

    __slots__ = ("data", "pos", "total")

    def __init__(self, data: bytes) -> None:
        self.data = data + bytes(8)
        self.total = len(data) * 8
        self.pos = 0

    def read(self, n: int) -> int:
        pos = self.pos
        if pos + n > self.total:
            raise BrushError("the RLE ends before its values do")
        self.pos = pos + n
        start = pos >> 3
        word = int.from_bytes(self.data[start : start + 8], "big")
        return (word >> (64 - (pos & 7) - n)) & ((1 << n) - 1)

    def words(self, count: int, size: int) -> npt.NDArray[np.uint64]:
        """``count`` consecutive words of ``size`` bits."""
        pos = self.pos
        end = pos + count * size
        if end > self.total:
            raise BrushError("the RLE ends before its values do")
        self.pos = end
        first, last = pos >> 3, (end + 7) >> 3
        raw = np.frombuffer(self.data, dtype=np.uint8, count=last - first, offset=first)
        bits = np.unpackbits(raw)[pos - first * 8 : end - first * 8]
        weights = np.left_shift(np.uint64(1), np.arange(size - 1, -1, -1, dtype=np.uint64))
        out: npt.NDArray[np.uint64] = bits.reshape(count, size).astype(np.uint64) @ weights
        return out


def read_header(data: bytes) -> tuple[int, int, tuple[int, ...]]:
    """``(num, word size, run field sizes)`` of an RLE."""
    if len(data) * 8 < _HEADER_BITS:
        raise BrushError(f"an RLE needs at least {_HEADER_BITS} header bits, got {len(data) * 8}")
    bits = _Bits(data)
    num = bits.read(32)
    word = bits.read(5) + 1
    sizes = tuple(bits.read(4) + 1 for _ in range(4))
    return num, word, sizes


def _chunks(data: bytes, num: int, word: int, sizes: tuple[int, ...]) -> Iterator[_Chunk]:
    """The chunks of an RLE after its header: ``(i, j, value, words)``, values ``i..j-1``
    being ``value`` repeated (``words`` None) or ``words`` one after another."""
    bits = _Bits(data)
    bits.pos = _HEADER_BITS
    i = 0
    while i < num:
        repeat = bits.read(1)
        j = i + 1 + bits.read(sizes[bits.read(2)])
        if j > num:
            raise BrushError(f"a run reaches value {j}, past the {num} the header declares")
        if repeat:
            yield i, j, bits.read(word), None
        else:
            yield i, j, 0, bits.words(j - i, word)
        i = j


def decode_values(data: bytes, limit: int) -> npt.NDArray[np.uint64]:
    """Every value of an RLE (refused before allocating when the header declares more than
    ``limit``)."""
    num, word, sizes = read_header(data)
    if num > limit:
        raise BrushError(f"the RLE declares {num} values, over the limit of {limit}")
    out = np.zeros(num, dtype=np.uint64)
    for i, j, value, words in _chunks(data, num, word, sizes):
        out[i:j] = value if words is None else words
    return out


def decode_mask(data: bytes, width: int, height: int) -> npt.NDArray[np.bool_]:
    """The ``(height, width)`` mask of an RLE of a ``width x height`` RGBA image.

    The caller has checked ``width * height`` against the pixel limit; the header's value count
    must be ``4 * width * height`` (checked before the mask is allocated).
    """
    num, word, sizes = read_header(data)
    if num != 4 * width * height:
        raise BrushError(
            f"the RLE holds {num} values; a {width}x{height} RGBA image has {4 * width * height}"
        )
    alpha = np.zeros(width * height, dtype=np.bool_)
    for i, j, value, words in _chunks(data, num, word, sizes):
        if words is None:
            if value:
                alpha[-((3 - i) // 4) : j // 4] = True
        else:
            picks = np.arange(i + (3 - i) % 4, j, 4)
            alpha[picks // 4] = words[picks - i] != 0
    return alpha.reshape(height, width)


def _mask_runs(mask: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Run lengths (in RGBA values) and byte values of a mask, row by row: each pixel is four
    equal values, 255 on the mask and 0 off it."""
    flat = np.asarray(mask).ravel() != 0
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    lengths = np.diff(bounds).astype(np.int64) * 4
    values = np.where(flat[bounds[:-1]], 255, 0).astype(np.uint8)
    return lengths, values


def _value_runs(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Run lengths and values of a 1-D array of bytes."""
    flat = np.asarray(values, dtype=np.uint8).ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    return np.diff(bounds).astype(np.int64), flat[bounds[:-1]]


def _split_long(
    lengths: npt.NDArray[np.int64], values: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Runs over 65,536 values cut as the reference encoder cuts them: whole 65,536-value
    chunks first, the rest last."""
    long = lengths > _MAX_RUN
    if not long.any():
        return lengths, values
    pieces = np.where(long, (lengths - 1) // _MAX_RUN + 1, 1)
    out_len = np.full(int(pieces.sum()), _MAX_RUN, dtype=np.int64)
    last = np.cumsum(pieces) - 1
    out_len[last] = lengths - (pieces - 1) * _MAX_RUN
    return out_len, np.repeat(values, pieces)


def _pack(fields: npt.NDArray[np.uint64], widths: npt.NDArray[np.int64]) -> list[int]:
    """Concatenate ``fields`` (each ``widths`` bits, most significant first) into bytes, with
    the reference encoder's padding (a whole zero byte when the bits end on a byte)."""
    total = int(widths.sum())
    bits = np.zeros(total, dtype=np.uint8)
    offsets = np.cumsum(widths) - widths
    for b in range(int(widths.max(initial=0))):
        sel = widths > b
        shift = (widths[sel] - 1 - b).astype(np.uint64)
        bits[offsets[sel] + b] = (fields[sel] >> shift) & np.uint64(1)
    packed = np.packbits(bits).tolist()
    return packed + ([0] if total % 8 == 0 else [])


def _encode(num: int, lengths: npt.NDArray[np.int64], values: npt.NDArray[np.uint8]) -> list[int]:
    """The RLE of ``num`` values given as runs: a run of one value is a one-word literal
    chunk, a longer one a repeat chunk, each with the smallest count field that holds it."""
    if num >= 1 << 32:
        raise BrushError(f"{num} values are too many for a brush RLE (the count has 32 bits)")
    head_fields = np.array([num, _WORD - 1, *(s - 1 for s in _SIZES)], dtype=np.uint64)
    head_widths = np.array([32, 5, 4, 4, 4, 4], dtype=np.int64)
    lengths, values = _split_long(lengths, values)
    index = np.select([lengths <= 8, lengths <= 16, lengths <= 256], [0, 1, 2], default=3)
    n = lengths.size
    chunk = np.empty((n, 4), dtype=np.uint64)
    chunk[:, 0] = lengths > 1
    chunk[:, 1] = index
    chunk[:, 2] = lengths - 1
    chunk[:, 3] = values
    width = np.empty((n, 4), dtype=np.int64)
    width[:, 0], width[:, 1], width[:, 3] = 1, 2, _WORD
    width[:, 2] = np.asarray(_SIZES, dtype=np.int64)[index]
    return _pack(
        np.concatenate([head_fields, chunk.ravel()]),
        np.concatenate([head_widths, width.ravel()]),
    )


def encode_values(values: npt.NDArray[Any]) -> list[int]:
    """The RLE of a 1-D array of bytes (what the reference ``encode_rle`` takes)."""
    flat = np.asarray(values).ravel()
    if flat.size == 0:
        return _encode(0, np.zeros(0, np.int64), np.zeros(0, np.uint8))
    return _encode(flat.size, *_value_runs(flat))


def encode_mask(mask: npt.NDArray[Any]) -> list[int]:
    """The ``rle`` list of a ``(height, width)`` mask (nonzero: on the mask), as the
    reference ``mask2rle`` writes it for a 0/255 mask."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise BrushError(f"a mask has two dimensions, got {mask.ndim}")
    if mask.size == 0:
        return _encode(0, np.zeros(0, np.int64), np.zeros(0, np.uint8))
    return _encode(4 * mask.size, *_mask_runs(mask))
