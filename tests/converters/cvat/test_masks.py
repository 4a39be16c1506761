"""nucleus_convert/converters/cvat/masks.py: CVAT's mask RLE (row-major runs over the crop at
``left, top``, starting with background) against masks painted by hand, CVAT's documented
example, and every mask hypothesis can draw."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nucleus_convert.converters.cvat.masks import (
    CvatMask,
    cvat_mask_to_rle,
    parse_rle,
    rle_to_cvat_mask,
)
from nucleus_convert.converters.cvat.values import Where
from nucleus_convert.errors import InputError
from nucleus_convert.geometry.rle import decode, encode

WHERE = Where("x.xml", 7, "image 'a'")

DOC_RLE = (
    "3, 5, 7, 7, 5, 9, 3, 11, 2, 11, 2, 12, 1, 12, 1, 26, 1, 12, 1, 12, 2, 11, 3, 9, 5, 7, 7, 5, 3"
)
"""The mask of CVAT's XML format page: 13 wide, 15 high, at (707, 888) of a 1600x1200 image."""


def _paint(runs: list[int], width: int, height: int) -> npt.NDArray[np.uint8]:
    """The crop the runs describe, walked pixel by pixel (the reference for the decoder)."""
    out = np.zeros(width * height, dtype=np.uint8)
    offset, value = 0, 0
    for run in runs:
        out[offset : offset + run] = value
        offset += run
        value = 1 - value
    return out.reshape(height, width)


def test_the_documented_example_is_a_blob_painted_row_by_row_at_its_offset() -> None:
    runs = parse_rle(DOC_RLE, WHERE)
    assert sum(runs) == 13 * 15
    rle = cvat_mask_to_rle(CvatMask(runs, 707, 888, 13, 15), (1600, 1200), WHERE)
    pixels = decode(rle)
    assert pixels.shape == (1200, 1600)
    crop = pixels[888:903, 707:720]
    assert np.array_equal(crop, _paint(runs, 13, 15))
    assert pixels.sum() == crop.sum() == sum(runs[1::2])
    assert crop[0].tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]  # runs 3, 5, then 5 of 7
    assert crop[7].all()  # the run of 26 fills the middle row (and more)
    back = rle_to_cvat_mask(rle)
    assert back is not None and (back.left, back.top, back.width, back.height) == (707, 888, 13, 15)
    assert back.rle_text() == DOC_RLE


def test_a_crop_starting_with_a_set_pixel_starts_with_a_zero_run() -> None:
    mask = np.zeros((4, 5), dtype=np.uint8)
    mask[1, 2] = mask[1, 3] = mask[2, 2] = 1
    cvat = rle_to_cvat_mask(encode(mask))
    assert cvat is not None
    assert (cvat.left, cvat.top, cvat.width, cvat.height) == (2, 1, 2, 2)
    assert cvat.runs == [0, 3, 1]  # row-major: (2,1) (3,1) (2,2) set, (3,2) not


def test_runs_stopping_short_leave_the_rest_background() -> None:
    rle = cvat_mask_to_rle(CvatMask([1, 2], 0, 0, 3, 2), (3, 2), WHERE)
    assert decode(rle).tolist() == [[0, 1, 1], [0, 0, 0]]


def test_an_empty_mask_has_no_crop() -> None:
    assert rle_to_cvat_mask(encode(np.zeros((3, 3), dtype=np.uint8))) is None


@settings(max_examples=150, deadline=None)
@given(
    mask=arrays(
        np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.integers(0, 1)
    ),
    pad=st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)),
)
def test_every_mask_comes_back_pixel_for_pixel(
    mask: npt.NDArray[np.uint8], pad: tuple[int, int, int, int]
) -> None:
    image = np.pad(mask, ((pad[0], pad[1]), (pad[2], pad[3])))
    cvat = rle_to_cvat_mask(encode(image))
    if not image.any():
        assert cvat is None
        return
    assert cvat is not None and sum(cvat.runs) == cvat.width * cvat.height
    again = cvat_mask_to_rle(cvat, (image.shape[1], image.shape[0]), WHERE)
    assert np.array_equal(decode(again), image)
    crop = image[cvat.top : cvat.top + cvat.height, cvat.left : cvat.left + cvat.width]
    assert np.array_equal(crop, _paint(cvat.runs, cvat.width, cvat.height))


@pytest.mark.parametrize(
    ("mask", "size", "says"),
    [
        (CvatMask([5, 5], 0, 0, 3, 3), (3, 3), "the runs cover 10 pixels but the mask has 9"),
        (CvatMask([1], 2, 0, 3, 1), (4, 4), "reach past the 4x4 image"),
        (CvatMask([1], 0, 0, 0, 1), (4, 4), "at least one pixel"),
        (CvatMask([1], 0, 0, 1, 1), None, "needs the image's width and height"),
    ],
)
def test_bad_masks_are_input_errors_naming_the_record(
    mask: CvatMask, size: tuple[int, int] | None, says: str
) -> None:
    with pytest.raises(InputError, match=says) as info:
        cvat_mask_to_rle(mask, size, WHERE)
    assert str(info.value).startswith("x.xml:7: image 'a'")


def test_sizes_past_the_pixel_limit_are_refused_before_anything_is_allocated() -> None:
    huge = CvatMask([0, 1], 0, 0, 100_000, 100_000)
    with pytest.raises(InputError, match="the mask is too large"):
        cvat_mask_to_rle(huge, (100_000, 100_000), WHERE)
    with pytest.raises(InputError, match="the image is too large: 11x10 is 110 pixels"):
        cvat_mask_to_rle(CvatMask([1], 0, 0, 1, 1), (11, 10), WHERE, max_pixels=100)


@pytest.mark.parametrize("text", ["1, -2", "1, x", "1,,2", "99999999999", "1.5"])
def test_rle_text_must_be_run_lengths(text: str) -> None:
    with pytest.raises(InputError, match="field 'rle'"):
        parse_rle(text, WHERE)
