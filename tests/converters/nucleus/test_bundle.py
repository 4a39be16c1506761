"""Nucleus bundle -> model -> Nucleus bundle: identical, and every kind survives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.geometry.masks import read_index_png
from nucleus_convert.model import (
    Box,
    Keypoints,
    MaterializedDataset,
    PointCloudMedia,
    Polygon,
    Segmentation,
    Visibility,
)
from nucleus_convert.roundtrip import compare

FIXTURE = FIXTURES / "nucleus"
PAYLOAD_FILES = (
    "items.jsonl",
    "annotations.jsonl",
    "predictions.jsonl",
    "scenes.jsonl",
    "scene_annotations.jsonl",
    "scene_predictions.jsonl",
)


def test_fixture_bundle_rewrites_byte_identical_payload_files(tmp_path: Path) -> None:
    out = nc.convert(FIXTURE, tmp_path / "out", to="nucleus").path
    for name in PAYLOAD_FILES:
        assert (out / name).read_bytes() == (FIXTURE / name).read_bytes(), name
    assert sorted(p.name for p in (out / "masks").iterdir()) == sorted(
        p.name for p in (FIXTURE / "masks").iterdir()
    )
    for mask in (FIXTURE / "masks").iterdir():
        assert np.array_equal(read_index_png(mask), read_index_png(out / "masks" / mask.name))
    for cloud in (FIXTURE / "pointclouds").iterdir():
        a = nc.PointCloudMedia(path=str(cloud)).load()
        b = nc.PointCloudMedia(path=str(out / "pointclouds" / cloud.name)).load()
        assert a.dtype == np.float32 and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_fixture_manifest_header_survives_a_rewrite(tmp_path: Path) -> None:
    out = nc.convert(FIXTURE, tmp_path / "out", to="nucleus").path
    before = orjson.loads((FIXTURE / "manifest.json").read_bytes())
    after = orjson.loads((out / "manifest.json").read_bytes())
    for key in ("categories", "taxonomies", "skeletons", "header_extra", "source"):
        assert after[key] == before[key], key
    assert after["counts"]["annotations"] == sum(
        1 for line in (FIXTURE / "annotations.jsonl").read_bytes().splitlines() if line.strip()
    )


def test_every_kind_round_trips_through_a_bundle_without_loss(
    tmp_path: Path, every_kind: MaterializedDataset
) -> None:
    written = nc.write(every_kind.stream(), tmp_path / "b", "nucleus")
    back = nc.read(written.path).materialize()
    report = compare(every_kind, back)
    assert not report.has_loss(), report.format_table(only_loss=True)
    kinds = {e.kind for e in report if e.field == "*" and e.count("kept")}
    assert kinds >= {
        "box",
        "polygon",
        "polyline",
        "keypoints",
        "segmentation",
        "cuboid",
        "category",
        "multicategory",
        "scene_category",
        "item",
        "scene",
    }


def test_bundle_reader_restores_model_conventions(
    tmp_path: Path, every_kind: MaterializedDataset
) -> None:
    written = nc.write(every_kind.stream(), tmp_path / "b", "nucleus")
    items = {i.reference_id: i for i in nc.read(written.path).items}
    img = items["img-0"]
    polys = [a for a in img.annotations if isinstance(a, Polygon) and not a.prediction]
    assert [p.group_id for p in polys] == ["obj-7", "obj-7"]
    assert all("group_id" not in p.attributes for p in polys)
    kp = next(a for a in img.annotations if isinstance(a, Keypoints) and not a.prediction)
    assert [p.visibility for p in kp.points] == [
        Visibility.VISIBLE,
        Visibility.HIDDEN,
        Visibility.UNLABELLED,
    ]
    assert kp.points[2].x is None and kp.points[1].x == 3
    pred_box = next(a for a in img.annotations if isinstance(a, Box) and a.prediction)
    assert pred_box.score == 0.9 and pred_box.class_pdf == {"car": 0.9, "bus": 0.1}
    seg = next(a for a in img.annotations if isinstance(a, Segmentation) and not a.prediction)
    assert seg.mask.load().shape == (6, 8)
    lidar = items["lidar-0"]
    assert isinstance(lidar.media, PointCloudMedia)
    assert lidar.media.load().shape == (3, 4)
    assert items["cam-0"].camera is not None
    assert items["cam-0"].camera.distortion == {"k1": -0.1}


def test_bundle_files_and_manifest_layout(tmp_path: Path, every_kind: MaterializedDataset) -> None:
    result = nc.write(every_kind.stream(), tmp_path / "b", "nucleus")
    names = sorted(p.name for p in result.path.iterdir())
    assert names == sorted(
        [
            "items.jsonl",
            "annotations.jsonl",
            "predictions.jsonl",
            "scenes.jsonl",
            "scene_annotations.jsonl",
            "scene_predictions.jsonl",
            "masks",
            "pointclouds",
            "manifest.json",
        ]
    )
    manifest = orjson.loads((result.path / "manifest.json").read_bytes())
    assert manifest["counts"]["items"] == 2
    assert manifest["counts"]["scenes"] == 1
    assert manifest["metadata_schema"]["item"]["night"] == "number"
    assert manifest["metadata_schema"]["item"]["weather"] == "text"
    assert {r["kind"] for r in manifest["loss"] if r["not_uploadable"]} == {"multicategory"}
    assert manifest["categories"][2] == {"name": "unused", "source_id": 9, "supercategory": None}
    assert manifest["header_extra"] == {"info": {"year": 2026}}


def test_base_url_prefixes_masks_and_reads_back_locally(
    tmp_path: Path, every_kind: MaterializedDataset
) -> None:
    result = nc.write(every_kind.stream(), tmp_path / "b", "nucleus", base_url="s3://bucket/ds/")
    lines = [orjson.loads(x) for x in (result.path / "annotations.jsonl").read_bytes().splitlines()]
    urls = [x["mask_url"] for x in lines if x["type"] == "mask"]
    assert urls == ["s3://bucket/ds/masks/img-0.png"]
    back = nc.read(result.path).materialize()
    assert not compare(every_kind, back).has_loss()


def test_predictions_only_bundle_keeps_items_it_does_not_describe(tmp_path: Path) -> None:
    ds = nc.Dataset.of(
        [nc.Item("ref-9", annotations=[nc.Box(label="a", x=0, y=0, width=1, height=1, score=0.5)])]
    )
    result = nc.write(ds, tmp_path / "b", "nucleus")
    assert not (result.path / "items.jsonl").exists()
    assert result.summary.counts == {"annotation-only items": 1, "predictions": 1}
    back = list(nc.read(result.path).items)
    assert back[0].reference_id == "ref-9" and back[0].annotations[0].score == 0.5
