"""Reading LabelMe files: every shape type, flags, groups, attributes, metadata, image
locations and sizes, single files and nested folders, 3.x to 5.x files."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.converters.labelme.schema import FLAGS_TAXONOMY
from nucleus_convert.model import (
    Box,
    ImageCategory,
    Keypoints,
    Polygon,
    Polyline,
    Visibility,
)

FileBuilder = Callable[..., Path]
ShapeBuilder = Callable[..., dict[str, Any]]
FIXTURE = FIXTURES / "labelme"


def test_the_fixture_folder_reads_nested_files_in_sorted_order_with_their_relative_ids() -> None:
    dataset = nc.read(FIXTURE).materialize()
    assert [i.reference_id for i in dataset.items] == ["empty image", "indoor/kitchen", "street"]
    assert dataset.header.source == {"format": "labelme", "path": str(FIXTURE)}


def test_every_shape_type_of_the_fixture_maps_to_its_model_kind() -> None:
    street = next(i for i in nc.read(FIXTURE).items if i.reference_id == "street")
    kinds = [(a.kind, a.label, a.id) for a in street.annotations]
    assert kinds == [
        ("box", "sign", "0"),
        ("polygon", "car", "1"),
        ("box", "car", "2"),
        ("polyline", "lane", "3"),
        ("polyline", "curb", "4"),
        ("keypoints", "lamp", "5"),
        ("instance_mask", "puddle", "6"),
        ("instance_mask", "leaf", "7"),
        ("category", "day", None),
    ]
    lamp = street.annotations[5]
    assert isinstance(lamp, Keypoints)
    assert lamp.names == ["lamp"] and lamp.skeleton is None
    assert lamp.points[0].visibility == Visibility.VISIBLE
    assert street.annotations[4] == Polyline(
        label="curb", id="4", points=[(0.5, 10.0), (31.0, 9.5)]
    )


def test_group_ids_shape_flags_and_description_become_group_and_attributes() -> None:
    street = next(i for i in nc.read(FIXTURE).items if i.reference_id == "street")
    polygon, box = street.annotations[1], street.annotations[2]
    assert isinstance(polygon, Polygon) and isinstance(box, Box)
    assert polygon.group_id == box.group_id == "1"
    assert polygon.attributes == {
        "occluded": True,
        "truncated": False,
        "description": "red hatchback",
    }
    assert box.attributes == {}  # an empty description and no flags are no attributes
    assert street.annotations[6].attributes == {"dry": False}


def test_image_flags_are_categories_of_one_taxonomy_that_lists_every_flag() -> None:
    dataset = nc.read(FIXTURE).materialize()
    taxonomy = dataset.header.taxonomies[FLAGS_TAXONOMY]
    assert taxonomy.labels == ["day", "night"]
    cats = {
        i.reference_id: [a.label for a in i.annotations if isinstance(a, ImageCategory)]
        for i in dataset.items
    }
    assert cats == {"empty image": [], "indoor/kitchen": ["night"], "street": ["day"]}
    assert all(
        a.taxonomy == FLAGS_TAXONOMY
        for i in dataset.items
        for a in i.annotations
        if isinstance(a, ImageCategory)
    )


def test_header_categories_are_the_labels_in_order_of_first_appearance() -> None:
    dataset = nc.read(FIXTURE).materialize()
    assert [c.name for c in dataset.header.categories] == [
        "coffee mug",
        "table edge",
        "night",
        "sign",
        "car",
        "lane",
        "curb",
        "lamp",
        "puddle",
        "leaf",
        "day",
    ]


def test_a_3x_file_keeps_its_colours_as_metadata_and_drops_null_shape_colours() -> None:
    kitchen = next(i for i in nc.read(FIXTURE).items if i.reference_id == "indoor/kitchen")
    assert kitchen.metadata == {"lineColor": [0, 255, 0, 128], "fillColor": [255, 0, 0, 128]}
    mug = kitchen.annotations[0]
    assert (mug.label, mug.attributes) == ("coffee mug", {"occluded": False})


def test_a_windows_image_path_is_resolved_from_the_files_folder_and_sizes_differ() -> None:
    items = {i.reference_id: i for i in nc.read(FIXTURE).items}
    kitchen = items["indoor/kitchen"].media
    assert kitchen is not None and isinstance(kitchen.path, str)
    assert Path(kitchen.path) == FIXTURE / "indoor" / "images" / "kitchen.png"
    # no imageWidth/imageHeight in the 3.x file: the size is the image's
    assert (kitchen.width, kitchen.height) == (20, 16)  # type: ignore[union-attr]
    assert (items["street"].media.width, items["street"].media.height) == (32, 24)  # type: ignore[union-attr]
    assert (items["empty image"].media.width, items["empty image"].media.height) == (16, 16)  # type: ignore[union-attr]


def test_other_top_level_keys_are_item_metadata_and_version_is_not() -> None:
    street = next(i for i in nc.read(FIXTURE).items if i.reference_id == "street")
    assert street.metadata == {"reviewed_by": "fixture script"}


def test_a_single_file_is_one_item_named_by_its_stem(labelme_file: FileBuilder) -> None:
    src = labelme_file("photo of a cat.json")
    dataset = nc.read(src).materialize()
    assert [i.reference_id for i in dataset.items] == ["photo of a cat"]
    assert dataset.items[0].annotations == []


def test_hidden_files_and_folders_are_left_out(labelme_file: FileBuilder) -> None:
    labelme_file("a.json")
    labelme_file(".hidden.json")
    src = labelme_file(".cache/b.json").parent.parent
    assert [i.reference_id for i in nc.read(src, "labelme").items] == ["a"]


def test_the_oldest_files_without_shape_type_are_polygons(
    labelme_file: FileBuilder,
) -> None:
    old = {"label": "dog", "points": [[1, 2], [3, 4], [5, 1]], "line_color": None}
    src = labelme_file(shapes=[old], version="3.0.0", flags=None)
    (item,) = nc.read(src).items
    assert item.annotations == [
        Polygon(label="dog", id="0", points=[(1.0, 2.0), (3.0, 4.0), (5.0, 1.0)])
    ]


def test_an_oriented_rectangle_is_the_polygon_of_its_corners(
    labelme_file: FileBuilder, shape: ShapeBuilder
) -> None:
    corners = [[10.0, 5.0], [20.0, 10.0], [15.0, 20.0], [5.0, 15.0]]
    src = labelme_file(shapes=[shape("plate", "oriented_rectangle", corners)])
    (item,) = nc.read(src).items
    assert item.annotations[0] == Polygon(label="plate", id="0", points=[tuple(c) for c in corners])


def test_unknown_shape_keys_are_attributes_and_a_null_colour_is_not(
    labelme_file: FileBuilder, shape: ShapeBuilder
) -> None:
    raw = shape(
        "car",
        "rectangle",
        [[0, 0], [4, 4]],
        line_color=None,
        fill_color=[1, 2, 3, 255],
        score_by_tool=0.5,
        flags={"parked": True},
    )
    src = labelme_file(shapes=[raw])
    (item,) = nc.read(src).items
    assert item.annotations[0].attributes == {
        "fill_color": [1, 2, 3, 255],
        "score_by_tool": 0.5,
        "parked": True,
    }


def test_without_a_size_or_an_image_the_size_is_unknown(
    labelme_file: FileBuilder, shape: ShapeBuilder
) -> None:
    src = labelme_file(shapes=[shape("a", "point", [[1, 1]])], size=None, image=False)
    (item,) = nc.read(src).items
    assert item.media is not None
    assert (item.media.width, item.media.height) == (None, None)  # type: ignore[union-attr]


# ---------------------------------------------------------------------- embedded images


def _embedded(png: Callable[[Any], bytes], width: int = 6, height: int = 4) -> str:
    return base64.b64encode(png(np.zeros((height, width), dtype=np.uint8))).decode("ascii")


def test_embedded_image_data_gives_the_size_when_the_file_gives_none(
    labelme_file: FileBuilder, png: Callable[[Any], bytes]
) -> None:
    src = labelme_file(size=None, image=False, imageData=_embedded(png))
    dataset = nc.read(src).materialize()
    media = dataset.items[0].media
    assert (media.width, media.height) == (6, 4)  # type: ignore[union-attr]
    # the image file is missing and not extracted: counted
    (row,) = list(dataset.losses)
    assert (row.kind, row.field, row.count("dropped")) == ("item", "media.image_data", 1)


def test_extract_images_writes_an_embedded_image_whose_file_is_missing(
    labelme_file: FileBuilder, png: Callable[[Any], bytes], tmp_path: Path
) -> None:
    src = labelme_file("sub/a.json", size=None, image=False, imageData=_embedded(png, 5, 3))
    root = src.parent.parent
    dataset = nc.read(root, "labelme", extract_images=str(tmp_path / "images")).materialize()
    media = dataset.items[0].media
    assert media is not None and isinstance(media.path, str)
    assert Path(media.path) == tmp_path / "images" / "sub" / "a.png"
    assert Path(media.path).read_bytes() == base64.b64decode(_embedded(png, 5, 3))
    assert not dataset.losses.has_loss()


def test_an_image_path_naming_the_json_itself_uses_the_embedded_image(
    labelme_file: FileBuilder, png: Callable[[Any], bytes], tmp_path: Path
) -> None:
    # labelme's own examples/tutorial/apc2016_obj3.json says imagePath "apc2016_obj3.json"
    src = labelme_file("obj.json", size=None, image=False, imagePath="obj.json")
    data = orjson.loads(src.read_bytes())
    data["imageData"] = _embedded(png)
    src.write_bytes(orjson.dumps(data))
    dataset = nc.read(src, "labelme", extract_images=str(tmp_path / "out")).materialize()
    assert dataset.items[0].media.path == str(tmp_path / "out" / "obj.png")  # type: ignore[union-attr]


def test_an_embedded_image_of_another_size_than_declared_is_refused(
    labelme_file: FileBuilder, png: Callable[[Any], bytes]
) -> None:
    src = labelme_file(size=(6, 5), imageData=_embedded(png, 6, 4))
    with pytest.raises(nc.InputError, match=r"field 'imageData': the embedded image is 6x4"):
        list(nc.read(src).items)
