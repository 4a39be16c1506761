"""nucleus_convert/converters/nuscenes/__init__.py: ``detect`` claims a folder of nuScenes
tables and a dataroot holding one, nothing else, and never raises."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.converters.nuscenes import detect
from nucleus_convert.plugins import get_registry

ROOT = FIXTURES / "nuscenes" / "v1.0-mini-like"


def test_the_dataroot_and_its_table_folder_are_detected_as_nuscenes_only() -> None:
    assert detect(ROOT) and detect(ROOT / "v1.0-mini")
    assert get_registry().detect(ROOT).name == "nuscenes"
    assert get_registry().detect(ROOT / "v1.0-mini").name == "nuscenes"


OTHERS = [
    FIXTURES / "coco" / "instances_demo.json",
    FIXTURES / "voc",
    FIXTURES / "voc" / "VOC2012",
    FIXTURES / "kitti" / "object",
    FIXTURES / "kitti_raw" / "2011_09_26",
    FIXTURES / "nucleus",
    FIXTURES / "nuscenes",
    ROOT / "samples" / "LIDAR_TOP",
    ROOT / "v1.0-mini" / "scene.json",
]


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_other_fixtures_and_parts_of_the_dataroot_are_not_nuscenes(path: Path) -> None:
    assert not detect(path)


def test_a_folder_missing_a_table_or_unreadable_is_not_detected(tmp_path: Path) -> None:
    tables = tmp_path / "v1.0-x"
    tables.mkdir()
    for name in (
        "scene",
        "sample",
        "sample_data",
        "sample_annotation",
        "instance",
        "category",
        "ego_pose",
        "calibrated_sensor",
    ):
        (tables / f"{name}.json").write_text("[]")
    assert not detect(tables) and not detect(tmp_path)
    (tables / "sensor.json").write_text("[]")
    assert detect(tables) and detect(tmp_path)
    assert not detect(tmp_path / "missing")


def test_written_output_is_detected(tmp_path: Path) -> None:
    out = tmp_path / "out"
    nc.convert(ROOT, out, to="nuscenes")
    assert get_registry().detect(out).name == "nuscenes"
