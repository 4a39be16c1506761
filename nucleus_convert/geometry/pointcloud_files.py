"""Point cloud files: KITTI velodyne ``.bin``, PCD (``.pcd``) and PLY (``.ply``).

:func:`read_points` gives a :class:`PointCloud` whose ``points`` follow the model's convention
(:class:`nucleus_convert.model.PointCloudMedia`): an ``(N, 4)`` float32 array of x, y, z and
intensity, intensity in 0..1.

* ``.bin`` is read with :func:`numpy.fromfile`: 16 bytes a point, little-endian float32 x, y, z,
  reflectance (already 0..1 in KITTI).
* ``.pcd`` and ``.ply`` are read with open3d's tensor API (``open3d.t.io``), which keeps extra
  attributes such as ``intensity`` (the legacy API drops them). open3d is an optional
  dependency, imported only here: ``pip install 'nucleus-convert[pointcloud]'``.

open3d silently accepts PCD files that lie: POINTS that disagrees with WIDTH x HEIGHT, binary
data longer than the header says, ascii data with fewer or more lines than POINTS (it then
makes up points from uninitialised memory), short lines, words that are not numbers (read as 0),
an unknown DATA kind (read as binary), integers beyond their type (300 in a ``U 1`` intensity
reads as 44). Its PLY reader stops at the first value it cannot read and then returns the
points it had not filled, uninitialised, with only a log line. So the PCD and PLY headers are
parsed first (:mod:`.pcd_header`, :mod:`.ply_header`) and the data checked against them, and
every such lie is an :class:`InputError` naming the file and the header (or data) line at
fault (``path:line: ...``).

Intensity: the source field named ``intensity``, ``reflectance``, ``remission``,
``scalar_intensity`` or ``i`` (any case), in that order of preference. Float values within 0..1
are kept; values up to 255 (and integer-typed fields, which count 0..255) are divided by 255 and
``intensity_scale`` says so; anything negative or above 255 is refused. Without such a field the
intensity is 0 and ``source_intensity`` is ``"none"``.

NaN or infinite coordinates are refused with the index of the first bad point: a non-dense PCD
(an organised cloud that marks missing returns with NaN) has to be cleaned before converting,
because silently dropping points would shift every index that labels refer to.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.errors import FormatError, InputError, OutputError
from nucleus_convert.geometry.pcd_header import PcdHeader, check_pcd_data, parse_pcd_header
from nucleus_convert.geometry.ply_header import (
    PlyElement,
    PlyHeader,
    check_ply_data,
    parse_ply_header,
)

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

__all__ = [
    "PcdHeader",
    "PlyElement",
    "PlyHeader",
    "PointCloud",
    "parse_pcd_header",
    "parse_ply_header",
    "read_points",
    "write_bin",
    "write_pcd",
    "write_ply",
]

INSTALL_HINT = "pip install 'nucleus-convert[pointcloud]'"
SUFFIXES = (".bin", ".pcd", ".ply")
INTENSITY_NAMES = ("intensity", "reflectance", "remission", "scalar_intensity", "i")


@dataclass(frozen=True, slots=True)
class PointCloud:
    """Points read from a file, and how their intensity was obtained.

    ``points`` is ``(N, 4)`` float32: x, y, z (metres, the cloud's frame) and intensity in 0..1.
    ``intensity_scale`` is what the source intensity was divided by (1.0 or 255.0);
    ``source_intensity`` the source field it came from (``"reflectance"``, ``"intensity"``...)
    or ``"none"`` (intensity 0); ``fields`` the source's field (property) names, in file order.
    """

    points: npt.NDArray[np.float32]
    intensity_scale: float
    source_intensity: str
    fields: tuple[str, ...]


def read_points(path: str | Path) -> PointCloud:
    """Read a ``.bin`` (KITTI velodyne), ``.pcd`` or ``.ply`` point cloud."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise FormatError(
            f"{path}: unknown point cloud file type {suffix or '(no suffix)'!r}; "
            f"expected one of {', '.join(SUFFIXES)}"
        )
    try:
        if suffix == ".bin":
            return _read_bin(path)
        if suffix == ".pcd":
            return _read_pcd(path)
        return _read_ply(path)
    except OSError as exc:
        raise InputError(f"cannot read point cloud: {exc.strerror or exc}", path=path) from None


# --------------------------------------------------------------------------------------------
# KITTI .bin
# --------------------------------------------------------------------------------------------

_BIN_FIELDS = ("x", "y", "z", "reflectance")


def _read_bin(path: Path) -> PointCloud:
    size = path.stat().st_size
    if size % 16:
        raise InputError(
            f"size {size} bytes is not a multiple of 16 (a KITTI velodyne point is 4 "
            "little-endian float32: x, y, z, reflectance)",
            path=path,
        )
    data = np.fromfile(path, dtype="<f4")
    if data.size * 4 != size:  # the file changed under us
        raise InputError(f"read {data.size * 4} bytes of {size}", path=path)
    pts = data.astype(np.float32, copy=False).reshape(-1, 4)
    _check_finite(pts[:, :3], path, dense_hint=False)
    inten, scale = _scale_intensity(pts[:, 3], "reflectance", path)
    if scale != 1.0:
        pts[:, 3] = inten  # the array is ours: numpy.fromfile made it
    return PointCloud(pts, scale, "reflectance", _BIN_FIELDS)


# --------------------------------------------------------------------------------------------
# PCD and PLY (headers and data checked by .pcd_header and .ply_header first)
# --------------------------------------------------------------------------------------------


def _read_pcd(path: Path) -> PointCloud:
    with path.open("rb") as stream:
        header = parse_pcd_header(stream, path)
        names = {name.lower(): name for name in header.fields}
        source = next((names[n] for n in INTENSITY_NAMES if n in names), None)
        if source is not None and header.counts[header.fields.index(source)] != 1:
            raise InputError(
                f"intensity field {source!r} must hold one value a point (COUNT 1)",
                path=path,
                line=header.lines.get("COUNT", header.lines["FIELDS"]),
            )
        check_pcd_data(stream, header, path, os.fstat(stream.fileno()).st_size, source)
    if header.points == 0:
        empty = np.zeros((0, 4), dtype=np.float32)
        return PointCloud(empty, 1.0, source or "none", header.fields)
    xyz, inten = _read_open3d(path, "pcd", header.points, source)
    return _assemble(xyz, inten, source, header.fields, path, dense_hint=True)


def _read_ply(path: Path) -> PointCloud:
    with path.open("rb") as stream:
        header = parse_ply_header(stream, path)
        check_ply_data(stream, header, path, os.fstat(stream.fileno()).st_size)
    vertex = header.element("vertex")
    assert vertex is not None
    fields = tuple(name for name, _ in vertex.properties)
    names = {name.lower(): name for name in fields}
    source = next((names[n] for n in INTENSITY_NAMES if n in names), None)
    if vertex.count == 0:
        return PointCloud(np.zeros((0, 4), dtype=np.float32), 1.0, source or "none", fields)
    xyz, inten = _read_open3d(path, "ply", vertex.count, source)
    return _assemble(xyz, inten, source, fields, path, dense_hint=False)


# --------------------------------------------------------------------------------------------
# open3d, intensity, finiteness
# --------------------------------------------------------------------------------------------


def _open3d() -> Any:
    """The open3d module, or a FormatError saying how to install it."""
    try:
        # import_module keeps open3d's large, partly typed surface out of mypy's view.
        return importlib.import_module("open3d")
    except ImportError as exc:
        raise FormatError(
            f"reading .pcd and .ply point clouds needs open3d ({exc}): {INSTALL_HINT}"
        ) from None


@contextmanager
def _quiet(o3d: Any) -> Iterator[None]:
    """open3d prints warnings on failure; we raise our own errors instead."""
    with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
        yield


def _read_open3d(
    path: Path, fmt: str, expected: int, intensity: str | None
) -> tuple[npt.NDArray[Any], npt.NDArray[Any] | None]:
    """Positions ``(N, 3)`` and the intensity attribute ``(N,)`` read by ``open3d.t.io``."""
    o3d = _open3d()
    try:
        with _quiet(o3d):
            cloud = o3d.t.io.read_point_cloud(
                str(path), format=fmt, remove_nan_points=False, remove_infinite_points=False
            )
    except Exception as exc:  # open3d (pybind11) raises RuntimeError, and may raise others
        message = " ".join(_ANSI.sub("", str(exc)).split())[
            :300
        ]  # open3d's is coloured, multi-line
        raise InputError(f"open3d cannot read this {fmt.upper()}: {message}", path=path) from None
    attributes = set(cloud.point)
    if "positions" not in attributes:
        raise InputError(f"open3d read no points from this {fmt.upper()}", path=path)
    xyz = cloud.point["positions"].numpy()
    if xyz.shape != (expected, 3):
        raise InputError(
            f"open3d read {xyz.shape[0]} points, the header says {expected}", path=path
        )
    inten = None
    if intensity is not None:
        if intensity not in attributes:
            raise InputError(f"open3d dropped the {intensity!r} field", path=path)
        inten = cloud.point[intensity].numpy().reshape(-1)
        if inten.shape[0] != expected:
            raise InputError(
                f"open3d read {inten.shape[0]} {intensity!r} values for {expected} points",
                path=path,
            )
    return xyz, inten


def _assemble(
    xyz: npt.NDArray[Any],
    inten: npt.NDArray[Any] | None,
    source: str | None,
    fields: tuple[str, ...],
    path: Path,
    *,
    dense_hint: bool,
) -> PointCloud:
    pts = np.empty((xyz.shape[0], 4), dtype=np.float32)
    pts[:, :3] = xyz  # float64 sources are rounded to float32 here (the model's precision)
    _check_finite(pts[:, :3], path, dense_hint=dense_hint)
    if inten is None or source is None:
        pts[:, 3] = 0.0
        return PointCloud(pts, 1.0, "none", fields)
    pts[:, 3], scale = _scale_intensity(inten, source, path)
    return PointCloud(pts, scale, source, fields)


def _check_finite(xyz: npt.NDArray[Any], path: Path, *, dense_hint: bool) -> None:
    finite = np.isfinite(xyz)
    if finite.all():
        return
    bad = int(np.flatnonzero(~finite.all(axis=1))[0])
    hint = (
        " (a non-dense PCD marks missing returns with NaN: remove those points before "
        "converting, so that point indices stay meaningful)"
        if dense_hint
        else ""
    )
    raise InputError(
        f"coordinate is NaN or infinite: {xyz[bad].tolist()}{hint}",
        path=path,
        field=f"points[{bad}]",
    )


def _scale_intensity(
    values: npt.NDArray[Any], name: str, path: Path
) -> tuple[npt.NDArray[np.float32], float]:
    """Intensity in 0..1 and what it was divided by (1.0 or 255.0)."""
    if values.size == 0:
        return values.astype(np.float32), 1.0
    integer = values.dtype.kind in "iu"
    if not integer:
        finite = np.isfinite(values)
        if not finite.all():
            bad = int(np.flatnonzero(~finite)[0])
            raise InputError(f"{name} is NaN or infinite", path=path, field=f"points[{bad}].{name}")
    low, high = values.min(), values.max()
    if low < 0 or high > 255:
        bad = int(np.flatnonzero((values < 0) | (values > 255))[0])
        raise InputError(
            f"{name} {values[bad].item()} is outside 0..1 and 0..255 (values range "
            f"{low.item()}..{high.item()})",
            path=path,
            field=f"points[{bad}].{name}",
        )
    if integer or high > 1:
        return (values.astype(np.float64) / 255.0).astype(np.float32), 255.0
    return values.astype(np.float32, copy=False), 1.0


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _as_points(points: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """``(N, 4)`` little-endian float32 (intensity 0 for ``(N, 3)``), finite."""
    arr = np.asarray(points)
    if arr.ndim != 2 or arr.shape[1] not in (3, 4):
        raise OutputError(f"point cloud must have shape (N, 3) or (N, 4), got {arr.shape}")
    out = np.zeros((arr.shape[0], 4), dtype="<f4")
    out[:, : arr.shape[1]] = arr
    finite = np.isfinite(out)
    if not finite.all():
        bad = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise OutputError(f"point {bad} has a NaN or infinite value: {out[bad].tolist()}")
    return out


def _ascii_rows(arr: npt.NDArray[np.float32]) -> bytes:
    """One line a point, each float32 with 9 significant digits (enough to read back exact,
    through a correctly rounded float32 or float64 parse alike)."""
    if arr.shape[0] == 0:
        return b""
    values: list[float] = arr.astype(np.float64).ravel().tolist()
    text: str = ("%.9g %.9g %.9g %.9g\n" * arr.shape[0]) % tuple(values)
    # The one float32 whose 9-digit decimal lies beyond float32's range (RPly refuses it):
    # print the largest float32 exactly instead.
    return text.replace("3.40282347e+38", "3.4028234663852886e+38").encode("ascii")


def write_pcd(points: npt.NDArray[Any], path: str | Path, *, binary: bool = True) -> None:
    """Write x, y, z, intensity float32 as a PCD (``DATA binary`` or ``ascii``)."""
    arr = _as_points(points)
    n = arr.shape[0]
    header = (
        "# .PCD v0.7 - Point Cloud Data file format\n"
        "VERSION 0.7\n"
        "FIELDS x y z intensity\n"
        "SIZE 4 4 4 4\n"
        "TYPE F F F F\n"
        "COUNT 1 1 1 1\n"
        f"WIDTH {n}\n"
        "HEIGHT 1\n"
        "VIEWPOINT 0 0 0 1 0 0 0\n"
        f"POINTS {n}\n"
        f"DATA {'binary' if binary else 'ascii'}\n"
    ).encode("ascii")
    Path(path).write_bytes(header + (arr.tobytes() if binary else _ascii_rows(arr)))


def write_ply(points: npt.NDArray[Any], path: str | Path, *, binary: bool = True) -> None:
    """Write x, y, z, intensity float32 vertices as a PLY (binary little-endian or ascii)."""
    arr = _as_points(points)
    header = (
        "ply\n"
        f"format {'binary_little_endian' if binary else 'ascii'} 1.0\n"
        "comment written by nucleus-convert\n"
        f"element vertex {arr.shape[0]}\n"
        "property float x\n"
        "property float y\n"
        "property float z\n"
        "property float intensity\n"
        "end_header\n"
    ).encode("ascii")
    Path(path).write_bytes(header + (arr.tobytes() if binary else _ascii_rows(arr)))


def write_bin(points: npt.NDArray[Any], path: str | Path) -> None:
    """Write KITTI velodyne layout: little-endian float32 x, y, z, reflectance."""
    _as_points(points).tofile(Path(path))
