"""nuScenes LiDAR files (``.pcd.bin``): five little-endian float32 a point.

The devkit's ``LidarPointCloud.from_file`` reads them as ``np.fromfile(..., float32)
.reshape(-1, 5)[:, :4]``: x, y, z (metres, the LiDAR sensor frame), intensity, and a fifth
column, the laser ring index (0..31 for the HDL-32E), that it drops too.

* Reading (:func:`read_pcd_bin`): a file whose size is not a multiple of 20 bytes is refused;
  NaN or infinite coordinates are refused with the index of the first bad point (dropping
  points would shift the indices labels refer to); intensity must lie in 0..255 (the
  sensor's 8-bit return strength, stored as float) and becomes the model's ``intensity / 255``
  in float32; the ring index is not kept.
* Writing (:func:`write_pcd_bin`): intensity ``i`` becomes the float32 ``s`` nearest
  ``255 · i`` for which ``float32(s / 255) == i`` (searched two floats either way), so a
  cloud read from nuScenes is written with its own intensities; the ring index column is 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from nucleus_convert.errors import InputError, OutputError

__all__ = ["POINT_BYTES", "SCALE", "intensity_from_model", "read_pcd_bin", "write_pcd_bin"]

POINT_BYTES = 20
SCALE = 255.0
"""nuScenes intensity is 0..255; the model's is 0..1."""

F32 = npt.NDArray[np.float32]


def _to_model(values: F32) -> F32:
    out: F32 = (values.astype(np.float64) / SCALE).astype(np.float32)
    return out


def read_pcd_bin(path: Path) -> F32:
    """The ``(N, 4)`` float32 points of a ``.pcd.bin``: x, y, z, intensity in 0..1."""
    try:
        size = path.stat().st_size
        if size % POINT_BYTES:
            raise InputError(
                f"size {size} bytes is not a multiple of {POINT_BYTES} (a nuScenes LiDAR point "
                "is 5 little-endian float32: x, y, z, intensity, ring index)",
                path=path,
            )
        data = np.fromfile(path, dtype="<f4")
    except OSError as exc:
        raise InputError(f"cannot read the point cloud: {exc.strerror or exc}", path=path) from None
    if data.size * 4 != size:
        raise InputError(f"read {data.size * 4} bytes of {size}", path=path)
    rows = data.reshape(-1, 5)
    finite = np.isfinite(rows[:, :4])
    if not finite.all():
        bad = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise InputError(
            f"NaN or infinite value {rows[bad, :4].tolist()}", path=path, field=f"points[{bad}]"
        )
    inten = rows[:, 3]
    outside = (inten < 0) | (inten > SCALE)
    if outside.any():
        bad = int(np.flatnonzero(outside)[0])
        raise InputError(
            f"intensity {inten[bad].item()} is outside 0..255", path=path, field=f"points[{bad}]"
        )
    points = np.empty((rows.shape[0], 4), dtype=np.float32)
    points[:, :3] = rows[:, :3]
    points[:, 3] = _to_model(inten)
    return points


def intensity_from_model(values: F32) -> F32:
    """nuScenes intensities (0..255, float32) that read back as exactly ``values`` where any
    float32 within two steps of ``255 · value`` does, the nearest otherwise."""
    start: F32 = (values.astype(np.float64) * SCALE).astype(np.float32)
    found = start.copy()
    pending = np.flatnonzero(_to_model(start) != values)
    for step in (1, -1, 2, -2):
        if pending.size == 0:
            break
        trial = start[pending]
        for _ in range(abs(step)):
            trial = np.nextafter(trial, np.float32(np.inf if step > 0 else -np.inf))
        hit = _to_model(trial) == values[pending]
        found[pending[hit]] = trial[hit]
        pending = pending[~hit]
    return found


def write_pcd_bin(points: npt.NDArray[np.float32], path: Path) -> int:
    """Write ``(N, 4)`` model points (x, y, z in the sensor frame, intensity in 0..1); returns
    how many intensities lay outside 0..1 and were clipped into it."""
    arr = np.asarray(points, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[1] not in (3, 4):
        raise OutputError(f"{path.name}: points must have shape (N, 3) or (N, 4), got {arr.shape}")
    rows = np.zeros((arr.shape[0], 5), dtype="<f4")
    rows[:, :3] = arr[:, :3]
    clipped = 0
    if arr.shape[1] == 4:
        clipped = int(((arr[:, 3] < 0) | (arr[:, 3] > 1)).sum())
        inten = np.clip(arr[:, 3], np.float32(0.0), np.float32(1.0))
        rows[:, 3] = intensity_from_model(inten)
    if not np.isfinite(rows).all():
        bad = int(np.flatnonzero(~np.isfinite(rows).all(axis=1))[0])
        raise OutputError(f"{path.name}: point {bad} has a NaN or infinite value")
    rows.tofile(path)
    return clipped
