"""Malformed Label Studio input: one clear error naming the file, the task and result, and the
field; nothing written; ``on_error=skip`` leaves the record out and lists it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from cli_runner import run_cli

import nucleus_convert as nc

GOOD: dict[str, Any] = {
    "id": 7,
    "data": {"image": "/data/upload/1/a.png"},
    "annotations": [
        {
            "id": 1,
            "result": [
                {
                    "id": "r",
                    "type": "rectanglelabels",
                    "from_name": "label",
                    "to_name": "image",
                    "original_width": 20,
                    "original_height": 10,
                    "value": {"x": 1, "y": 2, "width": 3, "height": 4, "rectanglelabels": ["a"]},
                },
                {"id": "c", "type": "choices", "from_name": "q", "value": {"choices": ["yes"]}},
            ],
        }
    ],
}


def _result(**changes: Any) -> dict[str, Any]:
    task = copy.deepcopy(GOOD)
    result = task["annotations"][0]["result"][0]
    for key, value in changes.items():
        if key.startswith("v_"):
            result["value"][key[2:]] = value
        else:
            result[key] = value
    return task


def _task(**changes: Any) -> dict[str, Any]:
    task = copy.deepcopy(GOOD)
    task.update(changes)
    return task


_RESULT = "task 7, annotation 0, result 'r'"
_POLYGON = {"type": "polygonlabels", "v_polygonlabels": ["a"]}
CASES: dict[str, tuple[Any, str, str]] = {
    "x is text": ([_result(v_x="1")], f"{_RESULT}: field 'value.x'", "finite number"),
    "negative width": ([_result(v_width=-3)], f"{_RESULT}: field 'value'", "negative size"),
    "rotation is text": ([_result(v_rotation="9")], "field 'value.rotation'", "finite number"),
    "zero image width": ([_result(original_width=0)], "field 'original_width'", "positive"),
    "huge image height": ([_result(original_height=2**40)], "field 'original_height'", "positive"),
    "two-point polygon": (
        [_result(**_POLYGON, v_points=[[0, 0], [1, 1]])],
        "field 'value.points'",
        "at least 3 points",
    ),
    "points not pairs": (
        [_result(**_POLYGON, v_points=[[0, 0, 1], [1, 1], [2, 2]])],
        "field 'value.points'",
        "[x, y] number pairs",
    ),
    "labels not text": ([_result(v_rectanglelabels=[3])], "field 'value'", "must be strings"),
    "score is text": ([_result(score="high")], "field 'score'", "must be a number"),
    "result id is a list": ([_result(id=["r"])], "task 7, annotation 0: field 'id'", "string"),
    "parentID is a number": ([_result(parentID=3)], "field 'parentID'", "must be a string"),
    "result not an object": (
        [_task(annotations=[{"result": ["oops"]}])],
        "task 7, annotation 0",
        "must be an object",
    ),
    "result not a list": (
        [_task(annotations=[{"result": {"id": "r"}}])],
        "field 'annotations[0].result'",
        "must be a list",
    ),
    "annotations not a list": (
        [_task(annotations={"a": 1})],
        "task 7: field 'annotations'",
        "list",
    ),
    "data not an object": ([_task(data=["x"])], "task 7: field 'data'", "must be an object"),
    "image not text": ([_task(data={"image": 5})], "task 7: field 'image'", "must be a string"),
    "reserved data key": (
        [_task(data={"image": "a.png", "ls_task": 1})],
        "field 'ls_task'",
        "reserves",
    ),
    "task id is a float": ([_task(id=1.5)], "field 'id'", "integer or a string"),
    "task is a list": ([[1, 2]], "task [0]", "must be an object"),
    "reference id not text": (
        [_task(meta={"item_reference_id": 5})],
        "field 'meta.item_reference_id'",
        "non-empty string",
    ),
}


def _deep(levels: int) -> list[Any]:
    root: list[Any] = []
    node = root
    for _ in range(levels):
        node.append([])
        node = node[0]
    return root


CASES["deep data"] = (
    [_task(data={"image": "a.png", "k": _deep(70)})],
    "field 'data.k'",
    "nested more than",
)
CASES["deep task field"] = ([_task(meta=_deep(70))], "field 'meta'", "nested more than")


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "bad.json"
    path.write_bytes(orjson.dumps(data))
    return path


@pytest.mark.parametrize(("data", "where", "message"), CASES.values(), ids=list(CASES))
def test_malformed_records_are_one_located_error(
    tmp_path: Path, data: Any, where: str, message: str
) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(nc.InputError) as info:
        list(nc.read(path, "labelstudio").items)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and where in text and message in text
    assert "\n" not in text


def test_brush_rles_are_checked_before_decoding(tmp_path: Path) -> None:
    from nucleus_convert.converters.labelstudio.brush import encode_values

    brush = {"type": "brushlabels", "v_brushlabels": ["a"]}
    cases = [
        (_result(**brush, v_rle=[0, 0, 0, 1]), "header bits"),
        (_result(**brush, v_rle=encode_values([0] * 12)), "holds 12 values"),
        (_result(**brush, v_rle="AAA"), "must be a list"),
        (_result(**brush, v_format="png", v_rle=[]), "is not rle"),
        (
            _result(**brush, original_width=100_000, original_height=100_000, v_rle=[0]),
            "too large",
        ),
    ]
    for task, message in cases:
        with pytest.raises(nc.InputError, match=message) as info:
            list(nc.read(_write(tmp_path, [task]), "labelstudio").items)
        assert "field 'value" in str(info.value)


def test_the_pixel_limit_is_a_reader_option(tmp_path: Path) -> None:
    from nucleus_convert.converters.labelstudio.brush import encode_mask

    mask = [[True] * 20] * 10
    task = _result(type="brushlabels", v_brushlabels=["a"], v_rle=encode_mask(mask))
    path = _write(tmp_path, [task])
    assert len(list(nc.read(path, "labelstudio").items)) == 1
    with pytest.raises(nc.InputError, match="over the limit of 100"):
        list(nc.read(path, "labelstudio", max_pixels=100).items)


def test_a_file_that_is_not_an_export_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b"[{]")
    with pytest.raises(nc.InputError, match="not valid JSON"):
        nc.read(path, "labelstudio")
    path.write_bytes(b"42")
    with pytest.raises(nc.InputError, match="list of tasks"):
        nc.read(path, "labelstudio")
    with pytest.raises(nc.InputError, match="one JSON file"):
        nc.read(tmp_path, "labelstudio")


def test_on_error_skip_leaves_out_the_bad_result_or_task_and_lists_it(tmp_path: Path) -> None:
    bad_result = _result(v_x="1")
    bad_task = _task(id=8, data=["x"])
    good = _task(id=9, data={"image": "b.png"})
    dataset = nc.read(
        _write(tmp_path, [bad_result, bad_task, good]), "labelstudio", on_error="skip"
    )
    items = list(dataset.items)
    assert [i.reference_id for i in items] == ["a.png", "b.png"]
    assert [a.kind for a in items[0].annotations] == ["category"]
    assert len(dataset.losses.skipped) == 2
    assert dataset.losses.entries[("box", "*")].count("dropped") == 1
    assert dataset.losses.entries[("item", "*")].count("dropped") == 1


def test_the_cli_prints_one_line_and_writes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, [_result(v_x="1")])
    out = tmp_path / "out"
    proc = run_cli("convert", str(path), str(out), "--from", "labelstudio", "--to", "nucleus")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "field 'value.x'" in lines[0]
    assert not out.exists()
