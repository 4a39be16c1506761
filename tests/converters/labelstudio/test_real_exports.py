"""Real Label Studio exports (from Label Studio's own converter's test data; see
``tests/data/labelstudio/README.md``) read as they are, and written back to the same model."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
import pytest
from paths import ROOT

import nucleus_convert as nc
from nucleus_convert.model import Box, ImageMedia, MaterializedDataset, Polygon
from nucleus_convert.roundtrip import compare, roundtrip

DATA = ROOT / "tests" / "data" / "labelstudio"
OBB = DATA / "converter_yolo_data_obb.json"
CSV = DATA / "converter_csv_test.json"
REPEATER = DATA / "converter_json_min_data_repeater.json"


def _obb_corners(result: dict[str, Any]) -> list[tuple[float, float]]:
    """label_studio_converter's own OBB corners (utils.convert_annotation_to_yolo_obb), in
    pixels."""
    v, w_img, h_img = result["value"], result["original_width"], result["original_height"]
    x, y = v["x"] / 100 * w_img, v["y"] / 100 * h_img
    w, h = v["width"] / 100 * w_img, v["height"] / 100 * h_img
    r = math.radians(v["rotation"])
    cos, sin = math.cos(r), math.sin(r)
    return [(x, y), (x + w * cos, y + w * sin), (x + w * cos - h * sin, y + w * sin + h * cos),
            (x - h * sin, y + h * cos)]  # fmt: skip


def test_rotated_rectangles_are_the_polygons_label_studio_s_converter_computes() -> None:
    source = orjson.loads(OBB.read_bytes())
    dataset = nc.read(OBB).materialize()
    assert [i.reference_id for i in dataset.items] == ["image1", "image2", "image3"]
    sizes = [
        (i.media.width, i.media.height) for i in dataset.items if isinstance(i.media, ImageMedia)
    ]
    assert sizes == [(597, 768), (433, 768), (716, 768)]
    results = [r for task in source for a in task["annotations"] for r in a["result"]]
    polygons = [a for item in dataset.items for a in item.annotations]
    assert len(polygons) == len(results) == 25
    for result, polygon in zip(results, polygons, strict=True):
        assert isinstance(polygon, Polygon) and polygon.id == result["id"]
        got = [c for p in polygon.points for c in p]
        assert got == pytest.approx([c for p in _obb_corners(result) for c in p], abs=1e-9)
        rect = {k: result["value"][k] for k in ("x", "y", "width", "height", "rotation")}
        assert polygon.attributes["ls_rectangle"] == rect
    assert [c.name for c in dataset.header.categories] == ["Butterfly", "butterfly"]


def test_rotated_rectangles_are_written_back_with_their_very_values(tmp_path: Path) -> None:
    nc.convert(OBB, tmp_path / "out.json", to="labelstudio")
    written = orjson.loads((tmp_path / "out.json").read_bytes())
    source = orjson.loads(OBB.read_bytes())
    for task_in, task_out in zip(source, written, strict=True):
        before = task_in["annotations"][0]["result"]
        after = task_out["annotations"][0]["result"]
        assert [r["value"] for r in after] == [r["value"] for r in before]
        assert [r["id"] for r in after] == [r["id"] for r in before]
        assert task_out["annotations"][0]["lead_time"] == task_in["annotations"][0]["lead_time"]


def test_predictions_scores_and_annotators_of_a_real_export() -> None:
    dataset = nc.read(CSV).materialize()
    first, second = dataset.items
    assert isinstance(first.media, ImageMedia) and first.media.path.endswith("0030019819f25b28.jpg")
    assert (first.media.width, first.media.height) == (768, 576)
    assert first.metadata["text"].startswith("Calif. wildfires")
    assert "audio" in first.metadata
    truth, predicted = first.annotations
    assert isinstance(truth, Box) and not truth.prediction
    assert truth.attributes["ls_score"] == pytest.approx(0.23053804129850775)
    assert truth.attributes["ls_origin"] == "prediction-changed"
    # the prediction's result has no original_width/height: the task's size places it
    assert isinstance(predicted, Box) and predicted.prediction
    assert predicted.x == pytest.approx(3.63 * 768 / 100)
    assert predicted.score == pytest.approx(0.23053804129850775)
    assert predicted.id == "oid3~2" and predicted.attributes["ls_id"] == "oid3"
    (annotation,) = first.metadata["ls_annotations"]
    assert annotation["completed_by"]["email"] == "hakan@heartex.com"
    assert annotation["reviews"][0]["accepted"] is False
    assert first.metadata["ls_predictions"][0]["model_version"] == "model 0"
    assert len(second.annotations) == 3


def test_a_per_region_taxonomy_stays_with_its_rectangle() -> None:
    (item,) = nc.read(REPEATER).items
    assert item.media is None  # a Repeater task lists its pages: no single image
    assert item.reference_id == "86"
    (box,) = item.annotations
    assert isinstance(box, Box) and box.label == "Document Title"
    assert box.attributes["ls_to_name"] == "page_0"
    (taxonomy,) = box.attributes["ls_region_results"]
    assert taxonomy["type"] == "taxonomy" and taxonomy["value"]["taxonomy"] == [["Archaea"]]


@pytest.mark.parametrize("path", [OBB, CSV], ids=lambda p: p.name)
def test_a_real_export_written_and_read_again_is_the_same_model(tmp_path: Path, path: Path) -> None:
    original: MaterializedDataset = nc.read(path).materialize()
    report = nc.write(original.stream(), tmp_path / "out.json", "labelstudio").report
    assert not report.has_loss()
    again = nc.read(tmp_path / "out.json").materialize()
    assert not compare(original, again, tolerance=0).has_loss()


@pytest.mark.parametrize("path", [OBB, CSV], ids=lambda p: p.name)
def test_a_real_export_round_trips_through_nucleus(path: Path) -> None:
    result = roundtrip(path, "nucleus")
    assert result.ok, [(e.kind, e.field) for e in result.unexpected]
