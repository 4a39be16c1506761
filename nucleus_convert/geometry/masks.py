"""Index masks: single-channel PNGs whose pixel values are segment indices.

Convention: an index mask is an ``(height, width)`` array of unsigned integers, row-major,
origin at the top-left pixel. Nucleus expects 8-bit PNGs (values 0..255); palette PNGs (mode
``P``, as VOC writes them) are read as their palette indices, not their colours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from nucleus_convert.errors import InputError, OutputError

__all__ = ["check_index_png", "read_index_png", "write_index_png"]

_INDEX_MODES = ("L", "P", "I", "I;16")


def check_index_png(path: Path) -> tuple[int, int]:
    """Return ``(width, height)`` of an index PNG, or raise :class:`InputError`.

    Reads only the header; Pillow's decompression-bomb limit stays in force.
    """
    try:
        with Image.open(path) as im:
            if im.format != "PNG":
                raise InputError(f"mask is {im.format}, not PNG", path=path)
            if im.mode not in _INDEX_MODES:
                raise InputError(
                    f"mask has mode {im.mode}; an index mask is one channel (L or P)", path=path
                )
            return im.size
    except (OSError, Image.DecompressionBombError) as exc:
        raise InputError(f"cannot read mask: {exc}", path=path) from None


def read_index_png(path: Path) -> npt.NDArray[np.integer[Any]]:
    """Decode an index PNG to its ``(height, width)`` array of indices."""
    check_index_png(path)
    try:
        with Image.open(path) as im:
            arr = np.asarray(im)
    except (OSError, Image.DecompressionBombError) as exc:
        raise InputError(f"cannot decode mask: {exc}", path=path) from None
    return arr


def write_index_png(array: npt.NDArray[np.integer[Any]], path: Path) -> None:
    """Write ``array`` as an 8-bit grayscale PNG; values must lie in 0..255."""
    arr = np.asarray(array)
    if arr.ndim != 2:
        raise OutputError(f"{path}: an index mask must be 2-D, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise OutputError(
            f"{path}: index mask values must be within 0..255 for Nucleus, "
            f"got {arr.min()}..{arr.max()}"
        )
    Image.fromarray(arr.astype(np.uint8), mode="L").save(path, format="PNG", compress_level=1)
