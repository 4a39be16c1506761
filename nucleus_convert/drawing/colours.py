"""Colours of the previews: one per label, the same in every run, image and process.

A label's colour comes from a hash of its UTF-8 bytes (BLAKE2b), never from the order labels
are met in, so ``car`` is the same colour in every preview of every dataset. Colours are
``(r, g, b)`` tuples of 0..255 integers (sRGB, as Pillow draws them).
"""

from __future__ import annotations

import colorsys
import hashlib
from functools import lru_cache

__all__ = [
    "BACKGROUND",
    "BEV_BACKGROUND",
    "BEV_GRID",
    "BLANK",
    "BLANK_MARK",
    "FOOTER",
    "FOOTER_TEXT",
    "HUES",
    "RGB",
    "TONES",
    "label_colour",
    "text_colour",
]

RGB = tuple[int, int, int]
"""An sRGB colour, each channel 0..255."""

BLANK: RGB = (112, 112, 112)
"""The canvas drawn where an item's image cannot be read here (missing file, URL)."""
BLANK_MARK: RGB = (168, 168, 168)
"""The cross and the words marking a blank canvas."""
BACKGROUND: RGB = (255, 255, 255)
"""The contact sheet's background."""
FOOTER: RGB = (32, 32, 36)
"""The strip under each preview (reference id, categories, notes)."""
FOOTER_TEXT: RGB = (235, 235, 235)
BEV_BACKGROUND: RGB = (16, 18, 24)
"""A bird's-eye view's background (points are drawn lighter, by intensity)."""
BEV_GRID: RGB = (58, 62, 74)
"""The range rings and axes of a bird's-eye view."""


HUES = 24
"""Hues a label can take, 15 degrees apart."""
TONES: tuple[tuple[float, float], ...] = ((0.90, 1.00), (0.50, 1.00), (1.00, 0.72))
"""(saturation, value) of the three tones a hue comes in: vivid, pastel, deep."""


@lru_cache(maxsize=4096)
def label_colour(label: str) -> RGB:
    """The colour of ``label``: one of :data:`HUES` hues in one of :data:`TONES`, both
    chosen by BLAKE2b of its UTF-8 bytes (lone surrogates kept as they are), so it depends on
    the label alone.

    Hues and tones come in steps (72 colours) rather than from a continuum, so two labels
    have either one colour or clearly different ones; none is grey (a blank canvas's grey) or
    too dark to see on the dark bird's-eye view.
    """
    digest = hashlib.blake2b(label.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    number = int.from_bytes(digest, "big")
    hue = (number % HUES) / HUES
    saturation, value = TONES[(number // HUES) % len(TONES)]
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
    return (round(r * 255), round(g * 255), round(b * 255))


def text_colour(background: RGB) -> RGB:
    """Black or white, whichever reads better on ``background`` (Rec. 709 luma)."""
    r, g, b = background
    luma = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return (0, 0, 0) if luma > 140 else (255, 255, 255)
