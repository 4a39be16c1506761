"""The COCO writer's loss report: every model field it does not write is counted per
(kind, field), under kinds the model has."""

from __future__ import annotations

from pathlib import Path

import orjson
from every_kind import every_kind_dataset
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.loss import LossReport
from nucleus_convert.toolkit.losses import RECORD_KINDS, loss_row_problem


def _dropped(report: LossReport) -> dict[tuple[str, str], int]:
    return {(e.kind, e.field): e.count("dropped") for e in report if e.count("dropped")}


def _kinds_are_model_kinds(report: LossReport) -> None:
    for e in report:
        assert e.kind in (*RECORD_KINDS, "record"), (e.kind, e.field)
        assert loss_row_problem(e.kind, e.field) is None, (e.kind, e.field)


def test_every_kind_to_an_instances_file_counts_each_field_it_cannot_carry(
    tmp_path: Path,
) -> None:
    result = nc.write(every_kind_dataset(), tmp_path / "out.json", "coco")
    assert _dropped(result.report) == {
        ("box", "*"): 1,  # the box prediction: an instances file holds ground truth
        ("box", "track_id"): 1,
        ("category", "*"): 1,  # the category prediction
        ("category", "taxonomy"): 1,
        ("cuboid", "*"): 3,  # on the point-cloud item
        ("header", "extra"): 1,
        ("header", "taxonomies"): 1,
        ("instance_mask", "*"): 1,  # the predicted segmentation's one segment
        ("item", "*"): 1,  # the point-cloud item
        ("item", "camera"): 1,
        ("keypoints", "*"): 1,
        ("multicategory", "*"): 1,
        ("polygon", "*"): 1,
        ("polyline", "*"): 2,
        ("scene", "*"): 1,
        ("scene_category", "*"): 2,
    }
    entries = result.report.entries
    assert "instances file holds ground truth" in entries[("box", "*")].reasons["dropped"]
    assert "point cloud" in entries[("item", "*")].reasons["dropped"]
    assert "point cloud" in entries[("cuboid", "*")].reasons["dropped"]
    assert entries[("polyline", "*")].reasons["dropped"] == "COCO has no such annotation"
    assert entries[("box", "*")].count("kept") == 3
    _kinds_are_model_kinds(result.report)


def test_a_point_cloud_item_is_not_written_as_an_image(tmp_path: Path) -> None:
    nc.write(every_kind_dataset(), tmp_path / "out.json", "coco")
    data = orjson.loads((tmp_path / "out.json").read_bytes())
    assert [image["file_name"] for image in data["images"]] == ["img-0", "img-1", "cam-0"]


def test_kinds_coco_cannot_hold_are_never_written_as_empty_records(tmp_path: Path) -> None:
    nc.write(every_kind_dataset(), tmp_path / "out.json", "coco")
    data = orjson.loads((tmp_path / "out.json").read_bytes())
    names = {c["id"]: c["name"] for c in data["categories"]}
    labels = [names[a["category_id"]] for a in data["annotations"]]
    assert "lane" not in labels  # the polylines
    for a in data["annotations"]:
        if names[a["category_id"]] != "urban":  # the image label has no geometry
            assert a["segmentation"] or a.get("keypoints") or a.get("bbox"), a


def test_a_results_file_counts_the_ground_truth_under_each_kind_and_the_class_pdfs(
    tmp_path: Path,
) -> None:
    result = nc.write(every_kind_dataset(), tmp_path / "dt.json", "coco", content="predictions")
    dropped = _dropped(result.report)
    assert dropped[("box", "*")] == 3 and dropped[("polygon", "*")] == 2
    assert dropped[("instance_mask", "*")] == 3 and dropped[("keypoints", "*")] == 1
    assert dropped[("box", "class_pdf")] == 1 and dropped[("category", "class_pdf")] == 1
    assert ("box", "track_id") not in dropped  # the tracked box is ground truth, counted whole
    reason = result.report.entries[("box", "*")].reasons["dropped"]
    assert "results file holds predictions" in reason
    assert not any(e.kind in ("prediction", "annotation") for e in result.report)
    _kinds_are_model_kinds(result.report)


def test_nucleus_bundle_track_ids_and_cameras_are_reported(tmp_path: Path) -> None:
    result = nc.convert(FIXTURES / "nucleus", tmp_path / "out.json", from_="nucleus", to="coco")
    dropped = _dropped(result.report)
    assert dropped[("box", "track_id")] == 2
    assert dropped[("polygon", "track_id")] == 1
    assert dropped[("keypoints", "track_id")] == 1
    assert dropped[("item", "camera")] == 3
    assert dropped[("item", "*")] == 3  # the point clouds
    _kinds_are_model_kinds(result.report)


def test_metadata_keys_that_are_coco_image_fields_are_counted(tmp_path: Path) -> None:
    item = nc.Item(
        reference_id="a",
        media=nc.ImageMedia("a.jpg", width=4, height=3),
        metadata={"width": 99, "weather": "sun"},
        extra={"kitti": {"x": 1}},
    )
    result = nc.write(nc.Dataset.of([item]), tmp_path / "out.json", "coco")
    image = orjson.loads((tmp_path / "out.json").read_bytes())["images"][0]
    assert image["width"] == 4 and image["weather"] == "sun"
    assert _dropped(result.report) == {("item", "metadata.width"): 1, ("item", "extra"): 1}


def test_a_grouped_member_with_other_attributes_is_counted(tmp_path: Path) -> None:
    item = nc.Item(
        reference_id="a",
        media=nc.ImageMedia("a.jpg", width=8, height=8),
        annotations=[
            nc.Box(label="x", x=0, y=0, width=2, height=2, group_id="g", attributes={"k": 1}),
            nc.Polygon(
                label="x", points=[(0, 0), (2, 0), (2, 2)], group_id="g", attributes={"k": 2}
            ),
        ],
    )
    result = nc.write(nc.Dataset.of([item]), tmp_path / "out.json", "coco")
    [record] = orjson.loads((tmp_path / "out.json").read_bytes())["annotations"]
    assert record["k"] == 1
    assert _dropped(result.report) == {("polygon", "attributes"): 1}


def test_a_group_of_several_labels_becomes_one_record_per_label_and_is_counted(
    tmp_path: Path,
) -> None:
    # CVAT groups shapes of different labels (a person and their helmet): one COCO record has
    # one category, so each label's members become a record of their own.
    members = [
        nc.Box(label="person", id="p", group_id="7", x=0, y=0, width=10, height=20),
        nc.Polygon(label="person", id="pp", group_id="7", points=[(0, 0), (10, 0), (10, 20)]),
        nc.Box(label="helmet", id="h", group_id="7", x=2, y=0, width=4, height=3),
    ]
    item = nc.Item("a.jpg", nc.ImageMedia("a.jpg", 32, 32), annotations=members)
    result = nc.write(nc.Dataset.of([item]), tmp_path / "out.json", "coco")
    data = orjson.loads((tmp_path / "out.json").read_bytes())
    names = {c["id"]: c["name"] for c in data["categories"]}
    records = [
        (names[a["category_id"]], a["bbox"], bool(a["segmentation"])) for a in data["annotations"]
    ]
    assert records == [("person", [0, 0, 10, 20], True), ("helmet", [2, 0, 4, 3], False)]
    rows = {(e.kind, e.field): e for e in result.report}
    assert rows[("box", "group_id")].counts == {"approximated": 2}
    assert rows[("polygon", "group_id")].counts == {"approximated": 1}
    assert "one record per label" in rows[("box", "group_id")].reasons["approximated"]
