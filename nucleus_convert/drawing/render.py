"""One item's preview: its image with every annotation drawn on it, or, for a point cloud,
a bird's-eye view with its cuboids; then the caption strip under it.

Conventions are those of the model (2D: continuous pixels, origin at the top-left corner of
the top-left pixel, y down; 3D: right-handed, z up, metres), drawn as
:mod:`~nucleus_convert.drawing.canvas` (images) and :mod:`~nucleus_convert.drawing.bev`
(point clouds) say, each label in its own colour
(:func:`~nucleus_convert.drawing.colours.label_colour`). What cannot be drawn in a view is
never dropped silently: it is listed in the caption (categories) or counted in a note.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image

from nucleus_convert.drawing.bev import render_bev
from nucleus_convert.drawing.canvas import item_canvas
from nucleus_convert.drawing.caption import with_caption
from nucleus_convert.drawing.draw2d import draw_shapes, draw_tags
from nucleus_convert.drawing.masks import draw_masks
from nucleus_convert.model import (
    Annotation,
    Header,
    ImageCategory,
    Item,
    MultiCategory,
    PointCloudMedia,
)

__all__ = [
    "BEV_KINDS",
    "DEFAULT_MAX_SIZE",
    "IMAGE_KINDS",
    "Rendered",
    "Settings",
    "category_lines",
    "render_item",
]

DEFAULT_MAX_SIZE = 1024
"""The longest side of a preview's picture, in pixels, unless asked otherwise."""

IMAGE_KINDS = frozenset(
    {"box", "polygon", "polyline", "keypoints", "instance_mask", "segmentation"}
)
"""Kinds drawn on an image; categories go in the caption."""
BEV_KINDS = frozenset({"cuboid"})
"""Kinds drawn in a bird's-eye view; categories go in the caption."""
_CAPTIONED = frozenset({"category", "multicategory"})


@dataclass(frozen=True, slots=True)
class Settings:
    """How previews are drawn: ``max_size`` pixels on a picture's longer side, and the pixel
    limit of images and masks decoded (``None``: Pillow's decompression-bomb limit)."""

    max_size: int = DEFAULT_MAX_SIZE
    max_pixels: int | None = None


@dataclass(slots=True)
class Rendered:
    """An item's preview: ``picture`` (the view alone), ``image`` (with its caption: what is
    written), which ``view`` it is (``image`` or ``bev``), the scale of an image view (model
    pixels to picture pixels; ``None`` for a bird's-eye view) and the notes."""

    picture: Image.Image
    image: Image.Image
    view: str
    scale: float | None
    notes: list[str] = field(default_factory=list)


def _is_bev(item: Item) -> bool:
    """A point cloud item, or an item without media whose geometry is all cuboids."""
    if isinstance(item.media, PointCloudMedia):
        return True
    kinds = {a.kind for a in item.annotations} - _CAPTIONED
    return item.media is None and bool(kinds) and kinds <= BEV_KINDS


def render_item(item: Item, header: Header, settings: Settings) -> Rendered:
    """The preview of ``item`` (see the module docstring)."""
    title = f"{item.reference_id}  ({len(item.annotations)} annotations)"
    lines = category_lines(item.annotations)
    if _is_bev(item):
        bev = render_bev(item, size=min(settings.max_size, 800))
        notes = bev.notes + _not_drawn(item.annotations, BEV_KINDS, "in a bird's-eye view")
        image = with_caption(bev.image, title, [bev.legend, *lines], notes)
        return Rendered(bev.image, image, "bev", None, notes)
    canvas = item_canvas(item, max_size=settings.max_size, max_pixels=settings.max_pixels)
    draw_masks(canvas, item.annotations, item.reference_id, settings.max_pixels)
    draw_shapes(canvas, item.annotations, header.skeletons)
    draw_tags(canvas)
    notes = canvas.notes + _not_drawn(item.annotations, IMAGE_KINDS, "on an image")
    image = with_caption(canvas.image, title, lines, notes)
    return Rendered(canvas.image, image, "image", canvas.scale, notes)


def category_lines(annotations: Sequence[Annotation]) -> list[str]:
    """One caption line per whole-item category: ``category (taxonomy): label``, and
    ``prediction`` with the score for a predicted one."""
    out = []
    for ann in annotations:
        if isinstance(ann, ImageCategory | MultiCategory):
            where = f" ({ann.taxonomy})" if ann.taxonomy else ""
            names = ", ".join(ann.labels) if isinstance(ann, MultiCategory) else ann.label
            head = "categories" if isinstance(ann, MultiCategory) else "category"
            if ann.prediction:
                head += " prediction"
                names += "" if ann.score is None else f" {ann.score:.2f}"
            out.append(f"{head}{where}: {names}")
    return out


def _not_drawn(annotations: Sequence[Annotation], drawn: frozenset[str], where: str) -> list[str]:
    """A note per kind the view cannot draw (a cuboid on an image: no projection is made)."""
    counts = Counter(
        a.kind for a in annotations if a.kind not in drawn and a.kind not in _CAPTIONED
    )
    return [
        f"{n} {kind} annotation{'s' if n > 1 else ''} not drawn {where}"
        for kind, n in sorted(counts.items())
    ]
