"""LabelMe names that reading and writing share: keys of a file and of a shape, shape types, the
flags taxonomy and the version the writer states.

Key names and point counts follow ``labelme/_label_file.py`` of wkentaro/labelme (3.x to 5.x
files and the current loader).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DESCRIPTION_KEY",
    "FLAGS_TAXONOMY",
    "IMAGE_SUFFIXES",
    "LEGACY_COLOR_KEYS",
    "POINT_COUNTS",
    "SHAPE_KEYS",
    "SHAPE_TYPES",
    "SUFFIX",
    "TOP_KEYS",
    "WRITTEN_VERSION",
]

SUFFIX: Final = ".json"
"""The one suffix of a LabelMe file (any case)."""

FLAGS_TAXONOMY: Final = "labelme_flags"
"""The taxonomy of the image categories that the image-level ``flags`` become."""

WRITTEN_VERSION: Final = "5.5.0"
"""The ``version`` the writer states: a 5.x file (``description``, ``mask`` shapes)."""

DESCRIPTION_KEY: Final = "description"
"""The attribute a shape's non-empty ``description`` becomes."""

TOP_KEYS: Final = (
    "version",
    "flags",
    "shapes",
    "imagePath",
    "imageData",
    "imageHeight",
    "imageWidth",
)
"""The keys LabelMe reserves at the top of a file; any other key is item metadata."""

SHAPE_KEYS: Final = frozenset(
    {"label", "points", "group_id", "shape_type", "flags", "description", "mask"}
)
"""The keys LabelMe reserves in a shape; any other key is an attribute."""

LEGACY_COLOR_KEYS: Final = frozenset({"line_color", "fill_color"})
"""Shape keys of 3.x files; ``null`` there means "the default colour" and carries nothing."""

SHAPE_TYPES: Final = (
    "polygon",
    "rectangle",
    "oriented_rectangle",
    "point",
    "line",
    "linestrip",
    "circle",
    "mask",
)
"""The shape types read (a missing or ``null`` type, as in the oldest files, is a polygon)."""

POINT_COUNTS: Final = {
    "point": 1,
    "rectangle": 2,
    "line": 2,
    "circle": 2,
    "mask": 2,
    "oriented_rectangle": 4,
}
"""Shape types with an exact number of points (the others need at least one)."""

IMAGE_SUFFIXES: Final = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
"""Suffixes the writer removes from a reference id to name the JSON file (``a.jpg`` ->
``a.json``, as LabelMe pairs them)."""
