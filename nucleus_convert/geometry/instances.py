"""Instance masks to what Nucleus can hold: one index mask per image, or traced polygons.

Conventions: masks are COCO RLEs (see :mod:`rle`); an index mask is a ``(height, width)``
``uint8`` array where 0 is background and ``k`` is the k-th instance (1-based). Polygons are
lists of ``(x, y)`` in continuous pixel coordinates (pixel ``(col, row)`` covers
``[col, col + 1) x [row, row + 1)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.geometry.rle import decode, decode_many, polygons_to_rle

__all__ = ["MAX_SEGMENTS", "index_mask", "mask_iou", "trace_polygons"]

MAX_SEGMENTS = 255
"""Nucleus index masks are 8-bit: at most 255 instances besides the background."""


def index_mask(
    rles: list[dict[str, Any]], height: int, width: int
) -> tuple[npt.NDArray[np.uint8], int]:
    """Paint instance ``i`` with value ``i + 1``, later instances over earlier ones.

    Returns the index mask and the number of pixels covered by more than one instance (those
    keep only the last instance: an index mask holds one value per pixel).
    """
    if len(rles) > MAX_SEGMENTS:
        raise ValueError(f"{len(rles)} instance masks; an 8-bit index mask holds {MAX_SEGMENTS}")
    for i, rle in enumerate(rles, start=1):
        h, w = rle["size"]
        if (h, w) != (height, width):
            raise ValueError(f"instance {i} is {h}x{w}, the image {height}x{width}")
    if not rles:
        return np.zeros((height, width), dtype=np.uint8), 0
    stack = decode_many(rles)
    if len(rles) == 1:
        # pycocotools decodes column-major; whoever writes the mask copies it once anyway.
        return stack[:, :, 0].astype(np.uint8, copy=False), 0
    # Instance i covers its pixels with i; the largest index covering a pixel is the last one.
    weights = np.arange(1, len(rles) + 1, dtype=np.uint8)
    index = np.ascontiguousarray((stack * weights).max(axis=2), dtype=np.uint8)
    overlap = int(np.count_nonzero(stack.sum(axis=2, dtype=np.uint16) > 1))
    return index, overlap


def trace_polygons(mask: npt.NDArray[Any]) -> list[list[tuple[float, float]]]:
    """Outer boundaries of a 0/1 mask as polygons (OpenCV ``findContours``).

    Vertices sit on the centres of boundary pixels (``col + 0.5, row + 0.5``); a region
    thinner than three boundary pixels becomes the rectangle around its pixels. Holes are
    not represented (COCO polygons have none). Needs ``opencv-python-headless`` (the
    ``polygons`` extra).
    """
    try:
        import cv2
    except ImportError:  # pragma: no cover - depends on the environment
        from nucleus_convert.errors import OutputError

        raise OutputError(
            "tracing masks to polygons needs OpenCV: pip install 'nucleus-convert[polygons]'"
        ) from None
    m = np.ascontiguousarray(mask, dtype=np.uint8)
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out: list[list[tuple[float, float]]] = []
    for c in contours:
        pts = c.reshape(-1, 2)
        if len(pts) >= 3:
            out.append([(float(x) + 0.5, float(y) + 0.5) for x, y in pts])
        else:
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0) + 1
            out.append(
                [
                    (float(x0), float(y0)),
                    (float(x1), float(y0)),
                    (float(x1), float(y1)),
                    (float(x0), float(y1)),
                ]
            )
    return out


def mask_iou(mask: npt.NDArray[Any], polygons: list[list[tuple[float, float]]]) -> float:
    """Pixel IoU between a mask and polygons rasterised as pycocotools does."""
    h, w = mask.shape
    fg = mask.astype(bool)
    if not polygons:
        return 1.0 if not fg.any() else 0.0
    rings = [[c for p in poly for c in p] for poly in polygons]
    traced = decode(polygons_to_rle(rings, h, w)).astype(bool)
    union = np.count_nonzero(fg | traced)
    return 1.0 if union == 0 else np.count_nonzero(fg & traced) / union
