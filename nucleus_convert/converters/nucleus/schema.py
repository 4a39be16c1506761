"""Names the Nucleus reader and writer share: bundle files, payload types and keys.

Payload shapes follow the official ``scale-nucleus`` client (see :mod:`.payloads`); each kind's
payload is declared by its codec in :mod:`nucleus_convert.kinds`.
"""

from __future__ import annotations

from nucleus_convert.kinds import CODECS

__all__ = [
    "ANNOTATION_KEYS",
    "ANNOTATION_TYPES",
    "BUNDLE_VERSION",
    "EXPORT_TYPES",
    "FILES",
    "KINDS",
    "MANIFEST",
    "SERVER_KEYS",
]

BUNDLE_VERSION = 1
MANIFEST = "manifest.json"
FILES = {
    "items": "items.jsonl",
    "annotations": "annotations.jsonl",
    "predictions": "predictions.jsonl",
    "scenes": "scenes.jsonl",
    "scene_annotations": "scene_annotations.jsonl",
    "scene_predictions": "scene_predictions.jsonl",
    "not_uploadable_annotations": "not_uploadable_annotations.jsonl",
    "not_uploadable_predictions": "not_uploadable_predictions.jsonl",
}
"""Bundle files by key. The ``not_uploadable_*`` files hold the payloads Nucleus will not take
(a cuboid on an image, a second segmentation of an item): kept for a lossless read back, apart
so that the upload files pass the client as they are."""

KINDS = frozenset(kind for kind, codec in CODECS.items() if codec.nucleus_types)
"""The model kinds a bundle carries: those whose codec has a Nucleus payload."""

ANNOTATION_TYPES = (
    "box",
    "polygon",
    "line",
    "keypoints",
    "cuboid",
    "category",
    "multicategory",
    "mask",
    "segmentation",
)
"""Every payload ``type`` the codecs decode, in the order error messages list them."""
if set(ANNOTATION_TYPES) != {t for c in CODECS.values() for t in c.nucleus_types}:
    raise TypeError("ANNOTATION_TYPES must list exactly the codecs' Nucleus types")

EXPORT_TYPES = tuple(t for t in ANNOTATION_TYPES if t != "mask")
"""The groups of an export row (masks come under ``segmentation``)."""

ANNOTATION_KEYS = frozenset(
    {
        "label",
        "labels",
        "type",
        "geometry",
        "reference_id",
        "annotation_id",
        "metadata",
        "embedding_vector",
        "track_reference_id",
        "task_id",
        "taxonomy_name",
        "confidence",
        "class_pdf",
        "mask_url",
        "annotations",
    }
)
"""Keys of annotation payloads the decoder reads; any other is kept as ``unknown_keys``."""
SERVER_KEYS = frozenset({"dataset_item_id", "item_id", "dataset_id", "id", "ref_id"})
"""Output-only keys the API adds on export; they identify server objects, not content."""
