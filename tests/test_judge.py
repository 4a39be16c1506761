"""The official scale-nucleus client judges every payload line we write.

Each line must be accepted by the client's ``from_json`` and come back identical from its
``to_payload()``. Where the client and its documentation disagree, we follow the docs and the
test says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

import nucleus_convert as nc
from nucleus_convert.model import MaterializedDataset

nucleus = pytest.importorskip("nucleus", reason="scale-nucleus (the judge) is a test dependency")
from nucleus import prediction as nucleus_prediction  # noqa: E402
from nucleus.annotation import Annotation as NucleusAnnotation  # noqa: E402

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "nucleus"


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _judge_item(payload: dict[str, Any], *, in_scene: bool) -> None:
    item = nucleus.DatasetItem.from_json(payload)
    # The DatasetItem docs list width and height (required in privacy mode), but the client's
    # from_json does not read them back; we follow the docs, so restore them before comparing.
    item.width = payload.get("width")
    item.height = payload.get("height")
    assert item.to_payload(is_scene=in_scene) == payload


def judge_bundle(bundle: Path) -> dict[str, int]:
    """Assert every line of every payload file round-trips through the client; count them."""
    counts: dict[str, int] = {}
    for payload in _lines(bundle / "items.jsonl"):
        _judge_item(payload, in_scene=False)
        counts["items"] = counts.get("items", 0) + 1
    for payload in _lines(bundle / "annotations.jsonl"):
        assert NucleusAnnotation.from_json(payload).to_payload() == payload
        counts[payload.get("type", "?")] = counts.get(payload.get("type", "?"), 0) + 1
    for payload in _lines(bundle / "predictions.jsonl"):
        assert nucleus_prediction.from_json(payload).to_payload() == payload
        key = "pred " + payload.get("type", "?")
        counts[key] = counts.get(key, 0) + 1
    for payload in _lines(bundle / "scene_annotations.jsonl"):
        assert nucleus.SceneCategoryAnnotation.from_json(payload).to_payload() == payload
        counts["scene category"] = counts.get("scene category", 0) + 1
    for payload in _lines(bundle / "scene_predictions.jsonl"):
        assert nucleus.SceneCategoryPrediction.from_json(payload).to_payload() == payload
        counts["pred scene category"] = counts.get("pred scene category", 0) + 1
    for payload in _lines(bundle / "scenes.jsonl"):
        scene = nucleus.LidarScene.from_json(payload)
        for frame_payload, frame in zip(payload["frames"], scene.get_frames(), strict=True):
            for sensor, item in frame.items.items():
                item.width = frame_payload[sensor].get("width")
                item.height = frame_payload[sensor].get("height")
        assert scene.to_payload() == payload
        counts["scenes"] = counts.get("scenes", 0) + 1
    return counts


EVERY_PAYLOAD_KIND = {
    "items",
    "box",
    "polygon",
    "line",
    "keypoints",
    "cuboid",
    "category",
    "multicategory",
    "mask",
    "pred box",
    "pred polygon",
    "pred line",
    "pred keypoints",
    "pred cuboid",
    "pred category",
    "pred mask",
    "scene category",
    "pred scene category",
    "scenes",
}


def test_every_payload_kind_written_is_accepted_and_reproduced_by_the_official_client(
    tmp_path: Path, every_kind: MaterializedDataset
) -> None:
    result = nc.write(every_kind.stream(), tmp_path / "bundle", "nucleus")
    counts = judge_bundle(result.path)
    assert set(counts) == EVERY_PAYLOAD_KIND


def test_fixture_bundle_lines_are_all_accepted_by_the_official_client() -> None:
    counts = judge_bundle(FIXTURE)
    assert set(counts) == EVERY_PAYLOAD_KIND


def test_rewritten_fixture_bundle_is_accepted_by_the_official_client(tmp_path: Path) -> None:
    result = nc.convert(FIXTURE, tmp_path / "again", to="nucleus")
    assert set(judge_bundle(result.path)) == EVERY_PAYLOAD_KIND


def test_client_loads_masks_and_pointclouds_we_point_to(
    tmp_path: Path, every_kind: MaterializedDataset
) -> None:
    result = nc.write(every_kind.stream(), tmp_path / "bundle", "nucleus")
    masks = [p for p in _lines(result.path / "annotations.jsonl") if p["type"] == "mask"]
    assert masks and all((result.path / m["mask_url"]).is_file() for m in masks)
    scene = _lines(result.path / "scenes.jsonl")[0]
    cloud_url = scene["frames"][0]["lidar"]["url"]
    cloud = orjson.loads((result.path / cloud_url).read_bytes())
    points = [nucleus.LidarPoint.from_json(p) for p in cloud["points"]]
    assert len(points) == 3
