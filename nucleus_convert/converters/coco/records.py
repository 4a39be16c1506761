"""Pieces of one COCO annotation record, as the writer builds it from a group of model
annotations.

Conventions (COCO's): a record holds at most one box, one segmentation (polygon rings or one
RLE) and one keypoint set; polygons are flat ``[x1, y1, x2, y2, ...]`` rings; RLEs are written
as read (compressed counts as text); keypoints are ``[x, y, v]`` triplets with an unplaced point
written ``0, 0, 0``; ``area`` is computed with pycocotools from the mask or the rings (rasterised
at the image size when it is known, else the shoelace area).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from nucleus_convert.converters.coco.schema import is_coco_id
from nucleus_convert.geometry.rle import compress, polygons_to_rle, rle_area, rle_bbox
from nucleus_convert.model import (
    Annotation,
    Box,
    ImageCategory,
    InstanceMask,
    Keypoints,
    Polygon,
    Visibility,
)

__all__ = ["Group", "Ids", "flat_keypoints", "split_group", "ungrouped"]

Size = tuple[int | None, int | None]
"""``(height, width)`` of the image, each ``None`` when unknown."""


class Ids:
    """Keeps source ids where they are unique; hands out new ones after the largest int."""

    def __init__(self) -> None:
        self.used: set[Any] = set()
        self.pending: list[tuple[dict[str, Any], str]] = []

    def claim(self, wanted: Any, record: dict[str, Any], key: str = "id") -> None:
        if is_coco_id(wanted) and wanted not in self.used:
            self.used.add(wanted)
            record[key] = wanted
        else:
            self.pending.append((record, key))

    def assign(self) -> int:
        """Give every pending record a fresh integer id; return how many were assigned."""
        start = max((v for v in self.used if isinstance(v, int)), default=0) + 1
        for n, (record, key) in enumerate(self.pending):
            record[key] = start + n
        assigned = len(self.pending)
        self.pending = []
        return assigned


@dataclass(slots=True)
class Group:
    """The members of one COCO record, by kind, and those that need records of their own."""

    boxes: list[Box] = field(default_factory=list)
    polygons: list[Polygon] = field(default_factory=list)
    masks: list[InstanceMask] = field(default_factory=list)
    keypoints: list[Keypoints] = field(default_factory=list)
    categories: list[ImageCategory] = field(default_factory=list)
    members: list[Annotation] = field(default_factory=list)
    """The annotations this record holds, in their original order."""
    spare: list[Annotation] = field(default_factory=list)
    """Annotations of the group that do not fit the record (a second box, ...)."""

    @property
    def mask(self) -> InstanceMask | None:
        """The record's RLE: its mask when it has no polygons."""
        return self.masks[0] if self.masks and not self.polygons else None

    @property
    def full(self) -> bool:
        """True for a ground-truth object record (not a result, not an image label): it gets
        ``segmentation``, ``area``, ``bbox`` and ``iscrowd`` even when the model has none."""
        return not self.members[0].prediction and not self.categories

    def segmentation(self) -> Any:
        """The record's ``segmentation``: polygon rings, the RLE, or ``None``."""
        if self.polygons:
            return [[c for point in p.points for c in point] for p in self.polygons]
        mask = self.mask
        if mask is None:
            return None
        if isinstance(mask.rle.get("counts"), bytes):
            return compress(mask.rle)
        return mask.rle

    def area(self, size: Size) -> float:
        """The area pycocotools gives the record's geometry (0.0 when it has none)."""
        mask = self.mask
        if mask is not None:
            return float(rle_area(mask.rle))
        if self.polygons:
            h, w = size
            rings = [[c for point in p.points for c in point] for p in self.polygons]
            if h is not None and w is not None:
                return float(rle_area(polygons_to_rle(rings, h, w)))
            return float(sum(_shoelace(p.points) for p in self.polygons))
        if self.boxes:
            return float(self.boxes[0].width * self.boxes[0].height)
        return 0.0

    def derived_bbox(self) -> list[float] | None:
        """A bbox computed from the rings, the mask or the labelled keypoints, if any."""
        if self.polygons:
            pts = np.array([pt for p in self.polygons for pt in p.points], dtype=float)
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            return [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]
        mask = self.mask
        if mask is not None:
            return rle_bbox(mask.rle)
        if self.keypoints:
            placed = [
                (p.x, p.y)
                for p in self.keypoints[0].points
                if p.x is not None and p.y is not None and p.visibility != Visibility.UNLABELLED
            ]
            if placed:
                xs, ys = zip(*placed, strict=True)
                return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        return None


def split_group(members: list[Annotation]) -> Group:
    """Sort a group's annotations into one COCO record and the spare ones.

    A record takes the first box, the first keypoint set, all polygon rings (or else the first
    mask) and, only when it has no geometry, the first image category; every other member is
    spare (written as a record of its own). Members of another kind are left to the caller.
    """
    group = Group()
    for a in members:
        if isinstance(a, Box):
            group.boxes.append(a)
        elif isinstance(a, Polygon):
            group.polygons.append(a)
        elif isinstance(a, InstanceMask):
            group.masks.append(a)
        elif isinstance(a, Keypoints):
            group.keypoints.append(a)
        elif isinstance(a, ImageCategory):
            group.categories.append(a)
    g = group
    spare: list[Annotation] = [*g.boxes[1:], *g.keypoints[1:]]
    spare += g.masks if g.polygons else g.masks[1:]
    spare += g.categories[1:]
    if g.boxes or g.polygons or g.masks or g.keypoints:
        spare += g.categories[:1]
        g.categories = []
    g.boxes, g.keypoints, g.categories = g.boxes[:1], g.keypoints[:1], g.categories[:1]
    if g.polygons:
        g.masks = []
    g.masks = g.masks[:1]
    g.spare = spare
    taken = {id(a) for a in spare}
    g.members = [a for a in members if id(a) not in taken]
    return g


def flat_keypoints(kp: Keypoints) -> list[Any]:
    """COCO's ``[x, y, v, ...]`` for a keypoint set (an unplaced point is ``0, 0, 0``)."""
    flat: list[Any] = []
    for p in kp.points:
        if p.x is None or p.y is None:
            flat += (0, 0, 0)
        else:
            flat += (p.x, p.y, int(p.visibility))
    return flat


def ungrouped(a: Annotation) -> Annotation:
    """A copy of ``a`` outside any group (a spare member gets a record of its own)."""
    return replace(a, group_id=None)


def _shoelace(points: list[tuple[float, float]]) -> float:
    pts = np.asarray(points, dtype=float)
    x, y = pts[:, 0], pts[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)
