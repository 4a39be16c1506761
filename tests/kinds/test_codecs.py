"""The codec table: one codec per model kind, checked when declared, never skipped."""

from __future__ import annotations

import pytest

from nucleus_convert.converters.nucleus.schema import ANNOTATION_TYPES, KINDS
from nucleus_convert.kinds import CODECS, NoCodecError, PayloadlessCodec, check_codecs, codec_for
from nucleus_convert.kinds.box import BoxCodec
from nucleus_convert.model import ANNOTATION_KINDS, Box
from nucleus_convert.toolkit.losses import record_fields


def test_every_model_kind_has_exactly_one_codec_for_its_class() -> None:
    assert set(CODECS) == set(ANNOTATION_KINDS)
    for kind, codec in CODECS.items():
        assert codec.kind == kind and codec.model is ANNOTATION_KINDS[kind]


def test_a_kind_without_a_codec_is_a_clear_error() -> None:
    with pytest.raises(NoCodecError, match=r"no codec for annotation kind 'ellipse'"):
        codec_for("ellipse")


def test_an_incomplete_table_is_refused() -> None:
    partial = {k: c for k, c in CODECS.items() if k != "cuboid"}
    with pytest.raises(TypeError, match=r"kinds without a codec: \['cuboid'\]"):
        check_codecs(partial)
    swapped = {**CODECS, "polygon": CODECS["polyline"]}
    with pytest.raises(TypeError, match="the codec under 'polygon' is for 'polyline'"):
        check_codecs(swapped)


def test_codec_fields_are_the_model_fields_without_the_prediction_flag() -> None:
    for kind, codec in CODECS.items():
        assert codec.fields() == record_fields(kind)
        assert "prediction" not in codec.fields()


def test_the_nucleus_payload_types_are_the_codecs_types() -> None:
    assert set(ANNOTATION_TYPES) == {t for c in CODECS.values() for t in c.nucleus_types}
    assert set(ANNOTATION_KINDS) - {"instance_mask"} == KINDS


def test_instance_masks_say_explicitly_that_nucleus_has_no_payload_for_them() -> None:
    codec = CODECS["instance_mask"]
    assert codec.nucleus_types == ()
    assert "no per-instance mask" in codec.no_payload


def test_a_codec_naming_a_field_its_model_lacks_is_refused_when_declared() -> None:
    with pytest.raises(TypeError, match=r"box has no field\(s\) \['radius'\]"):

        class _Bad(BoxCodec):
            carries = BoxCodec.carries | {"radius"}


def test_a_codec_for_the_wrong_model_class_is_refused_when_declared() -> None:
    with pytest.raises(TypeError, match="model Box is not kind 'polygon'"):

        class _Bad(BoxCodec):
            kind = "polygon"


def test_a_kind_without_payload_must_say_why() -> None:
    with pytest.raises(TypeError, match="no Nucleus type and no word on why"):

        class _Silent(PayloadlessCodec[Box]):
            kind = "box"
            model = Box
