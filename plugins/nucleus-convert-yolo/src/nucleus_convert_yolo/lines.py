"""One item's annotations as YOLO label lines, and everything a line cannot hold counted.

Conventions:

* This module writes detection and segmentation lines (writer ``task`` ``auto``, ``detect``,
  ``segment``); :mod:`.obb` and :mod:`.pose` build on it for the other two tasks.
* Only ground-truth boxes and polygons become lines; predictions and every other kind are
  counted under their model kind and left out (the ledger: :mod:`.carries`), keypoints with
  the hint that a pose dataset (``-w task=pose``) holds them.
* ``task`` chooses what one object becomes; objects are tied by ``group_id`` (a COCO
  annotation's box and polygon share one): ``auto`` writes polygons as polygon lines and boxes
  as box lines, but not a box whose group has a polygon (YOLO derives the box from the polygon:
  one object, one line); ``detect`` writes a polygon-only object as the enclosing box of its
  polygons; ``segment`` writes a box-only object as a 4-point rectangle.
* Geometry is cut to the image (YOLO coordinates are normalised to ``[0, 1]``): a box is
  clipped (each changed field counted as approximated), polygon vertices move to the edge;
  a box with nothing left, a non-finite value or fewer than 3 vertices drops the annotation.
* Numbers are exact (:mod:`.coords`): the fewest decimals, from 6, that read back as the very
  same floats.
* A line's id is its line number: another id is counted as dropped, and so is every other
  field holding a value (group, track, attributes, score, class pdf, extra).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from nucleus_convert import Annotation, Box, LossReport, Polygon, WriteSummary
from nucleus_convert.toolkit import FieldLedger
from nucleus_convert_yolo.carries import CARRIES, ONE_LINE, PREDICTIONS
from nucleus_convert_yolo.classes import Classes
from nucleus_convert_yolo.coords import box_to_normalised, point_to_normalised

__all__ = ["CUT", "INEXACT", "BoxValues", "LineMaker", "Objects", "Size", "rectangle"]

_BOX_FIELDS = ("x", "y", "width", "height")
CUT = "YOLO coordinates are normalised to [0, 1]"
INEXACT = "no decimal expansion round-trips"

Size = tuple[int, int]
BoxValues = tuple[float, float, float, float]


@dataclass(slots=True)
class Objects:
    """The shapes of one item and how ``group_id`` ties them into objects."""

    shapes: list[Box | Polygon]
    polygon_groups: set[str] = field(default_factory=set)
    box_groups: set[str] = field(default_factory=set)
    done: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for a in self.shapes:
            if a.group_id is not None:
                (self.polygon_groups if isinstance(a, Polygon) else self.box_groups).add(a.group_id)

    def rings(self, ann: Polygon) -> list[Polygon] | None:
        """The polygons of ``ann``'s object, or None when its object was already written."""
        if ann.group_id is None:
            return [ann]
        if ann.group_id in self.done:
            return None
        self.done.add(ann.group_id)
        return [a for a in self.shapes if isinstance(a, Polygon) and a.group_id == ann.group_id]


class LineMaker:
    """Makes the label lines of each item for one writer (``task``: auto, detect, segment)."""

    def __init__(
        self, report: LossReport, classes: Classes, task: str, summary: WriteSummary
    ) -> None:
        self.report = report
        self.ledger = FieldLedger(report, CARRIES)
        self.classes = classes
        self.task = task
        self.summary = summary

    def lines(self, annotations: list[Annotation], size: Size, where: str) -> list[str]:
        """The label lines of one item whose image is ``size`` (width, height) pixels."""
        objects = Objects(self._shapes(annotations, where))
        out: list[str] = []
        for ann in objects.shapes:
            if isinstance(ann, Box):
                line = self._box(ann, objects, size, len(out) + 1, where)
            else:
                line = self._polygon(ann, objects, size, len(out) + 1, where)
            if line is not None:
                out.append(line)
        return out

    def drop_all(self, annotations: list[Annotation], reason: str, where: str) -> None:
        """Count every annotation of an item whose labels cannot be written, under its kind."""
        for ann in annotations:
            self.report.dropped(ann.kind, reason=reason, example=where)

    def _shapes(self, annotations: list[Annotation], where: str) -> list[Box | Polygon]:
        shapes: list[Box | Polygon] = []
        for ann in annotations:
            if ann.prediction:
                self.report.dropped(ann.kind, reason=PREDICTIONS, example=where)
            elif isinstance(ann, Box | Polygon):
                shapes.append(ann)
            else:
                self.ledger.take(ann, where)  # no place for the kind: counted under it
        return shapes

    def _box(self, ann: Box, objects: Objects, size: Size, n: int, where: str) -> str | None:
        if ann.group_id in objects.polygon_groups and self.task != "detect":
            self.report.dropped(
                "box",
                reason="the object is written as its polygon; YOLO derives the box",
                example=where,
            )
            return None
        if self.task == "segment":
            self.report.approximated(
                "box", reason="task=segment: written as a 4-point rectangle", example=where
            )
            return self._polygon_line(ann, rectangle(ann), size, n, where)
        return self._box_line(ann, (ann.x, ann.y, ann.width, ann.height), size, n, where)

    def _polygon(
        self, ann: Polygon, objects: Objects, size: Size, n: int, where: str
    ) -> str | None:
        if self.task != "detect":
            return self._polygon_line(ann, ann.points, size, n, where)
        if ann.group_id in objects.box_groups:
            self.report.dropped(
                "polygon",
                reason=f"task=detect: the object's box is written ({ONE_LINE})",
                example=where,
            )
            return None
        self.report.approximated(
            "polygon",
            reason="task=detect: written as the enclosing box of the object's polygons",
            example=where,
        )
        rings = objects.rings(ann)
        if rings is None:
            return None
        return self._box_line(ann, _enclosing(rings), size, n, where)

    def _fields(self, ann: Annotation, line_no: int, where: str) -> None:
        """Count the annotation's fields a YOLO line cannot hold."""
        if ann.id is not None and ann.id != str(line_no):
            self.report.dropped(
                ann.kind,
                "id",
                reason="a YOLO line has no id; it reads back as its line number",
                example=where,
            )
        self.ledger.fields(ann, where, handled=("id",))

    def _box_line(
        self, ann: Box | Polygon, box: BoxValues, size: Size, line_no: int, where: str
    ) -> str | None:
        texts = self.box_texts(ann, box, size, where)
        if texts is None:
            return None
        self._fields(ann, line_no, where)
        self.summary.add("boxes")
        return f"{self.classes.of(ann.label)} {' '.join(texts)}"

    def box_texts(
        self, ann: Annotation, box: BoxValues, size: Size, where: str
    ) -> tuple[str, str, str, str] | None:
        """The four exact strings ``cx cy w h`` of ``box`` (``ann``'s geometry, clipped to the
        image and counted), or None when nothing is left (counted as ``ann`` dropped)."""
        kind = ann.kind
        width, height = size
        if not all(math.isfinite(v) for v in box):
            self.report.dropped(kind, reason="non-finite coordinates", example=where)
            return None
        if box[2] <= 0 or box[3] <= 0:
            self.report.dropped(
                kind, reason="zero or negative size (YOLO needs w, h > 0)", example=where
            )
            return None
        x, y, w, h = box
        clipped = _clip(float(x), float(y), float(w), float(h), width, height)
        if clipped is None:
            self.report.dropped(
                kind, reason="outside the image: nothing left after clipping", example=where
            )
            return None
        self._count_cut(ann, box, clipped, f"clipped to the image: {CUT}", where)
        texts, exact = box_to_normalised(*clipped, width, height)
        if not exact:
            field = {"box": "*", "polygon": "points"}.get(kind, "*")
            self.report.approximated(kind, field, reason=INEXACT, example=where)
        return texts

    def _count_cut(
        self, ann: Annotation, box: BoxValues, cut: BoxValues, reason: str, where: str
    ) -> None:
        """Count geometry cut to the image: a polygon's ``points`` (or keypoints' box), or
        each box field that changed (``box`` is the geometry before the cut, ``cut`` after)."""
        if not isinstance(ann, Box):  # task=detect: the polygon's enclosing box; pose
            if cut != box:
                field = "points" if isinstance(ann, Polygon) else "*"
                self.report.approximated(ann.kind, field, reason=reason, example=where)
            return
        for name, before, after in zip(_BOX_FIELDS, box, cut, strict=True):
            if before != after:
                self.report.approximated("box", name, reason=reason, example=where)

    def _polygon_line(
        self,
        ann: Box | Polygon,
        points: list[tuple[float, float]],
        size: Size,
        line_no: int,
        where: str,
    ) -> str | None:
        kind = ann.kind
        width, height = size
        if len(points) < 3:
            self.report.dropped(
                kind, reason="fewer than 3 vertices (a YOLO polygon needs 3)", example=where
            )
            return None
        if not all(math.isfinite(v) for p in points for v in p):
            self.report.dropped(kind, reason="non-finite coordinates", example=where)
            return None
        clamped = [
            (min(max(px, 0.0), float(width)), min(max(py, 0.0), float(height))) for px, py in points
        ]
        if clamped != [(float(px), float(py)) for px, py in points]:
            reason = f"vertices outside the image moved to its edge: {CUT}"
            if isinstance(ann, Box):  # task=segment: the box's rectangle
                (x0, y0), (x1, y1) = clamped[0], clamped[2]
                geometry = (ann.x, ann.y, ann.width, ann.height)
                self._count_cut(ann, geometry, (x0, y0, x1 - x0, y1 - y0), reason, where)
            else:
                self.report.approximated(kind, "points", reason=reason, example=where)
        fields: list[str] = []
        inexact = False
        for px, py in clamped:
            texts, exact = point_to_normalised(px, py, width, height)
            fields.extend(texts)
            inexact |= not exact
        if inexact:
            self.report.approximated(
                kind, "*" if isinstance(ann, Box) else "points", reason=INEXACT, example=where
            )
        self._fields(ann, line_no, where)
        self.summary.add("polygons")
        return f"{self.classes.of(ann.label)} {' '.join(fields)}"


def _clip(x: float, y: float, w: float, h: float, width: int, height: int) -> BoxValues | None:
    """The box cut to the image (exactly: the kept part of a clipped side is the nearest float),
    or None when nothing with a positive size is left."""
    # Rounding is monotonic: a float sum below the edge means an exact sum below it too.
    if x >= 0 and y >= 0 and x + w < width and y + h < height:
        return x, y, w, h
    x0, y0 = max(Fraction(x), Fraction(0)), max(Fraction(y), Fraction(0))
    x1 = min(Fraction(x) + Fraction(w), Fraction(width))
    y1 = min(Fraction(y) + Fraction(h), Fraction(height))
    if x1 <= x0 or y1 <= y0:
        return None
    clipped = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
    return clipped if clipped[2] > 0 and clipped[3] > 0 else None


def _enclosing(rings: list[Polygon]) -> BoxValues:
    xs = [x for ring in rings for x, _ in ring.points]
    ys = [y for ring in rings for _, y in ring.points]
    if not xs:
        return (math.nan, math.nan, math.nan, math.nan)
    x0, y0 = min(xs), min(ys)
    return x0, y0, max(xs) - x0, max(ys) - y0


def rectangle(box: Box) -> list[tuple[float, float]]:
    """The box's corners: top-left, top-right, bottom-right, bottom-left (clockwise as seen on
    the image, whose y axis points down)."""
    x1, y1 = box.x + box.width, box.y + box.height
    return [(box.x, box.y), (x1, box.y), (x1, y1), (box.x, y1)]
