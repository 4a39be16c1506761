"""Category: a whole-item class label, optionally under a taxonomy; Nucleus type ``category``.

Category payloads have no ``annotation_id``. Scene categories share the payload type (see
:mod:`.scene_category`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from nucleus_convert.kinds.base import Codec, DecodeContext, EncodeContext
from nucleus_convert.kinds.values import opt_text, require, text
from nucleus_convert.model import ImageCategory

__all__ = ["CATEGORY_EXTRA", "NO_ANNOTATION_ID", "CategoryCodec"]

CATEGORY_EXTRA = frozenset({"task_id", "unknown_keys"})
"""The ``extra`` keys a category-like payload has a place for."""
NO_ANNOTATION_ID = "Nucleus category payloads have no annotation_id"


class CategoryCodec(Codec[ImageCategory]):
    kind = "category"
    model = ImageCategory
    nucleus_types = ("category",)
    carries = frozenset(
        {"label", "attributes", "track_id", "group_id", "score", "class_pdf", "taxonomy"}
    )
    reasons: ClassVar[dict[str, str]] = {"id": NO_ANNOTATION_ID}

    def decode(
        self,
        payload: dict[str, Any],
        geometry: dict[str, Any],
        common: dict[str, Any],
        ctx: DecodeContext,
    ) -> ImageCategory:
        taxonomy = opt_text(payload.get("taxonomy_name"), "taxonomy_name")
        common["label"] = text(require(payload, "label", "label"), "label")
        return ImageCategory(taxonomy=taxonomy, **common)

    def encode(
        self,
        ann: ImageCategory,
        reference_id: str,
        ctx: EncodeContext,
        where: object,
        mask_url: str | None = None,
    ) -> dict[str, Any] | None:
        extra = ann.extra
        if extra:
            ctx.extra(ann, CATEGORY_EXTRA, where)
        ctx.kept["category"] += 1
        payload: dict[str, Any] = {
            "label": ann.label,
            "type": "category",
            "geometry": {},
            "reference_id": reference_id,
            "metadata": ctx.metadata(ann, where),
            "track_reference_id": ann.track_id,
            "task_id": ctx.task_id(ann, where) if extra else None,
        }
        if ann.taxonomy is not None:
            payload["taxonomy_name"] = ann.taxonomy
        if ann.prediction or ann.score is not None or ann.class_pdf is not None:
            ctx.prediction_fields(ann, payload, where)
        return payload
