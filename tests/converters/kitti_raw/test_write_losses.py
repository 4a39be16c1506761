"""The KITTI raw writer's field accounting and output confinement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from every_kind import every_kind_dataset
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Cuboid, Dataset, Frame, Item, PointCloudMedia, Scene
from nucleus_convert.toolkit.losses import RECORD_KINDS


def rows(report: LossReport, status: str) -> dict[tuple[str, str], int]:
    return {(e.kind, e.field): e.count(status) for e in report if e.count(status)}


def test_every_kind_dataset_reports_each_field_kitti_raw_cannot_carry(tmp_path: Path) -> None:
    report = nc.write(every_kind_dataset().stream(), tmp_path / "o", "kitti_raw").report
    assert rows(report, "dropped") == {
        ("box", "*"): 4,
        ("category", "*"): 2,
        ("cuboid", "*"): 1,  # the prediction
        ("cuboid", "attributes"): 1,  # occluded is no tracklet pose field
        ("header", "categories"): 3,
        ("header", "extra"): 1,
        ("header", "skeletons"): 1,
        ("header", "taxonomies"): 1,
        ("item", "*"): 3,  # img-0 and img-1 (outside the scene), cam-0 (a remote image)
        ("item", "metadata"): 2,
        ("keypoints", "*"): 2,
        ("multicategory", "*"): 1,
        ("polygon", "*"): 3,
        ("polyline", "*"): 2,
        ("scene", "metadata"): 1,
        ("scene_category", "*"): 2,
        ("segmentation", "*"): 2,
    }
    assert rows(report, "approximated") == {
        ("cuboid", "id"): 1,
        ("cuboid", "track_id"): 1,
        ("item", "reference_id"): 1,
        ("scene", "frames"): 1,
    }
    assert {e.kind for e in report} <= set(RECORD_KINDS)


def test_group_ids_scores_extras_and_scan_cameras_are_counted(tmp_path: Path) -> None:
    ds = every_kind_dataset()
    lidar = ds.items[2]
    cub = next(a for a in lidar.annotations if isinstance(a, Cuboid) and a.id == "cub-1")
    cub.group_id, cub.extra = "g", {"k": 1}
    lidar.extra["note"] = "x"
    lidar.camera = ds.items[3].camera
    report = nc.write(ds.stream(), tmp_path / "o", "kitti_raw").report
    dropped = rows(report, "dropped")
    assert dropped[("cuboid", "group_id")] == 1 and dropped[("cuboid", "extra")] == 1
    assert dropped[("item", "extra")] == 1 and dropped[("item", "camera")] == 1
    assert "note" in report.entries[("item", "extra")].reasons["dropped"]


def test_nucleus_fixture_bundle_rows_name_model_kinds_only(tmp_path: Path) -> None:
    result = nc.convert(FIXTURES / "nucleus", tmp_path / "o", from_="nucleus", to="kitti_raw")
    assert {e.kind for e in result.report} <= set(RECORD_KINDS)
    assert ("box", "*") in {(e.kind, e.field) for e in result.report.lossy_entries()}


UNSAFE = {
    "parent": "../../escape",
    "absolute": "/tmp/nucleus-convert-raw-absolute",
    "nul": "drive\x00x",
    "long": "r" * 300,
}


@pytest.mark.parametrize("ref", list(UNSAFE.values()), ids=list(UNSAFE))
def test_unsafe_scene_ids_become_safe_drive_folders_inside(tmp_path: Path, ref: str) -> None:
    (tmp_path / "w").mkdir()
    lidar = Item(f"{ref}/scan", media=PointCloudMedia(points=np.zeros((2, 4), np.float32)))
    box = Cuboid(label="Car", position=(5, 0, 0), dimensions=(4, 2, 1.5), yaw=0.0)
    lidar.annotations.append(box)
    scene = Scene(ref, frames=[Frame({"velodyne": lidar.reference_id})])
    out = tmp_path / "w" / "o"
    result = nc.write(Dataset.of([lidar], scenes=[scene]), out, "kitti_raw")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(out.resolve()) for p in files)
    [drive] = list(out.iterdir())
    assert len(drive.name.encode()) <= 255 and "\x00" not in drive.name and "/" not in drive.name
    assert sorted(p.relative_to(drive).as_posix() for p in files) == [
        "tracklet_labels.xml",
        "velodyne_points/data/0000000000.bin",
    ]
    assert not Path("/tmp/nucleus-convert-raw-absolute").exists()
    assert result.report.entries[("scene", "reference_id")].count("approximated") == 1
