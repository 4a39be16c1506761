"""nucleus_convert/converters/kitti/read.py: KITTI object trees into the model, with hand
numbers on a calibration that is the bare axis permutation: label lines become a box on the
image item and a cuboid on the scan item of a scene (or both on the image item of a frame
without a scan), DontCare regions flagged or dropped, KITTI's own frames and the bundled
fixture read with their points."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from kitti_trees import FIXTURE, KITTI_OBJECT, NO_CORPUS, NO_CORPUS_REASON, items_by_ref, make_tree

import nucleus_convert as nc
from nucleus_convert.geometry.kitti import matrix_from_quaternion
from nucleus_convert.model import Box, Cuboid, PointCloudMedia


def test_label_line_becomes_box_and_cuboid_with_hand_numbers(tmp_path: Path) -> None:
    line = "Car 0.25 1 0.50 100.00 120.50 200.00 220.00 1.50 1.60 4.00 2.00 1.50 10.00 0.30\n"
    scan = np.array([[10.0, -2.0, -0.75, 0.5]], dtype=np.float32)
    tree = make_tree(tmp_path / "k", {"000007": line}, scans={"000007": scan})
    ds = items_by_ref(tree)
    items = {it.reference_id: it for it in ds.items}
    assert set(items) == {"000007/velodyne", "000007/image_2"}
    [box] = items["000007/image_2"].annotations
    assert isinstance(box, Box)
    assert (box.label, box.x, box.y, box.width, box.height) == ("Car", 100.0, 120.5, 100.0, 99.5)
    assert box.attributes == {"truncated": 0.25, "occluded": 1, "alpha": 0.5}
    assert type(box.attributes["occluded"]) is int
    [cub] = items["000007/velodyne"].annotations
    assert isinstance(cub, Cuboid)
    # centre_rect = (2, 1.5 - 1.5/2, 10); velodyne = (z, -x, -y) = (10, -2, -0.75)
    assert cub.position == pytest.approx((10.0, -2.0, -0.75), abs=1e-12)
    assert cub.dimensions == (4.0, 1.6, 1.5)
    assert cub.yaw == pytest.approx(-0.3 - math.pi / 2, abs=1e-12)
    assert cub.id == box.id == "000007:1"
    [scene] = ds.scenes
    assert scene.reference_id == "000007"
    assert scene.frames[0].sensors == {"velodyne": "000007/velodyne", "image_2": "000007/image_2"}
    cam = items["000007/image_2"].camera
    assert cam is not None
    assert (cam.fx, cam.fy, cam.cx, cam.cy) == (700.0, 700.0, 600.0, 180.0)
    assert cam.position == pytest.approx((0.0, 0.0, 0.0), abs=1e-12)
    # camera +z (forward) is velodyne +x, camera +x (right) is velodyne -y
    r = matrix_from_quaternion(cam.heading)
    assert r @ np.array([0, 0, 1.0]) == pytest.approx([1.0, 0.0, 0.0], abs=1e-12)
    assert r @ np.array([1.0, 0, 0]) == pytest.approx([0.0, -1.0, 0.0], abs=1e-12)
    points = items["000007/velodyne"].media
    assert isinstance(points, PointCloudMedia) and points.points is not None
    assert points.points.tolist() == scan.tolist()


def test_frame_without_scan_is_one_image_item_holding_boxes_and_cuboids(tmp_path: Path) -> None:
    line = "Van 0.00 0 -1.00 10 20 30 40 2.00 1.80 4.50 1.00 1.70 20.00 -1.57\n"
    ds = items_by_ref(make_tree(tmp_path / "k", {"a": line}))
    [item] = ds.items
    assert item.reference_id == "a"
    assert [a.kind for a in item.annotations] == ["box", "cuboid"]
    assert ds.scenes == []


def test_cuboids_of_a_frame_without_scan_are_reported_not_uploadable_to_nucleus(
    tmp_path: Path,
) -> None:
    line = "Van 0.00 0 -1.00 10 20 30 40 2.00 1.80 4.50 1.00 1.70 20.00 -1.57\n"
    tree = make_tree(tmp_path / "k", {"a": line})
    result = nc.convert(tree, tmp_path / "bundle", from_="kitti", to="nucleus")
    [entry] = [e for e in result.report if e.kind == "cuboid"]
    assert entry.count("not_uploadable") == 1
    assert "point clouds" in entry.reasons["not_uploadable"]


def test_dontcare_is_a_flagged_box_by_default_and_dropped_on_request(tmp_path: Path) -> None:
    text = (
        "Car 0.00 0 0.10 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n"
        "DontCare -1 -1 -10 500.5 170 590.25 190 -1 -1 -1 -1000 -1000 -1000 -10\n"
    )
    tree = make_tree(tmp_path / "k", {"f": text}, calib=None)
    [item] = items_by_ref(tree).items
    dc = item.annotations[1]
    assert isinstance(dc, Box)
    assert (dc.label, dc.attributes, dc.x, dc.width) == (
        "DontCare",
        {"dontcare": True},
        500.5,
        89.75,
    )
    dropped = nc.read(tree, "kitti", dontcare="drop")
    [item] = list(dropped.items)
    assert [a.label for a in item.annotations] == ["Car"]
    [entry] = [e for e in dropped.losses if e.kind == "box"]
    assert entry.count("dropped") == 1 and entry.field == "*"
    assert "DontCare" in entry.reasons["dropped"]


@pytest.mark.skipif(NO_CORPUS, reason=NO_CORPUS_REASON)
def test_corpus_frames_read_with_their_dontcare_regions() -> None:
    ds = items_by_ref(KITTI_OBJECT)
    items = {it.reference_id: it for it in ds.items}
    assert sorted(items) == [
        "training/000000/image_2",
        "training/000000/velodyne",
        "training/000001/image_2",
        "training/000001/velodyne",
    ]
    boxes = items["training/000001/image_2"].annotations
    assert [b.label for b in boxes] == ["Truck", "Car", "Cyclist", *["DontCare"] * 4]
    assert [a.label for a in items["training/000001/velodyne"].annotations] == [
        "Truck",
        "Car",
        "Cyclist",
    ]
    ped = items["training/000000/image_2"].annotations[0]
    assert isinstance(ped, Box)
    assert (ped.x, ped.y) == (712.40, 143.00)
    assert ped.x + ped.width == pytest.approx(810.73, abs=1e-9)
    scan = items["training/000000/velodyne"].media
    assert isinstance(scan, PointCloudMedia) and scan.points is not None
    raw = np.fromfile(KITTI_OBJECT / "training" / "velodyne" / "000000.bin", "<f4").reshape(-1, 4)
    assert np.array_equal(scan.points, raw)


def test_fixture_scan_points_lie_in_their_cuboids(tmp_path: Path) -> None:
    ds = items_by_ref(FIXTURE / "training")
    for item in ds.items:
        if not isinstance(item.media, PointCloudMedia):
            continue
        assert item.media.points is not None
        pts = item.media.points[:, :3].astype(np.float64)
        for cub in item.annotations:
            assert isinstance(cub, Cuboid)
            c, s = math.cos(cub.yaw), math.sin(cub.yaw)
            local = (pts - np.array(cub.position)) @ np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
            inside = (np.abs(local) <= np.array(cub.dimensions) / 2 + 0.02).all(axis=1)
            assert inside.sum() >= 280, f"{item.reference_id} {cub.label}: {inside.sum()} points"
