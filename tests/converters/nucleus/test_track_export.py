"""Scene exports grouped by track (the client's ``scene_and_annotation_generator``) are read
(issue 17, part 4)."""

from __future__ import annotations

import inspect
from pathlib import Path

import orjson
import pytest
from judge import judge_bundle, lines, nucleus

import nucleus_convert as nc
from nucleus_convert.errors import InputError
from nucleus_convert.model import Box


def _frame(key: str, left: float, meta: dict[str, object] | None = None) -> dict[str, object]:
    return {
        "left": left,
        "top": 2,
        "width": 3,
        "height": 4,
        "key": key,
        "dataset_item_id": f"di_{key}",
        "metadata": meta or {},
    }


ROW = {
    "scene": {
        "id": "scene_1",
        "reference_id": "drive-1",
        "metadata": {"weather": "rain"},
        "type": "video",
        "fileLocation": "s3://b/drive-1.mp4",
    },
    "annotations": {
        "track-a": {
            "label": "car",
            "name": "car",
            "frames": [_frame("f0", 1, {"occluded": True}), _frame("f1", 5)],
        },
        "track-b": {"label": "person", "name": "walker 7", "frames": [_frame("f1", 9)]},
    },
}


def test_sample_follows_the_clients_documented_export_shape() -> None:
    doc = inspect.getdoc(nucleus.Dataset.scene_and_annotation_generator) or ""
    for key in ("fileLocation", '"{trackId}"', '"frames"', '"left"', '"key"'):
        assert key in doc


def _write(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def test_track_export_becomes_boxes_with_track_ids_on_frame_items(tmp_path: Path) -> None:
    data = nc.read(_write(tmp_path, [ROW]), "nucleus").materialize()
    (scene,) = data.scenes
    assert scene.reference_id == "drive-1" and scene.metadata == {"weather": "rain"}
    assert [f.sensors for f in scene.frames] == [{"image": "f0"}, {"image": "f1"}]
    by_ref = {i.reference_id: i.annotations for i in data.items}
    assert set(by_ref) == {"f0", "f1"}
    (a0,) = by_ref["f0"]
    assert isinstance(a0, Box) and (a0.x, a0.y, a0.width, a0.height) == (1, 2, 3, 4)
    assert (a0.label, a0.track_id, a0.attributes) == ("car", "track-a", {"occluded": True})
    tracks = sorted((a.track_id, a.label, a.extra.get("name")) for a in by_ref["f1"])
    assert tracks == [("track-a", "car", None), ("track-b", "person", "walker 7")]


def test_track_export_converts_to_an_annotation_bundle_the_client_accepts(
    tmp_path: Path,
) -> None:
    result = nc.convert(_write(tmp_path, [ROW]), tmp_path / "out", to="nucleus")
    judge_bundle(result.path)
    payloads = lines(result.path / "annotations.jsonl")
    assert sorted(p["track_reference_id"] for p in payloads) == ["track-a", "track-a", "track-b"]
    assert result.report.entries[("scene", "*")].count("dropped") == 1


def test_bad_track_frame_is_an_error_naming_line_and_field(tmp_path: Path) -> None:
    bad = {**ROW, "annotations": {"t": {"label": "car", "frames": [{"key": "f0", "left": "x"}]}}}
    with pytest.raises(InputError) as info:
        nc.read(_write(tmp_path, [ROW, bad]), "nucleus")
    assert info.value.line == 2 and info.value.field == "annotations.t.frames[0].left"
