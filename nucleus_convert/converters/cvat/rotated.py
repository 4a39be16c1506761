"""Rotated boxes and ellipses as polygons (pure functions, pixels and degrees).

CVAT's ``rotation`` is in degrees, clockwise on the image (x right, y down), about the box's
centre ``((xtl + xbr) / 2, (ytl + ybr) / 2)``: CVAT's own conversion
(``RotatedBoxesToPolygons`` in ``cvat/apps/dataset_manager/formats/transformations.py``) maps a
corner ``(x, y)`` to ``(cx + cos a (x - cx) - sin a (y - cy), cy + sin a (x - cx) + cos a (y -
cy))`` with ``a`` the rotation in radians, which turns clockwise on an image whose y axis
points down. The polygon's corners are the unrotated box's top-left, top-right, bottom-right
and bottom-left corners, in that order, turned.

:func:`box_from_corners` inverts :func:`box_corners`: it recovers the box from the corners and
the rotation, and returns it only when turning it again gives the very same corners (trying
the box rounded to 2, 4, 6 and 9 decimals first, since CVAT writes 2), so a rotated box read
from CVAT and written back is the same box.
"""

from __future__ import annotations

import math

__all__ = ["ELLIPSE_VERTICES", "box_corners", "box_from_corners", "ellipse_polygon"]

Point = tuple[float, float]
ELLIPSE_VERTICES = 32
"""Vertices of the polygon an ellipse becomes."""
_DECIMALS = (2, 4, 6, 9)
_CLOSE = 1e-6


def _turn(points: list[Point], degrees: float, cx: float, cy: float) -> list[Point]:
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return [(cx + c * (x - cx) - s * (y - cy), cy + s * (x - cx) + c * (y - cy)) for x, y in points]


def box_corners(xtl: float, ytl: float, xbr: float, ybr: float, degrees: float) -> list[Point]:
    """The four corners of a box turned ``degrees`` clockwise about its centre."""
    cx, cy = xtl + (xbr - xtl) / 2, ytl + (ybr - ytl) / 2
    return _turn([(xtl, ytl), (xbr, ytl), (xbr, ybr), (xtl, ybr)], degrees, cx, cy)


def box_from_corners(
    corners: list[Point], degrees: float
) -> tuple[tuple[float, float, float, float], bool] | None:
    """``((xtl, ytl, xbr, ybr), exact)`` of the box whose turned corners are ``corners``.

    ``exact`` says :func:`box_corners` gives ``corners`` back bit for bit; a box whose corners
    come back only within 1e-6 pixels is returned with ``exact`` false; ``None`` when the four
    points are no box turned by ``degrees``.
    """
    if len(corners) != 4 or not all(math.isfinite(v) for p in corners for v in p):
        return None
    cx = sum(x for x, _ in corners) / 4
    cy = sum(y for _, y in corners) / 4
    flat = _turn(corners, -degrees, cx, cy)
    raw = (
        (flat[0][0] + flat[3][0]) / 2,
        (flat[0][1] + flat[1][1]) / 2,
        (flat[1][0] + flat[2][0]) / 2,
        (flat[2][1] + flat[3][1]) / 2,
    )
    for decimals in _DECIMALS:
        box = (
            round(raw[0], decimals),
            round(raw[1], decimals),
            round(raw[2], decimals),
            round(raw[3], decimals),
        )
        if box_corners(*box, degrees) == corners:
            return box, True
    if box_corners(*raw, degrees) == corners:
        return raw, True
    again = box_corners(*raw, degrees)
    if all(
        math.isclose(a, b, rel_tol=0.0, abs_tol=_CLOSE)
        for p, q in zip(again, corners, strict=True)
        for a, b in zip(p, q, strict=True)
    ):
        return raw, False
    return None


def ellipse_polygon(cx: float, cy: float, rx: float, ry: float, degrees: float) -> list[Point]:
    """:data:`ELLIPSE_VERTICES` points on the ellipse, turned ``degrees`` clockwise."""
    ring = [
        (
            cx + rx * math.cos(2 * math.pi * k / ELLIPSE_VERTICES),
            cy + ry * math.sin(2 * math.pi * k / ELLIPSE_VERTICES),
        )
        for k in range(ELLIPSE_VERTICES)
    ]
    return _turn(ring, degrees, cx, cy) if degrees else ring
