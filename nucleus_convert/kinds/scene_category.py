"""Scene category: a class label for a whole scene; Nucleus type ``category`` on a scene.

Scene categories share the ``category`` payload type with item categories: the bundle keeps
them in files of their own so that ``SceneCategoryAnnotation.from_json`` reads them. Their
payload has no track and no ``class_pdf``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from nucleus_convert.kinds.base import Codec, DecodeContext, EncodeContext
from nucleus_convert.kinds.category import CATEGORY_EXTRA, NO_ANNOTATION_ID
from nucleus_convert.kinds.values import opt_text, require, text
from nucleus_convert.model import SceneCategory

__all__ = ["SceneCategoryCodec"]


class SceneCategoryCodec(Codec[SceneCategory]):
    kind = "scene_category"
    model = SceneCategory
    nucleus_types = ("category",)
    on_scene = True
    carries = frozenset({"label", "attributes", "group_id", "score", "taxonomy"})
    handled = frozenset({"extra", "class_pdf"})
    reasons: ClassVar[dict[str, str]] = {
        "id": NO_ANNOTATION_ID,
        "track_id": "scene categories have no track",
    }

    def decode(
        self,
        payload: dict[str, Any],
        geometry: dict[str, Any],
        common: dict[str, Any],
        ctx: DecodeContext,
    ) -> SceneCategory:
        taxonomy = opt_text(payload.get("taxonomy_name"), "taxonomy_name")
        common["label"] = text(require(payload, "label", "label"), "label")
        return SceneCategory(taxonomy=taxonomy, **common)

    def encode(
        self,
        ann: SceneCategory,
        reference_id: str,
        ctx: EncodeContext,
        where: object,
        mask_url: str | None = None,
    ) -> dict[str, Any] | None:
        extra = ann.extra
        if extra:
            ctx.extra(ann, CATEGORY_EXTRA, where)
        ctx.kept["scene_category"] += 1
        payload: dict[str, Any] = {
            "label": ann.label,
            "type": "category",
            "geometry": {},
            "reference_id": reference_id,
            "metadata": ctx.metadata(ann, where),
            "task_id": ctx.task_id(ann, where) if extra else None,
        }
        if ann.taxonomy is not None:
            payload["taxonomy_name"] = ann.taxonomy
        if ann.prediction or ann.score is not None or ann.class_pdf is not None:
            ctx.prediction_fields(ann, payload, where, pdf=False)
        return payload
