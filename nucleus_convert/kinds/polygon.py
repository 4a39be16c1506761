"""Polygon: one closed ring of ``(x, y)`` vertices in pixels (not repeated at the end); Nucleus
type ``polygon``.

Vertices are written through :func:`~nucleus_convert.kinds.values.vertices`, the byte-level fast
path of the bundle writer.
"""

from __future__ import annotations

from typing import Any

from nucleus_convert.kinds.base import Codec, DecodeContext, EncodeContext
from nucleus_convert.kinds.values import points2, vertices
from nucleus_convert.model import Polygon

__all__ = ["POINT_CARRIES", "PolygonCodec"]

POINT_CARRIES = frozenset(
    {"label", "id", "attributes", "track_id", "group_id", "score", "class_pdf", "points"}
)
"""What a ``polygon`` or ``line`` payload keeps."""
_EXTRA = frozenset({"embedding_vector", "task_id", "unknown_keys"})


class PolygonCodec(Codec[Polygon]):
    kind = "polygon"
    model = Polygon
    nucleus_types = ("polygon",)
    carries = POINT_CARRIES

    def decode(
        self,
        payload: dict[str, Any],
        geometry: dict[str, Any],
        common: dict[str, Any],
        ctx: DecodeContext,
    ) -> Polygon:
        return Polygon(points=points2(geometry, 3, "polygon"), **common)

    def encode(
        self,
        ann: Polygon,
        reference_id: str,
        ctx: EncodeContext,
        where: object,
        mask_url: str | None = None,
    ) -> dict[str, Any] | None:
        md, task_id = ctx.begin(ann, _EXTRA, where)
        payload = {
            "label": ann.label,
            "type": "polygon",
            "geometry": {"vertices": vertices(ann.points, where)},
            "reference_id": reference_id,
            "annotation_id": ann.id,
            "metadata": md,
            "embedding_vector": ann.extra.get("embedding_vector"),
            "track_reference_id": ann.track_id,
            "task_id": task_id,
        }
        if ann.prediction or ann.score is not None or ann.class_pdf is not None:
            ctx.prediction_fields(ann, payload, where)
        return payload
