"""The strip under a preview: the picture kept pixel for pixel, lines and notes below."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from nucleus_convert.drawing.caption import MAX_LINES, NOTE_COLOUR, with_caption, wrap_line
from nucleus_convert.drawing.text import font, text_box


def test_the_picture_is_copied_unchanged_above_the_strip() -> None:
    picture = Image.new("RGB", (400, 300), (10, 200, 30))
    out = with_caption(picture, "ref", ["category: dog"], ["image x not found"])
    pixels = np.asarray(out)
    assert (pixels[:300] == (10, 200, 30)).all()
    assert out.height > 300 + 3 * 11
    assert (pixels[300:] == NOTE_COLOUR).all(axis=2).any()  # the note, in amber


def test_a_long_note_wraps_and_too_many_lines_are_summed_up() -> None:
    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    face = font(12)
    lines = wrap_line(draw, "word " * 80, face, 200)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(text_box(draw, line, face)[0] <= 200 for line in lines)
    picture = Image.new("RGB", (320, 100))
    short = with_caption(picture, "ref", [], [])
    full = with_caption(picture, "ref", [f"line {i}" for i in range(50)], [])
    line_h = short.height - 100 - 8  # the title alone
    assert full.height == 100 + 8 + line_h * MAX_LINES
