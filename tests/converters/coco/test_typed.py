"""The COCO reader's typed fast path (msgspec) against its dict path (orjson).

The reference is the dict path itself: for every file, the typed path must give the same
model objects (compared by ``repr``, so 1 and 1.0 differ), the same loss report and the same
error, or decline the file so that the dict path reads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import CORPUS, FIXTURES

import nucleus_convert as nc
from nucleus_convert.converters.coco import read as coco_read
from nucleus_convert.converters.coco.typed import decode_typed

COCO_FILES = sorted(
    [
        *FIXTURES.glob("coco/*.json"),
        *CORPUS.glob("coco/**/*.json"),
        *CORPUS.glob("datumaro/coco_dataset/**/*.json"),
    ]
)


def _read(path: Path, typed: bool, monkeypatch: pytest.MonkeyPatch, **options: Any) -> str:
    """Everything the reader produced, as text: the items, header and loss rows, or the
    error's message."""
    with monkeypatch.context() as m:
        if not typed:
            m.setattr(coco_read, "decode_typed", lambda data: None)
        try:
            ds = nc.read(path, "coco", **options)
            items = list(ds.items)
        except nc.InputError as exc:
            return f"error: {exc}"
        return repr((items, ds.header, ds.losses.to_json()))


@pytest.mark.parametrize("path", COCO_FILES, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_typed_path_reads_each_coco_file_as_the_dict_path_does(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = {"on_error": "skip"} if "panoptic" in path.name else {}
    assert _read(path, True, monkeypatch, **options) == _read(path, False, monkeypatch, **options)


def test_standard_instances_files_take_the_typed_path() -> None:
    """The fast path is not dead code: the fixtures and real instances files use it."""
    taken = [p.name for p in COCO_FILES if decode_typed(p.read_bytes()) is not None]
    assert "instances_demo.json" in taken
    if CORPUS.is_dir():
        assert len(taken) >= 5, taken


def test_files_outside_the_schema_are_declined() -> None:
    base = {"images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}]}
    declined = [
        [],  # a results list
        {**base, "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "extra": 1}]},
        {**base, "annotations": [{"id": 1, "image_id": True, "category_id": 1}]},
        {**base, "annotations": [{"id": 2**63, "image_id": 1, "category_id": 1}]},
        {**base, "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "caption": "x"}]},
        {**base, "other": 1},
    ]
    for data in declined:
        assert decode_typed(orjson.dumps(data)) is None, data
    assert decode_typed(b'{"images": [{"file_name": "\\ud800"}]}') is None
    assert decode_typed(orjson.dumps({**base, "annotations": []})) is not None


def _mostly(
    good: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], one_in: int = 20
) -> st.SearchStrategy[Any]:
    """``good``, and ``rare`` once in ``one_in`` draws: most files stay inside the typed
    schema, and each edge still comes up in every run."""
    # (not st.integers: hypothesis draws the ends of a range far more often than 1 in n)
    draws = st.sampled_from([False] * (one_in - 1) + [True])
    return draws.flatmap(lambda is_rare: rare if is_rare else good)


_NUMBER = _mostly(
    st.one_of(st.integers(-5, 700), st.floats(-5, 700, allow_nan=False)),
    st.sampled_from([2**63, -(2**63) - 1, 2**70, 0.5, -0.0, True]),
    one_in=300,
)
_ODD = st.one_of(st.none(), st.booleans(), st.text(max_size=3), st.just([1, 2]), st.just({}))


def _value(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return _mostly(good, _ODD)


_RING = _mostly(
    st.integers(3, 6).flatmap(lambda n: st.lists(_NUMBER, min_size=2 * n, max_size=2 * n)),
    st.lists(_NUMBER, max_size=7),
)
_RLE = st.fixed_dictionaries(
    {"size": st.just([4, 4]), "counts": st.sampled_from([[16], [3, 13], [20], "04", [-1, 17]])}
)
_KEYPOINTS = _mostly(
    st.lists(st.tuples(_NUMBER, _NUMBER, st.integers(0, 2)), min_size=2, max_size=2).map(
        lambda points: [v for p in points for v in p]
    ),
    st.lists(st.integers(0, 3), max_size=7),
)
_RECORD = st.fixed_dictionaries(
    {
        "id": _value(st.integers(1, 1000)),
        "image_id": _value(_mostly(st.sampled_from([1, 2]), st.just(9))),
        "category_id": _value(_mostly(st.sampled_from([1, 2]), st.just(7))),
    },
    optional={
        "bbox": _value(_mostly(st.lists(_NUMBER, min_size=4, max_size=4), st.lists(_NUMBER))),
        "segmentation": _value(_mostly(st.lists(_RING, max_size=3), _RLE)),
        "area": _value(_NUMBER),
        "iscrowd": _value(st.integers(0, 1)),
        "keypoints": _value(_KEYPOINTS),
        "num_keypoints": _value(st.integers(0, 3)),
        "score": _value(st.floats(0, 1)),
        "attributes": _mostly(st.just({"occluded": False}), st.just({"x": [2**70]})),
    },
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(_RECORD, max_size=4), on_error=st.sampled_from(["raise", "skip"]))
def test_typed_path_keeps_every_outcome_of_the_dict_path(
    records: list[dict[str, Any]],
    on_error: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Records near and past every edge of the schema: the same objects, skips or error."""
    data = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 4, "height": 4},
            {"id": 2, "file_name": "b.jpg", "width": 4, "height": 4},
        ],
        "categories": [
            {"id": 1, "name": "cat", "keypoints": ["a", "b"], "skeleton": [[1, 2]]},
            {"id": 2, "name": "dog"},
        ],
        "annotations": records,
    }
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(data))  # json: orjson refuses integers past 64 bits
    typed = _read(path, True, monkeypatch, on_error=on_error)
    assert typed == _read(path, False, monkeypatch, on_error=on_error)
