"""``labelme`` detection: its own files and folders, nobody else's; cheap and never raising."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from paths import CORPUS, FIXTURES, ROOT

import nucleus_convert as nc
from nucleus_convert.converters.labelme import detect

REAL = ROOT / "tests" / "data" / "labelme"

OTHER_FORMATS = [
    ("coco", FIXTURES / "coco" / "instances_demo.json"),
    ("coco", FIXTURES / "coco" / "results_demo.json"),
    ("voc", FIXTURES / "voc" / "VOC2012"),
    ("kitti", FIXTURES / "kitti" / "object"),
    ("kitti_raw", FIXTURES / "kitti_raw" / "2011_09_26"),
    ("nucleus", FIXTURES / "nucleus"),
    ("pointcloud", FIXTURES / "kitti" / "object" / "training" / "velodyne"),
]


@pytest.mark.parametrize(
    "path",
    [
        FIXTURES / "labelme",
        FIXTURES / "labelme" / "street.json",
        FIXTURES / "labelme" / "indoor",
        FIXTURES / "labelme" / "empty image.json",
        REAL,
        REAL / "primitives-3.5.0" / "primitives.json",
        REAL / "instance-3.14.2" / "2011_000003.json",
    ],
    ids=lambda p: str(Path(p).relative_to(ROOT)),
)
def test_labelme_files_and_folders_are_detected_as_labelme_only(path: Path) -> None:
    assert nc.plugins.get_registry().detect(path).name == "labelme"


@pytest.mark.parametrize(
    ("fmt", "path"), OTHER_FORMATS, ids=[str(p.relative_to(ROOT)) for _, p in OTHER_FORMATS]
)
def test_other_formats_fixtures_are_not_labelme(fmt: str, path: Path) -> None:
    assert detect(path) is False
    assert nc.plugins.get_registry().detect(path).name == fmt


def test_no_file_or_folder_of_any_other_fixture_is_taken_for_labelme() -> None:
    others = [
        p
        for p in sorted(FIXTURES.rglob("*"))
        if "labelme" not in p.relative_to(FIXTURES).parts
        and (p.is_dir() or p.suffix.lower() == ".json")
    ]
    assert len(others) > 20
    assert [p for p in others if detect(p)] == []


def test_no_json_file_of_the_shared_corpus_is_taken_for_labelme() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    files = sorted(CORPUS.rglob("*.json"))
    assert files
    assert [f for f in files if detect(f)] == []


def test_a_large_file_is_told_by_its_last_bytes(tmp_path: Path) -> None:
    shape = {"label": "x", "points": [[float(i), float(i)] for i in range(2000)]}
    doc = {"version": "5.5.0", "flags": {}, "shapes": [shape], "imagePath": "a.jpg",
           "imageData": "A" * 50_000, "imageHeight": 4, "imageWidth": 4}  # fmt: skip
    path = tmp_path / "a.json"
    path.write_bytes(orjson.dumps(doc))
    assert b'"imagePath"' not in path.read_bytes()[:8192]
    assert detect(path) is True


@pytest.mark.parametrize(
    "text",
    [
        '{"shapes": []}',  # no image key
        '{"imagePath": "a.jpg"}',  # no shapes
        '[{"shapes": [], "imagePath": "a.jpg"}]',  # not an object
        '{"images": [], "annotations": [], "categories": []}',  # COCO
        '{"reference_id": "a", "type": "box", "geometry": {}}',  # a Nucleus payload
    ],
)
def test_json_that_is_not_labelme_is_not_detected(tmp_path: Path, text: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(text)
    assert detect(path) is False
    assert detect(tmp_path) is False


def test_detect_never_raises_and_never_blocks(tmp_path: Path) -> None:
    assert detect(tmp_path / "missing.json") is False
    assert detect(tmp_path) is False  # an empty folder
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # opening it would block until someone writes
    assert detect(fifo) is False
    assert detect(tmp_path) is False
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path, target_is_directory=True)
    assert detect(tmp_path) is False
    (tmp_path / "x.json").write_bytes(b"\xff\xfe garbage")
    assert detect(tmp_path / "x.json") is False


def test_a_folder_whose_first_file_sits_deep_is_detected(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "img.json").write_bytes((FIXTURES / "labelme" / "street.json").read_bytes())
    (tmp_path / "notes.txt").write_text("not labels")
    assert detect(tmp_path) is True


def test_a_labelme_file_with_a_flag_named_like_a_coco_key_is_labelme_only(tmp_path: Path) -> None:
    text = (FIXTURES / "labelme" / "street.json").read_text(encoding="utf-8")
    path = tmp_path / "street.json"
    path.write_text(text.replace('"night"', '"info"'), encoding="utf-8")
    assert detect(path) is True
    assert nc.plugins.get_registry().detect(path).name == "labelme"
