"""COCO input that would allocate gigabytes, crash pycocotools or reach orjson unwritable is
refused while reading: one error line naming file, record and field, exit 2, nothing written,
and quickly under a 1 GiB memory cap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from cli_runner import run_cli
from limits_checks import BAD_IHDR, BROKEN_CHUNK, assert_refused, one_colour_png, run_capped

IMAGE = {"id": 1, "file_name": "a.jpg"}
CATEGORY = {"id": 1, "name": "cat"}


def _coco(tmp_path: Path, annotation: dict[str, Any], **extra: Any) -> Path:
    doc = {"images": [IMAGE], "categories": [CATEGORY], "annotations": [annotation], **extra}
    path = tmp_path / "c.json"
    path.write_bytes(orjson.dumps(doc))
    return path


def _crowd(size: list[int], counts: Any) -> dict[str, Any]:
    return {
        "id": 1,
        "image_id": 1,
        "category_id": 1,
        "iscrowd": 1,
        "bbox": [0, 0, 10, 10],
        "segmentation": {"size": size, "counts": counts},
    }


def test_an_rle_of_ten_billion_pixels_is_refused_small(tmp_path: Path) -> None:
    # the compressed counts of [4e9, 0, 4e9, 0, 2e9]: pycocotools would allocate 9.4 GiB
    src = _coco(tmp_path, _crowd([100_000, 100_000], "PPZfVg30PPZfVg30PPkd\\TN"))
    dst = tmp_path / "out"
    line = assert_refused(run_capped("convert", str(src), str(dst), "--to", "nucleus"), dst)
    assert line.startswith(f"error: {src}: annotation id 1: field 'segmentation': RLE 'size'")
    assert "10000000000 pixels, over the limit" in line


def test_rle_runs_past_uint32_are_refused_not_an_overflow(tmp_path: Path) -> None:
    src = _coco(tmp_path, _crowd([100_000, 100_000], [10_000_000_000]))
    dst = tmp_path / "out"
    result = run_capped(
        "convert", str(src), str(dst), "--to", "nucleus", "-r", "max_pixels=10000000000"
    )
    assert_refused(result, dst, "annotation id 1", "field 'segmentation'", "at most 4294967295")


def test_max_pixels_lets_a_large_rle_through(tmp_path: Path) -> None:
    src = _coco(tmp_path, _crowd([100, 200], [20_000]))
    dst = tmp_path / "out"
    refused = run_cli("convert", str(src), str(dst), "--to", "nucleus", "-r", "max_pixels=19999")
    assert_refused(refused, dst, "20000 pixels, over the limit of 19999")
    ok = run_cli("convert", str(src), str(dst), "--to", "nucleus", "-r", "max_pixels=20000")
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize(
    ("where", "field"),
    [("annotation", "zz"), ("image", "zz"), ("top", "top_level"), ("category", "attributes")],
)
def test_a_value_nested_300_deep_is_refused_while_reading(
    tmp_path: Path, where: str, field: str
) -> None:
    deep: Any = 1
    for _ in range(300):
        deep = [deep]
    annotation = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2]}
    extra: dict[str, Any] = {}
    if where == "annotation":
        annotation["zz"] = deep
    elif where == "top":
        extra["zz"] = deep
    doc_image = {**IMAGE, "zz": deep} if where == "image" else IMAGE
    doc_category = {**CATEGORY, "zz": deep} if where == "category" else CATEGORY
    src = tmp_path / "c.json"
    doc = {"images": [doc_image], "categories": [doc_category], "annotations": [annotation]}
    src.write_text(json.dumps(doc | extra))  # orjson writes at most 255 levels
    dst = tmp_path / "out"
    result = run_cli("convert", str(src), str(dst), "--to", "nucleus")
    assert_refused(result, dst, str(src), f"field '{field}'", "nested more than 64 levels deep")


def test_a_value_nested_within_the_limit_is_carried(tmp_path: Path) -> None:
    deep: Any = 1
    for _ in range(60):
        deep = [deep]
    annotation = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "zz": deep}
    src = _coco(tmp_path, annotation)
    result = run_cli("convert", str(src), str(tmp_path / "out"), "--to", "nucleus")
    assert result.returncode == 0, result.stderr


def _panoptic(tmp_path: Path, png: bytes, segment_id: Any = 1) -> Path:
    (tmp_path / "pan").mkdir()
    (tmp_path / "pan" / "a.png").write_bytes(png)
    record = {
        "image_id": 1,
        "file_name": "a.png",
        "segments_info": [{"id": segment_id, "category_id": 1}],
    }
    src = tmp_path / "pan.json"
    src.write_bytes(
        orjson.dumps({"images": [IMAGE], "categories": [CATEGORY], "annotations": [record]})
    )
    return src


@pytest.mark.parametrize(
    ("png", "fragment"),
    [(BAD_IHDR, "Truncated IHDR chunk"), (BROKEN_CHUNK, "broken PNG file")],
    ids=["ValueError", "SyntaxError"],
)
def test_a_malformed_panoptic_png_is_one_error_line(
    tmp_path: Path, png: bytes, fragment: str
) -> None:
    src = _panoptic(tmp_path, png)
    dst = tmp_path / "out"
    result = run_cli("convert", str(src), str(dst), "--to", "nucleus")
    assert_refused(result, dst, str(src), "panoptic annotation of image id 1", "a.png", fragment)


def test_a_13000_pixel_square_panoptic_png_is_refused_small(tmp_path: Path) -> None:
    src = _panoptic(tmp_path, one_colour_png(13000, 13000, mode=2))
    dst = tmp_path / "out"
    result = run_capped("convert", str(src), str(dst), "--to", "nucleus")
    assert_refused(result, dst, "panoptic annotation of image id 1", "169000000 pixels")


@pytest.mark.parametrize("segment_id", ["1", 1.5, 1 << 24, -4, [1], 10**30])
def test_a_panoptic_segment_id_of_the_wrong_type_or_range_is_refused(
    tmp_path: Path, segment_id: Any
) -> None:
    huge = segment_id == 10**30  # orjson cannot write it; JSON can hold it
    src = _panoptic(tmp_path, one_colour_png(4, 4, mode=2), 1 if huge else segment_id)
    if huge:
        text = src.read_text().replace('"id":1,"category_id"', f'"id":{10**30},"category_id"')
        src.write_text(text)
    dst = tmp_path / "out"
    result = run_cli("convert", str(src), str(dst), "--to", "nucleus")
    assert_refused(result, dst, "panoptic annotation of image id 1", "field 'segments_info'")
