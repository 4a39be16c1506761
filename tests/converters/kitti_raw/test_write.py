"""nucleus_convert/converters/kitti_raw/write.py (and write_tracks.py, write_calib.py): the
model into KITTI raw drives: the calibration copied exactly, tracks split at gaps, poses derived
from moved cuboids and kept exactly, other attributes reported or written as CVAT blocks, what
the format cannot carry counted, frame numbers kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kitti_raw_samples import DATE, DRIVE, DRIVE_NAME, _floats, cuboids, read, strip_lines

import nucleus_convert as nc
from nucleus_convert.converters.kitti_raw.tracklets import (
    Pose,
    Tracklet,
    format_tracklets,
    parse_tracklets,
)
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Cuboid
from nucleus_convert.roundtrip import compare


def test_kitti_raw_to_kitti_raw_copies_the_calibration_exactly(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = nc.write(nc.read(DATE, "kitti_raw"), out, "kitti_raw", images="copy")
    assert result.report.lossy_entries() == []
    for name in ("calib_cam_to_cam.txt", "calib_velo_to_cam.txt"):
        assert (out / DRIVE_NAME / name).read_text() == (DATE / name).read_text()
    assert compare(read(DATE), read(out), tolerance=0.0).lossy_entries() == []


def test_a_track_with_a_gap_is_split_into_tracklets_and_reported(tmp_path: Path) -> None:
    data = read(DATE)
    for item in data.items:
        for ann in item.annotations:
            if ann.track_id == f"{DRIVE_NAME}/2":
                ann.track_id = f"{DRIVE_NAME}/1"  # one pedestrian track, frames 0, 1, 3, 4
    out = tmp_path / "out"
    report = nc.write(data.stream(), out, "kitti_raw").report
    written = strip_lines(parse_tracklets(out / DRIVE_NAME / "tracklet_labels.xml"))
    assert written == strip_lines(parse_tracklets(DRIVE / "tracklet_labels.xml"))
    entry = report.entries[("cuboid", "track_id")]
    assert entry.count("approximated") == 4
    assert "split" in entry.reasons["approximated"]


def test_moved_cuboid_derives_tz_and_rz_from_its_geometry(tmp_path: Path) -> None:
    data = read(DATE)
    car = next(a for a in data.items[4].annotations if a.track_id == f"{DRIVE_NAME}/0")
    assert isinstance(car, Cuboid)
    car.position = (car.position[0], car.position[1], 0.5)
    car.yaw = 0.25
    out = tmp_path / "out"
    nc.write(data.stream(), out, "kitti_raw")
    pose = parse_tracklets(out / DRIVE_NAME / "tracklet_labels.xml")[0].poses[2]
    assert pose.values["tz"] == 0.5 - 1.5289999 / 2
    assert pose.values["rz"] == 0.25
    assert pose.values["ry"] == 0.0 and pose.values["state"] == 2  # the rest is kept


def test_other_attributes_are_reported_or_written_as_cvat_blocks(tmp_path: Path) -> None:
    data = read(DATE)
    car = data.items[0].annotations[0]
    car.attributes["colour"] = "red"
    car.attributes["parked"] = True
    dropped, kept = LossReport(), LossReport()
    nc.write(data.stream(), tmp_path / "plain", "kitti_raw", report=dropped)
    assert dropped.entries[("cuboid", "attributes")].count("dropped") == 2
    nc.write(data.stream(), tmp_path / "cvat", "kitti_raw", attributes="cvat", report=kept)
    assert [e for e in kept.lossy_entries() if e.kind == "cuboid"] == []
    again = cuboids(read(tmp_path / "cvat"))[f"{DRIVE_NAME}/0/0000000000"]
    assert again.attributes["colour"] == "red" and again.attributes["parked"] is True


def test_what_kitti_raw_cannot_carry_is_counted(tmp_path: Path) -> None:
    from nucleus_convert.testing.kitchen_sink import kitchen_sink_dataset

    sink = kitchen_sink_dataset(tmp_path / "media")
    report = nc.write(sink, tmp_path / "out", "kitti_raw").report
    lossy = {(e.kind, e.field) for e in report.lossy_entries()}
    assert ("box", "*") in lossy and ("scene_category", "*") in lossy
    assert ("item", "*") in lossy  # images outside the scene
    assert ("header", "categories") in lossy  # cat and dog have no tracklet
    assert ("cuboid", "id") in lossy and ("cuboid", "track_id") not in lossy
    assert ("scene", "frames") in lossy  # its sensor 'lidar' reads back as 'velodyne'
    assert ("item", "reference_id") in lossy  # 'sink_lidar' reads back by drive and frame


def test_frames_keep_their_numbers_when_a_drive_does_not_start_at_zero(tmp_path: Path) -> None:
    drive = tmp_path / "d"
    shutil.copytree(DRIVE, drive)
    scans = drive / "velodyne_points" / "data"
    for n in reversed(range(6)):
        (scans / f"{n:010d}.bin").rename(scans / f"{n + 10:010d}.bin")
        png = drive / "image_02" / "data" / f"{n:010d}.png"
        png.rename(png.with_name(f"{n + 10:010d}.png"))
    xml = drive / "tracklet_labels.xml"
    text = xml.read_text()
    for first in ("0", "3"):
        text = text.replace(
            f"<first_frame>{first}</first_frame>", f"<first_frame>1{first}</first_frame>"
        )
    xml.write_text(text)
    out = tmp_path / "out"
    nc.write(nc.read(drive, "kitti_raw"), out, "kitti_raw")
    assert sorted(p.name for p in (out / "d" / "velodyne_points" / "data").iterdir()) == [
        f"{n:010d}.bin" for n in range(10, 16)
    ]
    assert [t.first_frame for t in parse_tracklets(out / "d" / "tracklet_labels.xml")] == [
        10,
        10,
        13,
    ]


_coord = st.floats(min_value=-200, max_value=200, allow_nan=False)
_size = st.floats(min_value=-30, max_value=30, allow_nan=False)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tx=_coord, ty=_coord, tz=_coord, rz=st.floats(min_value=-20, max_value=20), h=_size,
    w=_size, length=_size, ry=_floats,
)  # fmt: skip
def test_any_pose_survives_the_model_exactly(
    tmp_path: Path, tx: float, ty: float, tz: float, rz: float, h: float, w: float,
    length: float, ry: float,
) -> None:  # fmt: skip
    """tracklet -> model cuboid -> tracklet gives back every number, whatever ``tz + h/2``
    rounds to and however many turns ``rz`` makes."""
    drive = tmp_path / "drive"
    if drive.exists():
        shutil.rmtree(drive)
    (drive / "velodyne_points" / "data").mkdir(parents=True)
    np.zeros((1, 4), "<f4").tofile(drive / "velodyne_points" / "data" / "0000000000.bin")
    values = {
        "tx": tx, "ty": ty, "tz": tz, "rx": 0.0, "ry": ry, "rz": rz, "state": 2,
        "occlusion": 1, "occlusion_kf": 0, "truncation": 0, "amt_occlusion": 0.5,
        "amt_occlusion_kf": 1, "amt_border_l": 0.25, "amt_border_r": 0.75, "amt_border_kf": 0,
    }  # fmt: skip
    original = [Tracklet("Van", h, w, length, 0, [Pose(dict(values))], finished=1)]
    (drive / "tracklet_labels.xml").write_bytes(format_tracklets(original))
    out = tmp_path / "out"
    if out.exists():
        shutil.rmtree(out)
    result = nc.write(nc.read(drive, "kitti_raw"), out, "kitti_raw")
    assert result.report.lossy_entries() == []
    assert strip_lines(parse_tracklets(out / "drive" / "tracklet_labels.xml")) == original
