"""Image files: which suffixes are images, and an image's displayed size from its header.

Conventions: the size is Pillow's ``Image.open(path).size`` read lazily (the pixels are never
decoded), with width and height swapped when the EXIF orientation is 5, 6, 7 or 8 (a
transposing rotation), because YOLO coordinates are relative to the image as displayed, which
is what Ultralytics trains on (it reads pixels with EXIF orientation applied; its
``exif_size`` swaps for 6 and 8, the two orientations cameras write).
"""

from __future__ import annotations

from pathlib import Path

from nucleus_convert import InputError

__all__ = ["IMAGE_SUFFIXES", "image_size", "is_image"]

IMAGE_SUFFIXES = frozenset(
    {".bmp", ".dng", ".jpeg", ".jpg", ".mpo", ".png", ".tif", ".tiff", ".webp", ".pfm", ".heic"}
)
"""Ultralytics' image suffixes (compared in lower case)."""

_ORIENTATION = 0x0112
_TRANSPOSING = frozenset({5, 6, 7, 8})


def is_image(path: Path) -> bool:
    """True when ``path``'s suffix is an image suffix (any case)."""
    return path.suffix.lower() in IMAGE_SUFFIXES


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` of the image as displayed; :class:`InputError` when unreadable."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            width, height = im.size
            # PNG keeps EXIF after the pixels unless it is in the header: reading it would
            # decode the image, so only EXIF already parsed from the header counts there.
            if im.format != "PNG" or "exif" in im.info:
                orientation = im.getexif().get(_ORIENTATION)
                if orientation in _TRANSPOSING:
                    width, height = height, width
    except FileNotFoundError:
        raise InputError("image not found", path=path) from None
    except Exception as exc:  # Pillow raises many types on a broken or foreign file
        raise InputError(
            f"cannot read the image size ({type(exc).__name__}: {exc})", path=path
        ) from None
    if width <= 0 or height <= 0:
        raise InputError(f"image has no pixels ({width} x {height})", path=path)
    return int(width), int(height)
