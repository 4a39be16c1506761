"""A KITTI raw drive's cuboids as devkit tracklets (see :mod:`nucleus_convert.converters.
kitti_raw`, *Writing*).

Each track becomes one tracklet with consecutive poses; a track with a gap, two cuboids in one
frame or a label change is split into several tracklets (``cuboid.track_id`` approximated). A
tracklet has one size, its first pose's (``cuboid.dimensions`` approximated); a cuboid without
a track is a one-pose tracklet. Pose fields no attribute gives take :data:`POSE_DEFAULTS`;
``tz``/``rz`` attributes are taken back while they still agree with the cuboid, signed sizes
``h``/``w``/``l`` while their absolute value equals it. Other attributes are counted as
``cuboid.attributes`` dropped, or written as CVAT blocks with ``attributes=cvat``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any, TypeGuard

from nucleus_convert.converters.kitti_raw.schema import annotation_id, track_id
from nucleus_convert.converters.kitti_raw.tracklets import (
    FLOAT_FIELDS,
    INT_FIELDS,
    POSE_FIELDS,
    Pose,
    Tracklet,
    format_float,
)
from nucleus_convert.geometry.kitti import wrap_angle
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Cuboid

__all__ = ["POSE_DEFAULTS", "TrackletBuilder"]

POSE_DEFAULTS: dict[str, float | int] = {
    "rx": 0.0,
    "ry": 0.0,
    "state": 2,
    "occlusion": -1,
    "occlusion_kf": 0,
    "truncation": -1,
    "amt_occlusion": -1.0,
    "amt_occlusion_kf": -1,
    "amt_border_l": -1.0,
    "amt_border_r": -1.0,
    "amt_border_kf": -1,
}
"""Pose fields a cuboid's attributes do not give: labelled (state 2), occlusion and truncation
unset (-1), no Mechanical Turk labels (-1), no roll or pitch."""

_TRACK_FIELDS = ("finished", "h", "w", "l")

Member = tuple[int, Cuboid]
"""(frame index in the drive, cuboid)"""


def _number(value: Any) -> TypeGuard[int | float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _attribute_text(value: Any) -> str | None:
    """A scalar attribute as CVAT writes it, or None for what a CVAT attribute cannot hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return value
    return None


def _segments(
    cuboids: list[tuple[int, Cuboid, str]], scene_ref: str
) -> list[tuple[Hashable, list[Member]]]:
    """The drive's cuboids grouped by track (tracks named ``<scene>/<k>`` first, by ``k``;
    then the others by first frame), each split where frames stop being consecutive or the
    label changes."""
    tracks: dict[Hashable, list[Member]] = {}
    for n, (index, cuboid, _) in enumerate(cuboids):
        track: Hashable = cuboid.track_id if cuboid.track_id is not None else ("untracked", n)
        tracks.setdefault(track, []).append((index, cuboid))
    prefix = f"{scene_ref}/"

    def order(key: Hashable) -> tuple[int, int, int]:
        first = min(i for i, _ in tracks[key])
        if isinstance(key, str) and key.startswith(prefix) and key[len(prefix) :].isdigit():
            return (0, int(key[len(prefix) :]), first)
        return (1, first, 0)

    segments: list[tuple[Hashable, list[Member]]] = []
    for key in sorted(tracks, key=order):
        current: list[Member] = []
        for index, cuboid in sorted(tracks[key], key=lambda m: m[0]):
            if current and (index != current[-1][0] + 1 or cuboid.label != current[0][1].label):
                segments.append((key, current))
                current = []
            current.append((index, cuboid))
        if current:
            segments.append((key, current))
    return segments


class TrackletBuilder:
    """Builds a drive's tracklets from its cuboids, counting what they cannot hold."""

    def __init__(self, report: LossReport, *, cvat: bool) -> None:
        self.report = report
        self.cvat = cvat
        self.used_labels: set[str] = set()

    def tracklets(
        self, cuboids: list[tuple[int, Cuboid, str]], scene_ref: str, drive: str, start: int
    ) -> list[Tracklet]:
        """The tracklets of a drive named ``drive`` (written from scene ``scene_ref``) whose
        first frame number is ``start``; ``cuboids`` are ``(frame index, cuboid, item ref)``."""
        segments = _segments(cuboids, scene_ref)
        split_keys = [key for key, _ in segments]
        out: list[Tracklet] = []
        for k, (key, members) in enumerate(segments):
            new_track = track_id(drive, k)
            if split_keys.count(key) > 1:
                self.report.approximated(
                    "cuboid",
                    "track_id",
                    n=len(members),
                    reason="a track with a gap, a repeated frame or a label change is split "
                    "into several tracklets",
                    example=str(key),
                )
            elif isinstance(key, str) and key != new_track:
                self.report.approximated(
                    "cuboid",
                    "track_id",
                    n=len(members),
                    reason="a tracklet's track id is its drive and index",
                    example=key,
                )
            out.append(self._tracklet(members, new_track, start))
        return out

    def _sizes(self, first: Cuboid) -> tuple[float, float, float]:
        """``(l, w, h)``: the first pose's sizes, signed where its ``l``/``w``/``h``
        attributes say so and still agree."""
        signed = []
        for name, value in zip(("l", "w", "h"), first.dimensions, strict=True):
            hint = first.attributes.get(name)
            value = float(value)
            signed.append(float(hint) if _number(hint) and abs(float(hint)) == value else value)
        return signed[0], signed[1], signed[2]

    def _finished(self, first: Cuboid, track: str) -> int:
        finished = first.attributes.get("finished", 1)
        if isinstance(finished, int) and not isinstance(finished, bool):
            return finished
        self.report.dropped(
            "cuboid", "attributes", reason="finished is not an integer", example=track
        )
        return 1

    def _tracklet(self, members: list[Member], track: str, start: int) -> Tracklet:
        first = members[0][1]
        size = tuple(float(v) for v in first.dimensions)
        length, width, height = self._sizes(first)
        finished = self._finished(first, track)
        self.used_labels.add(first.label)
        poses = []
        for index, cuboid in members:
            where = f"cuboid {cuboid.id or ''} in frame {start + index}".replace("  ", " ")
            self._member_notes(cuboid, size, finished, annotation_id(track, start + index), where)
            poses.append(self._pose(cuboid, height, where))
        return Tracklet(
            object_type=first.label,
            h=height,
            w=width,
            l=length,
            first_frame=start + members[0][0],
            poses=poses,
            finished=finished,
        )

    def _member_notes(
        self, cuboid: Cuboid, size: tuple[float, ...], finished: int, expected_id: str, where: str
    ) -> None:
        """Count what a pose changes of its cuboid: size, ``finished``, id."""
        if tuple(float(v) for v in cuboid.dimensions) != size:
            self.report.approximated(
                "cuboid",
                "dimensions",
                reason="a tracklet has one size: its first pose's",
                example=where,
            )
        if cuboid.attributes.get("finished", finished) != finished:
            self.report.approximated(
                "cuboid",
                "attributes",
                reason="finished is one value per tracklet: its first pose's",
                example=where,
            )
        if cuboid.id is not None and cuboid.id != expected_id:
            self.report.approximated(
                "cuboid",
                "id",
                reason="a tracklet pose's id is its track and frame",
                example=cuboid.id,
            )

    # -- one pose

    def _pose(self, cuboid: Cuboid, height: float, where: str) -> Pose:
        attrs = dict(cuboid.attributes)
        values = self._placement(cuboid, height, attrs)
        for name in POSE_FIELDS:
            if name not in values:
                values[name] = self._pose_field(name, attrs.pop(name, None), where)
        for name in _TRACK_FIELDS:
            attrs.pop(name, None)
        return Pose(values, self._free_attributes(attrs, where))

    @staticmethod
    def _placement(cuboid: Cuboid, height: float, attrs: dict[str, Any]) -> dict[str, float | int]:
        """``tx, ty, tz, rz`` (bottom-face centre and yaw); the ``tz``/``rz`` attributes are
        taken (and removed from ``attrs``) while they agree with the cuboid."""
        x, y, z = (float(v) for v in cuboid.position)
        tz_hint, rz_hint = attrs.pop("tz", None), attrs.pop("rz", None)
        tz = z - height / 2.0
        if _number(tz_hint) and float(tz_hint) + height / 2.0 == z:
            tz = float(tz_hint)
        rz = float(cuboid.yaw)
        if _number(rz_hint) and wrap_angle(float(rz_hint)) == wrap_angle(rz):
            rz = float(rz_hint)
        return {"tx": x, "ty": y, "tz": tz, "rz": rz}

    def _pose_field(self, name: str, value: Any, where: str) -> float | int:
        """The attribute ``value`` of pose field ``name`` in its type, or the default (a value
        of the wrong type is counted as dropped)."""
        if name in INT_FIELDS and isinstance(value, bool):
            value = int(value)
        ok = _number(value) and (name in FLOAT_FIELDS or isinstance(value, int))
        if value is not None and not ok:
            self.report.dropped(
                "cuboid",
                "attributes",
                reason=f"{name} must be {'a number' if name in FLOAT_FIELDS else 'an integer'}",
                example=f"{where}: {name}={value!r}",
            )
        if not ok or value is None:
            return POSE_DEFAULTS[name]
        return float(value) if name in FLOAT_FIELDS else int(value)

    def _free_attributes(self, attrs: dict[str, Any], where: str) -> dict[str, str]:
        """The other attributes as CVAT texts (``attributes=cvat``), else counted as dropped."""
        extra: dict[str, str] = {}
        for name, value in attrs.items():
            text = _attribute_text(value)
            if not self.cvat or text is None:
                self.report.dropped(
                    "cuboid",
                    "attributes",
                    reason="the devkit's tracklets have no free attributes (write them with "
                    "attributes=cvat)"
                    if not self.cvat
                    else "a CVAT attribute is a scalar",
                    example=f"{where}: {name}",
                )
                continue
            extra[name] = text
        return extra
