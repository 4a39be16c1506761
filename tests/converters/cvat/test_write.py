"""nucleus_convert/converters/cvat/write.py (and items_write, shapes_write, video_write,
spec_write): CVAT read back exactly, the XML CVAT expects, and every loss counted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.errors import OutputError
from nucleus_convert.geometry.rle import decode
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Box,
    Category,
    Dataset,
    Header,
    ImageMedia,
    InstanceMask,
    Item,
    MaskRef,
    Polygon,
    Segment,
    Segmentation,
)
from nucleus_convert.roundtrip import compare

IMAGES = FIXTURES / "cvat" / "images_task.xml"
VIDEO = FIXTURES / "cvat" / "video_task.xml"


def _write(dataset: Dataset, out: Path, **options: object) -> LossReport:
    return nc.write(dataset, out, "cvat", **options).report


def _lossy(report: LossReport) -> dict[tuple[str, str], dict[str, int]]:
    return {(e.kind, e.field): e.counts for e in report.lossy_entries()}


@pytest.mark.parametrize("source", [IMAGES, VIDEO], ids=lambda p: p.name)
def test_cvat_read_and_written_again_reads_back_equal_with_nothing_lost(
    source: Path, tmp_path: Path
) -> None:
    original = nc.read(source, "cvat").materialize()
    report = _write(original.stream(), tmp_path / "out")
    assert _lossy(report) == {}
    back = nc.read(tmp_path / "out", "cvat").materialize()
    assert _lossy(compare(original, back, tolerance=0.0)) == {}
    assert back.header.extra["cvat"] == original.header.extra["cvat"]
    assert [c.attributes for c in back.header.categories] == [
        c.attributes for c in original.header.categories
    ]


def test_the_same_dataset_gives_the_same_bytes(tmp_path: Path) -> None:
    for n in (1, 2):
        _write(nc.read(VIDEO, "cvat"), tmp_path / f"out{n}")
    first = (tmp_path / "out1" / "annotations.xml").read_bytes()
    assert first == (tmp_path / "out2" / "annotations.xml").read_bytes()
    assert b"<dumped>" not in first


def test_images_are_written_as_cvat_writes_them(tmp_path: Path) -> None:
    _write(nc.read(IMAGES, "cvat"), tmp_path / "out")
    root = etree.parse(str(tmp_path / "out" / "annotations.xml")).getroot()
    assert root.findtext("version") == "1.1"
    assert root.findtext("meta/task/mode") == "annotation"
    first = root.find("image")
    assert first is not None
    assert dict(first.attrib) == {"id": "0", "name": "street 1.png", "width": "32", "height": "24"}
    turned = first.findall("box")[1]
    assert {k: turned.get(k) for k in ("xtl", "ytl", "xbr", "ybr", "rotation")} == {
        "xtl": "14", "ytl": "2", "xbr": "22", "ybr": "6", "rotation": "30",
    }  # fmt: skip
    assert turned.get("source") == "auto" and turned.get("occluded") == "0"
    source = etree.parse(str(IMAGES)).getroot()
    for ours, theirs in zip(root.iter("mask"), source.iter("mask"), strict=True):
        for key in ("rle", "left", "top", "width", "height"):
            assert ours.get(key) == theirs.get(key)
    skeleton = first.find("skeleton")
    assert skeleton is not None and [
        (p.get("label"), p.get("outside"), p.get("occluded")) for p in skeleton.iter("points")
    ] == [("head", "0", "0"), ("hand", "0", "1"), ("foot", "1", "0")]
    pose = next(lb for lb in root.iter("label") if lb.findtext("name") == "pose")
    assert pose.findtext("type") == "skeleton" and "data-node-from" in (pose.findtext("svg") or "")
    parents = [lb.findtext("name") for lb in root.iter("label") if lb.findtext("parent") == "pose"]
    assert parents == ["head", "hand", "foot"]


def test_tracks_get_an_outside_shape_after_each_run_of_frames(tmp_path: Path) -> None:
    _write(nc.read(VIDEO, "cvat"), tmp_path / "out")
    root = etree.parse(str(tmp_path / "out" / "annotations.xml")).getroot()
    assert [root.findtext(f"meta/task/{k}") for k in ("start_frame", "stop_frame")] == ["0", "8"]
    assert root.findtext("meta/task/frame_filter") == "step=2"
    assert root.findtext("meta/source") == "drive.mp4"
    frames = {
        t.get("id"): [(s.get("frame"), s.get("outside"), s.get("keyframe")) for s in t]
        for t in root.iter("track")
    }
    assert frames["0"] == [("0", "0", "1"), ("2", "0", "0"), ("4", "0", "1"), ("6", "1", "1")]
    assert frames["1"] == [("2", "0", "1"), ("4", "0", "1"), ("6", "0", "1"), ("8", "0", "1")]
    assert [f[:2] for f in frames["2"]] == [("0", "0"), ("2", "1"), ("4", "0"), ("6", "1")]
    person = next(t for t in root.iter("track") if t.get("id") == "1")
    assert (person.get("source"), person.get("group_id")) == ("auto", "2")


def _item(ref: str, *anns: object, **metadata: object) -> Item:
    return Item(ref, media=ImageMedia(f"/nowhere/{ref}.png", 20, 10), metadata=dict(metadata),
                annotations=list(anns))  # type: ignore[arg-type]  # fmt: skip


def test_what_cvat_cannot_carry_is_counted(tmp_path: Path) -> None:
    items = [
        _item(
            "a",
            Box(label="car", id="b-7", x=1, y=1, width=2, height=2, track_id="t", group_id="g"),
            Box(label="car", x=1, y=1, width=2, height=2, score=0.5),
            Box(label="car", x=1, y=1, width=2, height=2, attributes={"tags": ["x"], "n": 2}),
            weather="rain",
        )
    ]
    report = _write(Dataset.of(items, header=Header()), tmp_path / "out")
    assert _lossy(report) == {
        ("box", "*"): {"dropped": 1},  # the prediction
        ("box", "id"): {"approximated": 1},  # read back as box1
        ("box", "track_id"): {"dropped": 1},  # no tracks in CVAT for images
        ("box", "group_id"): {"approximated": 1},  # renumbered 1
        ("box", "attributes.tags"): {"dropped": 1},
        ("item", "metadata.weather"): {"dropped": 1},
    }
    back = nc.read(tmp_path / "out", "cvat").materialize()
    first, second = back.items[0].annotations
    assert (first.id, first.group_id, second.attributes) == ("box1", "1", {"n": 2})


def test_segmentations_become_one_mask_per_segment(tmp_path: Path) -> None:
    index = np.zeros((10, 20), dtype=np.uint8)
    index[2:5, 3:9] = 1
    index[6:, 10:] = 2
    seg = Segmentation(
        mask=MaskRef(array=index),
        segments=[
            Segment(1, "car", {"note": "front"}, group_id="7"),
            Segment(2, "road"),
            Segment(3, "sky"),
        ],
    )
    report = _write(Dataset.of([_item("a", seg)]), tmp_path / "out")
    assert _lossy(report) == {
        ("segmentation", "*"): {"approximated": 1},
        ("segmentation", "segments"): {"dropped": 1},  # "sky" has no pixels
    }
    masks = nc.read(tmp_path / "out", "cvat").materialize().items[0].annotations
    assert [(m.label, m.attributes, m.group_id) for m in masks] == [
        ("car", {"note": "front"}, "7"),
        ("road", {}, None),
    ]
    assert all(isinstance(m, InstanceMask) for m in masks)
    assert np.array_equal(decode(masks[0].rle), index == 1)  # type: ignore[attr-defined]


def test_attribute_types_come_back_or_are_counted(tmp_path: Path) -> None:
    boxes = [
        Box(label="car", x=0, y=0, width=1, height=1, attributes=attrs)
        for attrs in (
            {"ok": True, "n": 3, "f": 2.5, "s": "x"},
            {"ok": False, "n": 4, "f": 1, "s": "7"},
        )
    ]
    mixed = Box(label="bus", x=0, y=0, width=1, height=1, attributes={"v": 1})
    other = Box(label="bus", x=0, y=0, width=1, height=1, attributes={"v": "one"})
    report = _write(Dataset.of([_item("a", *boxes, mixed, other)]), tmp_path / "out")
    assert _lossy(report) == {("box", "attributes.v"): {"approximated": 2}}
    back = nc.read(tmp_path / "out", "cvat").materialize().items[0].annotations
    assert [b.attributes for b in back[:2]] == [b.attributes for b in boxes]
    assert [b.attributes for b in back[2:]] == [{"v": "1"}, {"v": "one"}]


def test_the_video_flavour_makes_tracks_of_anything(tmp_path: Path) -> None:
    items = [
        _item("x", Box(label="car", x=1, y=1, width=2, height=2, track_id="car-a")),
        _item("y", Box(label="car", x=2, y=1, width=2, height=2, track_id="car-a")),
        _item("z", Polygon(label="car", points=[(0, 0), (1, 0), (1, 1)])),
    ]
    report = _write(Dataset.of(items), tmp_path / "out", flavour="video")
    lossy = _lossy(report)
    assert lossy[("item", "metadata.frame")] == {"approximated": 3}  # numbered 0, 1, 2
    assert lossy[("item", "reference_id")] == {"approximated": 3}  # frame_000000...
    assert lossy[("box", "track_id")] == {"approximated": 2}  # "car-a" became 0
    assert lossy[("polygon", "track_id")] == {"approximated": 1}  # a track of its own
    back = nc.read(tmp_path / "out", "cvat").materialize()
    assert [i.reference_id for i in back.items] == ["frame_000000", "frame_000001", "frame_000002"]
    assert [a.track_id for i in back.items for a in i.annotations] == ["0", "0", "1"]


def test_frames_of_different_sizes_cannot_be_one_video(tmp_path: Path) -> None:
    small = Item("a", media=ImageMedia("a.png", 4, 4))
    large = Item("b", media=ImageMedia("b.png", 8, 8))
    with pytest.raises(OutputError, match="CVAT for video has one frame size"):
        _write(Dataset.of([small, large]), tmp_path / "out", flavour="video")
    assert not (tmp_path / "out").exists()


def test_images_are_copied_under_their_names_and_unsafe_names_are_counted(
    tmp_path: Path,
) -> None:
    dataset = nc.read(IMAGES, "cvat").materialize()
    dataset.items.append(
        Item("../escape.png", media=ImageMedia(str(IMAGES.parent / "images" / "empty.png"), 16, 16))
    )
    report = _write(dataset.stream(), tmp_path / "out", images="copy")
    copied = sorted(p.relative_to(tmp_path / "out" / "images").as_posix()
                    for p in (tmp_path / "out" / "images").rglob("*.png"))  # fmt: skip
    assert copied == ["empty.png", "street 1.png", "street 2.png", "sub dir/far.png"]
    assert _lossy(report)[("item", "media")] == {"dropped": 1}
    assert not (tmp_path / "escape.png").exists()


@pytest.mark.parametrize(
    ("dataset", "says"),
    [
        (lambda: Dataset.of([_item("a\x00b")]), "cannot be a CVAT image name"),
        (
            lambda: Dataset.of([_item("a", Box(label="c\x01", x=0, y=0, width=1, height=1))]),
            "the label holds",
        ),
        (
            lambda: Dataset.of([_item("a")], header=Header(categories=[Category("bad\x02")])),
            "label spec, <name>",
        ),
    ],
)
def test_text_xml_cannot_hold_is_an_output_error_and_nothing_is_written(
    dataset: Callable[[], Dataset], says: str, tmp_path: Path
) -> None:
    with pytest.raises(OutputError, match=says):
        _write(dataset(), tmp_path / "out")
    assert not (tmp_path / "out").exists()
