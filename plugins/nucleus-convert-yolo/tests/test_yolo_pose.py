"""Pose: a line is a box and its keypoints sharing a group, visibility mapped exactly, names and
skeleton per class, kpt_shape/flip_idx kept; written back as the same lines; bad pose input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from yolo_testlib import POSE, POSE2D, items, nucleus_roundtrip, png, ultralytics

import nucleus_convert as nc
from nucleus_convert.testing import kitchen_sink_dataset, record_counts
from nucleus_convert.toolkit import loss_row_problem

V = nc.Visibility
POSE_YAML = "train: images/train\nnames: [person, cat]\nkpt_shape: [2, 3]\n"


def _write(dataset: nc.Dataset, dst: Path, **options: Any) -> nc.WriteResult:
    return nc.write(dataset, dst, "yolo", **options)


def _points(kps: nc.Annotation) -> list[tuple[float | None, float | None, int]]:
    assert isinstance(kps, nc.Keypoints)
    return [(p.x, p.y, int(p.visibility)) for p in kps.points]


def test_a_pose_line_is_a_box_and_keypoints_sharing_the_line_as_group() -> None:
    dataset = nc.read(POSE, "yolo").materialize()
    by_ref = {i.reference_id: i for i in dataset.items}
    box, kps, cat_box, cat_kps = by_ref["p1"].annotations
    assert isinstance(box, nc.Box) and isinstance(kps, nc.Keypoints)
    assert (box.id, box.group_id, kps.id, kps.group_id) == ("1", "1", "1-keypoints", "1")
    assert (box.x, box.y, box.width, box.height) == (8.0, 4.0, 20.0, 30.0)
    # v = 2 visible, 1 labelled but hidden, 0 not labelled ("0 0 0": no coordinates)
    assert _points(kps) == [(12.0, 8.0, 2), (20.0, 8.0, 2), (16.0, 12.0, 1), (None, None, 0)]
    assert kps.names == ["left_eye", "right_eye", "nose", "neck"]
    assert kps.skeleton == [(0, 2), (1, 2), (2, 3)]
    assert isinstance(cat_kps, nc.Keypoints) and cat_box.group_id == cat_kps.group_id == "2"
    assert cat_kps.names == ["kpt_0", "kpt_1", "kpt_2", "kpt_3"]  # no kpt_names: generated
    assert cat_kps.skeleton is None
    (_, unlabelled) = by_ref["p2"].annotations
    assert _points(unlabelled) == [(None, None, 0)] * 4
    assert by_ref["p3"].annotations == []


def test_the_pose_header_holds_skeletons_per_class_and_the_yaml_keys() -> None:
    header = nc.read(POSE, "yolo").header
    assert header.skeletons["person"] == nc.Skeleton(
        ["left_eye", "right_eye", "nose", "neck"], [(0, 2), (1, 2), (2, 3)]
    )
    assert header.skeletons["cat"] == nc.Skeleton(["kpt_0", "kpt_1", "kpt_2", "kpt_3"], [])
    assert header.extra == {
        "yolo": {
            "kpt_shape": [4, 3],
            "flip_idx": [1, 0, 2, 3],
            "download": "https://example.invalid/pose-fixture.zip",
            "task": "pose",
        }
    }


@pytest.mark.parametrize("src", [POSE, POSE2D], ids=["xyv", "xy"])
def test_a_pose_dataset_is_written_back_byte_for_byte(tmp_path: Path, src: Path) -> None:
    result = _write(nc.read(src, "yolo"), tmp_path / "out")
    assert not result.report.has_loss(), result.report.format_table(only_loss=True)
    for label in (src / "labels").rglob("*.txt"):
        twin = tmp_path / "out" / "labels" / label.relative_to(src / "labels")
        assert twin.read_text() == label.read_text()
    written = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    source = yaml.safe_load((src / "data.yaml").read_text())
    for key in ("kpt_shape", "flip_idx", "kpt_names", "skeleton", "download"):
        assert written.get(key) == source.get(key), key
    assert written["task"] == "pose"


@pytest.mark.parametrize("src", [POSE, POSE2D], ids=["xyv", "xy"])
def test_pose_round_trips_through_nucleus_exactly(src: Path) -> None:
    result = nucleus_roundtrip(src)
    assert result["ok"], result["unexpected"]
    for field in ("points", "points.visibility", "names", "skeleton", "group_id"):
        assert result["kept"][("keypoints", field)] > 0, field
    assert result["kept"][("box", "x")] > 0


def test_a_two_value_keypoint_is_visible_unless_a_coordinate_is_negative(tmp_path: Path) -> None:
    src = ultralytics(
        tmp_path / "src",
        {"a": "0 0.5 0.5 0.5 0.5 0.2 0.3 -0.005 0.4\n"},
        yaml_text="train: images/train\nnames: [hand]\nkpt_shape: [2, 2]\n",
    )
    (a,) = items(src).values()
    assert _points(a.annotations[1]) == [(2.0, 3.0, 2), (-0.05, 4.0, 0)]


def test_an_unlabelled_keypoint_keeps_coordinates_other_than_zero(tmp_path: Path) -> None:
    src = ultralytics(
        tmp_path / "src", {"a": "1 0.5 0.5 0.5 0.5 0.2 0.3 0 0.4 0.5 1.0\n"}, yaml_text=POSE_YAML
    )
    (a,) = items(src).values()
    assert _points(a.annotations[1]) == [(2.0, 3.0, 0), (4.0, 5.0, 1)]  # "1.0" is 1
    assert a.annotations[1].label == "cat"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("0 0.5 0.5 0.5 0.5 0.2 0.3 2\n", "8 fields, but a pose line of kpt_shape [2, 3] has "),
        ("0 0.5 0.5 0.5 0.5 0.2 0.3 2 0.4 0.5 3\n", "kpt2 v is 3; a visibility is 0"),
        ("0 0.5 0.5 0.5 0.5 0.2 0.3 0.5 0.4 0.5 2\n", "kpt1 v is 0.5"),
        ("0 0.5 0.5 0.5 0.5 0.2 1.2 2 0.4 0.5 2\n", "kpt1 y is 1.2, outside [-0.01, 1.01]"),
        ("0 0.5 0.5 0 0.5 0.2 0.3 2 0.4 0.5 2\n", "box w is 0"),
    ],
)
def test_a_bad_pose_line_names_the_file_and_line(tmp_path: Path, line: str, says: str) -> None:
    src = ultralytics(tmp_path / "src", {"a": "\n" + line}, yaml_text=POSE_YAML)
    with pytest.raises(nc.InputError) as caught:
        list(nc.read(src, "yolo").items)
    message = str(caught.value)
    assert message.startswith(f"{src / 'labels' / 'train' / 'a.txt'}:2: "), message
    assert says in message


@pytest.mark.parametrize(
    ("extra", "line", "says"),
    [
        ("kpt_shape: [2]\n", 4, "kpt_shape must be [K, D]"),
        ("kpt_shape: [2, 3]\nflip_idx: [0, 2]\n", 5, "flip_idx must be a list of 2"),
        ("kpt_shape: [2, 3]\nkpt_names: {0: [a]}\n", 5, "kpt_names of class 0 must list 2"),
        ("kpt_shape: [2, 3]\nkpt_names: {4: [a, b]}\n", 5, "4 is not a class index"),
        ("kpt_shape: [2, 3]\nskeleton: [[0, 5]]\n", 5, "skeleton must be a list of 2"),
        ("task: pose\n", 4, "task: pose needs kpt_shape"),
        ("task: classify\n", 4, "not YOLO label files"),
    ],
)
def test_bad_pose_keys_of_the_yaml_name_their_line(
    tmp_path: Path, extra: str, line: int, says: str
) -> None:
    src = ultralytics(
        tmp_path / "src", {"a": ""}, yaml_text="train: images/train\nnames: [a, b]\nnc: 2\n" + extra
    )
    with pytest.raises(nc.InputError) as caught:
        nc.read(src, "yolo")
    assert str(caught.value).startswith(f"{src / 'data.yaml'}:{line}: "), str(caught.value)
    assert says in str(caught.value)


def test_task_pose_without_kpt_shape_is_refused(tmp_path: Path) -> None:
    src = ultralytics(tmp_path / "src", {"a": ""})
    with pytest.raises(nc.InputError, match="task=pose needs a dataset YAML with kpt_shape"):
        nc.read(src, "yolo", task="pose")


def _person(tmp_path: Path, *anns: nc.Annotation) -> nc.Dataset:
    image = png(tmp_path / "img.png", 64, 48)
    item = nc.Item("img", media=nc.ImageMedia(str(image), 64, 48), annotations=list(anns))
    item.metadata["yolo_subset"] = "train"
    header = nc.Header(
        categories=[nc.Category("person", source_id=1)],
        skeletons={"person": nc.Skeleton(["head", "foot"], [(0, 1)])},
    )
    return nc.Dataset.of([item], header=header)


def _kps(*points: nc.Keypoint, group: str | None = "7") -> nc.Keypoints:
    return nc.Keypoints(
        label="person",
        id="7-kp",
        group_id=group,
        names=["head", "foot"],
        skeleton=[(0, 1)],
        points=list(points),
    )


def test_a_coco_like_person_is_written_as_one_pose_line(tmp_path: Path) -> None:
    box = nc.Box(label="person", id="7", group_id="7", x=8, y=4, width=20, height=30)
    poly = nc.Polygon(label="person", id="7.0", group_id="7", points=[(8, 4), (28, 4), (20, 30)])
    kps = _kps(nc.Keypoint(16, 8, V.VISIBLE), nc.Keypoint(None, None, V.UNLABELLED))
    result = _write(_person(tmp_path, box, poly, kps), tmp_path / "out", task="pose")
    (line,) = (tmp_path / "out" / "labels" / "train" / "img.txt").read_text().splitlines()
    assert line == "0 0.281250 0.395833 0.312500 0.625000 0.250000 0.166667 2 0 0 0"
    report = result.report
    assert "polygons are not written" in report.entries[("polygon", "*")].reasons["dropped"]
    assert report.entries[("keypoints", "id")].count("dropped") == 1
    assert report.entries[("box", "group_id")].count("approximated") == 1
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert (data["task"], data["kpt_shape"]) == ("pose", [2, 3])  # K from the header skeleton
    assert data["kpt_names"] == {0: ["head", "foot"]} and data["skeleton"] == {0: [[0, 1]]}
    (back,) = items(tmp_path / "out").values()
    assert _points(back.annotations[1]) == [(16.0, 8.0, 2), (None, None, 0)]


def test_keypoints_without_a_box_get_the_box_of_their_labelled_points(tmp_path: Path) -> None:
    kps = _kps(nc.Keypoint(10, 8, V.VISIBLE), nc.Keypoint(20, 40, V.HIDDEN), group=None)
    result = _write(_person(tmp_path, kps), tmp_path / "out", task="pose")
    assert "enclosing box" in result.report.entries[("keypoints", "*")].reasons["approximated"]
    (back,) = items(tmp_path / "out").values()
    box = back.annotations[0]
    assert isinstance(box, nc.Box) and (box.x, box.y, box.width, box.height) == (10, 8, 10, 32)


def test_a_box_without_keypoints_gets_unlabelled_ones_and_other_counts_are_dropped(
    tmp_path: Path,
) -> None:
    lone = nc.Box(label="person", id="1", x=8, y=4, width=20, height=30)
    three = nc.Keypoints(
        label="person",
        names=["a", "b", "c"],
        points=[nc.Keypoint(1, 1, V.VISIBLE)] * 3,
    )
    result = _write(_person(tmp_path, lone, three), tmp_path / "out", task="pose")
    lines = (tmp_path / "out" / "labels" / "train" / "img.txt").read_text().splitlines()
    assert lines == ["0 0.281250 0.395833 0.312500 0.625000 0 0 0 0 0 0"]
    assert "unlabelled keypoints" in result.report.entries[("box", "*")].reasons["approximated"]
    assert "kpt_shape has 2" in result.report.entries[("keypoints", "*")].reasons["dropped"]


def test_a_pose_source_written_as_detection_counts_its_keypoints(tmp_path: Path) -> None:
    result = _write(nc.read(POSE, "yolo"), tmp_path / "out", task="detect")
    report = result.report
    assert report.entries[("keypoints", "*")].count("dropped") == 3
    assert report.entries[("header", "skeletons")].count("dropped") == 2
    assert report.entries[("header", "extra.kpt_shape")].count("dropped") == 1
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert "kpt_shape" not in data and data["task"] == "detect"
    assert all(
        len(a.split()) == 5
        for a in (tmp_path / "out" / "labels" / "train" / "p1.txt").read_text().splitlines()
    )


def test_visibility_a_two_value_dataset_cannot_hold_is_counted(tmp_path: Path) -> None:
    dataset = nc.read(POSE2D, "yolo").materialize()
    kps = dataset.items[0].annotations[1]
    assert isinstance(kps, nc.Keypoints)
    kps.points[0].visibility = V.HIDDEN
    result = _write(dataset.stream(), tmp_path / "out")
    entry = result.report.entries[("keypoints", "points.visibility")]
    assert entry.count("approximated") == 1


@pytest.mark.parametrize("task", ["obb", "pose"])
def test_the_kitchen_sink_written_as_obb_or_pose_loses_nothing_in_silence(
    tmp_path: Path, task: str
) -> None:
    sink = kitchen_sink_dataset(tmp_path / "media").materialize()
    result = _write(sink.stream(), tmp_path / "out", task=task)
    rows = {(e.kind, e.field) for e in result.report}
    bad = {row: loss_row_problem(*row) for row in rows if loss_row_problem(*row)}
    assert not bad, bad
    back = nc.read(tmp_path / "out", "yolo").materialize()
    before, after = record_counts(sink), record_counts(back)
    for key, n in before.items():
        kind = key.removesuffix(" prediction")
        missing = n - after.get(key, 0)
        counted = sum(
            e.count("dropped") + e.count("approximated") for e in result.report if e.kind == kind
        )
        assert missing <= 0 or counted >= missing, (key, missing, counted)
    if task == "pose":
        # the sink's cat keypoints (no box in their group) and its cat box (no keypoints) are
        # two pose lines; both keypoints take the class's names and skeleton
        found = [a for i in back.items for a in i.annotations if isinstance(a, nc.Keypoints)]
        assert [[int(p.visibility) for p in k.points] for k in found] == [[0, 0], [2, 1]]
        assert all(k.names == ["nose", "tail"] and k.skeleton == [(0, 1)] for k in found)
