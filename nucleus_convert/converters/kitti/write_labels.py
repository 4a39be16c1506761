"""A KITTI frame's label lines from its boxes and cuboids (see :mod:`.write`, *Label lines*).

A box and a cuboid with the same annotation id, label and prediction flag make one line; a box
alone is a 2D-only line; a cuboid alone gets the 2D box of its projected corners (clipped to
the image when its size is known), its truncation and its alpha. What a line cannot hold is
counted through the frame writer's :class:`~nucleus_convert.toolkit.losses.FieldLedger`: the
fields of :data:`~.carries.CARRIES`, attribute by attribute (``attributes.<key>``), and an id
that the reader will not give back (``<frame>:<line>``) as ``id`` approximated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nucleus_convert.converters.kitti.carries import HANDLED_ANNOTATION
from nucleus_convert.converters.kitti.labels import DONTCARE, format_label
from nucleus_convert.converters.kitti.write_calib import MAX_AXES_DEVIATION, kitti_axes_deviation
from nucleus_convert.errors import OutputError
from nucleus_convert.geometry.kitti import (
    Calibration,
    alpha_from,
    cuboid_corners,
    cuboid_to_kitti,
    project_to_image,
)
from nucleus_convert.model import Annotation, Box, Cuboid
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.losses import FieldLedger

__all__ = ["FrameLabels", "LabelWriter"]

_KNOWN_ATTRIBUTES = frozenset({"truncated", "occluded", "alpha", "dontcare"})
_ANGLE_LIMIT = math.pi + 0.005


@dataclass(slots=True)
class FrameLabels:
    """What one frame's lines are made of.

    ``frame_id`` is the id the KITTI reader gives the frame back (``subset/stem``), ``size``
    the image's ``(width, height)`` when known, ``where`` the frame for messages.
    """

    frame_id: str
    where: str
    boxes: list[Box] = field(default_factory=list)
    cuboids: list[Cuboid] = field(default_factory=list)
    calib: Calibration | None = None
    size: tuple[int, int] | None = None


def _valid_truncated(value: Any) -> bool:
    return type(value) in (int, float) and 0.0 <= float(value) <= 1.0


def _valid_occluded(value: Any) -> bool:
    return type(value) is int and value in (0, 1, 2, 3)


def _valid_alpha(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value) and abs(value) <= _ANGLE_LIMIT


_CHECKS = (("truncated", _valid_truncated), ("occluded", _valid_occluded), ("alpha", _valid_alpha))


class LabelWriter:
    """Turns a frame's boxes and cuboids into label lines, counting what they lose."""

    def __init__(self, ledger: FieldLedger, summary: WriteSummary) -> None:
        self.ledger = ledger
        self.report = ledger.report
        self.summary = summary
        self.used_labels: set[str] = set()
        """Every KITTI type written (the header keeps only these)."""

    def lines(self, frame: FrameLabels) -> list[str]:
        """The frame's label lines, boxes (with their cuboids) first, then lone cuboids."""
        usable = self._usable_cuboids(frame)
        by_id: dict[tuple[str, str, bool], Cuboid] = {}
        for c in usable:
            if c.id is not None:
                by_id.setdefault((c.id, c.label, c.prediction), c)
        lines: list[str] = []
        used: set[int] = set()
        for b in frame.boxes:
            pair = by_id.get((b.id, b.label, b.prediction)) if b.id is not None else None
            if pair is not None and id(pair) in used:
                pair = None
            line, paired = self._box_line(b, pair, frame, len(lines) + 1)
            if paired:
                used.add(id(pair))
            lines.append(line)
        for c in usable:
            if id(c) in used:
                continue
            projected = self._projected(c, frame, len(lines) + 1)
            if projected is not None:
                lines.append(projected)
        return lines

    # -- which cuboids can be placed

    def _usable_cuboids(self, frame: FrameLabels) -> list[Cuboid]:
        cuboids = frame.cuboids
        if not cuboids:
            return []
        if frame.calib is None:
            reason = "no calibration or camera parameters to place it"
        elif kitti_axes_deviation(frame.calib) > MAX_AXES_DEVIATION:
            reason = "the camera is turned away from KITTI's axes: rotation_y is undefined"
        else:
            return cuboids
        self.report.dropped("cuboid", n=len(cuboids), reason=reason, example=frame.where)
        return []

    # -- one line

    def _count(self, ann: Annotation, frame: FrameLabels, line: int) -> None:
        """Count the fields of a written annotation its line cannot hold."""
        self.ledger.fields(ann, frame.where, handled=HANDLED_ANNOTATION)
        if ann.id is not None and ann.id != f"{frame.frame_id}:{line}":
            self.report.approximated(
                ann.kind,
                "id",
                reason="a KITTI label's id is its frame and line number",
                example=ann.id,
            )

    def _box_line(
        self, b: Box, pair: Cuboid | None, frame: FrameLabels, line: int
    ) -> tuple[str, bool]:
        """The box's line, with ``pair``'s 3D box unless the box is a DontCare region; and
        whether ``pair`` went into it."""
        self._count(b, frame, line)
        truncated, occluded, alpha = self._attrs(b)
        is_dontcare = b.label == DONTCARE or b.attributes.get("dontcare") is True
        fields: dict[str, Any] = {
            "type": DONTCARE if is_dontcare else self._type(b.label, "box"),
            "truncated": truncated,
            "occluded": occluded,
            "alpha": alpha,
            "box": (b.x, b.y, b.x + b.width, b.y + b.height),
            "score": b.score,
        }
        paired = pair is not None and not is_dontcare
        if pair is not None and paired:
            assert frame.calib is not None
            self._count(pair, frame, line)
            self._attrs(pair)
            fields.update(self._three_d(pair, frame.calib))
        return self._line(fields, frame.where), paired

    def _projected(self, c: Cuboid, frame: FrameLabels, line: int) -> str | None:
        assert frame.calib is not None
        uv = project_to_image(cuboid_corners(c.position, c.dimensions, c.yaw), frame.calib, 2)
        if not np.isfinite(uv).all():
            self.report.dropped(
                "cuboid",
                reason="a corner is behind the camera: not in the view KITTI labels",
                example=frame.where,
            )
            return None
        self._count(c, frame, line)
        lo, hi = uv.min(axis=0), uv.max(axis=0)
        box = (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
        truncated, occluded, alpha = self._attrs(c)
        if frame.size is not None:
            box, cut = _clip(box, frame.size)
            truncated = cut if truncated is None else truncated
        fields: dict[str, Any] = {
            "type": self._type(c.label, "cuboid"),
            "truncated": truncated,
            "occluded": occluded,
            "box": box,
            "score": c.score,
            **self._three_d(c, frame.calib),
        }
        fields["alpha"] = (
            alpha if alpha is not None else alpha_from(fields["rotation_y"], fields["location"])
        )
        self.summary.add("2D boxes projected from cuboids")
        return self._line(fields, frame.where)

    def _attrs(self, ann: Annotation) -> tuple[float | None, int | None, float | None]:
        """``truncated``, ``occluded``, ``alpha`` from the attributes (None: unset); other and
        invalid attributes are counted as ``attributes.<key>`` dropped."""
        a = ann.attributes
        for key in a:
            if key not in _KNOWN_ATTRIBUTES:
                self.report.dropped(
                    ann.kind, f"attributes.{key}", reason="KITTI labels have no such column"
                )
        ok = {}
        for key, check in _CHECKS:
            value = a.get(key)
            ok[key] = value is None or check(value)
            if not ok[key]:
                self.report.dropped(
                    ann.kind,
                    f"attributes.{key}",
                    reason="not a valid KITTI value",
                    example=repr(value),
                )
        truncated, occluded, alpha = a.get("truncated"), a.get("occluded"), a.get("alpha")
        return (
            float(truncated) if ok["truncated"] and truncated is not None else None,
            occluded if ok["occluded"] else None,
            float(alpha) if ok["alpha"] and alpha is not None else None,
        )

    def _type(self, label: str, kind: str) -> str:
        fixed = "_".join(label.split()) or DONTCARE
        if fixed != label:
            self.report.changed(kind, "label", reason="KITTI types are one word", example=label)
        return fixed

    @staticmethod
    def _three_d(c: Cuboid, calib: Calibration) -> dict[str, Any]:
        h, w, length, x, y, z, ry = cuboid_to_kitti(c.position, c.dimensions, c.yaw, calib)
        return {"dimensions": (h, w, length), "location": (x, y, z), "rotation_y": ry}

    def _line(self, fields: dict[str, Any], where: str) -> str:
        try:
            text = format_label(**fields)
        except ValueError as exc:
            raise OutputError(f"{where}: {exc}") from None
        self.used_labels.add(fields["type"])
        return text


def _clip(
    box: tuple[float, float, float, float], size: tuple[int, int]
) -> tuple[tuple[float, float, float, float], float]:
    """``box`` clipped to a ``(width, height)`` image, and the fraction of it cut off (two
    decimals, as KITTI writes truncation)."""
    left, top, right, bottom = box
    w, h = size
    cl, ct = min(max(left, 0.0), w - 1.0), min(max(top, 0.0), h - 1.0)
    cr, cb = min(max(right, 0.0), w - 1.0), min(max(bottom, 0.0), h - 1.0)
    full = (right - left) * (bottom - top)
    inside = (cr - cl) * (cb - ct)
    cut = 0.0 if full <= 0 else round(1.0 - inside / full, 2)
    return (cl, ct, cr, cb), cut
