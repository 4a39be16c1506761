"""The Nucleus writer in partitions: each worker writes a bundle of its items, the merge joins
them into exactly the bundle one process writes (see :class:`~nucleus_convert.registry.
PartitionedWrite` and :mod:`nucleus_convert.execution.partitions`).

A part is written as one process would write those items, except that its JSONL files are not
split (the merge splits the joined lines under ``max_file_bytes``, as one process would) and
its point clouds are serialised in the worker itself. The merge joins, in partition order, each
file's lines and moves the masks and point clouds into place; the summary counts, metadata
types and names follow. One process would have seen what crosses parts: a reference id or a
file name in two parts, a metadata key of two types. Any of those, and the merge declines
(``None``): the conversion then runs in one process and gives that process's output or error.
Scenes are written by the merge, once every part has handed back the payloads of its scene
items (a frame embeds item payloads from anywhere in the stream).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nucleus_convert.converters.nucleus.metadata import MetadataChecker
from nucleus_convert.converters.nucleus.schema import FILES
from nucleus_convert.converters.nucleus.write import BundleWriter
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Dataset, Header, Scene
from nucleus_convert.registry import PartitionedWrite, WriteSummary

__all__ = ["NUCLEUS_PARTITIONS", "merge_parts", "write_part"]

_MEDIA_FOLDERS = ("masks", "pointclouds")


def write_part(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> dict[str, Any]:
    """Write one partition's items as a bundle without manifest at ``dst``; return what the
    merge reconciles."""
    part_options = {**options, "workers": 1, "max_file_bytes": sys.maxsize}
    dst.mkdir()
    writer = BundleWriter(dst, part_options, report)
    writer.write(dataset, manifest=False, scenes=False)
    return {
        "files": {key: list(w.parts) for key, w in writer.out.items()},
        "lines": {key: w.count for key, w in writer.out.items()},
        "summary": dict(writer.summary.counts),
        "names": writer.names.taken(),
        "seen": writer.seen,
        "metadata": writer.checker.state(),
        "scene_payloads": writer.scene_payloads,
        "orphan_scenes": writer.orphan_scenes,
    }


def _disjoint(sets: list[set[str]]) -> bool:
    union: set[str] = set()
    for s in sets:
        if not union.isdisjoint(s):
            return False
        union |= s
    return True


def merge_parts(
    states: list[dict[str, Any]],
    part_dirs: list[Path],
    dst: Path,
    header: Header,
    scenes: list[Scene],
    options: Mapping[str, Any],
    report: LossReport,
) -> WriteSummary | None:
    """Join the parts into the bundle at ``dst``, then write the scenes from the parts' scene
    item payloads; ``None`` when the parts interact (see the module docstring)."""
    if not _disjoint([s["seen"] for s in states]):
        return None
    if not _disjoint([s["names"] for s in states]):  # masks and point clouds: one namespace
        return None
    checker = MetadataChecker()
    if not checker.merge_states([s["metadata"] for s in states]):
        return None
    dst.mkdir()
    writer = BundleWriter(dst, options, report)
    writer.checker = checker
    for key in FILES:
        out = writer.out[key]
        for state, part in zip(states, part_dirs, strict=True):
            for name in state["files"][key]:  # one file: parts are not split
                out.write_lines_of(part / name, state["lines"][key])
    for state, part in zip(states, part_dirs, strict=True):
        writer.summary.add_counts(state["summary"])
        for folder in _MEDIA_FOLDERS:
            source = part / folder
            if source.is_dir():
                target = writer.subdir(folder)
                for path in sorted(source.iterdir()):
                    path.rename(target / path.name)
        writer.seen |= state["seen"]
        writer.scene_payloads.update(state["scene_payloads"])
        writer.orphan_scenes += state["orphan_scenes"]
    try:
        writer.write_scenes(scenes)
    finally:
        for out in writer.out.values():
            out.close()
        writer.encoder.flush()
    writer.write_manifest(header)
    return writer.summary


NUCLEUS_PARTITIONS = PartitionedWrite(write_part=write_part, merge=merge_parts, scenes=True)
