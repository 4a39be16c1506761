"""Round-trip comparison through the codecs: for every kind, any one changed field is caught as
``changed`` under ``(kind, row)``, the row being the field's name unless the codec maps it."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from nucleus_convert.geometry.rle import encode
from nucleus_convert.kinds import CODECS, Comparison
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    ANNOTATION_KINDS,
    Annotation,
    Box,
    Cuboid,
    ImageCategory,
    InstanceMask,
    Keypoint,
    Keypoints,
    MaskRef,
    MultiCategory,
    Polygon,
    Polyline,
    SceneCategory,
    Segment,
    Segmentation,
    Visibility,
)

COMMON: dict[str, Any] = {
    "label": "car",
    "id": "a-1",
    "attributes": {"occluded": 1},
    "track_id": "t-1",
    "group_id": "g-1",
    "score": 0.5,
    "class_pdf": {"car": 0.5, "bus": 0.5},
    "extra": {"embedding_vector": [0.1, 0.2]},
}
_MASK = np.zeros((4, 5), dtype=np.uint8)
_MASK[1:3, 1:4] = 1


def sample(kind: str) -> Annotation:
    """An annotation of ``kind`` with every field holding a value."""
    samples: dict[str, Annotation] = {
        "box": Box(x=1.0, y=2.0, width=3.0, height=4.0, **COMMON),
        "polygon": Polygon(points=[(0.0, 0.0), (4.0, 0.0), (4.0, 3.0)], **COMMON),
        "polyline": Polyline(points=[(0.0, 0.0), (4.0, 1.5)], **COMMON),
        "keypoints": Keypoints(
            points=[Keypoint(1.0, 2.0, Visibility.VISIBLE), Keypoint(3.0, 4.0, Visibility.HIDDEN)],
            names=["nose", "tail"],
            skeleton=[(0, 1)],
            **COMMON,
        ),
        "instance_mask": InstanceMask(rle=encode(_MASK), **COMMON),
        "segmentation": Segmentation(
            mask=MaskRef(array=_MASK.copy()),
            segments=[Segment(0, "bg"), Segment(1, "car", {"note": "x"})],
            **COMMON,
        ),
        "cuboid": Cuboid(position=(1.0, 2.0, 3.0), dimensions=(4.0, 2.0, 1.5), yaw=0.25, **COMMON),
        "category": ImageCategory(taxonomy="weather", **COMMON),
        "multicategory": MultiCategory(labels=["a", "b"], taxonomy="tags", **COMMON),
        "scene_category": SceneCategory(taxonomy="road", **COMMON),
    }
    return samples[kind]


def _changed(value: Any) -> Any:
    """A different value of the same shape."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1.5
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, dict) and "counts" in value:
        other = _MASK.copy()
        other[0, 0] = 1
        return encode(other)
    if isinstance(value, dict):
        return {**value, "changed": 1}
    if isinstance(value, MaskRef):
        assert value.array is not None
        return MaskRef(array=np.where(value.array == 1, 0, 1).astype(np.uint8))
    if isinstance(value, Keypoint):
        assert value.x is not None
        return Keypoint(value.x + 1.5, value.y, value.visibility)
    if isinstance(value, Segment):
        return Segment(value.index, value.label + "-changed", value.attributes)
    if isinstance(value, tuple):
        return (_changed(value[0]), *value[1:])
    if isinstance(value, list):
        return [_changed(value[0]), *value[1:]]
    raise AssertionError(f"no way to change {value!r}")


CASES = [(kind, name) for kind in ANNOTATION_KINDS for name in CODECS[kind].fields()]


def _compare(a: Annotation, b: Annotation) -> LossReport:
    report = LossReport()
    CODECS[a.kind].compare(a, b, Comparison(report, 1e-6), "here")
    return report


def _changed_rows(report: LossReport) -> set[tuple[str, str]]:
    return {(e.kind, e.field) for e in report if e.count("changed")}


@pytest.mark.parametrize("kind", sorted(ANNOTATION_KINDS))
def test_an_annotation_compared_with_itself_is_kept_field_by_field(kind: str) -> None:
    a = sample(kind)
    report = _compare(a, dataclasses.replace(a))
    assert not report.has_loss(), report.format_table(only_loss=True)
    rows = {e.field for e in report if e.count("kept")}
    assert rows == set(CODECS[kind].fields()) | (
        {"points.visibility"} if kind == "keypoints" else set()
    ) | ({"segments.attributes"} if kind == "segmentation" else set())


@pytest.mark.parametrize(("kind", "field"), CASES)
def test_changing_any_one_field_is_caught_under_its_kind_and_row(kind: str, field: str) -> None:
    a = sample(kind)
    b = dataclasses.replace(a, **{field: _changed(getattr(a, field))})
    report = _compare(a, b)
    assert (kind, field) in _changed_rows(report), report.format_table()


def test_every_field_of_every_kind_is_covered() -> None:
    assert {k for k, _ in CASES} == set(ANNOTATION_KINDS)
    assert ("box", "x") in CASES and ("segmentation", "mask") in CASES


def test_numbers_within_the_tolerance_are_approximated_not_changed() -> None:
    a = sample("polygon")
    b = dataclasses.replace(a, points=[(0.0, 1e-9), (4.0, 0.0), (4.0, 3.0)])
    report = _compare(a, b)
    assert report.entries[("polygon", "points")].counts == {"approximated": 1}


def test_cuboid_yaw_is_compared_modulo_a_full_turn() -> None:
    a = sample("cuboid")
    assert isinstance(a, Cuboid)
    report = _compare(a, dataclasses.replace(a, yaw=a.yaw + 2 * np.pi))
    assert report.entries[("cuboid", "yaw")].count("changed") == 0


def test_an_id_the_source_did_not_have_is_not_compared() -> None:
    a = dataclasses.replace(sample("box"), id=None)
    report = _compare(a, dataclasses.replace(a, id="invented"))
    assert ("box", "id") not in report.entries


def test_a_renumbered_index_mask_compares_equal() -> None:
    a = sample("segmentation")
    assert isinstance(a, Segmentation) and a.mask.array is not None
    b = dataclasses.replace(
        a,
        mask=MaskRef(array=(a.mask.array * 7).astype(np.uint8)),
        segments=[Segment(0, "bg"), Segment(7, "car", {"note": "x"})],
    )
    report = _compare(a, b)
    assert report.entries[("segmentation", "mask")].counts == {"kept": 1}
