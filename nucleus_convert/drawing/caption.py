"""The strip under a preview: the item's reference id, what has no place on the picture
(whole-image categories, a bird's-eye view's legend) and the notes (an image that was not
found, a mask not drawn...).

Lines are drawn top to bottom in Pillow's built-in font, each cut to the picture's width;
notes are amber so a blank canvas's reason stands out.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

from nucleus_convert.drawing.colours import FOOTER, FOOTER_TEXT, RGB
from nucleus_convert.drawing.text import Font, font, printable, text_box

__all__ = ["MAX_LINES", "NOTE_COLOUR", "fit_line", "with_caption", "wrap_line"]

NOTE_COLOUR: RGB = (255, 196, 64)
MAX_LINES = 12
"""Lines past this many are summed up as ``… and N more``."""


def fit_line(draw: ImageDraw.ImageDraw, text: str, face: Font, width: int) -> str:
    """``text`` made printable and cut (ending in ``…``) to fit ``width`` pixels."""
    limit = 200
    line = printable(text, limit)
    while limit > 4 and text_box(draw, line, face)[0] > width:
        limit = int(limit * 0.85)
        line = printable(text, limit)
    return line


def wrap_line(
    draw: ImageDraw.ImageDraw, text: str, face: Font, width: int, max_lines: int = 3
) -> list[str]:
    """``text`` made printable and broken at spaces into lines of at most ``width`` pixels,
    at most ``max_lines`` of them (the last cut with ``…`` when more would be needed)."""
    words = printable(text, 400).split(" ")
    lines: list[str] = []
    current = ""
    for i, word in enumerate(words):
        candidate = f"{current} {word}" if current else word
        if not current or text_box(draw, candidate, face)[0] <= width:
            current = candidate
            continue
        if len(lines) == max_lines - 1:
            current = " ".join([current, *words[i:]])
            break
        lines.append(fit_line(draw, current, face, width))
        current = word
    lines.append(fit_line(draw, current, face, width))
    return lines


def with_caption(
    picture: Image.Image, title: str, lines: Sequence[str], notes: Sequence[str]
) -> Image.Image:
    """``picture`` above a dark strip holding ``title``, then ``lines``, then ``notes``
    (prefixed ``note:``, in amber, wrapped); the picture's pixels are copied unchanged to the top of
    the result."""
    width = max(picture.width, 240)
    face = font(min(18, max(11, width // 45)))
    probe = ImageDraw.Draw(picture)
    rows: list[tuple[str, RGB]] = [(title, FOOTER_TEXT)]
    rows += [(line, FOOTER_TEXT) for line in lines]
    for note in notes:
        rows += [
            (part, NOTE_COLOUR) for part in wrap_line(probe, f"note: {note}", face, width - 12)
        ]
    if len(rows) > MAX_LINES:
        rows = [*rows[: MAX_LINES - 1], (f"… and {len(rows) - MAX_LINES + 1} more", FOOTER_TEXT)]
    line_h = text_box(probe, "Ag", face)[1] + 4
    out = Image.new("RGB", (width, picture.height + line_h * len(rows) + 8), FOOTER)
    out.paste(picture, (0, 0))
    draw = ImageDraw.Draw(out)
    y = picture.height + 4
    for text, colour in rows:
        draw.text((6, y), fit_line(draw, text, face, width - 12), fill=colour, font=face)
        y += line_h
    return out
