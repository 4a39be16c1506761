"""The COCO writer in partitions: each worker turns its items into COCO records, the merge
joins them into the file one process writes (see :class:`~nucleus_convert.registry.
PartitionedWrite`).

A part runs the writer's item pass (:meth:`.write._CocoWriter.write_item`) and hands back its
records and the ids it claimed; the merge replays what one process would have done across the
parts, in order: image, annotation and category records appended, source ids kept where no
earlier part took them, records without an id (or whose id an earlier part took) numbered in
order after the largest id, as :class:`~.records.Ids` does in one process. A record refers to
its image and category by the record itself until the file is written, so a part's records
are re-pointed to the merge's category records, by name. One process would have seen what
crosses parts: a source id claimed in two parts (one process would have renumbered the later
one, so the merge declines and one process writes). Panoptic output (writer option ``task``)
has parts of its own: :mod:`.panoptic_parts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nucleus_convert.converters.coco.carries import count_header
from nucleus_convert.converters.coco.panoptic_layout import chosen_task
from nucleus_convert.converters.coco.panoptic_parts import (
    merge_panoptic_parts,
    write_panoptic_part,
)
from nucleus_convert.converters.coco.write import CocoWriter
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Dataset, Header, Scene
from nucleus_convert.registry import PartitionedWrite, WriteSummary

__all__ = ["COCO_PARTITIONS", "merge_parts", "write_part"]


def write_part(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> dict[str, Any]:
    """Turn one partition's items into COCO records; nothing is written to ``dst`` (but the
    PNGs of panoptic output)."""
    if chosen_task(options, dataset.header) == "panoptic":
        return write_panoptic_part(dataset, dst, options, report)
    writer = CocoWriter(options, report)
    writer.declare(dataset.header)
    declared = list(writer.categories)
    for item in dataset.items:
        writer.write_item(item)
    state = {name: getattr(writer, name) for name in _STATE}
    state["declared"] = declared
    return state


_STATE = (
    "sides",
    "kinds",
    "images",
    "image_ids",
    "gt",
    "preds",
    "ann_ids",
    "pred_ids",
    "categories",
    "seen_skeletons",
    "captions",
    "unsized",
    "summary",
)
_IDS = ("image_ids", "ann_ids", "pred_ids")


def _take(writer: CocoWriter, state: dict[str, Any]) -> bool:
    """Add one part's records to ``writer`` as if it had written them; False when a source
    id the part kept was taken by an earlier part."""
    if any(not getattr(writer, name).used.isdisjoint(state[name].used) for name in _IDS):
        return False
    for name in _IDS:
        mine, theirs = getattr(writer, name), state[name]
        mine.used |= theirs.used
        mine.pending += theirs.pending
    to_mine = {id(rec): writer.category(name) for name, rec in state["categories"].items()}
    for rec in (*state["gt"], *state["preds"]):
        rec["category_id"] = to_mine[id(rec["category_id"])]
    writer.images += state["images"]
    writer.gt += state["gt"]
    writer.preds += state["preds"]
    for prediction, side in state["sides"].items():
        writer.sides[prediction].merge(side)
        writer.kinds[prediction].update(state["kinds"][prediction])
    for label, keypoints in state["seen_skeletons"].items():
        writer.seen_skeletons.setdefault(label, keypoints)
    writer.captions += state["captions"]
    writer.unsized += state["unsized"]
    writer.summary.add_counts(state["summary"].counts)
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
    """Write the COCO file of all parts at ``dst``; ``None`` when a source id is claimed in
    two parts (see the module docstring)."""
    if chosen_task(options, header) == "panoptic":
        return merge_panoptic_parts(states, part_dirs, dst, header, scenes, options, report)
    writer = CocoWriter(options, report)
    # The categories one process declares before any item: the header's as the parts saw it
    # (the reader may have added others while streaming; those are made on first use).
    writer.declare(header, only=set(states[0]["declared"]) if states else None)
    for state in states:
        if not _take(writer, state):
            return None
    count_header(header, report)
    return writer.finish(dst, header)


COCO_PARTITIONS = PartitionedWrite(write_part=write_part, merge=merge_parts)
