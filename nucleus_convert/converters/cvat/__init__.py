"""The ``cvat`` format: CVAT for images 1.1 and CVAT for video 1.1 XML (an export's
``annotations.xml``, alone or in its folder), read and written.

Coordinate conventions (CVAT's XML format page, docs.cvat.ai "XML annotation format", and its
exporters in ``cvat/apps/dataset_manager/formats``):

* ``xtl``, ``ytl``, ``xbr``, ``ybr`` and every ``points`` pair are CVAT canvas coordinates:
  continuous pixels, origin at the top-left corner of the top-left pixel, x right, y down,
  the model's own convention. So they map as they are: a box is ``x = xtl``, ``y = ytl``,
  ``width = xbr - xtl``, ``height = ybr - ytl`` (CVAT's COCO exporter writes the same
  ``[xtl, ytl, xbr - xtl, ybr - ytl]``), and the writer writes ``xbr = x + width``.
* ``rotation`` (boxes) is in degrees, clockwise on the image, about the box's centre. The
  model's box has no rotation: a rotated box is carried exactly as the polygon of its four
  turned corners (top-left, top-right, bottom-right, bottom-left of the unrotated box) with
  attribute ``rotation``; the writer turns such a polygon back into the same rotated box
  (:mod:`.rotated`). Other formats see a polygon, the true outline of the object.
* ``<mask>``: CVAT's own run-length encoding of the ``width x height`` pixel rectangle whose
  top-left pixel is (``left``, ``top``), row-major, starting with a background run
  (:mod:`.masks`); the model keeps the image-sized mask as COCO RLE.
* A skeleton element ``outside="1"`` is an unlabelled keypoint, ``occluded="1"`` a hidden one.
* Video: a track shape with ``outside="1"`` means the object is not on that frame (no
  annotation there); each frame is an item ``frame_NNNNNN``; track shapes carry the track's
  id as ``track_id``. The file lists what it lists: CVAT's exporter already writes every
  frame of a track (interpolated ones with ``keyframe="0"``), and nothing is interpolated here.
* Shape properties (``occluded``, ``z_order``, ``source``, ``keyframe``) are annotation
  attributes, ``<attribute>`` children too (typed by the label spec); ``group_id`` is the
  model's ``group_id`` (see :mod:`.schema`).

What has no place in the model is counted in the reader's report (ellipses as polygons,
approximated; 2D cuboids, dropped); what CVAT cannot carry, in the writer's (:mod:`.carries`).

Modules: :mod:`.read` and :mod:`.shapes` (reading), :mod:`.meta` (``<meta>``), :mod:`.masks`
(RLE), :mod:`.rotated` (rotated boxes, ellipses), :mod:`.values` (numbers and attribute
values), :mod:`.write`, :mod:`.items_write`, :mod:`.shapes_write`, :mod:`.video_write` and
:mod:`.spec_write` (writing), :mod:`.carries`, :mod:`.schema` (shared names).
"""

from __future__ import annotations

import re
from pathlib import Path

from nucleus_convert.converters.cvat.read import read_cvat
from nucleus_convert.converters.cvat.schema import FLAVOURS, XML_NAME
from nucleus_convert.converters.cvat.write import write_cvat
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.options import choice
from nucleus_convert.registry import Format, Option, Registrar
from nucleus_convert.toolkit.images import IMAGE_MODES
from nucleus_convert.toolkit.limits import max_pixels_option
from nucleus_convert.toolkit.on_error import on_error_option

__all__ = ["FORMAT", "detect", "register_formats"]

_HEAD = 4096
_ROOT = re.compile(rb"<annotations[\s>]")
_CVAT_CHILD = re.compile(rb"<(version|meta|image|track)[\s>]")
_OTHER_ROOT = re.compile(rb"<(annotation|boost_serialization)[\s>]")


def _looks_like_cvat_xml(path: Path) -> bool:
    """The first 4 KiB hold CVAT's ``<annotations>`` root with a ``<version>``, ``<meta>``,
    ``<image>`` or ``<track>`` inside, and no VOC ``<annotation>`` or Boost (KITTI tracklet)
    root."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD)
    except OSError:
        return False
    root = _ROOT.search(head)
    return (
        root is not None
        and _CVAT_CHILD.search(head, root.end()) is not None
        and _OTHER_ROOT.search(head) is None
    )


def detect(path: Path) -> bool:
    """A CVAT XML file, or a folder holding one as ``annotations.xml``. Cheap; never raises."""
    try:
        if path.is_file():
            return path.suffix.lower() == ".xml" and _looks_like_cvat_xml(path)
        return (
            path.is_dir() and (path / XML_NAME).is_file() and _looks_like_cvat_xml(path / XML_NAME)
        )
    except (OSError, ValueError):
        return False


FORMAT = Format(
    name="cvat",
    description="CVAT for images 1.1 / CVAT for video 1.1 XML (annotations.xml)",
    extensions=(".xml",),
    kinds=frozenset({"box", "polygon", "polyline", "keypoints", "instance_mask", "category"}),
    detect=detect,
    read=read_cvat,
    write=write_cvat,
    read_options=(
        Option(
            "image_root",
            "folder or URL prefix of the images (default: the images folder beside the XML)",
            str,
            "",
        ),
        max_pixels_option(),
        on_error_option("malformed images or track shapes"),
    ),
    write_options=(
        Option(
            "flavour",
            "images (CVAT for images 1.1), video (CVAT for video 1.1) or auto (video when "
            "the dataset was read from a CVAT video file)",
            choice("auto", *FLAVOURS),
            "auto",
        ),
        Option(
            "images",
            "none (default), copy or symlink local images into images/",
            choice(*reversed(IMAGE_MODES)),
            "none",
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``cvat`` format."""
    register.add(FORMAT)
