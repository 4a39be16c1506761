"""What a CVAT XML file keeps of each model record, for the writer's loss report.

:data:`CARRIES` is the one declaration; :class:`~nucleus_convert.toolkit.losses.FieldLedger`
counts every other field holding a value as dropped under ``(kind, field)``. Fields the writer
keeps in part are in :data:`HANDLED` and counted by the writer itself, with finer rows:

* ``id``: a shape read back gets ``<tag><n>`` (images) or ``track<id>`` (video); any other id
  is counted as approximated;
* ``attributes``: ``<attribute>`` children (scalars only: a list, a dict or ``None`` is
  counted under ``attributes.<key>``) and the shape properties of :mod:`.schema`; a value
  that would read back as another type under its label's spec is ``attributes.<key>``;
* ``group_id``: CVAT groups are positive numbers; another id is renumbered (approximated);
* ``track_id``: tracks exist in CVAT for video only (dropped when writing images); CVAT track
  ids are numbers (another id is renumbered, approximated); a shape outside any track becomes
  a one-frame track of its own (approximated);
* item ``metadata``: ``frame``, ``subset``, ``task_id`` and ``cvat_name`` have a place
  (``<image>`` attributes), every other key is ``metadata.<key>``.
"""

from __future__ import annotations

from nucleus_convert.toolkit.losses import Carries

__all__ = ["CARRIES", "HANDLED", "NOT_AN_IMAGE", "PREDICTION"]

_COMMON = {"label", "id", "attributes", "group_id", "track_id"}
_EXTRA = "another format's own fields have no place in CVAT XML"
_SCORE = "CVAT XML holds ground truth: no scores or class probabilities"
_SHAPES = ("box", "polygon", "polyline", "keypoints", "instance_mask")
NOT_AN_IMAGE = "CVAT annotates images: a point cloud item is left out, with its annotations"
PREDICTION = "CVAT XML holds ground truth; predictions are not written"

CARRIES = Carries.of(
    "CVAT",
    {
        "box": {*_COMMON, "x", "y", "width", "height"},
        "polygon": {*_COMMON, "points"},
        "polyline": {*_COMMON, "points"},
        "keypoints": {*_COMMON, "points", "names", "skeleton"},
        "instance_mask": {*_COMMON, "rle"},
        # one <mask> per segment: read back as instance masks (approximated by the writer)
        "segmentation": {"mask", "segments"},
        "category": {"label", "attributes", "group_id"},
        "multicategory": {"labels", "attributes", "group_id"},
        "item": {"reference_id", "media", "annotations"},
        "header": {"categories", "skeletons"},
    },
    reasons={
        **{(kind, "extra"): _EXTRA for kind in (*_SHAPES, "segmentation", "category")},
        **{(kind, "class_pdf"): _SCORE for kind in (*_SHAPES, "category", "multicategory")},
        **{(kind, "score"): _SCORE for kind in (*_SHAPES, "category", "multicategory")},
        ("multicategory", "extra"): _EXTRA,
        ("category", "id"): "a CVAT <tag> has no id",
        ("multicategory", "id"): "a CVAT <tag> has no id",
        ("category", "track_id"): "a CVAT <tag> has no track",
        ("multicategory", "track_id"): "a CVAT <tag> has no track",
        ("category", "taxonomy"): "CVAT tags have no taxonomy",
        ("multicategory", "taxonomy"): "CVAT tags have no taxonomy",
        **{
            ("segmentation", field): "a segmentation is written as one CVAT mask per segment, "
            "which has no such field of the whole segmentation"
            for field in ("id", "label", "attributes", "track_id", "group_id")
        },
        ("item", "camera"): "CVAT images have no camera parameters",
        ("item", "extra"): "another format's own item fields have no place in CVAT XML",
        ("header", "taxonomies"): "CVAT has no taxonomies",
        ("header", "extra"): "CVAT keeps only what was read from CVAT (header.extra['cvat'])",
    },
    no_kind_reason="CVAT XML has no {kind} annotations",
)

HANDLED: dict[str, frozenset[str]] = {
    **{kind: frozenset({"id", "attributes", "group_id", "track_id"}) for kind in _SHAPES},
    "category": frozenset({"attributes", "group_id"}),
    "multicategory": frozenset({"attributes", "group_id"}),
    "segmentation": frozenset({"segments"}),
    "item": frozenset({"metadata"}),
    "header": frozenset({"extra", "categories"}),
}
"""Fields the writer counts itself, finer than the ledger would."""
