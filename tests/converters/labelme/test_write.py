"""Writing LabelMe files: the layout, images, ids and groups, attributes, flags, and exactly what
is counted as lost."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from paths import FIXTURES
from PIL import Image

import nucleus_convert as nc
from nucleus_convert.converters.labelme.schema import FLAGS_TAXONOMY
from nucleus_convert.errors import OutputError
from nucleus_convert.geometry.rle import decode
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Box,
    Header,
    ImageCategory,
    ImageMedia,
    InstanceMask,
    Item,
    Keypoint,
    Keypoints,
    MaskRef,
    MultiCategory,
    Polygon,
    Polyline,
    Segment,
    Segmentation,
    Taxonomy,
    Visibility,
)


def _image(tmp_path: Path, name: str = "img.png", size: tuple[int, int] = (40, 30)) -> str:
    path = tmp_path / "media" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (10, 20, 30)).save(path)
    return str(path)


def _write(
    tmp_path: Path, items: list[Item], header: Header | None = None, **options: Any
) -> tuple[Path, LossReport]:
    out = tmp_path / "out"
    options.setdefault("images", "none")  # most items name no real image
    report = nc.write(nc.Dataset.of(items, header=header), out, "labelme", **options).report
    return out, report


def _doc(path: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return value


def _rows(report: LossReport) -> dict[tuple[str, str], tuple[int, int]]:
    return {(e.kind, e.field): (e.count("approximated"), e.count("dropped")) for e in report}


# ---------------------------------------------------------------------- layout and images


def test_each_item_is_a_json_file_named_after_its_image_with_the_image_copied_beside_it(
    tmp_path: Path,
) -> None:
    items = [
        Item("photo.jpg", media=ImageMedia(_image(tmp_path, "p.jpg"), 40, 30)),
        Item("night/street 2", media=ImageMedia(_image(tmp_path), 40, 30)),
    ]
    out, report = _write(tmp_path, items, images="copy")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "night/street 2.json",
        "night/street 2.png",
        "photo.jpg",
        "photo.json",
    ]
    doc = _doc(out / "night" / "street 2.json")
    assert (doc["version"], doc["imagePath"], doc["imageData"]) == ("5.5.0", "street 2.png", None)
    assert (doc["imageWidth"], doc["imageHeight"]) == (40, 30)
    assert list(doc)[:7] == [
        "version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth"
    ]  # fmt: skip
    # 'photo.jpg' is read back as 'photo': counted
    assert _rows(report) == {("item", "reference_id"): (1, 0)}
    assert [i.reference_id for i in nc.read(out).items] == ["night/street 2", "photo"]


def test_images_none_names_the_original_image_by_its_absolute_path(tmp_path: Path) -> None:
    source = _image(tmp_path)
    out, report = _write(tmp_path, [Item("a", media=ImageMedia(source, 40, 30))], images="none")
    assert _doc(out / "a.json")["imagePath"] == str(Path(source).absolute())
    assert sorted(p.name for p in out.iterdir()) == ["a.json"]
    assert not report.has_loss()
    (item,) = nc.read(out).items
    assert item.media.path == str(Path(source).absolute())  # type: ignore[union-attr]


def test_image_data_embeds_the_image_file(tmp_path: Path) -> None:
    source = _image(tmp_path)
    out, _ = _write(tmp_path, [Item("a", media=ImageMedia(source))], image_data=True)
    assert sorted(p.name for p in out.iterdir()) == ["a.json"]
    doc = _doc(out / "a.json")
    assert base64.b64decode(doc["imageData"]) == Path(source).read_bytes()
    assert (doc["imageWidth"], doc["imageHeight"]) == (40, 30)  # from the image's header


def test_an_image_that_cannot_be_copied_keeps_its_location_and_is_counted(
    tmp_path: Path,
) -> None:
    item = Item("a", media=ImageMedia("s3://bucket/a.jpg", 40, 30))
    out, report = _write(tmp_path, [item], images="copy")
    assert _doc(out / "a.json")["imagePath"] == "s3://bucket/a.jpg"
    assert _rows(report) == {("item", "media"): (1, 0)}


@pytest.mark.parametrize(
    "ref", ["../escape", "/abs/path", "a/../../b", ".hidden", "a\\b", "x\x00y"]
)
def test_a_hostile_reference_id_becomes_a_safe_name_inside_the_destination(
    tmp_path: Path, ref: str
) -> None:
    item = Item(ref, media=ImageMedia(_image(tmp_path), 40, 30))
    out, report = _write(tmp_path, [item], images="copy")
    written = list(tmp_path.rglob("*.json"))
    assert len(written) == 1 and written[0].parent == out
    assert _rows(report)[("item", "reference_id")] == (1, 0)


@pytest.mark.parametrize("refs", [["a.jpg", "a.png"], ["c.jpg", "c"], ["c", "c.jpg", "c"]])
def test_ids_that_would_share_a_file_get_a_file_each(tmp_path: Path, refs: list[str]) -> None:
    items = [
        Item(ref, media=ImageMedia(_image(tmp_path, f"{n}.png"), 40, 30), metadata={"n": n})
        for n, ref in enumerate(refs)
    ]
    out, _ = _write(tmp_path, items, images="copy")
    assert len(list(out.glob("*.json"))) == len(refs)
    assert sorted(i.metadata["n"] for i in nc.read(out).items) == list(range(len(refs)))


# ---------------------------------------------------------------------- shapes


def test_ids_that_are_positions_keep_their_place_and_others_fill_in(tmp_path: Path) -> None:
    anns: list[Any] = [
        Box(label="late", id="2", x=0, y=0, width=1, height=1),
        Box(label="free", id=None, x=0, y=0, width=1, height=1),
        Box(label="first", id="0", x=0, y=0, width=1, height=1),
        Box(label="coco", id="417", x=0, y=0, width=1, height=1),
    ]
    out, report = _write(tmp_path, [Item("a", media=ImageMedia("a.png", 40, 30), annotations=anns)])
    labels = [s["label"] for s in _doc(out / "a.json")["shapes"]]
    assert labels == ["first", "free", "late", "coco"]
    assert _rows(report)[("box", "id")] == (1, 0)  # '417' is now '3'
    back = [(a.label, a.id) for a in next(iter(nc.read(out).items)).annotations]
    assert back == [("first", "0"), ("free", "1"), ("late", "2"), ("coco", "3")]


def test_integer_groups_are_kept_and_other_groups_become_new_integers(tmp_path: Path) -> None:
    anns: list[Any] = [
        Polygon(label="car", group_id="4", points=[(0, 0), (1, 0), (1, 1)]),
        Box(label="car", group_id="4", x=0, y=0, width=1, height=1),
        Box(label="head", group_id="1.1", x=0, y=0, width=1, height=1),
        Box(label="hand", group_id="1.1", x=0, y=0, width=1, height=1),
        Box(label="alone", x=0, y=0, width=1, height=1),
    ]
    out, report = _write(tmp_path, [Item("a", media=ImageMedia("a.png", 40, 30), annotations=anns)])
    groups = [s["group_id"] for s in _doc(out / "a.json")["shapes"]]
    assert groups == [4, 4, 5, 5, None]
    assert _rows(report)[("box", "group_id")] == (2, 0)


def test_attributes_become_flags_description_and_shape_keys(tmp_path: Path) -> None:
    attrs = {
        "occluded": True,
        "description": "left door open",
        "difficult": 0,
        "tags": ["a", "b"],
        "points": 3,  # a key LabelMe reserves
    }
    box = Box(label="car", x=1, y=2, width=3, height=4, attributes=attrs)
    out, report = _write(
        tmp_path, [Item("a", media=ImageMedia("a.png", 40, 30), annotations=[box])]
    )
    (shape,) = _doc(out / "a.json")["shapes"]
    assert shape["flags"] == {"occluded": True}
    assert shape["description"] == "left door open"
    assert (shape["difficult"], shape["tags"], shape["points"]) == (0, ["a", "b"], [[1, 2], [4, 6]])
    assert _rows(report) == {("box", "attributes.points"): (0, 1)}
    (again,) = nc.read(out).items
    assert again.annotations[0].attributes == {k: v for k, v in attrs.items() if k != "points"}


def test_a_two_point_polyline_is_a_line_and_a_longer_one_a_linestrip(tmp_path: Path) -> None:
    anns: list[Any] = [
        Polyline(label="a", points=[(0, 0), (1, 1)]),
        Polyline(label="b", points=[(0, 0), (1, 1), (2, 0)]),
    ]
    out, _ = _write(tmp_path, [Item("a", media=ImageMedia("a.png", 40, 30), annotations=anns)])
    assert [s["shape_type"] for s in _doc(out / "a.json")["shapes"]] == ["line", "linestrip"]


def test_one_point_keypoints_are_a_point_and_what_it_cannot_hold_is_counted(
    tmp_path: Path,
) -> None:
    anns: list[Any] = [
        Keypoints(label="eye", names=["eye"], points=[Keypoint(3, 4, Visibility.VISIBLE)]),
        Keypoints(label="face", names=["nose"], points=[Keypoint(5, 6, Visibility.HIDDEN)]),
    ]
    out, report = _write(tmp_path, [Item("a", media=ImageMedia("a.png", 40, 30), annotations=anns)])
    shapes = _doc(out / "a.json")["shapes"]
    assert [(s["label"], s["shape_type"], s["points"]) for s in shapes] == [
        ("eye", "point", [[3, 4]]),
        ("face", "point", [[5, 6]]),
    ]
    assert _rows(report) == {
        ("keypoints", "points.visibility"): (1, 0),
        ("keypoints", "names"): (0, 1),
    }


def test_keypoints_of_several_points_are_grouped_points_named_by_keypoint(
    tmp_path: Path,
) -> None:
    person = Keypoints(
        label="person",
        names=["nose", "left_eye", "right_eye"],
        skeleton=[(0, 1)],
        points=[
            Keypoint(10, 10, Visibility.VISIBLE),
            Keypoint(None, None, Visibility.UNLABELLED),
            Keypoint(14, 9, Visibility.HIDDEN),
        ],
    )
    out, report = _write(
        tmp_path, [Item("a", media=ImageMedia("a.png", 40, 30), annotations=[person])]
    )
    shapes = _doc(out / "a.json")["shapes"]
    assert [(s["label"], s["points"], s["group_id"]) for s in shapes] == [
        ("nose", [[10, 10]], 0),
        ("right_eye", [[14, 9]], 0),
    ]
    assert _rows(report) == {("keypoints", "*"): (1, 0)}


def test_a_segmentation_is_one_mask_shape_per_segment_with_pixels(tmp_path: Path) -> None:
    index = np.zeros((30, 40), dtype=np.uint8)
    index[2:5, 3:7] = 1
    index[20:22, 30:31] = 2
    seg = Segmentation(
        mask=MaskRef(array=index),
        segments=[
            Segment(1, "cat", {"occluded": True}, group_id="7"),
            Segment(2, "dog"),
            Segment(3, "ghost"),
        ],
    )
    out, report = _write(
        tmp_path, [Item("a", media=ImageMedia("a.png", 40, 30), annotations=[seg])]
    )
    shapes = _doc(out / "a.json")["shapes"]
    assert [
        (s["label"], s["shape_type"], s["points"], s["group_id"], s["flags"]) for s in shapes
    ] == [
        ("cat", "mask", [[3, 2], [6, 4]], 7, {"occluded": True}),
        ("dog", "mask", [[30, 20], [30, 21]], None, {}),
    ]
    assert _rows(report) == {("segmentation", "*"): (1, 0), ("segmentation", "segments"): (0, 1)}
    masks = [a for a in next(iter(nc.read(out).items)).annotations if isinstance(a, InstanceMask)]
    assert np.array_equal(decode(masks[0].rle), (index == 1).astype(np.uint8))


def test_a_mask_of_another_size_than_its_image_is_an_error_naming_it(tmp_path: Path) -> None:
    from nucleus_convert.geometry.rle import encode

    mask = InstanceMask(label="m", id="9", rle=encode(np.ones((3, 3), dtype=np.uint8)))
    with pytest.raises(OutputError, match=r"item 'a', instance_mask '9': the mask is 3x3"):
        _write(tmp_path, [Item("a", media=ImageMedia("a.png", 40, 30), annotations=[mask])])


# ---------------------------------------------------------------------- flags


def test_categories_are_true_flags_and_the_taxonomys_other_labels_false(tmp_path: Path) -> None:
    header = Header(taxonomies={FLAGS_TAXONOMY: Taxonomy(FLAGS_TAXONOMY, ["day", "night", "fog"])})
    anns: list[Any] = [ImageCategory(label="fog", taxonomy=FLAGS_TAXONOMY)]
    out, report = _write(
        tmp_path, [Item("a", media=ImageMedia("a.png", 40, 30), annotations=anns)], header
    )
    assert _doc(out / "a.json")["flags"] == {"day": False, "night": False, "fog": True}
    assert not report.has_loss()


def test_categories_of_other_taxonomies_and_multicategories_are_flags_counted(
    tmp_path: Path,
) -> None:
    header = Header(taxonomies={"weather": Taxonomy("weather", ["sunny", "rainy"])})
    anns: list[Any] = [
        ImageCategory(label="sunny", taxonomy="weather"),
        MultiCategory(labels=["indoor", "blurry"], taxonomy="tags"),
        ImageCategory(label="sunny", taxonomy="weather"),
    ]
    out, report = _write(
        tmp_path, [Item("a", media=ImageMedia("a.png", 40, 30), annotations=anns)], header
    )
    assert _doc(out / "a.json")["flags"] == {"sunny": True, "indoor": True, "blurry": True}
    assert _rows(report) == {
        ("category", "taxonomy"): (2, 0),
        ("category", "*"): (2, 1),
        ("multicategory", "*"): (1, 0),
        ("header", "taxonomies"): (0, 1),
    }


# ---------------------------------------------------------------------- what is not written


def test_predictions_point_clouds_and_item_metadata_that_cannot_be_keys_are_counted(
    tmp_path: Path,
) -> None:
    from nucleus_convert.model import PointCloudMedia

    items = [
        Item(
            "a",
            media=ImageMedia("a.png", 40, 30),
            metadata={"weather": "fog", "shapes": 3},
            annotations=[Box(label="car", x=0, y=0, width=1, height=1, score=0.5)],
        ),
        Item("lidar", media=PointCloudMedia(path="x.bin")),
    ]
    out, report = _write(tmp_path, items)
    doc = _doc(out / "a.json")
    assert (doc["weather"], doc["shapes"]) == ("fog", [])
    assert _rows(report) == {
        ("box", "*"): (0, 1),
        ("item", "metadata.shapes"): (0, 1),
        ("item", "*"): (0, 1),
    }


def test_the_fixture_written_again_is_read_back_identical(tmp_path: Path) -> None:
    original = nc.read(FIXTURES / "labelme").materialize()
    result = nc.write(original.stream(), tmp_path / "out", "labelme")
    assert not result.report.has_loss()
    again = nc.read(tmp_path / "out").materialize()
    assert [i.annotations for i in again.items] == [i.annotations for i in original.items]
    assert [i.metadata for i in again.items] == [i.metadata for i in original.items]
    assert again.header.taxonomies == original.header.taxonomies
