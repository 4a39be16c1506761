"""Real nuScenes records (``tests/data/nuscenes``, see its README: two calibrations, a log and
a scene of v1.0-trainval, and the ego pose of scene-0001's first LiDAR sweep as
mmdetection3d's test data copies it) read through the table parsers, then through the whole
reader in a one-sample dataroot built around them, with the camera and points checked against
numpy computed here from the published formulas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from paths import ROOT as PROJECT

import nucleus_convert as nc
from nucleus_convert.converters.nuscenes.tables import Tables, intrinsic, load_table, pose, text

DATA = PROJECT / "tests" / "data" / "nuscenes"
MMDET3D = json.loads((DATA / "mmdet3d_cam_front_e93e98b6.json").read_text())
LIDAR, CAMERA = "7a0cd258d096410eb68251b4b87febf5", "2e64b091b3b146a390c2606b9081343c"
LIDAR_NAME = "n015-2018-07-18-11-07-57+0800__LIDAR_TOP__1531883530449377"


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


@pytest.fixture
def tables() -> Tables:
    t = Tables(DATA)
    for name in ("calibrated_sensor", "log", "scene"):
        load_table(t, name)
    return t


def test_the_real_records_parse_and_agree_with_mmdetection3d(tables: Tables) -> None:
    cam = tables.index["calibrated_sensor"][CAMERA]
    k = intrinsic(tables, "calibrated_sensor", cam)
    assert k == MMDET3D["cam_intrinsic"]
    camera = pose(tables, "calibrated_sensor", cam)
    assert list(camera.rotation) == MMDET3D["cam2ego_rotation"]
    assert list(camera.translation) == MMDET3D["cam2ego_translation"]
    lidar = tables.index["calibrated_sensor"][LIDAR]
    assert intrinsic(tables, "calibrated_sensor", lidar) is None
    assert pose(tables, "calibrated_sensor", lidar).translation == (0.943713, 0.0, 1.84023)
    scene = tables.rows["scene"][0]
    assert text(tables, "scene", scene, "name") == "scene-0001"
    assert scene["first_sample_token"] == MMDET3D["token"]
    assert tables.index["log"][scene["log_token"]]["logfile"] == "n015-2018-07-18-11-07-57+0800"


def _dataroot(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A one-sample dataroot: the real records, the real ego pose for both sensors, a scene
    record cut to that one sample, sensors for the two calibrations, a small LiDAR file."""
    root = tmp_path / "root"
    tables = root / "v1.0-trainval"
    tables.mkdir(parents=True)
    shutil.copy(DATA / "calibrated_sensor.json", tables)
    shutil.copy(DATA / "log.json", tables)
    scene = json.loads((DATA / "scene.json").read_text())[0]
    sample = scene["first_sample_token"]
    scene.update(nbr_samples=1, last_sample_token=sample)  # cut: one of its 40 samples
    ego = {
        "token": "ego-lidar",
        "timestamp": 1531883530449377,
        "rotation": MMDET3D["ego2global_rotation"],
        "translation": MMDET3D["ego2global_translation"],
    }
    data = [
        {
            "token": "sd-lidar",
            "calibrated_sensor_token": LIDAR,
            "fileformat": "pcd",
            "width": 0,
            "height": 0,
            "filename": f"samples/LIDAR_TOP/{LIDAR_NAME}.pcd.bin",
        },
        {
            "token": "sd-cam",
            "calibrated_sensor_token": CAMERA,
            "fileformat": "jpg",
            "width": 1600,
            "height": 900,
            "filename": MMDET3D["file_name"],
        },
    ]
    for sd in data:
        sd.update(
            sample_token=sample,
            ego_pose_token="ego-lidar",
            timestamp=ego["timestamp"],
            is_key_frame=True,
            prev="",
            next="",
        )
    rows: dict[str, list[dict[str, Any]]] = {
        "scene": [scene],
        "sample": [
            {
                "token": sample,
                "timestamp": ego["timestamp"],
                "prev": "",
                "next": "",
                "scene_token": scene["token"],
            }
        ],
        "sample_data": data,
        "ego_pose": [ego],
        "sensor": [
            {
                "token": "dc8b396651c05aedbb9cdaae573bb567",
                "channel": "LIDAR_TOP",
                "modality": "lidar",
            },
            {
                "token": "725903f5b62f56118f4094b46a4470d8",
                "channel": "CAM_FRONT",
                "modality": "camera",
            },
        ],
        "sample_annotation": [],
        "instance": [],
        "category": [],
    }
    for name, value in rows.items():
        (tables / f"{name}.json").write_text(json.dumps(value))
    points = np.array([[10.0, 2.0, -1.8, 12.0, 3.0], [-4.5, 20.0, 0.3, 200.0, 17.0]], dtype="<f4")
    lidar = root / data[0]["filename"]
    lidar.parent.mkdir(parents=True)
    points.tofile(lidar)
    return root, points


def test_the_reader_places_the_real_camera_and_points_as_numpy_does(tmp_path: Path) -> None:
    root, raw = _dataroot(tmp_path)
    data = nc.read(root, "nuscenes").materialize()
    scene = data.scenes[0]
    assert scene.reference_id == "scene-0001" and scene.metadata["vehicle"] == "n015"
    items = {i.reference_id: i for i in data.items}
    cam = items["n015-2018-07-18-11-07-57+0800__CAM_FRONT__1531883530412470"].camera
    ego_r, ego_t = R(MMDET3D["ego2global_rotation"]), np.asarray(MMDET3D["ego2global_translation"])
    cam_r = ego_r @ R(MMDET3D["cam2ego_rotation"])
    assert np.allclose(cam.position, ego_r @ MMDET3D["cam2ego_translation"] + ego_t, atol=1e-12)
    x, y, z, w = cam.heading
    assert np.allclose(R([w, x, y, z]), cam_r, atol=1e-14)
    assert (cam.fx, cam.cx, cam.cy) == (1266.417203046554, 816.2670197447984, 491.50706579294757)
    # the camera looks forward: its optical axis is the vehicle's x axis, to a degree
    assert (cam_r[:, 2] @ ego_r[:, 0]) > np.cos(np.radians(1.0))
    lidar = items[LIDAR_NAME].media.points
    cs = json.loads((DATA / "calibrated_sensor.json").read_text())[0]
    expected = (raw[:, :3] @ R(cs["rotation"]).T + cs["translation"]) @ ego_r.T + ego_t
    assert np.abs(lidar[:, :3] - expected).max() < 1.5e-4  # float32 steps at 1 km
    assert lidar[:, 3].tolist() == [np.float32(12 / 255), np.float32(200 / 255)]
