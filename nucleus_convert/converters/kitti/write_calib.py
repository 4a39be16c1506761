"""The calibration a KITTI frame is written with (see :mod:`.write`, *Calibration*).

In order: the ``kitti_calib`` metadata the KITTI reader stores, while the camera item's
parameters still equal the ones it implies; else the calibration
:func:`~nucleus_convert.geometry.kitti.calibration_from_camera` derives from the camera item's
parameters; else none (the frame's cuboids cannot be placed and are dropped by the caller).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nucleus_convert.converters.kitti.schema import CALIB_KEY
from nucleus_convert.errors import OutputError
from nucleus_convert.geometry.kitti import (
    Calibration,
    calibration_from_camera,
    calibration_from_lists,
    camera_params,
    velo_to_rect_matrix,
)
from nucleus_convert.loss import LossReport
from nucleus_convert.model import CameraParams, Item

__all__ = ["MAX_AXES_DEVIATION", "frame_calibration", "kitti_axes_deviation"]

MAX_AXES_DEVIATION = math.radians(5.0)
"""How far a camera may turn from KITTI's axes before ``rotation_y`` stops being meaningful."""
# KITTI's rectified camera axes in velodyne axes: x_cam = -y_velo, y_cam = -z_velo, z_cam = x_velo.
_KITTI_AXES = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])


def kitti_axes_deviation(calib: Calibration) -> float:
    """The angle (radians) between the calibration's camera axes and KITTI's standard ones."""
    rot = velo_to_rect_matrix(calib)[:3, :3]
    rel = rot @ _KITTI_AXES.T
    cos = (float(np.trace(rel)) - 1.0) / 2.0
    return math.acos(max(-1.0, min(1.0, cos)))


def _calib_from_metadata(value: Any, where: str) -> Calibration:
    try:
        return calibration_from_lists(value)
    except ValueError as exc:
        raise OutputError(f"{where}: metadata {CALIB_KEY}: {exc}") from None


def _same_camera(a: CameraParams, b: CameraParams) -> bool:
    """Equal pose and intrinsics within 1e-9 (distortion and model are not compared)."""

    def close(x: float, y: float) -> bool:
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)

    pairs = [
        *zip(a.position, b.position, strict=True),
        *zip(a.heading, b.heading, strict=True),
        (a.fx, b.fx),
        (a.fy, b.fy),
        (a.cx, b.cx),
        (a.cy, b.cy),
    ]
    return all(close(x, y) for x, y in pairs)


def _stored(camera: Item | None, lidar: Item | None, where: str) -> Calibration | None:
    """The ``kitti_calib`` metadata of the camera item, else of the scan item."""
    for it in (camera, lidar):
        if it is not None and CALIB_KEY in it.metadata:
            return _calib_from_metadata(it.metadata[CALIB_KEY], f"{where}, {it.reference_id!r}")
    return None


def frame_calibration(
    camera: Item | None, lidar: Item | None, where: str, report: LossReport
) -> Calibration | None:
    """The calibration to write for a frame (module docstring); a stored calibration the
    camera no longer agrees with is counted as ``item.metadata.kitti_calib`` changed."""
    stored = _stored(camera, lidar, where)
    cam = camera.camera if camera is not None else None
    if stored is not None:
        if cam is None:
            return stored
        try:
            implied = camera_params(stored, 2)
        except ValueError as exc:
            raise OutputError(f"{where}: metadata {CALIB_KEY}: {exc}") from None
        if _same_camera(implied, cam):
            return stored
        report.changed(
            "item",
            f"metadata.{CALIB_KEY}",
            reason="the camera parameters differ from the stored calibration; "
            "the calibration is rebuilt from the camera",
            example=where,
        )
    if cam is None:
        return None
    try:
        return calibration_from_camera(cam)
    except ValueError as exc:
        raise OutputError(f"{where}: camera parameters: {exc}") from None
