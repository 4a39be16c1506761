"""Vector annotations drawn on an item's canvas: boxes, polygons, polylines, keypoints.

Conventions: geometry is in the model's continuous pixel coordinates (origin at the top-left
corner of the top-left pixel, x right, y down), placed on the picture by
:meth:`~nucleus_convert.drawing.canvas.Canvas.at`. Each annotation is drawn in its label's
colour (:func:`~nucleus_convert.drawing.colours.label_colour`): outlines opaque, polygon
interiors translucent; a prediction's lines are dashed and its tag carries its score. Tags
(label, ``#track id``, score) are queued on the canvas and drawn over every shape at the end
(:func:`draw_tags`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from PIL import Image, ImageDraw

from nucleus_convert.drawing.canvas import Canvas, Tag
from nucleus_convert.drawing.colours import label_colour
from nucleus_convert.drawing.strokes import Point, clip_polygon, draw_path
from nucleus_convert.drawing.text import TagLayout
from nucleus_convert.model import (
    Annotation,
    Box,
    Keypoints,
    Polygon,
    Polyline,
    Skeleton,
    Visibility,
)

__all__ = ["FILL_ALPHA", "draw_shapes", "draw_tags", "tag_text"]

FILL_ALPHA = 56
"""Opacity (0..255) of a polygon's interior."""


def tag_text(ann: Annotation) -> str:
    """What a shape's tag says: its label, ``#`` and its track id when it has one, and its
    score when it is a prediction (``pred`` for a prediction without a score)."""
    parts = [ann.label or "(no label)"]
    if ann.track_id:
        parts.append(f"#{ann.track_id}")
    if ann.prediction:
        parts.append("pred" if ann.score is None else f"{ann.score:.2f}")
    return " ".join(parts)


def draw_shapes(
    canvas: Canvas, annotations: Sequence[Annotation], skeletons: Mapping[str, Skeleton]
) -> None:
    """Draw the item's polygons (interiors first, all translucent), then the outlines of
    polygons, polylines and boxes, then keypoints with their skeleton (the annotation's own,
    else the one the header declares for its label); queue a tag per shape."""
    polygons = [a for a in annotations if isinstance(a, Polygon)]
    if polygons:
        _fill_polygons(canvas, polygons)
    draw = ImageDraw.Draw(canvas.image)
    for ann in annotations:
        if isinstance(ann, Polygon | Polyline):
            _draw_chain(canvas, draw, ann, closed=isinstance(ann, Polygon))
        elif isinstance(ann, Box):
            _draw_box(canvas, draw, ann)
    for ann in annotations:
        if isinstance(ann, Keypoints):
            skeleton = skeletons.get(ann.label)
            edges = (
                ann.skeleton if ann.skeleton is not None else (skeleton.edges if skeleton else [])
            )
            _draw_keypoints(canvas, draw, ann, edges)


def _fill_polygons(canvas: Canvas, polygons: list[Polygon]) -> None:
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    w, h = canvas.size
    for ann in polygons:
        ring = clip_polygon([canvas.at(x, y) for x, y in ann.points], w, h, 2.0)
        if len(ring) >= 3:
            draw.polygon(ring, fill=(*label_colour(ann.label), FILL_ALPHA))
    canvas.image = Image.alpha_composite(canvas.image.convert("RGBA"), layer).convert("RGB")


def _draw_chain(
    canvas: Canvas, draw: ImageDraw.ImageDraw, ann: Polygon | Polyline, *, closed: bool
) -> None:
    points = [canvas.at(x, y) for x, y in ann.points]
    colour = label_colour(ann.label)
    draw_path(draw, canvas.size, points, colour, canvas.line, closed=closed, dashed=ann.prediction)
    if _on_picture(canvas, points):
        _queue_tag(canvas, ann, (min(p[0] for p in points), min(p[1] for p in points)))


def _draw_box(canvas: Canvas, draw: ImageDraw.ImageDraw, box: Box) -> None:
    x0, y0 = canvas.at(box.x, box.y)
    x1, y1 = canvas.at(box.x + box.width, box.y + box.height)
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    colour = label_colour(box.label)
    draw_path(draw, canvas.size, corners, colour, canvas.line, closed=True, dashed=box.prediction)
    if _on_picture(canvas, corners):
        _queue_tag(canvas, box, (min(x0, x1), min(y0, y1)))


def _draw_keypoints(
    canvas: Canvas, draw: ImageDraw.ImageDraw, ann: Keypoints, edges: Sequence[tuple[int, int]]
) -> None:
    """Skeleton edges between placed points (visible or hidden), then the points: visible
    ones filled, hidden ones as rings; unlabelled points are not drawn."""
    placed: dict[int, Point] = {}
    for i, p in enumerate(ann.points):
        if p.x is not None and p.y is not None and p.visibility != Visibility.UNLABELLED:
            placed[i] = canvas.at(p.x, p.y)
    colour = label_colour(ann.label)
    for a, b in edges:
        if a in placed and b in placed:
            draw_path(
                draw, canvas.size, [placed[a], placed[b]], colour, canvas.line,
                dashed=ann.prediction,
            )  # fmt: skip
    r = canvas.line + 1
    w, h = canvas.size
    for i, (x, y) in placed.items():
        if not (-r <= x <= w + r and -r <= y <= h + r):
            continue
        if ann.points[i].visibility == Visibility.VISIBLE:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour, outline=(0, 0, 0))
        else:
            draw.ellipse([x - r, y - r, x + r, y + r], outline=colour, width=1)
    if _on_picture(canvas, list(placed.values())):
        left = min(p[0] for p in placed.values())
        top = min(p[1] for p in placed.values())
        _queue_tag(canvas, ann, (left, top - r))


def _on_picture(canvas: Canvas, points: Sequence[Point]) -> bool:
    """Whether the bounding box of ``points`` (drawing coordinates) meets the picture, so
    that a shape wholly off the picture gets no tag either."""
    xs = [p[0] for p in points if math.isfinite(p[0]) and math.isfinite(p[1])]
    ys = [p[1] for p in points if math.isfinite(p[0]) and math.isfinite(p[1])]
    if not xs:
        return False
    w, h = canvas.size
    return max(xs) >= 0 and min(xs) <= w and max(ys) >= 0 and min(ys) <= h


def _queue_tag(canvas: Canvas, ann: Annotation, anchor: Point) -> None:
    if not (math.isfinite(anchor[0]) and math.isfinite(anchor[1])):
        return
    canvas.tags.append(Tag(anchor, tag_text(ann), label_colour(ann.label)))


def draw_tags(canvas: Canvas) -> None:
    """Draw the queued tags, in order, over everything else, not covering one another
    (:class:`~nucleus_convert.drawing.text.TagLayout`)."""
    layout = TagLayout(ImageDraw.Draw(canvas.image), canvas.size, canvas.face)
    for tag in canvas.tags:
        layout.draw(tag.anchor, tag.text, tag.colour)
    canvas.tags.clear()
