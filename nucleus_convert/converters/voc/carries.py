"""What a Pascal VOC tree keeps of each model record, for the writer's loss report.

The declaration (:data:`CARRIES`) is the one place that says which model fields VOC has room
for; :class:`~nucleus_convert.toolkit.losses.FieldLedger` counts every other field holding a
value as dropped under ``(kind, field)``.

Conventions: a box is an ``object`` (its group's other boxes are ``part`` elements, so the
group is kept; its id is the object's place in the XML); box ``attributes`` are elements of
the object, counted key by key by the writer when they cannot be spelled as XML; a
segmentation is a class or object PNG (segment attributes are counted by the writer); image
categories are the classification lists of taxonomy ``voc_classes`` (``difficult`` is their
only attribute); an item is one XML file whose metadata keys are elements (counted key by key
when they cannot be); predictions are not written (counted whole by the writer).
"""

from __future__ import annotations

from collections.abc import Mapping

from nucleus_convert.converters.voc.schema import TAXONOMY
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Header
from nucleus_convert.toolkit.losses import Carries, FieldLedger, holds_value

__all__ = ["CARRIES", "CATEGORY_ATTRIBUTES", "HANDLED", "NO_SUCH_ANNOTATION", "count_header"]

NO_SUCH_ANNOTATION = "Pascal VOC has no such annotation"
CATEGORY_ATTRIBUTES = frozenset({"difficult"})
"""The only attribute a classification list line holds (``0`` instead of ``1``)."""

CARRIES = Carries.of(
    "Pascal VOC",
    {
        "box": {"label", "id", "group_id", "x", "y", "width", "height"},
        # dropped whole, or written as its bounding box with polygons_as_boxes
        "polygon": {"label", "id", "group_id", "points"},
        "segmentation": {"label", "id", "mask", "segments"},
        "category": {"label", "id", "taxonomy"},
        "multicategory": {"label", "id", "labels", "taxonomy"},
        "item": {"reference_id", "media", "annotations"},
        "header": {"categories"},
    },
    reasons={
        **{
            (kind, "track_id"): "VOC objects have no track id"
            for kind in ("box", "polygon", "segmentation", "category", "multicategory")
        },
        **{
            (kind, "extra"): "another format's own fields have no place in VOC"
            for kind in ("box", "polygon", "segmentation", "category", "multicategory")
        },
        ("polygon", "attributes"): "a polygon written as a box keeps the first polygon's "
        "attributes",
        ("segmentation", "group_id"): "a VOC mask is not grouped with other annotations",
        ("category", "attributes"): "a VOC classification line holds 'difficult' only",
        ("multicategory", "attributes"): "a VOC classification line holds 'difficult' only",
        ("item", "camera"): "VOC images have no camera parameters",
        ("item", "extra"): "another format's own item fields have no place in VOC",
        ("header", "skeletons"): "VOC has no keypoints",
        ("header", "taxonomies"): f"VOC has one taxonomy of image classes ({TAXONOMY!r}), "
        "written as lists",
        ("header", "extra"): "VOC keeps only what was read from VOC (header.extra['voc'])",
    },
    no_kind_reason=NO_SUCH_ANNOTATION,
)

HANDLED: dict[str, frozenset[str]] = {
    "box": frozenset({"attributes"}),
    "polygon": frozenset(),
    "segmentation": frozenset({"attributes"}),
    "category": frozenset({"attributes"}),
    "multicategory": frozenset({"attributes"}),
    "item": frozenset({"metadata"}),
}
"""Fields the writer counts itself, finer than the ledger would (key by key)."""


def count_header(header: Header, report: LossReport) -> None:
    """Count what VOC cannot keep of the dataset header: ``extra`` is VOC's only under the
    ``voc`` key and taxonomies only ``voc_classes`` (the classification lists); anything else
    holding a value is counted once as ``(header, extra)`` or ``(header, taxonomies)``."""
    FieldLedger(report, CARRIES).fields(header, "header", handled={"extra", "taxonomies"})
    taxonomies = [name for name in header.taxonomies if name != TAXONOMY]
    if taxonomies:
        report.dropped(
            "header",
            "taxonomies",
            reason=CARRIES.reason("header", "taxonomies"),
            example=", ".join(taxonomies),
        )
    others = [k for k, v in header.extra.items() if k != "voc" and holds_value(v)]
    if others:
        report.dropped(
            "header", "extra", reason=CARRIES.reason("header", "extra"), example=", ".join(others)
        )


def count_categories(header: Header, index_of: Mapping[str, int], report: LossReport) -> None:
    """Count what VOC cannot keep of the header's categories: a class is numbered by its index
    in the written label map (``index_of``), so another ``source_id`` is dropped, and VOC has
    no supercategories. One row each, the categories named in the example."""
    renumbered = [
        c.name
        for c in header.categories
        if c.source_id is not None and index_of.get(c.name) != c.source_id
    ]
    if renumbered:
        report.dropped(
            "header",
            "categories.source_id",
            n=len(renumbered),
            reason="VOC numbers a class by its index in the label map",
            example=", ".join(renumbered[:5]),
        )
    grouped = [c.name for c in header.categories if c.supercategory]
    if grouped:
        report.dropped(
            "header",
            "categories.supercategory",
            n=len(grouped),
            reason="VOC has no supercategories",
            example=", ".join(grouped[:5]),
        )
