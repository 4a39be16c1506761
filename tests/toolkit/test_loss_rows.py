"""Loss rows that name the model: the one metadata spelling, and the check of a row's names."""

from __future__ import annotations

import pytest

from nucleus_convert.loss import LossReport
from nucleus_convert.toolkit.losses import (
    RECORD_KINDS,
    SKIPPED_KIND,
    drop_metadata,
    loss_row_problem,
    metadata_field,
)


def test_drop_metadata_counts_one_row_per_key_in_sorted_order() -> None:
    report = LossReport()
    n = drop_metadata(
        report, "item", {"weather": 1, "author": "x"}, reason="no metadata", where="a"
    )
    assert n == 2
    assert [(e.kind, e.field) for e in report] == [
        ("item", "metadata.author"),
        ("item", "metadata.weather"),
    ]
    entry = report.entries[("item", metadata_field("weather"))]
    assert entry.count("dropped") == 1
    assert entry.reasons["dropped"] == "no metadata" and entry.examples == ["a"]
    assert drop_metadata(report, "scene", [], reason="r", where="s") == 0
    assert len(report.entries) == 2


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("box", "*"),
        ("box", "track_id"),
        ("box", "x"),
        ("item", "metadata.weather"),
        ("item", "media"),
        ("header", "categories.source_id"),
        ("scene", "metadata"),
        (SKIPPED_KIND, "*"),
    ],
)
def test_rows_naming_model_kinds_and_fields_pass(kind: str, field: str) -> None:
    assert loss_row_problem(kind, field) is None


@pytest.mark.parametrize(
    ("kind", "field", "says"),
    [
        ("prediction", "*", "'prediction' is not a model record kind"),
        ("annotation", "score", "'annotation' is not a model record kind"),
        ("box", "geometry", "'geometry' is not a field of box"),
        ("box", "points", "'points' is not a field of box"),
        ("header", "category id", "'category id' is not a field of header"),
        ("item", "image", "'image' is not a field of item"),
        (SKIPPED_KIND, "label", "counted whole"),
    ],
)
def test_rows_naming_made_up_kinds_or_fields_are_refused(kind: str, field: str, says: str) -> None:
    problem = loss_row_problem(kind, field)
    assert problem is not None and says in problem


def test_every_record_kind_accepts_its_whole_record_row() -> None:
    assert all(loss_row_problem(kind, "*") is None for kind in RECORD_KINDS)
