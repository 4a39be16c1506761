"""Helpers of the preview tests (imported as ``preview.preview_helpers``): source images
with no label colour in them, previews of items read back as arrays, and pixel probes along
a drawn edge.

The source images are smooth gradients of dull colours (no pixel equals a label colour), 400
pixels wide or less, so that a preview of a 400x300 image has scale 1 and its picture can be
compared with the source pixel for pixel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from nucleus_convert.drawing import ItemPreview, preview_dataset
from nucleus_convert.model import Dataset, Header, ImageMedia, Item

Array = npt.NDArray[np.uint8]


def gradient(width: int, height: int) -> Array:
    """``(height, width, 3)`` dull gradient: red grows with x, green with y, blue fixed."""
    x = np.linspace(60, 140, width, dtype=np.float32)[None, :]
    y = np.linspace(70, 150, height, dtype=np.float32)[:, None]
    out = np.empty((height, width, 3), dtype=np.uint8)
    out[..., 0] = np.rint(np.broadcast_to(x, (height, width)))
    out[..., 1] = np.rint(np.broadcast_to(y, (height, width)))
    out[..., 2] = 100
    return out


def read_png(path: Path) -> Array:
    """The RGB pixels of a PNG."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).copy()


def preview_items(
    out: Path, items: list[Item], header: Header | None = None, **kwargs: object
) -> list[tuple[Array, ItemPreview]]:
    """Preview ``items`` into ``out``; each PNG read back with its record."""
    result = preview_dataset(Dataset.of(items, header=header), out, **kwargs)  # type: ignore[arg-type]
    return [(read_png(p.path), p) for p in result.items]


def image_item(
    path: Path | str,
    annotations: list[object],
    width: int = 400,
    height: int = 300,
    ref: str = "item",
) -> Item:
    """An image item of ``width x height`` at ``path``."""
    return Item(ref, ImageMedia(str(path), width, height), annotations=list(annotations))  # type: ignore[arg-type]


def along(
    p0: tuple[float, float], p1: tuple[float, float], scale: float = 1.0
) -> list[tuple[int, int]]:
    """Pixel ``(column, row)`` of points every pixel along the model segment ``p0``-``p1``,
    ends left out (corners meet other edges)."""
    (x0, y0), (x1, y1) = p0, p1
    n = int(max(abs(x1 - x0), abs(y1 - y0)) * scale)
    out = []
    for k in range(3, n - 2):
        t = k / n
        out.append((int((x0 + (x1 - x0) * t) * scale), int((y0 + (y1 - y0) * t) * scale)))
    return out


def changed_near(picture: Array, source: Array, col: int, row: int, reach: int = 1) -> bool:
    """Whether any pixel within ``reach`` of ``(col, row)`` differs from the source."""
    r0, r1 = max(row - reach, 0), row + reach + 1
    c0, c1 = max(col - reach, 0), col + reach + 1
    return bool((picture[r0:r1, c0:c1] != source[r0:r1, c0:c1]).any())
