"""The loss report: what a conversion kept, approximated, dropped or could not upload.

Writers record what the target format cannot carry; the round-trip comparison records what
changed. Counts are kept per ``(kind, field)``: ``kind`` is an annotation kind (``box``,
``segmentation``...) or ``item``/``scene``/``header``; ``field`` names the part concerned
(``*`` for the whole record). Nothing a converter leaves behind may go unrecorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nucleus_convert.model import Scene

__all__ = ["LOSSY_STATUSES", "STATUSES", "LossEntry", "LossReport"]

STATUSES = ("kept", "approximated", "dropped", "changed", "not_uploadable")
"""``approximated``: kept within a stated tolerance or by a documented substitute;
``dropped``: not in the output at all; ``changed``: present but different beyond tolerance
(round trips only); ``not_uploadable``: written, but the Nucleus API does not accept it."""

LOSSY_STATUSES = ("approximated", "dropped", "changed")
"""The statuses that count as loss (``not_uploadable`` is written, so it is not one)."""


@dataclass(slots=True)
class LossEntry:
    """Counts for one ``(kind, field)`` and the first reason given for each lossy status."""

    kind: str
    field: str
    counts: dict[str, int] = dc_field(default_factory=dict)
    reasons: dict[str, str] = dc_field(default_factory=dict)
    examples: list[str] = dc_field(default_factory=list)

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    def reason(self) -> str:
        """Every status's reason, in :data:`STATUSES` order, joined with ``; ``."""
        return "; ".join(self.reasons[s] for s in STATUSES if s in self.reasons)


@dataclass(slots=True)
class LossReport:
    """Accumulates counts; merge reports from both legs of a round trip with :meth:`merge`."""

    entries: dict[tuple[str, str], LossEntry] = dc_field(default_factory=dict)
    max_examples: int = 5
    skipped: list[str] = dc_field(default_factory=list)
    """Every record a reader skipped under ``on_error=skip``, as its located error message."""
    _sink: LossReport | None = dc_field(default=None, repr=False, compare=False)

    def forward_to(self, other: LossReport) -> None:
        """Move everything recorded here into ``other`` and send all later records there.

        A streaming reader keeps adding to the report it started with while a writer runs;
        forwarding it to the writer's report makes both one: what the writer puts in its
        output (a bundle's manifest) is exactly the report the caller gets back.
        """
        target = other.sink()
        if target is self.sink():
            return
        target.merge(self)
        self.entries.clear()
        self.skipped.clear()
        self._sink = target

    def sink(self) -> LossReport:
        """The report records end up in: this one, or the one it was forwarded to."""
        report = self
        while report._sink is not None:
            report = report._sink
        return report

    def record(
        self,
        status: str,
        kind: str,
        field: str = "*",
        n: int = 1,
        *,
        reason: str | None = None,
        example: str | None = None,
    ) -> None:
        """Add ``n`` to the count of ``status`` for ``(kind, field)``."""
        if self._sink is not None:
            self.sink().record(status, kind, field, n, reason=reason, example=example)
            return
        if status not in STATUSES:
            raise ValueError(f"unknown loss status {status!r}")
        if n <= 0:
            return
        entry = self.entries.get((kind, field))
        if entry is None:
            entry = self.entries[(kind, field)] = LossEntry(kind, field)
        entry.counts[status] = entry.counts.get(status, 0) + n
        if reason and status not in entry.reasons:
            entry.reasons[status] = reason
        if example and len(entry.examples) < self.max_examples:
            entry.examples.append(example)

    def kept(self, kind: str, field: str = "*", n: int = 1) -> None:
        self.record("kept", kind, field, n)

    def approximated(self, kind: str, field: str = "*", n: int = 1, **why: Any) -> None:
        self.record("approximated", kind, field, n, **why)

    def dropped(self, kind: str, field: str = "*", n: int = 1, **why: Any) -> None:
        self.record("dropped", kind, field, n, **why)

    def changed(self, kind: str, field: str = "*", n: int = 1, **why: Any) -> None:
        self.record("changed", kind, field, n, **why)

    def not_uploadable(self, kind: str, field: str = "*", n: int = 1, **why: Any) -> None:
        self.record("not_uploadable", kind, field, n, **why)

    def dropped_scenes(self, scenes: Iterable[Scene], *, reason: str) -> None:
        """Count scenes a format cannot carry as dropped, with the annotations on them.

        The scenes' items are the writer's own business (it may keep them as plain items).
        """
        for scene in scenes:
            self.dropped("scene", reason=reason, example=scene.reference_id)
            for ann in scene.annotations:
                self.dropped(ann.kind, reason=reason, example=scene.reference_id)

    def skip(self, error: Exception, kind: str = "record") -> None:
        """Record a malformed source record that was skipped instead of failing the read."""
        message = str(error)
        self.sink().skipped.append(message)
        self.dropped(kind, reason="malformed, skipped (on_error=skip)", example=message)

    def merge(self, other: LossReport, statuses: tuple[str, ...] = STATUSES) -> None:
        """Add the counts of ``other`` (only the given statuses) into this report."""
        if self._sink is not None:
            self.sink().merge(other, statuses)
            return
        if other.sink() is self:
            return
        self.skipped.extend(other.skipped)
        for (kind, fld), entry in other.entries.items():
            counts = {s: n for s, n in entry.counts.items() if s in statuses and n}
            for status, n in counts.items():
                self.record(status, kind, fld, n, reason=entry.reasons.get(status))
            mine = self.entries.get((kind, fld))
            if mine is None:
                continue
            room = self.max_examples - len(mine.examples)
            if room > 0:
                mine.examples.extend(entry.examples[:room])

    def __iter__(self) -> Iterator[LossEntry]:
        return iter(sorted(self.entries.values(), key=lambda e: (e.kind, e.field)))

    def lossy_entries(self) -> list[LossEntry]:
        """Entries with anything approximated, dropped or changed."""
        return [e for e in self if any(e.count(s) for s in LOSSY_STATUSES)]

    def has_loss(self) -> bool:
        return bool(self.lossy_entries())

    def to_json(self) -> list[dict[str, Any]]:
        """A JSON-ready list, one object per ``(kind, field)``, sorted: ``kind``, ``field``, a
        count per status, ``reason`` (every status's reason, joined with ``; ``), ``reasons``
        by status and up to :attr:`max_examples` ``examples``."""
        out: list[dict[str, Any]] = []
        for e in self:
            row: dict[str, Any] = {"kind": e.kind, "field": e.field}
            row.update({s: e.count(s) for s in STATUSES})
            row["reason"] = e.reason()
            if e.reasons:
                row["reasons"] = {s: e.reasons[s] for s in STATUSES if s in e.reasons}
            if e.examples:
                row["examples"] = list(e.examples)
            out.append(row)
        return out

    @classmethod
    def from_json(cls, rows: list[dict[str, Any]]) -> LossReport:
        report = cls()
        for row in rows:
            for status in STATUSES:
                report.record(
                    status,
                    row["kind"],
                    row["field"],
                    int(row.get(status, 0)),
                    reason=row.get("reasons", {}).get(status),
                )
            for ex in row.get("examples", []):
                entry = report.entries.get((row["kind"], row["field"]))
                if entry is not None and len(entry.examples) < report.max_examples:
                    entry.examples.append(ex)
        return report

    def format_table(self, *, only_loss: bool = False, all_fields: bool = True) -> str:
        """A plain-text table (kind, field, one column per status, reason).

        ``only_loss`` keeps lossy rows; ``all_fields=False`` keeps the per-kind rows (field
        ``*``) and every row with a loss or a flag.
        """
        entries = self.lossy_entries() if only_loss else list(self)
        if not all_fields:
            entries = [
                e
                for e in entries
                if e.field == "*" or any(e.count(s) for s in (*LOSSY_STATUSES, "not_uploadable"))
            ]
        if not entries:
            return "nothing lost"
        head = ["kind", "field", *STATUSES, "reason"]
        rows = [
            [
                e.kind,
                e.field,
                *(str(e.count(s)) for s in STATUSES),
                e.reason(),
            ]
            for e in entries
        ]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
        lines = []
        for r in [head, *rows]:
            cells = [c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)]
            lines.append("  ".join([*cells, r[-1]]).rstrip())
        return "\n".join(lines)
