"""nucleus_convert/converters/cvat/rotated.py: a rotated box turns clockwise about its centre
(CVAT's convention) and comes back as the same box from its corners."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nucleus_convert.converters.cvat.rotated import (
    ELLIPSE_VERTICES,
    box_corners,
    box_from_corners,
    ellipse_polygon,
)


def test_a_quarter_turn_clockwise_on_an_image_with_y_down() -> None:
    # box 0..4 x 0..2, centre (2, 1); 90 degrees clockwise: the top-left corner (-2, -1)
    # from the centre goes to (1, -2): right of the centre and up, as a clock hand turns
    corners = box_corners(0, 0, 4, 2, 90)
    expected = [(3, -1), (3, 3), (1, 3), (1, -1)]
    for (x, y), (ex, ey) in zip(corners, expected, strict=True):
        assert x == pytest.approx(ex, abs=1e-12) and y == pytest.approx(ey, abs=1e-12)


def test_no_rotation_gives_the_box_corners_exactly() -> None:
    assert box_corners(1.5, 2, 3, 4.25, 0) == [(1.5, 2), (3, 2), (3, 4.25), (1.5, 4.25)]


two_decimals = st.integers(-100_000, 100_000).map(lambda v: v / 100)


@settings(max_examples=300, deadline=None)
@given(
    xtl=two_decimals,
    ytl=two_decimals,
    width=st.integers(1, 50_000).map(lambda v: v / 100),
    height=st.integers(1, 50_000).map(lambda v: v / 100),
    degrees=st.integers(-35_999, 35_999).map(lambda v: v / 100).filter(bool),
)
def test_a_box_as_cvat_writes_it_comes_back_exactly_from_its_corners(
    xtl: float, ytl: float, width: float, height: float, degrees: float
) -> None:
    xbr, ybr = round(xtl + width, 2), round(ytl + height, 2)
    corners = box_corners(xtl, ytl, xbr, ybr, degrees)
    found = box_from_corners(corners, degrees)
    assert found is not None
    box, exact = found
    assert exact and box_corners(*box, degrees) == corners
    assert box == pytest.approx((xtl, ytl, xbr, ybr), abs=1e-9)


def test_four_points_that_are_no_turned_box_are_refused() -> None:
    assert box_from_corners([(0, 0), (4, 0), (5, 3), (0, 2)], 30) is None
    assert box_from_corners([(0, 0), (4, 0), (4, 2)], 30) is None
    assert box_from_corners([(0, 0), (4, 0), (4, math.inf), (0, 2)], 30) is None


def test_an_ellipse_polygon_lies_on_the_turned_ellipse() -> None:
    ring = ellipse_polygon(10, 5, 4, 2, 90)
    assert len(ring) == ELLIPSE_VERTICES
    for x, y in ring:  # turned a quarter: the long axis is vertical
        assert ((x - 10) / 2) ** 2 + ((y - 5) / 4) ** 2 == pytest.approx(1.0)
