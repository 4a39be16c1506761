"""The ``labelme`` format: LabelMe JSON files (wkentaro/labelme 3.x to 5.x), one per image.

A dataset is one file or a folder of them, nested at any depth (:mod:`.files`); reading is
:mod:`.read` (shapes: :mod:`.shapes`, embedded images: :mod:`.embedded`), writing
:mod:`.write` (shapes: :mod:`.shape_write`), mask shapes :mod:`.masks`, what the writer
keeps :mod:`.carries`. This module declares the format and registers it through the plugin
hook, as any third-party format would.

Coordinates
-----------

LabelMe's canvas paints the image with its top-left corner at ``(0, 0)`` (``drawPixmap``), so
image pixel ``(i, j)`` covers the square ``[i, i + 1) x [j, j + 1)`` of its image coordinates,
and stores each point where it was clicked (mouse position divided by the zoom), as floats, in
those coordinates: origin at the top-left corner of the top-left pixel, x to the right, y
down. That is the model's convention, so **a point ``[x, y]`` is the model point ``(x, y)``
unchanged**, in both directions. (LabelMe keeps points on the image: ``0 <= x < width`` in
3.x and 4.x, ``0 <= x <= width`` since; nothing is clamped or shifted here.)

* ``rectangle``: ``points`` are two opposite corners, stored in the order they were dragged,
  so either diagonal and either order occurs. The box is ``x = min(x1, x2)``,
  ``y = min(y1, y2)``, ``width = |x2 - x1|``, ``height = |y2 - y1|``. The writer writes the
  top-left corner first and picks the bottom-right one so that it reads back as the same
  width and height, bit for bit, whenever a float corner can (always for coordinates with
  few binary digits: integers, halves, quarters...); otherwise the size comes back within one
  unit in the last place, counted as approximated.
* ``circle``: ``[centre, a point on the circle]``; read as the inscribed polygon whose edges
  stay within 0.1 pixel of the circle, first vertex at the given point (8 to 1024 vertices),
  counted in the reader's loss report as approximated ``(polygon, points)``.
* ``mask``: the one exception, in pixel indices: ``points`` are the first and last pixel
  ``[[xmin, ymin], [xmax, ymax]]`` of the patch the base64 PNG covers (see :mod:`.masks`).
* ``point``: one-point keypoints; ``line``/``linestrip``: polylines; ``polygon`` and
  ``oriented_rectangle``: polygons (see :mod:`.shapes` and :mod:`.shape_write`).

Flags, groups, description
--------------------------

Image ``flags`` become image categories of the taxonomy ``labelme_flags`` (one per true
flag; every flag name is a label of the taxonomy), so that they are classifications in
Nucleus. Shape ``flags`` are boolean attributes, a shape's ``description`` the attribute
``description``, and other shape keys attributes of their own; ``group_id`` is the model's
group id (``3`` <-> ``"3"``). ``imageData`` is checked but its pixels are never decoded; with
``-r extract_images=DIR`` an embedded image whose file is missing is written out.
"""

from __future__ import annotations

from pathlib import Path

from nucleus_convert.converters.labelme.files import first_label_file, looks_like_labelme
from nucleus_convert.converters.labelme.read import read_labelme
from nucleus_convert.converters.labelme.schema import SUFFIX
from nucleus_convert.converters.labelme.write import write_labelme
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.options import choice, flag
from nucleus_convert.registry import Format, Option, Registrar
from nucleus_convert.toolkit.images import IMAGE_MODES
from nucleus_convert.toolkit.limits import max_pixels_option
from nucleus_convert.toolkit.on_error import on_error_option

__all__ = ["FORMAT", "detect", "register_formats"]


def detect(path: Path) -> bool:
    """A ``.json`` file that starts (or ends) like a LabelMe file, or a folder whose first
    ``.json`` file (sorted walk, subfolders included) does. Cheap, and never raises."""
    try:
        if path.is_file():
            return path.name.lower().endswith(SUFFIX) and looks_like_labelme(path)
        if not path.is_dir():
            return False
    except OSError:
        return False
    first = first_label_file(path)
    return first is not None and looks_like_labelme(first)


FORMAT = Format(
    name="labelme",
    description="LabelMe JSON: one file per image (shapes, flags, masks), a file or a folder",
    extensions=(SUFFIX,),
    kinds=frozenset({"box", "polygon", "polyline", "keypoints", "instance_mask", "category"}),
    detect=detect,
    read=read_labelme,
    write=write_labelme,
    read_options=(
        Option(
            "extract_images",
            "folder to write embedded images (imageData) to when their imagePath file is "
            "missing (default: not written, counted)",
            str,
            "",
        ),
        max_pixels_option(),
        on_error_option("malformed files and shapes"),
    ),
    write_options=(
        Option(
            "images",
            "copy (default), symlink or none: the images beside their LabelMe files",
            choice(*IMAGE_MODES),
            "copy",
        ),
        Option(
            "image_data",
            "also embed each image file as base64 imageData (LabelMe's 'save image data')",
            flag,
            False,
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``labelme`` format."""
    register.add(FORMAT)
