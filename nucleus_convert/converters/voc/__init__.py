"""The ``voc`` format: Pascal VOC trees (detection XML, segmentation PNGs, ImageSets lists).

Reading is :mod:`.read`, writing :mod:`.write`, labels and colours :mod:`.labels`;
this module declares the format and registers it through the plugin hook, as any third-party
format would.
"""

from __future__ import annotations

import re
from pathlib import Path

from nucleus_convert.converters.voc.read import find_voc_root, is_voc_root, read_voc
from nucleus_convert.converters.voc.write import write_voc
from nucleus_convert.errors import InputError
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.options import choice, flag
from nucleus_convert.registry import Format, Option, Registrar
from nucleus_convert.toolkit.limits import max_pixels_option
from nucleus_convert.toolkit.on_error import on_error_option

__all__ = ["FORMAT", "detect", "register_formats"]

_HEAD = 4096


def _looks_like_voc_xml(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD)
    except OSError:
        return False
    # <annotation> as a whole element name: CVAT's root is <annotations>.
    return re.search(rb"<annotation[\s>/]", head) is not None


def detect(path: Path) -> bool:
    """A VOC tree (or a ``VOCdevkit`` holding one), a folder of VOC XML files, or one such file."""
    if path.is_file():
        return path.suffix.lower() == ".xml" and _looks_like_voc_xml(path)
    if not path.is_dir():
        return False
    if is_voc_root(path):
        return True
    try:
        _, xmls = find_voc_root(path)
    except (InputError, OSError):
        return False
    return bool(xmls) and _looks_like_voc_xml(xmls[0])


FORMAT = Format(
    name="voc",
    description="Pascal VOC: Annotations XML, SegmentationClass/Object PNGs, ImageSets lists",
    extensions=(".xml",),
    kinds=frozenset({"box", "segmentation", "category"}),
    detect=detect,
    read=read_voc,
    write=write_voc,
    read_options=(
        Option(
            "image_root",
            "folder or URL prefix for the images (default: the tree's JPEGImages folder)",
            str,
            "",
        ),
        Option(
            "void_label",
            "label of the void/boundary index 255 (default 'void', or the label map's)",
            str,
            "void",
        ),
        max_pixels_option(),
        on_error_option("malformed images"),
    ),
    write_options=(
        Option("subset", "ImageSets list for items that name none", str, "default"),
        Option(
            "polygons_as_boxes",
            "write a polygon-only object as its bounding box (reported as approximated)",
            flag,
            False,
        ),
        Option(
            "images",
            "none (default) or copy local images into JPEGImages/",
            choice("none", "copy"),
            "none",
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``voc`` format."""
    register.add(FORMAT)
