"""Index masks from instance RLEs, against plain sequential painting and pycocotools."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as mask_utils

from nucleus_convert.geometry.instances import index_mask
from nucleus_convert.geometry.rle import encode, to_uncompressed


@settings(max_examples=80, deadline=None)
@given(
    masks=st.integers(1, 6).flatmap(
        lambda n: arrays(np.uint8, (n, 7, 9), elements=st.integers(0, 1))
    ),
    uncompressed=st.booleans(),
)
def test_index_mask_paints_later_instances_over_earlier_ones_and_counts_overlap(
    masks: np.ndarray, uncompressed: bool
) -> None:
    rles = [encode(m) for m in masks]
    if uncompressed:
        rles = [to_uncompressed(r) for r in rles]
    expected = np.zeros((7, 9), dtype=np.uint8)
    for i, m in enumerate(masks, start=1):
        expected[m.astype(bool)] = i
    index, overlap = index_mask(rles, 7, 9)
    assert index.dtype == np.uint8 and np.array_equal(index, expected)
    assert overlap == int(np.count_nonzero(masks.sum(axis=0) > 1))
    for r, m in zip(rles, masks, strict=True):  # our RLEs decode as pycocotools says
        h, w = r["size"]
        frozen = (
            mask_utils.frPyObjects(r, h, w)
            if isinstance(r["counts"], list)
            else {"size": r["size"], "counts": r["counts"].encode()}
        )
        assert np.array_equal(mask_utils.decode(frozen), m)
