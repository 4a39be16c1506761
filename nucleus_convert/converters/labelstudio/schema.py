"""Names the Label Studio reader and writer share: result types, defaults, reserved keys.

Defaults are what the writer writes when the model says nothing else; the reader keeps a source
value as an ``ls_*`` attribute only when it differs from the default, so a dataset from another
format comes back from Label Studio with no attributes it did not have.
"""

from __future__ import annotations

import re

__all__ = [
    "ANNOTATION_RECORD",
    "ATTR",
    "DEFAULT_FROM_NAME",
    "DEFAULT_TO_NAME",
    "DEFAULT_TYPE",
    "GENERATED_ID",
    "IMAGE_SUFFIXES",
    "KNOWN_RESULT_KEYS",
    "MIN_RECORD_KEYS",
    "REGION_KINDS",
    "RESERVED_METADATA",
    "TASK_KEYS",
    "default_from_name",
    "default_origin",
    "label_key",
]

REGION_KINDS = {
    "rectanglelabels": "box",
    "rectangle": "box",
    "polygonlabels": "polygon",
    "polygon": "polygon",
    "keypointlabels": "keypoints",
    "keypoint": "keypoints",
    "brushlabels": "instance_mask",
    "brush": "instance_mask",
}
"""Result types that draw a region on the image, by the model kind they become. A ``labels``
result drawn on an image (``x``/``y``/``width``/``height``, ``points`` or ``rle`` in its value)
is a region too."""

DEFAULT_TYPE = {
    "box": "rectanglelabels",
    "polygon": "polygonlabels",
    "keypoints": "keypointlabels",
    "instance_mask": "brushlabels",
    "category": "choices",
    "multicategory": "choices",
}
"""The result ``type`` the writer gives each model kind (a rotated rectangle, carried as a
polygon, is written as ``rectanglelabels`` again)."""

DEFAULT_FROM_NAME = {
    "rectanglelabels": "label",
    "polygonlabels": "polygon",
    "keypointlabels": "keypoint",
    "brushlabels": "brush",
}
"""The control tag names (``from_name``) the writer uses, one per result type, as in Label
Studio's templates; choices use the category's taxonomy, else ``choice``."""

DEFAULT_TO_NAME = "image"
"""The object tag name (``to_name``) the writer uses."""

GENERATED_ID = re.compile(r"^nc-\d+$")
"""Result ids the writer makes for annotations without one (``nc-<n>``, ``n`` the result's
position in the task); a choices result with such an id keeps no ``ls_id`` attribute."""

IMAGE_SUFFIXES = (
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".bmp",
    ".tif",
    ".tiff",
    ".webp",
    ".avif",
    ".heic",
    ".heif",
)
"""Suffixes that make a ``data`` value the task's image when no key is named ``image``."""

TASK_KEYS = frozenset({"id", "data", "annotations", "completions", "predictions"})
"""Task keys the reader maps; every other task key is kept whole in ``ls_task``."""

KNOWN_RESULT_KEYS = frozenset(
    {
        "id",
        "type",
        "from_name",
        "to_name",
        "value",
        "original_width",
        "original_height",
        "image_rotation",
        "origin",
        "score",
        "meta",
        "parentID",
    }
)
"""Result keys with a place of their own; the others are kept in the ``ls_extra`` attribute."""

MIN_RECORD_KEYS = frozenset(
    {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement"}
)
"""The keys of a JSON-MIN record that are not task data nor results."""


class ATTR:
    """Annotation attribute names (all ``ls_``-prefixed) that carry Label Studio fields the
    model has no field for."""

    ID = "ls_id"
    """The result id where the model id cannot hold it: a choices result (Nucleus category
    payloads have no id), or a region whose id repeats on the task (the model id is then
    ``<id>~<n>``)."""
    FROM_NAME = "ls_from_name"
    TO_NAME = "ls_to_name"
    TYPE = "ls_type"
    ORIGIN = "ls_origin"
    SCORE = "ls_score"
    """A score on a ground-truth result (Label Studio keeps one on accepted predictions)."""
    ANNOTATION = "ls_annotation"
    """The index of the annotation (in ``ls_annotations``) the result belongs to, when not 0."""
    PREDICTION = "ls_prediction"
    """The index of the prediction (in ``ls_predictions``) the result belongs to, when not 0."""
    IMAGE_ROTATION = "ls_image_rotation"
    META = "ls_meta"
    EXTRA = "ls_extra"
    VALUE = "ls_value"
    LABELS = "ls_labels"
    RECTANGLE = "ls_rectangle"
    REGION_RESULTS = "ls_region_results"


RESERVED_METADATA = frozenset(
    {"ls_task_id", "ls_image_key", "ls_task", "ls_annotations", "ls_predictions"}
)
"""Item metadata keys the reader fills and the writer reads back (never task data)."""

ANNOTATION_RECORD = "ls_annotations"
PREDICTION_RECORD = "ls_predictions"


def default_from_name(result_type: object) -> str:
    """The ``from_name`` the writer gives a result of ``result_type``."""
    return DEFAULT_FROM_NAME.get(str(result_type), "label")


def default_origin(prediction: bool) -> str:
    """The ``origin`` the writer gives a result: ``prediction`` or ``manual``."""
    return "prediction" if prediction else "manual"


def label_key(result_type: str) -> str | None:
    """The ``value`` key holding the labels of a result type (``rectanglelabels`` holds them
    under ``rectanglelabels``), or ``None`` for an unlabelled tool (``rectangle``)."""
    return result_type if result_type.endswith("labels") else None
