"""The picture an item's annotations are drawn on: its image, scaled, or a blank canvas.

Conventions:

* Model coordinates are continuous pixels of the item's image: ``(0, 0)`` is the top-left
  corner of the top-left pixel, x to the right, y down. A preview is the image scaled by
  :attr:`Canvas.scale` (an integer factor up to 8 for small images, so that each source pixel
  is a block of identical pixels; a fraction for images larger than ``max_size``), and a model
  point ``(x, y)`` is drawn at Pillow coordinate ``(x * scale - 0.5, y * scale - 0.5)``
  (:meth:`Canvas.at`; Pillow's integer coordinates are pixel centres).
* An image is read only when it is a regular local file, through
  :func:`~nucleus_convert.toolkit.limits.open_image` (its header's size checked against the
  pixel limit before any pixel is decoded; every decoder error one :class:`InputError` line).
  A missing file, a URL or an item without an image gives a blank grey canvas of the item's
  size (its declared width and height, or else the extent of its annotations, or else
  640x480), crossed out and captioned, and a note saying so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from nucleus_convert.drawing.colours import BLANK, BLANK_MARK
from nucleus_convert.drawing.text import Font, font, printable, text_box
from nucleus_convert.model import (
    Box,
    ImageMedia,
    InstanceMask,
    Item,
    Keypoints,
    Polygon,
    Polyline,
    Segmentation,
)
from nucleus_convert.toolkit.files import is_remote
from nucleus_convert.toolkit.images import regular_local_file
from nucleus_convert.toolkit.limits import open_image

__all__ = [
    "DEFAULT_SIZE",
    "EXTENT_MARGIN",
    "MAX_UPSCALE",
    "MIN_SIZE",
    "Canvas",
    "Tag",
    "annotation_extent",
    "blank_canvas",
    "item_canvas",
    "render_scale",
]

MIN_SIZE = 320
"""Images whose longer side is shorter than this are enlarged by a whole factor."""
MAX_UPSCALE = 8
"""The largest factor a small image is enlarged by."""
EXTENT_MARGIN = 1.05
"""A canvas sized from the annotations reaches this much past their far corner."""
DEFAULT_SIZE = (640, 480)
"""The blank canvas of an item that says nothing about its size and has no geometry."""


@dataclass(slots=True)
class Tag:
    """A label to draw over the shapes once they are all drawn (drawing coordinates)."""

    anchor: tuple[float, float]
    text: str
    colour: tuple[int, int, int]


@dataclass(slots=True)
class Canvas:
    """An item's picture being drawn on: the image scaled by ``scale`` (RGB), the line width
    and font that suit its size, the tags to draw last and the notes for the user."""

    image: Image.Image
    scale: float
    source_size: tuple[int, int]
    """``(width, height)`` of the image (or blank canvas) in model pixels, before scaling."""
    blank: bool = False
    notes: list[str] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    """Lines for the strip under the picture (whole-image categories)."""

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the picture in pixels."""
        return self.image.size

    @property
    def line(self) -> int:
        """Line width in pixels: 2, more on large pictures."""
        return max(2, round(max(self.image.size) / 500))

    @property
    def face(self) -> Font:
        """The font of the tags, sized to the picture."""
        return font(min(22, max(11, max(self.image.size) // 45)))

    def at(self, x: float, y: float) -> tuple[float, float]:
        """The Pillow drawing coordinate of model point ``(x, y)`` (continuous pixels)."""
        return (x * self.scale - 0.5, y * self.scale - 0.5)


def render_scale(width: int, height: int, max_size: int) -> float:
    """How much an image of ``width x height`` is scaled for its preview: down to fit
    ``max_size`` on its longer side, up by a whole factor (at most :data:`MAX_UPSCALE`) when
    that side is under :data:`MIN_SIZE`, else 1."""
    longest = max(width, height, 1)
    if longest > max_size:
        return max_size / longest
    if longest >= MIN_SIZE:
        return 1.0
    factor = min(MAX_UPSCALE, math.ceil(MIN_SIZE / longest))
    while factor > 1 and longest * factor > max_size:
        factor -= 1
    return float(factor)


def _scaled(width: int, height: int, scale: float) -> tuple[int, int]:
    return max(1, round(width * scale)), max(1, round(height * scale))


def item_canvas(item: Item, *, max_size: int, max_pixels: int | None) -> Canvas:
    """The canvas of an image item (or of an item without media): its image when it can be
    read here, else a blank canvas with a note (see the module docstring)."""
    media = item.media if isinstance(item.media, ImageMedia) else None
    declared = _declared_size(media)
    if media is None:
        return blank_canvas(item, declared, "no image", max_size)
    local = regular_local_file(media.path)
    if local is None:
        where = "is not a local file" if is_remote(media.path) else "not found"
        return blank_canvas(item, declared, f"image {printable(media.path)} {where}", max_size)
    return _image_canvas(local, declared, max_size, max_pixels)


def _declared_size(media: ImageMedia | None) -> tuple[int, int] | None:
    if media is None or not media.width or not media.height:
        return None
    if media.width < 0 or media.height < 0:
        return None
    return media.width, media.height


def _image_canvas(
    path: Path, declared: tuple[int, int] | None, max_size: int, max_pixels: int | None
) -> Canvas:
    """The image at ``path`` decoded (within the pixel limit) and scaled for its preview."""
    notes = []
    with open_image(path, max_pixels=max_pixels, what="image") as im:
        width, height = im.size
        scale = render_scale(width, height, max_size)
        target = _scaled(width, height, scale)
        if scale < 1:
            im.draft("RGB", target)  # JPEG: decode at a reduced size where it can
        rgb = im.convert("RGB")
        if rgb.size != target:
            method = Image.Resampling.NEAREST if scale >= 1 else Image.Resampling.LANCZOS
            rgb = rgb.resize(target, method)
    if declared is not None and declared != (width, height):
        notes.append(
            f"image is {width}x{height} pixels but the item says {declared[0]}x{declared[1]}; "
            "drawn on the image as it is"
        )
    return Canvas(rgb, scale, (width, height), notes=notes)


def blank_canvas(item: Item, declared: tuple[int, int] | None, why: str, max_size: int) -> Canvas:
    """A grey canvas of the item's size (scaled as its image would be), crossed out and
    captioned with ``why``, and a note saying so."""
    size, how = declared, ""
    if size is None:
        size = annotation_extent(item)
        how = " (size from the annotations)" if size is not None else " (size unknown)"
    if size is None:
        size = DEFAULT_SIZE
    scale = render_scale(size[0], size[1], max_size)
    image = Image.new("RGB", _scaled(size[0], size[1], scale), BLANK)
    canvas = Canvas(image, scale, size, blank=True)
    _cross_out(canvas, why)
    canvas.notes.append(f"{why}: drawn on a blank {size[0]}x{size[1]} canvas{how}")
    return canvas


def _cross_out(canvas: Canvas, why: str) -> None:
    """The visible mark of a blank canvas: both diagonals and ``why`` in the middle."""
    draw = ImageDraw.Draw(canvas.image)
    w, h = canvas.size
    draw.line([(0, 0), (w - 1, h - 1)], fill=BLANK_MARK, width=1)
    draw.line([(0, h - 1), (w - 1, 0)], fill=BLANK_MARK, width=1)
    face = canvas.face
    text = printable(why, 60)
    tw, th = text_box(draw, text, face)
    draw.rectangle(
        [(w - tw) / 2 - 3, (h - th) / 2 - 3, (w + tw) / 2 + 3, (h + th) / 2 + 3], fill=BLANK
    )
    draw.text(((w - tw) / 2, (h - th) / 2), text, fill=BLANK_MARK, font=face)


def annotation_extent(item: Item) -> tuple[int, int] | None:
    """``(width, height)`` enclosing the item's 2D geometry (the size of its masks, the far
    corner of its boxes and vertices) with a margin of 5 %, or ``None`` when it has none."""
    right = bottom = 0.0
    for ann in item.annotations:
        if isinstance(ann, Box):
            right, bottom = max(right, ann.x + ann.width), max(bottom, ann.y + ann.height)
        elif isinstance(ann, Polygon | Polyline):
            for x, y in ann.points:
                right, bottom = max(right, x), max(bottom, y)
        elif isinstance(ann, Keypoints):
            for p in ann.points:
                if p.x is not None and p.y is not None:
                    right, bottom = max(right, p.x), max(bottom, p.y)
        elif isinstance(ann, InstanceMask):
            size = ann.rle.get("size")
            if isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) for v in size):
                right, bottom = max(right, size[1]), max(bottom, size[0])
        elif isinstance(ann, Segmentation) and ann.mask.array is not None:
            shape = ann.mask.array.shape
            right, bottom = max(right, shape[1]), max(bottom, shape[0])
    if not (math.isfinite(right) and math.isfinite(bottom)) or right <= 0 or bottom <= 0:
        return None
    return math.ceil(right * EXTENT_MARGIN), math.ceil(bottom * EXTENT_MARGIN)
