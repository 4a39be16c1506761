"""Names the CVAT reader and writer share: file layout, XML tags, the shape properties kept as
annotation attributes, item metadata keys and annotation ids.

Shape properties (CVAT XML attributes of a shape element, not ``<attribute>`` children) are
kept in the annotation's ``attributes`` under their CVAT names, and only when they say
something beyond CVAT's default:

* ``occluded``: ``True`` when ``occluded="1"`` (absent for ``0``);
* ``z_order``: the integer when it is not ``0``;
* ``source``: the text (``manual``, ``auto``, ``semi-auto``, ``file``...) when the file has one;
* ``keyframe``: ``False`` on a track shape with ``keyframe="0"`` (an interpolated frame);
  absent on keyframes (video only);
* ``rotation``: degrees, on the polygon a rotated box becomes (see the package docstring).

When the shape also has an ``<attribute>`` child of the same name (a label attribute called
``occluded``, say), the property is kept as ``cvat_<name>`` instead, so neither hides the
other; the writer reads ``cvat_<name>`` first.
"""

from __future__ import annotations

__all__ = [
    "ANNOTATION_TAGS",
    "EXTRA_KEY",
    "FLAVOURS",
    "FRAME_KEY",
    "IMAGES_DIR",
    "IMAGE_SUFFIXES",
    "KEYFRAME",
    "NAME_KEY",
    "OCCLUDED",
    "PROPERTIES",
    "ROTATION",
    "SHAPE_TAGS",
    "SOURCE",
    "SUBSET_KEY",
    "TASK_KEY",
    "VERSION",
    "XML_NAME",
    "Z_ORDER",
    "element_key",
    "frame_name",
    "property_key",
    "shape_id",
    "track_shape_id",
]

XML_NAME = "annotations.xml"
"""The file a CVAT export (and this writer's folder) holds."""
IMAGES_DIR = "images"
"""Where a CVAT export with images keeps them, beside the XML."""
VERSION = "1.1"
FLAVOURS = ("images", "video")
"""``CVAT for images 1.1`` (``<image>`` elements) and ``CVAT for video 1.1`` (``<track>``)."""
EXTRA_KEY = "cvat"
"""Key of the CVAT facts in ``Header.extra`` and of a label's spec in ``Category.attributes``."""

SHAPE_TAGS = ("box", "polygon", "polyline", "points", "mask", "skeleton", "ellipse", "cuboid")
"""Shape elements of an image or a track (``ellipse`` and ``cuboid`` have no model kind)."""
ANNOTATION_TAGS = (*SHAPE_TAGS, "tag")

OCCLUDED = "occluded"
Z_ORDER = "z_order"
SOURCE = "source"
KEYFRAME = "keyframe"
ROTATION = "rotation"
PROPERTIES = (OCCLUDED, Z_ORDER, SOURCE, KEYFRAME, ROTATION)
"""Shape properties kept as annotation attributes (module docstring)."""
_PREFIX = "cvat_"

FRAME_KEY = "frame"
"""Item metadata: the CVAT frame number (video frames always; images only when the
``<image id>`` is not the image's position in the file)."""
SUBSET_KEY = "subset"
"""Item metadata: ``<image subset>`` (project exports)."""
TASK_KEY = "task_id"
"""Item metadata: ``<image task_id>`` or the track's task (project exports)."""
NAME_KEY = "cvat_name"
"""Item metadata: the ``<image name>`` when the reference id had to differ from it (the same
name in two subsets of a project)."""

IMAGE_SUFFIXES = (".png", ".PNG", ".jpg", ".jpeg", ".JPG", ".JPEG", ".bmp")
"""Suffixes looked for when a video frame's image is searched beside the XML."""


def frame_name(frame: int) -> str:
    """A video frame's reference id and image stem, as CVAT and Datumaro name them."""
    return f"frame_{frame:06d}"


def property_key(name: str, label_attributes: frozenset[str] | set[str]) -> str:
    """The attribute key a shape property is kept under (module docstring)."""
    return _PREFIX + name if name in label_attributes else name


def element_key(element: str, name: str) -> str:
    """The skeleton's attribute key of an element's own attribute or property."""
    return f"{element}/{name}"


def shape_id(tag: str, n: int) -> str:
    """The id of the ``n``-th (1-based) ``tag`` element of an image: ``box1``, ``mask2``..."""
    return f"{tag}{n}"


def track_shape_id(track: int) -> str:
    """The id of a track's shape on a frame (one shape per track and frame)."""
    return f"track{track}"
