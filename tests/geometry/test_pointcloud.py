"""nucleus_convert/geometry/pointcloud.py: the Nucleus point cloud JSON writer prints every
float32 exactly (checked over bit patterns, near powers of ten, extremes and signed zeros, with
two JSON parsers), in its fixed layout, and reads back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pointcloud_samples import bits

from nucleus_convert.geometry.pointcloud import pointcloud_json_bytes, read_pointcloud_json


def parsed_back(data: bytes, loads: Any = orjson.loads) -> npt.NDArray[np.float32]:
    doc = loads(data)
    assert list(doc) == ["points"]
    rows = [[p["x"], p["y"], p["z"], p["i"]] for p in doc["points"]]
    assert all(list(p) == ["x", "y", "z", "i"] for p in doc["points"])
    return np.array(rows, dtype=np.float64).reshape(-1, 4).astype(np.float32)


finite_bits = st.integers(0, 2**32 - 1).filter(lambda b: (b >> 23) & 0xFF != 0xFF)


@settings(max_examples=300)
@given(arrays(np.uint32, st.tuples(st.integers(0, 60), st.just(4)), elements=finite_bits))
def test_json_writer_is_exact_over_float32_bit_patterns(raw: npt.NDArray[np.uint32]) -> None:
    points = raw.view(np.float32)
    data = pointcloud_json_bytes(points)
    assert np.array_equal(bits(parsed_back(data)), raw)
    assert np.array_equal(bits(parsed_back(data, json.loads)), raw)  # a second parser
    assert b" " not in data and b"\n" not in data


def test_json_writer_next_to_powers_of_ten() -> None:
    """float32 log10 can be one off there; the writer must still print every value exactly."""
    chunks = []
    for k in range(-45, 39):
        centre = int(np.array([10.0**k], dtype=np.float32).view(np.uint32)[0])
        chunks.append(np.arange(max(centre - 300, 1), min(centre + 300, 0x7F7FFFFF)))
    raw = np.concatenate(chunks).astype(np.uint32)
    values = raw.view(np.float32)
    values = np.concatenate([values, -values, np.zeros((-2 * len(values)) % 4, np.float32)])
    points = values.reshape(-1, 4)
    assert np.array_equal(bits(parsed_back(pointcloud_json_bytes(points))), bits(points))


def test_json_writer_extremes_and_signed_zero() -> None:
    f32 = np.finfo(np.float32)
    points = np.array(
        [
            [-0.0, 0.0, -0.0, -0.0],
            [f32.max, -f32.max, f32.tiny, -f32.tiny],
            [f32.smallest_subnormal, -f32.smallest_subnormal, 1.0, 0.1],
            [9.999999, -9.999999, 1e-45, 1.0],
        ],
        dtype=np.float32,
    )
    data = pointcloud_json_bytes(points)
    assert data.startswith(b'{"points":[{"x":-0.00000000e+00,"y":0.000000000e+00,"z":-0.0')
    back = parsed_back(data)
    assert np.array_equal(bits(back), bits(points))
    assert np.signbit(back[0]).tolist() == [True, False, True, True]


def test_json_writer_layout() -> None:
    data = pointcloud_json_bytes(np.array([[1.5, -2.0, 0.125, 0.5]], dtype=np.float32))
    assert data == (
        b'{"points":[{"x":1.500000000e+00,"y":-2.00000000e+00,"z":1.250000000e-01,'
        b'"i":5.00000000000e-01}]}'
    )
    assert pointcloud_json_bytes(np.zeros((0, 4), dtype=np.float32)) == b'{"points":[]}'


def test_json_writer_n3_gets_intensity_zero_and_casts_float64() -> None:
    xyz = np.array([[0.1, -0.2, 3e10], [1, 2, 3]], dtype=np.float64)
    back = parsed_back(pointcloud_json_bytes(xyz))
    assert np.array_equal(bits(back[:, :3]), bits(xyz.astype(np.float32)))
    assert bits(back[:, 3]).tolist() == [0, 0]  # +0.0
    # More points than one block of the writer, with (N, 3) and (N, 4) input.
    big = np.random.default_rng(3).normal(0, 50, (20_001, 4)).astype(np.float32)
    back = parsed_back(pointcloud_json_bytes(big[:, :3]))
    assert np.array_equal(bits(back[:, :3]), bits(big[:, :3])) and not bits(back[:, 3]).any()
    assert np.array_equal(bits(parsed_back(pointcloud_json_bytes(big))), bits(big))


def test_json_writer_file_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    points = rng.normal(0, 40, (1000, 4)).astype(np.float32)
    points[:, 3] = rng.random(1000)
    path = tmp_path / "p.json"
    path.write_bytes(pointcloud_json_bytes(points))
    assert np.array_equal(bits(read_pointcloud_json(path)), bits(points))
