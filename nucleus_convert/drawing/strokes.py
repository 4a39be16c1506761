"""Lines for the previews: solid or dashed paths, clipped to the picture first.

Coordinates here are Pillow drawing coordinates, already scaled: ``(0, 0)`` is the *centre*
of the top-left pixel (ImageDraw's convention), x to the right, y down. Callers turn model
coordinates into these (:meth:`nucleus_convert.drawing.canvas.Canvas.at`).

Every segment is clipped to the picture (plus a margin) before it is drawn or cut into
dashes, so a vertex a million pixels away costs no more than one on the picture, and a
non-finite coordinate draws nothing.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from PIL import ImageDraw

from nucleus_convert.drawing.colours import RGB

__all__ = ["Point", "clip_polygon", "clip_segment", "dash_segments", "draw_path"]

Point = tuple[float, float]


def clip_segment(
    a: Point, b: Point, width: float, height: float, margin: float
) -> tuple[Point, Point] | None:
    """The part of segment ``a``-``b`` inside ``[-margin, width + margin] x [-margin, height +
    margin]`` (Liang-Barsky), or ``None`` when nothing of it is (or a coordinate is not
    finite)."""
    if not all(math.isfinite(v) for v in (*a, *b)):
        return None
    x0, y0 = a
    dx, dy = b[0] - x0, b[1] - y0
    t0, t1 = 0.0, 1.0
    lo_x, hi_x, lo_y, hi_y = -margin, width + margin, -margin, height + margin
    for p, q in ((-dx, x0 - lo_x), (dx, hi_x - x0), (-dy, y0 - lo_y), (dy, hi_y - y0)):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None
    return (x0 + t0 * dx, y0 + t0 * dy), (x0 + t1 * dx, y0 + t1 * dy)


def clip_polygon(
    points: Sequence[Point], width: float, height: float, margin: float
) -> list[Point]:
    """The ring ``points`` clipped to the rectangle of :func:`clip_segment`
    (Sutherland-Hodgman); empty when nothing of it is inside or a coordinate is not finite."""
    ring = list(points)
    if not all(math.isfinite(v) for p in ring for v in p):
        return []
    edges = (
        (0, -margin, False),
        (0, width + margin, True),
        (1, -margin, False),
        (1, height + margin, True),
    )
    for axis, limit, upper in edges:
        if not ring:
            break
        ring = _clip_ring(ring, axis, limit, upper)
    return ring


def _clip_ring(ring: list[Point], axis: int, limit: float, upper: bool) -> list[Point]:
    def inside(p: Point) -> bool:
        return p[axis] <= limit if upper else p[axis] >= limit

    out: list[Point] = []
    for i, cur in enumerate(ring):
        prev = ring[i - 1]
        if inside(cur) != inside(prev):
            t = (limit - prev[axis]) / (cur[axis] - prev[axis])
            out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
        if inside(cur):
            out.append(cur)
    return out


def dash_segments(
    segments: Sequence[tuple[Point, Point]], dash: float, gap: float
) -> list[tuple[Point, Point]]:
    """The dashes of a chain of segments: ``dash`` drawn, ``gap`` left out, the pattern
    carried over from one segment to the next (so a box's corners do not restart it)."""
    out: list[tuple[Point, Point]] = []
    period = dash + gap
    phase = 0.0
    for (x0, y0), (x1, y1) in segments:
        length = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        while pos < length:
            on = phase < dash
            step = min((dash if on else period) - phase, length - pos)
            if on:
                a, b = pos / length, (pos + step) / length
                out.append(
                    (
                        (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a),
                        (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b),
                    )
                )
            pos += step
            phase = (phase + step) % period
    return out


def draw_path(
    draw: ImageDraw.ImageDraw,
    size: tuple[int, int],
    points: Sequence[Point],
    colour: RGB,
    width: int,
    *,
    closed: bool = False,
    dashed: bool = False,
) -> None:
    """Draw the chain ``points`` (a ring when ``closed``) in ``colour``, ``width`` pixels
    wide, on a picture of ``size`` (width, height); ``dashed`` draws dashes of ``4 * width``
    pixels with gaps of ``3 * width``."""
    if len(points) < 2:
        return
    chain = [*points, points[0]] if closed and len(points) > 2 else list(points)
    w, h = size
    margin = 4.0 * width
    segments = [
        clipped
        for a, b in itertools.pairwise(chain)
        if (clipped := clip_segment(a, b, w, h, margin)) is not None
    ]
    if dashed:
        segments = dash_segments(segments, 4.0 * width, 3.0 * width)
    for a, b in segments:
        draw.line([a, b], fill=colour, width=width)
