"""LabelMe ``mask`` shapes and the model's instance masks (COCO RLE over the whole image).

A mask shape (labelme 5.3 and later) holds a base64 PNG of the object's bounding patch and, as
``points``, the patch's corner pixels ``[[xmin, ymin], [xmax, ymax]]``. Unlike every other
shape, these are pixel indices, not continuous coordinates: patch pixel ``(c, r)`` is image
pixel ``(xmin + c, ymin + r)``, the square ``[xmin + c, xmin + c + 1) x [ymin + r, ymin + r +
1)`` of the model. As LabelMe reads it (``labelme/_utils/shape.py``, ``shapes_to_label``):

* the patch's top-left pixel is ``points[0]`` rounded to the nearest integer (halves to even,
  as numpy's ``round``);
* with integer ``points`` the patch must be ``(xmax - xmin + 1) x (ymax - ymin + 1)`` pixels
  (checked by the reader); with fractional ones (a dragged mask) the PNG's own size counts;
* a pixel of any value but 0 is in the mask; pixels outside the image are cut off (the reader
  counts them as approximated).

The writer crops the mask to the tight box of its pixels and writes integer ``points``, as
LabelMe's own tools do; the PNG is 8-bit grey with values 0 and 1.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

from nucleus_convert.geometry.rle import encode

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["expected_patch_size", "mask_rle", "mask_shape", "patch_origin"]


def patch_origin(points: list[tuple[float, float]]) -> tuple[int, int]:
    """The image pixel of the patch's top-left pixel: ``points[0]`` rounded (halves to even,
    as numpy's ``round`` that LabelMe uses)."""
    x, y = points[0]
    return round(x), round(y)


def expected_patch_size(points: list[tuple[float, float]]) -> tuple[int, int] | None:
    """``(width, height)`` the patch must have when both corners are integers, else ``None``
    (the PNG's own size counts)."""
    (x1, y1), (x2, y2) = points
    if not all(float(v).is_integer() for v in (x1, y1, x2, y2)):
        return None
    return int(x2) - int(x1) + 1, int(y2) - int(y1) + 1


def mask_rle(
    patch: npt.NDArray[np.bool_], origin: tuple[int, int], size: tuple[int, int]
) -> tuple[dict[str, Any], int]:
    """The compressed RLE of the patch placed at ``origin`` in an image of ``size``
    (``(width, height)``), and how many of its pixels fell outside the image (cut off)."""
    import numpy as np

    width, height = size
    x0, y0 = origin
    full = np.zeros((height, width), dtype=np.uint8)
    ph, pw = patch.shape
    xs, xe = max(x0, 0), min(x0 + pw, width)
    ys, ye = max(y0, 0), min(y0 + ph, height)
    inside = 0
    if xs < xe and ys < ye:
        part = patch[ys - y0 : ye - y0, xs - x0 : xe - x0]
        full[ys:ye, xs:xe] = part
        inside = int(np.count_nonzero(part))
    return encode(full), int(np.count_nonzero(patch)) - inside


def mask_shape(pixels: npt.NDArray[Any]) -> tuple[list[list[int]], str] | None:
    """``(points, base64 PNG)`` of a mask shape holding the non-zero pixels of a
    ``(height, width)`` image mask, cropped to their tight box; ``None`` when no pixel is set
    (a mask shape needs one)."""
    import numpy as np
    from PIL import Image

    rows = np.flatnonzero(pixels.any(axis=1))
    cols = np.flatnonzero(pixels.any(axis=0))
    if rows.size == 0:
        return None
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    patch = (pixels[y0 : y1 + 1, x0 : x1 + 1] != 0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(patch).save(buffer, format="PNG")
    return [[x0, y0], [x1, y1]], base64.b64encode(buffer.getvalue()).decode("ascii")
