"""The ``yolo`` format's declaration, registered through nucleus-convert's plugin hook.

Reading is :mod:`.read` (layouts: :mod:`.layout`), writing :mod:`.write`, the exact
coordinate arithmetic :mod:`.coords`.
"""

from __future__ import annotations

from nucleus_convert import Format, Option, Registrar, choice, flag, hookimpl
from nucleus_convert.toolkit import IMAGE_MODES, on_error_option
from nucleus_convert_yolo.find import detect
from nucleus_convert_yolo.options import TASKS
from nucleus_convert_yolo.read import read_yolo
from nucleus_convert_yolo.write import write_yolo

__all__ = ["FORMAT", "register_formats"]

FORMAT = Format(
    name="yolo",
    description="YOLO labels: Ultralytics data.yaml, Darknet/CVAT obj.data, classes.txt folders "
    "(boxes and polygons, exact coordinates)",
    extensions=(".yaml", ".yml", ".data"),
    kinds=frozenset({"box", "polygon"}),
    detect=detect,
    read=read_yolo,
    write=write_yolo,
    read_options=(
        on_error_option("images whose labels are malformed"),
        Option(
            "snap",
            "true (default): each pixel value is the shortest decimal within the file's own "
            "precision; false: the plain float formula",
            flag,
            True,
        ),
    ),
    write_options=(
        Option("subset", "subset of items without metadata yolo_subset", str, "train"),
        Option(
            "task",
            "auto (default): polygons and boxes as they are, one line per object; detect: "
            "polygons as boxes; segment: boxes as rectangles",
            choice(*TASKS),
            "auto",
        ),
        Option(
            "images",
            "copy (default), symlink or none: the local images into images/<subset>/",
            choice(*IMAGE_MODES),
            "copy",
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``yolo`` format."""
    register.add(FORMAT)
