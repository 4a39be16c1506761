"""The shared read limits: pixels, Pillow's error classes, nesting depth, integer size, counts
and names that must name a file."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from limits_checks import BAD_IHDR, BROKEN_CHUNK, chunk, one_colour_png
from PIL import Image

from nucleus_convert.errors import InputError
from nucleus_convert.toolkit.limits import (
    INT_MAX,
    INT_MIN,
    MAX_DEPTH,
    count_problem,
    file_name_problem,
    json_value_problem,
    max_pixels_option,
    open_image,
    parse_max_pixels,
    pixel_limit,
    pixels_problem,
    png_chunk_problem,
)


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth - 1):
        value = [value]
    return [value] if depth else value


def test_the_default_pixel_limit_is_pillows_decompression_bomb_limit() -> None:
    assert pixel_limit() == Image.MAX_IMAGE_PIXELS
    assert pixel_limit(10) == 10


def test_pixels_over_the_limit_are_refused_with_both_numbers() -> None:
    assert pixels_problem(100, 100, 10_000) is None
    problem = pixels_problem(100_000, 100_000)
    assert problem is not None
    assert "10000000000 pixels" in problem and str(Image.MAX_IMAGE_PIXELS) in problem
    assert "max_pixels" in problem


def test_max_pixels_option_parses_positive_integers_only() -> None:
    option = max_pixels_option()
    assert option.name == "max_pixels" and option.default is None
    assert parse_max_pixels("200_000_000") == 200_000_000
    assert parse_max_pixels(5) == 5
    for bad in ("0", "-3", "lots", True):
        with pytest.raises(ValueError, match="positive number of pixels"):
            parse_max_pixels(bad)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [(BAD_IHDR, "Truncated IHDR chunk"), (BROKEN_CHUNK, "broken PNG file")],
    ids=["ValueError", "SyntaxError"],
)
def test_every_pillow_error_class_becomes_one_input_error_line(
    tmp_path: Path, data: bytes, fragment: str
) -> None:
    png = tmp_path / "m.png"
    png.write_bytes(data)
    import numpy as np

    with pytest.raises(InputError) as caught, open_image(png, what="mask") as im:
        np.asarray(im)
    message = str(caught.value)
    assert message.startswith(f"{png}: cannot read mask: ") and fragment in message
    assert "\n" not in message


def test_a_file_that_is_no_image_is_an_input_error(tmp_path: Path) -> None:
    png = tmp_path / "m.png"
    png.write_bytes(b"not a png")
    with pytest.raises(InputError, match="cannot read image"), open_image(png):
        pass


def test_an_image_over_the_limit_is_refused_from_its_header(tmp_path: Path) -> None:
    # 13000 x 13000 is over Pillow's limit, below the 2x where Pillow itself refuses.
    png = tmp_path / "big.png"
    png.write_bytes(one_colour_png(13000, 13000))
    too_large = "too large: 13000x13000 is 169000000 pixels"
    with pytest.raises(InputError, match=too_large), open_image(png):
        pytest.fail("the body must not run")


def test_max_pixels_raises_the_limit_for_one_read_and_restores_pillows(tmp_path: Path) -> None:
    png = tmp_path / "wide.png"
    png.write_bytes(one_colour_png(4, 3))
    with (
        pytest.raises(InputError, match="12 pixels, over the limit of 11"),
        open_image(png, max_pixels=11),
    ):
        pass
    before = Image.MAX_IMAGE_PIXELS
    header = chunk(
        b"IHDR", (200_000).to_bytes(4, "big") + (1000).to_bytes(4, "big") + b"\x08\0\0\0\0"
    )
    huge = tmp_path / "huge.png"  # 2e8 pixels: over twice Pillow's limit, so Pillow refuses it
    huge.write_bytes(b"\x89PNG\r\n\x1a\n" + header + chunk(b"IEND", b""))
    with pytest.raises(InputError, match="over the limit"), open_image(huge):
        pass
    with open_image(huge, max_pixels=300_000_000) as im:
        assert im.size == (200_000, 1000)
    assert before == Image.MAX_IMAGE_PIXELS


def test_an_image_of_another_size_than_declared_is_refused_from_its_header(
    tmp_path: Path,
) -> None:
    png = tmp_path / "tall.png"
    png.write_bytes(one_colour_png(8, 8_000_000))  # 64 MB of pixels in a file of a few KB
    with (
        pytest.raises(InputError, match="mask is 8x8000000 pixels but the image is 8x6"),
        open_image(png, what="mask", size=(8, 6)),
    ):
        pytest.fail("the body must not run")
    with open_image(png, size=(8, 8_000_000)) as im:
        assert im.size == (8, 8_000_000)


def test_nesting_up_to_the_limit_passes_and_one_more_level_is_refused() -> None:
    assert json_value_problem(_nested(MAX_DEPTH)) is None
    assert json_value_problem(_nested(MAX_DEPTH + 1)) == f"nested more than {MAX_DEPTH} levels deep"
    assert json_value_problem({"a": {"b": _nested(MAX_DEPTH)}}) is not None
    assert json_value_problem(_nested(100_000)) is not None  # no recursion, no RecursionError


def test_what_passes_the_depth_check_is_writable_by_orjson() -> None:
    orjson.dumps(_nested(MAX_DEPTH))
    with pytest.raises(TypeError, match="Recursion limit"):
        orjson.dumps(_nested(300))


def test_integers_must_fit_what_orjson_writes() -> None:
    assert json_value_problem([INT_MIN, INT_MAX, {"k": 0}]) is None
    orjson.dumps([INT_MIN, INT_MAX])
    for big in (INT_MAX + 1, INT_MIN - 1, 10**5000):
        problem = json_value_problem({"k": [big]})
        assert problem is not None and "64 bits" in problem
        assert json_value_problem(big) is not None


def test_a_container_shared_many_times_is_walked_once() -> None:
    level: list[object] = [1]
    for _ in range(40):  # 2**40 paths, 41 containers (what YAML aliases make)
        level = [level, level]
    assert json_value_problem(level) is None


def test_counts_are_integers_within_bounds() -> None:
    assert count_problem(80) is None
    assert count_problem(1_000_000_000) == "must be within 0..1048576, got 1000000000"
    assert count_problem(True) is not None and count_problem("3") is not None
    assert count_problem(5, limit=4) is not None and count_problem(-1) is not None


def test_names_that_cannot_name_a_file_are_refused() -> None:
    assert file_name_problem("2007_000027") is None
    assert file_name_problem("a/" + "b" * 255) is None
    assert file_name_problem("a\x00b") == "the name holds a NUL byte"
    assert file_name_problem("a/" + "b" * 256) == "a part of the name is longer than 255 bytes"
    assert file_name_problem("é" * 128) is not None  # 256 bytes in UTF-8


def test_a_png_chunk_declaring_more_than_the_file_holds_is_refused_before_pillow(
    tmp_path: Path,
) -> None:
    good = one_colour_png(4, 3)
    path = tmp_path / "m.png"
    path.write_bytes(good)
    assert png_chunk_problem(path) is None
    lying = good[:8] + chunk(b"IHDR", good[16:29]) + (2**31).to_bytes(4, "big") + b"IDAT\0\0"
    path.write_bytes(lying)
    assert png_chunk_problem(path) == (
        "PNG chunk 'IDAT' at byte 33 declares 2147483648 bytes but the file has 2 after it"
    )
    with pytest.raises(InputError, match="declares 2147483648 bytes"), open_image(path):
        pytest.fail("the body must not run")
    path.write_bytes(b"not a png at all")
    assert png_chunk_problem(path) is None
