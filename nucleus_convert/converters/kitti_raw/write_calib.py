"""A KITTI raw drive's calibration files, written from what its items say.

The files the drive was read with (``Item.extra["kitti_raw_calib"]``, regular local files
only) are copied while every camera's parameters still equal what they give; otherwise, when
cameras have parameters, ``calib_cam_to_cam.txt`` and ``calib_velo_to_cam.txt`` are derived
from them (:func:`calibration_text`, reported as ``item.camera`` approximated).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nucleus_convert.converters.kitti_raw.schema import CALIB_CAM, CALIB_IMU, CALIB_VELO
from nucleus_convert.converters.kitti_raw.tracklets import format_float
from nucleus_convert.errors import InputError
from nucleus_convert.geometry.kitti import camera_params, matrix_from_quaternion, parse_raw_calib
from nucleus_convert.model import CameraParams
from nucleus_convert.toolkit.images import regular_local_file

__all__ = ["CALIB_FILES", "CameraHistory", "calibration_text", "source_agrees"]

CALIB_FILES = (CALIB_CAM, CALIB_VELO, CALIB_IMU)
CameraHistory = dict[int, list[tuple[int, CameraParams]]]
"""camera number -> [(frame index, parameters)] in the order the images came"""


def source_agrees(files: dict[str, str], params: CameraHistory) -> bool:
    """True when the source calibration files are regular local files, parse, and give every
    camera's parameters in every frame exactly."""
    if not all(regular_local_file(files.get(n, "")) for n in (CALIB_CAM, CALIB_VELO)):
        return False
    imu = files.get(CALIB_IMU)
    if imu is not None and regular_local_file(imu) is None:
        return False
    try:
        calib = parse_raw_calib(
            Path(files[CALIB_CAM]), Path(files[CALIB_VELO]), Path(imu) if imu else None
        )
        for camera, cams in params.items():
            expected = camera_params(calib, camera)
            if any(cam != expected for _, cam in cams):
                return False
    except (InputError, ValueError):
        return False
    return True


def _row(values: Any) -> str:
    return " ".join(format_float(float(v)) for v in np.asarray(values, dtype=np.float64).ravel())


def calibration_text(params: CameraHistory) -> tuple[str, str, list[tuple[int, str]]]:
    """``calib_cam_to_cam.txt`` and ``calib_velo_to_cam.txt`` for cameras sharing one rotation.

    ``R_rect_00 = I``; ``Tr_velo_to_cam = [R^T | -R^T c_ref]`` with ``R`` the cameras' common
    camera-to-velodyne rotation and ``c_ref`` the lowest-numbered camera's centre; each
    ``P_rect_0k = K_k [I | -R^T (c_k - c_ref)]``, so that :func:`camera_params` gives back
    ``c_k``, ``R`` and ``K_k``. A camera whose parameters change between frames is written with
    its first frame's; one whose rotation differs from the reference camera's is written with
    the reference rotation (both returned as notes ``(camera, reason)``).
    """
    notes: list[tuple[int, str]] = []
    first = {k: v[0][1] for k, v in sorted(params.items())}
    for camera, cams in params.items():
        if any(cam != cams[0][1] for _, cam in cams):
            notes.append((camera, "a KITTI camera is fixed for the whole drive: its first frame's"))
    ref_camera = min(first)
    ref = first[ref_camera]
    rotation = matrix_from_quaternion(ref.heading)  # camera axes -> velodyne
    velo_to_cam = rotation.T
    c_ref = np.array(ref.position, dtype=np.float64)
    projections: dict[int, Any] = {}
    for camera, cam in first.items():
        if not np.allclose(matrix_from_quaternion(cam.heading), rotation, rtol=0.0, atol=1e-12):
            notes.append((camera, "KITTI cameras share one rotation: the lowest camera's"))
        if cam.distortion or cam.camera_model:
            notes.append((camera, "rectified KITTI images have no distortion or camera model"))
        k = np.array([[cam.fx, 0.0, cam.cx], [0.0, cam.fy, cam.cy], [0.0, 0.0, 1.0]])
        centre = velo_to_cam @ (np.array(cam.position, dtype=np.float64) - c_ref)
        projections[camera] = np.hstack([k, (-k @ centre).reshape(3, 1)])
    if 2 not in projections:  # parse_raw_calib requires P_rect_02
        projections[2] = projections[ref_camera]
    lines = ["calib_time: written by nucleus-convert", f"R_rect_00: {_row(np.eye(3))}"]
    lines += [f"P_rect_{k:02d}: {_row(p)}" for k, p in sorted(projections.items())]
    velo = [
        "calib_time: written by nucleus-convert",
        f"R: {_row(velo_to_cam)}",
        f"T: {_row(-velo_to_cam @ c_ref)}",
    ]
    return "\n".join(lines) + "\n", "\n".join(velo) + "\n", notes
