"""CVAT's mask run-length encoding, to and from the model's COCO RLE.

CVAT's definition (its XML format page; the exporter and importer in
``cvat/apps/dataset_manager/formats/transformations.py``; the maintainers' answer in
cvat-ai/cvat#6487): ``<mask rle="..." left="L" top="T" width="W" height="H">`` holds the mask
cropped to the ``W x H`` pixel rectangle whose top-left pixel is column ``L``, row ``T`` of the
image (the tight box of the mask's pixels when CVAT writes it). ``rle`` is a comma-separated
list of run lengths over that rectangle's pixels in **row-major** order (left to right, then
top to bottom), alternating background and foreground and **starting with a background
run**, which is ``0`` when the first pixel is set. The runs cover the ``W x H`` pixels
(runs stopping short leave the rest background, as CVAT's own decoder does).

The model keeps the whole image's mask as a COCO RLE (column-major): reading places the crop
at ``(L, T)`` in an image-sized mask and encodes it (the image's size and the crop's are
checked against the pixel limit first: nothing is allocated for a hostile size); writing
crops to the tight box again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.converters.cvat.values import INT, Where
from nucleus_convert.geometry.rle import decode, encode
from nucleus_convert.toolkit.limits import pixels_problem

__all__ = ["CvatMask", "cvat_mask_to_rle", "parse_rle", "rle_to_cvat_mask"]

_MAX_RUN = 2**32 - 1


class CvatMask:
    """A mask as CVAT writes it: runs over the crop, and the crop's place and size."""

    __slots__ = ("height", "left", "runs", "top", "width")

    def __init__(self, runs: list[int], left: int, top: int, width: int, height: int) -> None:
        self.runs = runs
        self.left = left
        self.top = top
        self.width = width
        self.height = height

    def rle_text(self) -> str:
        return ", ".join(map(str, self.runs))


def parse_rle(text: str | None, where: Where) -> list[int]:
    """The run lengths of an ``rle`` attribute: non-negative whole numbers."""
    runs: list[int] = []
    for i, part in enumerate((text or "").split(",")):
        value = part.strip()
        if not INT.fullmatch(value) or value.startswith("-") or len(value) > 10:
            raise where.error(f"run {i} is {value[:20]!r}, not a run length", "rle")
        run = int(value)
        if run > _MAX_RUN:
            raise where.error(f"run {i} is longer than {_MAX_RUN} pixels", "rle")
        runs.append(run)
    return runs


def cvat_mask_to_rle(
    mask: CvatMask,
    image_size: tuple[int, int] | None,
    where: Where,
    max_pixels: int | None = None,
) -> dict[str, Any]:
    """The COCO RLE (compressed) of the image-sized mask a CVAT mask describes.

    ``image_size`` is ``(width, height)``; sizes past the pixel limit, a crop reaching past
    the image and runs covering more than the crop are refused before anything is allocated.
    """
    if image_size is None:
        raise where.error("a mask needs the image's width and height, which are not given")
    image_w, image_h = image_size
    for w, h, what in ((mask.width, mask.height, "the mask"), (image_w, image_h, "the image")):
        problem = pixels_problem(w, h, max_pixels)
        if problem is not None:
            raise where.error(f"{what} is too large: {problem}", "width")
    if mask.width < 1 or mask.height < 1:
        raise where.error("a mask is at least one pixel wide and high", "width")
    if mask.left + mask.width > image_w or mask.top + mask.height > image_h:
        raise where.error(
            f"the mask's {mask.width}x{mask.height} pixels at ({mask.left}, {mask.top}) reach "
            f"past the {image_w}x{image_h} image",
            "left",
        )
    area = mask.width * mask.height
    total = sum(mask.runs)
    if total > area:
        raise where.error(f"the runs cover {total} pixels but the mask has {area}", "rle")
    values = np.zeros(len(mask.runs), dtype=np.uint8)
    values[1::2] = 1
    crop = np.zeros(area, dtype=np.uint8)
    crop[:total] = np.repeat(values, np.asarray(mask.runs, dtype=np.int64))
    full = np.zeros((image_h, image_w), dtype=np.uint8)
    full[mask.top : mask.top + mask.height, mask.left : mask.left + mask.width] = crop.reshape(
        mask.height, mask.width
    )
    return encode(full)


def rle_to_cvat_mask(rle: dict[str, Any]) -> CvatMask | None:
    """The CVAT mask of a COCO RLE, cropped to its tight box; ``None`` when it is empty."""
    pixels: npt.NDArray[np.uint8] = decode(rle)
    rows = np.flatnonzero(pixels.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(pixels.any(axis=0))
    top, bottom, left, right = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    flat = pixels[top : bottom + 1, left : right + 1].ravel()
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = [int(r) for r in np.diff(bounds)]
    if flat[0]:
        runs.insert(0, 0)
    return CvatMask(runs, left, top, right - left + 1, bottom - top + 1)
