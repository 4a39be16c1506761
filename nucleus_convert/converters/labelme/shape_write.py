"""Model annotations as LabelMe shapes: the writing side of the shape mapping.

==================  ==========================================================================
model annotation    shape
==================  ==========================================================================
box                 ``rectangle``: top-left corner, then bottom-right corner chosen so that it
                    reads back as the same width and height (:func:`.geometry.far_corner`;
                    where no float corner can, within an ulp, counted as approximated)
polygon             ``polygon`` (a circle read from LabelMe stays a polygon)
polyline            ``line`` when it has two points, else ``linestrip``
keypoints           one point: ``point`` with the annotation's label (visibility, names other
                    than the label and a skeleton are counted); several: one ``point`` shape
                    per placed keypoint, labelled by its name, sharing a group (counted as
                    approximated: they read back as one-point keypoints)
instance mask       ``mask`` over the tight box of its pixels (see :mod:`.masks`)
segmentation        one ``mask`` per segment with pixels: label, attributes and group of the
                    segment (counted as approximated: they read back as instance masks)
==================  ==========================================================================

Shapes have no id: a shape's id is its position. Shapes whose id is a position (``"0"``,
``"1"``... below the number of shapes, the first holder of each) are put at that position and
the others fill the free places in order, so ids read by this format come back; any other id
is counted as approximated. Group ids that are decimal integers are written as integers; any
other group id becomes a fresh integer of its file (counted as approximated). Attributes: a
boolean is a shape flag, a non-empty string ``description`` the description, any other value a
shape key of its own; a key LabelMe reserves (``label``, ``points``...) or a value that cannot
be written is counted as dropped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from nucleus_convert.converters.labelme.geometry import far_corner
from nucleus_convert.converters.labelme.masks import mask_shape
from nucleus_convert.converters.labelme.schema import DESCRIPTION_KEY, LEGACY_COLOR_KEYS, SHAPE_KEYS
from nucleus_convert.errors import OutputError
from nucleus_convert.geometry.rle import decode
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Box,
    InstanceMask,
    Keypoints,
    Polygon,
    Polyline,
    Segmentation,
    Visibility,
)
from nucleus_convert.toolkit.limits import json_value_problem

__all__ = ["ShapeWriter"]

_INT = re.compile(r"-?(0|[1-9][0-9]{0,17})")
"""Group ids written as they are: decimal integers well within 64 bits."""
_ID_REASON = "LabelMe shapes have no id: a shape's id is its position in the file"
_GROUP_REASON = "LabelMe group ids are integers: another group id becomes a new integer"


@dataclass(slots=True)
class _Entry:
    """One shape to write, before its place and group number are known."""

    kind: str
    label: str
    shape_type: str
    points: list[list[float]] | list[list[int]]
    where: str
    id: str | None = None
    group: object = None
    attributes: dict[str, Any] = field(default_factory=dict)
    mask: str | None = None


def _finite(points: list[tuple[float, float]], where: str) -> list[list[float]]:
    """The points as plain floats (numpy's would not serialise), each finite."""
    out = []
    for x, y in points:
        fx, fy = float(x), float(y)
        if not (math.isfinite(fx) and math.isfinite(fy)):
            raise OutputError(f"{where}: a coordinate is not a finite number ({x}, {y})")
        out.append([fx, fy])
    return out


def _of(
    ann: Annotation,
    shape_type: str,
    points: list[list[float]] | list[list[int]],
    where: str,
    mask: str | None = None,
) -> _Entry:
    """The entry of a shape made of one whole annotation (its label, id, group, attributes)."""
    return _Entry(
        kind=ann.kind,
        label=ann.label,
        shape_type=shape_type,
        points=points,
        where=where,
        id=ann.id,
        group=ann.group_id,
        attributes=ann.attributes,
        mask=mask,
    )


def _slotted(entries: list[_Entry]) -> list[_Entry]:
    """Entries whose id is a free position in range at that position, the rest in order."""
    n = len(entries)
    slots: list[_Entry | None] = [None] * n
    rest: list[_Entry] = []
    for entry in entries:
        k = int(entry.id) if entry.id is not None and _INT.fullmatch(entry.id) else -1
        if 0 <= k < n and str(k) == entry.id and slots[k] is None:
            slots[k] = entry
        else:
            rest.append(entry)
    spare = iter(rest)
    return [slot if slot is not None else next(spare) for slot in slots]


class ShapeWriter:
    """Builds one file's shapes; every loss goes to ``report``."""

    def __init__(self, report: LossReport) -> None:
        self.report = report

    def shapes(
        self, annotations: list[Annotation], size: tuple[int, int] | None, where: str
    ) -> list[dict[str, Any]]:
        """The shapes of ``annotations`` (predictions, categories and kinds LabelMe has no
        shape for already left out by the caller), in file order."""
        entries: list[_Entry] = []
        for ann in annotations:
            entries.extend(self._entries(ann, size, f"{where}, {ann.kind} {ann.id!r}"))
        numbers = self._group_numbers(entries)
        out = []
        for index, entry in enumerate(_slotted(entries)):
            if entry.id is not None and entry.id != str(index):
                self.report.approximated(entry.kind, "id", reason=_ID_REASON, example=entry.where)
            out.append(self._shape(entry, numbers))
        return out

    # ------------------------------------------------------------------ per kind

    def _entries(self, ann: Annotation, size: tuple[int, int] | None, where: str) -> list[_Entry]:
        if isinstance(ann, Box):
            return [_of(ann, "rectangle", self._corners(ann, where), where)]
        if isinstance(ann, Polygon | Polyline):
            if not ann.points:
                self.report.dropped(ann.kind, reason="no point to draw", example=where)
                return []
            shape_type = "polygon" if isinstance(ann, Polygon) else "linestrip"
            if isinstance(ann, Polyline) and len(ann.points) == 2:
                shape_type = "line"
            return [_of(ann, shape_type, _finite(ann.points, where), where)]
        if isinstance(ann, Keypoints):
            return self._keypoints(ann, where)
        if isinstance(ann, InstanceMask):
            return self._instance_mask(ann, size, where)
        if isinstance(ann, Segmentation):
            return self._segmentation(ann, size, where)
        raise TypeError(f"{where}: no LabelMe shape for {ann.kind}")  # the caller filtered

    def _corners(self, box: Box, where: str) -> list[list[float]]:
        ((x, y),) = _finite([(box.x, box.y)], where)
        ((w, h),) = _finite([(box.width, box.height)], where)
        if w < 0 or h < 0:
            raise OutputError(f"{where}: a box cannot have a negative size ({w} x {h})")
        right, exact_x = far_corner(x, w)
        bottom, exact_y = far_corner(y, h)
        for exact, name in ((exact_x, "width"), (exact_y, "height")):
            if not exact:
                self.report.approximated(
                    "box",
                    name,
                    reason="no float corner gives the size back exactly (off by one ulp)",
                    example=where,
                )
        return [[x, y], [right, bottom]]

    def _keypoints(self, ann: Keypoints, where: str) -> list[_Entry]:
        placed = [
            (name, kp)
            for name, kp in zip(ann.names, ann.points, strict=False)
            if kp.x is not None and kp.y is not None and kp.visibility != Visibility.UNLABELLED
        ]
        if not placed:
            self.report.dropped("keypoints", reason="no keypoint placed: no point", example=where)
            return []
        if len(ann.points) == 1:
            kp = placed[0][1]
            self._single_point_losses(ann, kp.visibility, where)
            return [_of(ann, "point", _finite([(kp.x or 0.0, kp.y or 0.0)], where), where)]
        self.report.approximated(
            "keypoints",
            reason="written as one point shape per placed keypoint, labelled by its name and "
            "grouped: they read back as one-point keypoints",
            example=where,
        )
        group = ann.group_id if ann.group_id is not None else object()
        return [
            _Entry(
                kind="keypoints",
                label=name,
                shape_type="point",
                points=_finite([(kp.x or 0.0, kp.y or 0.0)], where),
                where=where,
                group=group,
                attributes=ann.attributes,
            )
            for name, kp in placed
        ]

    def _single_point_losses(self, ann: Keypoints, visibility: Visibility, where: str) -> None:
        if visibility != Visibility.VISIBLE:
            self.report.approximated(
                "keypoints",
                "points.visibility",
                reason="a LabelMe point is visible: a hidden keypoint is written as visible",
                example=where,
            )
        if ann.names != [ann.label]:
            self.report.dropped(
                "keypoints",
                "names",
                reason="a LabelMe point has no name but its label",
                example=where,
            )
        if ann.skeleton:
            self.report.dropped(
                "keypoints", "skeleton", reason="a LabelMe point has no skeleton", example=where
            )

    def _instance_mask(
        self, ann: InstanceMask, size: tuple[int, int] | None, where: str
    ) -> list[_Entry]:
        h, w = (int(v) for v in ann.rle["size"])
        if size is not None and (w, h) != size:
            raise OutputError(
                f"{where}: the mask is {w}x{h} pixels but the image is {size[0]}x{size[1]}"
            )
        found = mask_shape(decode(ann.rle))
        if found is None:
            self.report.dropped(
                "instance_mask", reason="an empty mask: a mask shape needs a pixel", example=where
            )
            return []
        points, png = found
        return [_of(ann, "mask", points, where, png)]

    def _segmentation(
        self, ann: Segmentation, size: tuple[int, int] | None, where: str
    ) -> list[_Entry]:
        if not ann.mask.is_local():
            self.report.dropped(
                "segmentation",
                reason="mask pixels are not available here (remote URL)",
                example=where,
            )
            return []
        pixels = ann.mask.load()
        if size is not None and pixels.shape != (size[1], size[0]):
            raise OutputError(
                f"{where}: the mask is {pixels.shape[1]}x{pixels.shape[0]} pixels but the image "
                f"is {size[0]}x{size[1]}"
            )
        self.report.approximated(
            "segmentation",
            reason="written as one mask shape per segment: they read back as instance masks",
            example=where,
        )
        out = []
        for segment in ann.segments:
            found = mask_shape(pixels == segment.index)
            if found is None:
                self.report.dropped(
                    "segmentation",
                    "segments",
                    reason="a segment without pixels has no mask shape",
                    example=f"{where}, segment {segment.index}",
                )
                continue
            points, png = found
            out.append(
                _Entry(
                    kind="segmentation",
                    label=segment.label,
                    shape_type="mask",
                    points=points,
                    where=where,
                    group=segment.group_id,
                    attributes=dict(segment.attributes or {}),
                    mask=png,
                )
            )
        return out

    # ------------------------------------------------------------------ shape fields

    def _group_numbers(self, entries: list[_Entry]) -> dict[object, int]:
        """Every group of the file as an integer: decimal ids as they are, others after."""
        numbers: dict[object, int] = {}
        for entry in entries:
            if isinstance(entry.group, str) and _INT.fullmatch(entry.group):
                numbers[entry.group] = int(entry.group)
        free = max(numbers.values(), default=-1) + 1
        for entry in entries:
            if entry.group is not None and entry.group not in numbers:
                numbers[entry.group] = free
                free += 1
        return numbers

    def _shape(self, entry: _Entry, numbers: dict[object, int]) -> dict[str, Any]:
        group = None if entry.group is None else numbers[entry.group]
        if isinstance(entry.group, str) and str(group) != entry.group:
            self.report.approximated(
                entry.kind, "group_id", reason=_GROUP_REASON, example=entry.where
            )
        flags, description, keys = self._attributes(entry)
        shape: dict[str, Any] = {
            "label": entry.label,
            "points": entry.points,
            "group_id": group,
            "description": description,
            "shape_type": entry.shape_type,
            "flags": flags,
            "mask": entry.mask,
        }
        shape.update(keys)
        return shape

    def _attributes(self, entry: _Entry) -> tuple[dict[str, bool], str, dict[str, Any]]:
        """``(flags, description, other keys)`` of the entry's attributes."""
        flags: dict[str, bool] = {}
        description = ""
        keys: dict[str, Any] = {}
        for key, value in entry.attributes.items():
            if isinstance(value, bool):
                flags[key] = value
            elif key == DESCRIPTION_KEY and isinstance(value, str) and value:
                description = value
            elif key in SHAPE_KEYS or (key in LEGACY_COLOR_KEYS and value is None):
                self.report.dropped(
                    entry.kind,
                    f"attributes.{key}",
                    reason="LabelMe reserves this shape key (a description is a non-empty "
                    "string; line_color and fill_color null are the default colour)",
                    example=entry.where,
                )
            elif json_value_problem(value) is not None:
                self.report.dropped(
                    entry.kind,
                    f"attributes.{key}",
                    reason="not a value a JSON shape key can hold",
                    example=entry.where,
                )
            else:
                keys[key] = value
        return flags, description, keys
