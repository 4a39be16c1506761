"""Box: ``(x, y)`` top-left corner, width and height, in pixels; Nucleus type ``box``.

The client invents an ``annotation_id`` when none is given; the encoder writes the one it would
invent (``label-x-y-width-height-reference_id``) instead of leaving it to chance.
"""

from __future__ import annotations

import math
from typing import Any

from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.kinds.base import Codec, DecodeContext, EncodeContext
from nucleus_convert.kinds.values import PLAIN_NUMBERS, num, out, require
from nucleus_convert.model import Box

__all__ = ["BoxCodec"]

_EXTRA = frozenset({"embedding_vector", "task_id", "unknown_keys"})


class BoxCodec(Codec[Box]):
    kind = "box"
    model = Box
    nucleus_types = ("box",)
    carries = frozenset(
        {"label", "id", "attributes", "track_id", "group_id", "score", "class_pdf"}
        | {"x", "y", "width", "height"}
    )

    def decode(
        self,
        payload: dict[str, Any],
        geometry: dict[str, Any],
        common: dict[str, Any],
        ctx: DecodeContext,
    ) -> Box:
        w = num(require(geometry, "width", "geometry.width"), "geometry.width")
        h = num(require(geometry, "height", "geometry.height"), "geometry.height")
        if w < 0 or h < 0:
            raise InputError(f"negative box size {w} x {h}", field="geometry")
        return Box(
            x=num(require(geometry, "x", "geometry.x"), "geometry.x"),
            y=num(require(geometry, "y", "geometry.y"), "geometry.y"),
            width=w,
            height=h,
            **common,
        )

    def encode(
        self,
        ann: Box,
        reference_id: str,
        ctx: EncodeContext,
        where: object,
        mask_url: str | None = None,
    ) -> dict[str, Any] | None:
        md, task_id = ctx.begin(ann, _EXTRA, where)
        x, y, w, h = ann.x, ann.y, ann.width, ann.height
        if not (
            type(x) in PLAIN_NUMBERS
            and type(y) in PLAIN_NUMBERS
            and type(w) in PLAIN_NUMBERS
            and type(h) in PLAIN_NUMBERS
            and math.isfinite(x + y + w + h)
        ):
            x, y = out(x, f"{where}: x"), out(y, f"{where}: y")
            w, h = out(w, f"{where}: width"), out(h, f"{where}: height")
        if w < 0 or h < 0:
            raise OutputError(f"{where}: negative box size {w} x {h}")
        ann_id = ann.id if ann.id is not None else f"{ann.label}-{x}-{y}-{w}-{h}-{reference_id}"
        payload = {
            "label": ann.label,
            "type": "box",
            "geometry": {"x": x, "y": y, "width": w, "height": h},
            "reference_id": reference_id,
            "annotation_id": ann_id,
            "metadata": md,
            "embedding_vector": ann.extra.get("embedding_vector"),
            "track_reference_id": ann.track_id,
            "task_id": task_id,
        }
        if ann.prediction or ann.score is not None or ann.class_pdf is not None:
            ctx.prediction_fields(ann, payload, where)
        return payload
