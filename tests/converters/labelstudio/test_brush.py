"""Label Studio's brush RLE, held to Label Studio's own encoder and decoder.

The references are output of ``label_studio_converter/brush.py`` (see
``tests/data/labelstudio/README.md``): its published unit-test vector, and the RLEs its
``mask2rle`` writes for the masks of ``brush_reference.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nucleus_convert.converters.labelstudio import brush

DATA = Path(__file__).resolve().parents[2] / "data" / "labelstudio"

# label_studio_converter's tests/test_brush.py: encode_rle of these values gives these bytes.
CONVERTER_VALUES = [1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 4, 4, 4, 4, 4, 4, 4, 4]
CONVERTER_RLE = [0, 0, 0, 18, 57, 27, 252, 96, 32, 1, 0, 6, 0, 40, 0, 192, 3, 128, 17, 56, 32]


def _references() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = orjson.loads((DATA / "brush_reference.json").read_bytes())
    for entry in entries:
        if "rows" in entry:
            entry["mask"] = np.array([[c == "#" for c in row] for row in entry["rows"]])
        else:
            mask = np.zeros((entry["height"], entry["width"]), dtype=bool)
            mask[slice(*entry["rows_on"])] = True
            entry["mask"] = mask
    return entries


REFERENCES = _references()


class _BitWriter:
    """Writes an RLE bit by bit, to build streams the reference encoder never writes."""

    def __init__(self) -> None:
        self.bits: list[int] = []

    def put(self, value: int, width: int) -> _BitWriter:
        self.bits += [(value >> (width - 1 - i)) & 1 for i in range(width)]
        return self

    def header(self, num: int, word: int = 8, sizes: tuple[int, ...] = (3, 4, 8, 16)) -> _BitWriter:
        self.put(num, 32).put(word - 1, 5)
        for size in sizes:
            self.put(size - 1, 4)
        return self

    def bytes(self) -> bytes:
        padded = self.bits + [0] * (-len(self.bits) % 8)
        return np.packbits(np.array(padded, dtype=np.uint8)).tobytes()


def test_encoding_gives_the_bytes_of_the_converters_published_vector() -> None:
    assert brush.encode_values(np.array(CONVERTER_VALUES)) == CONVERTER_RLE


def test_decoding_the_converters_published_vector_gives_its_values() -> None:
    values = brush.decode_values(bytes(CONVERTER_RLE), limit=100)
    assert values.tolist() == CONVERTER_VALUES
    assert brush.read_header(bytes(CONVERTER_RLE)) == (18, 8, (3, 4, 8, 16))


@pytest.mark.parametrize("entry", REFERENCES, ids=[e["name"] for e in REFERENCES])
def test_masks_encode_to_exactly_what_label_studio_writes(entry: dict[str, Any]) -> None:
    assert brush.encode_mask(entry["mask"]) == entry["rle"]


@pytest.mark.parametrize("entry", REFERENCES, ids=[e["name"] for e in REFERENCES])
def test_label_studio_rles_decode_to_their_masks(entry: dict[str, Any]) -> None:
    mask = brush.decode_mask(bytes(entry["rle"]), entry["width"], entry["height"])
    assert mask.shape == (entry["height"], entry["width"])
    assert np.array_equal(mask, entry["mask"])


def test_a_run_over_65536_values_is_split_as_the_reference_splits_it() -> None:
    long = next(e for e in REFERENCES if e["name"] == "long runs")
    assert long["width"] * long["height"] * 4 > 1 << 16
    assert brush.encode_mask(long["mask"]) == long["rle"]


def test_literal_chunks_and_other_field_sizes_decode_as_the_editor_writes_them() -> None:
    # A 2x2 image: one literal chunk of 6 values (pixel 0 and half of pixel 1, alpha 0 then
    # 9), then a 2-value repeat of 0 (pixel 1 alpha 0), then 8 values of 200 with a 5-bit
    # count field (pixels 2 and 3 on).
    stream = _BitWriter().header(16, sizes=(3, 5, 8, 16))
    stream.put(0, 1).put(0, 2).put(5, 3)
    for v in (1, 2, 3, 9, 4, 4):
        stream.put(v, 8)
    stream.put(1, 1).put(0, 2).put(1, 3).put(0, 8)
    stream.put(1, 1).put(1, 2).put(7, 5).put(200, 8)
    mask = brush.decode_mask(stream.bytes(), 2, 2)
    assert mask.tolist() == [[True, False], [True, True]]
    values = brush.decode_values(stream.bytes(), limit=16)
    assert values.tolist() == [1, 2, 3, 9, 4, 4, 0, 0] + [200] * 8


def test_other_word_sizes_are_read_and_any_nonzero_alpha_is_on() -> None:
    stream = _BitWriter().header(8, word=16)
    stream.put(1, 1).put(0, 2).put(3, 3).put(0, 16)
    stream.put(1, 1).put(0, 2).put(3, 3).put(300, 16)
    assert brush.decode_mask(stream.bytes(), 2, 1).tolist() == [[False, True]]


@pytest.mark.parametrize(
    ("data", "size", "message"),
    [
        (bytes(3), (1, 1), "header bits"),
        (_BitWriter().header(20).bytes(), (2, 2), "holds 20 values"),
        (_BitWriter().header(16).put(1, 1).put(0, 2).bytes(), (2, 2), "ends before"),
        (
            _BitWriter().header(4).put(1, 1).put(3, 2).put(100, 16).put(0, 8).bytes(),
            (1, 1),
            "past the 4",
        ),
    ],
    ids=["short header", "wrong value count", "truncated", "run past the end"],
)
def test_broken_rles_are_refused_with_the_reason(
    data: bytes, size: tuple[int, int], message: str
) -> None:
    with pytest.raises(brush.BrushError, match=message):
        brush.decode_mask(data, *size)


def test_a_huge_declared_count_is_refused_before_anything_is_allocated() -> None:
    header = _BitWriter().header(0xFFFFFFFF).bytes()
    with pytest.raises(brush.BrushError, match="over the limit"):
        brush.decode_values(header, limit=1000)
    with pytest.raises(brush.BrushError, match="holds 4294967295 values"):
        brush.decode_mask(header, 10, 10)


@pytest.mark.parametrize(
    ("rle", "message"),
    [("abc", "must be a list"), ([1, 256], "0 to 255"), ([1, "x"], "0 to 255")],
)
def test_rle_lists_must_hold_bytes(rle: Any, message: str) -> None:
    with pytest.raises(brush.BrushError, match=message):
        brush.rle_bytes(rle)


@settings(max_examples=60, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 40), st.integers(1, 40))))
def test_any_mask_comes_back_from_its_rle(mask: np.ndarray) -> None:
    height, width = mask.shape
    rle = brush.encode_mask(mask)
    assert np.array_equal(brush.decode_mask(bytes(rle), width, height), mask)
    values = brush.decode_values(bytes(rle), limit=mask.size * 4)
    assert np.array_equal(values.reshape(height, width, 4)[:, :, 3] != 0, mask)
