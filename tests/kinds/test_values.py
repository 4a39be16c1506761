"""Polygon and polyline vertices: the writer's byte-level fast path against orjson's dicts.

The bundle writer never builds a ``{"x", "y"}`` dict per vertex for plain numbers: it lets
orjson write ``[[x, y], ...]`` and rewrites the bytes. These tests hold it to the text the dict
route gives, and send everything that is not a plain finite pair down the checked route.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nucleus_convert as nc
from nucleus_convert.converters.nucleus.payloads import Encoder, Where
from nucleus_convert.loss import LossReport

_COORD = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
)


def _encode(points: Any, cls: type[nc.Polygon] | type[nc.Polyline] = nc.Polygon) -> bytes:
    ann = cls(label="p", id="a", points=points)
    payload = Encoder(LossReport()).annotation(ann, "img")
    assert payload is not None
    return orjson.dumps(payload["geometry"])


def _reference(points: list[tuple[Any, Any]]) -> bytes:
    return orjson.dumps({"vertices": [{"x": x, "y": y} for x, y in points]})


@given(st.lists(st.tuples(_COORD, _COORD), max_size=40))
def test_vertex_bytes_equal_orjson_dicts_for_any_finite_numbers(
    points: list[tuple[Any, Any]],
) -> None:
    assert _encode(points) == _reference(points)
    assert _encode(points, nc.Polyline) == _reference(points)


def test_lists_and_tuples_of_pairs_give_the_same_bytes() -> None:
    pairs = [(0, 0.5), (1e-7, -3), (1e300, 2.0)]
    assert _encode([list(p) for p in pairs]) == _encode(tuple(pairs)) == _reference(pairs)


def test_numpy_vertices_are_converted_to_plain_numbers() -> None:
    arr = np.array([[0.1, 2.0], [3.5, 4.0], [5.0, 6.25]])
    expected = _reference([(float(x), float(y)) for x, y in arr])
    assert _encode(arr) == expected
    assert _encode([(np.float32(x), np.float32(y)) for x, y in arr]) == _reference(
        [(float(np.float32(x)), float(np.float32(y))) for x, y in arr]
    )


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([(0, 0), (float("nan"), 1), (2, 2)], "vertex x: nan cannot be written"),
        ([(0, 0), (1, float("-inf")), (2, 2)], "vertex y: -inf cannot be written"),
        ([(0, 0), (True, 1), (2, 2)], "vertex x: expected a number, got True"),
        ([(0, 0), (1, None), (2, 2)], "vertex y: expected a number, got None"),
        ([(0, 0), ("1", 1), (2, 2)], "vertex x: expected a number, got '1'"),
        ([(0, 0), (1, 1, 1), (2,)], "vertices must be (x, y) pairs"),
        ([(0, 0), 1, (2, 2)], "vertices must be (x, y) pairs"),
    ],
)
def test_a_vertex_that_is_not_a_finite_number_is_refused_with_the_annotation(
    tmp_path: Path, points: list[Any], message: str
) -> None:
    dataset = nc.Dataset.of(
        [
            nc.Item(
                "img.jpg",
                media=nc.ImageMedia("img.jpg"),
                annotations=[nc.Polygon(label="p", id="a", points=points)],
            )
        ]
    )
    with pytest.raises(nc.OutputError) as info:
        nc.write(dataset, tmp_path / "out", "nucleus")
    assert f"item 'img.jpg', polygon 'a': {message}" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_where_names_the_annotation_only_when_formatted() -> None:
    box = nc.Box(label="b", id="7", x=0, y=0, width=1, height=1)
    assert str(Where("a.jpg", box)) == "item 'a.jpg', box '7'"
    assert f"{Where('a.jpg', nc.ImageCategory(label='c'))}: x" == "item 'a.jpg', category: x"
