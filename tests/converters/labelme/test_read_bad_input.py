"""Malformed LabelMe input: one error naming the file, the record and the field, never a
traceback; embedded images refused before their pixels are decoded; ``on_error=skip``."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from cli_runner import run_cli

import nucleus_convert as nc
from nucleus_convert.errors import InputError

FileBuilder = Callable[..., Path]
ShapeBuilder = Callable[..., dict[str, Any]]


def _error(src: Path, **options: Any) -> str:
    with pytest.raises(InputError) as info:
        list(nc.read(src, "labelme", **options).items)
    text = str(info.value)
    assert "\n" not in text
    return text


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------------- the file


def test_text_that_is_not_json_names_the_file_and_line(tmp_path: Path) -> None:
    src = tmp_path / "a.json"
    src.write_text('{\n  "shapes": [\n    {"label": }\n  ]\n}')
    assert _error(src).startswith(f"{src}:3: not valid JSON")


@pytest.mark.parametrize("text", ["[]", '{"images": []}', '{"shapes": {}}', "3"])
def test_json_that_is_not_a_labelme_object_is_refused(tmp_path: Path, text: str) -> None:
    src = tmp_path / "a.json"
    src.write_text(text)
    assert _error(src) == f"{src}: not a LabelMe file: expected a JSON object with a 'shapes' list"


@pytest.mark.parametrize(
    ("top", "field", "message"),
    [
        ({"imageWidth": -3}, "imageWidth", "expected a positive integer, got -3"),
        ({"imageHeight": "30"}, "imageHeight", "expected a positive integer, got '30'"),
        ({"imageWidth": None}, "imageWidth", "expected a positive integer, got None"),
        ({"imagePath": 7}, "imagePath", "expected a string, got 7"),
        ({"flags": ["a"]}, "flags", "expected an object of booleans"),
        ({"flags": {"cat": 1}}, "flags.cat", "expected true or false, got 1"),
        ({"imagePath": "", "imageData": None}, "imagePath", "names no image"),
    ],
)
def test_bad_top_level_values_name_their_field(
    labelme_file: FileBuilder, top: dict[str, Any], field: str, message: str
) -> None:
    src = labelme_file(**top)
    text = _error(src)
    assert text.startswith(f"{src}: field '{field}': {message}"), text


def test_metadata_nested_too_deep_is_refused(labelme_file: FileBuilder) -> None:
    deep: Any = 1
    for _ in range(100):
        deep = [deep]
    src = labelme_file(custom=deep)
    assert "field 'custom': nested more than 64 levels deep" in _error(src)


def test_an_empty_folder_and_a_file_of_another_suffix_are_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"holds no LabelMe \.json file"):
        nc.read(tmp_path / "empty", "labelme")
    (tmp_path / "a.txt").write_text("{}")
    with pytest.raises(InputError, match=r"a.txt: not a LabelMe file or a folder of them"):
        nc.read(tmp_path / "a.txt", "labelme")


def test_two_files_naming_one_image_are_refused(labelme_file: FileBuilder) -> None:
    first = labelme_file("a.json")
    labelme_file("a.JSON")
    with pytest.raises(InputError, match="names the same image as"):
        nc.read(first.parent, "labelme")


# ---------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("raw", "record", "field", "message"),
    [
        (["not", "a", "shape"], "shapes[0]", None, "a shape is a JSON object"),
        ({"label": 3, "points": [[0, 0]]}, "shapes[0]", "label", "expected a string, got 3"),
        (
            {"label": "a", "points": [[0, 0], [1, 1]], "shape_type": "ellipse"},
            "shapes[0] ('a')",
            "shape_type",
            "unsupported shape type 'ellipse'",
        ),
        ({"label": "a", "points": []}, "shapes[0] ('a')", "points", "expected a non-empty list"),
        ({"label": "a", "points": [[0, 0, 0]]}, "shapes[0] ('a')", "points[0]", "expected [x, y]"),
        ({"label": "a", "points": [[0, "1"]]}, "shapes[0] ('a')", "points[0]", "expected numbers"),
        ({"label": "a", "points": [[0, True]]}, "shapes[0] ('a')", "points[0]", "expected numbers"),
        (
            {"label": "a", "points": [[0, 0], [1, 1], [2, 2]], "shape_type": "rectangle"},
            "shapes[0] ('a')",
            "points",
            "a rectangle has exactly 2 points, this one has 3",
        ),
        (
            {"label": "a", "points": [[0, 0]], "shape_type": "point", "group_id": "1"},
            "shapes[0] ('a')",
            "group_id",
            "expected an integer or null, got '1'",
        ),
        (
            {"label": "a", "points": [[0, 0]], "shape_type": "point", "group_id": 1.5},
            "shapes[0] ('a')",
            "group_id",
            "expected an integer or null",
        ),
        (
            {"label": "a", "points": [[0, 0]], "shape_type": "point", "flags": {"x": "yes"}},
            "shapes[0] ('a')",
            "flags.x",
            "expected true or false",
        ),
        (
            {"label": "a", "points": [[0, 0]], "shape_type": "point", "description": 5},
            "shapes[0] ('a')",
            "description",
            "expected a string, got 5",
        ),
        (
            {"label": "a", "points": [[0, 0]], "shape_type": "point", "mask": "iVBO"},
            "shapes[0] ('a')",
            "mask",
            "only a mask shape has a mask, this is a point",
        ),
        (
            {"label": "a", "points": [[0, 0]], "shape_type": "point", "flags": {"k": True}, "k": 1},
            "shapes[0] ('a')",
            "flags.k",
            "the flag has the name of another key 'k'",
        ),
    ],
)
def test_a_bad_shape_names_its_record_and_field(
    labelme_file: FileBuilder, raw: Any, record: str, field: str | None, message: str
) -> None:
    src = labelme_file(shapes=[raw])
    text = _error(src)
    where = f"{src}: {record}: " + (f"field '{field}': " if field else "")
    assert text.startswith(where + message), text


def test_a_huge_coordinate_is_not_a_finite_number(tmp_path: Path) -> None:
    src = tmp_path / "a.json"
    src.write_text('{"shapes": [{"label": "a", "points": [[1e400, 0]]}], "imagePath": "a.png"}')
    assert "not valid JSON: number is infinity" in _error(src)


# ---------------------------------------------------------------------- mask shapes


def _mask_file(labelme_file: FileBuilder, shape: ShapeBuilder, mask: Any, **more: Any) -> Path:
    raw = shape("m", "mask", more.pop("points", [[0, 0], [1, 1]]), mask=mask, **more)
    return labelme_file(shapes=[raw], **more.pop("top", {}))


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        ("not base64!", "not valid base64"),
        (_b64(b"plain text, no image"), "not an image that can be read"),
        (7, "expected base64 text, got int"),
    ],
)
def test_a_mask_that_is_not_a_base64_image_is_refused(
    labelme_file: FileBuilder, shape: ShapeBuilder, mask: Any, message: str
) -> None:
    src = _mask_file(labelme_file, shape, mask)
    assert f"{src}: shapes[0] ('m'): field 'mask': {message}" in _error(src)


def test_a_colour_mask_is_refused(
    labelme_file: FileBuilder, shape: ShapeBuilder, png: Callable[[Any], bytes]
) -> None:
    rgb = _b64(png(np.zeros((2, 2, 3), dtype=np.uint8)))
    src = _mask_file(labelme_file, shape, rgb)
    assert "field 'mask': a mask is a one-channel image, this one is RGB" in _error(src)


def test_a_mask_whose_points_span_another_size_is_refused(
    labelme_file: FileBuilder, shape: ShapeBuilder, mask: Callable[[list[str]], str]
) -> None:
    src = _mask_file(labelme_file, shape, mask(["##", "##"]), points=[[0, 0], [2, 1]])
    assert "field 'points': the points span 3x2 pixels but the mask is 2x2" in _error(src)


def test_a_mask_needs_the_image_size(
    labelme_file: FileBuilder, shape: ShapeBuilder, mask: Callable[[list[str]], str]
) -> None:
    raw = shape("m", "mask", [[0, 0], [1, 1]], mask=mask(["##", "##"]))
    src = labelme_file(shapes=[raw], size=None, image=False)
    assert "field 'mask': a mask shape needs the image's size" in _error(src)


def test_a_mask_larger_than_the_pixel_limit_is_refused_before_decoding(
    labelme_file: FileBuilder, shape: ShapeBuilder, png: Callable[[Any], bytes]
) -> None:
    big = _b64(png(np.zeros((64, 64), dtype=np.uint8)))
    raw = shape("m", "mask", [[0, 0], [63, 63]], mask=big)
    src = labelme_file(shapes=[raw], size=(10, 10))
    # the image itself is within the limit, the mask's own header is not
    text = _error(src, max_pixels=1000)
    assert (
        "field 'mask': the image is too large: 64x64 is 4096 pixels, over the limit of 1000" in text
    )


def test_an_image_too_large_for_a_mask_is_refused_before_allocating(
    labelme_file: FileBuilder, shape: ShapeBuilder, mask: Callable[[list[str]], str]
) -> None:
    raw = shape("m", "mask", [[0, 0], [1, 1]], mask=mask(["##", "##"]))
    src = labelme_file(shapes=[raw], size=(200_000, 200_000), image=False)
    assert "the image is too large for a mask: 200000x200000" in _error(src)


# ---------------------------------------------------------------------- imageData


def test_malformed_image_data_is_refused(labelme_file: FileBuilder) -> None:
    src = labelme_file(imageData="####")
    assert f"{src}: field 'imageData': not valid base64" in _error(src)


def test_image_data_longer_than_any_image_within_the_limit_is_refused_before_decoding(
    labelme_file: FileBuilder,
) -> None:
    # 100 pixels of 4 bytes and a megabyte of headers: at most 1,398,640 base64 characters
    src = labelme_file(imageData="A" * 1_400_000)
    text = _error(src, max_pixels=100)
    assert "field 'imageData': 1400000 characters of base64 is more than an image" in text


def test_image_data_whose_header_is_over_the_limit_is_refused_without_decoding_pixels(
    labelme_file: FileBuilder,
) -> None:
    # a PNG header declaring 100000 x 100000 pixels, and no pixel data at all
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(data, zlib.crc32(kind)) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    src = labelme_file(size=None, image=False, imageData=_b64(bomb))
    text = _error(src)
    assert "field 'imageData': the image is too large: 100000x100000" in text


def test_image_data_that_is_no_image_is_refused(labelme_file: FileBuilder) -> None:
    src = labelme_file(imageData=_b64(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20))
    assert "field 'imageData': not an image that can be read" in _error(src)


# ---------------------------------------------------------------------- on_error and the CLI


def test_on_error_skip_leaves_out_a_bad_file_and_a_bad_shape_and_counts_them(
    labelme_file: FileBuilder, shape: ShapeBuilder
) -> None:
    labelme_file("a.json", shapes=[shape("ok", "point", [[1, 1]]), {"label": "bad"}])
    root = labelme_file("b.json", imageWidth=0).parent
    dataset = nc.read(root, "labelme", on_error="skip").materialize()
    assert [i.reference_id for i in dataset.items] == ["a"]
    assert [a.label for a in dataset.items[0].annotations] == ["ok"]
    rows = {(e.kind, e.field): e.count("dropped") for e in dataset.losses}
    assert rows == {("record", "*"): 1, ("item", "*"): 1}
    assert len(dataset.losses.skipped) == 2


def test_the_cli_prints_one_line_exits_2_and_writes_nothing(
    labelme_file: FileBuilder, shape: ShapeBuilder, tmp_path: Path
) -> None:
    src = labelme_file(shapes=[shape("a", "rectangle", [[0, 0]])])
    out = tmp_path / "out"
    proc = run_cli("convert", str(src.parent), str(out), "--to", "nucleus")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"error: {src}: shapes[0] ('a'): field 'points': a rectangle has exactly 2 points, "
        "this one has 1"
    ]
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_a_hostile_file_is_never_a_traceback(tmp_path: Path) -> None:
    src = tmp_path / "a.json"
    src.write_bytes(
        orjson.dumps(
            {
                "shapes": [
                    {
                        "label": "x",
                        "points": [[0, 0], [1, 1]],
                        "shape_type": "mask",
                        "mask": _b64(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"),
                    }
                ],
                "imagePath": "a.png",
                "imageWidth": 4,
                "imageHeight": 4,
            }
        )
    )
    proc = run_cli("inspect", str(src))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {src}: shapes[0] ('x'): field 'mask': ")
