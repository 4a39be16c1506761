"""What a COCO file keeps of each model record, for the writer's loss report.

The declaration (:data:`CARRIES`) is the one place that says which model fields a COCO
instances or results file has room for; :class:`~nucleus_convert.toolkit.losses.FieldLedger`
counts every other field holding a value as dropped under ``(kind, field)``.

Conventions: a COCO annotation is one record per ``group_id`` (the group itself is what is
kept; ids are COCO's own, the source id coming back through the ``coco_id`` attribute);
``attributes`` become extra keys of the record (keys that are COCO field names are counted by
the writer, one row per key); ``score`` is written in a results file; an item is one ``images``
record (its metadata keys become keys of that record) and its image file is named, not placed.
"""

from __future__ import annotations

from nucleus_convert.loss import LossReport
from nucleus_convert.model import Header
from nucleus_convert.toolkit.losses import Carries

__all__ = ["CARRIES", "PANOPTIC_CARRIES", "count_header"]

_COMMON = ("label", "id", "group_id", "attributes", "score")

CARRIES = Carries.of(
    "COCO",
    {
        "box": {*_COMMON, "x", "y", "width", "height"},
        "polygon": {*_COMMON, "points"},
        "instance_mask": {*_COMMON, "rle"},
        "keypoints": {*_COMMON, "points", "names", "skeleton"},
        "category": _COMMON,
        # an index mask becomes one instance mask per segment (reported as approximated)
        "segmentation": {"label", "id", "score", "mask", "segments"},
        "item": {"reference_id", "media", "metadata", "annotations"},
        "header": {"categories", "skeletons"},
    },
    reasons={
        **{
            (kind, "track_id"): "COCO annotations have no track id"
            for kind in ("box", "polygon", "instance_mask", "keypoints", "category")
        },
        **{
            (kind, "class_pdf"): "a COCO result holds one score, no class distribution"
            for kind in ("box", "polygon", "instance_mask", "keypoints", "category")
        },
        **{
            (kind, "extra"): "another format's own fields have no place in COCO"
            for kind in ("box", "polygon", "instance_mask", "keypoints", "category", "segmentation")
        },
        ("category", "taxonomy"): "COCO image labels have no taxonomy",
        ("segmentation", "attributes"): "COCO instance masks are made from the segments: "
        "the segmentation's own attributes have no record to go to",
        ("segmentation", "group_id"): "each segment becomes an instance of its own",
        ("segmentation", "track_id"): "COCO annotations have no track id",
        ("segmentation", "class_pdf"): "a COCO result holds one score, no class distribution",
        ("item", "camera"): "COCO images have no camera parameters",
        ("item", "extra"): "another format's own item fields have no place in COCO",
        ("header", "taxonomies"): "COCO has no taxonomies",
        ("header", "extra"): "COCO keeps only what was read from COCO (header.extra['coco'])",
    },
    no_kind_reason="COCO has no such annotation",
)


_PANOPTIC_KINDS = ("segmentation", "instance_mask", "polygon")

PANOPTIC_CARRIES = Carries.of(
    "COCO panoptic",
    {
        # one PNG and one segments_info list per image; the id is read back as panoptic-<image
        # id> and its extra["coco_panoptic"] (the record's other keys) is written: both are
        # counted by the writer
        "segmentation": {"mask", "segments"},
        # each becomes one segment of the PNG (reported as approximated)
        "instance_mask": {"label", "rle", "attributes"},
        "polygon": {"label", "points", "attributes"},
        "item": {"reference_id", "media", "metadata", "annotations"},
        "header": {"categories"},
    },
    reasons={
        **{
            (kind, "*"): "COCO panoptic holds one segment per pixel: no boxes, keypoints, image "
            "labels or other annotations"
            for kind in ("box", "keypoints", "category", "polyline", "multicategory", "cuboid")
        },
        **{
            (kind, field): f"a COCO panoptic segment has no {field.replace('_', ' ')}"
            for kind in _PANOPTIC_KINDS
            for field in ("track_id", "group_id", "score", "class_pdf", "id")
        },
        **{
            (kind, "extra"): "another format's own fields have no place in COCO panoptic"
            for kind in _PANOPTIC_KINDS
        },
        ("segmentation", "label"): "a COCO panoptic annotation has no label of its own",
        ("segmentation", "attributes"): "a COCO panoptic annotation has no attributes of its "
        "own (its segments do)",
        ("item", "camera"): "COCO images have no camera parameters",
        ("item", "extra"): "another format's own item fields have no place in COCO",
        ("header", "skeletons"): "COCO panoptic categories have no keypoints",
        ("header", "taxonomies"): "COCO has no taxonomies",
        ("header", "extra"): "COCO keeps only what was read from COCO (header.extra['coco'])",
    },
    no_kind_reason="COCO panoptic has no {kind} annotations",
)
"""What a COCO panoptic file (:mod:`.panoptic_write`) keeps of each model record."""


def count_header(header: Header, report: LossReport, carries: Carries = CARRIES) -> None:
    """Count what COCO (or, with :data:`PANOPTIC_CARRIES`, COCO panoptic) cannot keep of the
    dataset header.

    ``extra`` is COCO's only under the ``coco`` key (info, licenses, other top-level keys
    read from COCO); any other key holding a value is counted once as ``(header, extra)``.
    """
    from nucleus_convert.toolkit.losses import FieldLedger, holds_value

    FieldLedger(report, carries).fields(header, "header", handled={"extra"})
    others = [k for k, v in header.extra.items() if k != "coco" and holds_value(v)]
    if others:
        report.dropped(
            "header", "extra", reason=carries.reason("header", "extra"), example=", ".join(others)
        )
