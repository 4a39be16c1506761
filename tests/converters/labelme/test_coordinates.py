"""LabelMe coordinates in the model and back: points unchanged, rectangles from either
diagonal, boxes written so they read back bit for bit, circles within their tolerance, mask
patches placed as LabelMe places them."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from judge import lines

import nucleus_convert as nc
from nucleus_convert.converters.labelme.geometry import (
    CIRCLE_TOLERANCE,
    circle_polygon,
    circle_vertex_count,
    far_corner,
    rectangle_box,
)
from nucleus_convert.geometry.rle import decode
from nucleus_convert.model import Box, ImageMedia, InstanceMask, Item, Keypoints, Polygon

FileBuilder = Callable[..., Path]
ShapeBuilder = Callable[..., dict[str, Any]]

# ---------------------------------------------------------------------- points and rectangles


@pytest.mark.parametrize(
    "corners",
    [
        ([10.0, 20.0], [30.5, 45.25]),  # top-left, bottom-right
        ([30.5, 45.25], [10.0, 20.0]),  # bottom-right, top-left
        ([30.5, 20.0], [10.0, 45.25]),  # top-right, bottom-left
        ([10.0, 45.25], [30.5, 20.0]),  # bottom-left, top-right
    ],
)
def test_a_rectangle_from_either_diagonal_in_either_order_is_the_same_nucleus_box(
    corners: tuple[list[float], list[float]],
    labelme_file: FileBuilder,
    shape: ShapeBuilder,
    tmp_path: Path,
) -> None:
    src = labelme_file(shapes=[shape("sign", "rectangle", list(corners))])
    nc.convert(src, tmp_path / "nuc", to="nucleus")
    (box,) = lines(tmp_path / "nuc" / "annotations.jsonl")
    assert box["geometry"] == {"x": 10.0, "y": 20.0, "width": 20.5, "height": 25.25}


def test_points_are_the_model_points_unchanged(
    labelme_file: FileBuilder, shape: ShapeBuilder
) -> None:
    ring = [[0.0, 0.0], [39.999, 0.5], [20.25, 29.75]]
    src = labelme_file(
        shapes=[shape("roof", "polygon", ring), shape("bird", "point", [[0.5, 0.5]])]
    )
    (item,) = nc.read(src).items
    polygon, point = item.annotations
    assert isinstance(polygon, Polygon) and isinstance(point, Keypoints)
    assert polygon.points == [tuple(p) for p in ring]
    assert (point.points[0].x, point.points[0].y) == (0.5, 0.5)


def test_a_box_is_written_top_left_then_bottom_right(tmp_path: Path) -> None:
    item = Item(
        "img",
        media=ImageMedia("img.png", 40, 30),
        annotations=[Box(label="cat", x=1.5, y=2.0, width=10.0, height=3.25)],
    )
    nc.write(nc.Dataset.of([item]), tmp_path / "out", "labelme", images="none")
    doc = json.loads((tmp_path / "out" / "img.json").read_text(encoding="utf-8"))
    assert doc["shapes"][0]["points"] == [[1.5, 2.0], [11.5, 5.25]]
    assert doc["shapes"][0]["shape_type"] == "rectangle"


_coordinate = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
_size = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(start=_coordinate, size=_size)
def test_far_corner_gives_the_size_back_exactly_or_says_it_cannot(
    start: float, size: float
) -> None:
    end, exact = far_corner(start, size)
    if exact:
        assert end - start == size
    else:  # no float does: the difference's granularity is coarser than the size's
        assert abs((end - start) - size) <= math.ulp(end)
        assert all(c - start != size for c in _floats_around(start + size, 64))


def _floats_around(value: float, n: int) -> list[float]:
    out, low, high = [value], value, value
    for _ in range(n):
        low, high = math.nextafter(low, -math.inf), math.nextafter(high, math.inf)
        out += [low, high]
    return out


_sixty_fourths = st.integers(min_value=-(2**30), max_value=2**30).map(lambda n: n / 64)


@settings(max_examples=300, deadline=None)
@given(start=_sixty_fourths, size=_sixty_fourths.map(abs))
def test_far_corner_is_exact_for_pixel_coordinates_with_few_binary_digits(
    start: float, size: float
) -> None:
    end, exact = far_corner(start, size)
    assert exact and end - start == size


def test_far_corner_cannot_give_back_a_size_finer_than_its_corners() -> None:
    end, exact = far_corner(1.0, 1.95)
    assert not exact and end == 2.95


@settings(max_examples=25, deadline=None)
@given(boxes=st.lists(st.tuples(_coordinate, _coordinate, _size, _size), min_size=1, max_size=6))
def test_any_box_reads_back_bit_for_bit_or_within_an_ulp_reported_as_approximated(
    tmp_path_factory: pytest.TempPathFactory, boxes: list[tuple[float, float, float, float]]
) -> None:
    tmp = tmp_path_factory.mktemp("boxes")
    anns: list[Any] = [
        Box(label=f"c{i}", id=str(i), x=x, y=y, width=w, height=h)
        for i, (x, y, w, h) in enumerate(boxes)
    ]
    item = Item("img", media=ImageMedia("img.png", 40, 30), annotations=anns)
    report = nc.write(nc.Dataset.of([item]), tmp / "out", "labelme", images="none").report
    (again,) = nc.read(tmp / "out", "labelme").items
    got = [(a.x, a.y, a.width, a.height) for a in again.annotations if isinstance(a, Box)]
    inexact = 0
    for (x, y, w, h), (gx, gy, gw, gh) in zip(boxes, got, strict=True):
        assert (gx, gy) == (x, y)
        for size, back in ((w, gw), (h, gh)):
            if back != size:
                inexact += 1
                assert abs(back - size) <= 2 * math.ulp(max(abs(x), abs(y), size, 1.0))
    rows = {(e.kind, e.field): e.count("approximated") for e in report}
    assert sum(rows.values()) == inexact
    assert set(rows) <= {("box", "width"), ("box", "height")}


def test_rectangle_box_takes_the_smaller_coordinates_as_the_corner() -> None:
    assert rectangle_box((5.0, 1.0), (2.0, 4.0)) == (2.0, 1.0, 3.0, 3.0)
    assert rectangle_box((2.0, 2.0), (2.0, 2.0)) == (2.0, 2.0, 0.0, 0.0)


# ---------------------------------------------------------------------- circles


@pytest.mark.parametrize("radius", [0.05, 1.0, 12.5, 41.0, 300.0, 5000.0])
def test_a_circle_becomes_a_polygon_within_its_tolerance_with_its_rim_point_first(
    radius: float,
) -> None:
    centre, rim = (100.0, 50.0), (100.0 + radius * 0.6, 50.0 - radius * 0.8)
    points, gap = circle_polygon(centre, rim)
    assert points[0] == rim
    assert len(points) == circle_vertex_count(radius)
    distances = [math.hypot(x - centre[0], y - centre[1]) for x, y in points]
    assert max(abs(d - radius) for d in distances) < 1e-9 * max(radius, 1.0)
    # the farthest an edge gets from the circle is at its midpoint
    assert gap <= CIRCLE_TOLERANCE or len(points) == 1024
    mid = [
        math.hypot((x1 + x2) / 2 - centre[0], (y1 + y2) / 2 - centre[1])
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True)
    ]
    assert radius - min(mid) == pytest.approx(gap, abs=1e-9)


def test_a_circle_is_read_as_a_polygon_and_counted_as_approximated(
    labelme_file: FileBuilder, shape: ShapeBuilder
) -> None:
    src = labelme_file(shapes=[shape("ball", "circle", [[20.0, 15.0], [20.0, 25.0]])])
    dataset = nc.read(src).materialize()
    (polygon,) = dataset.items[0].annotations
    assert isinstance(polygon, Polygon)
    assert len(polygon.points) == circle_vertex_count(10.0) == 23
    (row,) = [e for e in dataset.losses if e.count("approximated")]
    assert (row.kind, row.field) == ("polygon", "points")
    assert "23 vertices" in row.examples[0]


# ---------------------------------------------------------------------- masks


def _labelme_placement(
    points: list[list[float]], patch: np.ndarray[Any, Any], height: int, width: int
) -> np.ndarray[Any, Any]:
    """LabelMe's own placement of a mask patch (``labelme/_utils/shape.py``,
    ``shapes_to_label``, at commit 51e50e4), restated here as the reference."""
    mask = np.zeros((height, width), dtype=bool)
    point_array = np.asarray(points)
    (x1, y1), (x2, y2) = point_array.round().astype(int)
    if np.array_equal(point_array, np.trunc(point_array)):
        patch_height, patch_width = y2 - y1 + 1, x2 - x1 + 1
    else:
        patch_height, patch_width = patch.shape
    y_start, y_stop = max(y1, 0), min(y1 + patch_height, height)
    x_start, x_stop = max(x1, 0), min(x1 + patch_width, width)
    if y_start < y_stop and x_start < x_stop:
        mask[y_start:y_stop, x_start:x_stop] = patch[
            y_start - y1 : y_stop - y1, x_start - x1 : x_stop - x1
        ]
    return mask


ROWS = [".##.", "####", "#..#"]


@pytest.mark.parametrize(
    "points",
    [
        [[5.0, 7.0], [8.0, 9.0]],  # integer corners: the patch spans them
        [[5.4, 6.6], [8.4, 8.6]],  # fractional corners (after a drag): the PNG's size counts
        [[37.5, 28.0], [40.5, 30.0]],  # off the bottom-right edge: cut off (38 rounds to even)
    ],
)
def test_a_mask_patch_lands_on_the_pixels_labelme_puts_it_on(
    points: list[list[float]],
    labelme_file: FileBuilder,
    shape: ShapeBuilder,
    mask: Any,
) -> None:
    src = labelme_file(shapes=[shape("blob", "mask", points, mask=mask(ROWS))])
    dataset = nc.read(src).materialize()
    (ann,) = dataset.items[0].annotations
    assert isinstance(ann, InstanceMask)
    patch = np.array([[c == "#" for c in row] for row in ROWS])
    expected = _labelme_placement(points, patch, 30, 40)
    assert np.array_equal(decode(ann.rle).astype(bool), expected)
    cut = [e for e in dataset.losses if e.count("approximated")]
    assert bool(cut) == (int(expected.sum()) < int(patch.sum()))


def test_a_mask_is_written_over_the_tight_box_of_its_pixels_in_pixel_indices(
    tmp_path: Path,
) -> None:
    pixels = np.zeros((30, 40), dtype=np.uint8)
    pixels[10:13, 20:24] = 1  # rows 10..12, columns 20..23
    pixels[10, 20] = 0
    from nucleus_convert.geometry.rle import encode

    item = Item(
        "img",
        media=ImageMedia("img.png", 40, 30),
        annotations=[InstanceMask(label="blob", id="0", rle=encode(pixels))],
    )
    nc.write(nc.Dataset.of([item]), tmp_path / "out", "labelme", images="none")
    doc = json.loads((tmp_path / "out" / "img.json").read_text(encoding="utf-8"))
    assert doc["shapes"][0]["points"] == [[20, 10], [23, 12]]
    (again,) = nc.read(tmp_path / "out").items
    back = again.annotations[0]
    assert isinstance(back, InstanceMask)
    assert np.array_equal(decode(back.rle), pixels)
