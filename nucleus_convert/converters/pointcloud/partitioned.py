"""The ``pointcloud`` writer in partitions: each worker writes its items' files into its part
folder, the merge moves them into the destination (see :class:`~nucleus_convert.registry.
PartitionedWrite`).

A file's name depends on the names taken before it (a clash, in any case, gets a hashed name:
:mod:`.write`). A part knows only its own earlier items, so the merge declines, and one
process writes, when one process would have named a file otherwise: a name, or a folder of
it, taken in an earlier part. A reference id in two parts declines too (one process raises on
the second). Otherwise the files are moved (renamed, on the same file system) in partition
order, and the scenes and header are counted once, as one process counts them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nucleus_convert.converters.pointcloud.write import FolderWriter
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Dataset, Header, Scene
from nucleus_convert.registry import PartitionedWrite, WriteSummary

__all__ = ["POINTCLOUD_PARTITIONS", "merge_parts", "write_part"]

_STATE = ("taken", "folders", "written", "seen", "top")


def write_part(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> dict[str, Any]:
    """Write one partition's files under ``dst``; the names and ids it took are the state."""
    writer = FolderWriter(dst, options, report)
    dst.mkdir(parents=False)
    for item in dataset.items:
        writer.write_item(item)
    state = {name: getattr(writer, name) for name in _STATE}
    state["counts"] = dict(writer.summary.counts)
    return state


def _clashes(writer: FolderWriter, state: dict[str, Any]) -> bool:
    """True when one process would have named a file of this part otherwise, or raised on
    one of its ids (see the module docstring)."""
    return bool(
        writer.seen & state["seen"]
        or writer.taken & state["taken"]
        or writer.folders & state["taken"]
        or writer.taken & state["folders"]
    )


def _move_files(part: Path, dst: Path) -> None:
    """Move every file under ``part`` to the same relative path under ``dst``."""
    for folder, _, files in os.walk(part):
        rel = Path(folder).relative_to(part)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            (Path(folder) / name).replace(dst / rel / name)


def merge_parts(
    states: list[dict[str, Any]],
    part_dirs: list[Path],
    dst: Path,
    header: Header,
    scenes: list[Scene],
    options: Mapping[str, Any],
    report: LossReport,
) -> WriteSummary | None:
    """Create the folder ``dst`` from the parts; ``None`` when they interact."""
    writer = FolderWriter(dst, options, report)
    for state in states:
        if _clashes(writer, state):
            return None
        for name in _STATE:
            getattr(writer, name).update(state[name])
        writer.summary.add_counts(state["counts"])
    dst.mkdir(parents=False)
    for part in part_dirs:
        _move_files(part, dst)
    return writer.finish(scenes, header)


POINTCLOUD_PARTITIONS = PartitionedWrite(write_part=write_part, merge=merge_parts, scenes=True)
