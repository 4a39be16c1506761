"""Lines: clipping to the picture, dashes that carry over corners, hostile coordinates."""

from __future__ import annotations

import math
import time

import numpy as np
from PIL import Image, ImageDraw

from nucleus_convert.drawing.strokes import clip_polygon, clip_segment, dash_segments, draw_path


def test_a_segment_is_cut_to_the_picture_and_one_outside_is_dropped() -> None:
    assert clip_segment((-10, 5), (20, 5), 10, 10, 0) == ((0, 5), (10, 5))
    assert clip_segment((2, 2), (3, 3), 10, 10, 0) == ((2, 2), (3, 3))
    assert clip_segment((-10, -10), (-5, 20), 10, 10, 1) is None
    assert clip_segment((0, 0), (math.nan, 3), 10, 10, 0) is None
    assert clip_segment((0, 0), (math.inf, 3), 10, 10, 0) is None


def test_a_polygon_is_cut_to_the_picture() -> None:
    ring = clip_polygon([(-5, -5), (15, -5), (15, 15), (-5, 15)], 10, 10, 0)
    assert sorted(ring) == [(0, 0), (0, 10), (10, 0), (10, 10)]
    assert clip_polygon([(20, 20), (30, 20), (30, 30)], 10, 10, 0) == []
    assert clip_polygon([(0, 0), (math.nan, 1), (1, 1)], 10, 10, 0) == []


def test_dashes_alternate_and_carry_the_pattern_over_a_corner() -> None:
    dashes = dash_segments([((0, 0), (10, 0)), ((10, 0), (10, 10))], 4, 3)
    # 0-4 on, 4-7 off, 7-10 on and on past the corner for 1 more, then off 3, on 4 ...
    assert dashes[0] == ((0, 0), (4, 0))
    assert dashes[1] == ((7, 0), (10, 0))
    assert dashes[2] == ((10, 0), (10, 1))
    assert dashes[3] == ((10, 4), (10, 8))
    drawn = sum(math.dist(a, b) for a, b in dashes)
    assert 20 * 4 / 7 - 4 <= drawn <= 20 * 4 / 7 + 4


def test_far_away_vertices_cost_nothing_and_draw_only_what_is_on_the_picture() -> None:
    image = Image.new("RGB", (50, 50))
    draw = ImageDraw.Draw(image)
    start = time.perf_counter()
    draw_path(draw, (50, 50), [(-1e12, 25), (1e12, 25)], (255, 0, 0), 2, dashed=True)
    draw_path(draw, (50, 50), [(1e15, 1e15), (2e15, 1e15)], (0, 255, 0), 2, dashed=True)
    assert time.perf_counter() - start < 1
    pixels = np.asarray(image)
    assert (pixels[..., 0] == 255).any() and not (pixels[..., 1] == 255).any()
