"""Cuboid: centre, dimensions (length along heading, width, height) in metres and yaw about +z
in radians; Nucleus type ``cuboid``.

Nucleus ``dimensions`` are x = length, y = width, z = height. The client omits empty optional
keys of a cuboid payload, and so does the encoder.
"""

from __future__ import annotations

import math
from typing import Any

from nucleus_convert.errors import InputError
from nucleus_convert.kinds.base import Codec, DecodeContext, EncodeContext
from nucleus_convert.kinds.compare import Comparison
from nucleus_convert.kinds.values import num, out, point3, require, xyz
from nucleus_convert.model import Cuboid

__all__ = ["CuboidCodec"]

_EXTRA = frozenset({"task_id", "unknown_keys"})


class CuboidCodec(Codec[Cuboid]):
    kind = "cuboid"
    model = Cuboid
    nucleus_types = ("cuboid",)
    carries = frozenset(
        {"label", "id", "attributes", "track_id", "group_id", "score", "class_pdf"}
        | {"position", "dimensions", "yaw"}
    )
    special_fields = frozenset({"yaw"})

    def decode(
        self,
        payload: dict[str, Any],
        geometry: dict[str, Any],
        common: dict[str, Any],
        ctx: DecodeContext,
    ) -> Cuboid:
        dims = point3(require(geometry, "dimensions", "geometry.dimensions"), "geometry.dimensions")
        if min(dims) < 0:
            raise InputError(f"negative cuboid dimensions {dims}", field="geometry.dimensions")
        return Cuboid(
            position=point3(
                require(geometry, "position", "geometry.position"), "geometry.position"
            ),
            dimensions=dims,
            yaw=num(require(geometry, "yaw", "geometry.yaw"), "geometry.yaw"),
            **common,
        )

    def encode(
        self,
        ann: Cuboid,
        reference_id: str,
        ctx: EncodeContext,
        where: object,
        mask_url: str | None = None,
    ) -> dict[str, Any] | None:
        md, task_id = ctx.begin(ann, _EXTRA, where)
        payload: dict[str, Any] = {
            "label": ann.label,
            "type": "cuboid",
            "geometry": {
                "position": xyz(ann.position, f"{where}: position"),
                "dimensions": xyz(ann.dimensions, f"{where}: dimensions"),
                "yaw": out(ann.yaw, f"{where}: yaw"),
            },
            "reference_id": reference_id,
        }
        if ann.id:
            payload["annotation_id"] = ann.id
        if md:
            payload["metadata"] = md
        if ann.track_id:
            payload["track_reference_id"] = ann.track_id
        if task_id:
            payload["task_id"] = task_id
        if ann.prediction or ann.score is not None or ann.class_pdf is not None:
            ctx.prediction_fields(ann, payload, where)
        return payload

    def compare_special(self, a: Cuboid, b: Cuboid, cmp: Comparison, where: str) -> None:
        """``yaw`` modulo a full turn (0 and 2 pi are the same heading)."""
        cmp.num("cuboid", "yaw", 0.0, math.remainder(a.yaw - b.yaw, math.tau), where)
