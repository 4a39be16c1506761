"""The field ledger: what a writer's declaration leaves out is counted per (kind, field)."""

from __future__ import annotations

import pytest

from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    ANNOTATION_KINDS,
    Box,
    CameraParams,
    Header,
    ImageMedia,
    Item,
    Polyline,
    Scene,
)
from nucleus_convert.toolkit.losses import (
    RECORD_KINDS,
    Carries,
    FieldLedger,
    holds_value,
    record_fields,
)

BOX_GEOMETRY = {"label", "x", "y", "width", "height"}


def _box(**fields: object) -> Box:
    return Box(x=0, y=0, width=1, height=1, label="cat", **fields)  # type: ignore[arg-type]


def _rows(report: LossReport) -> dict[tuple[str, str], int]:
    return {(e.kind, e.field): e.count("dropped") for e in report if e.count("dropped")}


def test_record_fields_are_the_model_fields_without_the_prediction_flag() -> None:
    assert record_fields("box") == (
        "label", "id", "attributes", "track_id", "group_id", "score", "class_pdf", "extra",
        "x", "y", "width", "height",
    )  # fmt: skip
    assert "camera" in record_fields("item")
    assert "source" not in record_fields("header")
    assert set(RECORD_KINDS) == {*ANNOTATION_KINDS, "item", "scene", "header"}


def test_every_field_holding_a_value_and_not_carried_is_dropped_with_its_kind_and_name() -> None:
    report = LossReport()
    ledger = FieldLedger(report, Carries.of("toy", {"box": BOX_GEOMETRY}))
    ledger.fields(_box(track_id="t1", group_id="g", attributes={"a": 1}, id="7"), "item 'a'")
    ledger.fields(_box(track_id="t2"), "item 'b'")
    assert _rows(report) == {
        ("box", "track_id"): 2,
        ("box", "group_id"): 1,
        ("box", "attributes"): 1,
        ("box", "id"): 1,
    }
    entry = report.entries[("box", "track_id")]
    assert entry.reasons["dropped"] == "toy has no place for box track_id"
    assert entry.examples == ["item 'a'", "item 'b'"]


def test_empty_defaults_are_not_losses_but_zero_is_a_value() -> None:
    report = LossReport()
    ledger = FieldLedger(report, Carries.of("toy", {"box": BOX_GEOMETRY | {"score"}}))
    ledger.fields(_box(attributes={}, extra={}, id=None), "x")
    assert _rows(report) == {}
    assert holds_value(0) and holds_value(0.0) and holds_value("x") and holds_value([0])
    assert not any(holds_value(v) for v in (None, False, "", [], {}, ()))


def test_handled_fields_are_left_to_the_writer() -> None:
    report = LossReport()
    ledger = FieldLedger(report, Carries.of("toy", {"item": {"reference_id", "media"}}))
    item = Item("a", ImageMedia("a.jpg"), metadata={"k": 1}, extra={"e": 1})
    ledger.fields(item, "item 'a'", handled={"metadata"})
    assert _rows(report) == {("item", "extra"): 1}


def test_item_camera_and_scene_fields_are_counted_like_annotation_fields() -> None:
    report = LossReport()
    carries = Carries.of(
        "toy",
        {"item": {"reference_id", "media", "annotations"}, "scene": {"reference_id"}},
        reasons={("item", "camera"): "toy has no cameras"},
    )
    ledger = FieldLedger(report, carries)
    camera = CameraParams((0, 0, 0), (0, 0, 0, 1), 1, 1, 0, 0)
    ledger.fields(Item("a", ImageMedia("a.jpg"), camera=camera), "item 'a'")
    ledger.fields(Scene("s", metadata={"m": 1}), "scene 's'")
    assert _rows(report) == {("item", "camera"): 1, ("scene", "metadata"): 1}
    assert report.entries[("item", "camera")].reasons["dropped"] == "toy has no cameras"


def test_a_kind_the_format_does_not_carry_is_dropped_whole_and_not_taken() -> None:
    report = LossReport()
    ledger = FieldLedger(report, Carries.of("toy", {"box": BOX_GEOMETRY}))
    line = Polyline(label="lane", points=[(0, 0), (1, 1)], track_id="t")
    assert ledger.take(_box(), "x")
    assert not ledger.take(line, "item 'a'")
    assert _rows(report) == {("polyline", "*"): 1}
    assert report.entries[("polyline", "*")].reasons["dropped"] == "toy has no polyline annotations"


def test_header_fields_are_counted() -> None:
    report = LossReport()
    ledger = FieldLedger(report, Carries.of("toy", {"header": {"categories"}}))
    ledger.fields(Header(taxonomies={}, extra={"coco": {}}), "header")
    assert _rows(report) == {("header", "extra"): 1}


def test_a_declaration_naming_an_unknown_kind_or_field_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown record kind 'boxes'"):
        Carries.of("toy", {"boxes": {"x"}})
    with pytest.raises(ValueError, match=r"box has no field\(s\) \['z'\]"):
        Carries.of("toy", {"box": {"x", "z"}})
