"""Pascal VOC names that reading and writing share: list families, mask folders, metadata keys and
the object defaults the devkit assumes.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ALL_NEGATIVE_KEY",
    "CLASS_MASK_ID",
    "DEFAULT_DEPTH",
    "IMAGE_EXTENSIONS",
    "LIST_FAMILIES",
    "OBJECT_DEFAULTS",
    "OBJECT_MASK_ID",
    "TAXONOMY",
    "family_key",
]

TAXONOMY = "voc_classes"
LIST_FAMILIES = ("Main", "Segmentation", "Layout", "Action")
CLASS_MASK_ID = "SegmentationClass"
OBJECT_MASK_ID = "SegmentationObject"
ALL_NEGATIVE_KEY = "voc_all_negative"
DEFAULT_DEPTH = 3
OBJECT_DEFAULTS: dict[str, Any] = {"pose": "Unspecified", "truncated": 0, "difficult": 0}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".JPG", ".JPEG", ".PNG")


def family_key(family: str) -> str:
    """The item metadata key for membership in ``ImageSets/<family>`` lists."""
    return f"voc_{family.lower()}"
