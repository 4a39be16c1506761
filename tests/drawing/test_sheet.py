"""The contact sheet: a grid of thumbnails, bounded, captioned."""

from __future__ import annotations

import numpy as np
from PIL import Image

from nucleus_convert.drawing.colours import BACKGROUND
from nucleus_convert.drawing.sheet import CELL, COLUMNS, ContactSheet


def _picture(colour: tuple[int, int, int], size: tuple[int, int] = (400, 300)) -> Image.Image:
    return Image.new("RGB", size, colour)


def test_thumbnails_are_laid_out_in_rows_keeping_their_proportions() -> None:
    sheet = ContactSheet()
    for i in range(COLUMNS + 2):
        sheet.add(f"item-{i}", _picture((200, 10 * i, 0)), noted=i == 1)
    image = sheet.render()
    assert image.width > COLUMNS * CELL[0] and image.height > 2 * CELL[1]
    pixels = np.asarray(image)
    # the first thumbnail: 400x300 into 200x150, top-left at the gap
    assert (pixels[10:150, 10:200] == (200, 0, 0)).all()
    assert sheet.total == COLUMNS + 2 and sheet.omitted == 0


def test_past_the_limit_previews_are_counted_not_kept() -> None:
    sheet = ContactSheet(limit=3)
    for i in range(10):
        sheet.add(str(i), _picture((0, 0, 200)))
    assert sheet.total == 10 and sheet.omitted == 7
    assert sheet.render().width == 3 * (CELL[0] + 8) + 8


def test_an_empty_sheet_says_so() -> None:
    image = ContactSheet().render()
    pixels = np.asarray(image)
    assert image.width < 300 and (pixels != BACKGROUND).any()  # the words "no items"
