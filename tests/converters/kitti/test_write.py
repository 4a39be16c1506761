"""nucleus_convert/converters/kitti/write.py (and write_labels.py, write_calib.py,
write_names.py): the model into KITTI trees: subsets as folders, 2D boxes, alpha and truncation
projected from cuboids through the camera, cuboids that cannot be written dropped and reported,
an edited camera written as the calibration, labels made one word, and what KITTI cannot carry
reported."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from kitti_trees import clipped_box, items_by_ref, make_tree
from paths import ROOT
from PIL import Image

import nucleus_convert as nc
from nucleus_convert.geometry.kitti import (
    calibration_from_camera,
    cuboid_corners,
    parse_calib,
    project_to_image,
)
from nucleus_convert.model import (
    Box,
    CameraParams,
    Cuboid,
    Dataset,
    Frame,
    ImageMedia,
    Item,
    PointCloudMedia,
    Scene,
)


def test_subsets_become_folders_and_read_back_with_the_same_ids(tmp_path: Path) -> None:
    src = tmp_path / "k"
    make_tree(src / "train", {"000000": "Car 0 0 0 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n"})
    nested = src / "val"
    (nested / "label_2" / "city").mkdir(parents=True)
    (nested / "label_2" / "city" / "000001.txt").write_text(
        "Van 0 0 0 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n"
    )
    refs = sorted(it.reference_id for it in nc.read(src, "kitti").items)
    assert refs == ["train/000000", "val/city/000001"]
    nc.convert(src, tmp_path / "out", from_="kitti", to="kitti")
    assert (tmp_path / "out" / "val" / "city" / "label_2" / "000001.txt").is_file()
    assert sorted(it.reference_id for it in nc.read(tmp_path / "out", "kitti").items) == refs


def nucleus_scene(cam: CameraParams | None, annotations: list[Any], tmp_path: Path) -> Dataset:
    image = tmp_path / "img.png"
    Image.new("L", (1200, 360)).save(image)
    lidar = Item(
        "s/lidar",
        media=PointCloudMedia(points=np.zeros((2, 4), np.float32)),
        annotations=annotations,
    )
    camera = Item("s/cam", media=ImageMedia(str(image), 1200, 360), camera=cam)
    return Dataset.of(
        [lidar, camera], scenes=[Scene("s", frames=[Frame({"lidar": "s/lidar", "cam": "s/cam"})])]
    )


HAND_CAMERA = CameraParams(
    position=(0.0, 0.0, 0.0),
    heading=(-0.5, 0.5, -0.5, 0.5),  # camera z -> velodyne x, camera x -> velodyne -y
    fx=700.0,
    fy=700.0,
    cx=600.0,
    cy=180.0,
)


def test_cuboid_without_box_gets_the_projected_box_alpha_and_truncation(tmp_path: Path) -> None:
    cub = Cuboid(label="Car", position=(10.0, -2.0, -0.75), dimensions=(4.0, 1.6, 1.5), yaw=-1.87)
    result = nc.write(nucleus_scene(HAND_CAMERA, [cub], tmp_path), tmp_path / "out", "kitti")
    [line] = (tmp_path / "out" / "label_2" / "s.txt").read_text().splitlines()
    words = line.split()
    calib = calibration_from_camera(HAND_CAMERA)
    expected = clipped_box(
        project_to_image(cuboid_corners(cub.position, cub.dimensions, cub.yaw), calib), 1200, 360
    )
    assert [float(w) for w in words[4:8]] == pytest.approx(expected, abs=0.005)
    assert words[0] == "Car" and words[1] == "0.00" and words[2] == "-1"
    h, w, length, x, y, z, ry = (float(v) for v in words[8:15])
    assert (h, w, length) == (1.5, 1.6, 4.0)
    assert (x, y, z) == pytest.approx((2.0, 1.5, 10.0), abs=1e-9)
    assert ry == pytest.approx(1.87 - math.pi / 2, abs=1e-9)
    assert float(words[3]) == pytest.approx(ry - math.atan2(2.0, 10.0), abs=1e-9)
    assert result.summary.counts["2D boxes projected from cuboids"] == 1
    assert (tmp_path / "out" / "calib" / "s.txt").is_file()
    assert (tmp_path / "out" / "velodyne" / "s.bin").stat().st_size == 32


def test_cuboid_partly_outside_the_image_reports_its_truncation(tmp_path: Path) -> None:
    cub = Cuboid(label="Car", position=(8.0, 5.0, -0.75), dimensions=(4.0, 1.6, 1.5), yaw=0.0)
    nc.write(nucleus_scene(HAND_CAMERA, [cub], tmp_path), tmp_path / "out", "kitti")
    words = (tmp_path / "out" / "label_2" / "s.txt").read_text().split()
    uv = project_to_image(
        cuboid_corners(cub.position, cub.dimensions, cub.yaw), calibration_from_camera(HAND_CAMERA)
    )
    full = (uv[:, 0].max() - uv[:, 0].min()) * (uv[:, 1].max() - uv[:, 1].min())
    lo = np.maximum(uv.min(axis=0), 0)
    hi = np.minimum(uv.max(axis=0), [1199, 359])
    assert uv[:, 0].min() < 0  # the premise: it sticks out on the left
    assert float(words[1]) == pytest.approx(1 - (hi - lo).prod() / full, abs=0.005)


def test_cuboid_behind_the_camera_is_dropped_and_reported(tmp_path: Path) -> None:
    cub = Cuboid(label="Car", position=(-10.0, 0.0, 0.0), dimensions=(4.0, 1.6, 1.5), yaw=0.0)
    result = nc.write(nucleus_scene(HAND_CAMERA, [cub], tmp_path), tmp_path / "out", "kitti")
    assert not (tmp_path / "out" / "label_2").exists()
    [entry] = [e for e in result.report if e.kind == "cuboid"]
    assert entry.count("dropped") == 1


def test_cuboids_without_any_calibration_are_dropped_and_reported(tmp_path: Path) -> None:
    cub = Cuboid(label="Car", position=(10.0, 0.0, 0.0), dimensions=(4.0, 1.6, 1.5), yaw=0.0)
    result = nc.write(nucleus_scene(None, [cub], tmp_path), tmp_path / "out", "kitti")
    [entry] = [e for e in result.report if e.kind == "cuboid"]
    assert entry.count("dropped") == 1
    assert not (tmp_path / "out" / "calib").exists()


def test_camera_facing_sideways_refuses_to_write_rotation_y(tmp_path: Path) -> None:
    sideways = CameraParams(
        position=(0.0, 0.0, 0.0), heading=(0.0, 0.0, 0.0, 1.0), fx=1, fy=1, cx=0, cy=0
    )
    cub = Cuboid(label="Car", position=(0.0, 0.0, 10.0), dimensions=(4.0, 1.6, 1.5), yaw=0.0)
    result = nc.write(nucleus_scene(sideways, [cub], tmp_path), tmp_path / "out", "kitti")
    [entry] = [e for e in result.report if e.kind == "cuboid"]
    assert entry.count("dropped") == 1
    assert "rotation_y" in entry.reasons["dropped"]


def test_edited_camera_wins_over_the_stored_calibration(tmp_path: Path) -> None:
    tree = make_tree(
        tmp_path / "k",
        {"f": "Car 0 0 0.5 100 120 200 220 1.5 1.6 4.0 2.0 1.5 10.0 0.3\n"},
        scans={"f": np.zeros((1, 4), np.float32)},
    )
    ds = items_by_ref(tree)
    for item in ds.items:
        if item.camera is not None:
            item.camera.fx = 800.0
    result = nc.write(ds.stream(), tmp_path / "out", "kitti")
    assert parse_calib(tmp_path / "out" / "calib" / "f.txt").P2[0, 0] == 800.0
    assert any(e.field == "metadata.kitti_calib" and e.count("changed") for e in result.report)


def test_coco_boxes_become_2d_only_lines_and_other_kinds_are_reported(tmp_path: Path) -> None:
    coco = ROOT / "fixtures" / "coco" / "instances_demo.json"
    result = nc.convert(
        coco, tmp_path / "out", from_="coco", to="kitti", write_options={"images": "none"}
    )
    lines = [
        ln
        for p in (tmp_path / "out" / "label_2").glob("*.txt")
        for ln in p.read_text().splitlines()
    ]
    assert lines
    assert all(ln.endswith(" -1 -1 -1 -1000 -1000 -1000 -10") for ln in lines)
    assert all(" " not in ln.split(" -1 ")[0].split()[0] for ln in lines)
    lossy = {e.kind for e in result.report.lossy_entries()}
    assert "polygon" in lossy or "instance_mask" in lossy


def test_labels_with_spaces_are_written_as_one_word_and_reported(tmp_path: Path) -> None:
    ds = Dataset.of(
        [Item("a", annotations=[Box(label="traffic light", x=1, y=2, width=3, height=4)])]
    )
    result = nc.write(ds, tmp_path / "out", "kitti")
    assert (
        (tmp_path / "out" / "label_2" / "a.txt")
        .read_text()
        .startswith("traffic_light -1 -1 -10 1.00 2.00 4.00 6.00")
    )
    assert any(e.field == "label" and e.count("changed") for e in result.report)


def test_track_ids_and_other_attributes_are_reported_as_dropped(tmp_path: Path) -> None:
    box = Box(label="Car", x=1, y=2, width=3, height=4, track_id="t1", attributes={"color": "red"})
    result = nc.write(Dataset.of([Item("a", annotations=[box])]), tmp_path / "out", "kitti")
    fields = {e.field for e in result.report if e.count("dropped")}
    assert {"track_id", "attributes.color"} <= fields
