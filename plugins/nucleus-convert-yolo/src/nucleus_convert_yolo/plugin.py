"""The ``yolo`` format's declaration, registered through nucleus-convert's plugin hook.

Reading is :mod:`.read` (layouts: :mod:`.layout`, the dataset YAML: :mod:`.dataset_yaml`,
lines: :mod:`.parse`), writing :mod:`.write`, tasks :mod:`.tasks`, the exact coordinate
arithmetic :mod:`.coords`.
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
    "(boxes, polygons, oriented boxes, pose keypoints; exact coordinates)",
    extensions=(".yaml", ".yml", ".data"),
    kinds=frozenset({"box", "polygon", "keypoints"}),
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
        Option(
            "task",
            "auto (default): the YAML's task key, pose for kpt_shape, obb when every line has 9 "
            "fields, else each line by its field count; detect/segment: lines by field count; "
            "obb: 9-field lines as oriented boxes; pose: box + keypoints lines (kpt_shape)",
            choice(*TASKS),
            "auto",
        ),
    ),
    write_options=(
        Option("subset", "subset of items without metadata yolo_subset", str, "train"),
        Option(
            "task",
            "auto (default): a YOLO source's obb or pose task, else polygons and boxes as they "
            "are, one line per object; detect: polygons as boxes; segment: boxes as "
            "rectangles; obb: 4-corner lines; pose: box + keypoints lines",
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
