"""Property-based tests: exact round trips and malformed input that never escapes as a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.geometry.pointcloud import pointcloud_json_bytes
from nucleus_convert.roundtrip import compare

FIXTURE = FIXTURES / "nucleus"

finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(arrays(np.float32, st.tuples(st.integers(0, 50), st.just(4)), elements=finite32))
def test_pointcloud_json_gives_back_the_same_float32_bits(points: np.ndarray) -> None:
    data = pointcloud_json_bytes(points)
    parsed = orjson.loads(data)["points"]
    back = np.array([[p["x"], p["y"], p["z"], p["i"]] for p in parsed], dtype=np.float64)
    back32 = back.astype(np.float32).reshape(-1, 4)
    # Compare bits: -0.0 must stay -0.0 and every value must survive exactly.
    assert np.array_equal(back32.view(np.uint32), points.view(np.uint32))


def test_pointcloud_json_refuses_nan_with_the_point_index() -> None:
    points = np.zeros((3, 4), dtype=np.float32)
    points[2, 1] = np.nan
    with pytest.raises(OutputError, match=r"point 2 has a NaN"):
        pointcloud_json_bytes(points)


coord = st.one_of(
    st.integers(-10_000, 10_000), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
)
size = st.one_of(st.integers(0, 5000), st.floats(0, 1e5, allow_nan=False, allow_infinity=False))
label = st.text(min_size=1, max_size=12)
attrs = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.one_of(st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False)),
    max_size=3,
)


@st.composite
def annotations(draw: st.DrawFn) -> nc.Annotation:
    score = draw(st.one_of(st.none(), st.floats(0, 1)))
    common = {
        "label": draw(label),
        "attributes": draw(attrs),
        "score": score,
        "track_id": draw(st.one_of(st.none(), label)),
    }
    kind = draw(st.sampled_from(["box", "polygon", "line", "keypoints", "cuboid"]))
    if kind == "box":
        return nc.Box(x=draw(coord), y=draw(coord), width=draw(size), height=draw(size), **common)
    if kind in ("polygon", "line"):
        pts = draw(st.lists(st.tuples(coord, coord), min_size=3, max_size=8))
        cls = nc.Polygon if kind == "polygon" else nc.Polyline
        return cls(points=pts, group_id=draw(st.one_of(st.none(), st.just("g1"))), **common)
    if kind == "cuboid":
        return nc.Cuboid(
            position=(draw(coord), draw(coord), draw(coord)),
            dimensions=(draw(size), draw(size), draw(size)),
            yaw=draw(st.floats(-3.14, 3.14)),
            **common,
        )
    n = draw(st.integers(1, 6))
    points = []
    for _ in range(n):
        vis = draw(st.sampled_from(list(nc.Visibility)))
        if vis == nc.Visibility.UNLABELLED:
            points.append(nc.Keypoint(None, None, vis))
        else:
            points.append(nc.Keypoint(draw(coord), draw(coord), vis))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4))
    return nc.Keypoints(points=points, names=[f"k{i}" for i in range(n)], skeleton=edges, **common)


@st.composite
def datasets(draw: st.DrawFn) -> nc.model.MaterializedDataset:
    n = draw(st.integers(1, 4))
    items = [
        nc.Item(
            f"item-{i}",
            media=nc.ImageMedia(f"s3://b/{i}.jpg", 640, 480),
            annotations=draw(st.lists(annotations(), max_size=6)),
        )
        for i in range(n)
    ]
    return nc.model.MaterializedDataset(nc.Header(), items, [])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_random_datasets_round_trip_through_nucleus_exactly(
    ds: nc.model.MaterializedDataset,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        written = nc.write(ds.stream(), Path(tmp) / "b", "nucleus")
        back = nc.read(written.path).materialize()
    report = compare(ds, back, tolerance=0.0)
    assert not report.has_loss(), report.format_table(only_loss=True)


def _mutations() -> st.SearchStrategy[bytes]:
    lines = [ln for ln in (FIXTURE / "annotations.jsonl").read_bytes().splitlines() if ln.strip()]
    line = st.sampled_from(lines)
    json_values = st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(2**63), 2**63 - 1),
            st.text(max_size=5),
            st.floats(allow_nan=False),
        ),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=5,
    )

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        raw = draw(line)
        how = draw(st.sampled_from(["truncate", "replace_key", "drop_key", "garbage"]))
        if how == "truncate":
            return raw[: draw(st.integers(0, len(raw) - 1))]
        if how == "garbage":
            return draw(st.binary(min_size=1, max_size=40)).replace(b"\n", b" ")
        obj = orjson.loads(raw)
        target = obj
        if "geometry" in obj and obj["geometry"] and draw(st.booleans()):
            target = obj["geometry"]
        key = draw(st.sampled_from(sorted(target)))
        if how == "drop_key":
            del target[key]
        else:
            target[key] = draw(json_values)
        return orjson.dumps(obj)

    return mutate()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_mutations())
def test_malformed_annotation_lines_raise_input_errors_naming_the_line(line: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "b"
        bundle.mkdir()
        (bundle / "items.jsonl").write_bytes((FIXTURE / "items.jsonl").read_bytes())
        (bundle / "annotations.jsonl").write_bytes(line + b"\n")
        try:
            list(nc.read(bundle).items)
        except InputError as exc:
            assert exc.path == str(bundle / "annotations.jsonl")
            assert exc.line == 1
