"""Pascal VOC ⇄ model ⇄ Nucleus, field by field, on hand-made trees whose answers are known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from cli_runner import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from judge import judge_bundle, lines
from lxml import etree
from paths import ROOT as PROJECT_ROOT
from PIL import Image
from pycocotools import mask as mask_utils

import nucleus_convert as nc
from nucleus_convert.converters.voc.labels import LabelMap, colormap, parse_labelmap
from nucleus_convert.model import (
    Box,
    Category,
    Header,
    ImageCategory,
    ImageMedia,
    Item,
    MaskRef,
    Polygon,
    Segment,
    Segmentation,
)

ROOT = PROJECT_ROOT
FIXTURE = ROOT / "fixtures" / "voc" / "VOC2012"
COCO_FIXTURE = ROOT / "fixtures" / "coco" / "instances_demo.json"


def _xml(objects: str, *, width: int = 40, height: int = 30) -> str:
    return (
        "<annotation><filename>img.jpg</filename>"
        f"<size><width>{width}</width><height>{height}</height><depth>3</depth></size>"
        f"{objects}</annotation>"
    )


def _obj(name: str, box: tuple[Any, Any, Any, Any], extra: str = "") -> str:
    xmin, ymin, xmax, ymax = box
    return (
        f"<object><name>{name}</name>{extra}<bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin>"
        f"<xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>"
    )


def _tree(tmp: Path, xml: str, name: str = "img") -> Path:
    root = tmp / "VOC"
    (root / "Annotations").mkdir(parents=True)
    (root / "Annotations" / f"{name}.xml").write_text(xml)
    return root


def _png(arr: np.ndarray[Any, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(arr.astype(np.uint8), mode="P")
    im.putpalette(colormap().tobytes())
    im.save(path)


def _boxes(xml: Path) -> list[tuple[str, list[str]]]:
    root = etree.parse(str(xml)).getroot()
    return [
        (
            o.findtext("name") or "",
            [o.find("bndbox").findtext(k) or "" for k in ("xmin", "ymin", "xmax", "ymax")],  # type: ignore[union-attr]
        )
        for o in root.iter("object")
    ]


# ---------------------------------------------------------------------- the 1-based convention


def test_voc_xmin_1_xmax_10_is_a_nucleus_box_at_x_0_width_10(tmp_path: Path) -> None:
    src = _tree(tmp_path, _xml(_obj("cat", (1, 1, 10, 5))))
    nc.convert(src, tmp_path / "out", from_="voc", to="nucleus")
    judge_bundle(tmp_path / "out")
    (box,) = lines(tmp_path / "out" / "annotations.jsonl")
    assert box["geometry"] == {"x": 0, "y": 0, "width": 10, "height": 5}
    assert box["label"] == "cat"


def test_voc_writer_puts_a_box_at_x_0_width_10_back_at_xmin_1_xmax_10(tmp_path: Path) -> None:
    item = Item(
        reference_id="img",
        media=ImageMedia("img.jpg", 40, 30),
        annotations=[Box(label="cat", x=0, y=2, width=10, height=5)],
    )
    nc.write(nc.Dataset.of([item]), tmp_path / "voc", "voc")
    assert _boxes(tmp_path / "voc" / "Annotations" / "img.xml") == [("cat", ["1", "3", "10", "7"])]


@st.composite
def _voc_boxes(draw: st.DrawFn) -> list[tuple[int, int, int, int]]:
    out = []
    for _ in range(draw(st.integers(1, 5))):
        xmin, ymin = draw(st.integers(1, 2000)), draw(st.integers(1, 2000))
        out.append((xmin, ymin, xmin + draw(st.integers(0, 500)), ymin + draw(st.integers(0, 500))))
    return out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(boxes=_voc_boxes())
def test_integer_voc_boxes_come_back_as_the_same_integers_through_nucleus(
    tmp_path_factory: pytest.TempPathFactory, boxes: list[tuple[int, int, int, int]]
) -> None:
    tmp = tmp_path_factory.mktemp("boxes")
    xml = _xml("".join(_obj(f"c{i}", b) for i, b in enumerate(boxes)), width=3000, height=3000)
    src = _tree(tmp, xml)
    nc.convert(src, tmp / "nuc", from_="voc", to="nucleus")
    payload = lines(tmp / "nuc" / "annotations.jsonl")
    for (xmin, ymin, xmax, ymax), p in zip(boxes, payload, strict=True):
        assert p["geometry"] == {
            "x": xmin - 1,
            "y": ymin - 1,
            "width": xmax - xmin + 1,
            "height": ymax - ymin + 1,
        }
    nc.convert(tmp / "nuc", tmp / "back", from_="nucleus", to="voc")
    assert _boxes(tmp / "back" / "Annotations" / "img.xml") == [
        (f"c{i}", [str(v) for v in b]) for i, b in enumerate(boxes)
    ]


# ---------------------------------------------------------------------- objects and attributes


def test_voc_object_fields_keep_their_types_and_unknown_elements_survive(tmp_path: Path) -> None:
    extra = (
        "<pose>Left</pose><truncated>1</truncated><occluded>1</occluded><score>0.5</score>"
        "<custom>abc</custom><attributes><attribute><name>color</name><value>red</value>"
        "</attribute><attribute><name>doors</name><value>4</value></attribute></attributes>"
    )
    src = _tree(tmp_path, _xml(_obj("car", ("135.0", 2, "140.5", 9), extra)))
    (item,) = nc.read(src, "voc").items
    (box,) = item.annotations
    assert isinstance(box, Box)
    assert (box.x, box.y, box.width, box.height) == (134.0, 1.0, 6.5, 8.0)
    assert box.attributes == {
        "pose": "Left",
        "truncated": 1,
        "difficult": 0,
        "occluded": 1,
        "score": 0.5,
        "custom": "abc",
        "color": "red",
        "doors": 4,
    }
    nc.convert(src, tmp_path / "back", from_="voc", to="voc")
    (again,) = nc.read(tmp_path / "back", "voc").items
    assert again.annotations[0].attributes == box.attributes
    assert _boxes(tmp_path / "back" / "Annotations" / "img.xml") == [
        ("car", ["135", "2", "140.5", "9"])
    ]


def test_voc_parts_are_boxes_grouped_with_their_person_and_actions_are_attributes() -> None:
    item = next(i for i in nc.read(FIXTURE, "voc").items if i.reference_id == "2012_000001")
    person, head, hand, dog = (a for a in item.annotations if isinstance(a, Box))
    assert (person.label, person.id, person.group_id) == ("person", "1", "1")
    assert (head.label, head.id, head.group_id) == ("head", "1.1", "1")
    assert (hand.label, hand.id, hand.group_id) == ("hand", "1.2", "1")
    assert (dog.label, dog.group_id) == ("dog", "2")
    assert {k: person.attributes[k] for k in ("jumping", "phoning", "walking", "other")} == {
        "jumping": 0,
        "phoning": 1,
        "walking": 0,
        "other": 0,
    }
    assert dog.attributes == {"pose": "Left", "truncated": 1, "difficult": 1}
    assert item.metadata["voc_layout"] == ["train:1"]
    assert item.metadata["source"]["database"] == "The VOC2012 Database"


# ---------------------------------------------------------------------- segmentation


def test_consistent_class_and_object_pngs_become_one_instance_segmentation() -> None:
    item = next(i for i in nc.read(FIXTURE, "voc").items if i.reference_id == "2012_000001")
    (seg,) = [a for a in item.annotations if isinstance(a, Segmentation)]
    assert seg.id == "SegmentationObject"
    assert [(s.index, s.label, s.group_id) for s in seg.segments] == [
        (0, "background", None),
        (1, "person", "1"),
        (2, "dog", "2"),
        (255, "void", None),
    ]
    with Image.open(FIXTURE / "SegmentationObject" / "2012_000001.png") as im:
        np.testing.assert_array_equal(seg.mask.load(), np.asarray(im))


def test_void_pixels_survive_nucleus_as_their_own_segment(tmp_path: Path) -> None:
    nc.convert(FIXTURE, tmp_path / "nuc", from_="voc", to="nucleus")
    (mask,) = [p for p in lines(tmp_path / "nuc" / "annotations.jsonl") if p["type"] == "mask"]
    assert {"label": "void", "index": 255} in mask["annotations"]
    with Image.open(tmp_path / "nuc" / mask["mask_url"]) as im:
        written = np.asarray(im)
    with Image.open(FIXTURE / "SegmentationObject" / "2012_000001.png") as im:
        np.testing.assert_array_equal(written, np.asarray(im))
    assert int((written == 255).sum()) > 0


def _seg_tree(
    tmp: Path, cls: np.ndarray[Any, Any] | None, obj: np.ndarray[Any, Any] | None
) -> Path:
    h, w = (cls if cls is not None else obj).shape  # type: ignore[union-attr]
    objects = _obj("cat", (1, 1, 2, 2)) + _obj("dog", (3, 1, 4, 2))
    root = _tree(tmp, _xml(objects, width=w, height=h))
    if cls is not None:
        _png(cls, root / "SegmentationClass" / "img.png")
    if obj is not None:
        _png(obj, root / "SegmentationObject" / "img.png")
    return root


def test_disagreeing_pngs_stay_two_segmentations_and_nucleus_flags_the_second(
    tmp_path: Path,
) -> None:
    cls = np.array([[8, 8, 12, 12], [8, 12, 12, 0]])  # instance 1 covers a cat and a dog pixel
    obj = np.array([[1, 1, 2, 2], [1, 1, 2, 0]])
    src = _seg_tree(tmp_path, cls, obj)
    (item,) = nc.read(src, "voc").items
    segs = [a for a in item.annotations if isinstance(a, Segmentation)]
    assert [s.id for s in segs] == ["SegmentationObject", "SegmentationClass"]
    assert [(s.index, s.label) for s in segs[0].segments] == [(1, "cat"), (2, "dog")]
    result = nc.convert(src, tmp_path / "nuc", from_="voc", to="nucleus")
    assert result.report.entries[("segmentation", "*")].count("not_uploadable") == 1
    nc.convert(src, tmp_path / "back", from_="voc", to="voc")
    for folder, expected in (("SegmentationClass", cls), ("SegmentationObject", obj)):
        with Image.open(tmp_path / "back" / folder / "img.png") as im:
            np.testing.assert_array_equal(np.asarray(im), expected)


def test_object_png_without_class_png_takes_classes_from_the_xml_objects(tmp_path: Path) -> None:
    obj = np.array([[1, 1, 2, 2], [255, 1, 2, 0]])
    src = _seg_tree(tmp_path, None, obj)
    (item,) = nc.read(src, "voc").items
    (seg,) = [a for a in item.annotations if isinstance(a, Segmentation)]
    assert [(s.index, s.label, s.group_id) for s in seg.segments] == [
        (1, "cat", "1"),
        (2, "dog", "2"),
        (255, "void", None),
    ]
    nc.convert(src, tmp_path / "back", from_="voc", to="voc")
    with Image.open(tmp_path / "back" / "SegmentationClass" / "img.png") as im:
        np.testing.assert_array_equal(np.asarray(im), [[8, 8, 12, 12], [255, 8, 12, 0]])


def test_coco_instances_become_voc_object_and_class_pngs_matching_pycocotools(
    tmp_path: Path,
) -> None:
    nc.convert(COCO_FIXTURE, tmp_path / "voc", from_="coco", to="voc")
    data = orjson.loads(COCO_FIXTURE.read_bytes())
    labelmap = parse_labelmap(tmp_path / "voc" / "labelmap.txt")
    names = {c["id"]: c["name"] for c in data["categories"]}
    checked = 0
    for image in data["images"]:
        crowd = [a for a in data["annotations"] if a["image_id"] == image["id"] and a["iscrowd"]]
        if not crowd:
            continue
        stem = Path(image["file_name"]).stem
        with Image.open(tmp_path / "voc" / "SegmentationClass" / f"{stem}.png") as im:
            assert im.mode == "P"
            cls = np.asarray(im)
        expected = np.zeros_like(cls)
        for ann in crowd:  # later instances win, as in the index mask
            rle = ann["segmentation"]
            if isinstance(rle["counts"], list):
                rle = mask_utils.frPyObjects(rle, *rle["size"])
            spec = labelmap.get(names[ann["category_id"]])
            assert spec is not None
            expected[mask_utils.decode(rle).astype(bool)] = spec.index
        np.testing.assert_array_equal(cls, expected)
        checked += 1
    assert checked


# ---------------------------------------------------------------------- labels and lists


def test_labels_that_are_not_voc_classes_get_a_labelmap_that_reads_back(tmp_path: Path) -> None:
    header = Header(categories=[Category("widget"), Category("gadget")])
    mask = np.array([[0, 1], [2, 255]], np.uint8)
    seg = Segmentation(
        mask=MaskRef(array=mask),
        segments=[Segment(1, "widget"), Segment(2, "gadget"), Segment(255, "void")],
    )
    item = Item("a", ImageMedia("a.jpg", 2, 2), annotations=[seg])
    nc.write(nc.Dataset.of([item], header=header), tmp_path / "voc", "voc")
    labelmap = parse_labelmap(tmp_path / "voc" / "labelmap.txt")
    assert [(s.name, s.index) for s in labelmap.labels][-3:] == [
        ("widget", 21),
        ("gadget", 22),
        ("void", 255),
    ]
    with Image.open(tmp_path / "voc" / "SegmentationClass" / "a.png") as im:
        np.testing.assert_array_equal(np.asarray(im), [[0, 21], [22, 255]])
    (back,) = nc.read(tmp_path / "voc", "voc").items
    (seg_back,) = [a for a in back.annotations if isinstance(a, Segmentation)]
    assert [(s.index, s.label) for s in seg_back.segments] == [
        (0, "background"),
        (21, "widget"),
        (22, "gadget"),
        (255, "void"),
    ]
    assert not (tmp_path / "voc" / "SegmentationObject").exists()


def test_default_voc_labels_need_no_labelmap() -> None:
    assert LabelMap.default().is_default()
    assert [s.color for s in LabelMap.default().labels][:3] == [(0, 0, 0), (128, 0, 0), (0, 128, 0)]


def test_classification_lists_become_voc_classes_categories_and_come_back(tmp_path: Path) -> None:
    dataset = nc.read(FIXTURE, "voc")
    assert dataset.header.taxonomies["voc_classes"].labels[:2] == ["aeroplane", "bicycle"]
    items = {i.reference_id: i for i in dataset.items}
    cats = [a for a in items["2012_000001"].annotations if isinstance(a, ImageCategory)]
    assert sorted((c.label, c.taxonomy, c.attributes["difficult"]) for c in cats) == [
        ("dog", "voc_classes", 1),
        ("person", "voc_classes", 0),
    ]
    assert items["2012_000003"].metadata == {
        "folder": "VOC2012",
        "segmented": 0,
        "voc_main": ["test"],
    }


def test_an_image_negative_for_every_class_keeps_its_minus_one_lines(tmp_path: Path) -> None:
    root = _tree(tmp_path, _xml(""), name="neg")
    main = root / "ImageSets" / "Main"
    main.mkdir(parents=True)
    (main / "train.txt").write_text("neg\n")
    (main / "cat_train.txt").write_text("neg -1\n")
    (main / "dog_train.txt").write_text("neg -1\n")
    (item,) = nc.read(root, "voc").items
    assert item.metadata["voc_all_negative"] == 1
    nc.convert(root, tmp_path / "nuc", from_="voc", to="nucleus")
    nc.convert(tmp_path / "nuc", tmp_path / "back", from_="nucleus", to="voc")
    assert (tmp_path / "back" / "ImageSets" / "Main" / "cat_train.txt").read_text() == "neg -1\n"


def test_nucleus_categories_write_official_one_minus_one_zero_lines(tmp_path: Path) -> None:
    item = Item(
        "x",
        ImageMedia("x.jpg", 4, 4),
        annotations=[
            ImageCategory(label="cat", taxonomy="voc_classes", attributes={"difficult": 0}),
            ImageCategory(label="dog", taxonomy="voc_classes", attributes={"difficult": 1}),
        ],
    )
    nc.write(nc.Dataset.of([item]), tmp_path / "voc", "voc", subset="val")
    main = tmp_path / "voc" / "ImageSets" / "Main"
    assert (main / "val.txt").read_text() == "x\n"
    assert (main / "cat_val.txt").read_text() == "x  1\n"
    assert (main / "dog_val.txt").read_text() == "x  0\n"
    assert (main / "car_val.txt").read_text() == "x -1\n"
    assert not (main / "background_val.txt").exists()


# ---------------------------------------------------------------------- what VOC cannot carry


def _polygon_item() -> Item:
    poly = Polygon(label="cat", points=[(1.5, 2.0), (8.25, 2.0), (8.25, 6.5)], group_id="g")
    return Item("p", ImageMedia("p.jpg", 20, 20), annotations=[poly])


def test_polygons_are_counted_as_dropped_by_default(tmp_path: Path) -> None:
    result = nc.write(nc.Dataset.of([_polygon_item()]), tmp_path / "voc", "voc")
    assert result.report.entries[("polygon", "*")].count("dropped") == 1
    assert _boxes(tmp_path / "voc" / "Annotations" / "p.xml") == []


def test_polygons_as_boxes_writes_the_enclosing_pixel_box_and_says_so(tmp_path: Path) -> None:
    result = nc.write(
        nc.Dataset.of([_polygon_item()]), tmp_path / "voc", "voc", polygons_as_boxes="true"
    )
    assert result.report.entries[("polygon", "*")].count("approximated") == 1
    # x 1.5..8.25 covers pixels 1..8 (0-based), i.e. VOC columns 2..9
    assert _boxes(tmp_path / "voc" / "Annotations" / "p.xml") == [("cat", ["2", "3", "9", "7"])]


def test_predictions_and_keypoints_are_counted_not_written(tmp_path: Path) -> None:
    item = Item(
        "k",
        ImageMedia("k.jpg", 9, 9),
        annotations=[Box(label="cat", x=0, y=0, width=2, height=2, score=0.9)],
    )
    result = nc.write(nc.Dataset.of([item]), tmp_path / "voc", "voc")
    assert result.report.entries[("box", "*")].count("dropped") == 1
    assert _boxes(tmp_path / "voc" / "Annotations" / "k.xml") == []


# ---------------------------------------------------------------------- layouts and detection


def test_voc_layouts_are_detected_devkit_tree_bare_folder_and_single_file(tmp_path: Path) -> None:
    registry = nc.plugins.get_registry()
    assert registry.detect(FIXTURE).name == "voc"
    assert registry.detect(FIXTURE.parent).name == "voc"  # a VOCdevkit-like parent
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "one.xml").write_text(_xml(_obj("cat", (1, 1, 3, 3))))
    assert registry.detect(bare).name == "voc"
    assert registry.detect(bare / "one.xml").name == "voc"
    assert [i.reference_id for i in nc.read(bare).items] == ["one"]


def test_images_copy_puts_the_jpegs_next_to_the_annotations(tmp_path: Path) -> None:
    nc.convert(FIXTURE, tmp_path / "voc", from_="voc", to="voc", write_options={"images": "copy"})
    copied = sorted(p.name for p in (tmp_path / "voc" / "JPEGImages").iterdir())
    assert copied == ["2012_000001.jpg", "2012_000002.jpg", "2012_000003.jpg"]
    assert (tmp_path / "voc" / "JPEGImages" / "2012_000001.jpg").read_bytes() == (
        FIXTURE / "JPEGImages" / "2012_000001.jpg"
    ).read_bytes()


def test_cli_polygons_as_boxes_flag_reaches_the_voc_writer(tmp_path: Path) -> None:
    nc.write(nc.Dataset.of([_polygon_item()]), tmp_path / "nuc", "nucleus")
    proc = run_cli(
        "convert",
        str(tmp_path / "nuc"),
        str(tmp_path / "voc"),
        "--to",
        "voc",
        "--polygons-as-boxes",
    )
    assert proc.returncode == 0, proc.stderr
    assert "polygons_as_boxes" in proc.stderr  # the approximation is reported
    assert _boxes(tmp_path / "voc" / "Annotations" / "p.xml") == [("cat", ["2", "3", "9", "7"])]
    refused = run_cli(
        "convert",
        str(tmp_path / "nuc"),
        str(tmp_path / "c.json"),
        "--to",
        "coco",
        "--polygons-as-boxes",
    )
    assert refused.returncode == 2 and "has no --polygons-as-boxes" in refused.stderr


def test_an_action_the_label_map_does_not_declare_goes_back_into_actions(tmp_path: Path) -> None:
    extra = "<actions><barking>1</barking></actions>"
    src = _tree(tmp_path, _xml(_obj("dog", (1, 1, 3, 3), extra)))
    nc.convert(src, tmp_path / "back", from_="voc", to="voc")
    root = etree.parse(str(tmp_path / "back" / "Annotations" / "img.xml")).getroot()
    assert root.findtext("object/actions/barking") == "1"
    assert root.find("object/attributes") is None
    assert (tmp_path / "back" / "ImageSets" / "Action" / "default.txt").read_text() == "img\n"
