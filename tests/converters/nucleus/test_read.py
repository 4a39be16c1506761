"""Bad Nucleus input: a precise error (file, line, field), exit status 2, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from cli_runner import run_cli
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.errors import InputError
from nucleus_convert.model import Box

FIXTURE = FIXTURES / "nucleus"


def _bundle_with_annotation(tmp_path: Path, payload: object, *, line_no: int = 3) -> Path:
    """A copy of the fixture whose annotations.jsonl has ``payload`` at line ``line_no``."""
    bundle = tmp_path / "bad"
    shutil.copytree(FIXTURE, bundle)
    path = bundle / "annotations.jsonl"
    lines = path.read_bytes().splitlines()
    raw = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    lines.insert(line_no - 1, raw)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return bundle


GOOD_BOX = {
    "label": "car",
    "type": "box",
    "geometry": {"x": 1, "y": 2, "width": 3, "height": 4},
    "reference_id": "img_000",
    "annotation_id": "bad-1",
    "metadata": {},
}
KEYPOINTS = {
    "label": "person",
    "type": "keypoints",
    "reference_id": "img_000",
    "annotation_id": "kp-bad",
    "geometry": {
        "keypoints": [{"x": 1, "y": 2, "visible": True}, {"x": 3, "y": 4, "visible": False}],
        "names": ["a", "b"],
        "skeleton": [[0, 1]],
    },
}

CASES = {
    "malformed line": (b'{"label": "car", "type": "box",', None, "not valid JSON"),
    "unknown type": ({**GOOD_BOX, "type": "ellipse"}, "type", "unknown annotation type 'ellipse'"),
    "missing reference id": (
        {k: v for k, v in GOOD_BOX.items() if k != "reference_id"},
        "reference_id",
        "missing",
    ),
    "missing box width": (
        {**GOOD_BOX, "geometry": {"x": 1, "y": 2, "height": 4}},
        "geometry.width",
        "missing required key",
    ),
    "string coordinate": (
        {**GOOD_BOX, "geometry": {"x": "1", "y": 2, "width": 3, "height": 4}},
        "geometry.x",
        "expected a number",
    ),
    "visible keypoint without coordinates": (
        {
            **KEYPOINTS,
            "geometry": {
                **KEYPOINTS["geometry"],
                "keypoints": [{"x": None, "y": None, "visible": True}, {"visible": False}],
            },
        },
        "geometry.keypoints[0]",
        "a visible keypoint needs x and y",
    ),
    "skeleton index out of range": (
        {**KEYPOINTS, "geometry": {**KEYPOINTS["geometry"], "skeleton": [[0, 1], [1, 2]]}},
        "geometry.skeleton[1]",
        "index 2 is out of range for 2 keypoints",
    ),
    "names do not match keypoints": (
        {**KEYPOINTS, "geometry": {**KEYPOINTS["geometry"], "names": ["a"]}},
        "geometry.names",
        "2 keypoints but 1 names",
    ),
    "polygon with two vertices": (
        {
            **GOOD_BOX,
            "type": "polygon",
            "geometry": {"vertices": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]},
        },
        "geometry.vertices",
        "at least 3 vertices",
    ),
    "negative box": (
        {**GOOD_BOX, "geometry": {"x": 1, "y": 2, "width": -3, "height": 4}},
        "geometry",
        "negative box size",
    ),
    "segment index as string": (
        {
            "type": "mask",
            "mask_url": "masks/img_000.png",
            "reference_id": "img_000",
            "annotations": [{"label": "x", "index": "1"}],
        },
        "annotations[0].index",
        "must be an integer",
    ),
    "mask url escaping the bundle": (
        {
            "type": "mask",
            "mask_url": "../../etc/passwd",
            "reference_id": "img_000",
            "annotations": [],
        },
        "url",
        "points outside the bundle",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_annotation_line_is_reported_with_file_line_and_field(
    tmp_path: Path, case: str
) -> None:
    payload, field, message = CASES[case]
    bundle = _bundle_with_annotation(tmp_path, payload, line_no=3)
    with pytest.raises(InputError) as info:
        list(nc.read(bundle).items)
    err = info.value
    assert err.path == str(bundle / "annotations.jsonl")
    assert err.line == 3
    assert err.field == field
    assert message in str(err)
    assert str(err).startswith(f"{bundle / 'annotations.jsonl'}:3: ")


def test_annotation_id_is_named_in_the_error(tmp_path: Path) -> None:
    bundle = _bundle_with_annotation(
        tmp_path, {**GOOD_BOX, "geometry": {"x": 1, "y": 2, "width": 3}}
    )
    with pytest.raises(InputError, match=r"annotation 'bad-1': field 'geometry.height'"):
        list(nc.read(bundle).items)


def test_bad_item_line_in_items_file_names_line_and_field(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    shutil.copytree(FIXTURE, bundle)
    with (bundle / "items.jsonl").open("ab") as fh:
        fh.write(
            orjson.dumps({"reference_id": "x", "metadata": {}, "width": -4, "image_url": "a.jpg"})
            + b"\n"
        )
    with pytest.raises(InputError) as info:
        list(nc.read(bundle).items)
    assert info.value.line == 5 and info.value.field == "width"


_cli = run_cli


def test_cli_reports_bad_input_with_exit_2_no_traceback_and_writes_nothing(tmp_path: Path) -> None:
    bundle = _bundle_with_annotation(tmp_path, CASES["skeleton index out of range"][0], line_no=2)
    dst = tmp_path / "out"
    proc = _cli("convert", str(bundle), str(dst), "--to", "nucleus")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {bundle / 'annotations.jsonl'}:2: annotation 'kp-bad': ")
    assert "field 'geometry.skeleton[1]'" in proc.stderr
    assert not dst.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad"]  # no temporary sibling left either


def test_single_jsonl_file_of_mixed_payloads_is_read(tmp_path: Path) -> None:
    lines = b"".join(
        (FIXTURE / name).read_bytes()
        for name in ("items.jsonl", "annotations.jsonl", "predictions.jsonl")
    )
    single = tmp_path / "payloads.jsonl"
    single.write_bytes(lines)
    expected = nc.read(FIXTURE).materialize()
    got = nc.read(single, "nucleus").materialize()
    images = {
        i.reference_id
        for i in expected.items
        if isinstance(i.media, nc.ImageMedia) and i.reference_id.startswith("img")
    }
    got_by_ref = {i.reference_id: i for i in got.items}
    for item in expected.items:
        if item.reference_id in images:
            other = got_by_ref[item.reference_id]
            assert [a.kind for a in other.annotations] == [a.kind for a in item.annotations]


def test_export_rows_of_the_client_are_read(tmp_path: Path) -> None:
    rows = [
        {
            "item": {"image_url": "s3://b/1.jpg", "reference_id": "1", "metadata": {"a": 1}},
            "annotations": {
                "box": [
                    {
                        "label": "car",
                        "type": "box",
                        "geometry": {"x": 1, "y": 2, "width": 3, "height": 4},
                        "annotation_id": "x1",
                        "metadata": {},
                    }
                ],
                "polygon": [],
                "segmentation": None,
            },
        },
        {
            # The API's raw export: types at the top level, no reference ids on annotations.
            "item": {"original_image_url": "s3://b/2.jpg", "ref_id": "2", "metadata": {}},
            "box": [],
            "polygon": [
                {
                    "label": "p",
                    "geometry": {
                        "vertices": [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 1, "y": 1}]
                    },
                }
            ],
            "cuboid": [],
            "line": [],
            "keypoints": [],
            "category": [{"label": "day", "taxonomy_name": "t"}],
            "multicategory": [],
        },
    ]
    path = tmp_path / "export.json"
    path.write_bytes(orjson.dumps(rows))
    items = {i.reference_id: i for i in nc.read(path).items}
    assert isinstance(items["1"].annotations[0], Box) and items["1"].annotations[0].id == "x1"
    assert [a.kind for a in items["2"].annotations] == ["polygon", "category"]
    assert items["2"].media == nc.ImageMedia("s3://b/2.jpg")
