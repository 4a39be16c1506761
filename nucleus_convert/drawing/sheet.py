"""The contact sheet: one PNG of every preview's thumbnail, in the order items streamed.

Thumbnails keep their picture's proportions inside a :data:`CELL` box (the caption strip is
left out; the sheet captions each with the reference id, in amber and prefixed ``!`` when the
item has notes). Only thumbnails are kept while items stream, and at most ``limit`` of them,
so memory stays bounded however many items are previewed.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from nucleus_convert.drawing.caption import NOTE_COLOUR, fit_line
from nucleus_convert.drawing.colours import BACKGROUND, RGB
from nucleus_convert.drawing.text import font, text_box

__all__ = ["CELL", "COLUMNS", "MAX_THUMBNAILS", "ContactSheet"]

CELL = (200, 150)
"""The box ``(width, height)`` in pixels each thumbnail fits in."""
COLUMNS = 6
MAX_THUMBNAILS = 240
"""Thumbnails a sheet shows at most; later items are counted, not shown."""
_GAP = 8


class ContactSheet:
    """Collects thumbnails as previews are made; :meth:`render` lays them out."""

    def __init__(self, limit: int = MAX_THUMBNAILS) -> None:
        self.limit = limit
        self.total = 0
        """How many previews were offered (shown or not)."""
        self._thumbs: list[tuple[str, bool, Image.Image]] = []

    def add(self, reference_id: str, picture: Image.Image, *, noted: bool = False) -> None:
        """Keep a thumbnail of ``picture`` (while fewer than ``limit`` are kept)."""
        self.total += 1
        if len(self._thumbs) >= self.limit:
            return
        thumb = picture.copy()
        thumb.thumbnail(CELL, Image.Resampling.LANCZOS)
        self._thumbs.append((reference_id, noted, thumb))

    @property
    def omitted(self) -> int:
        """Previews offered but not shown (past ``limit``)."""
        return self.total - len(self._thumbs)

    def render(self) -> Image.Image:
        """The sheet: thumbnails in rows of :data:`COLUMNS`, each captioned; a last line
        counts those left out; an empty sheet says ``no items``."""
        face = font(12)
        probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
        caption_h = text_box(probe, "Ag", face)[1] + 4
        cols = max(1, min(COLUMNS, len(self._thumbs)))
        rows = math.ceil(len(self._thumbs) / cols)
        cell_w, cell_h = CELL[0] + _GAP, CELL[1] + caption_h + _GAP
        footer = caption_h + _GAP if self.omitted or not self._thumbs else 0
        sheet = Image.new("RGB", (cols * cell_w + _GAP, rows * cell_h + _GAP + footer), BACKGROUND)
        draw = ImageDraw.Draw(sheet)
        for i, (ref, noted, thumb) in enumerate(self._thumbs):
            x0 = _GAP + (i % cols) * cell_w
            y0 = _GAP + (i // cols) * cell_h
            sheet.paste(thumb, (x0 + (CELL[0] - thumb.width) // 2, y0 + CELL[1] - thumb.height))
            text = fit_line(draw, ("! " if noted else "") + ref, face, CELL[0])
            colour: RGB = _darker(NOTE_COLOUR) if noted else (40, 40, 40)
            draw.text((x0, y0 + CELL[1] + 2), text, fill=colour, font=face)
        if footer:
            message = f"… and {self.omitted} more" if self._thumbs else "no items"
            draw.text((_GAP, rows * cell_h + _GAP), message, fill=(40, 40, 40), font=face)
        return sheet


def _darker(colour: RGB) -> RGB:
    """``colour`` at 70 % brightness: amber that reads on white."""
    return (colour[0] * 7 // 10, colour[1] * 7 // 10, colour[2] * 7 // 10)
