"""Which COCO reader and writer run: a COCO file or a panoptic folder is read; instances (or
results) or panoptic output is written, as the writer option ``task`` says (see
:func:`.panoptic_layout.chosen_task`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nucleus_convert.converters.coco.panoptic_layout import chosen_task, panoptic_json_in
from nucleus_convert.converters.coco.panoptic_write import write_panoptic
from nucleus_convert.converters.coco.read import read_coco
from nucleus_convert.converters.coco.write import write_coco
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Dataset
from nucleus_convert.registry import WriteSummary

__all__ = ["read_coco_source", "write_coco_task"]


def read_coco_source(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a COCO JSON file, or the folder the panoptic writer makes (its ``<name>.json``,
    whose PNGs are in ``<name>/`` beside it)."""
    return read_coco(panoptic_json_in(src) if src.is_dir() else src, options)


def write_coco_task(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` at ``dst`` as a COCO instances or results file, or as a COCO
    panoptic folder (writer option ``task``)."""
    if chosen_task(options, dataset.header) == "panoptic":
        return write_panoptic(dataset, dst, options, report)
    return write_coco(dataset, dst, options, report)
