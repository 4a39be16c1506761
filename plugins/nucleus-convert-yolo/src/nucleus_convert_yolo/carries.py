"""What a YOLO dataset keeps of the model, declared once for the toolkit's field ledger.

A label line holds a class and a geometry: a box's ``x, y, width, height``, a polygon's (or an
oriented box's) ``points``, or, in a pose dataset, a box and its keypoints (``points`` with
their visibility; ``names`` and ``skeleton`` are the class's, in the dataset YAML). Its ``id``
is its line number and a pose line's box and keypoints share the line number as group (the
line makers count another id or group themselves). An item keeps its reference id (as the file
path, reported where it changes), its image and its annotations; of its metadata only
``yolo_subset`` (the rest is counted key by key). The header keeps the class names, in a pose
dataset the skeletons, and the YAML keys in ``extra["yolo"]`` (category ids, supercategories,
attributes, other skeletons and extras are counted by the writer). Every other kind and field
holding a value is counted as dropped by the ledger.

:data:`CARRIES` is the declaration of detection, segmentation and OBB datasets,
:data:`POSE_CARRIES` that of a pose dataset (boxes and keypoints, no polygons).
"""

from __future__ import annotations

from nucleus_convert.toolkit import Carries

__all__ = ["CARRIES", "NO_KEYPOINTS", "ONE_LINE", "POSE_CARRIES", "PREDICTIONS"]

ONE_LINE = "YOLO writes one line per object"
PREDICTIONS = "YOLO label files hold ground truth; predictions are not written"
NO_KEYPOINTS = (
    "YOLO holds keypoints only in a pose dataset (kpt_shape): write with -w task=pose (the "
    "default for a pose source)"
)

_REASONS = {
    ("item", "camera"): "YOLO has no camera parameters",
    ("item", "extra"): "format-specific fields YOLO has no place for",
    ("scene", "*"): "YOLO has no scenes",
    ("header", "taxonomies"): "a YOLO dataset has class names only, no taxonomies",
}

CARRIES = Carries.of(
    "yolo",
    {
        "box": {"label", "x", "y", "width", "height"},
        "polygon": {"label", "points"},
        "item": {"reference_id", "media", "annotations"},
        "header": {"categories"},
    },
    reasons={
        **_REASONS,
        ("keypoints", "*"): NO_KEYPOINTS,
        ("header", "skeletons"): "skeletons are written only in a pose dataset (-w task=pose)",
    },
    default_reason="a YOLO line has class and geometry only, no {field}",
    no_kind_reason="YOLO labels have no {kind} (boxes, polygons, oriented boxes, pose)",
)

POSE_CARRIES = Carries.of(
    "yolo",
    {
        "box": {"label", "x", "y", "width", "height"},
        "keypoints": {"label", "points", "names", "skeleton"},
        "item": {"reference_id", "media", "annotations"},
        "header": {"categories", "skeletons"},
    },
    reasons={
        **_REASONS,
        ("polygon", "*"): "a pose line holds a box and keypoints; polygons are not written",
    },
    default_reason="a YOLO pose line has class, box and keypoints only, no {field}",
    no_kind_reason="YOLO pose labels have no {kind} (boxes and keypoints)",
)
