"""One Label Studio task to one :class:`~nucleus_convert.model.Item`.

* ``data``: the image key (reader option ``image_key``, else ``image``, else the first value
  naming an image file) becomes the :class:`ImageMedia` (see :mod:`.locations`), sized by the
  first result's ``original_width``/``original_height`` (else the local file's header, when it
  can be read here); every other key becomes an item metadata key.
* The reference id is the task ``meta``'s ``item_reference_id`` (what the writer stores when the
  item's id is not the one the reader would derive), else, by reader option ``reference_id``,
  the image's file name (``image``, the default) or the task id (``task``), falling back to the
  task id and then to ``task-<index>``.
* Item metadata keeps the rest of the task for the way back: ``ls_task_id``, ``ls_image_key``
  (when it is not ``image``), ``ls_task`` (every other task key: ``meta``, ``created_at``,
  ``file_upload``...), ``ls_annotations`` and ``ls_predictions`` (each annotation and prediction
  without its ``result``: ``id``, ``completed_by``, ``lead_time``, ``was_cancelled``,
  ``ground_truth``, ``model_version``, ``score``...). Very old exports call annotations
  ``completions``; they are read the same way (and written as ``annotations``).
* Results of a cancelled annotation (``was_cancelled``, or ``skipped`` in old exports) are left
  out and counted, as Label Studio's own converters leave them out.
* Result ids become annotation ids, unique on the item: a repeated id becomes ``<id>~<n>`` with
  the source id in ``ls_id``. ``parentID`` becomes ``group_id``: the child's group is its
  parent's annotation id, and the parent joins that group.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nucleus_convert.converters.labelstudio.locations import find_image_key, image_name, resolve
from nucleus_convert.converters.labelstudio.read_results import Built, Skipped, Source, build
from nucleus_convert.converters.labelstudio.regions import regions, result_kind
from nucleus_convert.converters.labelstudio.schema import (
    ANNOTATION_RECORD,
    ATTR,
    PREDICTION_RECORD,
    RESERVED_METADATA,
    TASK_KEYS,
)
from nucleus_convert.errors import InputError, brief
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Annotation, ImageMedia, Item
from nucleus_convert.toolkit.files import local_image_size
from nucleus_convert.toolkit.limits import json_value_problem
from nucleus_convert.toolkit.on_error import OnError, SkipRecord

__all__ = ["TaskReader", "task_record"]

_MAX_SIDE = 1 << 31


def task_record(task: Any, index: int) -> str:
    """How messages name a task: by its id, else by its position in the file."""
    tid = task.get("id") if isinstance(task, dict) else None
    return f"task {brief(tid)}" if tid is not None else f"task [{index}]"


def _is_size(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v < _MAX_SIDE


def _first_size(groups: list[list[Any]]) -> tuple[int, int] | None:
    for results in groups:
        for r in results:
            if isinstance(r, dict):
                w: Any = r.get("original_width")
                h: Any = r.get("original_height")
                if _is_size(w) and _is_size(h):
                    return w, h
    return None


class TaskReader:
    """Turns tasks into items (see the module docstring); errors go through ``on_error``."""

    def __init__(
        self, path: Path, options: Mapping[str, Any], losses: LossReport, on_error: OnError
    ) -> None:
        self.path = path
        self.mode = options.get("reference_id") or "image"
        if self.mode not in ("image", "task"):
            raise InputError(
                f"reader option reference_id must be 'image' or 'task', got {self.mode!r}"
            )
        self.wanted_key = str(options.get("image_key") or "")
        self.image_root = str(options.get("image_root") or "")
        self.max_pixels: int | None = options.get("max_pixels")
        self.losses = losses
        self.on_error = on_error

    def fail(self, message: str, record: str, field: str | None = None) -> InputError:
        return InputError(message, path=self.path, record=record, field=field)

    # ------------------------------------------------------------------ task fields

    def data(self, task: dict[str, Any], record: str) -> tuple[dict[str, Any], str | None]:
        """The task's ``data`` and its image key (``None``: no image)."""
        data = task.get("data", {})
        if not isinstance(data, dict):
            raise self.fail(f"data must be an object, got {brief(data)}", record, "data")
        key = find_image_key(data, self.wanted_key)
        if key is not None and key in data and not isinstance(data[key], str):
            raise self.fail(f"the image must be a string, got {brief(data[key])}", record, key)
        return data, (key if key in data else None)

    def reference(self, task: dict[str, Any], index: int) -> str:
        """The item's reference id (see the module docstring)."""
        record = task_record(task, index)
        meta = task.get("meta")
        if isinstance(meta, dict) and "item_reference_id" in meta:
            ref = meta["item_reference_id"]
            if not isinstance(ref, str) or not ref:
                raise self.fail(
                    f"meta.item_reference_id must be a non-empty string, got {brief(ref)}",
                    record,
                    "meta.item_reference_id",
                )
            return ref
        tid = task.get("id")
        if tid is not None and (isinstance(tid, bool) or not isinstance(tid, int | str)):
            raise self.fail(
                f"a task id must be an integer or a string, got {brief(tid)}", record, "id"
            )
        if self.mode == "image":
            data, key = self.data(task, record)
            name = image_name(data[key]) if key is not None else ""
            if name:
                return name
        return str(tid) if tid is not None else f"task-{index}"

    def _lists(self, task: dict[str, Any], record: str) -> tuple[list[Any], list[Any]]:
        key = "annotations" if "annotations" in task else "completions"
        out = []
        for name in (key, "predictions"):
            value = task.get(name) or []
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise self.fail(f"{name} must be a list of objects", record, name)
            for k, entry in enumerate(value):
                results = entry.get("result") or []
                if not isinstance(results, list):
                    raise self.fail("result must be a list", record, f"{name}[{k}].result")
            out.append(value)
        return out[0], out[1]

    def _metadata(
        self,
        task: dict[str, Any],
        data: dict[str, Any],
        key: str | None,
        lists: tuple[list[Any], list[Any]],
        record: str,
    ) -> dict[str, Any]:
        metadata: dict[str, Any] = {}
        for name, value in data.items():
            if name in RESERVED_METADATA and name != key:
                raise self.fail(f"data key {name!r} is a name the reader reserves", record, name)
            if name != key:
                metadata[name] = value
        if task.get("id") is not None:
            metadata["ls_task_id"] = task["id"]
        if key not in (None, "image"):
            metadata["ls_image_key"] = key
        rest = _task_rest(task)
        if rest:
            metadata["ls_task"] = rest
        for name, entries in zip((ANNOTATION_RECORD, PREDICTION_RECORD), lists, strict=True):
            records = [{k: v for k, v in e.items() if k != "result"} for e in entries]
            if any(v is not None for r in records for v in r.values()):
                metadata[name] = records
        for name, value in metadata.items():  # the field the value came from, in errors
            parts = value.items() if name == "ls_task" else [(_source_field(name, key), value)]
            for field, part in parts:
                problem = json_value_problem(part)
                if problem is not None:
                    raise self.fail(problem, record, field)
        return metadata

    # ------------------------------------------------------------------ items

    def item(self, task: Any, index: int) -> Item:
        """The item of one task (its results as annotations)."""
        record = task_record(task, index)
        if not isinstance(task, dict):
            raise self.fail(f"a task must be an object, got {brief(task)}", record)
        ref = self.reference(task, index)
        data, key = self.data(task, record)
        gt, predictions = self._lists(task, record)
        metadata = self._metadata(task, data, key, (gt, predictions), record)
        size = _first_size([e.get("result") or [] for e in (*gt, *predictions)])
        media = None
        if key is not None:
            location = resolve(data[key], self.image_root)
            if size is None:
                size = local_image_size(location)
            media = ImageMedia(location, *(size or (None, None)))
        item = Item(ref, media=media, metadata=metadata)
        taken: set[str] = set()
        for prediction, entries in ((False, gt), (True, predictions)):
            for k, entry in enumerate(entries):
                source = self._source(entry, record, prediction, k, size)
                item.annotations.extend(self._results(source, entry, taken))
        return item

    def _source(
        self,
        entry: dict[str, Any],
        record: str,
        prediction: bool,
        k: int,
        size: tuple[int, int] | None,
    ) -> Source:
        score = entry.get("score") if prediction else None
        if isinstance(score, bool) or not isinstance(score, int | float):
            score = None
        where = f"{record}, {'prediction' if prediction else 'annotation'} {k}"
        return Source(self.path, where, prediction, k, score, size, self.max_pixels)

    def _results(self, source: Source, entry: dict[str, Any], taken: set[str]) -> list[Annotation]:
        results = entry.get("result") or []
        if not source.prediction and (entry.get("was_cancelled") or entry.get("skipped")):
            for r in results:
                self.losses.dropped(
                    _loss_kind(result_kind(r)),
                    reason="its annotation was cancelled (was_cancelled)",
                    example=source.record,
                )
            return []
        built: list[Built] = []
        for region in regions(results):
            try:
                out = build(source, region)
            except InputError as err:
                try:
                    self.on_error.reject(err, _loss_kind(region.kind))
                except SkipRecord:
                    continue
            if isinstance(out, Skipped):
                self.losses.dropped(out.kind, reason=out.reason, example=out.example)
            else:
                built.append(out)
        _link(built, taken)
        return [b.annotation for b in built]


def _task_rest(task: dict[str, Any]) -> dict[str, Any]:
    """The task keys the reader does not map (``meta`` without ``item_reference_id``, which names
    the item, and left out when nothing else is in it)."""
    rest = {k: v for k, v in task.items() if k not in TASK_KEYS}
    meta = rest.get("meta")
    if isinstance(meta, dict) and "item_reference_id" in meta:
        meta = {k: v for k, v in meta.items() if k != "item_reference_id"}
        if meta:
            rest["meta"] = meta
        else:
            del rest["meta"]
    return rest


def _loss_kind(kind: str | None) -> str:
    if kind is None:
        return "record"
    return "category" if kind == "choices" else kind


def _link(built: list[Built], taken: set[str]) -> None:
    """Unique annotation ids on the item, and groups from ``parentID`` (see the module
    docstring)."""
    by_ls: dict[str, Annotation] = {}
    for b in built:
        if b.ls_id is None:
            continue
        model_id, n = b.ls_id, 1
        while model_id in taken:
            n += 1
            model_id = f"{b.ls_id}~{n}"
        if model_id != b.ls_id:
            b.annotation.attributes[ATTR.ID] = b.ls_id
        b.annotation.id = model_id
        taken.add(model_id)
        by_ls.setdefault(b.ls_id, b.annotation)
    parents = []
    for b in built:
        if b.parent is not None:
            parent = by_ls.get(b.parent)
            b.annotation.group_id = parent.id if parent is not None else b.parent
            if parent is not None:
                parents.append(parent)
    for parent in parents:
        if parent.group_id is None:
            parent.group_id = parent.id


def _source_field(name: str, image_key: str | None) -> str:
    """The task field an item metadata key came from (for error messages)."""
    if name == ANNOTATION_RECORD:
        return "annotations"
    if name == PREDICTION_RECORD:
        return "predictions"
    if name == "ls_task_id":
        return "id"
    return f"data.{image_key if name == 'ls_image_key' else name}"
