"""nucleus_convert/converters/nuscenes/write.py: the tables and files it writes follow the
published schema (every field of every table, links and counts consistent), keep the source's
tokens, derive the others deterministically, and read back as what was written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.converters.nuscenes.schema import derived_token
from nucleus_convert.model import (
    CameraParams,
    Cuboid,
    Dataset,
    Frame,
    ImageMedia,
    Item,
    PointCloudMedia,
    Scene,
)

SOURCE = FIXTURES / "nuscenes" / "v1.0-mini-like"
SCHEMA = {  # docs/schema_nuscenes.md of the nuScenes devkit (category's lidarseg index optional)
    "attribute": {"token", "name", "description"},
    "calibrated_sensor": {"token", "sensor_token", "translation", "rotation", "camera_intrinsic"},
    "category": {"token", "name", "description"},
    "ego_pose": {"token", "translation", "rotation", "timestamp"},
    "instance": {
        "token",
        "category_token",
        "nbr_annotations",
        "first_annotation_token",
        "last_annotation_token",
    },
    "log": {"token", "logfile", "vehicle", "date_captured", "location"},
    "map": {"token", "log_tokens", "category", "filename"},
    "sample": {"token", "timestamp", "scene_token", "next", "prev"},
    "sample_annotation": {
        "token",
        "sample_token",
        "instance_token",
        "attribute_tokens",
        "visibility_token",
        "translation",
        "size",
        "rotation",
        "num_lidar_pts",
        "num_radar_pts",
        "next",
        "prev",
    },
    "sample_data": {
        "token",
        "sample_token",
        "ego_pose_token",
        "calibrated_sensor_token",
        "filename",
        "fileformat",
        "width",
        "height",
        "timestamp",
        "is_key_frame",
        "next",
        "prev",
    },
    "scene": {
        "token",
        "name",
        "description",
        "log_token",
        "nbr_samples",
        "first_sample_token",
        "last_sample_token",
    },
    "sensor": {"token", "channel", "modality"},
    "visibility": {"token", "level", "description"},
}


def tables(root: Path, version: str) -> dict[str, list[dict[str, Any]]]:
    return {name: json.loads((root / version / f"{name}.json").read_text()) for name in SCHEMA}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nuscenes") / "out"
    nc.convert(SOURCE, out, to="nuscenes")
    return out


def test_every_table_is_written_with_exactly_the_schemas_fields(written: Path) -> None:
    out = tables(written, "v1.0-mini")
    for name, fields in SCHEMA.items():
        for rec in out[name]:
            assert set(rec) - {"index"} == fields, name
    assert out["map"] == []  # map masks are not carried


def test_tokens_of_the_source_are_kept(written: Path) -> None:
    src, out = tables(SOURCE, "v1.0-mini"), tables(written, "v1.0-mini")
    for name in (
        "scene",
        "sample",
        "sample_annotation",
        "instance",
        "category",
        "log",
        "visibility",
    ):
        assert {r["token"] for r in out[name]} == {r["token"] for r in src[name]}, name
    keyframes = {
        r["token"] for r in src["sample_data"] if r["is_key_frame"] and "RADAR" not in r["filename"]
    }
    assert {r["token"] for r in out["sample_data"]} == keyframes
    annotations = {r["token"]: r for r in src["sample_annotation"]}
    for rec in out["sample_annotation"]:
        source = annotations[rec["token"]]
        # every field, the links included; the upright rotation may differ in its last digit
        # or in sign (another (w, z) of the same yaw: the model keeps the yaw, w >= 0 written)
        assert {k: v for k, v in rec.items() if k != "rotation"} == {
            k: v for k, v in source.items() if k != "rotation"
        }
        assert rec["rotation"][1:3] == [0.0, 0.0]
        sign = 1.0 if source["rotation"][0] >= 0 else -1.0
        assert rec["rotation"] == pytest.approx([sign * v for v in source["rotation"]], abs=1e-15)


def test_links_and_counts_are_consistent(written: Path) -> None:
    out = tables(written, "v1.0-mini")
    index = {name: {r["token"]: r for r in rows} for name, rows in out.items()}
    for scene in out["scene"]:
        chain, token = [], scene["first_sample_token"]
        while token:
            chain.append(index["sample"][token])
            token = chain[-1]["next"]
        assert (
            len(chain) == scene["nbr_samples"] and chain[-1]["token"] == scene["last_sample_token"]
        )
        assert all(s["scene_token"] == scene["token"] for s in chain)
        assert index["log"][scene["log_token"]]
    for inst in out["instance"]:
        chain, token = [], inst["first_annotation_token"]
        while token:
            chain.append(index["sample_annotation"][token])
            token = chain[-1]["next"]
        assert (
            len(chain) == inst["nbr_annotations"]
            and chain[-1]["token"] == inst["last_annotation_token"]
        )
    for sd in out["sample_data"]:
        assert index["ego_pose"][sd["ego_pose_token"]] and index["sample"][sd["sample_token"]]
        cs = index["calibrated_sensor"][sd["calibrated_sensor_token"]]
        assert index["sensor"][cs["sensor_token"]]
        assert (written / sd["filename"]).is_file()


def test_lidar_files_are_five_float32_columns_with_the_source_intensities(written: Path) -> None:
    for path in (written / "samples" / "LIDAR_TOP").iterdir():
        rows = np.fromfile(path, dtype="<f4").reshape(-1, 5)
        source = np.fromfile(SOURCE / "samples" / "LIDAR_TOP" / path.name, dtype="<f4").reshape(
            -1, 5
        )
        assert rows.shape == source.shape
        assert np.array_equal(rows[:, 3], source[:, 3]) and not rows[:, 4].any()
        assert np.abs(rows[:, :3] - source[:, :3]).max() < 1e-4  # re-derived from world points


def test_images_are_copied_under_their_channel(written: Path) -> None:
    for path in (SOURCE / "samples" / "CAM_FRONT").iterdir():
        assert (written / "samples" / "CAM_FRONT" / path.name).read_bytes() == path.read_bytes()


def test_the_same_dataset_gives_the_same_bytes(written: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    nc.convert(SOURCE, again, to="nuscenes")
    for path in sorted(written.rglob("*")):
        if path.is_file():
            assert (again / path.relative_to(written)).read_bytes() == path.read_bytes(), path


def _foreign(tmp_path: Path) -> Dataset:
    image = tmp_path / "front.png"
    from PIL import Image

    Image.new("RGB", (32, 18)).save(image)
    points = np.array(
        [[5.0, 1.0, 0.5, 0.25], [5.5, 0.8, 0.9, 1.0], [20.0, 5.0, 0.0, 0.5]], dtype=np.float32
    )
    cam = CameraParams((1.5, 0.0, 1.6), (-0.5, 0.5, -0.5, 0.5), 30.0, 30.0, 16.0, 9.0)
    box = Cuboid(
        label="car",
        id="car-1",
        track_id="t1",
        position=(5.2, 1.0, 0.7),
        dimensions=(4.0, 1.8, 1.5),
        yaw=0.3,
    )
    items = [
        Item("lidar-0", media=PointCloudMedia(points=points), annotations=[box]),
        Item("cam/0", media=ImageMedia(str(image), 32, 18), camera=cam),
    ]
    return Dataset.of(
        items, scenes=[Scene("drive", [Frame({"lidar": "lidar-0", "front": "cam/0"})])]
    )


def test_a_dataset_without_nuscenes_metadata_gets_derived_tokens_and_identity_poses(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    report = nc.write(_foreign(tmp_path), out, "nuscenes").report
    t = tables(out, "v1.0-converted")
    scene = t["scene"][0]
    assert scene["name"] == "drive" and scene["token"] == derived_token("scene", "drive")
    assert t["log"][0]["logfile"] == "drive"
    assert {s["channel"]: s["modality"] for s in t["sensor"]} == {
        "lidar": "lidar",
        "front": "camera",
    }
    assert all(e["rotation"] == [1.0, 0.0, 0.0, 0.0] for e in t["ego_pose"])
    cam_cs = next(c for c in t["calibrated_sensor"] if c["camera_intrinsic"])
    assert cam_cs["translation"] == [1.5, 0.0, 1.6] and cam_cs["rotation"] == [0.5, -0.5, 0.5, -0.5]
    ann = t["sample_annotation"][0]
    assert ann["token"] == "car-1" and ann["size"] == [1.8, 4.0, 1.5]
    assert ann["num_lidar_pts"] == 2 and ann["num_radar_pts"] == 0  # counted in the cloud
    lidar_file, camera_file = (sd["filename"] for sd in t["sample_data"])
    assert lidar_file == "samples/lidar/lidar-0.pcd.bin"
    assert camera_file.startswith("samples/front/cam_0-") and camera_file.endswith(".png")
    back = nc.read(out, "nuscenes").materialize()
    cam = next(i for i in back.items if i.camera is not None).camera
    assert cam.position == (1.5, 0.0, 1.6) and cam.heading == (-0.5, 0.5, -0.5, 0.5)
    cuboid = next(a for i in back.items for a in i.annotations)
    assert (cuboid.position, cuboid.dimensions, cuboid.yaw) == (
        (5.2, 1.0, 0.7),
        (4.0, 1.8, 1.5),
        0.3,
    )
    assert ("item", "reference_id") in report.entries  # "cam/0" is not a file name


def test_writing_twice_gives_the_same_derived_tokens(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    nc.write(_foreign(tmp_path), first, "nuscenes")
    nc.write(_foreign(tmp_path), second, "nuscenes")
    for name in SCHEMA:
        path = Path("v1.0-converted") / f"{name}.json"
        assert (first / path).read_bytes() == (second / path).read_bytes()
