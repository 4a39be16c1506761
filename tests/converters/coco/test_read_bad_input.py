"""Malformed COCO input: one clear error naming the file and the annotation, nothing written."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from cli_runner import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import FIXTURES

import nucleus_convert as nc

GOOD: dict[str, Any] = {
    "images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 3}],
    "categories": [
        {"id": 1, "name": "person", "keypoints": ["nose", "eye"], "skeleton": [[1, 2]]},
        {"id": 2, "name": "car"},
    ],
    "annotations": [
        {
            "id": 7,
            "image_id": 1,
            "category_id": 2,
            "bbox": [0, 0, 2, 2],
            "segmentation": [[0, 0, 2, 0, 2, 2]],
            "area": 2.0,
            "iscrowd": 0,
        },
        {
            "id": 8,
            "image_id": 1,
            "category_id": 1,
            "bbox": [0, 0, 1, 1],
            "keypoints": [1, 1, 2, 0, 0, 0],
            "num_keypoints": 1,
            "segmentation": {"size": [3, 4], "counts": [0, 2, 10]},
            "area": 2,
            "iscrowd": 1,
        },
    ],
}


def _broken(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    for key, value in changes.items():
        data["annotations"][0 if key.startswith("a7_") else 1][key[3:]] = value
    return data


CASES = {
    "polygon with two points": (_broken(a7_segmentation=[[0, 0, 1, 1]]), 7, "at least 3 points"),
    "polygon with an odd count": (
        _broken(a7_segmentation=[[0, 0, 1, 1, 2]]),
        7,
        "odd number of values",
    ),
    "segmentation neither polygons nor RLE": (
        _broken(a7_segmentation="0 0 1 1"),
        7,
        "list of polygons or an RLE",
    ),
    "RLE size disagrees with the image": (
        _broken(a8_segmentation={"size": [4, 3], "counts": [0, 2, 10]}),
        8,
        "disagrees with the image",
    ),
    "RLE runs do not cover the image": (
        _broken(a8_segmentation={"size": [3, 4], "counts": [0, 2, 3]}),
        8,
        "cover 5 pixels",
    ),
    "keypoints not a multiple of 3": (
        _broken(a8_keypoints=[1, 1, 2, 0, 0]),
        8,
        "not a multiple of 3",
    ),
    "keypoints disagree with the category's names": (
        _broken(a8_keypoints=[1, 1, 2, 0, 0, 0, 3, 3, 2]),
        8,
        "3 keypoints but category 'person' names 2",
    ),
    "keypoint visibility out of range": (
        _broken(a8_keypoints=[1, 1, 3, 0, 0, 0]),
        8,
        "visibility 3",
    ),
    "unknown category id": (_broken(a7_category_id=99), 7, "category id 99 is not in"),
    "unknown image id": (_broken(a7_image_id=42), 7, "image id 42 is not in the images"),
    "image id as a float": (_broken(a7_image_id=1.0), 7, "image_id must be an integer, got 1.0"),
    "image id as a boolean": (_broken(a7_image_id=True), 7, "image_id must be an integer"),
    "category id as a boolean": (_broken(a7_category_id=True), 7, "category_id must be an"),
    "negative bbox width": (_broken(a7_bbox=[0, 0, -1, 2]), 7, "negative size"),
    "bbox of three numbers": (_broken(a7_bbox=[0, 0, 1]), 7, "bbox must be"),
    "string coordinates": (
        _broken(a7_segmentation=[["0", "0", "1", "1", "2", "2"]]),
        7,
        "must be numbers",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_annotation_is_refused_with_file_and_annotation_id(
    case: str, tmp_path: Path
) -> None:
    data, ann_id, message = CASES[case]
    src = tmp_path / "instances.json"
    src.write_bytes(orjson.dumps(data))
    with pytest.raises(nc.InputError) as info:
        nc.convert(src, tmp_path / "out", from_="coco")
    text = str(info.value)
    assert text.startswith(f"{src}: annotation id {ann_id}: "), text
    assert message in text
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instances.json"]


@pytest.mark.parametrize("case", ["polygon with two points", "unknown image id"])
def test_cli_prints_one_line_exits_2_and_writes_nothing(case: str, tmp_path: Path) -> None:
    data, ann_id, message = CASES[case]
    src = tmp_path / "instances.json"
    src.write_bytes(orjson.dumps(data))
    proc = run_cli("convert", str(src), str(tmp_path / "out"), "--from", "coco")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"annotation id {ann_id}" in proc.stderr and message in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_json_names_the_file_and_line(tmp_path: Path) -> None:
    src = tmp_path / "instances.json"
    src.write_text('{"images": [\n  {"id": 1,,}\n]}')
    with pytest.raises(nc.InputError, match=r"instances\.json:2: not valid JSON"):
        nc.read(src, "coco")


def test_on_error_skip_writes_the_rest_and_lists_every_skipped_record(tmp_path: Path) -> None:
    data = _broken(a7_segmentation=[[0, 0, 1, 1]], a8_keypoints=[1, 1])
    src = tmp_path / "instances.json"
    src.write_bytes(orjson.dumps(data))
    proc = run_cli(
        "convert", str(src), str(tmp_path / "out"), "--from", "coco", "--on-error", "skip"
    )
    assert proc.returncode == 0, proc.stderr
    assert "skipped 2 malformed records" in proc.stderr
    assert "annotation id 7" in proc.stderr and "annotation id 8" in proc.stderr
    manifest = orjson.loads((tmp_path / "out" / "manifest.json").read_bytes())
    assert len(manifest["skipped"]) == 2
    (row,) = [r for r in manifest["loss"] if r["kind"] == "record"]
    assert row["dropped"] == 2
    assert (tmp_path / "out" / "items.jsonl").is_file()
    assert not (tmp_path / "out" / "annotations.jsonl").exists()


def test_on_error_is_refused_for_a_format_without_it(tmp_path: Path) -> None:
    fixture = FIXTURES / "nucleus"
    proc = run_cli("convert", str(fixture), str(tmp_path / "o"), "--on-error", "skip")
    assert proc.returncode == 2 and "has no --on-error" in proc.stderr


_junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False)
    | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=7) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(
        ["bbox", "segmentation", "keypoints", "category_id", "image_id", "id", "score"]
    ),
    value=_junk,
)
def test_any_junk_in_an_annotation_field_is_converted_or_refused_cleanly(
    tmp_path: Path, field: str, value: Any
) -> None:
    data = copy.deepcopy(GOOD)
    data["annotations"][1][field] = value
    src = tmp_path / "junk.json"
    src.write_bytes(orjson.dumps(data))
    out = tmp_path / "out"
    try:
        nc.convert(src, out, from_="coco", overwrite=True)
    except nc.InputError as exc:
        assert str(exc).startswith(f"{src}: ")
        return
    except nc.OutputError:
        return
    back = tmp_path / "back.json"
    nc.convert(out, back, from_="nucleus", to="coco", overwrite=True)
    assert orjson.loads(back.read_bytes())["images"][0]["file_name"] == "a.jpg"
