"""Field-level loss accounting for writers: every model field a target cannot carry is counted.

A writer declares once, in a :class:`Carries`, what its format keeps of each model record: for
each *record kind* (an annotation kind such as ``box``, or ``item``, ``scene``, ``header``) the
model fields it writes. A :class:`FieldLedger` built from that declaration then looks at every
record the writer takes:

* :meth:`FieldLedger.take` answers whether the format has a place for the record's kind at all;
  when it has none, the whole record is counted as dropped under ``(kind, "*")`` with the
  declared reason, so a writer never writes a kind it does not know as an empty record;
* :meth:`FieldLedger.fields` counts every field of the record that *holds a value* and that the
  format does not carry as dropped under ``(kind, field)``.

A field holds a value when it differs from the model's default for it: not ``None``, not an
empty dict, list or string, not ``False``. Geometry fields always hold one. Fields that a writer
keeps in part (for example metadata, where some keys fit and others do not) are named in
``handled`` and counted by the writer itself, field by field.

The field names are the model's own (:func:`record_fields`), so a field added to the model is
counted as dropped by every writer until that writer says it carries it: nothing is lost
silently. An annotation's ``prediction`` flag (it restates ``score``) and the header's
``source`` (provenance) are never counted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from nucleus_convert.loss import LossReport
from nucleus_convert.model import ANNOTATION_KINDS, Annotation, Header, Item, Scene

__all__ = [
    "RECORD_KINDS",
    "SKIPPED_KIND",
    "Carries",
    "FieldLedger",
    "drop_bare_categories",
    "drop_metadata",
    "holds_value",
    "loss_row_problem",
    "metadata_field",
    "record_fields",
]

_RECORD_CLASSES: dict[str, type[Any]] = {
    **ANNOTATION_KINDS,
    "item": Item,
    "scene": Scene,
    "header": Header,
}
RECORD_KINDS: tuple[str, ...] = tuple(_RECORD_CLASSES)
"""Every kind a loss row may name: the annotation kinds, then ``item``, ``scene``, ``header``."""

SKIPPED_KIND = "record"
"""The kind of a skipped source record a reader could not tell the kind of
(:meth:`LossReport.skip`'s default); its rows name the whole record (field ``*``)."""

_NEVER_COUNTED = frozenset({"prediction", "source"})
"""Fields that are not data to keep: an annotation's ``prediction`` flag restates its ``score``
(the writer decides what a prediction becomes, not this ledger), and the header's ``source``
says where the dataset was read from (each writer records its own)."""


@cache
def record_fields(kind: str) -> tuple[str, ...]:
    """The model fields of a record kind, in declaration order (``prediction``, ``source`` left
    out).

    Raises ``KeyError`` for a kind the model does not have.
    """
    cls = _RECORD_CLASSES[kind]
    return tuple(f.name for f in dataclasses.fields(cls) if f.name not in _NEVER_COUNTED)


def holds_value(value: Any) -> bool:
    """True when a field value is more than the model's empty default.

    ``None``, ``False``, ``""`` and empty containers hold nothing; numbers (0 included),
    non-empty strings and containers, and objects (media, camera, masks) hold a value.
    """
    if value is None or value is False:
        return False
    if isinstance(value, str | dict | list | tuple | set | frozenset):
        return len(value) > 0
    return True


@dataclass(frozen=True, slots=True)
class Carries:
    """What a format keeps of each record kind.

    ``fields`` maps a record kind to the model fields the format writes; a kind missing from
    it is not carried at all. ``reasons`` gives the reason for a dropped ``(kind, field)`` or,
    under ``(kind, "*")``, for a whole kind the format has no place for; ``default_reason`` is
    used otherwise (``{format}``, ``{kind}`` and ``{field}`` are filled in).
    """

    format: str
    fields: Mapping[str, frozenset[str]]
    reasons: Mapping[tuple[str, str], str] = field(default_factory=dict)
    default_reason: str = "{format} has no place for {kind} {field}"
    no_kind_reason: str = "{format} has no {kind} annotations"

    @classmethod
    def of(
        cls,
        format: str,
        fields: Mapping[str, Iterable[str]],
        reasons: Mapping[tuple[str, str], str] | None = None,
        **options: str,
    ) -> Carries:
        """Build a declaration from plain iterables, checking every kind and field name.

        An unknown kind or field is a programming error (``ValueError``): a declaration that
        names a field the model does not have would hide a loss.
        """
        frozen: dict[str, frozenset[str]] = {}
        for kind, names in fields.items():
            known = set(record_fields(kind)) if kind in _RECORD_CLASSES else None
            if known is None:
                raise ValueError(f"{format}: unknown record kind {kind!r}")
            wanted = frozenset(names)
            unknown = wanted - known - _NEVER_COUNTED
            if unknown:
                raise ValueError(f"{format}: {kind} has no field(s) {sorted(unknown)}")
            frozen[kind] = wanted
        for kind, _ in reasons or {}:
            if kind not in _RECORD_CLASSES:
                raise ValueError(f"{format}: unknown record kind {kind!r} in reasons")
        return cls(format, frozen, dict(reasons or {}), **options)

    def carries_kind(self, kind: str) -> bool:
        return kind in self.fields

    def reason(self, kind: str, field: str) -> str:
        """The reason a ``(kind, field)`` is dropped (``field`` ``*``: the whole kind)."""
        given = self.reasons.get((kind, field))
        if given is not None:
            return given
        template = self.no_kind_reason if field == "*" else self.default_reason
        return template.format(format=self.format, kind=kind, field=field)


class FieldLedger:
    """Counts, in a :class:`LossReport`, what a writer's format cannot carry of each record."""

    def __init__(self, report: LossReport, carries: Carries) -> None:
        self.report = report
        self.carries = carries

    def take(self, record: Annotation | Item | Scene | Header, where: str) -> bool:
        """True when the format has a place for this record's kind.

        Otherwise the whole record is counted as dropped under ``(kind, "*")`` and the writer
        must leave it out.
        """
        kind = _kind_of(record)
        if self.carries.carries_kind(kind):
            return True
        self.report.dropped(kind, reason=self.carries.reason(kind, "*"), example=where)
        return False

    def fields(
        self,
        record: Annotation | Item | Scene | Header,
        where: str,
        *,
        handled: Iterable[str] = (),
    ) -> None:
        """Count every field of ``record`` that holds a value the format does not carry.

        ``handled`` names fields the writer counts itself. The record's kind must be carried
        (see :meth:`take`).
        """
        kind = _kind_of(record)
        carried = self.carries.fields[kind]
        skip = carried.union(handled) if handled else carried
        for name in record_fields(kind):
            if name in skip:
                continue
            if holds_value(getattr(record, name)):
                self.report.dropped(
                    kind, name, reason=self.carries.reason(kind, name), example=where
                )

    def drop(self, record: Annotation | Item | Scene | Header, where: str, reason: str) -> None:
        """Count a whole record the writer left out for a reason of its own."""
        self.report.dropped(_kind_of(record), reason=reason, example=where)


def _kind_of(record: Annotation | Item | Scene | Header) -> str:
    if isinstance(record, Annotation):
        return record.kind
    if isinstance(record, Item):
        return "item"
    if isinstance(record, Scene):
        return "scene"
    if isinstance(record, Header):
        return "header"
    raise TypeError(f"not a model record: {type(record).__name__}")


def metadata_field(key: str) -> str:
    """The loss-row field of one metadata key: ``metadata.<key>``."""
    return f"metadata.{key}"


def drop_metadata(
    report: LossReport, kind: str, keys: Iterable[str], *, reason: str, where: str
) -> int:
    """Count metadata keys a format cannot hold as dropped, one row per key.

    The one spelling every writer uses: ``(kind, "metadata.<key>")`` with ``kind`` the record
    kind holding the metadata (``item`` or ``scene``), ``reason`` the format's reason and
    ``where`` the record (for example ``"item 'a'"``) as the example. Keys are counted in
    sorted order; returns how many were counted. A writer that drops keys this way names
    ``metadata`` in :meth:`FieldLedger.fields`' ``handled``.
    """
    names = sorted(keys)
    for key in names:
        report.dropped(kind, metadata_field(key), reason=reason, example=where)
    return len(names)


def drop_bare_categories(
    report: LossReport, header: Header, written: Collection[str], reason: str
) -> None:
    """Count, as one ``(header, categories)`` row, the categories a format that declares
    labels by bare name only cannot give back: those no record of the output uses
    (``written`` holds the labels it does), and those with a ``source_id``, a
    ``supercategory`` or attributes."""
    lost = [
        c.name
        for c in header.categories
        if c.name not in written or c.source_id is not None or c.supercategory or c.attributes
    ]
    if lost:
        report.dropped(
            "header", "categories", n=len(lost), reason=reason, example=", ".join(lost[:5])
        )


def loss_row_problem(kind: str, field: str) -> str | None:
    """Why a loss row ``(kind, field)`` does not name the model, or ``None`` when it does.

    A row names a record kind of :data:`RECORD_KINDS` (or :data:`SKIPPED_KIND` for a skipped
    source record, whole: field ``*``) and ``*`` (the whole record), a model field of that
    kind (:func:`record_fields`), or a dotted refinement of one (``metadata.<key>``,
    ``categories.source_id``).
    """
    if kind == SKIPPED_KIND:
        return None if field == "*" else f"a skipped {SKIPPED_KIND} is counted whole (field *)"
    if kind not in _RECORD_CLASSES:
        return f"{kind!r} is not a model record kind ({', '.join(RECORD_KINDS)})"
    if field == "*":
        return None
    head = field.split(".", 1)[0]
    if head not in record_fields(kind):
        return f"{field!r} is not a field of {kind} ({', '.join(record_fields(kind))})"
    return None
