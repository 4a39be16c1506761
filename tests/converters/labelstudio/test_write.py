"""Writing Label Studio exports: the inverse of reading, and every loss counted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.geometry.rle import encode
from nucleus_convert.loss import LOSSY_STATUSES, LossReport
from nucleus_convert.model import (
    Box,
    Dataset,
    ImageCategory,
    ImageMedia,
    InstanceMask,
    Item,
    Keypoint,
    Keypoints,
    MultiCategory,
    Polygon,
    Visibility,
)
from nucleus_convert.roundtrip import compare
from nucleus_convert.testing import kitchen_sink_dataset

TASKS = FIXTURES / "labelstudio" / "tasks.json"
TASKS_MIN = FIXTURES / "labelstudio" / "tasks_min.json"


def _lossy(report: LossReport) -> set[tuple[str, str]]:
    return {(e.kind, e.field) for e in report if any(e.count(s) for s in LOSSY_STATUSES)}


def _written(tmp_path: Path, dataset: Dataset, **options: Any) -> tuple[list[Any], LossReport]:
    out = tmp_path / "out.json"
    report = nc.write(dataset, out, "labelstudio", **options).report
    return orjson.loads(out.read_bytes()), report


def _results(task: dict[str, Any], index: int = 0) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in task["annotations"][index]["result"] if "id" in r}


def _image_item(*annotations: Any, ref: str = "a.png", width: int = 200) -> Item:
    return Item(ref, media=ImageMedia(ref, width, 100), annotations=list(annotations))


def test_a_label_studio_export_comes_back_as_the_same_model(tmp_path: Path) -> None:
    original = nc.read(TASKS).materialize()
    tasks, report = _written(tmp_path, original.stream())
    assert _lossy(report) == {("record", "*")}  # the relation, counted by the reader
    again = nc.read(tmp_path / "out.json").materialize()
    assert not compare(original, again, tolerance=0).has_loss()
    assert len(tasks) == 5


def test_the_written_export_keeps_what_label_studio_wrote(tmp_path: Path) -> None:
    tasks, _ = _written(tmp_path, nc.read(TASKS))
    source = orjson.loads(TASKS.read_bytes())
    first = tasks[0]
    results = _results(first)
    assert results["r2"]["value"] == source[0]["annotations"][0]["result"][1]["value"]
    assert results["b1"]["value"]["rle"] == source[0]["annotations"][0]["result"][6]["value"]["rle"]
    assert results["k2"]["parentID"] == "r1" and "parentID" not in results["r1"]
    textarea = [r for r in first["annotations"][0]["result"] if r["type"] == "textarea"]
    assert textarea[0]["id"] == "r1" and textarea[0]["value"] == {"text": ["AB-123"]}
    assert first["annotations"][0]["lead_time"] == 95.25
    assert first["predictions"][0]["model_version"] == "detector-v2"
    assert first["meta"] == {"batch": "march"} and first["file_upload"] == "red square.png"
    assert first["data"] == source[0]["data"]
    second = tasks[1]
    assert [a["id"] for a in second["annotations"]] == [21, 22, 23]
    assert second["annotations"][1]["result"][0]["id"] == "d1"  # ls_id back, not "d1~2"
    assert second["annotations"][2] == {**source[1]["annotations"][2]}
    assert tasks[3]["annotations"][0]["id"] == "1001"
    assert tasks[4]["data"] == {"img": "gs://example-bucket/frames/frame 0005.png", "frame": 5}


def test_json_min_is_written_as_label_studio_writes_it(tmp_path: Path) -> None:
    records, report = _written(tmp_path, nc.read(TASKS_MIN, choices="weather"), flavor="json-min")
    assert records == orjson.loads(TASKS_MIN.read_bytes())
    assert not _lossy(report)


def test_json_min_counts_what_it_cannot_hold(tmp_path: Path) -> None:
    records, report = _written(tmp_path, nc.read(TASKS), flavor="json-min")
    assert [r["id"] for r in records] == [1, 2, 2, 3, 4, 5]
    lost = _lossy(report)
    assert {("box", "*"), ("category", "*")} <= lost  # predictions
    assert {
        ("box", "id"),
        ("keypoints", "group_id"),
        ("box", "attributes.ls_region_results"),
    } <= lost
    assert {("item", "metadata.ls_predictions"), ("item", "metadata.ls_task")} <= lost
    assert records[0]["label"][0]["rectanglelabels"] == ["car"]
    assert records[1]["annotator"] == "ann@example.com"


def test_another_formats_dataset_is_written_with_labelstudio_defaults(tmp_path: Path) -> None:
    mask = np.zeros((100, 200), dtype=np.uint8)
    mask[10:20, 30:60] = 1
    item = _image_item(
        Box(label="car", id="b", x=20.0, y=10.0, width=40.0, height=30.0, attributes={"a": 1}),
        Polygon(label="road", points=[(0.0, 0.0), (100.0, 0.0), (50.0, 50.0)], group_id="b"),
        InstanceMask(label="car", rle=encode(mask)),
        ImageCategory(label="day", taxonomy="time", score=0.5),
        MultiCategory(labels=["x", "y"], taxonomy="tags"),
    )
    tasks, report = _written(tmp_path, Dataset.of([item]))
    (task,) = tasks
    box, polygon, brush, multi = task["annotations"][0]["result"]
    assert box["value"] == {
        "x": 10.0,
        "y": 10.0,
        "width": 20.0,
        "height": 30.0,
        "rotation": 0,
        "rectanglelabels": ["car"],
    }
    assert (box["from_name"], box["to_name"], box["type"], box["origin"]) == (
        "label",
        "image",
        "rectanglelabels",
        "manual",
    )
    assert box["meta"] == {"attributes": {"a": 1}}
    assert polygon["parentID"] == "b" and polygon["value"]["points"][2] == [25.0, 50.0]
    assert brush["type"] == "brushlabels" and brush["from_name"] == "brush"
    assert (multi["from_name"], multi["value"]) == ("tags", {"choices": ["x", "y"]})
    (choice,) = task["predictions"][0]["result"]
    assert (choice["score"], choice["from_name"], choice["origin"]) == (0.5, "time", "prediction")
    assert "meta" not in task  # the image name is the reference id
    back = nc.read(tmp_path / "out.json").materialize()
    (again,) = back.items
    assert [a.attributes for a in again.annotations] == [{"a": 1}, {}, {}, {}, {}]
    assert not _lossy(report)


def test_attributes_the_writer_does_not_understand_travel_in_the_result_meta(
    tmp_path: Path,
) -> None:
    odd = {"ls_custom": 1, "ls_from_name": 5, "iscrowd": 0}
    box = Box(label="a", x=2.0, y=1.0, width=4.0, height=3.0, attributes=odd)
    tasks, report = _written(tmp_path, Dataset.of([_image_item(box)]))
    (result,) = tasks[0]["annotations"][0]["result"]
    assert result["meta"] == {"attributes": odd} and result["from_name"] == "label"
    (back,) = nc.read(tmp_path / "out.json").items
    assert back.annotations[0].attributes == odd
    assert not _lossy(report)


def test_a_reference_id_the_image_name_does_not_give_goes_to_the_task_meta(tmp_path: Path) -> None:
    item = Item("frame-1", media=ImageMedia("s3://b/img.png", 10, 10), metadata={"k": 1})
    tasks, _ = _written(tmp_path, Dataset.of([item]))
    assert tasks[0]["meta"] == {"item_reference_id": "frame-1"}
    assert tasks[0]["data"] == {"image": "s3://b/img.png", "k": 1}
    (back,) = nc.read(tmp_path / "out.json").items
    assert back.reference_id == "frame-1" and back.metadata == {"k": 1}


def test_keypoint_sets_become_one_labelled_point_each_approximated(tmp_path: Path) -> None:
    person = Keypoints(
        label="person",
        names=["nose", "eye", "ear"],
        skeleton=[(0, 1)],
        points=[
            Keypoint(20.0, 10.0, Visibility.VISIBLE),
            Keypoint(40.0, 20.0, Visibility.HIDDEN),
            Keypoint(None, None, Visibility.UNLABELLED),
        ],
    )
    tasks, report = _written(tmp_path, Dataset.of([_image_item(person)]))
    results = tasks[0]["annotations"][0]["result"]
    assert [r["value"]["keypointlabels"] for r in results] == [["nose"], ["eye"]]
    assert results[0]["value"]["x"] == 10.0 and results[1]["value"]["y"] == 20.0
    rows = {(e.kind, e.field): e for e in report}
    assert rows[("keypoints", "*")].count("approximated") == 1
    assert rows[("keypoints", "points")].count("dropped") == 1
    assert rows[("keypoints", "points.visibility")].count("approximated") == 1
    assert rows[("keypoints", "skeleton")].count("dropped") == 1


def test_a_pixel_value_no_percentage_reproduces_is_counted_as_approximated(
    tmp_path: Path,
) -> None:
    width = 641
    xs = [k / 10 for k in range(1, 400)]
    boxes = [Box(label="a", x=x, y=0.0, width=1.0, height=1.0) for x in xs]
    _, report = _written(tmp_path, Dataset.of([_image_item(*boxes, width=width)]))
    (back,) = nc.read(tmp_path / "out.json").items
    changed = sum(b.x != x for b, x in zip(back.annotations, xs, strict=True))  # type: ignore[attr-defined]
    assert changed > 0
    assert report.entries[("box", "x")].count("approximated") == changed


def test_the_kitchen_sink_is_written_and_whatever_is_left_out_is_counted(tmp_path: Path) -> None:
    sink = kitchen_sink_dataset(tmp_path / "media")
    _, report = _written(tmp_path, sink)
    lost = _lossy(report)
    assert {
        ("polyline", "*"),
        ("cuboid", "*"),
        ("item", "*"),
        ("item", "camera"),
        ("scene", "*"),
        ("scene_category", "*"),
        ("segmentation", "*"),
        ("keypoints", "*"),
        ("category", "id"),
        ("header", "skeletons"),
        ("header", "taxonomies"),
    } <= lost


def test_annotations_of_an_image_of_unknown_size_are_counted(tmp_path: Path) -> None:
    item = Item(
        "x.png",
        media=ImageMedia("https://example.com/x.png"),
        annotations=[Box(label="a", x=1, y=1, width=1, height=1), ImageCategory(label="ok")],
    )
    tasks, report = _written(tmp_path, Dataset.of([item]))
    assert [r["type"] for r in tasks[0]["annotations"][0]["result"]] == ["choices"]
    assert "image size is unknown" in report.entries[("box", "*")].reason()


def test_an_empty_dataset_is_an_empty_list(tmp_path: Path) -> None:
    tasks, _ = _written(tmp_path, Dataset.of([]))
    assert tasks == []
    assert list(nc.read(tmp_path / "out.json", "labelstudio").items) == []


@pytest.mark.parametrize("flavor", ["json", "json-min"])
def test_coco_through_labelstudio_counts_every_change(tmp_path: Path, flavor: str) -> None:
    original = nc.read(FIXTURES / "coco" / "instances_demo.json").materialize()
    report = nc.write(original.stream(), tmp_path / "out.json", "labelstudio", flavor=flavor).report
    back = nc.read(tmp_path / "out.json", "labelstudio").materialize()
    booked = _lossy(report)
    for row in _lossy(compare(original, back)):
        kind, field = row
        assert any(
            k == kind
            and (f in ("*", field) or f.startswith(field + ".") or field.startswith(f + "."))
            for k, f in booked
        ), f"{row} lost without a loss row"
