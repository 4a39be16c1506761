"""nucleus_convert/converters/kitti_raw/read.py: KITTI raw drives into the model, checked
against values worked out by hand from the files (the fixture's script documents them; the
corpus file is datumaro's asset) and against the devkit's corner formula and projection."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from kitti_raw_samples import DATE, DATUMARO, DRIVE, DRIVE_NAME, cuboids, needs_corpus, read

from nucleus_convert.converters.kitti_raw.tracklets import Pose, Tracklet, parse_tracklets
from nucleus_convert.geometry.kitti import (
    cuboid_corners,
    matrix_from_quaternion,
    parse_raw_calib,
    project_to_image,
)
from nucleus_convert.model import ImageMedia


def devkit_corners(t: Tracklet, pose: Pose) -> np.ndarray[Any, Any]:
    """``run_demoTracklets.m``: corners in the object frame, z from 0 to h, then Rz(rz) + t."""
    h, w, length = t.h, t.w, t.l
    x = [length / 2, length / 2, -length / 2, -length / 2] * 2
    y = [w / 2, -w / 2, -w / 2, w / 2] * 2
    z = [0.0] * 4 + [h] * 4
    rz = float(pose.values["rz"])
    r = np.array([[math.cos(rz), -math.sin(rz), 0], [math.sin(rz), math.cos(rz), 0], [0, 0, 1]])
    t_ = np.array([pose.values["tx"], pose.values["ty"], pose.values["tz"]], dtype=float)
    out: np.ndarray[Any, Any] = (r @ np.array([x, y, z])).T + t_
    return out


def test_fixture_reads_as_one_scene_of_six_frames_with_camera_two() -> None:
    data = read(DATE)
    assert [s.reference_id for s in data.scenes] == [DRIVE_NAME]
    frames = data.scenes[0].frames
    assert len(frames) == 6
    assert frames[5].sensors == {
        "velodyne": f"{DRIVE_NAME}/velodyne_points/0000000005",
        "image_02": f"{DRIVE_NAME}/image_02/0000000005",
    }
    refs = [i.reference_id for i in data.items]
    assert len(refs) == 12
    last = next(i for i in data.items if i.reference_id == frames[5].sensors["velodyne"])
    assert last.annotations == []  # frame 5 has no pose but is still a frame
    assert last.metadata == {"frame": 5}
    assert [c.name for c in data.header.categories] == ["Car", "Pedestrian"]


def test_fixture_car_pose_of_frame_two_by_hand() -> None:
    car = cuboids(read(DATE))[f"{DRIVE_NAME}/0/0000000002"]
    assert car.label == "Car" and car.track_id == f"{DRIVE_NAME}/0"
    # centre of the bottom face (12.25, -3.5, -1.75) raised by h/2 = 1.5289999 / 2
    assert car.position == (12.25, -3.5, -1.75 + 0.76449995)
    assert car.dimensions == (3.8824999, 1.6378, 1.5289999)
    # rz = -3.1842001424562025 is beyond -pi: yaw is one full turn more
    assert car.yaw == pytest.approx(-3.1842001424562025 + 2 * math.pi, abs=1e-15)
    assert -math.pi < car.yaw <= math.pi
    assert car.attributes == {
        "tz": -1.75,
        "rx": 0.0,
        "ry": 0.0,
        "rz": -3.1842001424562025,
        "state": 2,
        "occlusion": 0,
        "occlusion_kf": 1,
        "truncation": 0,
        "amt_occlusion": 0.0,
        "amt_occlusion_kf": -1,
        "amt_border_l": 0.0,
        "amt_border_r": 0.0,
        "amt_border_kf": -1,
        "finished": 1,
    }


def test_fixture_tracklets_become_tracks_and_frames_follow_first_frame() -> None:
    found = cuboids(read(DATE))
    by_track: dict[str, list[str]] = {}
    for ann_id, c in sorted(found.items()):
        assert c.track_id is not None
        by_track.setdefault(c.track_id, []).append(ann_id.rsplit("/", 1)[1])
    assert by_track == {
        f"{DRIVE_NAME}/0": [f"{n:010d}" for n in range(5)],
        f"{DRIVE_NAME}/1": ["0000000000", "0000000001"],
        f"{DRIVE_NAME}/2": ["0000000003", "0000000004"],  # the pedestrian after the gap
    }
    ped = found[f"{DRIVE_NAME}/2/0000000003"]
    assert ped.attributes["state"] == 1 and ped.attributes["tz"] == 0.3
    assert ped.position[2] == 0.3 + 1.7 / 2
    assert ped.position[2] - 1.7 / 2 != 0.3  # why the tz attribute is kept


def test_fixture_points_are_the_bin_files_floats() -> None:
    data = read(DATE)
    scan = data.items[0]
    assert scan.media is not None and hasattr(scan.media, "points")
    raw = np.fromfile(DRIVE / "velodyne_points" / "data" / "0000000000.bin", dtype="<f4")
    points = scan.media.points
    assert points is not None
    assert np.array_equal(points, raw.reshape(-1, 4))
    assert points[0].tolist() == [12.5, -3.25, -1.0, 0.5]


def test_fixture_camera_params_project_like_the_devkit_chain() -> None:
    """A pinhole with the camera item's parameters puts velodyne points on the same pixels as
    ``P_rect_02 · R_rect_00 · Tr_velo_to_cam`` (the devkit's projection)."""
    data = read(DATE)
    image = next(i for i in data.items if isinstance(i.media, ImageMedia))
    assert image.reference_id == f"{DRIVE_NAME}/image_02/0000000000"
    assert (image.media.width, image.media.height) == (1242, 375)  # type: ignore[union-attr]
    cam = image.camera
    assert cam is not None
    assert (cam.fx, cam.fy, cam.cx, cam.cy) == (721.5377, 721.5377, 609.5593, 172.854)
    calib = parse_raw_calib(DATE / "calib_cam_to_cam.txt", DATE / "calib_velo_to_cam.txt")
    points = np.array([[12.25, -3.5, -1.0], [6.0, 4.25, 0.5], [30.0, 2.0, 1.0]])
    r = matrix_from_quaternion(cam.heading)
    local = (points - np.array(cam.position)) @ r  # rows: R^T (p - c)
    pinhole = np.stack(
        [cam.fx * local[:, 0] / local[:, 2] + cam.cx, cam.fy * local[:, 1] / local[:, 2] + cam.cy],
        axis=1,
    )
    assert np.allclose(pinhole, project_to_image(points, calib, camera=2), atol=1e-3)
    # camera 2 sits about 27 cm ahead of the velodyne and 8 cm lower (KITTI's sensor setup)
    assert cam.position[0] == pytest.approx(0.27, abs=0.01)
    assert cam.position[2] == pytest.approx(-0.072, abs=0.01)


def test_cuboid_corners_equal_the_devkit_corner_formula() -> None:
    tracklets = parse_tracklets(DRIVE / "tracklet_labels.xml")
    found = cuboids(read(DATE))
    for k, t in enumerate(tracklets):
        for j, pose in enumerate(t.poses):
            c = found[f"{DRIVE_NAME}/{k}/{t.first_frame + j:010d}"]
            ours = cuboid_corners(c.position, c.dimensions, c.yaw)
            assert np.allclose(ours, devkit_corners(t, pose), rtol=0, atol=1e-12)


@needs_corpus
def test_datumaro_corpus_reads_with_its_odd_values_kept() -> None:
    data = read(DATUMARO)
    assert [s.reference_id for s in data.scenes] == ["kitti_raw"]
    frames = data.scenes[0].frames
    assert [sorted(f.sensors) for f in frames] == [["image_00", "velodyne"]] * 3
    images = [i for i in data.items if isinstance(i.media, ImageMedia)]
    assert len(images) == 3 and all(i.camera is None for i in images)  # no calibration
    found = cuboids(data)
    assert sorted(found) == [
        "kitti_raw/0/0000000000",
        "kitti_raw/1/0000000000",
        "kitti_raw/1/0000000001",
        "kitti_raw/2/0000000002",  # the third tracklet starts at frame 2
    ]
    car = found["kitti_raw/0/0000000000"]
    # h = -3.62, w = 7.95, l = -1.03: absolute sizes, centre tz + h/2 = 3 - 1.81
    assert car.dimensions == (1.03, 7.95, 3.62)
    assert car.position == (1.0, 2.0, 3.0 + -3.62 / 2)
    assert car.attributes["h"] == -3.62 and car.attributes["l"] == -1.03
    assert "w" not in car.attributes
    bus = found["kitti_raw/1/0000000001"]
    assert bus.label == "bus"
    assert bus.position == (0.0, 1.0, 23.01 / 2)
    assert bus.yaw == 3.0
    assert (bus.attributes["rx"], bus.attributes["ry"], bus.attributes["occlusion"]) == (
        1.0,
        1.0,
        1,
    )
    scan = next(i for i in data.items if i.reference_id == "kitti_raw/velodyne_points/0000000001")
    assert scan.media.points.shape == (200, 4)  # type: ignore[union-attr]


@needs_corpus
def test_negative_sizes_give_the_same_box_as_the_devkit() -> None:
    tracklets = parse_tracklets(DATUMARO / "tracklet_labels.xml")
    found = cuboids(read(DATUMARO))
    t = tracklets[0]
    c = found["kitti_raw/0/0000000000"]
    ours = cuboid_corners(c.position, c.dimensions, c.yaw)
    theirs = devkit_corners(t, t.poses[0])
    assert np.allclose(np.sort(ours, axis=0), np.sort(theirs, axis=0), atol=1e-12)
    assert {tuple(r) for r in np.round(ours, 9)} == {tuple(r) for r in np.round(theirs, 9)}
