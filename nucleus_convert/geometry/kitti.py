"""KITTI calibration and the KITTI <-> intermediate-model 3D geometry.

Pure geometry: numpy in, numpy or plain floats out. The calibration text (object-detection
``calib/*.txt`` and the raw dataset's ``calib_cam_to_cam.txt`` / ``calib_velo_to_cam.txt``) is
read and written by :mod:`.kitti_calib`, whose names are re-exported here.

Frames
------
* **velodyne** (``velo``): x forward, y left, z up, metres. This is the point cloud frame of the
  intermediate model (right-handed, z up), so cuboids and camera poses are expressed in it.
* **rectified camera** (``rect``): x right, y down, z forward (the OpenCV camera axes), metres,
  origin at the optical centre of camera 0 after rectification. KITTI labels live in it.

With ``Tr = Tr_velo_to_cam`` (3x4) and ``R0 = R0_rect`` (3x3), written as 4x4 homogeneous
matrices ``[[Tr], [0 0 0 1]]`` and ``[[R0, 0], [0, 1]]``::

    velo_to_rect(p) = R0 · Tr · [p; 1]          (p in velodyne, result in rectified camera)
    rect_to_velo(q) = (R0 · Tr)^-1 · [q; 1]     (np.linalg.inv of the 4x4, not a transpose:
                                                 KITTI's printed matrices are orthonormal only
                                                 to about 1e-7)
    pixel(p)        = P_k · R0 · Tr · [p; 1] = (u·s, v·s, s)  ->  (u, v)   (camera k, 0..3)

Pixel coordinates are KITTI's: 0-based, the centre of the top-left pixel is ``(0, 0)``.
Points with ``s <= 0`` (at or behind the camera plane) have no image and project to NaN.

Objects
-------
A KITTI label gives ``(h, w, l)``, ``location = (x, y, z)`` = the centre of the box's *bottom*
face in the rectified camera frame, and ``rotation_y`` = rotation about the camera's +y (down)
axis; at ``rotation_y = 0`` the object's length points along camera +x (right). A model
:class:`~nucleus_convert.model.Cuboid` is a centre, ``(length, width, height)`` along its own
(x, y, z) and a yaw about velodyne +z. Conversion (:func:`kitti_to_cuboid`)::

    centre_rect = location - (0, h/2, 0)           (camera y points down: the centre is above)
    position    = rect_to_velo(centre_rect)
    dimensions  = (l, w, h)
    yaw         = wrap(-rotation_y - pi/2)

and :func:`cuboid_to_kitti` is its exact inverse (``rotation_y = wrap(-yaw - pi/2)``,
``location = velo_to_rect(position) + (0, h/2, 0)``). ``wrap`` maps an angle into
``(-pi, pi]``; KITTI documents ``[-pi, pi]``, so ``-pi`` is written as ``+pi``.

The yaw formula (and "height is vertical in both frames") assumes the rotation part of
``R0 · Tr`` is the standard KITTI axis permutation ``x_cam = -y_velo, y_cam = -z_velo,
z_cam = x_velo``. Real calibrations deviate from it by about a degree; the position is
transformed exactly, the heading and the up axis are not (the heading is off by under
0.002 rad on the corpus frames' calibrations), which is how KITTI tools convert boxes.

The observation angle of a label is ``alpha = wrap(rotation_y - atan2(x, z))``
(:func:`alpha_from`).

Cuboid corners (:func:`cuboid_corners`) are numbered in the cuboid's own frame (x along the
length/heading, y to its left, z up), bottom face first::

    0 (+l/2, +w/2, -h/2) front-left    4 (+l/2, +w/2, +h/2)
    1 (+l/2, -w/2, -h/2) front-right   5 (+l/2, -w/2, +h/2)
    2 (-l/2, -w/2, -h/2) rear-right    6 (-l/2, -w/2, +h/2)
    3 (-l/2, +w/2, -h/2) rear-left     7 (-l/2, +w/2, +h/2)

so corner ``i + 4`` is straight above corner ``i``; world corner =
``position + Rz(yaw) · local``.

Cameras
-------
:func:`camera_params` turns a rectified projection ``P_k = K · [I | t]`` into a model
:class:`~nucleus_convert.model.CameraParams`:

* optical centre ``C_rect`` solves ``P_k[:, :3] · C = -P_k[:, 3]``; ``position =
  rect_to_velo(C_rect)``;
* ``heading`` = the Hamilton quaternion ``(x, y, z, w)``, ``w >= 0``, of ``R_cam_to_velo =
  (R0 · Tr[:, :3])^-1``, the rotation taking the camera axes (x right, y down, z forward:
  the rectified axes, since ``P_k[:, :3] = K`` has no rotation) into velodyne axes. KITTI's
  printed matrices are not exactly orthonormal, so the matrix is replaced by its nearest
  rotation (SVD polar factor ``U · V^T``); this moves in-image pixels by ~2e-5 px on
  KITTI's calibrations;
* ``fx = P[0,0]``, ``fy = P[1,1]``, ``cx = P[0,2]``, ``cy = P[1,2]`` (``P`` scaled so that
  ``P[2,2] = 1``); ``camera_model = None`` and no distortion: KITTI's rectified images are
  undistorted pinhole images.

A pinhole with these parameters projects ``p`` (velodyne) as ``c = R_cam_to_velo^T ·
(p - position)``, ``(u, v) = (fx · c_x / c_z + cx, fy · c_y / c_z + cy)``.
:func:`calibration_from_camera` is the inverse: ``P0 = P1 = P2 = P3 = [[fx, 0, cx, 0],
[0, fy, cy, 0], [0, 0, 1, 0]]`` (zero baseline), ``R0_rect = I``, ``Tr_velo_to_cam =
[R^T | -R^T · position]`` and no ``Tr_imu_to_velo``.

Quaternions are Hamilton ``(x, y, z, w)`` for active rotations: ``R(q) · v`` rotates ``v``
by ``q``; a rotation by ``theta`` about unit axis ``a`` is ``(a · sin(theta/2), cos(theta/2))``.
:func:`quaternion_from_matrix` uses Shepperd's method (branch on the largest of the trace and
the diagonal, so that the square root is never of a small number).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from nucleus_convert.geometry.kitti_calib import (
    Array,
    Calibration,
    calibration_from_lists,
    calibration_to_lists,
    format_calib,
    parse_calib,
    parse_raw_calib,
)
from nucleus_convert.model import CameraParams

__all__ = [
    "Calibration",
    "alpha_from",
    "box_from_corners",
    "calibration_from_camera",
    "calibration_from_lists",
    "calibration_to_lists",
    "camera_params",
    "cuboid_corners",
    "cuboid_to_kitti",
    "format_calib",
    "kitti_to_cuboid",
    "matrix_from_quaternion",
    "parse_calib",
    "parse_raw_calib",
    "project_to_image",
    "quaternion_from_matrix",
    "rect_to_velo",
    "velo_to_rect",
    "velo_to_rect_matrix",
    "wrap_angle",
]

Vec3 = tuple[float, float, float]
Quaternion = tuple[float, float, float, float]

# --------------------------------------------------------------------------- frames


def _homogeneous(matrix: Array) -> Array:
    out = np.eye(4, dtype=np.float64)
    out[:3, : matrix.shape[1]] = matrix
    return out


def velo_to_rect_matrix(calib: Calibration) -> Array:
    """The 4x4 ``R0_rect · Tr_velo_to_cam`` taking homogeneous velodyne points to rectified."""
    return _homogeneous(calib.R0_rect) @ _homogeneous(calib.Tr_velo_to_cam)


def _points(points: npt.ArrayLike, name: str = "points") -> tuple[Array, bool]:
    arr = np.asarray(points, dtype=np.float64)
    single = arr.shape == (3,)
    if single:
        arr = arr.reshape(1, 3)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"{name} must have shape (N, 3) or (3,), got {arr.shape}")
    return arr, single


def _apply(matrix: Array, points: npt.ArrayLike) -> Array:
    arr, single = _points(points)
    out: Array = arr @ matrix[:3, :3].T + matrix[:3, 3]
    return out[0] if single else out


def velo_to_rect(points: npt.ArrayLike, calib: Calibration) -> Array:
    """Velodyne points ``(N, 3)`` (or one ``(3,)``) to the rectified camera frame."""
    return _apply(velo_to_rect_matrix(calib), points)


def rect_to_velo(points: npt.ArrayLike, calib: Calibration) -> Array:
    """Rectified-camera points ``(N, 3)`` (or one ``(3,)``) to velodyne: the exact inverse."""
    inverse = np.asarray(np.linalg.inv(velo_to_rect_matrix(calib)), dtype=np.float64)
    return _apply(inverse, points)


# --------------------------------------------------------------------------- objects


def wrap_angle(angle: float) -> float:
    """``angle`` modulo 2π, in ``(-π, π]``."""
    wrapped = math.remainder(angle, math.tau)  # exact, in [-pi, pi]
    return math.pi if wrapped <= -math.pi else wrapped


def _vec3(value: npt.ArrayLike, name: str) -> Vec3:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (3,):
        raise ValueError(f"{name} must be 3 numbers, got shape {arr.shape}")
    return (float(arr[0]), float(arr[1]), float(arr[2]))


def kitti_to_cuboid(
    dimensions_hwl: npt.ArrayLike,
    location_xyz: npt.ArrayLike,
    rotation_y: float,
    calib: Calibration,
) -> tuple[Vec3, Vec3, float]:
    """A KITTI label's 3D box -> the model cuboid ``(position, (l, w, h), yaw)`` (velodyne)."""
    h, w, length = _vec3(dimensions_hwl, "dimensions_hwl")
    x, y, z = _vec3(location_xyz, "location_xyz")
    centre = rect_to_velo(np.array([x, y - h / 2.0, z]), calib)
    position = (float(centre[0]), float(centre[1]), float(centre[2]))
    return position, (length, w, h), wrap_angle(-rotation_y - math.pi / 2.0)


def cuboid_to_kitti(
    position: npt.ArrayLike,
    dimensions: npt.ArrayLike,
    yaw: float,
    calib: Calibration,
) -> tuple[float, float, float, float, float, float, float]:
    """A model cuboid -> KITTI ``(h, w, l, x, y, z, rotation_y)``; inverse of
    :func:`kitti_to_cuboid`."""
    length, w, h = _vec3(dimensions, "dimensions")
    centre = velo_to_rect(np.array(_vec3(position, "position")), calib)
    x, y, z = float(centre[0]), float(centre[1]) + h / 2.0, float(centre[2])
    return h, w, length, x, y, z, wrap_angle(-yaw - math.pi / 2.0)


def alpha_from(rotation_y: float, location: npt.ArrayLike) -> float:
    """KITTI's observation angle ``wrap(rotation_y - atan2(x, z))`` of an object at
    ``location`` (rectified camera frame)."""
    x, _, z = _vec3(location, "location")
    return wrap_angle(rotation_y - math.atan2(x, z))


_CORNER_SIGNS = np.array(
    [
        [1, 1, -1],
        [1, -1, -1],
        [-1, -1, -1],
        [-1, 1, -1],
        [1, 1, 1],
        [1, -1, 1],
        [-1, -1, 1],
        [-1, 1, 1],
    ],
    dtype=np.float64,
)


def cuboid_corners(position: npt.ArrayLike, dimensions: npt.ArrayLike, yaw: float) -> Array:
    """The ``(8, 3)`` corners of a cuboid, in its frame's coordinates (order: module doc)."""
    centre = np.array(_vec3(position, "position"))
    half = np.array(_vec3(dimensions, "dimensions")) / 2.0
    c, s = math.cos(yaw), math.sin(yaw)
    rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    local = _CORNER_SIGNS * half
    out: Array = local @ rz.T + centre
    return out


def project_to_image(points_velo: npt.ArrayLike, calib: Calibration, camera: int = 2) -> Array:
    """Pixels ``(N, 2)`` of velodyne points through ``P_camera · R0_rect · Tr_velo_to_cam``.

    Points at or behind the camera plane (homogeneous depth <= 0) come out as NaN.
    """
    arr, _ = _points(points_velo, "points_velo")
    full = calib.projection(camera) @ velo_to_rect_matrix(calib)
    homo = arr @ full[:, :3].T + full[:, 3]
    depth = homo[:, 2:3]
    with np.errstate(divide="ignore", invalid="ignore"):
        uv: Array = np.where(depth > 0, homo[:, :2] / depth, np.nan)
    return uv


def box_from_corners(
    uv: npt.ArrayLike, width: int, height: int
) -> tuple[float, float, float, float]:
    """The ``(left, top, right, bottom)`` box around projected points, clipped to the image.

    KITTI's 0-based pixel coordinates: left/top >= 0, right <= width - 1, bottom <=
    height - 1. A box wholly outside the image comes out degenerate (``left == right`` or
    ``top == bottom``). Raises ValueError when a point is NaN (behind the camera: the box is
    then not the hull of the projected corners).
    """
    arr = np.asarray(uv, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(f"uv must have shape (N, 2) with N > 0, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("a point is not finite (behind the camera?)")
    lo = arr.min(axis=0)
    hi = arr.max(axis=0)
    xmax, ymax = float(width - 1), float(height - 1)
    return (
        min(max(float(lo[0]), 0.0), xmax),
        min(max(float(lo[1]), 0.0), ymax),
        min(max(float(hi[0]), 0.0), xmax),
        min(max(float(hi[1]), 0.0), ymax),
    )


# --------------------------------------------------------------------------- quaternions


def quaternion_from_matrix(matrix: npt.ArrayLike) -> Quaternion:
    """Hamilton ``(x, y, z, w)`` of a 3x3 rotation, unit length, ``w >= 0`` (Shepperd)."""
    r = np.asarray(matrix, dtype=np.float64)
    if r.shape != (3, 3) or not np.isfinite(r).all():
        raise ValueError(f"a rotation is a finite 3x3 matrix, got shape {r.shape}")
    if np.linalg.det(r) <= 0:
        raise ValueError("not a proper rotation (determinant <= 0)")
    m00, m01, m02 = (float(v) for v in r[0])
    m10, m11, m12 = (float(v) for v in r[1])
    m20, m21, m22 = (float(v) for v in r[2])
    trace = m00 + m11 + m22
    biggest = max(trace, m00, m11, m22)
    if biggest == trace:
        w = 0.5 * math.sqrt(1.0 + trace)
        f = 0.25 / w
        x, y, z = (m21 - m12) * f, (m02 - m20) * f, (m10 - m01) * f
    elif biggest == m00:
        x = 0.5 * math.sqrt(1.0 + m00 - m11 - m22)
        f = 0.25 / x
        w, y, z = (m21 - m12) * f, (m01 + m10) * f, (m02 + m20) * f
    elif biggest == m11:
        y = 0.5 * math.sqrt(1.0 - m00 + m11 - m22)
        f = 0.25 / y
        w, x, z = (m02 - m20) * f, (m01 + m10) * f, (m12 + m21) * f
    else:
        z = 0.5 * math.sqrt(1.0 - m00 - m11 + m22)
        f = 0.25 / z
        w, x, y = (m10 - m01) * f, (m02 + m20) * f, (m12 + m21) * f
    norm = math.sqrt(x * x + y * y + z * z + w * w)
    if w < 0:
        norm = -norm
    return (x / norm, y / norm, z / norm, w / norm)


def matrix_from_quaternion(quaternion: npt.ArrayLike) -> Array:
    """The 3x3 rotation of a Hamilton ``(x, y, z, w)`` quaternion (normalised first)."""
    q = np.asarray(quaternion, dtype=np.float64)
    if q.shape != (4,) or not np.isfinite(q).all():
        raise ValueError(f"a quaternion is 4 finite numbers, got shape {q.shape}")
    norm = float(np.linalg.norm(q))
    if norm == 0.0:
        raise ValueError("the zero quaternion is not a rotation")
    x, y, z, w = (float(v) / norm for v in q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ],
        dtype=np.float64,
    )


def _nearest_rotation(matrix: Array) -> Array:
    """The rotation closest to ``matrix`` in Frobenius norm (polar factor ``U · V^T``)."""
    u, _, vt = np.linalg.svd(matrix)
    r: Array = u @ vt
    if np.linalg.det(r) <= 0:
        raise ValueError("the camera rotation is a reflection, not a rotation")
    return r


# --------------------------------------------------------------------------- cameras


def camera_params(calib: Calibration, camera: int = 2) -> CameraParams:
    """Camera ``camera``'s pose in the velodyne frame and its intrinsics (see module doc).

    Raises ValueError when ``P_camera[:, :3]`` is not ``K`` (upper triangular, no skew): only
    a rectified KITTI projection has the camera axes of the rectified frame.
    """
    p = calib.projection(camera)
    if p[2, 2] == 0:
        raise ValueError(f"P{camera}[2, 2] is 0: not a camera projection")
    p = p / p[2, 2]
    scale = max(abs(float(p[0, 0])), abs(float(p[1, 1])), 1.0)
    off_k = (p[0, 1], p[1, 0], p[2, 0], p[2, 1])
    if max(abs(float(v)) for v in off_k) > 1e-9 * scale:
        raise ValueError(f"P{camera}[:, :3] is not [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]")
    centre_rect = np.linalg.solve(p[:, :3], -p[:, 3])
    position = rect_to_velo(centre_rect, calib)
    velo_to_cam = calib.R0_rect @ calib.Tr_velo_to_cam[:, :3]
    cam_to_velo = _nearest_rotation(np.asarray(np.linalg.inv(velo_to_cam), dtype=np.float64))
    return CameraParams(
        position=(float(position[0]), float(position[1]), float(position[2])),
        heading=quaternion_from_matrix(cam_to_velo),
        fx=float(p[0, 0]),
        fy=float(p[1, 1]),
        cx=float(p[0, 2]),
        cy=float(p[1, 2]),
        camera_model=None,
    )


def calibration_from_camera(cam: CameraParams) -> Calibration:
    """A KITTI calibration whose ``P0``..``P3`` all are ``cam`` (zero baseline), ``R0_rect = I``.

    ``cam.distortion`` and ``cam.camera_model`` have no place in a rectified KITTI
    calibration and are not used: a writer must report them as lost.
    """
    r = matrix_from_quaternion(cam.heading)  # camera axes -> velodyne
    centre = np.array(_vec3(cam.position, "position"))
    tr = np.hstack([r.T, (-r.T @ centre).reshape(3, 1)])
    k = np.array(
        [[cam.fx, 0.0, cam.cx, 0.0], [0.0, cam.fy, cam.cy, 0.0], [0.0, 0.0, 1.0, 0.0]],
        dtype=np.float64,
    )
    return Calibration(P0=k, P1=k, P2=k, P3=k, R0_rect=np.eye(3), Tr_velo_to_cam=tr)
