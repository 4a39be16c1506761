"""Percentages of the image and rotated rectangles, as Label Studio defines them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nucleus_convert.converters.labelstudio.coords import (
    points_to_percent,
    rectangle_corners,
    to_percent,
    to_pixels,
)


def test_x_and_width_are_percent_of_the_width_y_and_height_of_the_height() -> None:
    corners = rectangle_corners(
        {"x": 10.0, "y": 50.0, "width": 50.0, "height": 25.0, "rotation": 0}, 200, 100
    )
    assert corners == [(20.0, 50.0), (120.0, 50.0), (120.0, 75.0), (20.0, 75.0)]


def test_rotation_is_clockwise_on_screen_about_the_top_left_corner() -> None:
    # 90 degrees clockwise with y down: the top edge, along +x before, points along +y.
    corners = rectangle_corners(
        {"x": 50.0, "y": 10.0, "width": 20.0, "height": 10.0, "rotation": 90}, 100, 100
    )
    expected = [(50.0, 10.0), (50.0, 30.0), (40.0, 30.0), (40.0, 10.0)]
    for (x, y), (ex, ey) in zip(corners, expected, strict=True):
        assert x == pytest.approx(ex, abs=1e-12) and y == pytest.approx(ey, abs=1e-12)


def test_rotated_corners_match_the_label_studio_converter_s_obb_formula() -> None:
    # label_studio_converter.utils.convert_annotation_to_yolo_obb: (x, y), (x + w cos, y + w
    # sin), (x + w cos - h sin, y + w sin + h cos), (x - h sin, y + h cos), pixels.
    value = {"x": 10.537, "y": 79.557, "width": 19.045, "height": 8.1325, "rotation": 328.33}
    w_img, h_img = 597, 768
    x, y = value["x"] / 100 * w_img, value["y"] / 100 * h_img
    w, h = value["width"] / 100 * w_img, value["height"] / 100 * h_img
    r = math.radians(value["rotation"])
    expected = [
        (x, y),
        (x + w * math.cos(r), y + w * math.sin(r)),
        (x + w * math.cos(r) - h * math.sin(r), y + w * math.sin(r) + h * math.cos(r)),
        (x - h * math.sin(r), y + h * math.cos(r)),
    ]
    for got, want in zip(rectangle_corners(value, w_img, h_img), expected, strict=True):
        assert got == pytest.approx(want, abs=1e-9)


@given(st.floats(-10, 110, allow_nan=False), st.integers(1, 20_000))
def test_a_percentage_read_is_written_back_to_the_same_pixel_value(
    percent: float, size: int
) -> None:
    pixels = to_pixels(percent, size)
    again, exact = to_percent(pixels, size)
    assert exact and to_pixels(again, size) == pixels


def test_a_pixel_value_no_percentage_reproduces_is_reported_as_inexact() -> None:
    misses = [x / 10 for x in range(1, 5000) if to_percent(x / 10, 641)[0] * 641 / 100 != x / 10]
    assert misses, "some tenths of a pixel have no exact percentage of 641"
    value = misses[0]
    pct, exact = to_percent(value, 641)
    assert not exact and to_pixels(pct, 641) == pytest.approx(value, abs=1e-9)


def test_points_are_converted_coordinate_by_coordinate_and_exactly() -> None:
    points = [(to_pixels(33.3, 640), to_pixels(66.7, 480)), (0.0, 480.0)]
    percent, exact = points_to_percent(points, 640, 480)
    assert exact
    assert [(to_pixels(a, 640), to_pixels(b, 480)) for a, b in percent] == points
