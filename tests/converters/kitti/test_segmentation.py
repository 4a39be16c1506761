"""nucleus_convert/converters/kitti/segmentation.py: KITTI instance and semantic PNGs as
Cityscapes segmentations: read, written back pixel for pixel (also through Nucleus), classes
Cityscapes lacks reported, and PNGs the format cannot hold refused naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from judge import judge_bundle
from kitti_trees import DATUMARO_KITTI, NO_CORPUS, NO_CORPUS_REASON, items_by_ref
from PIL import Image

import nucleus_convert as nc
from nucleus_convert.model import Dataset, Item, MaskRef, Segment, Segmentation


def instance_png(path: Path, values: list[list[int]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.array(values, dtype=np.uint16)).save(path)


def test_instance_png_becomes_cityscapes_segments_with_instance_ids(tmp_path: Path) -> None:
    # 26 = car, 24 = person, 7 = road: two cars, a person, road
    values = [[7 * 256, 26 * 256 + 1, 26 * 256 + 2], [24 * 256 + 1, 7 * 256, 26 * 256 + 1]]
    instance_png(tmp_path / "k" / "instance" / "000000_10.png", values)
    [item] = items_by_ref(tmp_path / "k").items
    [seg] = item.annotations
    assert isinstance(seg, Segmentation) and seg.id == "instance"
    assert [(s.index, s.label, s.attributes) for s in seg.segments] == [
        (0, "road", None),
        (1, "person", {"instance": 1}),
        (2, "car", {"instance": 1}),
        (3, "car", {"instance": 2}),
    ]
    assert seg.mask.load().tolist() == [[0, 2, 3], [1, 0, 2]]
    nc.convert(tmp_path / "k", tmp_path / "out", from_="kitti", to="kitti")
    back = np.asarray(Image.open(tmp_path / "out" / "instance" / "000000_10.png"))
    assert back.tolist() == values
    semantic = np.asarray(Image.open(tmp_path / "out" / "semantic" / "000000_10.png"))
    assert semantic.tolist() == [[7, 26, 26], [24, 7, 26]]


def test_semantic_only_png_reads_as_a_semantic_segmentation(tmp_path: Path) -> None:
    path = tmp_path / "k" / "semantic" / "a.png"
    path.parent.mkdir(parents=True)
    Image.fromarray(np.array([[0, 23], [23, 21]], dtype=np.uint8)).save(path)
    [item] = items_by_ref(tmp_path / "k").items
    [seg] = item.annotations
    assert isinstance(seg, Segmentation) and seg.id == "semantic"
    assert [s.label for s in seg.segments] == ["unlabeled", "vegetation", "sky"]
    nc.convert(tmp_path / "k", tmp_path / "out", from_="kitti", to="kitti")
    assert not (tmp_path / "out" / "instance").exists()
    back = np.asarray(Image.open(tmp_path / "out" / "semantic" / "a.png"))
    assert back.tolist() == [[0, 23], [23, 21]]


def test_kitti_segmentation_through_nucleus_keeps_every_pixel(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    values = (rng.integers(0, 34, (40, 60)) * 256 + rng.integers(0, 3, (40, 60))).tolist()
    instance_png(tmp_path / "k" / "instance" / "f.png", values)
    (tmp_path / "k" / "image_2").mkdir()
    Image.new("RGB", (60, 40)).save(tmp_path / "k" / "image_2" / "f.png")
    nc.convert(tmp_path / "k", tmp_path / "bundle", from_="kitti", to="nucleus")
    judge_bundle(tmp_path / "bundle")
    nc.convert(tmp_path / "bundle", tmp_path / "back", from_="nucleus", to="kitti")
    back = np.asarray(Image.open(tmp_path / "back" / "instance" / "f.png"))
    assert back.tolist() == values


def test_segment_without_a_cityscapes_class_is_unlabeled_and_reported(tmp_path: Path) -> None:
    seg = Segmentation(
        id="instance",
        mask=MaskRef(array=np.array([[0, 1]], dtype=np.uint8)),
        segments=[Segment(0, "road"), Segment(1, "unicorn")],
    )
    result = nc.write(Dataset.of([Item("a", annotations=[seg])]), tmp_path / "out", "kitti")
    back = np.asarray(Image.open(tmp_path / "out" / "instance" / "a.png"))
    assert back.tolist() == [[7 * 256, 0]]
    assert any(e.kind == "segmentation" and e.count("dropped") for e in result.report)


def test_more_than_256_classes_and_instances_is_an_error_naming_the_png(tmp_path: Path) -> None:
    values = [[26 * 256 + i % 256 for i in range(200)], [27 * 256 + i % 256 for i in range(200)]]
    instance_png(tmp_path / "k" / "instance" / "f.png", values)
    with pytest.raises(nc.InputError, match="256") as info:
        nc.read(tmp_path / "k", "kitti").materialize()
    assert str(info.value).startswith(str(tmp_path / "k" / "instance" / "f.png"))


def test_class_id_past_cityscapes_is_an_error_naming_the_png(tmp_path: Path) -> None:
    instance_png(tmp_path / "k" / "instance" / "f.png", [[40 * 256]])
    with pytest.raises(nc.InputError, match="class id 40"):
        nc.read(tmp_path / "k", "kitti")


@pytest.mark.skipif(NO_CORPUS, reason=NO_CORPUS_REASON)
def test_corpus_instance_pngs_read_with_their_classes_and_instances() -> None:
    ds = items_by_ref(DATUMARO_KITTI / "kitti_segmentation")
    segs = {it.reference_id: it.annotations[0] for it in ds.items}
    seg = segs["training/000030_10"]
    assert isinstance(seg, Segmentation)
    # pixel values 768 (3 * 256: out of roi), 6913 and 6914 (27 * 256 + 1, + 2: trucks)
    assert [(s.label, s.attributes) for s in seg.segments] == [
        ("out of roi", None),
        ("truck", {"instance": 1}),
        ("truck", {"instance": 2}),
    ]
    assert seg.mask.load().tolist() == [[0, 0, 1, 2, 2]]
