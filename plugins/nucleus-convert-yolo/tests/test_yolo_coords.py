"""The exact coordinate rule: by hand, on other tools' 6-decimal files, and by property."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st
from nucleus_convert_yolo.coords import (
    Exact,
    box_from_normalised,
    box_to_normalised,
    parse_number,
    point_from_normalised,
    point_to_normalised,
    shortest_within,
)

SIZES = st.integers(min_value=1, max_value=8192)


Box = tuple[float, float, float, float]


def _read(texts: Sequence[str], width: int, height: int, *, snap: bool = True) -> Box:
    cx, cy, w, h = (parse_number(t) for t in texts)
    return box_from_normalised(cx, cy, w, h, width, height, snap=snap)


def _box(line: str, width: int, height: int, *, snap: bool = True) -> Box:
    return _read(line.split()[1:], width, height, snap=snap)


def test_the_pixel_mapping_by_hand() -> None:
    assert _box("0 0.5 0.5 0.25 0.5", 640, 480) == (240.0, 120.0, 160.0, 240.0)
    assert point_from_normalised(parse_number("0.25"), parse_number("0.75"), 640, 480) == (
        160.0,
        360.0,
    )


def test_quantum_is_the_place_of_the_last_digit_but_at_most_a_millionth() -> None:
    assert parse_number("0.123400") == Exact(123400, -6)
    assert parse_number("0.1234567") == Exact(1234567, -7)
    assert parse_number("0.5") == Exact(500000, -6)
    assert parse_number("1") == Exact(1000000, -6)
    assert parse_number("1e-3") == Exact(1000, -6)
    assert parse_number(".25").value == Fraction(1, 4)


def test_short_decimals_written_with_g_are_exact_not_snapped_to_whole_pixels() -> None:
    # Ultralytics writes %g: "0.1" is 0.100000. On a 15-pixel image the box is at 0.75 and
    # 1.5 pixels wide; snapping within "0.1 +- 0.05" would have given 1 and 2.
    assert _box("0 0.1 0.1 0.1 0.1", 15, 15) == (0.75, 0.75, 1.5, 1.5)


def test_shortest_decimal_within_the_interval() -> None:
    # 12.99999 +- 0.00001: 13 is inside, and shorter than anything else.
    assert shortest_within(1299999, 100000, 1) == 13.0
    # 1/3 +- 0.001: 0.333 is the first candidate inside.
    assert shortest_within(1000, 3000, 3) == 0.333


def test_six_decimal_files_from_other_tools_give_integer_pixels() -> None:
    # 13/30 = 0.4333... written with 6 decimals; the plain formula gives 12.99999.
    assert _box("1 0.212500 0.450000 0.275000 0.433333", 40, 30) == (3.0, 7.0, 11.0, 13.0)
    plain = _box("1 0.212500 0.450000 0.275000 0.433333", 40, 30, snap=False)
    assert plain != (3.0, 7.0, 11.0, 13.0)
    assert abs(plain[3] - 13.0) < 1e-4


def test_the_snapped_value_stays_within_the_files_precision() -> None:
    # "0.3" means 0.300000 (trailing zeros dropped), as "0.300000" does: 2.1 on 7 pixels.
    x, _ = point_from_normalised(parse_number("0.3"), parse_number("0"), 7, 1)
    assert x == 2.1
    x, _ = point_from_normalised(parse_number("0.300000"), parse_number("0"), 7, 1)
    assert x == 2.1
    # 0.4285714 (7 decimals) is 3/7 to within 5e-8: 2.9999998 +- 3.5e-7 holds 3.
    x, _ = point_from_normalised(parse_number("0.4285714"), parse_number("0"), 7, 1)
    assert x == 3.0


@st.composite
def float_boxes(draw: st.DrawFn) -> tuple[int, int, float, float, float, float]:
    width, height = draw(SIZES), draw(SIZES)
    x = draw(st.floats(min_value=0, max_value=width, exclude_max=True))
    y = draw(st.floats(min_value=0, max_value=height, exclude_max=True))
    w = draw(st.floats(min_value=0, max_value=width - x, exclude_min=True))
    h = draw(st.floats(min_value=0, max_value=height - y, exclude_min=True))
    return width, height, x, y, w, h


@given(float_boxes())
def test_any_float_box_inside_the_image_round_trips_bit_exactly(
    case: tuple[int, int, float, float, float, float],
) -> None:
    width, height, x, y, w, h = case
    if Fraction(x) + Fraction(w) > width or Fraction(y) + Fraction(h) > height:
        return  # x + w rounded up past the edge: not inside the image
    texts, exact = box_to_normalised(x, y, w, h, width, height)
    assert exact
    assert _read(texts, width, height) == (x, y, w, h)


@given(SIZES, SIZES, st.data())
def test_any_float_vertex_inside_the_image_round_trips_bit_exactly(
    width: int, height: int, data: st.DataObject
) -> None:
    x = data.draw(st.floats(min_value=0, max_value=width))
    y = data.draw(st.floats(min_value=0, max_value=height))
    texts, exact = point_to_normalised(x, y, width, height)
    assert exact
    nx, ny = (parse_number(t) for t in texts)
    assert point_from_normalised(nx, ny, width, height) == (x, y)


@st.composite
def integer_boxes(draw: st.DrawFn) -> tuple[int, int, int, int, int, int]:
    width = draw(st.integers(min_value=1, max_value=4096))
    height = draw(st.integers(min_value=1, max_value=4096))
    x = draw(st.integers(min_value=0, max_value=width - 1))
    y = draw(st.integers(min_value=0, max_value=height - 1))
    w = draw(st.integers(min_value=1, max_value=width - x))
    h = draw(st.integers(min_value=1, max_value=height - y))
    return width, height, x, y, w, h


@given(integer_boxes())
def test_integer_boxes_are_written_with_six_decimals_and_read_back_as_integers(
    case: tuple[int, int, int, int, int, int],
) -> None:
    width, height, x, y, w, h = case
    texts, exact = box_to_normalised(float(x), float(y), float(w), float(h), width, height)
    assert exact
    assert all(len(t.split(".")[1]) == 6 for t in texts)
    assert _read(texts, width, height) == (x, y, w, h)
    # and what any other tool writes with f"{v:.6f}" reads back the same integers
    other = [f"{v:.6f}" for v in ((x + w / 2) / width, (y + h / 2) / height, w / width, h / height)]
    assert _read(other, width, height) == (x, y, w, h)


def test_tiny_values_still_round_trip() -> None:
    texts, exact = box_to_normalised(5e-324, 1e-300, 5e-324, 2.5e-310, 640, 480)
    assert exact
    assert _read(texts, 640, 480) == (
        5e-324,
        1e-300,
        5e-324,
        2.5e-310,
    )
