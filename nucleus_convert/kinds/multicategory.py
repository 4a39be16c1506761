"""Multicategory: several whole-item labels under one taxonomy; Nucleus type
``multicategory``.

The official client marks ``MultiCategoryAnnotation`` unsupported (each one is counted as not
uploadable) and has no multicategory prediction (a predicted one is dropped).
"""

from __future__ import annotations

from typing import Any, ClassVar

from nucleus_convert.kinds.base import Codec, DecodeContext, EncodeContext
from nucleus_convert.kinds.category import CATEGORY_EXTRA, NO_ANNOTATION_ID
from nucleus_convert.kinds.values import array, opt_text, require, text
from nucleus_convert.model import MultiCategory

__all__ = ["MultiCategoryCodec"]


class MultiCategoryCodec(Codec[MultiCategory]):
    kind = "multicategory"
    model = MultiCategory
    nucleus_types = ("multicategory",)
    carries = frozenset(
        {"attributes", "track_id", "group_id", "score", "class_pdf", "labels", "taxonomy"}
    )
    reasons: ClassVar[dict[str, str]] = {
        "id": NO_ANNOTATION_ID,
        "label": "a Nucleus multicategory payload has labels, not a label",
    }

    def decode(
        self,
        payload: dict[str, Any],
        geometry: dict[str, Any],
        common: dict[str, Any],
        ctx: DecodeContext,
    ) -> MultiCategory:
        labels = array(require(payload, "labels", "labels"), "labels")
        return MultiCategory(
            labels=[text(v, f"labels[{i}]") for i, v in enumerate(labels)],
            taxonomy=opt_text(payload.get("taxonomy_name"), "taxonomy_name"),
            **common,
        )

    def encode(
        self,
        ann: MultiCategory,
        reference_id: str,
        ctx: EncodeContext,
        where: object,
        mask_url: str | None = None,
    ) -> dict[str, Any] | None:
        if ann.prediction:
            ctx.report.dropped(
                "multicategory",
                reason="Nucleus has no multicategory prediction",
                example=str(where),
            )
            return None
        md, task_id = ctx.begin(ann, CATEGORY_EXTRA, where)
        payload: dict[str, Any] = {"labels": list(ann.labels), "type": "multicategory"}
        ctx.report.not_uploadable(
            "multicategory",
            reason="the official client marks MultiCategoryAnnotation unsupported",
        )
        payload["geometry"] = {}
        payload["reference_id"] = reference_id
        payload["metadata"] = md
        payload["track_reference_id"] = ann.track_id
        payload["task_id"] = task_id
        if ann.taxonomy is not None:
            payload["taxonomy_name"] = ann.taxonomy
        if ann.score is not None or ann.class_pdf is not None:
            ctx.prediction_fields(ann, payload, where)
        return payload
