"""Base64 images inside a LabelMe file: the whole image (``imageData``) and the pixels of a
``mask`` shape. Both are untrusted:

* the base64 text is bounded before it is decoded: at most :data:`BYTES_PER_PIXEL` bytes per
  pixel the ``max_pixels`` limit allows, plus :data:`HEADER_BYTES` (an image holding more is
  no image within the limit);
* the decoded bytes are opened by Pillow from memory (a chunk declaring more bytes than there
  are cannot make it allocate them) and the header's size is checked against the pixel limit
  before any pixel is decoded; ``imageData`` pixels are never decoded at all;
* every base64 and Pillow error is one :class:`~nucleus_convert.errors.InputError` naming the
  file, the record and the field.

Importing this module loads neither numpy nor Pillow.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nucleus_convert.errors import InputError
from nucleus_convert.toolkit.limits import image_errors, pixel_limit, pixels_problem

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from PIL import Image as PILImage

__all__ = ["BYTES_PER_PIXEL", "HEADER_BYTES", "Embedded", "Place", "image_data", "mask_pixels"]

BYTES_PER_PIXEL = 4
HEADER_BYTES = 1 << 20

_SUFFIXES = {
    "PNG": ".png",
    "JPEG": ".jpg",
    "BMP": ".bmp",
    "GIF": ".gif",
    "TIFF": ".tif",
    "WEBP": ".webp",
}
_MASK_MODES = frozenset({"1", "L", "P", "I", "I;16", "I;16B", "I;16L", "F"})


@dataclass(frozen=True, slots=True)
class Place:
    """Where a value sits in the source, for the error about it."""

    path: Path
    record: str | None
    field: str

    def error(self, message: str) -> InputError:
        return InputError(message, path=self.path, record=self.record, field=self.field)


@dataclass(frozen=True, slots=True)
class Embedded:
    """An image embedded as ``imageData``: its bytes, size from its header, and the suffix
    of its format (``.png``, ``.jpg``...)."""

    data: bytes
    width: int
    height: int
    suffix: str


def _decoded(text: Any, place: Place, max_pixels: int | None) -> bytes:
    if not isinstance(text, str):
        raise place.error(f"expected base64 text, got {type(text).__name__}")
    limit = BYTES_PER_PIXEL * pixel_limit(max_pixels) + HEADER_BYTES
    if len(text) > 4 * (limit // 3 + 1):
        raise place.error(
            f"{len(text)} characters of base64 is more than an image within the pixel limit "
            "needs (raise it with the reader option max_pixels)"
        )
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise place.error(f"not valid base64: {exc}") from None


@contextmanager
def _opened(data: bytes, place: Place, max_pixels: int | None) -> Iterator[PILImage.Image]:
    """The image in ``data``, opened from memory; its size checked against the pixel limit
    before the caller may decode a pixel; every Pillow error one located line."""
    from PIL import Image

    limit = pixel_limit(max_pixels)  # read before Pillow's own limit is lifted
    saved = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = None  # checked below, against the limit
        with Image.open(io.BytesIO(data)) as im:
            problem = pixels_problem(im.width, im.height, limit)
            if problem is not None:
                raise place.error(f"the image is too large: {problem}")
            yield im
    except image_errors() as exc:
        text = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise place.error(f"not an image that can be read: {text}") from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def image_data(text: Any, place: Place, max_pixels: int | None) -> Embedded:
    """Check an ``imageData`` value and read its image's header (no pixel is decoded)."""
    data = _decoded(text, place, max_pixels)
    with _opened(data, place, max_pixels) as im:
        width, height, fmt = im.width, im.height, im.format or ""
    return Embedded(data, width, height, _SUFFIXES.get(fmt, ".png"))


def mask_pixels(text: Any, place: Place, max_pixels: int | None) -> npt.NDArray[np.bool_]:
    """The ``(height, width)`` pixels of a mask shape's base64 image: a pixel of any value
    other than 0 is in the mask (as LabelMe reads it). The image must have one channel."""
    import numpy as np

    data = _decoded(text, place, max_pixels)
    with _opened(data, place, max_pixels) as im:
        if im.mode not in _MASK_MODES:
            raise place.error(f"a mask is a one-channel image, this one is {im.mode}")
        pixels = np.asarray(im)
    if pixels.ndim != 2:
        raise place.error(f"a mask is a one-channel image, this one has shape {pixels.shape}")
    out: npt.NDArray[np.bool_] = pixels != 0
    return out
