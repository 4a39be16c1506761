"""Bird's-eye view of a point cloud item: its points from above and its cuboids' footprints.

Conventions (the model's 3D frame: right-handed, z up, metres, the point cloud's own frame):

* The view looks down the z axis. **x (forward) points up the picture and y (left) points
  left**, so a picture column grows with -y and a row with -x; one pixel is ``1 / ppm``
  metres on both axes (:class:`BevFrame`; :meth:`BevFrame.to_pixel` maps metres to Pillow
  drawing coordinates). The sensor (the frame's origin) is always in view, marked by a
  white triangle pointing forward, with range rings around it.
* Points are drawn lighter with their intensity (0..1), brightest on top; z is ignored.
* A cuboid (centre, dimensions (length along its heading, width, height), yaw about +z from
  +x towards +y, i.e. counter-clockwise seen from above) is drawn as its footprint in its
  label's colour, its front edge thicker, with a line from its centre to the middle of its
  front face (its heading). A prediction's lines are dashed and its tag carries its score;
  a tag shows ``#track id`` where there is one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from nucleus_convert.drawing.colours import BEV_BACKGROUND, BEV_GRID, label_colour
from nucleus_convert.drawing.draw2d import tag_text
from nucleus_convert.drawing.strokes import Point, draw_path
from nucleus_convert.drawing.text import TagLayout, font, printable
from nucleus_convert.model import Cuboid, Item, PointCloudMedia
from nucleus_convert.toolkit.files import is_remote

__all__ = ["VIEW_LIMIT", "Bev", "BevFrame", "footprint", "render_bev", "view_frame"]

VIEW_LIMIT = 150.0
"""No view reaches further than this many metres from the sensor along x or y."""
MIN_SPAN = 10.0
"""The smallest stretch of ground (metres) a view covers along either axis."""


@dataclass(frozen=True, slots=True)
class BevFrame:
    """Where the view is: ``x_max``/``y_max`` (metres) at the picture's top-left corner,
    ``ppm`` pixels a metre, and the picture's size."""

    x_max: float
    y_max: float
    ppm: float
    width: int
    height: int

    def to_pixel(self, x: float, y: float) -> Point:
        """Pillow drawing coordinate ``(column, row)`` of ground point ``(x, y)`` (metres)."""
        return ((self.y_max - y) * self.ppm, (self.x_max - x) * self.ppm)


@dataclass(slots=True)
class Bev:
    """A rendered bird's-eye view, its frame and the notes for the user."""

    image: Image.Image
    frame: BevFrame
    legend: str
    """How to read the view (axes, ring spacing), for the caption under it."""
    notes: list[str] = field(default_factory=list)


def footprint(cuboid: Cuboid) -> list[tuple[float, float]]:
    """The cuboid's four ground corners ``(x, y)`` in metres: front-left, front-right,
    back-right, back-left (front: the end its yaw points to)."""
    cx, cy, _ = cuboid.position
    length, width, _ = cuboid.dimensions
    c, s = math.cos(cuboid.yaw), math.sin(cuboid.yaw)
    out = []
    for along, across in ((1, 1), (1, -1), (-1, -1), (-1, 1)):
        dx, dy = along * length / 2, across * width / 2
        out.append((cx + c * dx - s * dy, cy + s * dx + c * dy))
    return out


def _finite_xy(
    xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    keep = np.isfinite(xs) & np.isfinite(ys)
    return np.clip(xs[keep], -VIEW_LIMIT, VIEW_LIMIT), np.clip(ys[keep], -VIEW_LIMIT, VIEW_LIMIT)


def view_frame(
    points: npt.NDArray[np.float32] | None, cuboids: Sequence[Cuboid], size: int
) -> BevFrame:
    """The view holding the sensor, every cuboid and the points (their 0.5th to 99.5th
    percentile on each axis, so a few stray returns do not shrink the rest), within
    :data:`VIEW_LIMIT` metres, padded, ``size`` pixels on its longer side."""
    xs: list[float] = [0.0]
    ys: list[float] = [0.0]
    if points is not None and len(points):
        px, py = _finite_xy(points[:, 0].astype(np.float64), points[:, 1].astype(np.float64))
        if px.size:
            xs += np.percentile(px, [0.5, 99.5]).tolist()
            ys += np.percentile(py, [0.5, 99.5]).tolist()
    corners = [p for c in cuboids for p in footprint(c)]
    if corners:
        cx, cy = _finite_xy(np.array([p[0] for p in corners]), np.array([p[1] for p in corners]))
        xs += cx.tolist()
        ys += cy.tolist()
    lo_x, hi_x, lo_y, hi_y = min(xs), max(xs), min(ys), max(ys)
    pad = max(2.0, 0.05 * max(hi_x - lo_x, hi_y - lo_y))
    span_x = max(hi_x - lo_x + 2 * pad, MIN_SPAN)
    span_y = max(hi_y - lo_y + 2 * pad, MIN_SPAN)
    ppm = size / max(span_x, span_y)
    x_max = (lo_x + hi_x) / 2 + span_x / 2
    y_max = (lo_y + hi_y) / 2 + span_y / 2
    return BevFrame(x_max, y_max, ppm, max(1, round(span_y * ppm)), max(1, round(span_x * ppm)))


def _raster_points(
    frame: BevFrame, points: npt.NDArray[np.float32] | None, ground: Image.Image
) -> Image.Image:
    """``ground`` with the points drawn over it (2x2 pixels each, 1x1 past 20,000 points)."""
    canvas = np.array(ground)
    if points is None or not len(points):
        return Image.fromarray(canvas)
    with np.errstate(invalid="ignore"):
        cols = np.floor((frame.y_max - points[:, 1]) * frame.ppm)
        rows = np.floor((frame.x_max - points[:, 0]) * frame.ppm)
        keep = (cols >= 0) & (cols < frame.width) & (rows >= 0) & (rows < frame.height)
    intensity = np.nan_to_num(np.clip(points[keep, 3], 0.0, 1.0))
    order = np.argsort(intensity, kind="stable")
    cols, rows = cols[keep][order].astype(np.intp), rows[keep][order].astype(np.intp)
    level = (90 + 165 * intensity[order]).astype(np.float32)
    colour = np.stack([level * 0.80, level * 0.90, level], axis=1).astype(np.uint8)
    dot = 2 if len(points) <= 20_000 else 1
    for dr in range(dot):
        for dc in range(dot):
            r, c = np.minimum(rows + dr, frame.height - 1), np.minimum(cols + dc, frame.width - 1)
            canvas[r, c] = colour
    return Image.fromarray(canvas)


def _ring_step(frame: BevFrame) -> float:
    span = max(frame.width, frame.height) / frame.ppm
    return next((s for s in (2.0, 5.0, 10.0, 20.0, 50.0) if span / s <= 10), 100.0)


def _draw_grid(draw: ImageDraw.ImageDraw, frame: BevFrame, line: int) -> str:
    """Axes and range rings around the sensor; returns the legend."""
    ox, oy = frame.to_pixel(0.0, 0.0)
    step = _ring_step(frame)
    reach = math.hypot(frame.width, frame.height) / frame.ppm + step
    r = step
    while r <= reach:
        rp = r * frame.ppm
        draw.ellipse([ox - rp, oy - rp, ox + rp, oy + rp], outline=BEV_GRID, width=1)
        r += step
    draw.line([(ox, 0), (ox, frame.height)], fill=BEV_GRID, width=1)
    draw.line([(0, oy), (frame.width, oy)], fill=BEV_GRID, width=1)
    return f"top-down: x forward = up, y left = left; rings every {step:g} m"


def _draw_sensor(draw: ImageDraw.ImageDraw, frame: BevFrame, line: int) -> None:
    """The sensor (the frame's origin): a white triangle pointing forward (+x, up)."""
    ox, oy = frame.to_pixel(0.0, 0.0)
    t = 3 * line + 3
    draw.polygon([(ox, oy - 1.5 * t), (ox - t, oy + t), (ox + t, oy + t)], fill=(255, 255, 255))


def _draw_cuboid(
    draw: ImageDraw.ImageDraw, frame: BevFrame, cuboid: Cuboid, line: int
) -> Point | None:
    """Footprint, thicker front edge and heading line; returns where its tag goes."""
    corners = [frame.to_pixel(x, y) for x, y in footprint(cuboid)]
    if not all(math.isfinite(v) for p in corners for v in p):
        return None
    colour = label_colour(cuboid.label)
    size = (frame.width, frame.height)
    dashed = cuboid.prediction
    draw_path(draw, size, corners, colour, line, closed=True, dashed=dashed)
    draw_path(draw, size, corners[:2], colour, 2 * line, dashed=dashed)
    centre = frame.to_pixel(cuboid.position[0], cuboid.position[1])
    front = ((corners[0][0] + corners[1][0]) / 2, (corners[0][1] + corners[1][1]) / 2)
    draw_path(draw, size, [centre, front], colour, line, dashed=dashed)
    return min(corners, key=lambda p: (p[1], p[0]))


def _load_points(item: Item, notes: list[str]) -> npt.NDArray[np.float32] | None:
    """The item's points, or ``None`` with a note when they cannot be read here."""
    media = item.media
    if not isinstance(media, PointCloudMedia):
        notes.append("no point cloud: cuboids drawn on an empty view")
        return None
    if media.points is None:
        if media.path is None:
            notes.append("the point cloud has neither points nor a path: not drawn")
            return None
        if is_remote(media.path) or not Path(media.path).is_file():
            where = "is not a local file" if is_remote(media.path) else "not found"
            notes.append(f"point cloud {printable(media.path)} {where}: cuboids only")
            return None
    points = media.load()
    if points.ndim != 2 or points.shape[1] < 4:
        notes.append(f"point cloud array has shape {points.shape}, not (N, 4): not drawn")
        return None
    return points


def render_bev(item: Item, *, size: int) -> Bev:
    """The bird's-eye view of ``item`` (see the module docstring), ``size`` pixels on its
    longer side; annotations other than cuboids are counted in a note, not drawn."""
    notes: list[str] = []
    points = _load_points(item, notes)
    cuboids = [a for a in item.annotations if isinstance(a, Cuboid)]
    frame = view_frame(points, cuboids, size)
    line = max(2, round(size / 400))
    ground = Image.new("RGB", (frame.width, frame.height), BEV_BACKGROUND)
    legend = _draw_grid(ImageDraw.Draw(ground), frame, line)
    image = _raster_points(frame, points, ground)
    draw = ImageDraw.Draw(image)
    _draw_sensor(draw, frame, line)
    tags = []
    for cuboid in cuboids:
        anchor = _draw_cuboid(draw, frame, cuboid, line)
        if anchor is not None:
            tags.append((anchor, tag_text(cuboid), label_colour(cuboid.label)))
    face = font(min(20, max(11, size // 50)))
    layout = TagLayout(draw, (frame.width, frame.height), face)
    for anchor, text, colour in tags:
        layout.draw(anchor, text, colour)
    outside = sum(1 for c in cuboids if max(abs(c.position[0]), abs(c.position[1])) > VIEW_LIMIT)
    if outside:
        notes.append(f"{outside} cuboids lie beyond {VIEW_LIMIT:g} m and are cut off")
    return Bev(image, frame, legend, notes)
