"""Reading Label Studio exports: what each result, annotation, prediction and task becomes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.converters.labelstudio.brush import encode_mask
from nucleus_convert.geometry.rle import decode
from nucleus_convert.model import (
    Annotation,
    Box,
    ImageCategory,
    InstanceMask,
    Item,
    Keypoints,
    MaterializedDataset,
    MultiCategory,
    Polygon,
    Visibility,
)

TASKS = FIXTURES / "labelstudio" / "tasks.json"
TASKS_MIN = FIXTURES / "labelstudio" / "tasks_min.json"


@pytest.fixture(scope="module")
def fixture() -> MaterializedDataset:
    return nc.read(TASKS).materialize()


def _item(dataset: MaterializedDataset, ref: str) -> Item:
    return next(item for item in dataset.items if item.reference_id == ref)


def _by_id(item: Item, ann_id: str) -> Annotation:
    return next(a for a in item.annotations if a.id == ann_id)


def _write(tmp_path: Path, tasks: Any, name: str = "tasks.json") -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(tasks))
    return path


def _task(*results: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "id": 7,
        "data": {"image": "/data/upload/1/a.png"},
        "annotations": [{"id": 1, "result": list(results)}],
        **more,
    }


def _rect(rid: str = "r", **value: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "type": "rectanglelabels",
        "from_name": "label",
        "to_name": "image",
        "original_width": 200,
        "original_height": 100,
        "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rectanglelabels": ["car"], **value},
    }


def test_every_task_is_an_item_named_by_its_image_file(fixture: MaterializedDataset) -> None:
    assert [i.reference_id for i in fixture.items] == [
        "red square.png",
        "5b1c0e7d-blue.png",
        "green.png",
        "old photo.jpg",
        "frame 0005.png",
    ]
    assert not _item(fixture, "green.png").annotations  # an empty task is an item too
    assert nc.read(TASKS).length == 5


def test_percentages_become_pixels_of_the_results_original_size(
    fixture: MaterializedDataset,
) -> None:
    item = _item(fixture, "red square.png")
    box = _by_id(item, "r1")
    assert isinstance(box, Box)
    assert (box.x, box.y, box.width, box.height) == (8.0, 12.0, 16.0, 12.0)
    assert isinstance(item.media, nc.ImageMedia)
    assert (item.media.width, item.media.height) == (64, 48)
    old = _item(fixture, "old photo.jpg").annotations[0]
    assert isinstance(old, Box) and (old.x, old.y, old.width, old.height) == (101.5, 5.5, 25, 10)


def test_a_rotated_rectangle_is_the_polygon_of_its_corners_with_the_source_values_kept(
    fixture: MaterializedDataset,
) -> None:
    rotated = _by_id(_item(fixture, "red square.png"), "r2")
    assert isinstance(rotated, Polygon)
    r = math.radians(30)
    x, y, w, h = 32.0, 24.0, 12.8, 6.0
    expected = [
        (x, y),
        (x + w * math.cos(r), y + w * math.sin(r)),
        (x + w * math.cos(r) - h * math.sin(r), y + w * math.sin(r) + h * math.cos(r)),
        (x - h * math.sin(r), y + h * math.cos(r)),
    ]
    flat = [c for point in rotated.points for c in point]
    assert flat == pytest.approx([c for point in expected for c in point])
    assert rotated.attributes["ls_rectangle"] == {
        "x": 50.0,
        "y": 50.0,
        "width": 20.0,
        "height": 12.5,
        "rotation": 30.0,
    }
    assert rotated.label == "car" and rotated.attributes["ls_labels"] == ["car", "red"]


def test_polygons_keypoints_and_brushes(fixture: MaterializedDataset) -> None:
    item = _item(fixture, "red square.png")
    polygon = _by_id(item, "p1")
    assert isinstance(polygon, Polygon) and polygon.label == "road"
    assert polygon.points == [(0.0, 48.0), (32.0, 36.0), (64.0, 48.0), (48.0, 42.0)]
    assert "ls_value" not in polygon.attributes  # "closed": true is the writer's default
    wheel = _by_id(item, "k1")
    assert isinstance(wheel, Keypoints)
    assert wheel.names == ["wheel"] and wheel.label == "wheel"
    assert [(p.x, p.y, p.visibility) for p in wheel.points] == [(16.0, 18.0, Visibility.VISIBLE)]
    assert wheel.attributes["ls_value"] == {"width": 0.75}
    sky = _by_id(item, "b1")
    assert isinstance(sky, InstanceMask) and sky.label == "sky"
    mask = decode(sky.rle)
    assert mask.shape == (48, 64)
    assert mask[:10].all() and mask[10:14, 20:40].all() and mask.sum() == 10 * 64 + 4 * 20


def test_choices_are_image_categories_under_the_from_name(fixture: MaterializedDataset) -> None:
    item = _item(fixture, "red square.png")
    truth = [a for a in item.annotations if not a.prediction]
    weather = next(a for a in truth if isinstance(a, ImageCategory))
    assert (weather.label, weather.taxonomy, weather.id) == ("sunny", "weather", None)
    assert weather.attributes["ls_id"] == "c1"
    tags = next(a for a in truth if isinstance(a, MultiCategory))
    assert (tags.labels, tags.taxonomy) == (["outdoor", "daytime"], "tags")
    header = fixture.header
    assert header.taxonomies["weather"].labels == ["sunny", "rainy"]
    assert header.taxonomies["tags"].type == "multicategory"
    assert [c.name for c in header.categories][:6] == [
        "car",
        "road",
        "wheel",
        "headlight",
        "sky",
        "sunny",
    ]
    assert header.skeletons["wheel"].names == ["wheel"]


def test_predictions_are_scored_by_the_result_else_by_the_prediction(
    fixture: MaterializedDataset,
) -> None:
    item = _item(fixture, "red square.png")
    predicted = [a for a in item.annotations if a.prediction]
    assert [(a.kind, a.score) for a in predicted] == [("box", 0.9), ("category", 0.8)]
    assert all(not a.prediction for a in item.annotations[:8])
    unscored = _item(fixture, "frame 0005.png").annotations[0]
    assert unscored.prediction and unscored.score is None


def test_parent_id_makes_a_group_and_a_per_region_result_stays_with_its_region(
    fixture: MaterializedDataset,
) -> None:
    item = _item(fixture, "red square.png")
    assert _by_id(item, "k2").group_id == "r1" and _by_id(item, "r1").group_id == "r1"
    assert _by_id(item, "k1").group_id is None
    assert _by_id(item, "r1").attributes["ls_region_results"] == [
        {
            "value": {"text": ["AB-123"]},
            "from_name": "transcription",
            "to_name": "image",
            "type": "textarea",
            "origin": "manual",
        }
    ]


def test_data_keys_are_metadata_and_the_task_is_kept_for_the_way_back(
    fixture: MaterializedDataset,
) -> None:
    md = _item(fixture, "red square.png").metadata
    assert md["caption"] == "a red square" and md["camera"] == 2
    assert md["ls_task_id"] == 1
    assert md["ls_task"]["meta"] == {"batch": "march"}
    assert md["ls_task"]["file_upload"] == "red square.png"
    (annotation,) = md["ls_annotations"]
    assert annotation["ground_truth"] is True and annotation["lead_time"] == 95.25
    assert "result" not in annotation
    assert md["ls_predictions"][0]["model_version"] == "detector-v2"
    frame = _item(fixture, "frame 0005.png")
    assert frame.metadata["ls_image_key"] == "img" and frame.metadata["frame"] == 5


def test_two_annotators_and_a_cancelled_annotation(fixture: MaterializedDataset) -> None:
    item = _item(fixture, "5b1c0e7d-blue.png")
    boxes = [a for a in item.annotations if isinstance(a, Box)]
    assert [b.id for b in boxes] == ["d1", "d1~2"]  # the copied region keeps its id in ls_id
    assert boxes[1].attributes == {"ls_annotation": 1, "ls_id": "d1"}
    assert boxes[1].width == pytest.approx(22.0)
    cancelled = item.metadata["ls_annotations"][2]
    assert cancelled["was_cancelled"] is True and cancelled["completed_by"] == 3


def test_very_old_completions_are_read_as_annotations(fixture: MaterializedDataset) -> None:
    item = _item(fixture, "old photo.jpg")
    (box,) = item.annotations
    assert box.id == "Dx_aB91ISN" and box.attributes == {"ls_extra": {"source": "$image"}}
    assert item.metadata["ls_annotations"] == [{"id": "1001", "lead_time": 15.053}]


def test_results_with_no_place_in_the_model_are_counted() -> None:
    dataset = nc.read(TASKS)
    list(dataset.items)
    rows = {(e.kind, e.field): e for e in dataset.losses}
    assert rows[("record", "*")].count("dropped") == 1
    assert "relation" in rows[("record", "*")].reason()


def test_results_of_a_cancelled_annotation_are_left_out_and_counted(tmp_path: Path) -> None:
    task = _task(_rect())
    task["annotations"][0]["was_cancelled"] = True
    dataset = nc.read(_write(tmp_path, [task]), "labelstudio")
    (item,) = list(dataset.items)
    assert not item.annotations
    assert dataset.losses.entries[("box", "*")].count("dropped") == 1


def test_a_result_without_any_image_size_is_left_out_and_counted(tmp_path: Path) -> None:
    rect = _rect()
    del rect["original_width"], rect["original_height"]
    choice = {"id": "c", "type": "choices", "from_name": "q", "value": {"choices": ["yes"]}}
    dataset = nc.read(_write(tmp_path, [_task(rect, choice)]), "labelstudio")
    (item,) = list(dataset.items)
    assert [a.kind for a in item.annotations] == ["category"]
    assert "no image size" in dataset.losses.entries[("box", "*")].reason()


def test_a_missing_size_is_taken_from_another_result_or_the_local_image(tmp_path: Path) -> None:
    sized, unsized = _rect("a"), _rect("b")
    del unsized["original_width"], unsized["original_height"]
    (item,) = list(nc.read(_write(tmp_path, [_task(unsized, sized)]), "labelstudio").items)
    assert [a.width for a in item.annotations if isinstance(a, Box)] == [60.0, 60.0]
    local = {**_task(unsized), "data": {"image": "/data/local-files/?d=images/red%20square.png"}}
    path = _write(tmp_path, [local], "local.json")
    root = str(FIXTURES / "labelstudio")
    (item,) = list(nc.read(path, "labelstudio", image_root=root).items)
    assert isinstance(item.media, nc.ImageMedia)
    assert item.media.path == str(FIXTURES / "labelstudio" / "images" / "red square.png")
    assert (item.media.width, item.media.height) == (64, 48)
    box = item.annotations[0]
    assert isinstance(box, Box) and box.width == 30 * 64 / 100


def test_image_root_resolves_label_studio_paths_and_leaves_urls(tmp_path: Path) -> None:
    tasks = [
        {"id": 1, "data": {"image": "/data/upload/2/5b1c0e7d-blue.png"}},
        {"id": 2, "data": {"image": "s3://bucket/x.png"}},
        {"id": 3, "data": {"image": "pics/y.png"}},
    ]
    root = tmp_path / "media"
    items = list(nc.read(_write(tmp_path, tasks), "labelstudio", image_root=str(root)).items)
    paths = [i.media.path for i in items if isinstance(i.media, nc.ImageMedia)]
    assert paths == [
        str(root / "upload/2/5b1c0e7d-blue.png"),
        "s3://bucket/x.png",
        str(root / "pics/y.png"),
    ]


def test_reference_ids_by_task_id_and_from_the_task_meta(tmp_path: Path) -> None:
    tasks = [
        {"id": 1, "data": {"image": "a/x.png"}},
        {"id": 2, "data": {"image": "b/x.png"}},
        {"id": 3, "data": {"image": "c/z.png"}, "meta": {"item_reference_id": "mine"}},
        {"data": {"text": "no image, no id"}},
    ]
    path = _write(tmp_path, tasks)
    with pytest.raises(nc.InputError, match="reference_id=task"):
        nc.read(path, "labelstudio")
    items = list(nc.read(path, "labelstudio", reference_id="task").items)
    assert [i.reference_id for i in items] == ["1", "2", "mine", "task-3"]
    assert items[3].media is None and items[3].metadata == {"text": "no image, no id"}
    assert "meta" not in items[2].metadata.get("ls_task", {})


def test_unlabelled_tools_take_the_label_of_their_labels_sibling(tmp_path: Path) -> None:
    rect = _rect("u", rotation=0)
    rect["type"] = "rectangle"
    del rect["value"]["rectanglelabels"]
    labels = {**_rect("u"), "type": "labels", "value": {**rect["value"], "labels": ["bus"]}}
    (item,) = list(nc.read(_write(tmp_path, [_task(labels, rect)]), "labelstudio").items)
    (box,) = item.annotations
    assert box.label == "bus" and box.attributes["ls_type"] == "labels"
    assert box.attributes["ls_region_results"][0]["type"] == "rectangle"


def test_brush_masks_decode_at_their_own_size(tmp_path: Path) -> None:
    mask = np.zeros((30, 20), dtype=bool)
    mask[3:9, 4:7] = True
    brush = {
        "id": "m",
        "type": "brushlabels",
        "from_name": "tag",
        "original_width": 20,
        "original_height": 30,
        "value": {"format": "rle", "rle": encode_mask(mask), "brushlabels": ["cell"]},
    }
    (item,) = list(nc.read(_write(tmp_path, [_task(brush)]), "labelstudio").items)
    (ann,) = item.annotations
    assert isinstance(ann, InstanceMask) and np.array_equal(decode(ann.rle), mask)
    assert ann.attributes == {"ls_from_name": "tag"}


def test_json_min_records_become_tasks(fixture: MaterializedDataset) -> None:
    dataset = nc.read(TASKS_MIN).materialize()
    assert dataset.header.source["flavor"] == "json-min"
    first, empty = dataset.items
    assert first.reference_id == "red square.png" and not empty.annotations
    kinds = [a.kind for a in first.annotations]
    assert kinds == [
        "box",
        "polygon",
        "polygon",
        "keypoints",
        "keypoints",
        "instance_mask",
        "multicategory",
    ]
    # the single choice is a bare string: data, unless the reader option names it
    assert first.metadata["weather"] == "sunny"
    named = nc.read(TASKS_MIN, choices="weather").materialize()
    assert [a.label for a in named.items[0].annotations if isinstance(a, ImageCategory)] == [
        "sunny"
    ]
    json_box = _by_id(_item(fixture, "red square.png"), "r1")
    min_box = first.annotations[0]
    assert isinstance(min_box, Box) and isinstance(json_box, Box)
    assert (min_box.x, min_box.y, min_box.width, min_box.height) == (
        json_box.x,
        json_box.y,
        json_box.width,
        json_box.height,
    )
    assert first.metadata["ls_annotations"][0]["completed_by"] == 1


def test_one_task_object_is_read_too(tmp_path: Path) -> None:
    path = _write(tmp_path, _task(_rect()), "one.json")
    (item,) = list(nc.read(path).items)
    assert item.reference_id == "a.png" and len(item.annotations) == 1
