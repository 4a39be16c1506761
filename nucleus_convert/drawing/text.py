"""Words on the previews: the font, and tags (a label on a filled box of its colour).

Coordinates are Pillow drawing coordinates (``(0, 0)`` the top-left pixel, y down). Text
from the dataset is untrusted: it is cut short, and characters no font can draw (control
characters, lone surrogates) become ``?``.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import ImageDraw, ImageFont

from nucleus_convert.drawing.colours import RGB, text_colour

__all__ = ["Font", "TagLayout", "font", "printable", "text_box"]

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

MAX_TEXT = 80
"""Longest text drawn from one dataset string (a label, an id, a note), in characters."""


@lru_cache(maxsize=16)
def font(size: int) -> Font:
    """Pillow's built-in font at ``size`` pixels (a scalable font from Pillow 10.1 on, the
    fixed bitmap font before), so previews need no font installed."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow < 10.1, or built without FreeType
        return ImageFont.load_default()


def printable(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` as one drawable line: control characters and lone surrogates become ``?``, and
    anything past ``limit`` characters becomes ``…``."""
    clean = "".join(
        c if c.isprintable() and not ("\ud800" <= c <= "\udfff") else "?" for c in text[: limit + 1]
    )
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def text_box(draw: ImageDraw.ImageDraw, text: str, face: Font) -> tuple[int, int]:
    """``(width, height)`` in pixels of ``text`` drawn in ``face``."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
    return int(right - min(left, 0)), int(bottom - min(top, 0))


Rect = tuple[float, float, float, float]


class TagLayout:
    """Draws tags on one picture so that they do not cover one another.

    A tag is a box filled with its colour holding its text, its bottom-left corner at its
    anchor (just above a shape's top-left corner), moved below the anchor when it would
    leave the top of the picture and kept inside the picture. When it would cover a tag
    already drawn (one of the last :data:`CHECKED` ones), it moves down a tag's height, up
    to :data:`TRIES` times. A tag saying what a tag already drawn says, anchored within
    :data:`SAME_PLACE` pixels of it (the box and the polygon of one COCO object), is drawn
    once.
    """

    CHECKED = 200
    TRIES = 6
    SAME_PLACE = 8.0

    def __init__(self, draw: ImageDraw.ImageDraw, size: tuple[int, int], face: Font) -> None:
        self._draw = draw
        self._size = size
        self._face = face
        self._placed: list[Rect] = []
        self._anchors: dict[str, list[tuple[float, float]]] = {}

    def _free(self, rect: Rect) -> bool:
        x0, y0, x1, y1 = rect
        return not any(
            x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1
            for b in self._placed[-self.CHECKED :]
        )

    def draw(self, anchor: tuple[float, float], text: str, colour: RGB) -> None:
        """Draw ``text`` on a box of ``colour`` near ``anchor`` (drawing coordinates)."""
        if not text:
            return
        text = printable(text)
        seen = self._anchors.setdefault(text, [])
        near = self.SAME_PLACE
        if any(abs(a[0] - anchor[0]) <= near and abs(a[1] - anchor[1]) <= near for a in seen):
            return
        seen.append(anchor)
        tw, th = text_box(self._draw, text, self._face)
        pad = 2
        box_w, box_h = tw + 2 * pad, th + 2 * pad
        width, height = self._size
        x = min(max(anchor[0], 0.0), max(width - box_w, 0))
        y = anchor[1] - box_h
        if y < 0:
            y = anchor[1] + 1
        y = min(max(y, 0.0), max(height - box_h, 0))
        for _ in range(self.TRIES):
            if self._free((x, y, x + box_w, y + box_h)):
                break
            y = min(y + box_h, max(height - box_h, 0))
        self._placed.append((x, y, x + box_w, y + box_h))
        self._draw.rectangle([x, y, x + box_w - 1, y + box_h - 1], fill=colour)
        self._draw.text((x + pad, y + pad), text, fill=text_colour(colour), font=self._face)
