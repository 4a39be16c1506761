"""Label Studio's JSON-MIN export, read as tasks and written from them.

JSON-MIN has one flat record per annotation (a task without annotations has one record too):
the task's ``data`` keys, ``id`` (the task id), one key per control tag (``from_name``) holding
its results, and ``annotator``, ``annotation_id``, ``created_at``, ``updated_at``,
``lead_time`` (and ``agreement`` when the project computes it). A control's results are a list
of their ``value`` objects with ``original_width``/``original_height`` added; choices with
exactly one choice are the bare string, other choices a ``{"choices": [...]}`` object.
Predictions, result ids, ``to_name``, ``origin``, scores, ``meta`` and ``parentID`` are not
in it, and cancelled annotations are left out (as Label Studio's converter does).

Reading: records with the same task id become one task, each record one of its annotations;
results are given the ids ``nc-1``, ``nc-2``... in the task's order (the ids the writer gives
results without one, so a JSON-MIN file read and written again keeps them as they were);
a result's type is told from its value (a ``*labels`` key names it; else ``points``: polygon,
``rle``: brush, ``x``/``y``/``width``/``height``: rectangle, ``x``/``y``: keypoint); a key
holding a plain string is task data unless the reader option ``choices`` names it (the bare
string of a single choice cannot be told from data otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from nucleus_convert.converters.labelstudio.schema import MIN_RECORD_KEYS
from nucleus_convert.errors import InputError, brief

__all__ = ["MIN_ANNOTATION_KEYS", "is_min_record", "min_records", "min_tasks"]

MIN_ANNOTATION_KEYS = {
    "annotator": "completed_by",
    "annotation_id": "id",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "lead_time": "lead_time",
}
"""JSON-MIN record keys and the annotation keys they hold."""
_SIZE_KEYS = ("original_width", "original_height")


def is_min_record(record: dict[str, Any]) -> bool:
    """A JSON-MIN record rather than a task: annotator keys and no ``data`` object."""
    return "data" not in record and ("annotation_id" in record or "annotator" in record)


def _value_type(value: dict[str, Any]) -> str | None:
    for key, v in value.items():
        if key.endswith("labels") and isinstance(v, list):
            return key
    for key, kind in (("choices", "choices"), ("taxonomy", "taxonomy"), ("text", "textarea")):
        if key in value:
            return kind
    if "points" in value:
        return "polygon"
    if "rle" in value:
        return "brush"
    if "x" in value and "y" in value:
        return "rectangle" if "width" in value and "height" in value else "keypoint"
    return None


def _results(name: str, value: Any, choices: set[str]) -> list[dict[str, Any]] | None:
    """The results a record key holds, or ``None`` when it is task data."""
    if isinstance(value, str):
        if name in choices:
            return [{"from_name": name, "type": "choices", "value": {"choices": [value]}}]
        return None
    if isinstance(value, dict) and isinstance(value.get("choices"), list):
        return [{"from_name": name, "type": "choices", "value": dict(value)}]
    if not isinstance(value, list) or not value:
        return None
    kinds = [_value_type(v) if isinstance(v, dict) else None for v in value]
    if None in kinds:
        return None
    out = []
    for v, kind in zip(value, kinds, strict=True):
        result: dict[str, Any] = {"from_name": name, "type": kind}
        result.update((k, v[k]) for k in _SIZE_KEYS if k in v)
        result["value"] = {k: x for k, x in v.items() if k not in _SIZE_KEYS}
        out.append(result)
    return out


def _record(record: dict[str, Any], choices: set[str]) -> tuple[dict[str, Any], Any]:
    """``(task without id, annotation or None)`` of one record."""
    data: dict[str, Any] = {}
    results: list[dict[str, Any]] = []
    for key, value in record.items():
        if key in MIN_RECORD_KEYS:
            continue
        found = _results(key, value, choices)
        if found is None:
            data[key] = value
        else:
            results.extend(found)
    task: dict[str, Any] = {"data": data}
    if "agreement" in record:
        task["agreement"] = record["agreement"]
    annotation = None
    if record.get("annotation_id") is not None or results:
        annotation = {new: record[old] for old, new in MIN_ANNOTATION_KEYS.items() if old in record}
        annotation["result"] = results
    return task, annotation


def min_tasks(records: list[Any], path: Path, choices: set[str]) -> list[dict[str, Any]]:
    """The tasks of JSON-MIN records, in order of first appearance."""
    tasks: dict[Any, dict[str, Any]] = {}
    order: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise InputError(
                f"a JSON-MIN record must be an object, got {brief(record)}",
                path=path,
                record=f"record [{index}]",
            )
        tid = record.get("id")
        if tid is not None and (isinstance(tid, bool) or not isinstance(tid, int | str)):
            raise InputError(
                f"a task id must be an integer or a string, got {brief(tid)}",
                path=path,
                record=f"record [{index}]",
                field="id",
            )
        task, annotation = _record(record, choices)
        existing = tasks.get(tid) if tid is not None else None
        if existing is None:
            if tid is not None:
                task = {"id": tid, **task}
                tasks[tid] = task
            task["annotations"] = []
            order.append(task)
            existing = task
        if annotation is not None:
            existing["annotations"].append(annotation)
    for task in order:
        results = [r for a in task["annotations"] for r in a["result"]]
        for k, result in enumerate(results, start=1):
            result["id"] = f"nc-{k}"
    return order


Counter = Callable[[dict[str, Any], str, str], None]
"""``count(result, field, reason)``: books one result's field as dropped under its kind."""


def _annotator(value: Any) -> Any:
    """What Label Studio's JSON-MIN export writes as ``annotator``: an email for a user
    object, the id for an integer."""
    if isinstance(value, dict):
        return value.get("email")
    return value


def _control(results: list[dict[str, Any]]) -> Any:
    values = []
    for r in results:
        value = dict(r.get("value") or {})
        value.update((k, r[k]) for k in _SIZE_KEYS if k in r)
        values.append(value)
    if len(results) == 1 and results[0].get("type") == "choices":
        chosen = values[0].get("choices")
        if isinstance(chosen, list) and len(chosen) == 1 and len(values[0]) == 1:
            return chosen[0]
        return values[0]
    return values


_KEPT = frozenset({"original_width", "original_height", "value", "from_name", "type"})
_DEFAULTS = {"to_name": "image", "image_rotation": 0, "origin": "manual"}
_LOST = {
    "to_name": "attributes.ls_to_name",
    "origin": "attributes.ls_origin",
    "score": "attributes.ls_score",
    "meta": "attributes",
    "image_rotation": "attributes.ls_image_rotation",
}
"""Result keys JSON-MIN has no place for, by the model field they came from (``id`` and
``parentID`` are the writer's ledger's to count; other keys came from ``ls_extra``)."""


def _count_lost(result: dict[str, Any], count: Counter) -> None:
    for key, value in result.items():
        if key in _KEPT or key in ("id", "parentID") or _DEFAULTS.get(key, ...) == value:
            continue
        field = _LOST.get(key, "attributes.ls_extra")
        count(result, field, f"JSON-MIN results have no {key}")


def _record_of(
    task: dict[str, Any], annotation: dict[str, Any] | None, count: Counter
) -> dict[str, Any]:
    record: dict[str, Any] = dict(task.get("data") or {})
    if "id" in task:
        record["id"] = task["id"]
    controls: dict[str, list[dict[str, Any]]] = {}
    seen: set[Any] = set()
    for r in (annotation or {}).get("result") or []:
        rid = r.get("id")
        if rid is not None and rid in seen:
            count(r, "attributes.ls_region_results", "JSON-MIN cannot tie a result to a region")
            continue
        seen.add(rid)
        _count_lost(r, count)
        controls.setdefault(str(r.get("from_name")), []).append(r)
    record.update((name, _control(results)) for name, results in controls.items())
    source = annotation or {}
    for key, old in MIN_ANNOTATION_KEYS.items():
        value = source.get(old)
        record[key] = _annotator(value) if key == "annotator" else value
    if "agreement" in task:
        record["agreement"] = task["agreement"]
    return record


def min_records(task: dict[str, Any], count: Counter) -> list[dict[str, Any]]:
    """The JSON-MIN records of one task (as the JSON writer made it); what they cannot hold is
    booked with ``count`` (predictions are the writer's to count)."""
    kept = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not kept:
        return [_record_of(task, None, count)]
    return [_record_of(task, a, count) for a in kept]
