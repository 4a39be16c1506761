"""The KITTI writer's loss accounting and output confinement.

Every model field KITTI has no place for is counted per (kind, field), rows name model kinds
only; unsafe frame ids are mapped to safe names inside the destination (and reported), never
followed out of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_runner import run_cli
from every_kind import every_kind_dataset
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Box, Dataset, Frame, Item, PointCloudMedia, Scene
from nucleus_convert.toolkit.losses import RECORD_KINDS

NOT_TEXT = "KITTI labels are boxes and cuboids (and one segmentation PNG per frame)"


def rows(report: LossReport, status: str) -> dict[tuple[str, str], int]:
    return {(e.kind, e.field): e.count(status) for e in report if e.count(status)}


def test_every_kind_dataset_reports_each_field_kitti_cannot_carry(tmp_path: Path) -> None:
    report = nc.write(every_kind_dataset().stream(), tmp_path / "o", "kitti").report
    assert rows(report, "dropped") == {
        ("box", "class_pdf"): 1,
        ("box", "track_id"): 1,
        ("category", "*"): 2,
        ("cuboid", "*"): 2,  # two corners behind the camera
        ("header", "categories"): 3,  # source ids and supercategories; 'unused' is not written
        ("header", "extra"): 1,
        ("header", "skeletons"): 1,
        ("header", "taxonomies"): 1,
        ("item", "camera.distortion"): 1,
        ("item", "media"): 3,  # s3 images and a missing local one
        ("item", "metadata.frame"): 2,
        ("item", "metadata.night"): 1,
        ("item", "metadata.score_avg"): 1,
        ("item", "metadata.sensor"): 2,
        ("item", "metadata.weather"): 2,
        ("keypoints", "*"): 2,
        ("multicategory", "*"): 1,
        ("polygon", "*"): 3,
        ("polyline", "*"): 2,
        ("scene", "metadata"): 1,
        ("scene_category", "*"): 2,
        ("segmentation", "*"): 1,  # one segmentation per frame
        ("segmentation", "segments"): 1,  # 'background' has no Cityscapes id
    }
    assert rows(report, "approximated") == {
        ("box", "id"): 3,
        ("item", "reference_id"): 2,  # lidar-0 and cam-0 read back as scene-0/velodyne, /image_2
        ("scene", "frames"): 1,  # sensors lidar and cam read back as velodyne and image_2
        ("segmentation", "id"): 1,
    }
    assert report.entries[("polygon", "*")].reasons["dropped"] == NOT_TEXT
    assert report.entries[("box", "track_id")].reasons["dropped"] == (
        "KITTI object labels have no tracks"
    )
    assert {e.kind for e in report} <= set(RECORD_KINDS)


def test_group_ids_extras_and_a_scan_camera_are_counted(tmp_path: Path) -> None:
    ds = every_kind_dataset()
    img0 = ds.items[0]
    box = next(a for a in img0.annotations if isinstance(a, Box) and a.id == "b1")
    box.group_id, box.extra = "g", {"source": "x"}
    img0.extra["note"] = 1
    ds.items[2].camera = ds.items[3].camera  # the lidar item: a scan has no camera in KITTI
    report = nc.write(ds.stream(), tmp_path / "o", "kitti").report
    dropped = rows(report, "dropped")
    assert dropped[("box", "group_id")] == 1 and dropped[("box", "extra")] == 1
    assert dropped[("item", "extra")] == 1 and dropped[("item", "camera")] == 1


def test_nucleus_fixture_bundle_to_kitti_counts_tracks_and_scene_fields(tmp_path: Path) -> None:
    result = nc.convert(FIXTURES / "nucleus", tmp_path / "o", from_="nucleus", to="kitti")
    kinds = {e.kind for e in result.report}
    assert kinds <= set(RECORD_KINDS)
    lossy = {(e.kind, e.field) for e in result.report.lossy_entries()}
    assert ("cuboid", "track_id") in lossy or ("box", "track_id") in lossy
    assert not any(e.kind in {"prediction", "annotation"} for e in result.report)


def test_a_kitti_tree_through_kitti_loses_nothing(tmp_path: Path) -> None:
    tree = FIXTURES / "kitti" / "object"
    result = nc.convert(tree, tmp_path / "o", from_="kitti", to="kitti")
    assert not result.report.has_loss(), result.report.format_table(only_loss=True)


UNSAFE_IDS = {
    "parent": "../../escape/000001",
    "absolute": "/tmp/nucleus-convert-absolute/000002",
    "nul": "sub\x00dir/000003",
    "long": "d" * 300 + "/" + "f" * 300,
    "dot": "./a/../../000004",
}


@pytest.mark.parametrize("ref", list(UNSAFE_IDS.values()), ids=list(UNSAFE_IDS))
def test_unsafe_frame_ids_are_mapped_inside_the_destination(tmp_path: Path, ref: str) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    item = Item(ref, annotations=[Box(label="Car", x=1, y=1, width=2, height=2)])
    result = nc.write(Dataset.of([item]), work / "out", "kitti")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(p.resolve().is_relative_to((work / "out").resolve()) for p in written)
    assert not Path("/tmp/nucleus-convert-absolute").exists()
    entry = result.report.entries[("item", "reference_id")]
    assert entry.count("changed") == 1
    [label] = written
    mapped = label.relative_to(work / "out").as_posix().replace("/label_2/", "/")
    assert entry.examples == [f"{ref!r} -> {mapped.removesuffix('.txt')!r}"]
    [back] = nc.read(work / "out", "kitti").items
    assert back.reference_id == mapped.removesuffix(".txt")


def test_unsafe_scene_id_maps_every_sensor_file_into_the_destination(tmp_path: Path) -> None:
    lidar = Item("../x/lidar", media=PointCloudMedia(points=np.zeros((2, 4), np.float32)))
    scene = Scene("../../s", frames=[Frame({"velodyne": "../x/lidar"})])
    (tmp_path / "w").mkdir()
    result = nc.write(Dataset.of([lidar], scenes=[scene]), tmp_path / "w" / "out", "kitti")
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert [p.relative_to(tmp_path / "w" / "out").parts[-2:] for p in files] == [
        ("velodyne", "s.bin")
    ]
    assert result.report.entries[("scene", "reference_id")].count("changed") == 1


def test_cli_path_traversal_writes_nothing_outside_and_reports_the_mapping(tmp_path: Path) -> None:
    work = tmp_path / "deep" / "a" / "b"
    work.mkdir(parents=True)
    coco = work / "coco.json"
    coco.write_text(
        '{"images":[{"id":1,"file_name":"../../../ESCAPED/000001.jpg","width":10,"height":10},'
        f'{{"id":2,"file_name":"{tmp_path}/ABSOLUTE/000002.jpg","width":10,"height":10}}],'
        '"categories":[{"id":1,"name":"Car"}],'
        '"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1,1,3,3]},'
        '{"id":2,"image_id":2,"category_id":1,"bbox":[1,1,3,3]}]}'
    )
    proc = run_cli("convert", str(coco), str(work / "out"), "--to", "kitti")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and "out" not in p.parts]
    assert outside == [coco]
    assert "reference_id" in proc.stderr and "made safe" in proc.stderr
