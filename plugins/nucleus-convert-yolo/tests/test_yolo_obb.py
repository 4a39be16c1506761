"""Oriented boxes: read as 4-point polygons, written back as the same lines, boxes as their four
corners, other shapes as their minimum-area rectangle, the task found and kept, bad lines."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from nucleus_convert_yolo.obb import min_area_rectangle
from yolo_testlib import OBB, POSE, SEGMENT, items, nucleus_roundtrip, png, ultralytics

import nucleus_convert as nc


def _write(dataset: nc.Dataset, dst: Path, **options: Any) -> nc.WriteResult:
    return nc.write(dataset, dst, "yolo", **options)


def _labels(out: Path, ref: str, subset: str = "train") -> list[str]:
    return (out / "labels" / subset / f"{ref}.txt").read_text().splitlines()


def test_obb_lines_are_four_point_polygons_in_file_order_and_pixels() -> None:
    dataset = nc.read(OBB, "yolo").materialize()
    assert dataset.header.extra == {
        "yolo": {"download": "https://example.invalid/obb-fixture.zip", "task": "obb"}
    }
    by_ref = {i.reference_id: i for i in dataset.items}
    plane, ship, harbor = by_ref["o1"].annotations
    assert isinstance(plane, nc.Polygon) and isinstance(ship, nc.Polygon)
    assert (plane.label, plane.id, plane.group_id) == ("plane", "1", None)
    # 0.125 * 64 = 8 ... : the model's continuous pixels, corners as the file lists them
    assert plane.points == [(8.0, 6.0), (28.0, 6.0), (28.0, 18.0), (8.0, 18.0)]
    assert ship.points == [(40.0, 16.0), (48.0, 24.0), (40.0, 32.0), (32.0, 24.0)]
    assert isinstance(harbor, nc.Polygon) and len(harbor.points) == 4
    (edge,) = by_ref["o2"].annotations
    assert isinstance(edge, nc.Polygon)
    assert edge.points[0] == (-0.2, 2.0)  # -0.005 of 40 pixels: within Ultralytics' 1% slack


def test_obb_dataset_is_written_back_byte_for_byte(tmp_path: Path) -> None:
    result = _write(nc.read(OBB, "yolo"), tmp_path / "out")
    assert not result.report.has_loss(), result.report.format_table(only_loss=True)
    for label in (OBB / "labels").rglob("*.txt"):
        twin = tmp_path / "out" / "labels" / label.relative_to(OBB / "labels")
        assert twin.read_text() == label.read_text()
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert data["task"] == "obb"
    assert data["download"] == "https://example.invalid/obb-fixture.zip"


def test_obb_round_trips_through_nucleus_exactly() -> None:
    result = nucleus_roundtrip(OBB)
    assert result["ok"], result["unexpected"]
    assert result["kept"][("polygon", "points")] == 5


def _image_item(tmp_path: Path, *anns: nc.Annotation) -> nc.Item:
    image = png(tmp_path / "img.png", 64, 48)
    item = nc.Item("img", media=nc.ImageMedia(str(image), 64, 48), annotations=list(anns))
    item.metadata["yolo_subset"] = "train"
    return item


def test_an_axis_aligned_box_becomes_its_four_corners_exactly(tmp_path: Path) -> None:
    box = nc.Box(label="car", id="1", x=8, y=6, width=20, height=12)
    result = _write(nc.Dataset.of([_image_item(tmp_path, box)]), tmp_path / "out", task="obb")
    assert _labels(tmp_path / "out", "img") == [
        "0 0.125000 0.125000 0.437500 0.125000 0.437500 0.375000 0.125000 0.375000"
    ]
    assert "four corners" in result.report.entries[("box", "*")].reasons["approximated"]
    (back,) = items(tmp_path / "out").values()
    (poly,) = back.annotations
    assert isinstance(poly, nc.Polygon)
    # top-left, top-right, bottom-right, bottom-left: clockwise on the image
    assert poly.points == [(8.0, 6.0), (28.0, 6.0), (28.0, 18.0), (8.0, 18.0)]


def test_other_polygons_become_their_minimum_area_rectangle(tmp_path: Path) -> None:
    pentagon = nc.Polygon(
        label="lake", id="1", points=[(10, 10), (30, 10), (30, 20), (20, 25), (10, 20)]
    )
    result = _write(nc.Dataset.of([_image_item(tmp_path, pentagon)]), tmp_path / "out", task="obb")
    entry = result.report.entries[("polygon", "points")]
    assert "minimum-area" in entry.reasons["approximated"]
    (back,) = items(tmp_path / "out").values()
    (rect,) = back.annotations
    assert isinstance(rect, nc.Polygon)
    assert rect.points == [(10.0, 10.0), (30.0, 10.0), (30.0, 25.0), (10.0, 25.0)]


def test_minimum_area_rectangle_of_a_turned_box_with_inner_points() -> None:
    a = math.radians(30)
    ux, uy, vx, vy = math.cos(a), math.sin(a), -math.sin(a), math.cos(a)
    corners = [
        (20 + sx * 8 * ux + sy * 3 * vx, 20 + sx * 8 * uy + sy * 3 * vy)
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    ]
    rect = min_area_rectangle([*corners, (20.0, 20.0), (21.0, 20.5)])
    assert rect is not None
    assert all(math.dist(p, q) < 1e-9 for p, q in zip(rect, corners, strict=True))
    assert min_area_rectangle([(0, 0), (1, 1), (2, 2)]) is None  # on one line: no area


def test_a_box_whose_object_has_a_polygon_is_written_from_the_polygon(tmp_path: Path) -> None:
    box = nc.Box(label="cat", id="7", group_id="7", x=8, y=8, width=16, height=8)
    quad = nc.Polygon(
        label="cat", id="7.0", group_id="7", points=[(8, 8), (24, 8), (24, 16), (8, 16)]
    )
    result = _write(nc.Dataset.of([_image_item(tmp_path, box, quad)]), tmp_path / "out", task="obb")
    assert len(_labels(tmp_path / "out", "img")) == 1
    assert "from its polygon" in result.report.entries[("box", "*")].reasons["dropped"]


def test_corners_beyond_the_one_percent_band_move_to_its_edge(tmp_path: Path) -> None:
    far = nc.Polygon(label="x", id="1", points=[(-6.4, 0), (10, 0), (10, 10), (-6.4, 10)])
    result = _write(nc.Dataset.of([_image_item(tmp_path, far)]), tmp_path / "out", task="obb")
    assert result.report.entries[("polygon", "points")].count("approximated") == 1
    assert _labels(tmp_path / "out", "img")[0].split()[1] == "-0.010000"
    (back,) = items(tmp_path / "out").values()
    (moved,) = back.annotations
    assert isinstance(moved, nc.Polygon) and moved.points[0] == (-0.64, 0.0)


def test_auto_reads_a_dataset_of_only_nine_field_lines_as_obb_and_others_by_field_count(
    tmp_path: Path,
) -> None:
    quad = "0 0.1 0.1 0.5 0.1 0.5 0.5 0.1 0.5\n"
    only = ultralytics(tmp_path / "only", {"a": quad, "b": quad})
    assert nc.read(only, "yolo").header.extra == {"yolo": {"task": "obb"}}
    mixed = ultralytics(tmp_path / "mixed", {"a": quad, "b": "1 0.5 0.5 0.2 0.2\n"})
    dataset = nc.read(mixed, "yolo").materialize()
    assert dataset.header.extra == {}
    assert sorted(a.kind for i in dataset.items for a in i.annotations) == ["box", "polygon"]
    # the segment sample's polygons have 4, 3 and 5 vertices: not OBB
    assert "yolo" not in nc.read(SEGMENT, "yolo").header.extra


def test_the_task_option_and_the_yaml_task_key_decide_before_the_lines(tmp_path: Path) -> None:
    quad = "0 0.1 0.1 0.5 0.1 0.5 0.5 0.1 0.5\n"
    src = ultralytics(tmp_path / "src", {"a": quad})
    as_segment = nc.read(src, "yolo", task="segment")
    assert as_segment.header.extra == {"yolo": {"task": "segment"}}
    tagged = ultralytics(
        tmp_path / "tagged",
        {"a": "0 0.5 0.5 0.2 0.2\n"},
        yaml_text="train: images/train\nnames: [a, b]\ntask: obb\n",
    )
    with pytest.raises(nc.InputError, match="5 fields, but an OBB line has 9"):
        list(nc.read(tagged, "yolo").items)
    (first,) = nc.read(tagged, "yolo", task="detect").items
    assert first.annotations[0].kind == "box"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("0 0.1 0.1 0.5 0.1 0.5 0.5\n", "7 fields, but an OBB line has 9"),
        ("0 0.1 0.1 0.5 0.1 0.5 0.5 0.1 1.02\n", "y4 is 1.02, outside [-0.01, 1.01]"),
        ("0 0.1 0.1 0.5 0.1 0.5 -0.011 0.1 0.5\n", "y3 is -0.011"),
        ("7 0.1 0.1 0.5 0.1 0.5 0.5 0.1 0.5\n", "class 7 is not in names (0..1)"),
    ],
)
def test_a_bad_obb_line_names_the_file_and_line(tmp_path: Path, line: str, says: str) -> None:
    src = ultralytics(tmp_path / "src", {"a": "0 0.1 0.1 0.5 0.1 0.5 0.5 0.1 0.5\n" + line})
    with pytest.raises(nc.InputError) as caught:
        list(nc.read(src, "yolo", task="obb").items)
    message = str(caught.value)
    assert message.startswith(f"{src / 'labels' / 'train' / 'a.txt'}:2: "), message
    assert says in message


def test_an_obb_source_written_as_segments_forgets_its_task(tmp_path: Path) -> None:
    _write(nc.read(OBB, "yolo"), tmp_path / "out", task="segment")
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert data["task"] == "segment"
    assert all(len(line.split()) == 9 for line in _labels(tmp_path / "out", "o1"))


def _files(root: Path) -> dict[str, bytes]:
    found = sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in found}


@pytest.mark.parametrize("source", [OBB, POSE], ids=["obb", "pose"])
def test_obb_and_pose_readers_give_workers_the_bytes_of_one_process(
    tmp_path: Path, source: Path
) -> None:
    one = nc.convert(source, tmp_path / "one", to="nucleus")
    parts = nc.convert(source, tmp_path / "parts", to="nucleus", workers=2)
    assert (parts.partitions, parts.note) == (2, None)
    assert _files(Path(parts.path)) == _files(Path(one.path))
