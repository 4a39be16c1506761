"""Polyline: an open chain of ``(x, y)`` vertices in pixels; Nucleus type ``line``.

Vertices are written as a polygon's are; a ``line`` payload has no ``embedding_vector``.
"""

from __future__ import annotations

from typing import Any

from nucleus_convert.kinds.base import Codec, DecodeContext, EncodeContext
from nucleus_convert.kinds.polygon import POINT_CARRIES
from nucleus_convert.kinds.values import points2, vertices
from nucleus_convert.model import Polyline

__all__ = ["PolylineCodec"]

_EXTRA = frozenset({"task_id", "unknown_keys"})


class PolylineCodec(Codec[Polyline]):
    kind = "polyline"
    model = Polyline
    nucleus_types = ("line",)
    carries = POINT_CARRIES

    def decode(
        self,
        payload: dict[str, Any],
        geometry: dict[str, Any],
        common: dict[str, Any],
        ctx: DecodeContext,
    ) -> Polyline:
        return Polyline(points=points2(geometry, 2, "line"), **common)

    def encode(
        self,
        ann: Polyline,
        reference_id: str,
        ctx: EncodeContext,
        where: object,
        mask_url: str | None = None,
    ) -> dict[str, Any] | None:
        md, task_id = ctx.begin(ann, _EXTRA, where)
        payload = {
            "label": ann.label,
            "type": "line",
            "geometry": {"vertices": vertices(ann.points, where)},
            "reference_id": reference_id,
            "annotation_id": ann.id,
            "metadata": md,
            "track_reference_id": ann.track_id,
            "task_id": task_id,
        }
        if ann.prediction or ann.score is not None or ann.class_pdf is not None:
            ctx.prediction_fields(ann, payload, where)
        return payload
