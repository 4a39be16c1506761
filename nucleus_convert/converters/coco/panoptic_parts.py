"""The COCO panoptic writer in partitions (see :class:`~nucleus_convert.registry.
PartitionedWrite`): each worker paints and writes its images' PNGs into its part folder and
hands back its records; the merge moves the PNGs into the PNG folder and replays the records
into one writer, which writes the JSON one process would have written.

What crosses parts, and how the merge keeps one process's bytes: image ids are kept where no
earlier part took them and the rest numbered in order after the largest (as
:class:`~.records.Ids` does in one process); category records are re-pointed by name, new ones
made in order of first use; segment ids are per image, so nothing crosses. A PNG name depends
on the names given before it: when a part gave a name (as a file or a folder) that an earlier
part gave, one process would have chosen another, so the merge declines, as it does when an
image id is kept in two parts; one process then writes the whole output.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nucleus_convert.converters.coco.carries import PANOPTIC_CARRIES, count_header
from nucleus_convert.converters.coco.panoptic_layout import panoptic_paths
from nucleus_convert.converters.coco.panoptic_write import PanopticWriter
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Dataset, Header, Scene
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.paths import confined

__all__ = ["merge_panoptic_parts", "write_panoptic_part"]


def write_panoptic_part(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> dict[str, Any]:
    """Write one partition's PNGs into the folder ``dst`` and return its records."""
    dst.mkdir(parents=True, exist_ok=True)
    writer = PanopticWriter(options, report, dst)
    writer.declare(dataset.header)
    declared = list(writer.base.categories)
    for item in dataset.items:
        writer.write_item(item)
    return {
        "declared": declared,
        "images": writer.images,
        "records": writer.records,
        "image_ids": writer.base.image_ids,
        "categories": writer.base.categories,
        "names": writer.names,
        "unsized": writer.unsized,
        "summary": writer.summary,
    }


def _take(writer: PanopticWriter, state: dict[str, Any], part_dir: Path) -> bool:
    """Add one part's records and PNGs to ``writer`` as if it had written them; False when
    an image id or a PNG name of the part was taken by an earlier part."""
    ids, theirs = writer.base.image_ids, state["image_ids"]
    if not ids.used.isdisjoint(theirs.used) or writer.names.clash(state["names"]):
        return False
    ids.used |= theirs.used
    ids.pending += theirs.pending
    writer.names.absorb(state["names"])
    to_mine = {id(rec): writer.base.category(name) for name, rec in state["categories"].items()}
    for record in state["records"]:
        for entry in record["segments_info"]:
            entry["category_id"] = to_mine[id(entry["category_id"])]
    writer.images += state["images"]
    writer.records += state["records"]
    writer.unsized += state["unsized"]
    writer.summary.add_counts(state["summary"].counts)
    for name in sorted(state["names"].taken):
        target = confined(writer.png_root, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        (part_dir / name).rename(target)
    return True


def merge_panoptic_parts(
    states: list[dict[str, Any]],
    part_dirs: list[Path],
    dst: Path,
    header: Header,
    scenes: list[Scene],
    options: Mapping[str, Any],
    report: LossReport,
) -> WriteSummary | None:
    """Write the panoptic folder of all parts at ``dst``; ``None`` when the parts interact
    (see the module docstring)."""
    json_path, png_root = panoptic_paths(dst)
    png_root.mkdir(parents=True)
    writer = PanopticWriter(options, report, png_root)
    writer.declare(header, only=set(states[0]["declared"]) if states else None)
    for state, part_dir in zip(states, part_dirs, strict=True):
        if not _take(writer, state, part_dir):
            return None
    report.dropped_scenes(scenes, reason="COCO has no scenes")
    count_header(header, report, PANOPTIC_CARRIES)
    return writer.finish(json_path, header)
