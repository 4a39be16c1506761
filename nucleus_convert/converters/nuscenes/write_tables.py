"""The nuScenes tables the writer builds: tokens, poses from metadata, boxes, cameras, links.

Pure helpers for :mod:`.write`: nothing here touches the destination except
:meth:`Tables.dump`. Every record is built so that reading it back gives the model's numbers
exactly where floating point allows (see :mod:`.poses`); what it cannot is returned for the
writer to count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from nucleus_convert.converters.nuscenes.carries import NO_PLACE
from nucleus_convert.converters.nuscenes.poses import (
    IDENTITY,
    Pose,
    Quat,
    Vec3,
    apply_point,
    compose,
    exact_vector,
    exact_yaw_rotation,
    frame_pose,
    from_heading,
    heading_xyzw,
    into,
    relative,
    rotate,
    rotate_into,
    sensor_to_frame,
    yaw_of,
    yaw_quaternion,
)
from nucleus_convert.converters.nuscenes.schema import derived_token, is_token
from nucleus_convert.loss import LossReport
from nucleus_convert.model import CameraParams, Cuboid

__all__ = [
    "MADE_UP",
    "BoxRecord",
    "Rig",
    "TokenTable",
    "box_record",
    "camera_calibration",
    "diff_fields",
    "intrinsic_matrix",
    "link",
    "meta_pose",
    "points_in_box",
    "same_camera",
]


MADE_UP = "the tables need it: made up (derived token, identity pose, 2 Hz timestamps, counts)"
_REPLACED = "replaced: the value is malformed, or its token is taken by other content"


def diff_fields(
    report: LossReport,
    kind: str,
    prefix: str,
    source: Mapping[str, Any],
    predicted: Mapping[str, Any],
    where: str,
) -> None:
    """Count every key of ``source`` that reads back otherwise: absent (dropped), added (made
    up) or changed (replaced), under ``(kind, "<prefix>.<key>")``."""
    for key in sorted(set(source) | set(predicted)):
        name = f"{prefix}.{key}"
        if key not in predicted:
            report.dropped(kind, name, reason=NO_PLACE, example=where)
        elif key not in source:
            report.approximated(kind, name, reason=MADE_UP, example=where)
        elif source[key] != predicted[key]:
            report.approximated(kind, name, reason=_REPLACED, example=where)


class TokenTable:
    """One table's records by token, in insertion order.

    :meth:`add` keeps the preferred token (the source's) when it is a token the table has not
    given to other content, else derives one from a stable id (:func:`.schema.derived_token`);
    with ``merge`` a record equal to one already there shares its token (calibrations, ego
    poses, sensors), without it every call makes a record of its own.
    """

    def __init__(self, name: str, *, merge: bool = False) -> None:
        self.name = name
        self.merge = merge
        self.records: dict[str, dict[str, Any]] = {}

    def _fits(self, token: str, record: Mapping[str, Any]) -> bool:
        there = self.records.get(token)
        if there is None:
            return True
        return self.merge and {k: v for k, v in there.items() if k != "token"} == dict(record)

    def add(self, preferred: Any, record: Mapping[str, Any], stable: str) -> str:
        token = preferred if is_token(preferred) and self._fits(preferred, record) else ""
        n = 0
        while not token:
            candidate = derived_token(self.name, stable if n == 0 else f"{stable}#{n}")
            token = candidate if self._fits(candidate, record) else ""
            n += 1
        self.records.setdefault(token, {"token": token, **record})
        return token

    def rows(self) -> list[dict[str, Any]]:
        return list(self.records.values())

    def dump(self, folder: Path) -> None:
        (folder / f"{self.name}.json").write_bytes(
            orjson.dumps(self.rows(), option=orjson.OPT_INDENT_2) + b"\n"
        )


def _numbers(value: Any, n: int) -> list[float] | None:
    if not isinstance(value, list) or len(value) != n:
        return None
    ok = all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    )
    return [float(v) for v in value] if ok else None


def meta_pose(value: Any) -> tuple[Pose, dict[str, Any]] | None:
    """The pose of an ``ego_pose`` or ``calibrated_sensor`` record kept in item metadata, and
    the record, or None when it is not one (then it is made up and counted)."""
    if not isinstance(value, dict):
        return None
    rotation, translation = (
        _numbers(value.get("rotation"), 4),
        _numbers(value.get("translation"), 3),
    )
    if rotation is None or translation is None or not any(rotation):
        return None
    q: Quat = (rotation[0], rotation[1], rotation[2], rotation[3])
    t: Vec3 = (translation[0], translation[1], translation[2])
    return Pose(q, t), value


@dataclass(slots=True)
class Rig:
    """A frame's reference LiDAR poses and the model's frame they define."""

    frame: str
    ego: Pose = IDENTITY
    calib: Pose = IDENTITY

    def sensor(self, ego: Pose, calib: Pose) -> Pose:
        """A sensor in the model's frame (the reader's :func:`.poses.sensor_to_frame`)."""
        return sensor_to_frame(self.frame, self.ego, self.calib, ego, calib)

    @property
    def pose(self) -> Pose:
        """The model's frame in the global frame."""
        return frame_pose(self.frame, self.ego, self.calib)


# --------------------------------------------------------------------------- cameras


def same_camera(cam: CameraParams, placed: Pose) -> bool:
    """The camera reads back as ``cam`` when its sensor is at ``placed`` in the frame."""
    return placed.translation == tuple(cam.position) and heading_xyzw(placed.rotation) == tuple(
        cam.heading
    )


def camera_calibration(rig: Rig, ego: Pose, cam: CameraParams) -> tuple[Pose, bool]:
    """The calibration (camera in ego) that places ``cam`` where the model has it, and whether
    it reads back exactly (the inverse of :meth:`Rig.sensor`)."""
    placed = Pose(from_heading(cam.heading), cam.position)
    if rig.frame == "world":
        calib = relative(ego, placed)
    elif rig.frame == "ego":
        calib = placed if ego == rig.ego else relative(ego, compose(rig.ego, placed))
    elif ego == rig.ego:
        calib = compose(rig.calib, placed)
    else:
        calib = relative(ego, compose(compose(rig.ego, rig.calib), placed))
    return calib, same_camera(cam, rig.sensor(ego, calib))


def intrinsic_matrix(cam: CameraParams, kept: Any) -> list[list[float]]:
    """``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]``, or the source's own matrix when its pinhole
    numbers are still the camera's (it may hold a skew the model drops)."""
    rows = kept if isinstance(kept, list) and len(kept) == 3 else None
    pinhole = (cam.fx, cam.fy, cam.cx, cam.cy)
    if (
        rows is not None
        and all(_numbers(r, 3) is not None for r in rows)
        and (rows[0][0], rows[1][1], rows[0][2], rows[1][2]) == pinhole
    ):
        return [list(r) for r in rows]
    return [[cam.fx, 0.0, cam.cx], [0.0, cam.fy, cam.cy], [0.0, 0.0, 1.0]]


# --------------------------------------------------------------------------- boxes


@dataclass(slots=True)
class BoxRecord:
    """A cuboid as ``sample_annotation`` numbers, and what did not read back exactly."""

    translation: list[float]
    size: list[float]
    rotation: list[float]
    inexact: list[str] = field(default_factory=list)


def box_record(cuboid: Cuboid, rig: Rig) -> BoxRecord:
    """The global box of a cuboid in the model's frame: translation, ``size`` (w, l, h) and an
    upright (yaw-only) rotation, each searched so that it reads back to the model's numbers."""
    frame = rig.pose
    position = (float(cuboid.position[0]), float(cuboid.position[1]), float(cuboid.position[2]))
    inexact: list[str] = []
    translation, exact = exact_vector(
        position, lambda v: into(frame, v), apply_point(frame, position)
    )
    if not exact:
        inexact.append("position")
    target = math.remainder(float(cuboid.yaw), math.tau)

    def seen(q: Quat) -> float:
        return yaw_of(rotate_into(frame, q))

    start = yaw_of(rotate(frame, yaw_quaternion(target)))
    for _ in range(4):  # Newton on the world yaw: the frame's tilt bends yaw a little
        start += math.remainder(target - seen(yaw_quaternion(start)), math.tau)
    rotation, exact = exact_yaw_rotation(target, seen, start)
    if not exact:
        inexact.append("yaw")
    length, width, height = (float(v) for v in cuboid.dimensions)
    if min(length, width, height) < 0:
        inexact.append("dimensions")
    size = [abs(width), abs(length), abs(height)]
    return BoxRecord(list(translation), size, list(rotation), inexact)


def points_in_box(points: npt.NDArray[np.float32] | None, cuboid: Cuboid) -> int:
    """How many points (same frame as the cuboid) lie inside it, faces included."""
    if points is None or points.size == 0:
        return 0
    rel = points[:, :3].astype(np.float64) - np.asarray(cuboid.position, dtype=np.float64)
    c, s = math.cos(cuboid.yaw), math.sin(cuboid.yaw)
    along = rel[:, 0] * c + rel[:, 1] * s
    across = -rel[:, 0] * s + rel[:, 1] * c
    half = np.abs(np.asarray(cuboid.dimensions, dtype=np.float64)) / 2.0
    inside = (
        (np.abs(along) <= half[0]) & (np.abs(across) <= half[1]) & (np.abs(rel[:, 2]) <= half[2])
    )
    return int(inside.sum())


# --------------------------------------------------------------------------- links


def link(records: list[dict[str, Any]]) -> None:
    """Set ``prev``/``next`` of records already in order (``""`` at the ends)."""
    for n, rec in enumerate(records):
        rec["prev"] = records[n - 1]["token"] if n > 0 else ""
        rec["next"] = records[n + 1]["token"] if n + 1 < len(records) else ""
