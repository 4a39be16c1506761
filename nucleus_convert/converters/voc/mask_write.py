"""Writing an item's segmentations as VOC ``SegmentationClass`` and ``SegmentationObject`` PNGs.

Conventions (the devkit's): both are palette PNGs; a class PNG holds label-map indices with the
label map's colours, an object PNG holds instance numbers ``1..254`` with the devkit colour map,
``0`` background and ``255`` void. Instance ``k`` is the ``k``-th ``object`` of the item's XML
where the segment is grouped with that object's box; other instances are numbered after the
objects (reported as approximated). A segmentation read from a VOC object PNG is numbered
already and is written as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.converters.voc.labels import VOID_INDEX, LabelMap, colormap
from nucleus_convert.converters.voc.masks import write_voc_png
from nucleus_convert.converters.voc.schema import CLASS_MASK_ID, OBJECT_MASK_ID
from nucleus_convert.errors import OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Box, Segment, Segmentation
from nucleus_convert.registry import WriteSummary

__all__ = ["MaskWriter", "is_instance"]

_INSTANCE_COLOURS = colormap()
Objects = list[tuple[Box, list[Box]]]
"""The item's XML objects in order: each main box with its part boxes."""


def is_instance(seg: Segmentation, labelmap: LabelMap) -> bool:
    """True for an instance segmentation: read from an object PNG, or with grouped segments
    or a label used twice (void and background aside)."""
    if seg.id in (OBJECT_MASK_ID, CLASS_MASK_ID):
        return seg.id == OBJECT_MASK_ID
    void = labelmap.void
    labels = [
        s.label
        for s in seg.segments
        if s.index not in (0, VOID_INDEX) and not (void is not None and s.label == void.name)
    ]
    return any(s.group_id is not None for s in seg.segments) or len(set(labels)) != len(labels)


class MaskWriter:
    """Writes the PNGs of one item at a time; ``target(folder, stem)`` gives each PNG's path
    (confined under the destination by the caller)."""

    def __init__(
        self,
        labelmap: LabelMap,
        report: LossReport,
        summary: WriteSummary,
        target: Callable[[str, str], Path],
    ) -> None:
        self.labelmap = labelmap
        self.report = report
        self.summary = summary
        self.target = target

    def write(
        self,
        segmentations: list[Segmentation],
        size: tuple[int, int] | None,
        stem: str,
        objects: Objects,
        where: str,
    ) -> bool:
        """Write the first class and the first instance segmentation (the others are counted
        as dropped); True when a PNG was written."""
        class_seg, object_seg = self._pick(segmentations, where)
        if class_seg is None and object_seg is None:
            return False
        written = False
        if object_seg is not None:
            arr = self._load(object_seg, size, where)
            if arr is not None:
                lut_obj = self._instance_lut(object_seg, objects, where)
                self._save(lut_obj[arr], "SegmentationObject", stem, _INSTANCE_COLOURS)
                if class_seg is None:
                    self._save(self._class_lut(object_seg)[arr], "SegmentationClass", stem)
                written = True
        if class_seg is not None:
            arr = self._load(class_seg, size, where)
            if arr is not None:
                self._save(self._class_lut(class_seg)[arr], "SegmentationClass", stem)
                written = True
        for seg in (s for s in (class_seg, object_seg) if s is not None):
            self._count_attributes(seg, where)
        return written

    def _pick(
        self, segmentations: list[Segmentation], where: str
    ) -> tuple[Segmentation | None, Segmentation | None]:
        class_seg: Segmentation | None = None
        object_seg: Segmentation | None = None
        for seg in segmentations:
            if is_instance(seg, self.labelmap):
                if object_seg is None:
                    object_seg = seg
                    continue
            elif class_seg is None:
                class_seg = seg
                continue
            self.report.dropped(
                "segmentation",
                reason="VOC keeps one class and one object mask per image",
                example=where,
            )
        return class_seg, object_seg

    def _count_attributes(self, seg: Segmentation, where: str) -> None:
        if seg.attributes:
            self.report.dropped("segmentation", "attributes", example=where)
        if any(s.attributes for s in seg.segments):
            self.report.dropped(
                "segmentation",
                "segments.attributes",
                reason="VOC masks carry a class or an instance number per pixel only",
                example=where,
            )

    def _load(
        self, seg: Segmentation, size: tuple[int, int] | None, where: str
    ) -> npt.NDArray[Any] | None:
        if not seg.mask.is_local():
            self.report.dropped(
                "segmentation", "mask", reason="mask pixels are not available here", example=where
            )
            return None
        arr = np.asarray(seg.mask.load())
        if size is not None and arr.shape != (size[1], size[0]):
            raise OutputError(
                f"{where}: segmentation mask is {arr.shape[1]}x{arr.shape[0]} but the image is "
                f"{size[0]}x{size[1]}"
            )
        if arr.size and int(arr.max()) > VOID_INDEX:
            raise OutputError(f"{where}: segmentation index {int(arr.max())} exceeds 255")
        return arr

    def _class_lut(self, seg: Segmentation) -> npt.NDArray[np.uint8]:
        lut = np.zeros(256, dtype=np.uint8)
        for s in seg.segments:
            spec = self.labelmap.get(s.label)
            if spec is None:
                try:
                    spec = self.labelmap.add(s.label)
                except ValueError as exc:
                    raise OutputError(f"segment {s.label!r}: {exc}") from None
            lut[s.index] = spec.index
        return lut

    def _instance_lut(
        self, seg: Segmentation, objects: Objects, where: str
    ) -> npt.NDArray[np.uint8]:
        """Segment value -> instance number (void stays 255, background 0)."""
        lut = np.zeros(256, dtype=np.uint8)
        void = self.labelmap.void
        background = self.labelmap.at(0)
        instances = []
        for s in seg.segments:
            if void is not None and s.label == void.name:
                lut[s.index] = VOID_INDEX
            elif background is None or s.label != background.name:
                instances.append(s)
        if seg.id == OBJECT_MASK_ID:  # numbered by VOC already
            for s in instances:
                lut[s.index] = s.index
            return lut
        pending = _number_by_object(lut, instances, objects)
        _number_after(lut, pending, objects, where)
        if pending:
            self.report.approximated(
                "segmentation",
                "segments.index",
                n=len(pending),
                reason="instances with no box of their own are numbered after the XML objects",
                example=where,
            )
        return lut

    def _save(
        self,
        arr: npt.NDArray[Any],
        folder: str,
        stem: str,
        colours: npt.NDArray[np.uint8] | None = None,
    ) -> None:
        table = self.labelmap.colour_table() if colours is None else colours
        write_voc_png(arr, self.target(folder, stem), table)
        self.summary.add(f"{folder} masks")


def _number_by_object(
    lut: npt.NDArray[np.uint8], instances: list[Segment], objects: Objects
) -> list[Segment]:
    """Give each instance grouped with an XML object that object's number (once); return the
    instances left to number."""
    position = {
        box.group_id: k for k, (box, _) in enumerate(objects, 1) if box.group_id is not None
    }
    used: set[int] = set()
    pending = []
    for s in instances:
        k = position.get(s.group_id) if s.group_id is not None else None
        if k is not None and k not in used and k < VOID_INDEX:
            lut[s.index] = k
            used.add(k)
        else:
            pending.append(s)
    return pending


def _number_after(
    lut: npt.NDArray[np.uint8], pending: list[Segment], objects: Objects, where: str
) -> None:
    """Number the pending instances after the XML objects, with numbers not yet used."""
    used = {int(v) for v in lut if 0 < v < VOID_INDEX}
    free = (k for k in range(len(objects) + 1, VOID_INDEX) if k not in used)
    for s in pending:
        k = next(free, None)
        if k is None:
            raise OutputError(f"{where}: more than 254 instances do not fit a VOC object PNG")
        lut[s.index] = k
