"""Previews: what a dataset holds, drawn. One PNG per item and a contact sheet.

``preview(src, out)`` (and ``nucleus-convert preview SRC OUT``) reads any readable source,
or a Nucleus bundle to look at what would be uploaded, and draws every item:

* an image item: its image (scaled; a blank grey canvas of its size, crossed out and noted,
  where the image is not a local file), boxes, polygons (translucent inside), polylines,
  keypoints with their skeleton, instance masks and segmentations (translucent), each shape
  tagged with its label, ``#track id`` and, for a prediction, its score; predictions are
  dashed (masks hatched); whole-image categories are listed under the picture;
* a point cloud item: a bird's-eye view, x forward up the picture and y left to the left
  (the model's right-handed, z-up frame seen from above), with each cuboid's footprint and
  heading.

Every label has one colour, derived from a hash of its name, the same in every run and
image (:func:`label_colour`). Modules: ``colours`` (label colours), ``strokes`` (solid and
dashed lines, clipped), ``text`` (font, tags), ``canvas`` (the image or blank canvas, the
scale), ``draw2d`` (vector shapes), ``masks`` (pixel annotations), ``bev`` (bird's-eye
view), ``caption`` (the strip under a preview), ``sheet`` (the contact sheet), ``render``
(one item), ``run`` (the public :func:`preview`).
"""

from __future__ import annotations

from nucleus_convert.drawing.colours import label_colour
from nucleus_convert.drawing.run import (
    SHEET_NAME,
    ItemPreview,
    PreviewResult,
    preview,
    preview_dataset,
)

__all__ = [
    "SHEET_NAME",
    "ItemPreview",
    "PreviewResult",
    "label_colour",
    "preview",
    "preview_dataset",
]
