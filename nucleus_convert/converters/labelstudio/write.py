"""Writing a Label Studio export: the inverse of :mod:`.read`.

One task per image item (point clouds are left out and counted), written as items stream: a
JSON list with one task a line (writer option ``flavor=json``, the default, which Label Studio
imports as it is) or JSON-MIN records (``flavor=json-min``, :mod:`.json_min`).

A task is rebuilt from the item: ``data`` from the image location (under ``ls_image_key``,
else the writer option ``image_key``) and the metadata keys; ``id``, the other task keys, and
each annotation's and prediction's own keys from ``ls_task_id``, ``ls_task``,
``ls_annotations`` and ``ls_predictions``. Ground-truth annotations go to the annotation their
``ls_annotation`` index names (0 by default), predictions to the prediction ``ls_prediction``
names. Groups become ``parentID``: an annotation whose group id is another annotation's id in
the same Label Studio annotation is that one's child; otherwise its parent is the group id
itself (an annotation alone in a group named by its own id keeps no group: counted). The item's
reference id goes to ``meta.item_reference_id`` when the reader would not derive it from the image
name.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import orjson

from nucleus_convert.converters.labelstudio.carries import CARRIES, MIN_CARRIES
from nucleus_convert.converters.labelstudio.json_min import min_records
from nucleus_convert.converters.labelstudio.locations import image_name
from nucleus_convert.converters.labelstudio.schema import (
    ANNOTATION_RECORD,
    ATTR,
    GENERATED_ID,
    PREDICTION_RECORD,
    RESERVED_METADATA,
    TASK_KEYS,
)
from nucleus_convert.converters.labelstudio.write_results import Target, Written, write_annotation
from nucleus_convert.errors import OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Dataset,
    Header,
    ImageCategory,
    ImageMedia,
    Item,
    MultiCategory,
    PointCloudMedia,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import local_image_size
from nucleus_convert.toolkit.losses import FieldLedger, drop_bare_categories, drop_metadata

__all__ = ["FLAVORS", "write_labelstudio"]

FLAVORS = ("json", "json-min")
_MAX_INDEX = 10_000
_NOT_AN_IMAGE = "a Label Studio image task cannot hold a point cloud: left out with its annotations"
_MIN_NO_PREDICTIONS = "JSON-MIN holds annotations only, no predictions"
_MIN_KEPT = frozenset({"id", "completed_by", "created_at", "updated_at", "lead_time"})


def _size(media: Any) -> tuple[int, int] | None:
    """The image's ``(width, height)``: the model's, else the local file's header."""
    if not isinstance(media, ImageMedia):
        return None
    if media.width is not None and media.height is not None:
        return media.width, media.height
    return local_image_size(media.path)


def _index(value: Any) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _MAX_INDEX
    return value if ok else 0


def _is_id(value: Any) -> bool:
    return isinstance(value, int | str) and not isinstance(value, bool)


def _records(metadata: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = metadata.get(key)
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    return []


class LabelStudioWriter:
    """Builds one task per item and writes it at once (see the module docstring)."""

    def __init__(self, out: IO[bytes], options: Mapping[str, Any], report: LossReport) -> None:
        self.out = out
        self.report = report
        self.flavor = options.get("flavor") or "json"
        self.min = self.flavor == "json-min"
        self.ledger = FieldLedger(report, MIN_CARRIES if self.min else CARRIES)
        self.image_key = str(options.get("image_key") or "image")
        self.summary = WriteSummary()
        self.first = True
        self.labels: set[str] = set()
        self.points: set[str] = set()
        self.choices: dict[str, set[str]] = {}

    # ------------------------------------------------------------------ output

    def emit(self, record: dict[str, Any], where: str) -> None:
        try:
            data = orjson.dumps(record)
        except (TypeError, orjson.JSONEncodeError) as exc:
            raise OutputError(f"{where}: not JSON: {exc}") from None
        self.out.write(b"[\n" if self.first else b",\n")
        self.out.write(data)
        self.first = False

    def close(self) -> None:
        self.out.write(b"[]\n" if self.first else b"\n]\n")

    # ------------------------------------------------------------------ items

    def write_item(self, item: Item) -> None:
        where = f"item {item.reference_id!r}"
        media = item.media
        if isinstance(media, PointCloudMedia):
            self.ledger.drop(item, where, _NOT_AN_IMAGE)
            for ann in item.annotations:
                self.report.dropped(ann.kind, reason=_NOT_AN_IMAGE, example=where)
            return
        self.ledger.fields(item, where, handled={"metadata"})
        target = Target(where, _size(media), self.report)
        task = self._task(item, media, target)
        if self.min:
            self._min_losses(item, task, where)
            for record in min_records(task, self._min_counter(target)):
                self.emit(record, where)
                self.summary.add("records")
        else:
            self.emit(task, where)
        self.summary.add("tasks")

    def _data(self, item: Item, media: Any, where: str) -> tuple[dict[str, Any], str | None]:
        md = item.metadata
        key = md.get("ls_image_key") if isinstance(md.get("ls_image_key"), str) else None
        key = key or self.image_key
        data: dict[str, Any] = {}
        if isinstance(media, ImageMedia):
            data[key] = media.path
        clash = [k for k in md if k == key and isinstance(media, ImageMedia)]
        drop_metadata(
            self.report,
            "item",
            clash,
            reason="the task's image is under this data key",
            where=where,
        )
        for name, value in md.items():
            if name not in RESERVED_METADATA and name not in clash:
                data[name] = value
        return data, (data[key] if isinstance(media, ImageMedia) else None)

    def _task(self, item: Item, media: Any, target: Target) -> dict[str, Any]:
        md = item.metadata
        data, location = self._data(item, media, target.where)
        task: dict[str, Any] = {}
        if _is_id(md.get("ls_task_id")):
            task["id"] = md["ls_task_id"]
        task["data"] = data
        gt, predictions = self._results(item, target)
        task["annotations"] = _assemble(_records(md, ANNOTATION_RECORD), gt, target)
        task["predictions"] = _assemble(_records(md, PREDICTION_RECORD), predictions, target)
        rest = md.get("ls_task")
        if isinstance(rest, dict):
            task.update((k, v) for k, v in rest.items() if k not in TASK_KEYS)
        derived = image_name(location) if location is not None else None
        if not derived and "id" in task:
            derived = str(task["id"])
        if derived != item.reference_id:
            meta = task.get("meta")
            task["meta"] = {
                **(meta if isinstance(meta, dict) else {}),
                "item_reference_id": item.reference_id,
            }
        self._count_reserved(md, target.where)
        return task

    def _count_reserved(self, md: dict[str, Any], where: str) -> None:
        wrong = [
            k
            for k, ok in (
                ("ls_task_id", _is_id(md.get("ls_task_id"))),
                ("ls_image_key", isinstance(md.get("ls_image_key"), str)),
                ("ls_task", isinstance(md.get("ls_task"), dict)),
                (ANNOTATION_RECORD, bool(_records(md, ANNOTATION_RECORD))),
                (PREDICTION_RECORD, bool(_records(md, PREDICTION_RECORD))),
            )
            if k in md and not ok and md[k]
        ]
        drop_metadata(
            self.report, "item", wrong, reason="not what a Label Studio reader wrote", where=where
        )

    def _results(
        self, item: Item, target: Target
    ) -> tuple[dict[int, list[Written]], dict[int, list[Written]]]:
        gt: dict[int, list[Written]] = {}
        predictions: dict[int, list[Written]] = {}
        target.used.update(a.id for a in item.annotations if a.id is not None)
        for ann in item.annotations:
            if not self.ledger.take(ann, target.where):
                continue
            if self.min and ann.prediction:
                self.report.dropped(ann.kind, reason=_MIN_NO_PREDICTIONS, example=target.where)
                continue
            where = f"{target.where}, {ann.kind} {ann.id!r}"
            self.ledger.fields(ann, where, handled={"id"} if self.min else ())
            if self.min and ann.id is not None and not GENERATED_ID.match(ann.id):
                self.report.dropped(
                    ann.kind, "id", reason="JSON-MIN results have no id", example=where
                )
            side = predictions if ann.prediction else gt
            index = _index(
                ann.attributes.get(ATTR.PREDICTION if ann.prediction else ATTR.ANNOTATION)
            )
            for written in write_annotation(ann, target):
                side.setdefault(index, []).append(written)
                self._seen(written)
        return gt, predictions

    def _seen(self, written: Written) -> None:
        ann = written.ann
        if isinstance(ann, ImageCategory | MultiCategory):
            labels = [ann.label] if isinstance(ann, ImageCategory) else ann.labels
            self.choices.setdefault(ann.taxonomy or "choice", set()).update(labels)
            self.labels.update(labels)
        elif ann.label:
            self.labels.add(ann.label)
            if written.kind == "keypoints":
                self.points.add(ann.label)

    def _min_counter(self, target: Target) -> Any:
        kinds = target.kinds

        def count(result: dict[str, Any], field: str, reason: str) -> None:
            kind = kinds.get(id(result), "item")
            self.report.dropped(kind, field, reason=reason, example=target.where)

        return count

    def _min_losses(self, item: Item, task: dict[str, Any], where: str) -> None:
        """What JSON-MIN cannot hold of the task itself."""
        md = item.metadata
        lost = []
        rest = md.get("ls_task")
        if isinstance(rest, dict) and set(rest) - {"agreement"}:
            lost.append("ls_task")
        records = _records(md, ANNOTATION_RECORD)
        if any(set(r) - _MIN_KEPT or r.get("was_cancelled") for r in records):
            lost.append(ANNOTATION_RECORD)
        if _records(md, PREDICTION_RECORD):
            lost.append(PREDICTION_RECORD)
        drop_metadata(self.report, "item", lost, reason="JSON-MIN has no place for it", where=where)
        meta = task.get("meta")
        if isinstance(meta, dict) and "item_reference_id" in meta:
            self.report.dropped(
                "item",
                "reference_id",
                reason="JSON-MIN has no task meta to keep a reference id the image name does "
                "not give",
                example=where,
            )

    # ------------------------------------------------------------------ header

    def finish(self, header: Header) -> None:
        ledger = FieldLedger(self.report, self.ledger.carries)
        ledger.fields(header, "header", handled={"categories", "taxonomies", "skeletons"})
        kept = {name for name in self.points if name}
        others = [
            name
            for name, sk in header.skeletons.items()
            if sk.names != [name] or sk.edges or name not in kept
        ]
        if others:
            self.report.dropped(
                "header",
                "skeletons",
                n=len(others),
                reason="Label Studio keypoints are single labelled points: no skeleton but "
                "the one-point skeleton of each keypoint label",
                example=", ".join(others[:5]),
            )
        drop_bare_categories(
            self.report,
            header,
            self.labels,
            "a Label Studio export names only the labels its results use",
        )
        lost = [
            name
            for name, tax in header.taxonomies.items()
            if set(tax.labels) != self.choices.get(name, set())
        ]
        if lost:
            self.report.dropped(
                "header",
                "taxonomies",
                n=len(lost),
                reason="a Label Studio export names only the choices its results use",
                example=", ".join(lost[:5]),
            )


def _assemble(
    records: list[dict[str, Any]],
    results: dict[int, list[Written]],
    target: Target,
) -> list[dict[str, Any]]:
    """The annotations (or predictions) of a task: each record with its results."""
    count = max(len(records), max(results, default=-1) + 1)
    out = []
    for index in range(count):
        entry = dict(records[index]) if index < len(records) else {}
        written = results.get(index, [])
        _link(written, target)
        flat = [r for w in written for r in w.results]
        for w in written:
            for r in w.results:
                target.kinds[id(r)] = w.kind
        entry["result"] = flat
        out.append(entry)
    return out


def _link(written: list[Written], target: Target) -> None:
    """``parentID`` from groups (see the module docstring)."""
    ls_ids: dict[str, str] = {}
    members: dict[str, int] = {}
    for w in written:
        if w.ann.id is not None:
            ls_ids.setdefault(w.ann.id, w.results[0]["id"])
        if w.ann.group_id is not None:
            members[w.ann.group_id] = members.get(w.ann.group_id, 0) + 1
    for w in written:
        group = w.ann.group_id
        if group is None or w.kind in ("category", "multicategory"):
            if group is not None:
                target.report.dropped(
                    w.kind,
                    "group_id",
                    reason="a choices result has no parentID",
                    example=target.where,
                )
            continue
        if group == w.ann.id:
            if members[group] == 1:
                target.report.dropped(
                    w.kind,
                    "group_id",
                    reason="alone in a group named by its own id: Label Studio keeps groups "
                    "only as parentID links",
                    example=target.where,
                )
            continue
        w.results[0]["parentID"] = ls_ids.get(group, group)


def write_labelstudio(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as one Label Studio JSON (or JSON-MIN) file at ``dst``."""
    with dst.open("wb") as out:
        writer = LabelStudioWriter(out, options, report)
        for item in dataset.items:
            writer.write_item(item)
        writer.close()
    report.dropped_scenes(dataset.scenes, reason="a Label Studio export has no scenes")
    writer.finish(dataset.header)
    writer.summary.files = [dst.name]
    return writer.summary
