"""The picture under the annotations: the image scaled, or a blank canvas of the item's size."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from drawing.preview_helpers import gradient
from PIL import Image

from nucleus_convert.drawing.canvas import (
    DEFAULT_SIZE,
    annotation_extent,
    item_canvas,
    render_scale,
)
from nucleus_convert.drawing.colours import BLANK
from nucleus_convert.errors import InputError
from nucleus_convert.model import Box, ImageMedia, InstanceMask, Item, PointCloudMedia


def test_small_images_grow_by_a_whole_factor_and_large_ones_shrink_to_fit() -> None:
    assert render_scale(400, 300, 1024) == 1
    assert render_scale(64, 48, 1024) == 5  # 64 * 5 = 320
    assert render_scale(8, 6, 1024) == 8  # at most 8
    assert render_scale(64, 48, 200) == 3  # never past max_size
    assert render_scale(4096, 1024, 1024) == 0.25


def test_an_image_is_read_and_a_small_one_is_enlarged_pixel_for_pixel(
    image_file: Callable[..., Path],
) -> None:
    path = image_file(40, 30)
    canvas = item_canvas(Item("a", ImageMedia(str(path), 40, 30)), max_size=1024, max_pixels=None)
    assert canvas.scale == 8 and canvas.size == (320, 240) and not canvas.blank
    expected = gradient(40, 30).repeat(8, axis=0).repeat(8, axis=1)
    assert np.array_equal(np.asarray(canvas.image), expected)
    assert canvas.notes == []
    assert canvas.at(0, 0) == (-0.5, -0.5)  # top-left corner of the top-left pixel
    assert canvas.at(1, 1) == (7.5, 7.5)


def test_a_large_image_is_scaled_down_to_max_size(image_file: Callable[..., Path]) -> None:
    path = image_file(400, 300)
    canvas = item_canvas(Item("a", ImageMedia(str(path), 400, 300)), max_size=200, max_pixels=None)
    assert canvas.size == (200, 150) and canvas.scale == 0.5


@pytest.mark.parametrize(
    ("location", "says"),
    [("missing.png", "not found"), ("s3://bucket/a.jpg", "is not a local file")],
)
def test_a_missing_image_gives_a_blank_canvas_of_the_items_size_and_a_note(
    tmp_path: Path, location: str, says: str
) -> None:
    path = location if "://" in location else str(tmp_path / location)
    canvas = item_canvas(Item("a", ImageMedia(path, 400, 300)), max_size=1024, max_pixels=None)
    assert canvas.blank and canvas.size == (400, 300) and canvas.source_size == (400, 300)
    assert canvas.notes == [f"image {path} {says}: drawn on a blank 400x300 canvas"]
    pixels = np.asarray(canvas.image)
    assert (pixels == BLANK).all(axis=2).mean() > 0.9  # grey, with a visible mark
    assert not (pixels == BLANK).all()


def test_without_a_size_the_canvas_reaches_past_the_annotations_or_is_640x480() -> None:
    box = Box(label="car", x=10, y=20, width=100, height=180)
    item = Item("a", ImageMedia("s3://b/a.jpg"), annotations=[box])
    canvas = item_canvas(item, max_size=1024, max_pixels=None)
    assert canvas.source_size == (116, 210)
    assert canvas.notes[0].endswith("blank 116x210 canvas (size from the annotations)")
    assert annotation_extent(item) == (116, 210)
    bare = item_canvas(Item("b", None), max_size=1024, max_pixels=None)
    assert bare.source_size == DEFAULT_SIZE
    assert bare.notes == ["no image: drawn on a blank 640x480 canvas (size unknown)"]
    rle = InstanceMask(label="x", rle={"size": [30, 50], "counts": [1500]})
    assert annotation_extent(Item("c", None, annotations=[rle])) == (53, 32)


def test_a_point_cloud_item_has_no_image_canvas() -> None:
    canvas = item_canvas(Item("a", PointCloudMedia("x.bin")), max_size=1024, max_pixels=None)
    assert canvas.blank and "no image" in canvas.notes[0]


def test_an_absurd_declared_size_gives_a_small_blank_canvas() -> None:
    item = Item("a", ImageMedia("gone.png", 10**9, 10**9))
    canvas = item_canvas(item, max_size=256, max_pixels=None)
    assert canvas.size == (256, 256)


def test_an_image_of_another_size_than_declared_is_drawn_as_it_is_with_a_note(
    image_file: Callable[..., Path],
) -> None:
    path = image_file(400, 300)
    canvas = item_canvas(Item("a", ImageMedia(str(path), 640, 480)), max_size=1024, max_pixels=None)
    assert canvas.size == (400, 300)
    assert "image is 400x300 pixels but the item says 640x480" in canvas.notes[0]


def test_an_image_over_the_pixel_limit_is_refused_before_decoding(
    image_file: Callable[..., Path],
) -> None:
    path = image_file(400, 300)
    with pytest.raises(InputError, match=r"image is too large: 400x300 is 120000 pixels"):
        item_canvas(Item("a", ImageMedia(str(path), 400, 300)), max_size=1024, max_pixels=1000)


def test_a_broken_image_is_one_input_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    Image.fromarray(gradient(40, 30)).save(path)
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(InputError, match=r"broken\.png: cannot read image"):
        item_canvas(Item("a", ImageMedia(str(path), 40, 30)), max_size=1024, max_pixels=None)
