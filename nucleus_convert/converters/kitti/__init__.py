"""The ``kitti`` format: KITTI object-detection trees (label_2, calib, velodyne, image_2).

Reading is :mod:`.read`, writing :mod:`.write`, label lines :mod:`.labels` and
the 3D geometry :mod:`nucleus_convert.geometry.kitti`; this module declares the format and
registers it through the plugin hook, as any third-party format would. The raw dataset's
tracklets are the separate ``kitti_raw`` format.
"""

from __future__ import annotations

from pathlib import Path

from nucleus_convert.converters.kitti.read import read_kitti, split_folders
from nucleus_convert.converters.kitti.write import write_kitti
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.options import choice
from nucleus_convert.registry import Format, Option, Registrar
from nucleus_convert.toolkit.limits import max_pixels_option

__all__ = ["FORMAT", "detect", "register_formats"]


def detect(path: Path) -> bool:
    """A folder with ``label_2/``, ``calib/``, ``velodyne/``, ``instance/`` or ``semantic/``
    (a split folder), or holding such folders (``object/training``...)."""
    try:
        if not path.is_dir():
            return False
        return bool(split_folders(path))
    except OSError:
        return False


FORMAT = Format(
    name="kitti",
    description="KITTI: label_2 2D/3D boxes, calib, velodyne scans, image_2, semantic/instance",
    extensions=(".txt", ".bin"),
    kinds=frozenset({"box", "cuboid", "segmentation"}),
    detect=detect,
    read=read_kitti,
    write=write_kitti,
    read_options=(
        Option(
            "dontcare",
            "box (default): DontCare regions as boxes labelled DontCare with the attribute "
            "dontcare=true; drop: leave them out (counted in the loss report)",
            choice("box", "drop"),
            "box",
        ),
        max_pixels_option(),
    ),
    write_options=(
        Option(
            "images",
            "copy (default), symlink or none: the local images into image_2/",
            choice("copy", "symlink", "none"),
            "copy",
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``kitti`` format."""
    register.add(FORMAT)
