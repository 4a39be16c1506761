"""COCO panoptic PNGs: segment ids decoded from RGB and numbered into one index mask.

Conventions: a pixel's segment id is ``R + 256 G + 256^2 B`` (COCO panoptic's ``rgb2id``); id
0 is unlabelled; every other id present must be listed in the record's ``segments_info``, whose
``k``-th entry (1-based) becomes index ``k`` of the model's index mask (so at most 255).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.model import Segment
from nucleus_convert.toolkit.limits import open_image

__all__ = ["panoptic_ids", "panoptic_index"]


def panoptic_ids(
    png: Path, size: tuple[int, int] | None, max_pixels: int | None
) -> npt.NDArray[np.uint32]:
    """The ``(h, w)`` segment ids of ``png``; its header is checked (at most ``max_pixels``
    pixels, and ``size``, ``(width, height)``, when the image declares one) before decoding.
    Raises the :class:`InputError` of :func:`~nucleus_convert.toolkit.limits.open_image`."""
    with open_image(png, max_pixels=max_pixels, what="PNG", size=size) as im:
        rgb = np.asarray(im.convert("RGB"))
    ids = rgb[..., 2].astype(np.uint32)  # one uint32 array, no wider temporaries
    ids <<= 8
    ids |= rgb[..., 1]
    ids <<= 8
    ids |= rgb[..., 0]
    return ids


def panoptic_index(
    ids: npt.NDArray[np.uint32], infos: list[dict[str, Any]], labels: Mapping[Any, str]
) -> tuple[npt.NDArray[np.uint8], list[Segment], str | None]:
    """The index mask and segments of one record, and why the PNG disagrees with its
    ``segments_info`` (or None): more than 255 segments, or ids present but not listed."""
    if len(infos) > 255:
        problem = f"{len(infos)} segments; an index mask holds at most 255"
        return np.zeros((0, 0), np.uint8), [], problem
    index = np.zeros(ids.shape, dtype=np.uint8)
    segments = []
    for k, s in enumerate(infos, start=1):
        index[ids == s["id"]] = k
        attrs = {"coco_id": s["id"]}
        attrs.update((key, v) for key, v in s.items() if key not in ("id", "category_id"))
        segments.append(Segment(index=k, label=labels[s["category_id"]], attributes=attrs))
    unlisted = (index == 0) & (ids != 0)  # linear: no sort of the whole image
    if unlisted.any():
        stray = np.unique(ids[unlisted])[:5].tolist()
        return index, segments, f"has segment ids {stray} that segments_info does not list"
    return index, segments, None
