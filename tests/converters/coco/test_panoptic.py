"""nucleus_convert/converters/coco/panoptic.py: segment ids as panopticapi's ``rgb2id`` gives
them, numbered into an index mask in ``segments_info`` order, unlisted ids refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nucleus_convert.converters.coco.panoptic import panoptic_ids, panoptic_index
from nucleus_convert.errors import InputError


def _rgb2id(rgb: np.ndarray) -> np.ndarray:
    """panopticapi.utils.rgb2id, the reference convention."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def test_ids_match_panopticapis_rgb2id_on_every_channel(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    rgb[0, 0] = (255, 255, 255)
    png = tmp_path / "p.png"
    Image.fromarray(rgb, "RGB").save(png)
    ids = panoptic_ids(png, (5, 7), None)
    assert ids.dtype == np.uint32
    assert np.array_equal(ids, _rgb2id(rgb))
    assert int(ids[0, 0]) == (1 << 24) - 1


def test_a_png_of_another_size_than_the_image_is_refused_before_decoding(tmp_path: Path) -> None:
    png = tmp_path / "p.png"
    Image.new("RGB", (5, 7)).save(png)
    with pytest.raises(InputError, match="PNG is 5x7 pixels but the image is 5x6"):
        panoptic_ids(png, (5, 6), None)


def test_segments_are_numbered_in_segments_info_order_with_their_attributes() -> None:
    ids = np.array([[0, 300, 300], [7, 7, 0]], dtype=np.uint32)
    infos = [
        {"id": 7, "category_id": 1, "iscrowd": 0, "area": 2},
        {"id": 300, "category_id": 2, "iscrowd": 1},
    ]
    index, segments, problem = panoptic_index(ids, infos, {1: "person", 2: "grass"})
    assert problem is None
    assert index.tolist() == [[0, 2, 2], [1, 1, 0]]
    assert [(s.index, s.label) for s in segments] == [(1, "person"), (2, "grass")]
    assert segments[0].attributes == {"coco_id": 7, "iscrowd": 0, "area": 2}


def test_ids_present_but_not_listed_are_named() -> None:
    ids = np.array([[0, 5, 9], [11, 5, 9]], dtype=np.uint32)
    _, _, problem = panoptic_index(ids, [{"id": 5, "category_id": 1}], {1: "a"})
    assert problem == "has segment ids [9, 11] that segments_info does not list"


def test_more_than_255_segments_cannot_share_one_index_mask() -> None:
    infos = [{"id": i, "category_id": 1} for i in range(1, 257)]
    _, _, problem = panoptic_index(np.zeros((1, 1), np.uint32), infos, {1: "a"})
    assert problem == "256 segments; an index mask holds at most 255"
