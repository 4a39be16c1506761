"""Oriented boxes (writer ``task=obb``): one line ``cls x1 y1 x2 y2 x3 y3 x4 y4`` per object.

The model has no rotated box: an oriented box is a 4-point :class:`~nucleus_convert.Polygon`
of its corners (the reader's side: :mod:`.parse`). Conventions of the writer:

* A 4-point polygon is written as it is, corners in its own order (Ultralytics and DOTA list
  them clockwise as seen on the image, y pointing down, from a semantic starting corner; the
  order is never changed), so it reads back as the very same polygon.
* A box is written as its four corners exactly: ``(x, y)``, ``(x + width, y)``,
  ``(x + width, y + height)``, ``(x, y + height)`` (top-left, top-right, bottom-right,
  bottom-left: clockwise on the image). It reads back as that 4-point polygon, counted as
  ``(box, *)`` approximated.
* Any other polygon, or the rings of one object (polygons sharing a ``group_id``), is written
  as the minimum-area rectangle enclosing its vertices (rotating calipers over the convex hull,
  as OpenCV's ``minAreaRect`` that Ultralytics uses), corners clockwise on the image from the
  one with the smallest ``x + y``: counted as ``(polygon, points)`` approximated; the object's
  further rings as ``(polygon, *)`` dropped. A box whose group has a polygon is left out
  (the polygon knows the orientation), counted as ``(box, *)`` dropped.
* Corners may lie up to 1% of the image outside it (Ultralytics' own label check, and what
  the reader accepts); a corner beyond that is moved to the edge of that band, counted as
  approximated. Numbers are exact (:mod:`.coords`); ids and groups as in :mod:`.lines`.
"""

from __future__ import annotations

import math
from fractions import Fraction

from nucleus_convert import Annotation, Box, Polygon
from nucleus_convert_yolo.coords import point_to_normalised
from nucleus_convert_yolo.lines import INEXACT, LineMaker, Objects, Size, rectangle

__all__ = ["ObbLineMaker", "band_edges", "min_area_rectangle"]

Point = tuple[float, float]


def band_edges(extent: int) -> tuple[float, float]:
    """The pixel floats of ``-0.01`` and ``1.01`` of ``extent``: the nearest floats to
    ``-extent/100`` and ``101*extent/100``, which the writer writes as exactly ``-0.010000`` and
    ``1.010000`` (any float between them is within that band exactly)."""
    return float(Fraction(-extent, 100)), float(Fraction(101 * extent, 100))


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _hull(points: list[Point]) -> list[Point]:
    """The convex hull (Andrew's monotone chain), without collinear points."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts
    lower: list[Point] = []
    upper: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _clockwise_from_top_left(corners: list[Point]) -> list[Point]:
    """The corners clockwise as seen on the image (a positive shoelace sum with y down),
    starting from the one with the smallest ``x + y`` (then the smallest ``y``)."""
    n = len(corners)
    area = sum(
        corners[i][0] * corners[(i + 1) % n][1] - corners[(i + 1) % n][0] * corners[i][1]
        for i in range(n)
    )
    if area < 0:
        corners = corners[::-1]
    start = min(range(n), key=lambda i: (corners[i][0] + corners[i][1], corners[i][1]))
    return corners[start:] + corners[:start]


def min_area_rectangle(points: list[Point]) -> list[Point] | None:
    """The corners of the smallest-area rectangle enclosing ``points`` (clockwise on the image
    from the smallest ``x + y``), or None when they enclose no area."""
    hull = _hull(points)
    if len(hull) < 3:
        return None
    best: tuple[float, Point, Point, float, float, float, float] | None = None
    for i, (x0, y0) in enumerate(hull):
        x1, y1 = hull[(i + 1) % len(hull)]
        norm = math.hypot(x1 - x0, y1 - y0)
        u = ((x1 - x0) / norm, (y1 - y0) / norm)
        v = (-u[1], u[0])
        s = [px * u[0] + py * u[1] for px, py in hull]
        t = [px * v[0] + py * v[1] for px, py in hull]
        area = (max(s) - min(s)) * (max(t) - min(t))
        if best is None or area < best[0]:
            best = (area, u, v, min(s), max(s), min(t), max(t))
    assert best is not None
    area, u, v, s0, s1, t0, t1 = best
    if not area > 0:
        return None
    corners = [
        (s * u[0] + t * v[0], s * u[1] + t * v[1])
        for s, t in ((s0, t0), (s1, t0), (s1, t1), (s0, t1))
    ]
    return _clockwise_from_top_left(corners)


class ObbLineMaker(LineMaker):
    """Makes the OBB label lines of each item (module docstring)."""

    def lines(self, annotations: list[Annotation], size: Size, where: str) -> list[str]:
        objects = Objects(self._shapes(annotations, where))
        out: list[str] = []
        for ann in objects.shapes:
            corners = self._corners(ann, objects, where)
            if corners is None:
                continue
            line = self._obb_line(ann, corners, size, len(out) + 1, where)
            if line is not None:
                out.append(line)
        return out

    def _corners(self, ann: Box | Polygon, objects: Objects, where: str) -> list[Point] | None:
        if isinstance(ann, Box):
            if not ann.width > 0 or not ann.height > 0:
                self.report.dropped(
                    "box", reason="zero or negative size (no oriented box)", example=where
                )
                return None
            if ann.group_id in objects.polygon_groups:
                self.report.dropped(
                    "box",
                    reason="task=obb: the object is written from its polygon (its orientation)",
                    example=where,
                )
                return None
            self.report.approximated(
                "box",
                reason="task=obb: written as its four corners; it reads back as a 4-point polygon",
                example=where,
            )
            return rectangle(ann)
        rings = objects.rings(ann)
        if rings is None:
            self.report.dropped(
                "polygon",
                reason="task=obb: one rectangle per object; this ring of it is inside",
                example=where,
            )
            return None
        points = [p for ring in rings for p in ring.points]
        if len(rings) == 1 and len(points) == 4:
            return [(float(x), float(y)) for x, y in points]
        if not all(math.isfinite(v) for p in points for v in p):
            return points  # refused with its reason by _obb_line
        rect = min_area_rectangle(points)
        if rect is None:
            self.report.dropped(
                "polygon", reason="task=obb: its vertices enclose no area", example=where
            )
            return None
        self.report.approximated(
            "polygon",
            "points",
            reason="task=obb: written as its minimum-area enclosing rectangle",
            example=where,
        )
        return rect

    def _obb_line(
        self, ann: Box | Polygon, corners: list[Point], size: Size, line_no: int, where: str
    ) -> str | None:
        kind = ann.kind
        field = "points" if isinstance(ann, Polygon) else "*"
        if not all(math.isfinite(v) for p in corners for v in p):
            self.report.dropped(kind, reason="non-finite coordinates", example=where)
            return None
        (xlo, xhi), (ylo, yhi) = band_edges(size[0]), band_edges(size[1])
        moved = [(min(max(x, xlo), xhi), min(max(y, ylo), yhi)) for x, y in corners]
        if moved != corners:
            self.report.approximated(
                kind,
                field,
                reason="corners more than 1% outside the image moved to that band's edge",
                example=where,
            )
        fields: list[str] = []
        inexact = False
        for x, y in moved:
            texts, exact = point_to_normalised(x, y, *size)
            fields.extend(texts)
            inexact |= not exact
        if inexact:
            self.report.approximated(kind, field, reason=INEXACT, example=where)
        self._fields(ann, line_no, where)
        self.summary.add("oriented boxes")
        return f"{self.classes.of(ann.label)} {' '.join(fields)}"
