"""Reading every layout: detection, sizes, subsets, classes, negatives, references."""

from __future__ import annotations

from pathlib import Path

import pytest
from yolo_testlib import DARKNET, DATA, DETECT, EXIF, PLAIN, SEGMENT, items, png, ultralytics

import nucleus_convert as nc


def _detect(path: Path) -> bool:
    fmt = nc.get_format("yolo")
    assert fmt.detect is not None
    return fmt.detect(path)


@pytest.mark.parametrize(
    "path",
    [
        DETECT,
        DETECT / "data.yaml",
        SEGMENT,
        DARKNET,
        DARKNET / "obj.data",
        PLAIN,
        PLAIN / "classes.txt",
        EXIF,
    ],
)
def test_every_layout_is_detected_as_yolo_only(path: Path) -> None:
    assert _detect(path)
    dataset = nc.read(path)  # detected, no format named
    assert dataset.header.source["format"] == "yolo"


def test_other_formats_are_not_yolo(tmp_path: Path) -> None:
    for fmt in ("coco", "voc", "nucleus"):
        out = tmp_path / fmt
        nc.convert(DETECT, out, to=fmt)
        target = next(out.glob("*.json")) if fmt == "coco" and out.is_dir() else out
        assert not _detect(target), fmt
        assert not _detect(out), fmt
    assert not _detect(tmp_path / "absent")
    assert not _detect(DATA / "make_fixtures.py")


def test_ultralytics_detection_dataset() -> None:
    dataset = nc.read(DETECT, "yolo").materialize()
    assert [(c.name, c.source_id) for c in dataset.header.categories] == [
        ("person", 0),
        ("car", 1),
        ("dog", 2),
    ]
    by_ref = {i.reference_id: i for i in dataset.items}
    assert list(by_ref) == ["quiet", "square", "street", "empty", "wide"]
    assert {r: i.metadata["yolo_subset"] for r, i in by_ref.items()} == {
        "quiet": "train",
        "square": "train",
        "street": "train",
        "empty": "val",
        "wide": "val",
    }
    wide = by_ref["wide"]
    assert isinstance(wide.media, nc.ImageMedia)
    assert (wide.media.width, wide.media.height) == (40, 30)
    assert Path(wide.media.path) == DETECT / "images" / "val" / "wide.jpg"
    boxes = [
        (a.label, a.id, a.group_id, a.x, a.y, a.width, a.height)
        for a in wide.annotations
        if isinstance(a, nc.Box)
    ]
    assert boxes == [
        ("car", "1", None, 3.0, 7.0, 11.0, 13.0),
        ("dog", "2", None, 17.0, 1.0, 23.0, 29.0),
    ]
    # an empty label file and a missing one are both negatives
    assert by_ref["quiet"].annotations == [] and by_ref["empty"].annotations == []
    square = by_ref["square"].annotations[0]
    assert isinstance(square, nc.Box)
    assert (square.x, square.y, square.width, square.height) == (2.5, 3.25, 10.0, 7.5)


def test_segmentation_dataset_has_polygons_and_boxes() -> None:
    by_ref = items(SEGMENT)
    s1, s2 = by_ref["s1"], by_ref["s2"]
    assert [a.kind for a in s1.annotations] == ["polygon", "polygon"]
    road = s1.annotations[0]
    assert isinstance(road, nc.Polygon)
    assert road.points == [(0.0, 40.0), (50.0, 40.0), (50.0, 25.0), (20.0, 22.0)]
    assert [(a.kind, a.label, a.id) for a in s2.annotations] == [
        ("box", "tree", "1"),
        ("polygon", "tree", "2"),
    ]


def test_darknet_cvat_layout_with_data_prefixes() -> None:
    dataset = nc.read(DARKNET / "obj.data", "yolo").materialize()
    assert [c.name for c in dataset.header.categories] == ["cat", "dog"]
    f1, f2 = dataset.items
    assert (f1.reference_id, f2.reference_id) == ("f1", "f2")
    assert f1.metadata == {"yolo_subset": "train"}
    assert [(a.label, a.id) for a in f1.annotations] == [("dog", "1"), ("cat", "2")]
    assert f2.annotations == []
    assert isinstance(f2.media, nc.ImageMedia) and (f2.media.width, f2.media.height) == (36, 48)


def test_plain_folders_side_by_side_and_split() -> None:
    (img1,) = items(PLAIN).values()
    assert img1.metadata == {}
    assert [a.kind for a in img1.annotations] == ["box", "polygon"]
    (rotated,) = items(EXIF).values()
    assert rotated.reference_id == "rotated"


def test_exif_orientation_6_swaps_width_and_height() -> None:
    (rotated,) = items(EXIF).values()
    assert isinstance(rotated.media, nc.ImageMedia)
    assert (rotated.media.width, rotated.media.height) == (20, 40)
    box = rotated.annotations[0]
    assert isinstance(box, nc.Box)
    assert (box.x, box.y, box.width, box.height) == (2.0, 5.0, 10.0, 30.0)


def test_snap_false_gives_the_plain_float_formula() -> None:
    wide = items(DETECT, snap="false")["wide"].annotations[0]
    assert isinstance(wide, nc.Box)
    assert wide.height == 0.433333 * 30
    assert wide.height != 13.0


def test_list_files_nested_refs_names_dict_and_path_key(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    png(root / "imgs" / "images" / "a" / "x.png", 8, 8)
    png(root / "imgs" / "images" / "b" / "y.png", 8, 8)
    (root / "imgs" / "labels" / "a").mkdir(parents=True)
    (root / "imgs" / "labels" / "a" / "x.txt").write_text("1 0.5 0.5 0.5 0.5\n")
    (root / "imgs" / "val.txt").write_text("./images/a/x.png\n./images/b/y.png\n")
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "my.yaml").write_text(
        "path: ../ds/imgs\ntrain: images\nval: val.txt\nnames:\n  0: zero\n  1: one\n"
    )
    dataset = nc.read(tmp_path / "cfg" / "my.yaml").materialize()
    refs = [(i.reference_id, i.metadata["yolo_subset"]) for i in dataset.items]
    # train is a folder (refs relative to it); val a list whose images clash with train's refs
    assert refs == [("a/x", "train"), ("b/y", "train"), ("val/a/x", "val"), ("val/b/y", "val")]
    assert dataset.losses.entries[("item", "reference_id")].count("approximated") == 2
    assert [a.label for a in dataset.items[0].annotations] == ["one"]


def test_names_only_nc_and_extra_subset_keys(tmp_path: Path) -> None:
    root = ultralytics(
        tmp_path / "ds", {"p": "0 0.5 0.5 1 1\n"}, yaml_text="train: images/train\nnc: 2\n"
    )
    png(root / "images" / "holdout" / "q.png", 4, 4)
    (root / "data.yaml").write_text("train: images/train\nholdout: images/holdout\nnc: 2\n")
    by_ref = items(root)
    assert by_ref["q"].metadata == {"yolo_subset": "holdout"}
    assert by_ref["p"].annotations[0].label == "class0"


def test_roboflow_style_parent_paths(tmp_path: Path) -> None:
    root = tmp_path / "rf"
    png(root / "train" / "images" / "a.png", 10, 10)
    (root / "train" / "labels").mkdir(parents=True)
    (root / "train" / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "data.yaml").write_text("train: ../train/images\nnc: 1\nnames: ['thing']\n")
    (a,) = items(root).values()
    assert a.reference_id == "a" and a.annotations[0].label == "thing"


def _files(root: Path) -> dict[str, bytes]:
    found = sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in found}


@pytest.mark.parametrize("source", [DETECT, SEGMENT, DARKNET], ids=["detect", "segment", "darknet"])
def test_the_reader_cuts_its_image_list_for_workers_with_the_bytes_of_one_process(
    tmp_path: Path, source: Path
) -> None:
    # The plugin offers Dataset.partition through the public API, as a built-in reader does.
    one = nc.convert(source, tmp_path / "one", to="nucleus")
    parts = nc.convert(source, tmp_path / "parts", to="nucleus", workers=2)
    assert (parts.partitions, parts.note) == (2, None)
    assert _files(Path(parts.path)) == _files(Path(one.path))


@pytest.mark.parametrize("path", [DETECT, SEGMENT, DARKNET, PLAIN])
def test_length_is_the_number_of_images_streamed(path: Path) -> None:
    dataset = nc.read(path, "yolo")
    assert dataset.length == sum(1 for _ in dataset.items) > 0
