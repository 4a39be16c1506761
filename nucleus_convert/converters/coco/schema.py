"""COCO names that reading and writing share: the record keys the model maps, and what a
usable id is.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CAPTIONS_KEY", "KNOWN_ANNOTATION_KEYS", "is_coco_id"]

CAPTIONS_KEY = "coco_captions"
KNOWN_ANNOTATION_KEYS = frozenset(
    {
        "id",
        "image_id",
        "category_id",
        "segmentation",
        "area",
        "bbox",
        "iscrowd",
        "keypoints",
        "num_keypoints",
        "score",
        "caption",
    }
)


def is_coco_id(v: Any) -> bool:
    """A usable COCO id: an integer (not a bool) or a non-empty string."""
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and v != "")
