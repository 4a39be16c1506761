"""What a YOLO dataset keeps of the model, declared once for the toolkit's field ledger.

A label line holds a class and a geometry: a box's ``x, y, width, height`` or a polygon's
``points``. Its ``id`` is its line number (the writer counts an id that differs itself). An
item keeps its reference id (as the file path, reported where it changes), its image and its
annotations; of its metadata only ``yolo_subset`` (the rest is counted key by key). The header
keeps the class names (category ids, supercategories and attributes are counted by the
writer). Every other kind and field holding a value is counted as dropped by the ledger.
"""

from __future__ import annotations

from nucleus_convert.toolkit import Carries

__all__ = ["CARRIES", "ONE_LINE", "PREDICTIONS"]

ONE_LINE = "YOLO writes one line per object"
PREDICTIONS = "YOLO label files hold ground truth; predictions are not written"

CARRIES = Carries.of(
    "yolo",
    {
        "box": {"label", "x", "y", "width", "height"},
        "polygon": {"label", "points"},
        "item": {"reference_id", "media", "annotations"},
        "header": {"categories"},
    },
    reasons={
        ("keypoints", "*"): "YOLO pose labels are not supported (boxes and polygons only)",
        ("item", "camera"): "YOLO has no camera parameters",
        ("item", "extra"): "format-specific fields YOLO has no place for",
        ("scene", "*"): "YOLO has no scenes",
        ("header", "skeletons"): "a YOLO dataset has class names only, no skeletons",
        ("header", "taxonomies"): "a YOLO dataset has class names only, no taxonomies",
        ("header", "extra"): "a YOLO dataset has class names only, no dataset-level fields",
    },
    default_reason="a YOLO line has class and geometry only, no {field}",
    no_kind_reason="YOLO labels have no {kind} (boxes and polygons only)",
)
