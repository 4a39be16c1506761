"""Index-mask PNGs written with zlib are read back pixel for pixel by Pillow and libpng."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from nucleus_convert.errors import OutputError
from nucleus_convert.geometry.masks import encode_index_png, read_index_png, write_index_png


@settings(max_examples=60)
@given(
    arrays(
        np.uint8,
        st.tuples(st.integers(1, 70), st.integers(1, 70)),
        elements=st.sampled_from([0, 0, 0, 1, 2, 7, 254, 255]),
    )
)
def test_pillow_decodes_the_png_to_the_same_array(arr: np.ndarray) -> None:
    with Image.open(io.BytesIO(encode_index_png(arr))) as im:
        im.load()  # verifies every CRC and the zlib stream
        assert (im.format, im.mode, im.size) == ("PNG", "L", (arr.shape[1], arr.shape[0]))
        assert np.array_equal(np.asarray(im), arr)


def test_written_mask_reads_back_through_the_reader(tmp_path: Path) -> None:
    arr = np.zeros((480, 640), dtype=np.int64)
    arr[10:200, 30:300] = 1
    arr[150:400, 250:600] = 200
    write_index_png(arr, tmp_path / "m.png")
    assert np.array_equal(read_index_png(tmp_path / "m.png"), arr.astype(np.uint8))


def test_libpng_accepts_the_file(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2", reason="OpenCV (libpng) comes with the polygons extra")
    arr = (np.arange(12 * 9) % 5).astype(np.uint8).reshape(9, 12)
    write_index_png(arr, tmp_path / "m.png")
    back = cv2.imread(str(tmp_path / "m.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(back, arr)


@pytest.mark.parametrize(
    ("arr", "message"),
    [
        (np.zeros((2, 2, 3), np.uint8), "non-empty 2-D array, got (2, 2, 3)"),
        (np.zeros((0, 4), np.uint8), "non-empty 2-D array, got (0, 4)"),
        (np.full((2, 2), 256), "within 0..255 for Nucleus, got 256..256"),
        (np.full((2, 2), -1), "within 0..255 for Nucleus, got -1..-1"),
    ],
)
def test_masks_a_png_cannot_hold_are_refused(tmp_path: Path, arr: np.ndarray, message: str) -> None:
    with pytest.raises(OutputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        write_index_png(arr, tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()
