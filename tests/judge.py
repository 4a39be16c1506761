"""The official scale-nucleus client as the judge of payload lines (shared by tests).

Each line must be accepted by the client's ``from_json`` and come back identical from its
``to_payload()``. Where the client and its documentation disagree, we follow the docs and the
code says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

nucleus = pytest.importorskip("nucleus", reason="scale-nucleus (the judge) is a test dependency")
from nucleus import prediction as nucleus_prediction  # noqa: E402
from nucleus.annotation import Annotation as NucleusAnnotation  # noqa: E402


def lines(path: Path) -> list[dict[str, Any]]:
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
    for payload in lines(bundle / "items.jsonl"):
        _judge_item(payload, in_scene=False)
        counts["items"] = counts.get("items", 0) + 1
    for payload in lines(bundle / "annotations.jsonl"):
        assert NucleusAnnotation.from_json(payload).to_payload() == payload
        counts[payload.get("type", "?")] = counts.get(payload.get("type", "?"), 0) + 1
    for payload in lines(bundle / "predictions.jsonl"):
        assert nucleus_prediction.from_json(payload).to_payload() == payload
        key = "pred " + payload.get("type", "?")
        counts[key] = counts.get(key, 0) + 1
    for payload in lines(bundle / "scene_annotations.jsonl"):
        assert nucleus.SceneCategoryAnnotation.from_json(payload).to_payload() == payload
        counts["scene category"] = counts.get("scene category", 0) + 1
    for payload in lines(bundle / "scene_predictions.jsonl"):
        assert nucleus.SceneCategoryPrediction.from_json(payload).to_payload() == payload
        counts["pred scene category"] = counts.get("pred scene category", 0) + 1
    for payload in lines(bundle / "scenes.jsonl"):
        scene = nucleus.LidarScene.from_json(payload)
        for frame_payload, frame in zip(payload["frames"], scene.get_frames(), strict=True):
            for sensor, item in frame.items.items():
                item.width = frame_payload[sensor].get("width")
                item.height = frame_payload[sensor].get("height")
        assert scene.to_payload() == payload
        counts["scenes"] = counts.get("scenes", 0) + 1
    return counts
