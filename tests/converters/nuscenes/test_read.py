"""nucleus_convert/converters/nuscenes/read.py on the hand-made dataroot
``fixtures/nuscenes/v1.0-mini-like``: scenes, frames, items and their metadata, cuboids and
cameras, in the world, ego and sensor frames.

Expected geometry is computed here from the raw JSON tables with rotation matrices built from
the published formulas (quaternion ``[w, x, y, z]`` -> matrix; ``size`` = w, l, h; a box's yaw
is the heading of its rotated x axis), never through the reader's own pose code."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.model import Cuboid, ImageMedia, MaterializedDataset, PointCloudMedia

ROOT = FIXTURES / "nuscenes" / "v1.0-mini-like"
TABLES = ROOT / "v1.0-mini"


def table(name: str) -> dict[str, dict[str, Any]]:
    return {r["token"]: r for r in json.loads((TABLES / f"{name}.json").read_text())}


def R(q: list[float]) -> np.ndarray:
    """The rotation matrix of a unit quaternion ``[w, x, y, z]`` (the textbook formula)."""
    w, x, y, z = np.asarray(q) / np.linalg.norm(q)
    return np.array(
        [
            [w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z],
        ]
    )


def read(frame: str = "world") -> MaterializedDataset:
    return nc.read(ROOT, "nuscenes", frame=frame).materialize()


def by_ref(data: MaterializedDataset) -> dict[str, Any]:
    return {item.reference_id: item for item in data.items}


def lidar_of(sample_token: str) -> dict[str, Any]:
    return next(
        sd
        for sd in table("sample_data").values()
        if sd["sample_token"] == sample_token and sd["is_key_frame"] and "LIDAR" in sd["filename"]
    )


def test_scenes_frames_and_items_follow_the_tables() -> None:
    data = read()
    assert [s.reference_id for s in data.scenes] == ["scene-0001", "scene-0002"]
    first, second = data.scenes
    assert len(first.frames) == 3 and len(second.frames) == 2
    assert set(first.frames[0].sensors) == {"LIDAR_TOP", "CAM_FRONT", "CAM_BACK"}
    assert set(second.frames[0].sensors) == {"LIDAR_TOP", "CAM_FRONT"}  # radar: not read
    items = by_ref(data)
    assert len(items) == 13 == data.length
    ref = first.frames[0].sensors["LIDAR_TOP"]
    assert ref == "n900-2024-03-11-10-02-13+0800__LIDAR_TOP__1710122533647951"
    assert isinstance(items[ref].media, PointCloudMedia) and items[ref].media.path is None
    cam = items[first.frames[0].sensors["CAM_FRONT"]]
    assert isinstance(cam.media, ImageMedia)
    assert (cam.media.width, cam.media.height) == (64, 36)
    assert Path(cam.media.path) == ROOT / "samples" / "CAM_FRONT" / f"{cam.reference_id}.jpg"
    scene_rec = next(s for s in table("scene").values() if s["name"] == "scene-0001")
    log = table("log")[scene_rec["log_token"]]
    assert first.metadata == {
        "token": scene_rec["token"],
        "description": scene_rec["description"],
        "frame": "world",
        "log_token": log["token"],
        **{k: log[k] for k in ("logfile", "vehicle", "date_captured", "location")},
    }


def test_item_metadata_keeps_tokens_timestamps_and_the_pose_records() -> None:
    items = by_ref(read())
    sd = lidar_of(next(iter(table("sample").values()))["token"])
    md = items[Path(sd["filename"]).name.removesuffix(".pcd.bin")].metadata
    ego = table("ego_pose")[sd["ego_pose_token"]]
    cs = table("calibrated_sensor")[sd["calibrated_sensor_token"]]
    assert md["token"] == sd["token"] and md["sample_token"] == sd["sample_token"]
    assert md["timestamp"] == sd["timestamp"] and "sample_timestamp" not in md
    assert md["ego_pose"] == ego
    assert md["calibrated_sensor"] == cs
    assert (md["intensity_source"], md["intensity_scale"]) == ("intensity", 255)


def test_points_are_the_file_moved_into_the_global_frame() -> None:
    items = by_ref(read())
    sd = lidar_of(next(iter(table("sample").values()))["token"])
    ego = table("ego_pose")[sd["ego_pose_token"]]
    cs = table("calibrated_sensor")[sd["calibrated_sensor_token"]]
    raw = np.fromfile(ROOT / sd["filename"], dtype="<f4").reshape(-1, 5)
    expected = (raw[:, :3] @ R(cs["rotation"]).T + cs["translation"]) @ R(ego["rotation"]).T
    expected += ego["translation"]
    points = items[Path(sd["filename"]).name.removesuffix(".pcd.bin")].media.points
    assert np.abs(points[:, :3] - expected).max() < 1.5e-4  # float32 at 1.2 km
    assert np.array_equal(points[:, 3], (raw[:, 3].astype(np.float64) / 255).astype(np.float32))


def test_cuboids_are_the_global_boxes_with_tracks_labels_and_attributes() -> None:
    items = by_ref(read())
    anns = table("sample_annotation")
    visibility = {v["token"]: v["level"] for v in table("visibility").values()}
    attributes = {a["token"]: a["name"] for a in table("attribute").values()}
    cuboids = {c.id: c for i in items.values() for c in i.annotations if isinstance(c, Cuboid)}
    assert set(cuboids) == set(anns)
    for token, ann in anns.items():
        c = cuboids[token]
        instance = table("instance")[ann["instance_token"]]
        assert c.label == table("category")[instance["category_token"]]["name"]
        assert c.track_id == ann["instance_token"]
        assert c.position == tuple(ann["translation"])
        w, length, h = ann["size"]
        assert c.dimensions == (length, w, h)
        x_axis = R(ann["rotation"]) @ [1.0, 0.0, 0.0]
        assert c.yaw == pytest.approx(math.atan2(x_axis[1], x_axis[0]), abs=1e-15)
        expected = {"num_lidar_pts": ann["num_lidar_pts"], "num_radar_pts": ann["num_radar_pts"]}
        if ann["visibility_token"]:
            expected["visibility"] = visibility[ann["visibility_token"]]
        if ann["attribute_tokens"]:
            expected["attribute_names"] = [attributes[t] for t in ann["attribute_tokens"]]
        assert c.attributes == expected
    car = [c for c in cuboids.values() if c.label == "vehicle.car"]
    assert len(car) == 3 and len({c.track_id for c in car}) == 1  # one instance, 3 keyframes


def test_cuboids_sit_on_the_reference_lidar_item_of_their_sample() -> None:
    data = read()
    items = by_ref(data)
    for scene in data.scenes:
        for frame in scene.frames:
            lidar = items[frame.sensors["LIDAR_TOP"]]
            for sensor, ref in frame.sensors.items():
                if sensor != "LIDAR_TOP":
                    assert not items[ref].annotations
            assert all(c.kind == "cuboid" for c in lidar.annotations)
    assert sum(len(i.annotations) for i in items.values()) == len(table("sample_annotation"))


def test_cameras_are_the_calibration_composed_with_their_own_ego_pose() -> None:
    items = by_ref(read())
    for sd in table("sample_data").values():
        if not sd["filename"].endswith(".jpg"):
            continue
        cam = items[Path(sd["filename"]).stem].camera
        ego = table("ego_pose")[sd["ego_pose_token"]]
        cs = table("calibrated_sensor")[sd["calibrated_sensor_token"]]
        k = cs["camera_intrinsic"]
        assert (cam.fx, cam.fy, cam.cx, cam.cy) == (k[0][0], k[1][1], k[0][2], k[1][2])
        rot = R(ego["rotation"]) @ R(cs["rotation"])
        centre = R(ego["rotation"]) @ cs["translation"] + ego["translation"]
        assert np.allclose(cam.position, centre, atol=1e-12)
        x, y, z, w = cam.heading
        assert w >= 0 and np.allclose(R([w, x, y, z]), rot, atol=1e-14)


def test_the_car_ahead_is_in_front_of_cam_front_and_behind_cam_back() -> None:
    """Cameras look along their own +z: the car 9 m ahead of the ego vehicle projects into
    CAM_FRONT's image (positive depth, inside 64 x 36) and is behind CAM_BACK."""
    data = read()
    items = by_ref(data)
    frame = data.scenes[0].frames[0]
    car = next(c for c in items[frame.sensors["LIDAR_TOP"]].annotations if c.label == "vehicle.car")
    for sensor, ahead in (("CAM_FRONT", True), ("CAM_BACK", False)):
        cam = items[frame.sensors[sensor]].camera
        x, y, z, w = cam.heading
        c = R([w, x, y, z]).T @ (np.asarray(car.position) - cam.position)
        assert bool(c[2] > 0) == ahead
        if ahead:
            u, v = cam.fx * c[0] / c[2] + cam.cx, cam.fy * c[1] / c[2] + cam.cy
            assert 0 <= u < cam.cx and 0 <= v < 36  # 2.5 m to the left: left of centre


@pytest.mark.parametrize("frame", ["ego", "sensor"])
def test_ego_and_sensor_frames_move_boxes_points_and_cameras_by_hand(frame: str) -> None:
    items = by_ref(read(frame))
    sample = next(iter(table("sample").values()))
    sd = lidar_of(sample["token"])
    ego = table("ego_pose")[sd["ego_pose_token"]]
    cs = table("calibrated_sensor")[sd["calibrated_sensor_token"]]
    rot = R(ego["rotation"]) if frame == "ego" else R(ego["rotation"]) @ R(cs["rotation"])
    origin = np.asarray(ego["translation"], dtype=np.float64)
    if frame == "sensor":
        origin = R(ego["rotation"]) @ cs["translation"] + origin
    lidar = items[Path(sd["filename"]).name.removesuffix(".pcd.bin")]
    for c in lidar.annotations:
        ann = table("sample_annotation")[c.id]
        assert np.allclose(c.position, rot.T @ (np.asarray(ann["translation"]) - origin), atol=1e-9)
        x_axis = rot.T @ R(ann["rotation"]) @ [1.0, 0.0, 0.0]
        assert c.yaw == pytest.approx(math.atan2(x_axis[1], x_axis[0]), abs=1e-12)
    raw = np.fromfile(ROOT / sd["filename"], dtype="<f4").reshape(-1, 5)
    if frame == "sensor":  # the reference LiDAR's points are the file's, bit for bit
        assert np.array_equal(lidar.media.points[:, :3], raw[:, :3])
    else:
        expected = raw[:, :3].astype(np.float64) @ R(cs["rotation"]).T + cs["translation"]
        assert np.abs(lidar.media.points[:, :3] - expected).max() < 5e-6
    cam_sd = next(
        s
        for s in table("sample_data").values()
        if s["sample_token"] == sample["token"] and "CAM_FRONT" in s["filename"]
    )
    cam_ego, cam_cs = (
        table("ego_pose")[cam_sd["ego_pose_token"]],
        table("calibrated_sensor")[cam_sd["calibrated_sensor_token"]],
    )
    world = R(cam_ego["rotation"]) @ cam_cs["translation"] + cam_ego["translation"]
    cam = items[Path(cam_sd["filename"]).stem].camera
    assert np.allclose(cam.position, rot.T @ (world - origin), atol=1e-9)


def test_tilt_in_ego_and_sensor_frames_is_counted_and_world_boxes_are_exact() -> None:
    world = nc.read(ROOT, "nuscenes").losses
    assert ("cuboid", "yaw") not in world.entries
    ego = nc.read(ROOT, "nuscenes", frame="ego").losses.entries[("cuboid", "yaw")]
    assert ego.counts == {"approximated": 9} and "roll and pitch in the ego frame" in ego.reason()


def test_sweeps_radar_and_map_records_are_counted_as_not_read() -> None:
    entry = nc.read(ROOT, "nuscenes").losses.entries[("record", "*")]
    assert entry.counts == {"dropped": 4}
    assert "1 sweeps, 2 radar sample_data, 1 map records" in entry.reason()


def test_header_has_every_category_with_its_token_and_the_definition_tables() -> None:
    header = read().header
    categories = list(table("category").values())
    assert [(c.name, c.source_id) for c in header.categories] == [
        (c["name"], c["token"]) for c in categories
    ]
    assert header.categories[0].attributes == {
        "description": categories[0]["description"],
        "index": categories[0]["index"],
    }
    extra = header.extra["nuscenes"]
    assert extra["version"] == "v1.0-mini"
    assert [a["name"] for a in extra["attribute"]] == [
        a["name"] for a in table("attribute").values()
    ]
    assert [v["level"] for v in extra["visibility"]] == ["v0-40", "v40-60", "v60-80", "v80-100"]


@pytest.mark.parametrize("src", [ROOT, TABLES, TABLES / "scene.json"])
def test_the_dataroot_the_table_folder_and_a_table_file_read_alike(src: Path) -> None:
    data = nc.read(src, "nuscenes").materialize()
    assert [s.reference_id for s in data.scenes] == ["scene-0001", "scene-0002"]


def test_partitions_give_the_stream_in_order() -> None:
    dataset = nc.read(ROOT, "nuscenes")
    assert dataset.partition is not None
    parts = [i.reference_id for k in range(3) for i in dataset.partition(k, 3)]
    assert parts == [i.reference_id for i in dataset.items]
