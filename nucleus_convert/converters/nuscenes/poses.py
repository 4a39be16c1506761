"""Rigid poses of the nuScenes tables, in numpy only (no pyquaternion).

Conventions (nuScenes ``schema_nuscenes.md``, the devkit's ``pyquaternion`` usage):

* a quaternion of the tables is ``[w, x, y, z]`` (scalar first, pyquaternion's order), a
  Hamilton quaternion of an active rotation. The model's
  :class:`~nucleus_convert.model.CameraParams` ``heading`` is ``(x, y, z, w)`` (scalar last):
  :func:`heading_xyzw` and :func:`from_heading` convert, with ``w >= 0`` on the way out;
* a pose ``(rotation, translation)`` maps a point of the child frame into the parent frame:
  ``p_parent = R(rotation) · p_child + translation``. ``ego_pose`` is ego → global,
  ``calibrated_sensor`` is sensor → ego, a ``sample_annotation`` is box → global;
* ``R(q)`` is the rotation matrix of ``q / |q|`` (pyquaternion normalises before
  ``rotation_matrix``);
* the yaw of a rotation is the devkit's ``quaternion_yaw``: the heading of the rotated x axis
  in the parent's x-y plane, ``atan2(R[1, 0], R[0, 0]) = atan2(2(wz + xy), w² + x² - y² - z²)``
  (both arguments scale with ``|q|²``, so no normalisation is needed); the tilt is the angle
  between the rotated z axis and the parent's z axis.

Every function evaluates its arithmetic element by element in a fixed order (no BLAS), so that
the reader and the writer, given the same numbers, get the same bits: the writer inverts the
reader exactly by searching the neighbouring floats of an approximate inverse
(:func:`exact_points`, :func:`exact_vector`, :func:`exact_yaw_rotation`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product

import numpy as np
import numpy.typing as npt

__all__ = [
    "IDENTITY",
    "Pose",
    "Quat",
    "Vec3",
    "apply",
    "apply_point",
    "compose",
    "exact_points",
    "exact_vector",
    "exact_yaw_rotation",
    "frame_pose",
    "from_heading",
    "heading_xyzw",
    "into",
    "inverse",
    "points_to_child",
    "points_to_parent",
    "qconj",
    "qmul",
    "relative",
    "rotate",
    "rotate_into",
    "rotation_matrix",
    "sensor_to_frame",
    "tilt_of",
    "yaw_of",
    "yaw_quaternion",
]

Quat = tuple[float, float, float, float]
"""``(w, x, y, z)``, the tables' order."""
Vec3 = tuple[float, float, float]
F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Pose:
    """A child frame in its parent: ``p_parent = R(rotation) · p_child + translation``."""

    rotation: Quat
    translation: Vec3

    @property
    def is_identity(self) -> bool:
        return self.rotation == (1.0, 0.0, 0.0, 0.0) and self.translation == (0.0, 0.0, 0.0)


IDENTITY = Pose((1.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0))


def qmul(a: Quat, b: Quat) -> Quat:
    """The Hamilton product ``a ⊗ b`` (rotate by ``b``, then by ``a``)."""
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return (
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    )


def rotate(pose: Pose, q: Quat) -> Quat:
    """The rotation ``q`` (of a child frame) seen in ``pose``'s parent: ``pose.rotation ⊗ q``."""
    return q if pose.is_identity else qmul(pose.rotation, q)


def qconj(q: Quat) -> Quat:
    """The conjugate: the inverse rotation of a unit quaternion."""
    return (q[0], -q[1], -q[2], -q[3])


def rotation_matrix(q: Quat) -> tuple[Vec3, Vec3, Vec3]:
    """The rows of ``R(q / |q|)``; raises ValueError for the zero or a non-finite quaternion."""
    norm = math.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    if not math.isfinite(norm) or norm == 0.0:
        raise ValueError(f"{list(q)} is not a rotation quaternion")
    w, x, y, z = (v / norm for v in q)
    return (
        (1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
        (2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
        (2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)),
    )


def apply_point(pose: Pose, v: Vec3) -> Vec3:
    """``R · v + t`` for one point."""
    if pose.is_identity:
        return v
    r = rotation_matrix(pose.rotation)
    t = pose.translation
    return (
        r[0][0] * v[0] + r[0][1] * v[1] + r[0][2] * v[2] + t[0],
        r[1][0] * v[0] + r[1][1] * v[1] + r[1][2] * v[2] + t[1],
        r[2][0] * v[0] + r[2][1] * v[1] + r[2][2] * v[2] + t[2],
    )


def apply(pose: Pose, points: F64) -> F64:
    """``R · p + t`` for each row of an ``(N, 3)`` float64 array (element by element)."""
    if pose.is_identity:
        return points
    r = rotation_matrix(pose.rotation)
    t = pose.translation
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    out = np.empty_like(points)
    for k in range(3):
        out[:, k] = r[k][0] * x + r[k][1] * y + r[k][2] * z + t[k]
    return out


def compose(parent: Pose, child: Pose) -> Pose:
    """The child's child in the parent's parent: ``parent ∘ child``."""
    if parent.is_identity:
        return child
    if child.is_identity:
        return parent
    return Pose(qmul(parent.rotation, child.rotation), apply_point(parent, child.translation))


def inverse(pose: Pose) -> Pose:
    """The parent in the child: ``(conj(q), -Rᵀ · t)``."""
    if pose.is_identity:
        return pose
    r = rotation_matrix(pose.rotation)
    t = pose.translation
    back = tuple(-(r[0][k] * t[0] + r[1][k] * t[1] + r[2][k] * t[2]) for k in range(3))
    return Pose(qconj(pose.rotation), (back[0], back[1], back[2]))


def yaw_of(q: Quat) -> float:
    """The devkit's ``quaternion_yaw``: ``atan2(2(wz + xy), w² + x² - y² - z²)``."""
    w, x, y, z = q
    return math.atan2(2.0 * (w * z + x * y), w * w + x * x - y * y - z * z)


def tilt_of(q: Quat) -> float:
    """The angle (radians, ``0..π``) between the rotated z axis and the parent's z axis."""
    r = rotation_matrix(q)
    return math.atan2(math.hypot(r[0][2], r[1][2]), r[2][2])


def yaw_quaternion(yaw: float) -> Quat:
    """The rotation by ``yaw`` about +z: ``(cos(yaw/2), 0, 0, sin(yaw/2))``."""
    return (math.cos(yaw / 2.0), 0.0, 0.0, math.sin(yaw / 2.0))


def heading_xyzw(q: Quat) -> tuple[float, float, float, float]:
    """``(x, y, z, w)`` of ``q``, sign chosen so that ``w >= 0`` (the same rotation)."""
    w, x, y, z = q
    if w < 0 or (w == 0 and (x, y, z) < (0.0, 0.0, 0.0)):
        return (-x, -y, -z, -w)
    return (x, y, z, w)


def from_heading(h: tuple[float, float, float, float]) -> Quat:
    """``(w, x, y, z)`` of an ``(x, y, z, w)`` heading."""
    return (h[3], h[0], h[1], h[2])


# --------------------------------------------------------------------------- the model's frame


def relative(base: Pose, pose: Pose) -> Pose:
    """``pose`` (a frame in the parent) seen from ``base`` (another frame in the same parent):
    ``(conj(q_base) ⊗ q, R_baseᵀ · (t - t_base))``, the translations subtracted first so that
    two nearby frames far from the origin keep their precision."""
    if base.is_identity:
        return pose
    return Pose(qmul(qconj(base.rotation), pose.rotation), into(base, pose.translation))


def into(base: Pose, v: Vec3) -> Vec3:
    """A parent-frame point ``v`` in the frame ``base``: ``R_baseᵀ · (v - t_base)``."""
    if base.is_identity:
        return v
    r = rotation_matrix(base.rotation)
    d = (v[0] - base.translation[0], v[1] - base.translation[1], v[2] - base.translation[2])
    return (
        r[0][0] * d[0] + r[1][0] * d[1] + r[2][0] * d[2],
        r[0][1] * d[0] + r[1][1] * d[1] + r[2][1] * d[2],
        r[0][2] * d[0] + r[1][2] * d[1] + r[2][2] * d[2],
    )


def rotate_into(base: Pose, q: Quat) -> Quat:
    """A parent-frame rotation ``q`` seen from the frame ``base``: ``conj(q_base) ⊗ q``."""
    return q if base.is_identity else qmul(qconj(base.rotation), q)


def frame_pose(frame: str, ref_ego: Pose, ref_calib: Pose) -> Pose:
    """The model's ``frame`` (``world``, ``ego`` or ``sensor``) in the global frame, for a sample
    whose reference LiDAR has ego pose ``ref_ego`` and calibration ``ref_calib``."""
    if frame == "ego":
        return ref_ego
    if frame == "sensor":
        return compose(ref_ego, ref_calib)
    return IDENTITY


def sensor_to_frame(frame: str, ref_ego: Pose, ref_calib: Pose, ego: Pose, calib: Pose) -> Pose:
    """A sensor (ego pose ``ego``, calibration ``calib``) in the model's ``frame``.

    Poses that cancel are left out rather than composed with their inverse, so that the
    reference LiDAR's own points stay exactly as in the file (``sensor``) or go through its
    calibration only (``ego``).
    """
    if frame == "world":
        return compose(ego, calib)
    if frame == "ego":
        return calib if ego == ref_ego else relative(ref_ego, compose(ego, calib))
    if ego == ref_ego:
        return IDENTITY if calib == ref_calib else relative(ref_calib, calib)
    return relative(compose(ref_ego, ref_calib), compose(ego, calib))


# --------------------------------------------------------------------------- exact inverses


def _steps(value: float, k: int) -> float:
    for _ in range(abs(k)):
        value = math.nextafter(value, math.inf if k > 0 else -math.inf)
    return value


def exact_vector(target: Vec3, forward: Callable[[Vec3], Vec3], start: Vec3) -> tuple[Vec3, bool]:
    """A float64 ``v`` near ``start`` with ``forward(v) == target`` exactly (searched up to two
    floats away in each coordinate), and whether one was found (else ``start``)."""
    if forward(start) == target:
        return start, True
    for radius in (1, 2):
        for dx, dy, dz in product(range(-radius, radius + 1), repeat=3):
            if max(abs(dx), abs(dy), abs(dz)) != radius:
                continue
            v = (_steps(start[0], dx), _steps(start[1], dy), _steps(start[2], dz))
            if forward(v) == target:
                return v, True
    return start, False


def exact_yaw_rotation(
    target: float, forward: Callable[[Quat], float], start: float
) -> tuple[Quat, bool]:
    """A yaw-only quaternion ``(w, 0, 0, z)`` near the rotation by ``start`` whose
    ``forward(q) == target`` exactly (``w`` and ``z`` searched up to three floats away), and
    whether one was found (else the rotation by ``start``)."""
    w0, _, _, z0 = yaw_quaternion(start)
    first = (w0, 0.0, 0.0, z0)
    if forward(first) == target:
        return first, True
    for radius in (1, 2, 3):
        for dw, dz in product(range(-radius, radius + 1), repeat=2):
            if max(abs(dw), abs(dz)) != radius:
                continue
            q = (_steps(w0, dw), 0.0, 0.0, _steps(z0, dz))
            if forward(q) == target:
                return q, True
    return first, False


def _to32(points: F64) -> F32:
    out: F32 = points.astype(np.float32)
    return out


def _shift(values: F32, k: int) -> F32:
    """Each float32 moved ``k`` representable values up (``k < 0``: down)."""
    if k == 0:
        return values
    bits = values.view(np.int32).astype(np.int64)
    moved = np.where(bits >= 0, bits + k, bits - k)
    out: F32 = np.clip(moved, -(2**31), 2**31 - 1).astype(np.int32).view(np.float32)
    return out


_OFFSETS = sorted(product(range(-6, 7), repeat=2), key=lambda o: (abs(o[0]) + abs(o[1]), o))
"""Offsets (in float steps) of the two free coordinates, nearest first."""


def _solve(
    found: F32,
    rows: npt.NDArray[np.intp],
    target: F32,
    pose: Pose,
    w: int,
    k: int,
    forward: Callable[[F32], F32],
) -> npt.NDArray[np.intp]:
    """For ``rows`` of ``found`` that miss, search points whose parent coordinate ``w`` is hit:
    the other two child coordinates are stepped over :data:`_OFFSETS` while child coordinate
    ``k`` is solved for; found points are stored in place, the rows still missing returned."""
    r = np.asarray(rotation_matrix(pose.rotation), dtype=np.float64)
    t = pose.translation
    m1, m2 = (m for m in range(3) if m != k)
    left, base = rows, found[rows]
    for a, b in _OFFSETS:
        if left.size == 0:
            break
        trial = base.copy()
        trial[:, m1] = _shift(trial[:, m1], a)
        trial[:, m2] = _shift(trial[:, m2], b)
        t64 = trial.astype(np.float64)
        need = (target[left, w] - t[w] - r[w, m1] * t64[:, m1] - r[w, m2] * t64[:, m2]) / r[w, k]
        solved = need.astype(np.float32)
        hit = np.zeros(left.size, dtype=bool)
        for step in (0, 1, -1):
            trial[:, k] = _shift(solved, step)
            ok = (forward(trial) == target[left]).all(axis=1) & ~hit
            found[left[ok]] = trial[ok]
            hit |= ok
        left, base = left[~hit], base[~hit]
    return left


def exact_points(
    target: F32, pose: Pose, forward: Callable[[F32], F32] | None = None
) -> tuple[F32, npt.NDArray[np.intp]]:
    """Float32 child-frame points ``s`` with ``float32(apply(pose, s)) == target``, row by row,
    and the rows for which none was found (they keep the approximate inverse).

    The approximate inverse ``float32(apply(inverse(pose), target))`` is exact for most rows;
    a row misses when a parent coordinate is much smaller than the child coordinates feeding
    it (ground points near z = 0 of a world frame far from the origin): then, coordinate by
    coordinate, the search of :func:`_solve` looks for a float32 point that lands on it.
    """
    if pose.is_identity:
        return target.copy(), np.zeros(0, dtype=np.intp)
    if forward is None:
        forward = lambda s: _to32(apply(pose, s.astype(np.float64)))  # noqa: E731
    found = _to32(apply(inverse(pose), target.astype(np.float64)))

    def missing() -> npt.NDArray[np.intp]:
        return np.flatnonzero((forward(found) != target).any(axis=1))

    pending = missing()
    r = np.abs(np.asarray(rotation_matrix(pose.rotation), dtype=np.float64))
    for w in (2, 0, 1):
        order = np.argsort(-r[w], kind="stable")
        for lever in (order[0], order[1], None):
            if pending.size == 0:
                return found, pending
            if lever is None:  # per row: the coordinate that moves parent ``w`` most finely
                fine = r[w][None, :] * np.spacing(np.abs(found[pending])).astype(np.float64)
                fine[:, r[w] < 1e-3] = np.inf
                levers = np.argmin(fine, axis=1)
            else:
                levers = np.full(pending.size, lever)
            for k in range(3):
                if (levers == k).any():
                    _solve(found, pending[levers == k], target, pose, w, k, forward)
            pending = missing()
    return found, pending


def points_to_parent(pose: Pose, points: F32) -> F32:
    """Float32 points of the child frame in the parent: ``float32(float32(R · p) + float32(t))``.

    The rotation is rounded to float32 before the translation is added (in float32 terms),
    which keeps the result within a float32 step of ``R · p + t`` and makes it invertible
    coordinate by coordinate where the exact transform is not (a world coordinate near 0 fed
    by a large translation): see :func:`points_to_child`."""
    if pose.is_identity:
        return points.copy()
    turned = (
        points
        if pose.rotation == IDENTITY.rotation
        else _to32(apply(Pose(pose.rotation, (0.0, 0.0, 0.0)), points.astype(np.float64)))
    )
    if pose.translation == (0.0, 0.0, 0.0):
        return turned.copy()
    shift = np.asarray(pose.translation, dtype=np.float32).astype(np.float64)
    return _to32(turned.astype(np.float64) + shift)


def points_to_child(pose: Pose, target: F32) -> tuple[F32, npt.NDArray[np.intp]]:
    """Float32 child points ``s`` with ``points_to_parent(pose, s) == target`` row by row, and
    the rows for which none was found (they keep the approximate inverse)."""
    return exact_points(target, pose, lambda s: points_to_parent(pose, s))
