"""The pixels of a COCO panoptic PNG: layers painted into one canvas, each segment's area and
box, and segment ids encoded as RGB. Pure numpy (and zlib for the PNG bytes).

Conventions:

* a canvas is a ``(height, width)`` ``uint32`` array of piece numbers (1-based; 0 is void,
  "unlabelled"); a layer is an array of the same shape, painted over the canvas where it is
  not 0, so a later layer covers earlier ones;
* a segment id is the colour ``R + 256 G + 256^2 B`` (panopticapi's ``id2rgb``; 0 is void), so
  ids lie in ``1 .. 2^24 - 1``;
* a box is COCO's ``[x, y, width, height]`` of the segment's pixels, in whole pixels: ``x, y``
  is the top-left corner of its top-left pixel (pixel ``(col, row)`` covers
  ``[col, col + 1) x [row, row + 1)``), so a single pixel at ``(3, 5)`` is ``[3, 5, 1, 1]``; a
  segment without pixels has area 0 and the box ``[0, 0, 0, 0]``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_SEGMENT_ID",
    "binary_layer",
    "encode_rgb_png",
    "index_layer",
    "paint",
    "segment_boxes",
]

MAX_SEGMENT_ID = (1 << 24) - 1
"""The largest id three 8-bit channels hold."""

Canvas = npt.NDArray[np.uint32]


def index_layer(mask: npt.NDArray[Any], numbers: Mapping[int, int]) -> Canvas:
    """The layer of an index mask: each value ``v`` becomes the piece number ``numbers[v]``;
    values ``numbers`` does not list become 0 (void)."""
    arr = np.asarray(mask)
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8)
    if arr.size and arr.dtype.kind == "u" and arr.dtype.itemsize <= 2:
        lut = np.zeros(int(arr.max()) + 1, dtype=np.uint32)
        for value, number in numbers.items():
            if 0 <= value < lut.size:
                lut[value] = number
        out: Canvas = lut[arr]
        return out
    values, inverse = np.unique(arr, return_inverse=True)
    table = np.array([numbers.get(int(v), 0) for v in values.tolist()], dtype=np.uint32)
    return table[inverse].reshape(arr.shape)


def binary_layer(mask: npt.NDArray[Any], number: int) -> Canvas:
    """The layer of a 0/1 mask: its pixels become piece ``number``."""
    layer = np.asarray(mask).astype(bool).astype(np.uint32)
    layer *= number
    return layer


def paint(canvas: Canvas, layer: Canvas, covered: npt.NDArray[np.int64]) -> int:
    """Paint ``layer`` over ``canvas`` in place; add to ``covered[k]`` the pixels of piece ``k``
    that the layer covered, and return how many pixels it covered in all."""
    drawn = layer != 0
    under = canvas[drawn]
    hit = under[under != 0]
    if hit.size:
        covered += np.bincount(hit, minlength=covered.size)[: covered.size]
    np.copyto(canvas, layer, where=drawn)
    return int(hit.size)


def segment_boxes(canvas: Canvas, n: int) -> tuple[list[int], list[list[int]]]:
    """The area (pixel count) and box (see the module docstring) of pieces ``0 .. n`` of
    ``canvas``."""
    areas = np.bincount(canvas.ravel(), minlength=n + 1)[: n + 1]
    rows, cols = np.nonzero(canvas)
    labels = canvas[rows, cols].astype(np.intp)
    big = np.iinfo(np.int64).max
    x0, y0 = np.full(n + 1, big, np.int64), np.full(n + 1, big, np.int64)
    x1, y1 = np.full(n + 1, -1, np.int64), np.full(n + 1, -1, np.int64)
    np.minimum.at(x0, labels, cols)
    np.minimum.at(y0, labels, rows)
    np.maximum.at(x1, labels, cols)
    np.maximum.at(y1, labels, rows)
    boxes = [
        [int(x0[k]), int(y0[k]), int(x1[k] - x0[k] + 1), int(y1[k] - y0[k] + 1)]
        if areas[k]
        else [0, 0, 0, 0]
        for k in range(n + 1)
    ]
    return [int(a) for a in areas], boxes


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_rgb_png(ids: npt.NDArray[np.uint32]) -> bytes:
    """The PNG file of a non-empty 2-D array of segment ids (each at most
    :data:`MAX_SEGMENT_ID`): 8-bit RGB, ``R = id & 255``, ``G = (id >> 8) & 255``,
    ``B = id >> 16``; one ``IDAT`` chunk, no row filter, zlib level 6, so the bytes depend on
    zlib alone."""
    height, width = ids.shape
    rows = np.zeros((height, width * 3 + 1), dtype=np.uint8)  # column 0: filter type 0
    rgb = rows[:, 1:].reshape(height, width, 3)
    rgb[..., 0] = ids & 0xFF
    rgb[..., 1] = (ids >> 8) & 0xFF
    rgb[..., 2] = (ids >> 16) & 0xFF
    deflate = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY)
    idat = deflate.compress(rows.data) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, truecolour
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )
