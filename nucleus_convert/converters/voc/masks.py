"""VOC segmentation PNGs: decode to index arrays, encode as palette PNGs.

Convention: a decoded mask is a ``(height, width)`` uint8 array of palette indices (class
indices for ``SegmentationClass``, instance numbers for ``SegmentationObject``; 0 background,
255 void). The devkit writes palette PNGs (mode ``P``); some tools (datumaro's test assets,
image editors) write RGB instead, whose colours are mapped back to indices through the colour
table, and a colour with no index is an error naming the file and the pixel.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from nucleus_convert.errors import InputError
from nucleus_convert.toolkit.limits import open_image

__all__ = ["read_voc_png", "write_voc_png"]


def read_voc_png(
    path: Path,
    colours: Mapping[tuple[int, int, int], int],
    *,
    max_pixels: int | None = None,
    size: tuple[int, int] | None = None,
) -> npt.NDArray[np.uint8]:
    """Decode ``path`` to palette indices; RGB pixels are looked up in ``colours``.

    A PNG over ``max_pixels`` pixels (default Pillow's limit), or of another size than
    ``size`` (``(width, height)``, when known), is refused from its header, and every Pillow
    decode error is an :class:`InputError` naming the file
    (:func:`~nucleus_convert.toolkit.limits.open_image`).
    """
    with open_image(path, max_pixels=max_pixels, what="segmentation mask", size=size) as im:
        if im.format != "PNG":
            raise InputError(f"segmentation mask is {im.format}, not PNG", path=path)
        mode = im.mode
        if mode in ("P", "L"):
            arr = np.asarray(im)
        elif mode in ("RGB", "RGBA"):
            arr = _rgb_to_index(np.asarray(im.convert("RGB")), colours, path)
        else:
            raise InputError(
                f"segmentation mask has mode {mode}; VOC masks are palette (P) or RGB PNGs",
                path=path,
            )
    if arr.dtype != np.uint8:
        raise InputError(f"segmentation mask has {arr.dtype} pixels, not 8-bit", path=path)
    return arr


def _rgb_to_index(
    rgb: npt.NDArray[Any], colours: Mapping[tuple[int, int, int], int], path: Path
) -> npt.NDArray[np.uint8]:
    code = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
    values, inverse = np.unique(code, return_inverse=True)
    lookup = {(r << 16) | (g << 8) | b: i for (r, g, b), i in colours.items()}
    mapped = np.empty(len(values), dtype=np.uint8)
    for j, value in enumerate(values.tolist()):
        index = lookup.get(value)
        if index is None:
            ys, xs = np.nonzero(code == value)
            colour = ((value >> 16) & 255, (value >> 8) & 255, value & 255)
            raise InputError(
                f"pixel (x={int(xs[0])}, y={int(ys[0])}) has colour {colour}, which no label has",
                path=path,
            )
        mapped[j] = index
    return mapped[inverse.reshape(code.shape)]


def write_voc_png(array: npt.NDArray[Any], path: Path, colours: npt.NDArray[np.uint8]) -> None:
    """Write ``array`` (indices 0..255) as a palette PNG with the colour table ``colours``."""
    im = Image.fromarray(np.asarray(array, dtype=np.uint8), mode="P")
    im.putpalette(colours.astype(np.uint8).tobytes())
    im.save(path, format="PNG", optimize=False, compress_level=6)
