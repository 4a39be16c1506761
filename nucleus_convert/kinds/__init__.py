"""One codec per annotation kind: the kind's model class, Nucleus payload, loss declaration and
round-trip comparison, declared once (see :mod:`.base`).

:data:`CODECS` maps every kind of :data:`nucleus_convert.model.ANNOTATION_KINDS` to its codec,
in the model's order; it is checked to be exhaustive when this package is imported, and
:func:`codec_for` refuses a kind without a codec (:class:`NoCodecError`) rather than skipping
it. Adding a kind: a model class, a module here with its codec, a line in :data:`CODECS`, and
one explicit decision per writer (its ``Carries`` declaration).
"""

from __future__ import annotations

from typing import Any

from nucleus_convert.kinds.base import Codec, DecodeContext, EncodeContext, PayloadlessCodec
from nucleus_convert.kinds.box import BoxCodec
from nucleus_convert.kinds.category import CategoryCodec
from nucleus_convert.kinds.compare import Comparison
from nucleus_convert.kinds.cuboid import CuboidCodec
from nucleus_convert.kinds.instance_mask import InstanceMaskCodec
from nucleus_convert.kinds.keypoints import KeypointsCodec
from nucleus_convert.kinds.multicategory import MultiCategoryCodec
from nucleus_convert.kinds.polygon import PolygonCodec
from nucleus_convert.kinds.polyline import PolylineCodec
from nucleus_convert.kinds.scene_category import SceneCategoryCodec
from nucleus_convert.kinds.segmentation import SegmentationCodec
from nucleus_convert.model import ANNOTATION_KINDS

__all__ = [
    "CODECS",
    "Codec",
    "Comparison",
    "DecodeContext",
    "EncodeContext",
    "NoCodecError",
    "PayloadlessCodec",
    "check_codecs",
    "codec_for",
]


class NoCodecError(LookupError):
    """An annotation kind that no codec declares."""

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"no codec for annotation kind {kind!r}: every kind of the model needs one "
            "in nucleus_convert.kinds.CODECS"
        )
        self.kind = kind


def check_codecs(codecs: dict[str, Codec[Any]]) -> None:
    """Raise ``TypeError`` unless ``codecs`` has exactly one codec per model kind, each under its
    own kind, for the model's class of that kind."""
    missing = set(ANNOTATION_KINDS) - set(codecs)
    unknown = set(codecs) - set(ANNOTATION_KINDS)
    if missing or unknown:
        raise TypeError(
            f"kinds without a codec: {sorted(missing)}; codecs of no model kind: {sorted(unknown)}"
        )
    for kind, codec in codecs.items():
        if codec.kind != kind or codec.model is not ANNOTATION_KINDS[kind]:
            raise TypeError(f"the codec under {kind!r} is for {codec.kind!r} ({codec.model})")


CODECS: dict[str, Codec[Any]] = {
    codec.kind: codec
    for codec in (
        BoxCodec(),
        PolygonCodec(),
        PolylineCodec(),
        KeypointsCodec(),
        InstanceMaskCodec(),
        SegmentationCodec(),
        CuboidCodec(),
        CategoryCodec(),
        MultiCategoryCodec(),
        SceneCategoryCodec(),
    )
}
check_codecs(CODECS)


def codec_for(kind: str) -> Codec[Any]:
    """The codec of ``kind``; :class:`NoCodecError` when there is none."""
    codec = CODECS.get(kind)
    if codec is None:
        raise NoCodecError(kind)
    return codec
