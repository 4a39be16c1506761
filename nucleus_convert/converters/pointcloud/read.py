"""Reading the ``pointcloud`` format: one ``.bin``/``.pcd``/``.ply`` file or a folder of them.

Conventions assumed (see :mod:`nucleus_convert.geometry.pointcloud_files` for the file layouts):

* **Which files.** A folder is searched recursively; files and folders whose name starts with
  ``.`` are skipped, symlinked folders are not followed (symlinked files are read), and files
  with any other suffix are ignored (a KITTI raw drive's ``timestamps.txt``). Suffixes may be
  mixed: each file is read by its own suffix (case-insensitive).
* **Order.** Files are sorted by their path relative to the source, folder by folder, in
  natural order (digit runs compare as numbers, so ``frame2`` comes before ``frame10``;
  zero-padded KITTI names sort the same either way).
* **Reference ids.** A file's reference id is its path relative to the source folder, with
  ``/`` separators and without its suffix (``drive_01/0000000042``); a single file given as
  the source is its stem. Two files that differ only in suffix (``a.bin`` and ``a.pcd``) would
  share an id and are refused, naming both.
* **Points.** ``(N, 4)`` float32 x, y, z (metres, the cloud's own frame) and intensity in 0..1,
  read one file at a time as the item stream is consumed, so memory does not grow with the
  folder (the bound: the file list and one scan; held by ``tests/test_bounded_memory.py``).
  When the source intensity was 0..255 (it was divided by 255 to reach Nucleus's 0..1), the
  item metadata says so: ``intensity_source`` (the source field, such as ``intensity`` or
  ``reflectance``) and ``intensity_scale: 255``. Clouds already in 0..1, or without an
  intensity field (intensity 0), get no metadata.
* **Scenes** (read option ``scene``). Nucleus takes point clouds only inside LidarScenes, so
  the reader forms them itself (the Nucleus writer then has nothing to invent or report):

  ``each`` (default)
      every file is a LidarScene of one frame, reference id ``<item id>-scene``, sensor
      ``lidar``: the same scene the Nucleus writer would build for a loose cloud. It is the
      default because files in a folder are not necessarily a sequence (KITTI object's
      ``velodyne/`` holds 7,481 unrelated frames), and a scene per file claims nothing.
  ``sequence``
      every folder holding point cloud files is one LidarScene whose frames are its files in
      the order above (a KITTI raw drive's ``velodyne_points/data``). The scene's reference id
      is the folder's path relative to the source, or the source folder's own name for files
      directly in it.

Errors name the file and, for PCD/PLY headers, the line (``path:line: ...``): a ``.bin`` whose
size is not a multiple of 16 bytes, a NaN coordinate, a header that lies about its point count.
They are raised when the stream reaches the file, so a writer stops before finishing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from nucleus_convert.converters.pointcloud.schema import (
    LIDAR_SENSOR,
    scene_id_for,
)
from nucleus_convert.errors import InputError
from nucleus_convert.geometry.intensity import (
    intensity_metadata,
)
from nucleus_convert.geometry.pointcloud_files import SUFFIXES, read_points
from nucleus_convert.model import (
    Dataset,
    Frame,
    Header,
    Item,
    PointCloudMedia,
    Scene,
    partition_bounds,
)

__all__ = ["find_pointcloud_files", "read_pointcloud"]

_DIGITS = re.compile(r"(\d+)")


def _natural(part: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(chunk)) if k % 2 else (1, chunk)
        for k, chunk in enumerate(_DIGITS.split(part))
        if chunk
    )


def _sort_key(rel: tuple[str, ...]) -> tuple[Any, ...]:
    return (tuple(_natural(p) for p in rel), rel)


def _is_cloud(name: str) -> bool:
    return not name.startswith(".") and Path(name).suffix.lower() in SUFFIXES


def find_pointcloud_files(src: Path) -> list[tuple[str, Path]]:
    """``(reference id, path)`` of every point cloud file of ``src``, in reading order."""
    if src.is_file():
        if Path(src.name).suffix.lower() not in SUFFIXES:
            raise InputError(
                f"not a point cloud file: expected a {', '.join(SUFFIXES)} suffix", path=src
            )
        return [(src.stem, src)]
    if not src.is_dir():
        raise InputError("no such file or folder", path=src)
    found: list[tuple[tuple[str, ...], Path]] = []

    def fail(exc: OSError) -> None:
        raise InputError(f"cannot list folder: {exc.strerror or exc}", path=exc.filename)

    for folder, dirs, files in os.walk(src, onerror=fail, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        base = Path(folder)
        rel_folder = base.relative_to(src).parts
        for name in files:
            if _is_cloud(name) and (base / name).is_file():
                found.append(((*rel_folder, name), base / name))
    if not found:
        raise InputError(f"no {', '.join(SUFFIXES)} point cloud file here or below", path=src)
    found.sort(key=lambda f: _sort_key(f[0]))
    out: list[tuple[str, Path]] = []
    by_ref: dict[str, Path] = {}
    for rel, path in found:
        ref = "/".join((*rel[:-1], Path(rel[-1]).stem))
        other = by_ref.get(ref)
        if other is not None:
            raise InputError(
                f"{other.name} and {path.name} would both be item {ref!r}: keep one of them",
                path=path.parent,
            )
        by_ref[ref] = path
        out.append((ref, path))
    return out


def _scenes(src: Path, files: list[tuple[str, Path]], mode: str) -> list[Scene]:
    if mode == "each":
        return [Scene(scene_id_for(ref), [Frame({LIDAR_SENSOR: ref})]) for ref, _ in files]
    root_name = (src.name if src.is_dir() else src.parent.name) or "pointclouds"
    scenes: dict[str, Scene] = {}
    for ref, _ in files:
        folder, _, _ = ref.rpartition("/")
        scene_ref = folder or root_name
        scene = scenes.setdefault(scene_ref, Scene(scene_ref))
        scene.frames.append(Frame({LIDAR_SENSOR: ref}))
    return list(scenes.values())


def _item(ref: str, path: Path) -> Item:
    cloud = read_points(path)
    return Item(
        reference_id=ref,
        media=PointCloudMedia(path=str(path), points=cloud.points),
        metadata=intensity_metadata(cloud.source_intensity, cloud.intensity_scale),
    )


def _items(files: list[tuple[str, Path]]) -> Iterator[Item]:
    # The generator's frame holds no reference to a cloud once its item is handed out.
    for ref, path in files:
        yield _item(ref, path)


def read_pointcloud(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read one point cloud file or a folder of them (see the module docstring)."""
    mode = options.get("scene") or "each"
    files = find_pointcloud_files(src)
    header = Header(source={"format": "pointcloud", "path": str(src), "scene": mode})

    def partition(k: int, n: int) -> Iterator[Item]:
        """The scans of the ``k``-th of ``n`` slices of the file list, read in the worker."""
        return _items(files[slice(*partition_bounds(len(files), k, n))])

    return Dataset(
        header=header,
        items=_items(files),
        scenes=_scenes(src, files, mode),
        partition=partition,
        length=len(files),
    )
