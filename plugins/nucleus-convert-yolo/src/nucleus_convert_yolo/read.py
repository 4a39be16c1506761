"""Reading YOLO label files into the model.

Conventions (Ultralytics and Darknet define them; :mod:`.parse` reads one line, :mod:`.coords`
does the arithmetic, :mod:`.tasks` decides the task):

* Coordinates: YOLO values are normalised to the image's displayed width ``W`` and height
  ``H`` (box centre and size, vertices, corners, keypoints); the model is in continuous
  pixels, origin at the top-left corner of the top-left pixel: ``x = (cx - w/2) * W``,
  ``width = w * W``, a vertex ``x * W`` (the same for y with ``H``).
* A line becomes a box, a polygon, an oriented box (a 4-point polygon) or a pose object (a box
  and its keypoints sharing a group) by the dataset's task; ids are line numbers
  (:mod:`.parse`). Blank lines are ignored; duplicate lines are kept (Ultralytics removes them
  when training).
* An image without a label file, or with an empty one, is an item without annotations (a
  negative). A label file without an image is an error: there is no size to de-normalise with.
* Item metadata ``yolo_subset`` holds the subset (``train``, ``val``, the obj.data key...); a
  plain folder has none.
* The header: categories in class-index order, ``source_id`` = index; for a pose dataset a
  skeleton per class (its keypoint names and edges); ``header.extra["yolo"]`` holds the
  dataset YAML's other keys (``download``, ``kpt_shape``, ``flip_idx``...) and the task, so the
  writer can write them back (:mod:`.dataset_yaml`). A YAML value JSON cannot hold is counted
  in ``dataset.losses`` as ``(header, extra.<key>)`` dropped.
* Image sizes come from the image headers (see :mod:`.images`).

Memory bound: the image list (one entry and one label path per image) and the item being
streamed; a label file is read when the stream reaches its image (held by
``tests/test_yolo_memory.py``). ``task=auto`` may scan the label files once beforehand, keeping
nothing (:mod:`.tasks`).

Reader options: ``on_error`` (``raise`` or ``skip``: skip an image whose labels are malformed,
recording it in ``dataset.losses``), ``snap`` (default true; false gives the plain float
formula instead of the shortest decimal within the file's precision) and ``task``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from nucleus_convert import (
    Annotation,
    Category,
    Dataset,
    Header,
    ImageMedia,
    InputError,
    Item,
    LossReport,
    Skeleton,
    partition_bounds,
)
from nucleus_convert.toolkit import OnError
from nucleus_convert_yolo.dataset_yaml import EXTRA_KEY
from nucleus_convert_yolo.find import find_layout
from nucleus_convert_yolo.images import image_size
from nucleus_convert_yolo.layout import Entry, Layout, label_candidates, orphan_labels
from nucleus_convert_yolo.parse import LineParser
from nucleus_convert_yolo.tasks import reading_task

__all__ = ["SUBSET_KEY", "read_yolo"]

SUBSET_KEY = "yolo_subset"


class _Reader:
    def __init__(self, src: Path, options: Mapping[str, Any]) -> None:
        self.losses = LossReport()
        self.on_error = OnError.from_options(options, self.losses)
        snap = options.get("snap")
        self.layout: Layout = find_layout(src)
        self.names = self.layout.names
        self.labels: dict[int, Path | None] = {}
        used: set[Path] = set()
        for n, entry in enumerate(self.layout.entries):
            label = next(
                (p for p in label_candidates(entry.image, self.layout.kind) if p.is_file()), None
            )
            self.labels[n] = label
            if label is not None:
                used.add(label)
        for orphan in orphan_labels(self.layout, used):
            err = InputError(
                "label file with no image, so no size to de-normalise with", path=orphan
            )
            self.on_error.handle(err, "item")
        self._count_renamed()
        labels = (p for p in self.labels.values() if p is not None)
        self.task = reading_task(str(options.get("task") or "auto"), self.layout, labels)
        cfg = self.layout.dataset_yaml
        self.pose = cfg.pose if cfg is not None and self.task == "pose" else None
        self.parser = LineParser(
            self.names, self.task, self.pose, snap=True if snap is None else bool(snap)
        )

    def _count_renamed(self) -> None:
        renamed = [e for e in self.layout.entries if e.renamed_from is not None]
        if renamed:
            self.losses.approximated(
                "item",
                "reference_id",
                n=len(renamed),
                reason="the same reference id in two subsets: the later one gets its subset "
                "as a prefix",
                example=f"{renamed[0].renamed_from!r} -> {renamed[0].ref!r}",
            )

    def header(self) -> Header:
        """Categories in index order, a skeleton per class of a pose dataset, and the YAML's
        other keys with the task in ``extra["yolo"]`` (those JSON cannot hold are counted)."""
        layout = self.layout
        header = Header(
            categories=[Category(name, source_id=i) for i, name in sorted(self.names.items())],
            source={"format": "yolo", "layout": layout.kind, "path": str(layout.config)},
        )
        if self.pose is not None:
            for index, name in sorted(self.names.items()):
                edges = self.pose.skeleton.get(index, [])
                header.skeletons[name] = Skeleton(list(self.pose.names[index]), list(edges))
        extra = dict(layout.extra)
        if self.task is not None:
            extra["task"] = self.task
        if extra:
            header.extra[EXTRA_KEY] = extra
        for key, problem in layout.dropped_extra:
            self.losses.dropped(
                "header",
                f"extra.{key}",
                reason=f"a dataset YAML value JSON cannot hold ({problem}) is not kept",
                example=f"{layout.config}: {key}",
            )
        return header

    def dataset(self) -> Dataset:
        layout = self.layout
        dataset = Dataset(header=self.header(), items=self._items(0, len(layout.entries)))
        dataset.losses = self.losses
        dataset.partition = self._partition
        dataset.length = len(layout.entries)
        return dataset

    def _partition(self, k: int, n: int) -> Iterator[Item]:
        """The images of the ``k``-th of ``n`` slices of the image list (``convert --workers``:
        each slice read in a worker forked after the layout was found)."""
        return self._items(*partition_bounds(len(self.layout.entries), k, n))

    def _items(self, start: int, stop: int) -> Iterator[Item]:
        entries = self.layout.entries
        return self.on_error.each(
            range(start, stop), lambda n: self._item(entries[n], self.labels[n]), "item"
        )

    def _item(self, entry: Entry, label: Path | None) -> Item:
        if not entry.image.is_file():
            raise InputError(
                f"image {str(entry.image)!r} not found",
                path=entry.listed_in or entry.image,
                line=entry.line,
            )
        width, height = image_size(entry.image)
        annotations = self._annotations(label, width, height) if label is not None else []
        metadata: dict[str, Any] = {} if entry.subset is None else {SUBSET_KEY: entry.subset}
        return Item(
            reference_id=entry.ref,
            media=ImageMedia(path=str(entry.image), width=width, height=height),
            metadata=metadata,
            annotations=annotations,
        )

    def _annotations(self, path: Path, width: int, height: int) -> list[Annotation]:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text ({exc.reason})", path=path) from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
        out: list[Annotation] = []
        for lineno, raw in enumerate(text.splitlines(), 1):
            tokens = raw.split()
            if not tokens:
                continue
            try:
                out.extend(self.parser.parse(tokens, width, height, lineno))
            except ValueError as exc:
                raise InputError(str(exc), path=path, line=lineno) from None
        return out


def read_yolo(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a YOLO dataset: a folder, a ``data.yaml``, an ``obj.data`` or a ``classes.txt``."""
    return _Reader(src, options).dataset()
