"""An item's segment sources for its COCO panoptic PNG: index-mask segments, instance masks and
polygon groups, in annotation order, with what each cannot keep counted.

Conventions: every source becomes one *layer* painted over the ones before it (see
:mod:`.panoptic_pixels`), and each of its segments one *piece*, numbered from 1 in the item.
A :class:`~nucleus_convert.model.Segmentation` is one layer whose pieces are its segments (mask
values no segment lists stay void); an :class:`~nucleus_convert.model.InstanceMask` is one
layer and one piece; polygons sharing a ``group_id`` are one layer and one piece (an object of
several rings), rasterised at the image size as pycocotools does. Only the side the file holds
is taken (ground truth, or predictions with ``content=predictions``). Mask and RLE sizes must be
the image's; when the image's size is unknown, the first mask gives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.converters.coco.panoptic_pixels import Canvas, binary_layer, index_layer
from nucleus_convert.errors import OutputError
from nucleus_convert.geometry.rle import check_rle, decode, polygons_to_rle
from nucleus_convert.loss import LossReport
from nucleus_convert.model import InstanceMask, Item, Polygon, Segmentation
from nucleus_convert.toolkit.losses import FieldLedger

__all__ = ["Layer", "Piece", "Pieces", "Size"]

Size = tuple[int, int]
"""``(height, width)`` of an image."""

_OTHER_SIDE = {
    False: "a COCO panoptic file holds one side: ground truth here (predictions with "
    "-w content=predictions)",
    True: "a COCO panoptic file holds one side: predictions here (-w content=predictions)",
}


@dataclass(slots=True)
class Piece:
    """One segment of the PNG being made, before its id is known."""

    label: str
    attributes: dict[str, Any]
    kind: str
    """The model kind it comes from (for the loss report)."""
    field: str
    """Where its attributes are in that kind: ``segments.attributes`` or ``attributes``."""
    where: str
    from_index: bool
    """A segment of an index mask: its own ``area`` and ``bbox`` (a panoptic source's) may be
    written as read while all its pixels survive."""
    index: int = 0
    """Its value in its index mask (segments of an index mask)."""


@dataclass(slots=True)
class Layer:
    """The pixels of one source: an index mask with the piece number of each listed value, an
    RLE, or polygon rings (rasterised only when painted, one layer at a time)."""

    kind: str
    numbers: dict[int, int] = field(default_factory=dict)
    index: npt.NDArray[Any] | None = None
    rle: dict[str, Any] | None = None
    rings: list[list[float]] = field(default_factory=list)
    number: int = 0

    def pixels(self, size: Size) -> Canvas:
        """The layer as piece numbers over an image of ``size``."""
        if self.index is not None:
            return index_layer(self.index, self.numbers)
        if self.rle is not None:
            return binary_layer(decode(self.rle), self.number)
        if not self.rings:
            return np.zeros(size, dtype=np.uint32)
        return binary_layer(decode(polygons_to_rle(self.rings, *size)), self.number)


@dataclass(slots=True)
class Pieces:
    """Collects the pieces and layers of one item (see the module docstring)."""

    where: str
    size: Size | None
    predictions: bool
    ledger: FieldLedger
    report: LossReport
    pieces: list[Piece] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)
    record_extra: dict[str, Any] = field(default_factory=dict)
    """The first segmentation's ``extra["coco_panoptic"]`` (its source record's other keys)."""
    segmentations: list[Segmentation] = field(default_factory=list)
    """The segmentations painted (their ids and extras are counted by the writer)."""
    _groups: dict[tuple[str, str], tuple[Layer, Piece]] = field(default_factory=dict)

    def add(self, item: Item) -> Pieces:
        """Take every annotation of ``item`` in order; return ``self``."""
        for ann in item.annotations:
            if not self.ledger.take(ann, self.where):
                continue
            where = f"{self.where}, {ann.kind} {ann.id!r}"
            if ann.prediction != self.predictions:
                self.report.dropped(ann.kind, reason=_OTHER_SIDE[self.predictions], example=where)
                continue
            if isinstance(ann, Segmentation):
                self.ledger.fields(ann, where, handled={"id", "extra"})
                self._segmentation(ann, where)
            elif isinstance(ann, InstanceMask):
                self.ledger.fields(ann, where)
                self._instance(ann, where)
            elif isinstance(ann, Polygon):
                self.ledger.fields(ann, where)
                self._polygon(ann, where)
        return self

    def _piece(self, piece: Piece) -> int:
        self.pieces.append(piece)
        return len(self.pieces)

    def _check_size(self, shape: tuple[int, ...], where: str, what: str) -> None:
        if self.size is None and len(shape) == 2:
            self.size = (int(shape[0]), int(shape[1]))
        if self.size is None or tuple(shape) != self.size:
            got = "x".join(str(int(v)) for v in shape)
            want = "unknown" if self.size is None else f"{self.size[0]}x{self.size[1]}"
            raise OutputError(f"{where}: {what} is {got} but the image is {want}")

    def _segmentation(self, ann: Segmentation, where: str) -> None:
        if not ann.mask.is_local():
            self.report.dropped(
                "segmentation",
                reason="mask pixels are not available here (remote URL)",
                example=where,
            )
            return
        pixels = np.asarray(ann.mask.load())
        self._check_size(pixels.shape, where, "field mask")
        if self.segmentations:
            self.report.approximated(
                "segmentation",
                reason="an image has one panoptic PNG: its segmentations are painted into one "
                "(later ones over earlier ones)",
                example=where,
            )
        self.segmentations.append(ann)
        self._extra(ann, where)
        layer = Layer("segmentation", index=pixels)
        for s in ann.segments:
            if s.group_id is not None:
                self.report.dropped(
                    "segmentation",
                    "segments.group_id",
                    reason="a COCO panoptic segment has no group",
                    example=where,
                )
            piece = Piece(
                s.label, dict(s.attributes or {}), "segmentation", "segments.attributes",
                f"{where}, segment {s.index}", from_index=True, index=int(s.index),
            )  # fmt: skip
            layer.numbers[int(s.index)] = self._piece(piece)
        self.layers.append(layer)

    def _extra(self, ann: Segmentation, where: str) -> None:
        """The panoptic record's own keys (``extra["coco_panoptic"]``) of the first
        segmentation; any other extra is counted."""
        mine = ann.extra.get("coco_panoptic")
        if isinstance(mine, dict) and not self.record_extra:
            self.record_extra = dict(mine)
        others = sorted(k for k in ann.extra if k != "coco_panoptic")
        if others:
            self.report.dropped(
                "segmentation",
                "extra",
                reason="another format's own fields have no place in COCO panoptic",
                example=f"{where}: {', '.join(others)}",
            )

    def _instance(self, ann: InstanceMask, where: str) -> None:
        rle = ann.rle
        if isinstance(rle.get("counts"), bytes):  # pycocotools' own form, as the API may hand it
            rle = {**rle, "counts": rle["counts"].decode("ascii", "replace")}
        problem = check_rle(rle)
        if problem is not None:
            raise OutputError(f"{where}: field rle: {problem}")
        h, w = rle["size"]
        self._check_size((int(h), int(w)), where, "field rle.size")
        number = self._piece(
            Piece(ann.label, dict(ann.attributes), "instance_mask", "attributes", where, False)
        )
        self.layers.append(Layer("instance_mask", rle=rle, number=number))
        self.report.approximated(
            "instance_mask",
            reason="became a segment of the image's panoptic PNG (read back as one "
            "segmentation per image)",
            example=where,
        )

    def _polygon(self, ann: Polygon, where: str) -> None:
        self.report.approximated(
            "polygon",
            reason="rasterised into the image's panoptic PNG as pycocotools does (read back "
            "as segments of one segmentation per image)",
            example=where,
        )
        if len(ann.points) < 3:
            self.report.dropped(
                "polygon", "points", reason="fewer than 3 points enclose no pixel", example=where
            )
            return
        ring = [float(c) for point in ann.points for c in point]
        # One segment per group and label: a group of several labels (CVAT groups a person
        # with their helmet) gives a segment per label, its grouping counted.
        key = (ann.group_id, ann.label) if ann.group_id is not None else ("", f"{len(self.layers)}")
        if ann.group_id is not None and any(
            g == ann.group_id and label != ann.label for g, label in self._groups
        ):
            self.report.approximated(
                "polygon",
                "group_id",
                reason="one panoptic segment has one category: a group of several labels is "
                "written as one segment per label",
                example=where,
            )
        found = self._groups.get(key)
        if found is None:
            piece = Piece(ann.label, dict(ann.attributes), "polygon", "attributes", where, False)
            layer = Layer("polygon", rings=[ring], number=self._piece(piece))
            self.layers.append(layer)
            self._groups[key] = (layer, piece)
            return
        layer, piece = found
        if ann.attributes and ann.attributes != piece.attributes:
            self.report.dropped(
                "polygon",
                "attributes",
                reason="one panoptic segment holds one set of attributes: its first ring's",
                example=where,
            )
        layer.rings.append(ring)
