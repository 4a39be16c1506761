"""compare(): annotations are compared through their kind's codec, and a kind no codec declares
is an error, never skipped; a kind with no special comparison is compared field by field."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import pytest

from nucleus_convert.kinds import CODECS, NoCodecError, PayloadlessCodec
from nucleus_convert.model import (
    Annotation,
    Box,
    Header,
    ImageCategory,
    ImageMedia,
    Item,
    MaterializedDataset,
)
from nucleus_convert.roundtrip import compare


@dataclasses.dataclass(slots=True, kw_only=True)
class Ellipse(Annotation):
    """A kind the model does not have, to show what a new kind gets without writing any
    comparison of its own."""

    kind: ClassVar[str] = "ellipse"
    cx: float
    cy: float
    radii: tuple[float, float]
    note: str = ""


class EllipseCodec(PayloadlessCodec[Ellipse]):
    kind = "ellipse"
    model = Ellipse
    no_payload = "a test kind"


def _dataset(*annotations: Annotation) -> MaterializedDataset:
    item = Item("a", media=ImageMedia("a.jpg", 8, 6), annotations=list(annotations))
    return MaterializedDataset(Header(), [item], [])


ELLIPSE = Ellipse(label="e", id="e-1", cx=1.0, cy=2.0, radii=(3.0, 1.0), note="n", track_id="t")


def test_a_kind_without_a_codec_stops_the_comparison() -> None:
    data = _dataset(ELLIPSE)
    with pytest.raises(NoCodecError, match="'ellipse'"):
        compare(data, data)


@pytest.mark.parametrize(
    ("field", "value"),
    [("cx", 1.5), ("radii", (3.0, 2.0)), ("note", "other"), ("track_id", "u"), ("label", "f")],
)
def test_a_kind_with_no_special_comparison_is_compared_field_by_field(
    monkeypatch: pytest.MonkeyPatch, field: str, value: Any
) -> None:
    monkeypatch.setitem(CODECS, "ellipse", EllipseCodec())
    same = compare(_dataset(ELLIPSE), _dataset(dataclasses.replace(ELLIPSE)))
    assert not same.has_loss()
    assert {e.field for e in same if e.kind == "ellipse" and e.count("kept")} >= {
        "*",
        "cx",
        "cy",
        "radii",
        "note",
        "label",
        "track_id",
    }
    report = compare(_dataset(ELLIPSE), _dataset(dataclasses.replace(ELLIPSE, **{field: value})))
    changed = {(e.kind, e.field) for e in report if e.count("changed")}
    assert changed == {("ellipse", field)}


def test_a_category_taxonomy_change_is_caught_without_any_category_specific_code() -> None:
    a = ImageCategory(label="day", taxonomy="time")
    report = compare(_dataset(a), _dataset(dataclasses.replace(a, taxonomy="weather")))
    assert report.entries[("category", "taxonomy")].count("changed") == 1


def test_a_flipped_prediction_flag_is_a_missing_and_a_new_annotation() -> None:
    box = Box(label="car", x=0, y=0, width=1, height=1)
    report = compare(_dataset(box), _dataset(dataclasses.replace(box, prediction=True)))
    assert report.entries[("box", "*")].counts == {"dropped": 1, "changed": 1}


def test_extra_fields_are_compared() -> None:
    box = Box(label="car", x=0, y=0, width=1, height=1, extra={"task_id": "t1"})
    report = compare(_dataset(box), _dataset(dataclasses.replace(box, extra={})))
    assert report.entries[("box", "extra")].count("changed") == 1
