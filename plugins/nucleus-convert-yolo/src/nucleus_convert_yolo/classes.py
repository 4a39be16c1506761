"""Class indexes of a written YOLO dataset, and what the header's categories lose on the way.

Conventions: the header's categories keep their integer ``source_id`` as class indexes when
those are distinct and ``>= 0`` with distinct names, and either exactly ``0..N-1`` or the
header comes from a YOLO source (``header.source["format"] == "yolo"``: a dataset YAML may leave
gaps, ``{0: a, 5: b}``); otherwise classes are numbered densely in header order (COCO's 1..90
ids are not YOLO indexes). Labels used by annotations but absent from the header (or added to
it by a streaming reader while writing) are appended in order of first use, after the largest
index so far.
"""

from __future__ import annotations

from nucleus_convert import Header, LossReport
from nucleus_convert.toolkit import FieldLedger
from nucleus_convert_yolo.carries import CARRIES

__all__ = ["Classes"]


def _yolo_indexes(header: Header) -> bool:
    cats = header.categories
    ids = [c.source_id for c in cats]
    names = [c.name for c in cats]
    int_ids = [i for i in ids if type(i) is int and i >= 0]
    if not cats or len(int_ids) != len(ids) or len(set(names)) != len(names):
        return False
    if len(set(int_ids)) != len(int_ids):
        return False
    return sorted(int_ids) == list(range(len(ids))) or header.source.get("format") == "yolo"


class Classes:
    """Label -> class index, growing as labels are met; counts the header's losses once
    (skeletons and extra are the writer's: :mod:`.yaml_out`)."""

    def __init__(self, header: Header, report: LossReport) -> None:
        self.header = header
        self.index: dict[str, int] = {}
        self.indexed = 0
        self.next = 0
        self._index_header(report)

    def _add(self, label: str, index: int) -> int:
        self.index[label] = index
        self.next = max(self.next, index + 1)
        return index

    def _index_header(self, report: LossReport) -> None:
        cats = self.header.categories
        keep = _yolo_indexes(self.header)
        renumbered = 0
        for c in cats:
            if c.name in self.index:
                continue
            index = c.source_id if keep else self.next
            assert isinstance(index, int)
            self._add(c.name, index)
            renumbered += c.source_id is not None and c.source_id != index
        self.indexed = len(cats)
        report.dropped(
            "header",
            "categories.source_id",
            n=renumbered,
            reason="YOLO class indexes are 0..N-1; the source's category ids are renumbered",
        )
        for fld, n in (
            ("supercategory", sum(c.supercategory is not None for c in cats)),
            ("attributes", sum(bool(c.attributes) for c in cats)),
        ):
            report.dropped(
                "header",
                f"categories.{fld}",
                n=n,
                reason=f"a YOLO dataset has class names only, no category {fld}",
            )
        FieldLedger(report, CARRIES).fields(
            self.header, "header", handled={"categories", "skeletons", "extra"}
        )

    def _catch_up(self) -> None:
        """Index categories a streaming reader added to the header since the last call."""
        cats = self.header.categories
        if len(cats) != self.indexed:
            for c in cats[self.indexed :]:
                if c.name not in self.index:
                    self._add(c.name, self.next)
            self.indexed = len(cats)

    def of(self, label: str) -> int:
        """The class index of ``label``, appended when new."""
        self._catch_up()
        found = self.index.get(label)
        if found is None:
            found = self._add(label, self.next)
        return found

    def known(self, label: str) -> int | None:
        """The class index of ``label`` when it has one already (nothing is appended)."""
        self._catch_up()
        return self.index.get(label)

    def names(self) -> dict[int, str]:
        """Every class, ``{index: name}`` in index order."""
        self._catch_up()
        by_index = {index: name for name, index in self.index.items()}
        return {i: by_index[i] for i in sorted(by_index)}
