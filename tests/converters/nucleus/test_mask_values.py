"""Mask values without a segment are counted (issue 17, part 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from judge import lines

import nucleus_convert as nc
from nucleus_convert.converters.nucleus.mask_values import unnamed_values
from nucleus_convert.model import (
    Dataset,
    Header,
    ImageMedia,
    Item,
    MaskRef,
    Segment,
    Segmentation,
)


def _seg(array: np.ndarray, *indices: int) -> Segmentation:
    return Segmentation(
        mask=MaskRef(array=array), segments=[Segment(index=i, label=f"c{i}") for i in indices]
    )


def test_values_without_a_segment_are_found_for_8_bit_and_wider_masks() -> None:
    mask = np.array([[0, 1, 255], [7, 1, 0]], dtype=np.uint8)
    assert unnamed_values(mask, _seg(mask, 1)) == [7, 255]
    assert unnamed_values(mask.astype(np.int32), _seg(mask, 1, 7)) == [255]
    assert unnamed_values(mask, _seg(mask, 1, 7, 255)) == []


def test_a_mask_within_its_named_values_needs_no_count_and_others_still_get_one() -> None:
    """The shortcut (every value from 0 to the maximum is named) never hides a value."""
    mask = np.array([[0, 1, 3], [2, 1, 0]], dtype=np.uint8)
    assert unnamed_values(mask, _seg(mask, 1, 2, 3)) == []
    assert unnamed_values(mask, _seg(mask, 1, 3, 4)) == [2]
    assert unnamed_values(mask, _seg(mask, 1, 2)) == [3]
    signed = np.array([[-1, 1], [2, 0]], dtype=np.int32)
    assert unnamed_values(signed, _seg(signed, 1, 2)) == [-1]


def test_void_255_without_a_segment_is_counted_dropped_and_the_mask_kept(tmp_path: Path) -> None:
    mask = np.zeros((4, 4), dtype=np.uint8)
    mask[1, 1], mask[2, 2] = 1, 255
    item = Item(
        reference_id="a",
        media=ImageMedia(path="s3://b/a.jpg", width=4, height=4),
        annotations=[_seg(mask, 1)],
    )
    result = nc.write(Dataset(header=Header(), items=iter([item])), tmp_path / "o", "nucleus")
    entry = result.report.entries[("segmentation", "segments")]
    assert entry.count("dropped") == 1 and "values 255" in entry.examples[0]
    (payload,) = lines(result.path / "annotations.jsonl")
    back = nc.read(result.path).materialize().items[0].annotations[0]
    assert payload["annotations"] == [{"label": "c1", "index": 1}]
    assert isinstance(back, Segmentation) and (back.mask.load() == mask).all()


def test_mask_whose_values_all_have_segments_is_not_counted(tmp_path: Path) -> None:
    mask = np.array([[0, 1], [2, 2]], dtype=np.uint8)
    item = Item(
        reference_id="a",
        media=ImageMedia(path="s3://b/a.jpg", width=2, height=2),
        annotations=[_seg(mask, 0, 1, 2)],
    )
    result = nc.write(Dataset(header=Header(), items=iter([item])), tmp_path / "o", "nucleus")
    assert ("segmentation", "segments") not in result.report.entries
