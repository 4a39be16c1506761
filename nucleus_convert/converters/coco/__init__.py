"""The ``coco`` format: COCO JSON (instances, keypoints, labels, captions, panoptic, results).

Reading is :mod:`.read`, writing :mod:`.write`; this module declares the format and
registers it through the plugin hook, as any third-party format would.
"""

from __future__ import annotations

from pathlib import Path

from nucleus_convert.converters.coco.partitioned import COCO_PARTITIONS
from nucleus_convert.converters.coco.read import read_coco
from nucleus_convert.converters.coco.write import write_coco
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.options import choice
from nucleus_convert.registry import Format, Option, Registrar
from nucleus_convert.toolkit.limits import max_pixels_option
from nucleus_convert.toolkit.on_error import on_error_option

__all__ = ["FORMAT", "detect", "register_formats"]

_HEAD = 8192


def detect(path: Path) -> bool:
    """A ``.json`` file that starts like a COCO dataset object or a COCO results list."""
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
    read=read_coco,
    write=write_coco,
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
            "auto (ground truth if any, else predictions), annotations or predictions",
            choice("auto", "annotations", "predictions"),
            "auto",
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``coco`` format."""
    register.add(FORMAT)
