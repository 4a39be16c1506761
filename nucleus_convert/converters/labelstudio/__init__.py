"""The ``labelstudio`` format: Label Studio's JSON export (and JSON-MIN), images only.

Coordinate conventions (Label Studio's, converted into the model's pixels):

* ``value.x``, ``value.y``, ``value.width``, ``value.height`` of rectangles, polygon
  ``points`` and keypoint ``x``/``y`` are **percentages** (0..100) of the image, measured from
  its top-left corner, x to the right and y down: ``x`` and ``width`` of the result's
  ``original_width``, ``y`` and ``height`` of its ``original_height`` (pixels). The model's
  value is ``percent * size / 100``; the writer picks the percentage that reads back as the
  same pixel value (:mod:`.coords`). A result without ``original_width``/``original_height``
  uses the task's other results' size, else the local image file's; with none, its geometry
  cannot be placed and it is left out (counted).
* ``value.rotation`` is in **degrees, clockwise** on screen (y down), about the rectangle's
  **top-left corner** ``(x, y)`` (Label Studio's documented result convention, and the Konva
  ``rotation`` its editor saves; the editor's rotation handle turns about the centre but the
  saved ``x``/``y`` are those of the rotated top-left corner). The model's box has no rotation:
  a rectangle whose rotation is not 0 (mod 360) is carried as the :class:`Polygon` of its four
  corners (top-left, top-right, bottom-right, bottom-left; exact up to the rounding of cos and
  sin) with the source values kept in the attribute ``ls_rectangle``, and the writer gives back
  that very rectangle while the corners are unchanged. Formats with polygons keep its exact
  shape; nothing is lost, so nothing is reported (a box-only target counts the polygon as it
  counts any polygon). A missing ``rotation`` (old exports) is 0.
* Brush masks (``brushlabels``) are Label Studio's own bit-packed RLE of the RGBA image
  (:mod:`.brush`); a pixel is on the mask when its alpha is not 0. They become COCO RLE
  instance masks; the pixel count is checked against the reader option ``max_pixels`` before
  anything is decoded.

What maps to what (the reader; the writer is its inverse, see :mod:`.write`):

* a task → an item: ``data``'s image → :class:`ImageMedia` (``/data/upload/...``,
  ``/data/local-files/?d=...``, ``s3://``... kept as they are unless ``image_root`` is given,
  :mod:`.locations`), other ``data`` keys → metadata; the rest of the task, each annotation's
  and prediction's own keys (``completed_by``, ``lead_time``, ``was_cancelled``,
  ``ground_truth``, ``model_version``...) → ``ls_*`` metadata, so that a round trip gives the
  same export (:mod:`.tasks`). Tasks without results are items too.
* ``rectanglelabels`` → :class:`Box` (or a polygon, rotated); ``polygonlabels`` →
  :class:`Polygon`; ``keypointlabels`` → a one-point :class:`Keypoints` named by its label;
  ``brushlabels`` → :class:`InstanceMask`; standalone ``choices`` → :class:`ImageCategory`
  (one choice) or :class:`MultiCategory` with the ``from_name`` as taxonomy. Unlabelled tools
  (``rectangle``...), and ``labels`` results drawn on the image, map the same way.
* annotations → ground truth; ``predictions`` → predictions, scored by the result's ``score``,
  else the prediction's.
* the result ``id`` → annotation id (``ls_id`` where the model id cannot hold it);
  ``parentID`` → ``group_id``; ``from_name``/``to_name``, ``origin``, ``meta``, the labels
  beyond the first, value and result keys of no model field, and results sharing a region's
  id (per-region text areas, choices...) → ``ls_*`` attributes, only where they differ from
  what the writer writes by default (:mod:`.schema`).
* results with no place in the model (relations, text spans, ellipses, video, task-level text
  areas...) and those of cancelled annotations are left out and counted in the reader's report.

Modules: :mod:`.read`, :mod:`.tasks`, :mod:`.regions`, :mod:`.read_results` (reading),
:mod:`.write`, :mod:`.write_results` (writing), :mod:`.json_min`, :mod:`.brush`,
:mod:`.coords`, :mod:`.locations`, :mod:`.schema`, :mod:`.carries`.
"""

from __future__ import annotations

from pathlib import Path

from nucleus_convert.converters.labelstudio.read import read_labelstudio
from nucleus_convert.converters.labelstudio.write import FLAVORS, write_labelstudio
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.options import choice
from nucleus_convert.registry import Format, Option, Registrar
from nucleus_convert.toolkit.limits import max_pixels_option
from nucleus_convert.toolkit.on_error import on_error_option

__all__ = ["FORMAT", "detect", "register_formats"]

_HEAD = 8192
_TASK_LISTS = (b'"annotations"', b'"completions"', b'"predictions"')
_TASK_MARKS = (b'"data"', b'"result"', b'"from_name"', b'"was_cancelled"', b'"completed_by"')
_COCO_OBJECT = (b'"images"', b'"categories"', b'"licenses"', b'"info"')


def _claimed_by_others(start: bytes, head: bytes) -> bool:
    """What the ``coco`` and ``nucleus`` formats take: Nucleus payloads (``reference_id``), a
    COCO dataset object, a COCO results list (``image_id`` and ``score``)."""
    if b'"reference_id"' in head:
        return True
    if start == b"{":
        return any(key in head for key in _COCO_OBJECT)
    return b'"image_id"' in head and b'"score"' in head


def detect(path: Path) -> bool:
    """A ``.json`` file that starts like Label Studio tasks (``annotations``, ``completions``
    or ``predictions`` with ``data``, ``result``, ``from_name``...) or JSON-MIN records
    (``annotator`` and ``annotation_id``), and like nothing the ``coco`` or ``nucleus`` format
    takes. Reads the first 8 KiB; never raises."""
    try:
        if path.suffix.lower() != ".json" or not path.is_file():
            return False
        with path.open("rb") as fh:
            head = fh.read(_HEAD)
    except (OSError, ValueError):
        return False
    start = head.lstrip()[:1]
    if start not in (b"[", b"{") or _claimed_by_others(start, head):
        return False
    if start == b"[" and b'"annotator"' in head and b'"annotation_id"' in head:
        return True
    return any(m in head for m in _TASK_LISTS) and any(m in head for m in _TASK_MARKS)


FORMAT = Format(
    name="labelstudio",
    description="Label Studio JSON export (and JSON-MIN): rectangles, polygons, keypoints, "
    "brushes, choices",
    extensions=(".json",),
    kinds=frozenset({"box", "polygon", "keypoints", "instance_mask", "category", "multicategory"}),
    detect=detect,
    read=read_labelstudio,
    write=write_labelstudio,
    read_options=(
        Option(
            "reference_id",
            "what becomes an item's reference id: image (its file name) or task (the task id)",
            choice("image", "task"),
            "image",
        ),
        Option(
            "image_key", "the data key of the image (default: image, else the first image)", str, ""
        ),
        Option(
            "image_root",
            "folder or URL prefix for /data/upload/..., /data/local-files/?d=... and relative "
            "image paths",
            str,
            "",
        ),
        Option(
            "choices",
            "JSON-MIN: comma-separated control names whose plain strings are single choices",
            str,
            "",
        ),
        max_pixels_option(),
        on_error_option("malformed tasks and results"),
    ),
    write_options=(
        Option("flavor", "json (tasks, importable) or json-min", choice(*FLAVORS), "json"),
        Option(
            "image_key", "the data key of the image, where the item does not name one", str, "image"
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``labelstudio`` format."""
    register.add(FORMAT)
