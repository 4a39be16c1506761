"""What a Label Studio export keeps of each model record, for the writer's loss report.

JSON (:data:`CARRIES`): regions keep label, id (the result id), attributes (the ``ls_*`` ones
as the Label Studio fields they came from, any other in the result's ``meta.attributes``),
group id (as ``parentID``, see :mod:`.write_results`) and score (predictions; a ground-truth
score as ``ls_score``); categories keep label(s), taxonomy (the ``from_name``), attributes
and score, but their model id is not read back (it becomes the ``ls_id`` attribute). Items keep
reference id (in ``meta.item_reference_id`` when the image name does not give it back), media,
metadata (task ``data`` and the ``ls_*`` keys) and annotations. The header keeps the categories
and taxonomies that some result uses.

JSON-MIN (:data:`MIN_CARRIES`) has no predictions, ids, groups, ``meta`` or scores.
"""

from __future__ import annotations

from nucleus_convert.toolkit.losses import Carries

__all__ = ["CARRIES", "MIN_CARRIES"]

_REGIONS = ("box", "polygon", "keypoints", "instance_mask")
_CATEGORIES = ("category", "multicategory")
_COMMON = {"label", "id", "attributes", "group_id", "score"}

_REASONS = {
    **{(k, "track_id"): "Label Studio image results have no track id" for k in _REGIONS},
    **{(k, "track_id"): "Label Studio image results have no track id" for k in _CATEGORIES},
    **{
        (k, "class_pdf"): "a Label Studio result holds one score, no class distribution"
        for k in (*_REGIONS, *_CATEGORIES)
    },
    **{
        (k, "extra"): "another format's own fields have no place in Label Studio"
        for k in (*_REGIONS, *_CATEGORIES, "segmentation")
    },
    **{
        (k, "id"): "a choices result's id is read back as the attribute ls_id, not as the "
        "annotation id (Nucleus category payloads have none)"
        for k in _CATEGORIES
    },
    ("keypoints", "skeleton"): "Label Studio keypoints are single labelled points: no skeleton",
    ("multicategory", "label"): "a multicategory has labels, not a label",
    ("segmentation", "label"): "each segment becomes a brush of its own label",
    ("segmentation", "id"): "each segment becomes a brush with an id of its own",
    ("segmentation", "attributes"): "each segment becomes a brush with its own attributes",
    ("segmentation", "group_id"): "each segment becomes a brush of its own",
    ("segmentation", "track_id"): "Label Studio image results have no track id",
    ("segmentation", "class_pdf"): "a Label Studio result holds one score, no class distribution",
    ("item", "camera"): "Label Studio tasks have no camera parameters",
    ("item", "extra"): "another format's own item fields have no place in Label Studio",
    ("header", "extra"): "a Label Studio export has no dataset-level fields",
}

CARRIES = Carries.of(
    "Label Studio",
    {
        "box": {*_COMMON, "x", "y", "width", "height"},
        "polygon": {*_COMMON, "points"},
        "keypoints": {*_COMMON, "points", "names"},
        "instance_mask": {*_COMMON, "rle"},
        "segmentation": {"mask", "segments", "score"},
        "category": {"label", "attributes", "score", "taxonomy"},
        "multicategory": {"labels", "attributes", "score", "taxonomy"},
        "item": {"reference_id", "media", "metadata", "annotations"},
        "header": {"categories", "taxonomies", "skeletons"},
    },
    reasons=_REASONS,
    no_kind_reason="Label Studio image results have no {kind} (no such result type)",
)

_MIN_REASONS = {
    **_REASONS,
    **{(k, "id"): "JSON-MIN results have no id" for k in (*_REGIONS, *_CATEGORIES)},
    **{(k, "group_id"): "JSON-MIN results have no parentID" for k in _REGIONS},
}

MIN_CARRIES = Carries.of(
    "Label Studio JSON-MIN",
    {
        "box": {"label", "attributes", "x", "y", "width", "height"},
        "polygon": {"label", "attributes", "points"},
        "keypoints": {"label", "attributes", "points", "names"},
        "instance_mask": {"label", "attributes", "rle"},
        "segmentation": {"mask", "segments"},
        "category": {"label", "attributes", "taxonomy"},
        "multicategory": {"labels", "attributes", "taxonomy"},
        "item": {"reference_id", "media", "metadata", "annotations"},
        "header": {"categories", "taxonomies", "skeletons"},
    },
    reasons=_MIN_REASONS,
    no_kind_reason="Label Studio image results have no {kind} (no such result type)",
)
