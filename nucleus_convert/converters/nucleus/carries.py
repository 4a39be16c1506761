"""What a Nucleus bundle keeps of each model record (``Carries`` declarations for the ledger).

* Annotations: what each kind's payload keeps is declared by its codec
  (:attr:`~nucleus_convert.kinds.Codec.carries`, with the reasons for the rest); fields a codec
  counts itself (``extra`` key by key, ``score``/``class_pdf`` on ground truth...) are its
  :attr:`~nucleus_convert.kinds.Codec.handled`.
* Instance masks have no payload: the writer turns them into a segmentation or polygons first
  (:mod:`nucleus_convert.toolkit.instance_masks`), which keep the fields below.
* Items with media keep every field (camera parameters in ``metadata.camera_params``; ``extra``
  is counted key by key: only ``embedding_info`` has a place); an item without media is no
  DatasetItem at all, so only its reference id (on its annotations) remains.
* Scenes and the header (in the manifest) keep every field.
"""

from __future__ import annotations

from typing import Any

from nucleus_convert.kinds import CODECS, Codec
from nucleus_convert.toolkit.losses import Carries, record_fields

__all__ = [
    "INSTANCE_MASK_CARRIES",
    "ITEM_HANDLED",
    "MEDIALESS_ITEM_CARRIES",
    "NUCLEUS_CARRIES",
    "uncarried",
]

_RECORDS: dict[str, frozenset[str]] = {
    "item": frozenset({"reference_id", "media", "metadata", "camera", "annotations"}),
    "scene": frozenset(record_fields("scene")),
    "header": frozenset(record_fields("header")),
}

NUCLEUS_CARRIES = Carries.of(
    "nucleus",
    {kind: codec.carries for kind, codec in CODECS.items() if codec.nucleus_types} | _RECORDS,
    reasons={
        (kind, field): reason
        for kind, codec in CODECS.items()
        for field, reason in codec.reasons.items()
    },
)
"""Every record kind a bundle has a place for: annotations as their codecs declare them,
items, scenes and the header."""

ITEM_HANDLED = frozenset({"extra"})
"""Item fields the writer counts itself (``extra``, key by key)."""

_NO_ITEM = "item without media: no DatasetItem written"
MEDIALESS_ITEM_CARRIES = Carries.of(
    "nucleus",
    {"item": {"reference_id", "annotations"}},
    reasons={("item", f): _NO_ITEM for f in ("media", "metadata", "camera", "extra")},
)
"""An item without media: its annotations are written, the item itself is not."""

_MASK_COMMON = {"label", "attributes", "group_id", "score", "rle"}
INSTANCE_MASK_CARRIES = {
    "segmentation": Carries.of(
        "nucleus",
        {"instance_mask": _MASK_COMMON},
        reasons={
            ("instance_mask", "id"): "a segment of the item's index mask has no id of its own",
            **{
                ("instance_mask", f): "an index mask segment has no such field"
                for f in ("track_id", "class_pdf", "extra")
            },
        },
    ),
    "polygons": Carries.of(
        "nucleus",
        {"instance_mask": _MASK_COMMON | {"id"}},
        reasons={
            ("instance_mask", f): "instance masks traced to polygons do not keep it"
            for f in ("track_id", "class_pdf", "extra")
        },
    ),
}
"""What the instance-mask conversion keeps, per ``masks`` writer option (see
:func:`nucleus_convert.toolkit.instance_masks.instance_masks_for_nucleus`)."""


def uncarried(codec: Codec[Any]) -> frozenset[str]:
    """The fields of ``codec``'s kind its payload neither carries nor counts itself (empty for
    a kind without payload: the codec counts the whole record)."""
    if not codec.nucleus_types:
        return frozenset()
    return frozenset(codec.fields()) - codec.carries - codec.handled
