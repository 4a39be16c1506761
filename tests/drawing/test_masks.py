"""Instance masks and segmentations: translucent in their label's colour, predictions
hatched, decoded within the pixel limit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from drawing.preview_helpers import gradient, image_item, preview_items

from nucleus_convert.drawing.colours import label_colour
from nucleus_convert.drawing.masks import MASK_ALPHA, hatch, resample_nearest
from nucleus_convert.errors import InputError
from nucleus_convert.geometry.masks import write_index_png
from nucleus_convert.geometry.rle import encode
from nucleus_convert.model import InstanceMask, MaskRef, Segment, Segmentation

SOURCE = gradient(400, 300)


def _blended(label: str, row: int, col: int) -> np.ndarray:
    mixed = SOURCE[row, col] * (1 - MASK_ALPHA) + np.array(label_colour(label)) * MASK_ALPHA
    return np.rint(mixed).astype(np.uint8)


def _mask() -> np.ndarray:
    mask = np.zeros((300, 400), dtype=np.uint8)
    mask[100:200, 150:300] = 1
    return mask


def test_an_instance_mask_is_translucent_in_its_labels_colour_and_nothing_else_changes(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    ann = InstanceMask(label="dog", rle=encode(_mask()))
    [(png, _)] = preview_items(tmp_path / "out", [image_item(image_file(), [ann])])
    picture = png[:300, :400]
    assert np.array_equal(picture[150, 200], _blended("dog", 150, 200))
    assert np.array_equal(picture[199, 299], _blended("dog", 199, 299))
    outside = ~_mask().astype(bool)
    outside[80:100, 150:260] = False  # the tag above the mask's top-left corner
    assert np.array_equal(picture[outside], SOURCE[outside])


def test_a_predicted_mask_is_hatched(tmp_path: Path, image_file: Callable[..., Path]) -> None:
    ann = InstanceMask(label="dog", rle=encode(_mask()), score=0.5)
    [(png, _)] = preview_items(tmp_path / "out", [image_item(image_file(), [ann])])
    inside = png[120:200, 150:300]
    untouched = (inside == SOURCE[120:200, 150:300]).all(axis=2)
    assert 0.3 < untouched.mean() < 0.7


def test_segments_take_their_labels_colours_and_background_stays_clear(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    index = np.zeros((300, 400), dtype=np.uint8)
    index[:100] = 1
    index[200:] = 7
    path = tmp_path / "mask.png"
    write_index_png(index, path)
    segments = [Segment(0, "background"), Segment(1, "sky"), Segment(7, "road")]
    ann = Segmentation(label="", mask=MaskRef(str(path)), segments=segments)
    [(png, _)] = preview_items(tmp_path / "out", [image_item(image_file(), [ann])])
    picture = png[:300, :400]
    assert np.array_equal(picture[10, 5], _blended("sky", 10, 5))
    assert np.array_equal(picture[290, 395], _blended("road", 290, 395))
    assert np.array_equal(picture[150], SOURCE[150])  # background: untinted


def test_a_mask_file_that_is_not_here_is_a_note(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    ann = Segmentation(label="", mask=MaskRef("s3://b/m.png"), segments=[Segment(1, "sky")])
    [(png, record)] = preview_items(tmp_path / "out", [image_item(image_file(), [ann])])
    assert record.notes == ("segmentation mask s3://b/m.png is not a local file: not drawn",)
    assert np.array_equal(png[:300, :400], SOURCE)


def test_an_rle_over_the_pixel_limit_is_refused_before_it_is_decoded(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    huge = InstanceMask(label="x", id="m1", rle={"size": [100_000, 100_000], "counts": "0"})
    item = image_item(image_file(), [huge], ref="img-9")
    with pytest.raises(InputError, match=r"item 'img-9', instance mask 'm1': RLE 'size'"):
        preview_items(tmp_path / "out", [item])
    assert not (tmp_path / "out").exists()


def test_a_mask_of_another_size_is_stretched_with_a_note(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    small = np.zeros((30, 40), dtype=np.uint8)
    small[10:20, 15:30] = 1
    ann = InstanceMask(label="dog", rle=encode(small))
    [(png, record)] = preview_items(tmp_path / "out", [image_item(image_file(), [ann])])
    assert record.notes == ("instance mask is 40x30 pixels, the image 400x300: stretched over it",)
    assert np.array_equal(png[150, 200], _blended("dog", 150, 200))


def test_nearest_sampling_repeats_blocks_and_hatching_alternates() -> None:
    mask = np.arange(6).reshape(2, 3)
    assert np.array_equal(resample_nearest(mask, 6, 4), mask.repeat(2, 0).repeat(2, 1))
    bands = hatch(8, 1, 2)[0]
    assert bands.tolist() == [True, True, False, False, True, True, False, False]
