"""Annotation ids the official client's duplicate check accepts.

``AnnotationUploader.check_for_duplicate_ids`` refuses a batch in which two annotations share
``(reference_id, annotation_id, task_id)``; ``PredictionUploader`` refuses two predictions
sharing ``(annotation_id, reference_id)``. Polygons, lines, cuboids and segmentations get no
default id from the client (boxes and keypoints do), so two of them without an id on one item
already collide (``(ref, None)``). Category payloads have no ``annotation_id`` and are not
checked.

So the writer makes ``(reference_id, annotation_id)`` unique within annotations and within
predictions (stricter than the client, which also keys annotations by task). The first
annotation without an id on an item keeps none (``(ref, None)`` once is accepted). A later one
on the same item gets ``<kind>-<n>`` (``n`` its position on the item, 1-based), in either
mode, counted as approximated under ``(kind, "id")``: there is no source id to keep, and
without one the client refuses the whole batch. An id the
client invented (a box's ``label-x-y-w-h-ref``) that repeats gets a ``-<n>`` suffix; an id
shared by annotations of two kinds (one source object: a KITTI box and its cuboid) gets a
``-<kind>`` suffix on the later one, counted as approximated; a source
id that repeats is an :class:`OutputError` naming both records, or, with the writer option
``duplicate_ids=rename``, gets the suffix too and is counted as approximated under
``(kind, "id")``. Reference ids are unique per item (the writer checks), so the table is per
item and the check is one dict lookup per annotation.
"""

from __future__ import annotations

from typing import Any

from nucleus_convert.errors import OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Annotation

__all__ = ["DUPLICATE_ID_MODES", "AnnotationIds"]

DUPLICATE_ID_MODES = ("error", "rename")
_NO_ID_KINDS = frozenset({"category", "multicategory", "scene_category"})


class AnnotationIds:
    """Per item: the ids written so far, ground truth and predictions apart."""

    __slots__ = ("_gt", "_pos", "_pred", "rename", "report")

    def __init__(self, report: LossReport, *, rename: bool) -> None:
        self.report = report
        self.rename = rename
        self._gt: dict[str | None, str] = {}
        self._pred: dict[str | None, str] = {}
        self._pos = 0

    def start_item(self) -> None:
        """Forget the previous item's ids (ids need only be unique per reference id)."""
        self._gt.clear()
        self._pred.clear()
        self._pos = 0

    def check(self, ann: Annotation, payload: dict[str, Any], where: object) -> None:
        """Give ``payload`` an id the client's duplicate check accepts (see the module)."""
        self._pos += 1
        if ann.kind in _NO_ID_KINDS:
            return
        seen = self._pred if ann.prediction else self._gt
        ann_id = payload.get("annotation_id")
        if ann_id in seen:
            ann_id = self._repeat(ann, payload, seen, ann_id, where)
        seen[ann_id] = ann.kind

    @staticmethod
    def _free(seen: dict[str | None, str], base: str) -> str:
        """``base``, or ``base-2``, ``base-3``... whichever is not taken yet."""
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def _repeat(
        self,
        ann: Annotation,
        payload: dict[str, Any],
        seen: dict[str | None, str],
        ann_id: str | None,
        where: object,
    ) -> str | None:
        """A repeated id: renamed when the client invented it or ``rename`` is on."""
        first_kind = seen[ann_id]
        if ann_id is not None and first_kind != ann.kind:
            return self._rename(
                ann,
                payload,
                self._free(seen, f"{ann_id}-{ann.kind}"),
                where,
                "annotations of two kinds on one item share an id (one source object, such "
                "as a KITTI box and its cuboid); the Nucleus client needs them distinct, so "
                "the later one's id got a -<kind> suffix",
            )
        if ann_id is None:
            new_id = self._free(seen, f"{ann.kind}-{self._pos}")
            payload["annotation_id"] = new_id
            self.report.approximated(
                ann.kind,
                "id",
                reason="a second annotation without an id on the item was given one (the "
                "Nucleus client refuses two without an id on one item)",
                example=f"{where}: {new_id!r}",
            )
            return new_id
        if ann.id is not None and not self.rename:
            records = "predictions" if ann.prediction else "annotations"
            raise OutputError(
                f"{where}: annotation id {ann_id!r} repeats on this item among the {records}: "
                f"this {ann.kind} (annotation {self._pos} of the item) and an earlier "
                f"{first_kind} share it; the Nucleus client refuses the batch "
                "(-w duplicate_ids=rename makes ids unique)"
            )
        return self._rename(
            ann,
            payload,
            self._free(seen, ann_id),
            where,
            "a repeated annotation id was made unique with a -<n> suffix (the Nucleus "
            "client refuses duplicate ids)",
        )

    def _rename(
        self, ann: Annotation, payload: dict[str, Any], new_id: str, where: object, reason: str
    ) -> str:
        old = payload.get("annotation_id")
        payload["annotation_id"] = new_id
        self.report.approximated(
            ann.kind, "id", reason=reason, example=f"{where}: {old!r} -> {new_id!r}"
        )
        return new_id
