"""Reading a Label Studio export: JSON (a list of tasks, or one task) or JSON-MIN.

The file is parsed whole. A first pass, before any item is made, finds each task's reference id
(refusing one used twice, with the way out: ``-r reference_id=task``) and the header: every
label of a region or a choice (categories, in order of first appearance), a one-point skeleton
for each keypoint label (the model's keypoints of a Label Studio keypoint are named by their
label), and, per choices ``from_name``, the choices seen (a taxonomy; ``multicategory`` when
some result holds other than one choice). Items are then made one task at a time as the
stream is read (:mod:`.tasks`), so a malformed result is raised (or skipped under
``on_error=skip``) while the items are consumed. JSON-MIN records are first turned into tasks
(:mod:`.json_min`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from nucleus_convert.converters.labelstudio.json_min import is_min_record, min_tasks
from nucleus_convert.converters.labelstudio.regions import (
    DRAWN,
    choice_labels,
    region_labels,
    regions,
)
from nucleus_convert.converters.labelstudio.tasks import TaskReader, task_record
from nucleus_convert.errors import InputError, brief
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Category,
    Dataset,
    Header,
    Item,
    Skeleton,
    Taxonomy,
    partition_bounds,
)
from nucleus_convert.toolkit.files import load_json
from nucleus_convert.toolkit.on_error import OnError, SkipRecord

__all__ = ["read_labelstudio"]


def _tasks(data: Any, path: Path, options: Mapping[str, Any]) -> tuple[list[Any], str]:
    """The tasks of a parsed file, and its flavour (``json`` or ``json-min``)."""
    if isinstance(data, dict):
        return [data], "json"
    if not isinstance(data, list):
        raise InputError(
            f"a Label Studio export is a list of tasks, got {type(data).__name__}", path=path
        )
    first = next((t for t in data if isinstance(t, dict)), None)
    if first is not None and is_min_record(first):
        choices = {c.strip() for c in str(options.get("choices") or "").split(",") if c.strip()}
        return min_tasks(data, path, choices), "json-min"
    return data, "json"


class _Labels:
    """Labels and taxonomies seen, in order."""

    def __init__(self) -> None:
        self.labels: dict[str, None] = {}
        self.points: dict[str, None] = {}
        self.taxonomies: dict[str, dict[str, None]] = {}
        self.multi: set[str] = set()

    def add(self, results: Any) -> None:
        if not isinstance(results, list):
            return
        for region in regions(results):
            kind = region.kind
            if kind in DRAWN:
                labels = region_labels(region)
                if labels and isinstance(labels[0], str) and labels[0]:
                    self.labels.setdefault(labels[0], None)
                    if kind == "keypoints":
                        self.points.setdefault(labels[0], None)
            elif kind == "choices":
                self._choices(region.main)

    def _choices(self, result: dict[str, Any]) -> None:
        choices = choice_labels(result)
        name = result.get("from_name")
        if not isinstance(name, str) or not isinstance(choices, list):
            return
        seen = self.taxonomies.setdefault(name, {})
        seen.update((c, None) for c in choices if isinstance(c, str))
        self.labels.update((c, None) for c in choices if isinstance(c, str))
        if len(choices) != 1:
            self.multi.add(name)

    def header(self, path: Path) -> Header:
        return Header(
            categories=[Category(name) for name in self.labels],
            skeletons={name: Skeleton([name]) for name in self.points},
            taxonomies={
                name: Taxonomy(
                    name, list(seen), "multicategory" if name in self.multi else "category"
                )
                for name, seen in self.taxonomies.items()
            },
            source={"format": "labelstudio", "path": str(path)},
        )


class LabelStudioReader:
    """Reads one export file into a streaming :class:`Dataset`."""

    def __init__(self, path: Path, options: Mapping[str, Any]) -> None:
        self.path = path
        self.losses = LossReport()
        self.on_error = OnError.from_options(options, self.losses)
        self.tasks_reader = TaskReader(path, options, self.losses, self.on_error)
        self.tasks, self.flavor = _tasks(load_json(path), path, options)

    def read(self) -> Dataset:
        labels = _Labels()
        refs: dict[str, str] = {}
        for index, task in enumerate(self.tasks):
            if not isinstance(task, dict):
                continue
            self._check_reference(task, index, refs)
            for name in ("annotations", "completions", "predictions"):
                entries = task.get(name)
                for entry in entries if isinstance(entries, list) else ():
                    if isinstance(entry, dict) and not entry.get("was_cancelled"):
                        labels.add(entry.get("result"))
        header = labels.header(self.path)
        header.source["flavor"] = self.flavor
        return Dataset(
            header=header,
            items=self._stream(0, len(self.tasks)),
            losses=self.losses,
            partition=self._partition,
            length=len(self.tasks),
        )

    def _check_reference(self, task: dict[str, Any], index: int, refs: dict[str, str]) -> None:
        try:
            ref = self.tasks_reader.reference(task, index)
        except InputError:
            return  # raised (or skipped) with the task's other errors when its item is made
        record = task_record(task, index)
        other = refs.setdefault(ref, record)
        if other != record:
            raise InputError(
                f"reference id {ref!r} is also the one of {other}; read with "
                "-r reference_id=task to name items by task id",
                path=self.path,
                record=record,
            )

    def _partition(self, k: int, n: int) -> Iterator[Item]:
        return self._stream(*partition_bounds(len(self.tasks), k, n))

    def _stream(self, start: int, stop: int) -> Iterator[Item]:
        for index in range(start, stop):
            try:
                yield self.tasks_reader.item(self.tasks[index], index)
            except SkipRecord:
                continue
            except InputError as err:
                try:
                    self.on_error.reject(err, "item")
                except SkipRecord:
                    continue


def read_labelstudio(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a Label Studio JSON or JSON-MIN export file."""
    if src.is_dir():
        raise InputError(
            "a Label Studio export is one JSON file; got a folder "
            f"({brief(sorted(p.name for p in src.iterdir())[:5])})",
            path=src,
        )
    return LabelStudioReader(src, options).read()
