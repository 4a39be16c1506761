"""The ``pointcloud`` format: LiDAR point cloud files (``.bin``, ``.pcd``, ``.ply``).

Reading is :mod:`.read` (one file or a folder, searched recursively; reference ids
from relative paths; scenes formed by the reader, see there), writing :mod:`.write`
(a folder of ``.pcd``, ``.bin`` or ``.ply`` files, one per point cloud item; everything else
counted in the loss report). The file layouts and their checks are
:mod:`nucleus_convert.geometry.pointcloud_files`; ``.pcd`` and ``.ply`` need open3d
(``pip install 'nucleus-convert[pointcloud]'``), ``.bin`` only numpy.

Points follow the model: ``(N, 4)`` float32 x, y, z (right-handed, z up, metres, the cloud's own
frame) and intensity in 0..1. The format carries no annotation kind (``kinds`` is empty); it is
the way to bring bare scans to Nucleus and to get Nucleus point clouds back as files.

This module declares the format and registers it through the plugin hook, as any third-party
format would.
"""

from __future__ import annotations

import os
from pathlib import Path

from nucleus_convert.converters.pointcloud.partitioned import POINTCLOUD_PARTITIONS
from nucleus_convert.converters.pointcloud.read import read_pointcloud
from nucleus_convert.converters.pointcloud.schema import SCENE_MODES
from nucleus_convert.converters.pointcloud.write import (
    FILE_TYPES,
    INTENSITY_MODES,
    write_pointcloud,
)
from nucleus_convert.geometry.pointcloud_files import SUFFIXES
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.options import choice, flag
from nucleus_convert.registry import Format, Option, Registrar

__all__ = ["FORMAT", "detect", "register_formats"]

_HEAD = 64
_PCD_STARTS = (b"#", b"VERSION", b"FIELDS")


def _looks_like_cloud(path: Path) -> bool:
    """A ``.bin`` by its suffix (the layout has no header); a PCD or PLY by its first bytes."""
    suffix = path.suffix.lower()
    if suffix == ".bin":
        return True
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    if suffix == ".ply":
        return head.startswith((b"ply\n", b"ply\r\n"))
    return head.lstrip().startswith(_PCD_STARTS)


def detect(path: Path) -> bool:
    """One ``.bin``/``.pcd``/``.ply`` file, or a folder holding nothing but such files.

    Only the folder's own entries are looked at (hidden ones ignored): a folder with
    subfolders is not detected (name the format with ``--from pointcloud`` to read one
    recursively), so that a KITTI tree's ``velodyne/`` subfolder never makes it ambiguous.
    Of a folder, the first file by name has its first bytes checked.
    """
    try:
        if path.is_file():
            return path.suffix.lower() in SUFFIXES and _looks_like_cloud(path)
        if not path.is_dir():
            return False
        first: str | None = None
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if not entry.is_file() or Path(entry.name).suffix.lower() not in SUFFIXES:
                    return False
                if first is None or entry.name < first:
                    first = entry.name
        return first is not None and _looks_like_cloud(path / first)
    except OSError:
        return False


FORMAT = Format(
    name="pointcloud",
    description="LiDAR point clouds: KITTI velodyne .bin, PCD (.pcd) and PLY (.ply) files",
    extensions=SUFFIXES,
    kinds=frozenset(),
    detect=detect,
    read=read_pointcloud,
    write=write_pointcloud,
    partitions=POINTCLOUD_PARTITIONS,
    read_options=(
        Option(
            "scene",
            "each (default): one LidarScene per file; sequence: one LidarScene per folder, "
            "its files as frames in name order",
            choice(*SCENE_MODES),
            "each",
        ),
    ),
    write_options=(
        Option(
            "file_type",
            "pcd (default), bin (KITTI velodyne layout) or ply",
            choice(*FILE_TYPES),
            "pcd",
        ),
        Option("ascii", "write ascii PCD/PLY instead of binary", flag, False),
        Option(
            "intensity",
            "source (default): back in 0..255 where the item metadata says the source was "
            "(intensity_scale 255) and it reads back exact; unit: always 0..1",
            choice(*INTENSITY_MODES),
            "source",
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``pointcloud`` format."""
    register.add(FORMAT)
