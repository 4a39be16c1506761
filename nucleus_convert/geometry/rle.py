"""COCO run-length encoded masks, through pycocotools (the reference implementation).

Conventions: an RLE is ``{"size": [height, width], "counts": ...}`` where ``counts`` is either a
list of run lengths (uncompressed, as COCO writes crowd annotations) or COCO's compressed
string; runs go down the columns first (column-major, Fortran order), starting with a run of
zeros. A decoded mask is a ``(height, width)`` ``uint8`` array of 0/1, row-major like any image.
Polygons are flat ``[x1, y1, x2, y2, ...]`` lists in continuous pixel coordinates, rasterised as
pycocotools does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from pycocotools import mask as mask_utils

from nucleus_convert.toolkit.limits import pixels_problem

__all__ = [
    "UNCOMPRESSED_MARK",
    "check_rle",
    "compress",
    "decode",
    "decode_many",
    "encode",
    "is_compressed",
    "polygons_to_rle",
    "rle_area",
    "rle_bbox",
    "to_uncompressed",
]

Mask = npt.NDArray[np.uint8]

UNCOMPRESSED_MARK = "coco_rle"
"""Segment attribute (value ``"uncompressed"``) saying an instance's mask came from a
run-length list, so that writing COCO again gives the list form back."""


def is_compressed(rle: dict[str, Any]) -> bool:
    """True when ``counts`` is COCO's compressed string (or its bytes)."""
    return isinstance(rle.get("counts"), str | bytes)


def check_rle(rle: Any, max_pixels: int | None = None) -> str | None:
    """Why ``rle`` is not a well-formed COCO RLE, or ``None`` when it is.

    Checks ``size`` (and that ``height * width`` is within ``max_pixels``, default Pillow's
    decompression-bomb limit, before anything is decoded: pycocotools allocates the whole mask
    unchecked) and, for uncompressed counts, that the runs are non-negative integers below
    2**32 (pycocotools' run type) that cover exactly ``height * width`` pixels. Compressed
    strings are checked by decoding their runs (no mask is allocated).
    """
    if not isinstance(rle, dict):
        return f"an RLE is an object with 'size' and 'counts', got {type(rle).__name__}"
    size = rle.get("size")
    if (
        not isinstance(size, list)
        or len(size) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in size)
    ):
        return f"RLE 'size' must be [height, width] of non-negative integers, got {size!r}"[:300]
    too_big = pixels_problem(size[1], size[0], max_pixels)
    if too_big is not None:
        return f"RLE 'size' {size[0]}x{size[1]} (height x width): {too_big}"
    counts = rle.get("counts")
    if isinstance(counts, list):
        return _counts_problem(counts, size[0], size[1])
    if isinstance(counts, str):
        try:
            area = int(mask_utils.area(_frozen(rle)))
        except Exception as exc:  # pycocotools raises bare exceptions on garbage
            return f"RLE 'counts' string cannot be decoded: {exc}"
        if area > size[0] * size[1]:
            return "RLE 'counts' string covers more pixels than its size"
        return None
    return f"RLE 'counts' must be a list of integers or a compressed string, got {counts!r}"[:300]


def _counts_problem(counts: list[Any], h: int, w: int) -> str | None:
    """Why uncompressed ``counts`` are not runs covering exactly ``h * w`` pixels."""
    types = set(map(type, counts))
    if not types <= {int}:
        if not types <= {int, float, bool}:
            return "RLE 'counts' must be a list of integers"
        return "RLE 'counts' must be non-negative integers"
    if counts and min(counts) < 0:
        return "RLE 'counts' must be non-negative integers"
    if counts and max(counts) > _MAX_RUN:
        return f"RLE 'counts' must be runs of at most {_MAX_RUN} pixels"
    total = sum(counts)
    if total != h * w:
        return f"RLE runs cover {total} pixels but size {h}x{w} has {h * w}"
    return None


_MAX_RUN = 2**32 - 1
"""pycocotools keeps runs as ``uint32``."""


def _frozen(rle: dict[str, Any]) -> dict[str, Any]:
    """The compressed form pycocotools' C functions take (``counts`` as bytes)."""
    counts = rle["counts"]
    h, w = rle["size"]
    if isinstance(counts, list):
        out: dict[str, Any] = mask_utils.frPyObjects({"size": [h, w], "counts": counts}, h, w)
        return out
    if isinstance(counts, str):
        return {"size": [h, w], "counts": counts.encode("ascii")}
    return {"size": [h, w], "counts": counts}


def decode(rle: dict[str, Any]) -> Mask:
    """The ``(height, width)`` 0/1 mask of an RLE, compressed or not."""
    out: Mask = mask_utils.decode(_frozen(rle))
    return out


def decode_many(rles: list[dict[str, Any]]) -> npt.NDArray[np.uint8]:
    """``(height, width, n)`` 0/1 masks of RLEs that share one size (one pycocotools call)."""
    out: npt.NDArray[np.uint8] = mask_utils.decode([_frozen(r) for r in rles])
    return out


def encode(mask: npt.NDArray[Any]) -> dict[str, Any]:
    """Compressed RLE (``counts`` as a ``str``) of a 2-D 0/1 mask."""
    m = np.asfortranarray(np.asarray(mask, dtype=np.uint8))
    rle = mask_utils.encode(m)
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode()}


def compress(rle: dict[str, Any]) -> dict[str, Any]:
    """The compressed form of any RLE, with ``counts`` as a ``str``."""
    f = _frozen(rle)
    counts = f["counts"]
    return {
        "size": list(f["size"]),
        "counts": counts.decode() if isinstance(counts, bytes) else counts,
    }


def to_uncompressed(rle: dict[str, Any]) -> dict[str, Any]:
    """The run-length list form (COCO crowd annotations), computed from the pixels."""
    if isinstance(rle.get("counts"), list):
        return {"size": list(rle["size"]), "counts": list(rle["counts"])}
    flat = decode(rle).ravel(order="F")
    h, w = rle["size"]
    if flat.size == 0:
        return {"size": [h, w], "counts": []}
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0] == 1:
        runs.insert(0, 0)
    return {"size": [h, w], "counts": runs}


def rle_area(rle: dict[str, Any]) -> int:
    """Number of foreground pixels (pycocotools ``area``)."""
    return int(mask_utils.area(_frozen(rle)))


def rle_bbox(rle: dict[str, Any]) -> list[float]:
    """Tight ``[x, y, width, height]`` of the foreground pixels (pycocotools ``toBbox``)."""
    return [float(v) for v in mask_utils.toBbox(_frozen(rle))]


def polygons_to_rle(rings: list[list[float]], height: int, width: int) -> dict[str, Any]:
    """Rasterise polygon rings (one object) into one compressed RLE, as pycocotools does."""
    rles = mask_utils.frPyObjects(rings, height, width)
    merged = mask_utils.merge(rles)
    counts = merged["counts"]
    return {
        "size": [height, width],
        "counts": counts.decode() if isinstance(counts, bytes) else counts,
    }
