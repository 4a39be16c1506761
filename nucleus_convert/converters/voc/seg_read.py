"""Reading VOC segmentation PNGs into model segmentations.

Conventions (the devkit's): a ``SegmentationClass`` PNG holds label-map indices, a
``SegmentationObject`` PNG instance numbers ``1..254`` (``0`` background, ``255`` void);
instance ``k`` is the ``k``-th ``object`` of the image's XML. An instance takes the most
frequent class its pixels have in the class PNG (else its XML object's label). When the two
PNGs agree (see :func:`_consistent`) they are one instance segmentation; otherwise the class
PNG is kept as a segmentation of its own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from nucleus_convert.converters.voc.labels import VOID_INDEX, LabelMap
from nucleus_convert.converters.voc.schema import CLASS_MASK_ID, OBJECT_MASK_ID
from nucleus_convert.errors import InputError
from nucleus_convert.model import Box, MaskRef, Segment, Segmentation

__all__ = ["class_segmentation", "object_segmentations"]


def class_segmentation(cls: npt.NDArray[np.uint8], labelmap: LabelMap) -> Segmentation:
    """The class PNG as a semantic segmentation: one segment per label index present."""
    segments = []
    for value in np.unique(cls).tolist():
        spec = labelmap.at(value)
        assert spec is not None  # checked when read
        segments.append(Segment(index=value, label=spec.name))
    return Segmentation(id=CLASS_MASK_ID, mask=MaskRef(array=cls), segments=segments)


def object_segmentations(
    obj: npt.NDArray[np.uint8],
    cls: npt.NDArray[np.uint8] | None,
    boxes: list[Box],
    obj_path: Path,
    labelmap: LabelMap,
) -> list[Segmentation]:
    """The object PNG as an instance segmentation (instance ``k`` grouped with the ``k``-th
    XML object when their labels agree), plus the class PNG as a segmentation of its own
    when the two disagree."""
    present = np.unique(obj).tolist()
    instances = [v for v in present if v not in (0, VOID_INDEX)]
    consistent = cls is not None and _consistent(obj, cls)
    segments: list[Segment] = []
    for k in instances:
        label = _instance_label(k, obj, cls, boxes, obj_path, labelmap)
        box = boxes[k - 1] if k <= len(boxes) else None
        group = box.group_id if box is not None and box.label == label else None
        segments.append(Segment(index=k, label=label, group_id=group))
    void = labelmap.void
    if VOID_INDEX in present and void is not None:
        segments.append(Segment(index=VOID_INDEX, label=void.name))
    if consistent and 0 in present:
        background = labelmap.at(0)
        if background is not None:
            segments.insert(0, Segment(index=0, label=background.name))
    out = [Segmentation(id=OBJECT_MASK_ID, mask=MaskRef(array=obj), segments=segments)]
    if cls is not None and not consistent:
        out.append(class_segmentation(cls, labelmap))
    return out


def _instance_label(
    k: int,
    obj: npt.NDArray[np.uint8],
    cls: npt.NDArray[np.uint8] | None,
    boxes: list[Box],
    obj_path: Path,
    labelmap: LabelMap,
) -> str:
    if cls is not None:
        values, counts = np.unique(cls[obj == k], return_counts=True)
        order = np.argsort(-counts, kind="stable")
        for j in order.tolist():
            value = int(values[j])
            if value not in (0, VOID_INDEX):
                spec = labelmap.at(value)
                if spec is not None:
                    return spec.name
    if k <= len(boxes):
        return boxes[k - 1].label
    raise InputError(
        f"instance {k} has no class: SegmentationClass gives none and the XML has "
        f"{len(boxes)} objects",
        path=obj_path,
    )


def _consistent(obj: npt.NDArray[np.uint8], cls: npt.NDArray[np.uint8]) -> bool:
    """True when the class PNG agrees with the object PNG: every instance has one class that is
    neither background nor void, background is background and void is void in both."""
    classes: dict[int, set[int]] = {}
    for pair in np.unique(obj.astype(np.uint16) * 256 + cls).tolist():
        classes.setdefault(pair // 256, set()).add(pair % 256)
    return all(
        len(cs) == 1
        and (o not in (0, VOID_INDEX) or cs == {o if o == 0 else VOID_INDEX})
        and (o in (0, VOID_INDEX) or not cs & {0, VOID_INDEX})
        for o, cs in classes.items()
    )
