"""Per-instance masks (COCO RLE) on the way to Nucleus, which has no per-instance mask type.

``segmentation`` (default): all ground-truth masks of an item become one Nucleus segmentation
(and all predicted masks another): an index PNG with one value per instance, and a segment per
instance carrying its label, its attributes (the COCO id, area, iscrowd...) and its group id, so
the way back restores each instance and regroups it with its box. Pixels covered by several
instances keep the last one; their count is reported as approximated.

``polygons``: each mask is traced to polygons (OpenCV) sharing the mask's group id; the pixel
IoU between mask and polygons is reported.
"""

from __future__ import annotations

from typing import Any

from nucleus_convert.errors import OutputError
from nucleus_convert.geometry.instances import index_mask, mask_iou, trace_polygons
from nucleus_convert.geometry.rle import UNCOMPRESSED_MARK, decode
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    ImageMedia,
    InstanceMask,
    Item,
    MaskRef,
    Polygon,
    Segment,
    Segmentation,
)

__all__ = ["MASK_MODES", "instance_masks_for_nucleus"]

MASK_MODES = ("segmentation", "polygons")


def instance_masks_for_nucleus(
    item: Item, mode: str, report: LossReport, *, why: str = "Nucleus has no instance masks"
) -> list[Annotation]:
    """The item's annotations with its instance masks replaced as ``mode`` says.

    ``why`` is the loss report's reason for the target at hand (VOC reuses this too).
    """
    masks = [a for a in item.annotations if isinstance(a, InstanceMask)]
    if not masks:
        return item.annotations
    others = [a for a in item.annotations if not isinstance(a, InstanceMask)]
    where = f"item {item.reference_id!r}"
    if mode == "polygons":
        for m in masks:
            others.extend(_polygons(m, report, where))
        return others
    for prediction in (False, True):
        chosen = [m for m in masks if m.prediction == prediction]
        if chosen:
            others.append(_segmentation(chosen, item, report, where, why))
    return others


def _size(masks: list[InstanceMask], item: Item, where: str) -> tuple[int, int]:
    if isinstance(item.media, ImageMedia) and item.media.height and item.media.width:
        size = (item.media.height, item.media.width)
    else:
        h, w = masks[0].rle["size"]
        size = (int(h), int(w))
    for m in masks:
        h, w = m.rle["size"]
        if (h, w) != size:
            raise OutputError(
                f"{where}, instance mask {m.id!r}: RLE size {h}x{w} but the image is "
                f"{size[0]}x{size[1]}"
            )
    return size


def _segmentation(
    masks: list[InstanceMask], item: Item, report: LossReport, where: str, why: str
) -> Segmentation:
    height, width = _size(masks, item, where)
    try:
        index, overlap = index_mask([m.rle for m in masks], height, width)
    except ValueError as exc:
        raise OutputError(f"{where}: {exc}; use -w masks=polygons instead") from None
    segments = []
    for k, m in enumerate(masks, start=1):
        attrs: dict[str, Any] = dict(m.attributes)
        if isinstance(m.rle.get("counts"), list):
            attrs[UNCOMPRESSED_MARK] = "uncompressed"
        if m.score is not None:
            attrs["score"] = m.score
        segments.append(Segment(index=k, label=m.label, attributes=attrs, group_id=m.group_id))
        report.approximated(
            "instance_mask",
            reason=f"became a segment of the item's index mask ({why})",
            example=f"{where}, mask {m.id!r}",
        )
    if overlap:
        report.approximated(
            "instance_mask",
            "rle.overlap",
            n=overlap,
            reason="pixels covered by several instances keep only the last (counted in pixels)",
            example=where,
        )
    prediction = masks[0].prediction
    return Segmentation(
        id=f"{item.reference_id}-instances" + ("-pred" if prediction else ""),
        mask=MaskRef(array=index),
        segments=segments,
        prediction=prediction,
    )


def _polygons(m: InstanceMask, report: LossReport, where: str) -> list[Polygon]:
    pixels = decode(m.rle)
    rings = trace_polygons(pixels)
    iou = mask_iou(pixels, rings)
    bucket = ">= 0.95" if iou >= 0.95 else ">= 0.8" if iou >= 0.8 else "< 0.8"
    report.approximated(
        "instance_mask",
        f"rle.traced, pixel IoU {bucket}",
        reason="masks traced to polygons; examples give each mask's pixel IoU",
        example=f"{where}, mask {m.id!r}: IoU {iou:.4f}",
    )
    group = m.group_id if m.group_id is not None else m.id
    return [
        Polygon(
            label=m.label,
            id=None if m.id is None else f"{m.id}.{k}",
            group_id=group,
            attributes=dict(m.attributes),
            score=m.score,
            prediction=m.prediction,
            points=ring,
        )
        for k, ring in enumerate(rings)
    ]
