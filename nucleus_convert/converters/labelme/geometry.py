"""Pure LabelMe geometry: rectangles from two corners, boxes back to corners, circles as
polygons. Plain floats in and out; coordinates are the model's continuous pixels (LabelMe's
points map to them unchanged, see the package docstring).
"""

from __future__ import annotations

import math

__all__ = [
    "CIRCLE_TOLERANCE",
    "MAX_CIRCLE_VERTICES",
    "MIN_CIRCLE_VERTICES",
    "circle_polygon",
    "circle_vertex_count",
    "far_corner",
    "rectangle_box",
]

CIRCLE_TOLERANCE = 0.1
"""Largest distance, in pixels, between a circle and the edges of the polygon that replaces it."""
MIN_CIRCLE_VERTICES = 8
MAX_CIRCLE_VERTICES = 1024

_NEIGHBOURS = 4
"""How many floats either side of ``start + size`` :func:`far_corner` tries."""


def rectangle_box(
    first: tuple[float, float], second: tuple[float, float]
) -> tuple[float, float, float, float]:
    """``(x, y, width, height)`` of the rectangle with opposite corners ``first`` and
    ``second``, given in any order (top-left/bottom-right or the other diagonal, either way
    round): the smaller coordinates are the corner, the differences the size."""
    (x1, y1), (x2, y2) = first, second
    return min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1)


def far_corner(start: float, size: float) -> tuple[float, bool]:
    """The far coordinate ``end`` of an interval, chosen so that ``end - start == size``
    exactly in floating point when such a float exists (``start + size`` rounds, so its
    neighbours are tried too); the bool says whether it does. A box written as corners then
    reads back as the same box, bit for bit."""
    end = start + size
    if end - start == size:
        return end, True
    for direction in (math.inf, -math.inf):
        candidate = end
        for _ in range(_NEIGHBOURS):
            candidate = math.nextafter(candidate, direction)
            if candidate - start == size:
                return candidate, True
    return end, False


def circle_vertex_count(radius: float, tolerance: float = CIRCLE_TOLERANCE) -> int:
    """Vertices of the regular polygon inscribed in a circle of ``radius`` whose edges stay
    within ``tolerance`` of the circle (the sagitta ``r (1 - cos(pi / n))``), between
    :data:`MIN_CIRCLE_VERTICES` and :data:`MAX_CIRCLE_VERTICES`."""
    if radius <= tolerance:
        return MIN_CIRCLE_VERTICES
    n = math.ceil(math.pi / math.acos(1.0 - tolerance / radius))
    return max(MIN_CIRCLE_VERTICES, min(MAX_CIRCLE_VERTICES, n))


def circle_polygon(
    centre: tuple[float, float], rim: tuple[float, float], tolerance: float = CIRCLE_TOLERANCE
) -> tuple[list[tuple[float, float]], float]:
    """The polygon inscribed in LabelMe's circle (``centre`` and a point ``rim`` on it), its
    first vertex at ``rim``, going round in the direction of increasing angle; and the
    largest distance between the circle and the polygon's edges (at most ``tolerance``
    unless the vertex count hit :data:`MAX_CIRCLE_VERTICES`)."""
    cx, cy = centre
    radius = math.hypot(rim[0] - cx, rim[1] - cy)
    n = circle_vertex_count(radius, tolerance)
    start = math.atan2(rim[1] - cy, rim[0] - cx)
    points = [(rim[0], rim[1])]
    for k in range(1, n):
        angle = start + 2.0 * math.pi * k / n
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points, radius * (1.0 - math.cos(math.pi / n))
