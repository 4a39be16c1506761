"""The written ``data.yaml``, and what the header loses on the way to it.

Keys, in this order (what each means: :mod:`.dataset_yaml`):

* one per subset: ``train: images/train``... (``train``/``val``/``test`` first);
* ``task`` for an OBB or pose dataset (or the ``detect``/``segment`` the source's YAML named),
  so that the output reads back as what it is;
* ``kpt_shape`` and ``flip_idx`` (pose), ``nc``, ``names`` (``{index: name}``),
  ``kpt_names`` and ``skeleton`` (pose, :mod:`.pose`);
* then the source's other YAML keys from ``header.extra["yolo"]`` (``download``, ``channels``,
  anything), as they were.

Counted in the loss report under ``header``: ``header.extra`` keys other than ``"yolo"``
(``extra``, the key as example); of ``header.extra["yolo"]``, ``kpt_shape`` and ``flip_idx``
when the output is not a pose dataset (they would make it read as one), keys the writer writes
itself, and values YAML or JSON cannot hold (``extra.<key>``); the header's skeletons when the
output is not a pose dataset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from nucleus_convert import Header, LossReport
from nucleus_convert_yolo.carries import CARRIES
from nucleus_convert_yolo.classes import Classes
from nucleus_convert_yolo.dataset_yaml import EXTRA_KEY, NOT_EXTRA, json_problem
from nucleus_convert_yolo.pose import PoseLineMaker

__all__ = ["count_header", "data_yaml", "yaml_text"]

_POSE_KEYS = ("kpt_shape", "flip_idx")


def _yolo_extra(header: Header) -> dict[str, Any]:
    extra = header.extra.get(EXTRA_KEY)
    return dict(extra) if isinstance(extra, Mapping) else {}


def count_header(header: Header, task: str, report: LossReport) -> None:
    """Count what the header loses whatever the items: ``extra`` keys other than ``"yolo"``
    and, unless the output is a pose dataset, the skeletons."""
    for key, value in header.extra.items():
        if key != EXTRA_KEY or not isinstance(value, Mapping):
            report.dropped(
                "header",
                "extra",
                reason="a YOLO dataset YAML keeps only the keys of a YOLO source "
                '(header.extra["yolo"])',
                example=key,
            )
    if task != "pose" and header.skeletons:
        report.dropped(
            "header",
            "skeletons",
            n=len(header.skeletons),
            reason=CARRIES.reason("header", "skeletons"),
        )


def _task_key(task: str, extra: dict[str, Any], pose: PoseLineMaker | None) -> str | None:
    if task == "pose":
        return "pose" if pose is not None and pose.count is not None else None
    if task != "auto":
        return task
    source = extra.get("task")
    return source if source in ("detect", "segment") else None


def _writable(value: Any) -> bool:
    if json_problem(value) is not None:
        return False
    try:
        yaml.safe_dump(value)
    except yaml.YAMLError:
        return False
    return True


def data_yaml(
    subsets: list[str],
    classes: Classes,
    task: str,
    header: Header,
    pose: PoseLineMaker | None,
    report: LossReport,
) -> dict[str, Any]:
    """The YAML mapping of the written dataset (module docstring)."""
    data: dict[str, Any] = {subset: f"images/{subset}" for subset in subsets}
    extra = _yolo_extra(header)
    written_task = _task_key(task, extra, pose)
    if written_task is not None:
        data["task"] = written_task
    pose_keys = pose.yaml_keys() if pose is not None else {}
    data.update((k, pose_keys[k]) for k in _POSE_KEYS if k in pose_keys)
    names = classes.names()
    data["nc"] = len(names)
    data["names"] = names
    data.update((k, v) for k, v in pose_keys.items() if k not in _POSE_KEYS)
    for key, value in extra.items():
        if key == "task" or (key in _POSE_KEYS and pose is not None):
            continue
        why = None
        if key in _POSE_KEYS:
            why = "kept only in a pose dataset (it would make the output read as one)"
        elif key in data or key in NOT_EXTRA:
            why = "the writer writes this key itself"
        elif not _writable(value):
            why = "a value YAML or JSON cannot hold"
        if why is None:
            data[key] = value
        else:
            report.dropped("header", f"extra.{key}", reason=why)
    return data


class _Dumper(yaml.SafeDumper):
    """Block style, but a list of plain values on one line (``kpt_shape: [17, 3]``)."""


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flat = all(not isinstance(v, list | dict) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_Dumper.add_representer(list, _list)


def yaml_text(data: dict[str, Any]) -> str:
    """``data`` as YAML text, keys in order, block style but flat lists on one line."""
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
