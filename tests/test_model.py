"""The model's stream contract: ``Dataset.length`` is how many items the stream gives, for
every built-in reader that states it (the progress bar's total)."""

from __future__ import annotations

from pathlib import Path

import pytest

import nucleus_convert as nc

ROOT = Path(__file__).resolve().parent.parent / "fixtures"

STATED = [
    ("coco", ROOT / "coco" / "instances_demo.json"),
    ("voc", ROOT / "voc"),
    ("kitti", ROOT / "kitti" / "object"),
    ("kitti_raw", ROOT / "kitti_raw" / "2011_09_26"),
    ("pointcloud", ROOT / "kitti" / "object" / "training" / "velodyne"),
    ("labelme", ROOT / "labelme"),
    ("cvat", ROOT / "cvat" / "images_task.xml"),
    ("cvat", ROOT / "cvat" / "video_task.xml"),
    ("labelstudio", ROOT / "labelstudio" / "tasks.json"),
    ("nuscenes", ROOT / "nuscenes" / "v1.0-mini-like"),
]


@pytest.mark.parametrize(("fmt", "src"), STATED, ids=[f for f, _ in STATED])
def test_length_is_the_number_of_items_the_reader_streams(fmt: str, src: Path) -> None:
    dataset = nc.read(src, fmt)
    assert dataset.length is not None
    assert dataset.length == sum(1 for _ in dataset.items) > 0


def test_length_is_unknown_for_a_nucleus_bundle_and_known_once_materialized() -> None:
    # A bundle's items include annotation-only references found while streaming.
    dataset = nc.read(ROOT / "nucleus", "nucleus")
    assert dataset.length is None
    held = dataset.materialize()
    assert held.stream().length == len(held.items) == 10


def test_length_follows_a_url_read(tmp_path: Path) -> None:
    pytest.importorskip("fsspec")
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/length/instances.json", (ROOT / "coco" / "instances_demo.json").read_bytes())
    dataset = nc.read("memory://length/instances.json", "coco")
    assert dataset.length == sum(1 for _ in dataset.items) == 6
