"""The ``coco`` format: COCO JSON (instances, keypoints, labels, captions, panoptic, results).

Reading is :mod:`.read`, writing :mod:`.write` (instances, results) and
:mod:`.panoptic_write` (panoptic, writer option ``task``); this module declares the format and
registers it through the plugin hook, as any third-party format would.
"""

from __future__ import annotations

from pathlib import Path

from nucleus_convert.converters.coco.panoptic_layout import TASKS
from nucleus_convert.converters.coco.partitioned import COCO_PARTITIONS
from nucleus_convert.converters.coco.tasks import read_coco_source, write_coco_task
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.options import choice
from nucleus_convert.registry import Format, Option, Registrar
from nucleus_convert.toolkit.limits import max_pixels_option
from nucleus_convert.toolkit.on_error import on_error_option

__all__ = ["FORMAT", "detect", "register_formats"]

_HEAD = 8192


def detect(path: Path) -> bool:
    """A ``.json`` file that starts like a COCO dataset object or a COCO results list, or a
    folder holding such a file named after it (the panoptic writer's layout)."""
    if path.is_dir():
        path = path / f"{path.name}.json"
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD)
    except OSError:
        return False
    start = head.lstrip()[:1]
    if b'"reference_id"' in head:  # Nucleus payloads
        return False
    if b'"shapes"' in head and (b'"points"' in head or b'"imagePath"' in head):
        return False  # LabelMe (whose image flags may be named "info" or "images")
    if start == b"[":
        return b'"image_id"' in head and b'"score"' in head
    if start != b"{":
        return False
    return any(key in head for key in (b'"images"', b'"categories"', b'"licenses"', b'"info"'))


FORMAT = Format(
    name="coco",
    description="COCO JSON: instances, keypoints, labels, captions, panoptic, results files",
    extensions=(".json",),
    kinds=frozenset({"box", "polygon", "instance_mask", "keypoints", "category"}),
    detect=detect,
    read=read_coco_source,
    write=write_coco_task,
    partitions=COCO_PARTITIONS,
    read_options=(
        Option(
            "reference_id",
            "what becomes an item's reference id: file_name or id",
            str,
            "file_name",
        ),
        Option("image_root", "folder or URL prefix joined to each file_name", str, ""),
        Option(
            "images",
            "for a results file: the instances file whose images and categories it refers to",
            str,
            "",
        ),
        Option("panoptic_root", "folder of panoptic PNGs (default: next to the JSON)", str, ""),
        max_pixels_option(),
        on_error_option("malformed records"),
    ),
    write_options=(
        Option(
            "content",
            "auto (ground truth if any, else predictions; panoptic output: ground truth), "
            "annotations or predictions",
            choice("auto", "annotations", "predictions"),
            "auto",
        ),
        Option(
            "task",
            "auto (panoptic when the dataset was read from a COCO panoptic file, else "
            "instances), instances (objects, keypoints, captions or results: see content) or "
            "panoptic (a folder DST holding DST.json and DST/ with one RGB PNG per image)",
            choice(*TASKS),
            "auto",
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``coco`` format."""
    register.add(FORMAT)
