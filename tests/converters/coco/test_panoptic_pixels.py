"""nucleus_convert/converters/coco/panoptic_pixels.py: RGB PNGs Pillow decodes to the ids
given (panopticapi's ``rgb2id``), layers painted later-over-earlier with the covered pixels
counted, and areas and boxes as numpy and pycocotools compute them."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from panoptic_samples import rgb2id, segment_stats
from PIL import Image
from pycocotools import mask as mask_utils

from nucleus_convert.converters.coco.panoptic_pixels import (
    MAX_SEGMENT_ID,
    binary_layer,
    encode_rgb_png,
    index_layer,
    paint,
    segment_boxes,
)


def test_the_png_decodes_to_the_ids_on_every_channel() -> None:
    rng = np.random.default_rng(3)
    ids = rng.integers(0, MAX_SEGMENT_ID + 1, size=(9, 13), dtype=np.uint32)
    ids[0, 0], ids[0, 1] = MAX_SEGMENT_ID, 0
    data = encode_rgb_png(ids)
    with Image.open(io.BytesIO(data)) as im:
        assert (im.mode, im.size) == ("RGB", (13, 9))
        assert np.array_equal(rgb2id(np.asarray(im)), ids)
    assert encode_rgb_png(ids.copy()) == data  # the bytes depend on the ids alone


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.uint32, np.bool_])
def test_an_index_layer_maps_listed_values_and_voids_the_rest(dtype: Any) -> None:
    values = [[0, 1, 1], [1, 0, 0]] if dtype is np.bool_ else [[0, 3, 120], [9, 3, 0]]
    mask = np.array(values).astype(dtype)
    numbers = {1: 5} if dtype is np.bool_ else {3: 1, 9: 2}
    layer = index_layer(mask, numbers)
    want = np.vectorize(lambda v: numbers.get(int(v), 0))(mask)
    assert layer.dtype == np.uint32 and np.array_equal(layer, want)


def test_later_layers_cover_earlier_ones_and_the_covered_pixels_are_counted() -> None:
    canvas = np.zeros((4, 4), np.uint32)
    covered = np.zeros(4, np.int64)
    a = np.zeros((4, 4), np.uint8)
    a[:3, :3] = 1
    b = np.zeros((4, 4), np.uint8)
    b[1:, 1:] = 1
    assert paint(canvas, binary_layer(a, 1), covered) == 0
    assert paint(canvas, binary_layer(b, 3), covered) == 4
    assert covered.tolist() == [0, 4, 0, 0]
    assert np.array_equal(canvas == 3, b.astype(bool))
    assert np.count_nonzero(canvas == 1) == 5


def test_areas_and_boxes_are_those_of_pycocotools_on_each_segment() -> None:
    rng = np.random.default_rng(5)
    canvas = rng.integers(0, 5, size=(17, 11)).astype(np.uint32)
    canvas[canvas == 4] = 0  # piece 4 has no pixel
    areas, boxes = segment_boxes(canvas, 4)
    for k in range(1, 5):
        m = np.asfortranarray((canvas == k).astype(np.uint8))
        rle = mask_utils.encode(m)
        assert areas[k] == int(mask_utils.area(rle))
        assert boxes[k] == [int(v) for v in mask_utils.toBbox(rle)]
        assert (areas[k], boxes[k]) == segment_stats(canvas, k)
    assert (areas[4], boxes[4]) == (0, [0, 0, 0, 0])
