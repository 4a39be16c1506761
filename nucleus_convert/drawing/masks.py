"""Pixel annotations drawn on an item's canvas: instance masks and segmentations.

Conventions: a mask is a ``(height, width)`` array over the item's image, row-major, origin at
the top-left pixel; it is laid on the picture by nearest-neighbour sampling (pixel ``(i, j)``
of the picture takes the mask value under its centre), so a mask of another size than the
image is stretched over it and said so in a note. Each label's pixels are blended with its
colour at :data:`MASK_ALPHA`; a prediction's are hatched (every other diagonal band left
untouched), the pixel counterpart of a dashed line. Segments whose label only means "nothing"
(:data:`UNFILLED_SEGMENTS`) are not tinted.

Pixels are decoded within the project's limits: an RLE's ``size`` is checked before
pycocotools allocates it (:func:`~nucleus_convert.geometry.rle.check_rle`), an index PNG's
header before it is decoded (:func:`~nucleus_convert.geometry.masks.read_index_png`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from nucleus_convert.drawing.canvas import Canvas, Tag
from nucleus_convert.drawing.colours import label_colour
from nucleus_convert.drawing.draw2d import tag_text
from nucleus_convert.drawing.text import printable
from nucleus_convert.errors import InputError
from nucleus_convert.geometry import rle as rle_utils
from nucleus_convert.geometry.masks import read_index_png
from nucleus_convert.model import Annotation, InstanceMask, Segmentation
from nucleus_convert.toolkit.files import is_remote

__all__ = [
    "MASK_ALPHA",
    "UNFILLED_SEGMENTS",
    "draw_masks",
    "hatch",
    "resample_nearest",
]

MASK_ALPHA = 0.45
"""How much of a label's colour a masked pixel takes (the rest is the image)."""

UNFILLED_SEGMENTS = frozenset({"background", "unlabeled", "unlabelled"})
"""Segment labels (compared in lower case) left untinted: they cover what nobody labelled."""


def resample_nearest(mask: npt.NDArray[Any], width: int, height: int) -> npt.NDArray[Any]:
    """``mask`` sampled onto a ``width x height`` grid: each output pixel takes the value
    under its centre (a whole-factor enlargement repeats each value in a block)."""
    mh, mw = mask.shape
    if (mw, mh) == (width, height):
        return mask
    rows = ((np.arange(height) + 0.5) * mh / height).astype(np.intp)
    cols = ((np.arange(width) + 0.5) * mw / width).astype(np.intp)
    out: npt.NDArray[Any] = mask[
        np.minimum(rows, mh - 1)[:, None], np.minimum(cols, mw - 1)[None, :]
    ]
    return out


def hatch(width: int, height: int, band: int) -> npt.NDArray[np.bool_]:
    """``True`` on every other diagonal band ``band`` pixels wide (``(x + y) // band`` even):
    where a prediction's mask is tinted."""
    yy, xx = np.indices((height, width))
    keep: npt.NDArray[np.bool_] = ((xx + yy) // max(1, band)) % 2 == 0
    return keep


def draw_masks(
    canvas: Canvas, annotations: Sequence[Annotation], reference_id: str, max_pixels: int | None
) -> None:
    """Blend every instance mask and segmentation of the item onto the canvas (instance masks
    over segmentations) and queue a tag per mask and per tinted segment."""
    for ann in annotations:
        if isinstance(ann, Segmentation):
            _draw_segmentation(canvas, ann, max_pixels)
    for ann in annotations:
        if isinstance(ann, InstanceMask):
            _draw_instance(canvas, ann, reference_id, max_pixels)


def _draw_instance(
    canvas: Canvas, ann: InstanceMask, reference_id: str, max_pixels: int | None
) -> None:
    problem = rle_utils.check_rle(ann.rle, max_pixels)
    if problem is not None:
        name = f"instance mask {ann.id!r}" if ann.id else f"instance mask of {ann.label!r}"
        raise InputError(problem, record=f"item {reference_id!r}, {name}")
    mask = rle_utils.decode(ann.rle)
    _check_size(canvas, mask, "instance mask")
    w, h = canvas.size
    on = resample_nearest(mask, w, h).astype(bool)
    if ann.prediction:
        on &= hatch(w, h, 2 * canvas.line)
    colour = label_colour(ann.label)
    _blend(canvas, on, np.array(colour, dtype=np.float32))
    ys, xs = np.nonzero(on)
    if xs.size:
        canvas.tags.append(Tag((float(xs.min()), float(ys.min())), tag_text(ann), colour))


def _draw_segmentation(canvas: Canvas, ann: Segmentation, max_pixels: int | None) -> None:
    index = _load_index(canvas, ann, max_pixels)
    if index is None:
        return
    _check_size(canvas, index, "segmentation mask")
    w, h = canvas.size
    values, inverse = np.unique(resample_nearest(index, w, h), return_inverse=True)
    inverse = inverse.reshape(h, w)
    labels = {s.index: s.label for s in ann.segments}
    lut = np.zeros((values.size, 3), dtype=np.float32)
    tinted = np.zeros(values.size, dtype=bool)
    for k, value in enumerate(values.tolist()):
        label = labels.get(value)
        if label is not None and label.lower() not in UNFILLED_SEGMENTS:
            lut[k] = label_colour(label)
            tinted[k] = True
    on = tinted[inverse]
    if ann.prediction:
        on &= hatch(w, h, 2 * canvas.line)
    _blend(canvas, on, lut[inverse])
    _queue_segment_tags(canvas, ann, values, inverse, tinted, labels)


def _queue_segment_tags(
    canvas: Canvas,
    ann: Segmentation,
    values: npt.NDArray[Any],
    inverse: npt.NDArray[np.intp],
    tinted: npt.NDArray[np.bool_],
    labels: dict[int, str],
) -> None:
    """A tag at the centroid of each tinted segment's pixels."""
    counts = np.bincount(inverse.ravel(), minlength=values.size)
    yy, xx = np.indices(inverse.shape)
    sum_x = np.bincount(inverse.ravel(), weights=xx.ravel(), minlength=values.size)
    sum_y = np.bincount(inverse.ravel(), weights=yy.ravel(), minlength=values.size)
    suffix = "" if not ann.prediction else (" pred" if ann.score is None else f" {ann.score:.2f}")
    for k in np.flatnonzero(tinted & (counts > 0)).tolist():
        label = labels[int(values[k])]
        anchor = (float(sum_x[k] / counts[k]), float(sum_y[k] / counts[k]))
        canvas.tags.append(Tag(anchor, label + suffix, label_colour(label)))


def _load_index(
    canvas: Canvas, ann: Segmentation, max_pixels: int | None
) -> npt.NDArray[Any] | None:
    """The segmentation's index array, or ``None`` (and a note) when its PNG is not here."""
    ref = ann.mask
    if ref.array is not None:
        return np.asarray(ref.array)
    if ref.path is None:
        canvas.notes.append("a segmentation has neither pixels nor a mask file: not drawn")
        return None
    if is_remote(ref.path) or not Path(ref.path).is_file():
        where = "is not a local file" if is_remote(ref.path) else "not found"
        canvas.notes.append(f"segmentation mask {printable(ref.path)} {where}: not drawn")
        return None
    return read_index_png(Path(ref.path), max_pixels=max_pixels)


def _check_size(canvas: Canvas, mask: npt.NDArray[Any], what: str) -> None:
    """A note when a mask is not the size of the image under it (it is stretched over it)."""
    if mask.ndim != 2:
        raise InputError(f"{what} has shape {mask.shape}, not (height, width)")
    expect = canvas.source_size
    if (mask.shape[1], mask.shape[0]) != expect:
        canvas.notes.append(
            f"{what} is {mask.shape[1]}x{mask.shape[0]} pixels, the image {expect[0]}x"
            f"{expect[1]}: stretched over it"
        )


def _blend(canvas: Canvas, on: npt.NDArray[np.bool_], colour: npt.NDArray[np.float32]) -> None:
    """Mix ``colour`` (one RGB, or an ``(h, w, 3)`` array) into the picture where ``on``."""
    if not on.any():
        return
    pixels = np.asarray(canvas.image, dtype=np.float32)
    mixed = pixels * (1 - MASK_ALPHA) + colour * MASK_ALPHA
    out = np.where(on[..., None], mixed, pixels)
    canvas.image = Image.fromarray(np.rint(out).astype(np.uint8))
