"""Writing: bit-exact round trips, classes, subsets, tasks, images, and the loss report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yolo_testlib import DARKNET, DETECT, SEGMENT, items, png

import nucleus_convert as nc

_IMAGES: dict[tuple[int, int], Path] = {}


def _image(tmp: Path, width: int, height: int) -> Path:
    key = (width, height)
    if key not in _IMAGES or not _IMAGES[key].exists():
        _IMAGES[key] = png(tmp / f"{width}x{height}.png", width, height)
    return _IMAGES[key]


def _write(dataset: nc.Dataset, dst: Path, **options: Any) -> nc.WriteResult:
    return nc.write(dataset, dst, "yolo", **options)


def _losses(report: nc.LossReport) -> dict[tuple[str, str, str], int]:
    return {
        (e.kind, e.field, s): e.count(s)
        for e in report
        for s in ("approximated", "dropped")
        if e.count(s)
    }


def _reasons(report: nc.LossReport, kind: str, field: str = "*") -> dict[str, str]:
    return report.entries[(kind, field)].reasons


@pytest.mark.parametrize("src", [DETECT, SEGMENT, DARKNET])
def test_yolo_model_yolo_model_is_bit_exact(src: Path, tmp_path: Path) -> None:
    first = nc.read(src, "yolo").materialize()
    result = _write(first.stream(), tmp_path / "out")
    assert not result.report.has_loss(), result.report.format_table(only_loss=True)
    again = nc.read(tmp_path / "out", "yolo").materialize()
    assert [c.name for c in again.header.categories] == [c.name for c in first.header.categories]
    for a, b in zip(first.items, again.items, strict=True):
        assert a.reference_id == b.reference_id and a.metadata == b.metadata
        assert a.annotations == b.annotations
    # and once more: the written files are a fixed point
    _write(again.stream(), tmp_path / "out2")
    for label in (tmp_path / "out").rglob("*.txt"):
        twin = tmp_path / "out2" / label.relative_to(tmp_path / "out")
        assert twin.read_text() == label.read_text()


def test_data_yaml_and_tree(tmp_path: Path) -> None:
    _write(nc.read(DETECT, "yolo"), tmp_path / "out")
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert data == {
        "train": "images/train",
        "val": "images/val",
        "nc": 3,
        "names": {0: "person", 1: "car", 2: "dog"},
    }
    assert (tmp_path / "out" / "labels" / "val" / "empty.txt").read_text() == ""
    assert (tmp_path / "out" / "images" / "val" / "wide.jpg").read_bytes() == (
        DETECT / "images" / "val" / "wide.jpg"
    ).read_bytes()
    assert (tmp_path / "out" / "labels" / "val" / "wide.txt").read_text() == (
        "1 0.212500 0.450000 0.275000 0.433333\n2 0.712500 0.516667 0.575000 0.966667\n"
    )


@st.composite
def _float_scene(draw: st.DrawFn) -> tuple[int, int, list[nc.Annotation]]:
    width = draw(st.integers(min_value=1, max_value=1024))
    height = draw(st.integers(min_value=1, max_value=1024))
    anns: list[nc.Annotation] = []
    for n in range(draw(st.integers(min_value=0, max_value=4))):
        x = draw(st.floats(min_value=0, max_value=width, exclude_max=True))
        y = draw(st.floats(min_value=0, max_value=height, exclude_max=True))
        w = draw(st.floats(min_value=1e-3, max_value=max(width - x, 1e-3)))
        h = draw(st.floats(min_value=1e-3, max_value=max(height - y, 1e-3)))
        if x + w <= width and y + h <= height:
            anns.append(nc.Box(label="b", id=str(len(anns) + 1), x=x, y=y, width=w, height=h))
        if draw(st.booleans()):
            pts = draw(
                st.lists(
                    st.tuples(
                        st.floats(min_value=0, max_value=width),
                        st.floats(min_value=0, max_value=height),
                    ),
                    min_size=3,
                    max_size=7,
                )
            )
            anns.append(nc.Polygon(label=f"p{n}", id=str(len(anns) + 1), points=pts))
    return width, height, anns


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_float_scene())
def test_model_yolo_model_is_bit_exact_for_any_float_geometry(
    tmp_path_factory: pytest.TempPathFactory, scene: tuple[int, int, list[nc.Annotation]]
) -> None:
    width, height, anns = scene
    anns = [a for a in anns if not isinstance(a, nc.Box) or _inside(a, width, height)]
    for n, a in enumerate(anns, 1):
        a.id = str(n)
    tmp = tmp_path_factory.mktemp("prop")
    image = _image(tmp_path_factory.getbasetemp(), width, height)
    item = nc.Item("x", media=nc.ImageMedia(str(image), width, height), annotations=anns)
    labels = sorted({a.label for a in anns})
    header = nc.Header(categories=[nc.Category(name, source_id=i) for i, name in enumerate(labels)])
    item.metadata["yolo_subset"] = "train"
    result = _write(nc.Dataset.of([item], header=header), tmp / "out")
    assert not result.report.has_loss(), result.report.format_table(only_loss=True)
    (back,) = items(tmp / "out").values()
    assert back.annotations == anns


def _inside(box: nc.Box, width: int, height: int) -> bool:
    from fractions import Fraction

    return (
        Fraction(box.x) + Fraction(box.width) <= width
        and Fraction(box.y) + Fraction(box.height) <= height
    )


def _item(*anns: nc.Annotation, ref: str = "img", image: Path | None = None) -> nc.Item:
    return nc.Item(
        ref,
        media=nc.ImageMedia(str(image) if image else "s3://b/img.jpg", 64, 48),
        annotations=list(anns),
    )


def _coco_like() -> list[nc.Annotation]:
    attrs = {"coco_id": 7, "iscrowd": 0}
    return [
        nc.Box(label="cat", id="7", group_id="7", attributes=attrs, x=8, y=8, width=16, height=8),
        nc.Polygon(
            label="cat",
            id="7.0",
            group_id="7",
            attributes=attrs,
            points=[(8, 8), (24, 8), (24, 16)],
        ),
        nc.Box(label="dog", id="9", group_id="9", x=30, y=20, width=10, height=10),
    ]


def test_box_and_polygon_of_one_object_write_one_line(tmp_path: Path) -> None:
    result = _write(nc.Dataset.of([_item(*_coco_like())]), tmp_path / "out", images="none")
    lines = (tmp_path / "out" / "labels" / "train" / "img.txt").read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["0", "1"]
    assert len(lines[0].split()) == 7 and len(lines[1].split()) == 5  # cat polygon, dog box
    report = result.report
    assert report.entries[("box", "*")].count("dropped") == 1
    assert _reasons(report, "box")["dropped"] == (
        "the object is written as its polygon; YOLO derives the box"
    )
    assert report.entries[("polygon", "attributes")].count("dropped") == 1
    assert report.entries[("polygon", "id")].count("dropped") == 1
    assert report.entries[("box", "group_id")].count("dropped") == 1


def test_coco_file_to_yolo(tmp_path: Path) -> None:
    png(tmp_path / "imgs" / "a.png", 64, 48)
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "cat"}, {"id": 3, "name": "dog"}],
        "annotations": [
            {
                "id": 5,
                "image_id": 1,
                "category_id": 3,
                "bbox": [8, 8, 16, 8],
                "area": 1,
                "iscrowd": 0,
                "segmentation": [[8, 8, 24, 8, 24, 16]],
            },
        ],
    }
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    result = nc.convert(
        tmp_path / "coco.json",
        tmp_path / "out",
        to="yolo",
        read_options={"image_root": str(tmp_path / "imgs")},
    )
    assert (tmp_path / "out" / "labels" / "train" / "a.txt").read_text().count("\n") == 1
    assert _reasons(result.report, "box")["dropped"].startswith("the object is written as its")
    assert result.report.entries[("header", "categories.source_id")].count("dropped") == 2
    assert result.report.entries[("item", "reference_id")].count("approximated") == 1
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert data["names"] == {0: "cat", 1: "dog"}
    (a,) = items(tmp_path / "out").values()
    assert a.reference_id == "a" and [x.kind for x in a.annotations] == ["polygon"]


def test_task_detect_writes_polygon_objects_as_boxes(tmp_path: Path) -> None:
    lone = nc.Polygon(label="cat", points=[(2, 3), (10, 4), (6, 9)])
    result = _write(
        nc.Dataset.of([_item(*_coco_like(), lone)]), tmp_path / "out", task="detect", images="none"
    )
    lines = (tmp_path / "out" / "labels" / "train" / "img.txt").read_text().splitlines()
    assert [len(line.split()) for line in lines] == [5, 5, 5]
    assert result.report.entries[("polygon", "*")].count("dropped") == 1  # the COCO one: box kept
    assert result.report.entries[("polygon", "*")].count("approximated") == 1
    (back,) = items(_with_images(tmp_path / "out")).values()
    box = back.annotations[2]
    assert isinstance(box, nc.Box)
    assert (box.x, box.y, box.width, box.height) == (2.0, 3.0, 8.0, 6.0)


def test_task_segment_writes_box_objects_as_rectangles(tmp_path: Path) -> None:
    result = _write(
        nc.Dataset.of([_item(*_coco_like())]), tmp_path / "out", task="segment", images="none"
    )
    lines = (tmp_path / "out" / "labels" / "train" / "img.txt").read_text().splitlines()
    assert [len(line.split()) for line in lines] == [7, 9]
    assert result.report.entries[("box", "*")].count("approximated") == 1
    assert result.report.entries[("box", "*")].count("dropped") == 1
    (back,) = items(_with_images(tmp_path / "out")).values()
    rect = back.annotations[1]
    assert isinstance(rect, nc.Polygon)
    assert rect.points == [(30.0, 20.0), (40.0, 20.0), (40.0, 30.0), (30.0, 30.0)]


def _with_images(out: Path) -> Path:
    """Put a 64 x 48 image beside every label file written with images=none."""
    for label in (out / "labels").rglob("*.txt"):
        rel = label.relative_to(out / "labels").with_suffix(".jpg")
        png(out / "images" / rel, 64, 48)
    return out


def test_everything_yolo_cannot_carry_is_counted(tmp_path: Path) -> None:
    mask = np.zeros((48, 64), dtype=np.uint8)
    anns: list[nc.Annotation] = [
        nc.Box(label="cat", x=1, y=1, width=5, height=5, score=0.5),
        nc.Polyline(label="cat", points=[(1, 1), (5, 5)]),
        nc.Keypoints(label="cat", names=["a"], points=[nc.Keypoint(1, 1, nc.Visibility.VISIBLE)]),
        nc.Segmentation(mask=nc.MaskRef(array=mask), segments=[nc.Segment(0, "bg")]),
        nc.ImageCategory(label="sunny", taxonomy="weather"),
        nc.Box(label="cat", x=1, y=1, width=5, height=5, track_id="t1", extra={"k": 1}),
    ]
    header = nc.Header(
        categories=[nc.Category("cat", source_id=4, supercategory="animal")],
        skeletons={"cat": nc.Skeleton(["a"])},
        taxonomies={"weather": nc.Taxonomy("weather", ["sunny"])},
    )
    cloud = nc.Item(
        "lidar",
        media=nc.PointCloudMedia(points=np.zeros((1, 4), np.float32)),
        annotations=[nc.Cuboid(label="car", position=(0, 0, 0), dimensions=(1, 1, 1), yaw=0)],
    )
    item = _item(*anns)
    item.metadata = {"yolo_subset": "val", "weather": "sunny"}
    item.camera = nc.CameraParams((0, 0, 0), (0, 0, 0, 1), 1, 1, 1, 1)
    scene = nc.Scene("s", annotations=[nc.SceneCategory(label="x")])
    result = _write(nc.Dataset.of([item, cloud], header=header, scenes=[scene]), tmp_path / "out")
    losses = _losses(result.report)
    for key in [
        ("box", "*", "dropped"),  # the prediction
        ("polyline", "*", "dropped"),
        ("keypoints", "*", "dropped"),
        ("segmentation", "*", "dropped"),
        ("category", "*", "dropped"),
        ("box", "track_id", "dropped"),
        ("box", "extra", "dropped"),
        ("item", "metadata.weather", "dropped"),
        ("item", "camera", "dropped"),
        ("item", "media", "dropped"),  # a URL: not copied
        ("item", "*", "dropped"),  # the point cloud
        ("cuboid", "*", "dropped"),
        ("scene", "*", "dropped"),
        ("scene_category", "*", "dropped"),
        ("header", "categories.source_id", "dropped"),
        ("header", "categories.supercategory", "dropped"),
        ("header", "skeletons", "dropped"),
        ("header", "taxonomies", "dropped"),
    ]:
        assert losses.get(key), (key, losses)
    assert (tmp_path / "out" / "labels" / "val" / "img.txt").read_text().count("\n") == 1
    assert "pose" in _reasons(result.report, "keypoints")["dropped"]


def test_geometry_outside_the_image_is_clipped_or_dropped(tmp_path: Path) -> None:
    image = png(tmp_path / "img.png", 64, 48)
    anns: list[nc.Annotation] = [
        nc.Box(label="a", id="1", x=-4, y=40, width=20, height=20),
        nc.Box(label="a", id="2", x=70, y=5, width=5, height=5),
        nc.Polygon(label="a", id="2", points=[(-1, -1), (70, 10), (10, 50)]),
        nc.Box(label="a", id="3", x=5, y=5, width=0, height=5),
    ]
    result = _write(nc.Dataset.of([_item(*anns, image=image)]), tmp_path / "out")
    losses = _losses(result.report)
    # the first box, clipped: x -4 -> 0, width 20 -> 16, height 20 -> 8 (y kept)
    assert [f for f in ("x", "y", "width", "height") if ("box", f, "approximated") in losses] == [
        "x",
        "width",
        "height",
    ]
    assert losses[("box", "width", "approximated")] == 1
    assert losses[("box", "*", "dropped")] == 2
    assert losses[("polygon", "points", "approximated")] == 1
    (back,) = items(tmp_path / "out").values()
    first, poly = back.annotations
    assert isinstance(first, nc.Box) and isinstance(poly, nc.Polygon)
    assert (first.x, first.y, first.width, first.height) == (0.0, 40.0, 16.0, 8.0)
    assert poly.points == [(0.0, 0.0), (64.0, 10.0), (10.0, 48.0)]


def test_size_from_the_image_file_or_dropped(tmp_path: Path) -> None:
    image = png(tmp_path / "img.png", 20, 10)
    box = nc.Box(label="a", id="1", x=2, y=2, width=4, height=4)
    sized = nc.Item("sized", media=nc.ImageMedia(str(image)), annotations=[box])
    unsized = nc.Item("unsized", media=nc.ImageMedia("s3://b/x.png"), annotations=[box])
    result = _write(nc.Dataset.of([sized, unsized]), tmp_path / "out")
    assert "no image size" in _reasons(result.report, "box")["dropped"]
    assert (tmp_path / "out" / "labels" / "train" / "sized.txt").read_text() == (
        "0 0.200000 0.400000 0.200000 0.400000\n"
    )
    assert (tmp_path / "out" / "labels" / "train" / "unsized.txt").read_text() == ""


def test_class_indexes_kept_dense_or_appended(tmp_path: Path) -> None:
    def names(header: nc.Header, *labels: str) -> dict[int, str]:
        out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
        anns = [nc.Box(label=lb, x=1, y=1, width=2, height=2) for lb in labels]
        _write(nc.Dataset.of([_item(*anns)], header=header), out, images="none")
        return dict(yaml.safe_load((out / "data.yaml").read_text())["names"])

    yolo = nc.Header(categories=[nc.Category("b", source_id=1), nc.Category("a", source_id=0)])
    assert names(yolo, "a", "z") == {0: "a", 1: "b", 2: "z"}
    coco = nc.Header(categories=[nc.Category("b", source_id=5), nc.Category("a", source_id=2)])
    assert names(coco, "y") == {0: "b", 1: "a", 2: "y"}
    assert names(nc.Header(), "q", "p", "q") == {0: "q", 1: "p"}


def test_images_symlink_and_none(tmp_path: Path) -> None:
    _write(nc.read(DETECT, "yolo"), tmp_path / "linked", images="symlink")
    link = tmp_path / "linked" / "images" / "train" / "street.jpg"
    assert link.is_symlink() and link.resolve() == (DETECT / "images/train/street.jpg").resolve()
    assert len(items(tmp_path / "linked")) == 5
    result = _write(nc.read(DETECT, "yolo"), tmp_path / "bare", images="none")
    assert not result.report.has_loss()
    assert not any((tmp_path / "bare" / "images").rglob("*.*"))
    assert (tmp_path / "bare" / "images" / "val").is_dir()


def test_unsafe_reference_ids_are_sanitised_and_reported(tmp_path: Path) -> None:
    refs = ["a/../b", "images/x", "c:d", "e.jpg", "e.png", ".hidden"]
    result = _write(nc.Dataset.of([_item(ref=r) for r in refs]), tmp_path / "out", images="none")
    labels = sorted(
        p.relative_to(tmp_path / "out" / "labels" / "train").as_posix()
        for p in (tmp_path / "out" / "labels").rglob("*.txt")
    )
    assert len(labels) == len(refs)
    assert all(".." not in p and not p.startswith("images/") for p in labels)
    assert "c_d.txt" in labels and "e.txt" in labels and "_hidden.txt" in labels
    assert result.report.entries[("item", "reference_id")].count("approximated") == len(refs)


def test_subsets_from_metadata_or_option(tmp_path: Path) -> None:
    a = _item(ref="a")
    a.metadata["yolo_subset"] = "valid"
    b = _item(ref="b")
    _write(nc.Dataset.of([a, b]), tmp_path / "out", subset="test", images="none")
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert (data["test"], data["valid"]) == ("images/test", "images/valid")
    assert (tmp_path / "out" / "labels" / "valid" / "a.txt").exists()


def test_convert_to_nucleus(tmp_path: Path) -> None:
    result = nc.convert(SEGMENT, tmp_path / "bundle", to="nucleus")
    assert result.format == "nucleus"
    back = nc.read(tmp_path / "bundle").materialize()
    assert sorted(i.reference_id for i in back.items) == ["s1", "s2"]
    kinds = sorted(a.kind for i in back.items for a in i.annotations)
    assert kinds == ["box", "polygon", "polygon", "polygon"]
