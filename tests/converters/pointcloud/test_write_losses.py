"""The point cloud writer's field accounting and output confinement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from every_kind import every_kind_dataset
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.model import Item, PointCloudMedia
from nucleus_convert.toolkit.losses import RECORD_KINDS


def test_camera_extras_and_header_extra_of_a_written_cloud_are_counted(tmp_path: Path) -> None:
    ds = every_kind_dataset()
    lidar = ds.items[2]
    lidar.camera = ds.items[3].camera
    lidar.extra["calibration"] = {"k": 1}
    report = nc.write(ds.stream(), tmp_path / "o", "pointcloud").report
    dropped = {(e.kind, e.field): e.count("dropped") for e in report.lossy_entries()}
    assert dropped[("item", "camera")] == 1
    assert dropped[("item", "extra")] == 1
    assert dropped[("header", "extra")] == 1
    assert report.entries[("item", "extra")].reasons["dropped"] == (
        "point cloud files carry no item extras"
    )
    assert {e.kind for e in report} <= set(RECORD_KINDS)


def test_nucleus_fixture_bundle_rows_name_model_kinds_only(tmp_path: Path) -> None:
    result = nc.convert(FIXTURES / "nucleus", tmp_path / "o", from_="nucleus", to="pointcloud")
    assert {e.kind for e in result.report} <= set(RECORD_KINDS)
    lossy = {(e.kind, e.field) for e in result.report.lossy_entries()}
    assert ("cuboid", "*") in lossy and ("item", "*") in lossy  # labels and images


UNSAFE = {
    "absolute": "/tmp/nucleus-convert-pc-absolute/x",
    "nul": "sub\x00dir/x",
    "long": "p" * 300,
    "parent": "a/../../../x",
}


@pytest.mark.parametrize("ref", list(UNSAFE.values()), ids=list(UNSAFE))
def test_unsafe_reference_ids_are_written_under_safe_names_inside(tmp_path: Path, ref: str) -> None:
    (tmp_path / "w").mkdir()
    item = Item(ref, media=PointCloudMedia(points=np.zeros((2, 4), np.float32)))
    result = nc.write(nc.Dataset.of([item]), tmp_path / "w" / "o", "pointcloud", file_type="bin")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    [only] = files
    assert only.parent == tmp_path / "w" / "o"  # a flat, sanitised name
    assert len(only.name.encode()) <= 255 and "\x00" not in only.name
    assert not Path("/tmp/nucleus-convert-pc-absolute").exists()
    entry = result.report.entries[("item", "reference_id")]
    assert entry.count("approximated") == 1
    assert entry.examples == [f"item {ref!r} -> {only.name}"]
