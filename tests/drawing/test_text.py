"""Words on previews: untrusted text made drawable, tags kept apart."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from nucleus_convert.drawing.text import TagLayout, font, printable


def test_untrusted_text_becomes_one_short_drawable_line() -> None:
    assert printable("a\nb\x00c") == "a?b?c"
    assert printable("\ud800x") == "?x"
    assert printable("x" * 100, 10) == "x" * 9 + "…"


def test_tags_do_not_cover_one_another() -> None:
    image = Image.new("RGB", (300, 200))
    layout = TagLayout(ImageDraw.Draw(image), image.size, font(12))
    layout.draw((50, 100), "car", (255, 0, 0))
    layout.draw((52, 101), "bus", (0, 0, 255))
    pixels = np.asarray(image)
    assert (pixels == (255, 0, 0)).all(axis=2).sum() > 100
    assert (pixels == (0, 0, 255)).all(axis=2).sum() > 100
    red_rows = np.nonzero((pixels == (255, 0, 0)).all(axis=2).any(axis=1))[0]
    blue_rows = np.nonzero((pixels == (0, 0, 255)).all(axis=2).any(axis=1))[0]
    assert blue_rows.min() > red_rows.max()  # moved below the first


def test_a_tag_above_the_top_goes_below_its_anchor_and_stays_inside() -> None:
    image = Image.new("RGB", (100, 100))
    layout = TagLayout(ImageDraw.Draw(image), image.size, font(12))
    layout.draw((95, 0), "truck", (0, 255, 0))
    rows, cols = np.nonzero((np.asarray(image) == (0, 255, 0)).all(axis=2))
    assert rows.min() >= 1 and cols.max() <= 99
