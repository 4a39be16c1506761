"""Which kind of YOLO dataset is read or written: detect, segment, obb or pose.

A label line does not say its task: a 4-vertex polygon (``cls x1 y1 ... x4 y4``) and an
oriented box have the same 9 fields, and Ultralytics itself takes the task from the model being
trained. So the task is an option on both sides.

Reading (``-r task=``):

* ``detect`` and ``segment`` read alike, each line by its field count (5: a box; 1 + 2n: a
  polygon); ``obb`` reads 9-field lines as oriented boxes (others are errors); ``pose`` reads
  ``5 + K*D``-field lines and needs the YAML's ``kpt_shape``.
* ``auto`` (the default), in order: the YAML's ``task`` key; ``pose`` when the YAML has
  ``kpt_shape``; ``obb`` when the label files hold at least one line and every non-blank line
  has exactly 9 fields (the files are scanned, in image order, until a line that does not);
  otherwise lines are read by their field count. A segmentation dataset whose polygons all
  have 4 vertices is therefore read as OBB: the model holds the same 4-point polygons either
  way, and the writer writes them back as the same lines.
* The task found (``obb``, ``pose``, or any task named by the option or the YAML) is kept as
  ``header.extra["yolo"]["task"]``; it survives a Nucleus bundle (its manifest keeps the
  header) and tells the writer how to write the dataset back.

Writing (``-w task=``): ``auto`` (the default) is the header's ``task`` when it is ``obb`` or
``pose``, and otherwise one line per object with boxes and polygons as they are; ``detect``,
``segment``, ``obb`` and ``pose`` force that kind of line (:mod:`.lines`, :mod:`.obb`,
:mod:`.pose`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nucleus_convert import Header, InputError
from nucleus_convert_yolo.dataset_yaml import EXTRA_KEY
from nucleus_convert_yolo.layout import Layout
from nucleus_convert_yolo.options import TASKS

__all__ = ["TASKS", "header_task", "reading_task", "writing_task"]

_HEADER_TASKS = ("obb", "pose")


def _only_obb_lines(labels: Iterable[Path]) -> bool:
    """True when the files hold a line and every non-blank line has 9 fields (an unreadable
    file is passed over: reading the item reports it)."""
    seen = False
    for path in labels:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        for raw in text.splitlines():
            n = len(raw.split())
            if n == 0:
                continue
            if n != 9:
                return False
            seen = True
    return seen


def reading_task(option: str, layout: Layout, labels: Iterable[Path]) -> str | None:
    """The task a dataset is read with (module docstring); ``None``: lines by field count."""
    cfg = layout.dataset_yaml
    task: str | None = option if option != "auto" else None
    if task is None and cfg is not None:
        task = cfg.task or ("pose" if cfg.pose is not None else None)
    if task is None and _only_obb_lines(labels):
        task = "obb"
    if task == "pose" and (cfg is None or cfg.pose is None):
        raise InputError(
            "task=pose needs a dataset YAML with kpt_shape: [K, D] (the keypoints per object)",
            path=layout.config,
        )
    return task


def header_task(header: Header) -> str | None:
    """The task a YOLO source recorded in ``header.extra["yolo"]["task"]``, if any."""
    extra = header.extra.get(EXTRA_KEY)
    task = extra.get("task") if isinstance(extra, Mapping) else None
    return task if isinstance(task, str) else None


def writing_task(options: Mapping[str, Any], header: Header) -> str:
    """The task the writer writes: the option, or for ``auto`` the header's ``obb``/``pose``,
    else ``auto`` (boxes and polygons as they are)."""
    option = str(options.get("task") or "auto")
    if option != "auto":
        return option
    task = header_task(header)
    return task if task in _HEADER_TASKS else "auto"
