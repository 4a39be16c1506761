"""What a LabelMe file keeps of each model record, for the writer's loss report.

The declaration (:data:`CARRIES`) is the one place that says which model fields LabelMe has room
for; :class:`~nucleus_convert.toolkit.losses.FieldLedger` counts every other field holding a
value as dropped under ``(kind, field)``.

Conventions: boxes, polygons, polylines, one-point keypoints and instance masks are shapes
(label, group id, geometry; the id is the shape's position, counted by the writer where it
differs); their attributes become flags, the description or shape keys, counted key by key by
the writer where they cannot; a segmentation is written as one mask shape per segment
(approximated, as the shapes read back as instance masks); image categories are the image's
flags (taxonomy ``labelme_flags``); an item is one file whose metadata keys are top-level keys;
the header keeps its categories (as the shapes' labels) and the ``labelme_flags`` taxonomy.
Track ids, scores and another format's ``extra`` have no place.
"""

from __future__ import annotations

from collections.abc import Collection

from nucleus_convert.converters.labelme.schema import FLAGS_TAXONOMY
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Header
from nucleus_convert.toolkit.losses import Carries, FieldLedger, drop_bare_categories, holds_value

__all__ = ["CARRIES", "HANDLED", "SHAPE_KINDS", "count_header"]

SHAPE_KINDS = ("box", "polygon", "polyline", "keypoints", "instance_mask")
_ALL_KINDS = (*SHAPE_KINDS, "segmentation", "category", "multicategory")
_COMMON = {"label", "id", "group_id"}

CARRIES = Carries.of(
    "LabelMe",
    {
        "box": _COMMON | {"x", "y", "width", "height"},
        "polygon": _COMMON | {"points"},
        "polyline": _COMMON | {"points"},
        "keypoints": _COMMON | {"points", "names", "skeleton"},
        "instance_mask": _COMMON | {"rle"},
        "segmentation": {"id", "mask", "segments"},
        "category": {"label", "taxonomy"},
        "multicategory": {"labels", "taxonomy"},
        "item": {"reference_id", "media", "annotations"},
        "header": {"categories"},
    },
    reasons={
        **{(kind, "track_id"): "LabelMe shapes have no track id" for kind in _ALL_KINDS},
        **{
            (kind, "extra"): "another format's own fields have no place in LabelMe"
            for kind in _ALL_KINDS
        },
        **{
            (kind, "class_pdf"): "LabelMe holds ground truth only (no class pdf)"
            for kind in _ALL_KINDS
        },
        ("segmentation", "label"): "a segmentation is written as its segments' mask shapes",
        ("segmentation", "attributes"): "a segmentation is written as its segments' mask "
        "shapes, which keep the segments' attributes only",
        ("segmentation", "group_id"): "a segmentation is written as its segments' mask "
        "shapes, which keep the segments' group ids only",
        ("category", "id"): "a LabelMe flag has no id",
        ("category", "attributes"): "a LabelMe flag is a name and true or false",
        ("category", "group_id"): "a LabelMe flag is a name and true or false",
        ("multicategory", "id"): "a LabelMe flag has no id",
        ("multicategory", "attributes"): "a LabelMe flag is a name and true or false",
        ("multicategory", "group_id"): "a LabelMe flag is a name and true or false",
        ("multicategory", "label"): "a multicategory's labels are written as flags",
        ("item", "camera"): "LabelMe images have no camera parameters",
        ("item", "extra"): "another format's own item fields have no place in LabelMe",
        ("header", "extra"): "LabelMe files have no dataset header",
    },
    no_kind_reason="LabelMe has no {kind} shape",
)

HANDLED: dict[str, frozenset[str]] = {
    **{kind: frozenset({"attributes"}) for kind in SHAPE_KINDS},
    "item": frozenset({"metadata"}),
    "header": frozenset({"taxonomies", "skeletons"}),
}
"""Fields the writer counts itself, finer than the ledger would (key by key)."""


def count_header(header: Header, labels: Collection[str], report: LossReport) -> None:
    """Count what LabelMe cannot keep of the dataset header: categories no written shape uses
    (or with a source id, supercategory or attributes: a label is all a shape has), taxonomies
    but ``labelme_flags`` (the flags), and skeletons other than a point's own (its label as
    the one name, no edge)."""
    FieldLedger(report, CARRIES).fields(header, "header", handled=HANDLED["header"])
    drop_bare_categories(
        report, header, labels, "LabelMe declares no labels: a label is what its shapes use"
    )
    taxonomies = [n for n, t in header.taxonomies.items() if n != FLAGS_TAXONOMY and t.labels]
    if taxonomies:
        report.dropped(
            "header",
            "taxonomies",
            n=len(taxonomies),
            reason=f"LabelMe flags are one taxonomy ({FLAGS_TAXONOMY!r}); the categories of "
            "others are written as flags",
            example=", ".join(taxonomies[:5]),
        )
    skeletons = [
        label
        for label, sk in header.skeletons.items()
        if holds_value(sk.edges) or sk.names != [label]
    ]
    if skeletons:
        report.dropped(
            "header",
            "skeletons",
            n=len(skeletons),
            reason="LabelMe points are one point each: no skeleton",
            example=", ".join(skeletons[:5]),
        )
