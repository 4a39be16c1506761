"""RLE checks that run before pycocotools sees an RLE: the pixel limit and uint32 runs."""

from __future__ import annotations

from PIL import Image

from nucleus_convert.geometry.rle import check_rle, decode, encode


def test_an_rle_over_the_pixel_limit_is_refused_before_decoding() -> None:
    problem = check_rle({"size": [100_000, 100_000], "counts": "PPYo0"})
    assert problem is not None
    assert "RLE 'size' 100000x100000" in problem and str(Image.MAX_IMAGE_PIXELS) in problem


def test_a_raised_pixel_limit_lets_a_large_rle_through() -> None:
    rle = {"size": [10_000, 10_000], "counts": [100_000_000]}
    assert check_rle(rle) is not None
    assert check_rle(rle, max_pixels=100_000_000) is None


def test_runs_beyond_uint32_are_refused_even_when_they_sum_to_the_size() -> None:
    rle = {"size": [100_000, 100_000], "counts": [10_000_000_000]}
    problem = check_rle(rle, max_pixels=10**10)
    assert problem == "RLE 'counts' must be runs of at most 4294967295 pixels"


def test_well_formed_rles_still_pass_and_decode() -> None:
    import numpy as np

    mask = np.zeros((3, 4), dtype=np.uint8)
    mask[1, 1:3] = 1
    compressed = encode(mask)
    assert check_rle(compressed) is None
    assert check_rle({"size": [3, 4], "counts": [5, 1, 2, 1, 3]}) is None
    assert (decode(compressed) == mask).all()


def test_malformed_counts_keep_their_messages() -> None:
    assert check_rle({"size": [2, 2], "counts": ["a"]}) == "RLE 'counts' must be a list of integers"
    assert check_rle({"size": [2, 2], "counts": [1.5, 2.5]}) == (
        "RLE 'counts' must be non-negative integers"
    )
    assert check_rle({"size": [2, 2], "counts": [-1, 5]}) == (
        "RLE 'counts' must be non-negative integers"
    )
    assert check_rle({"size": [2, 2], "counts": [3]}) == (
        "RLE runs cover 3 pixels but size 2x2 has 4"
    )
