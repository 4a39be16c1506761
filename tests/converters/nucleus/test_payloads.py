"""Payloads <-> model through the codecs: every kind with a Nucleus payload comes back equal,
and the encoder refuses a kind no codec declares."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import orjson
import pytest

from nucleus_convert.converters.nucleus.payloads import Decoder, Encoder
from nucleus_convert.errors import OutputError
from nucleus_convert.kinds import CODECS, Comparison
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Box,
    Cuboid,
    ImageCategory,
    Keypoint,
    Keypoints,
    MaskRef,
    MultiCategory,
    Polygon,
    Polyline,
    SceneCategory,
    Segment,
    Segmentation,
    Visibility,
)

_COMMON = {"label": "car", "id": "a-1", "attributes": {"k": 1}, "track_id": "t", "group_id": "g"}
SAMPLES: dict[str, Annotation] = {
    "box": Box(x=1, y=2.5, width=3, height=4, score=0.5, class_pdf={"car": 1.0}, **_COMMON),
    "polygon": Polygon(points=[(0, 0), (4, 0.5), (4, 3)], extra={"task_id": "x"}, **_COMMON),
    "polyline": Polyline(points=[(0, 0), (4, 1.5)], **_COMMON),
    "keypoints": Keypoints(
        points=[Keypoint(1, 2, Visibility.VISIBLE), Keypoint(None, None, Visibility.UNLABELLED)],
        names=["a", "b"],
        skeleton=[(0, 1)],
        **_COMMON,
    ),
    "cuboid": Cuboid(position=(1, 2, 3), dimensions=(4, 2, 1.5), yaw=0.25, **_COMMON),
    "category": ImageCategory(label="day", taxonomy="time", attributes={"k": 1}, group_id="g"),
    "multicategory": MultiCategory(labels=["a", "b"], taxonomy="tags", track_id="t"),
    "scene_category": SceneCategory(label="road", taxonomy="r", score=0.25),
    "segmentation": Segmentation(
        id="s-1", mask=MaskRef(path="m.png"), segments=[Segment(1, "car", {"k": 2}, "g")]
    ),
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_kind_comes_back_from_its_payload_without_loss(kind: str) -> None:
    ann = SAMPLES[kind]
    report = LossReport()
    encoder = Encoder(report)
    payload = encoder.annotation(ann, "ref-1", mask_url="m.png")
    assert payload is not None
    encoder.flush()
    assert not report.has_loss(), report.format_table(only_loss=True)
    assert report.entries[(kind, "*")].count("kept") == 1
    ref, back = Decoder().annotation(
        orjson.loads(orjson.dumps(payload)),
        prediction=ann.prediction,
        scene=CODECS[kind].on_scene,
    )
    assert ref == "ref-1" and type(back) is type(ann)
    compared = LossReport()
    CODECS[kind].compare(ann, back, Comparison(compared, 0.0), kind)
    assert not compared.has_loss(), compared.format_table(only_loss=True)


def test_the_encoder_refuses_a_kind_without_a_codec() -> None:
    @dataclasses.dataclass(slots=True, kw_only=True)
    class Ellipse(Annotation):
        kind: ClassVar[str] = "ellipse"

    with pytest.raises(OutputError, match="the nucleus format does not know annotation kind"):
        Encoder(LossReport()).annotation(Ellipse(label="e"), "ref")


def test_the_decoder_reads_scene_categories_through_the_scene_codec() -> None:
    payload = {"type": "box", "reference_id": "s", "label": "x", "geometry": {}}
    with pytest.raises(Exception, match="a scene annotation must be a category, got 'box'"):
        Decoder().annotation(payload, prediction=False, scene=True)
    _, ann = Decoder().annotation(
        {"type": "category", "reference_id": "s", "label": "x"}, prediction=False, scene=True
    )
    assert isinstance(ann, SceneCategory)


def test_an_index_mask_in_memory_is_not_part_of_the_payload() -> None:
    seg = Segmentation(mask=MaskRef(array=np.zeros((2, 2), dtype=np.uint8)), segments=[])
    payload = Encoder(LossReport()).annotation(seg, "ref", mask_url="masks/ref.png")
    assert payload == {
        "type": "mask",
        "mask_url": "masks/ref.png",
        "annotations": [],
        "annotation_id": None,
        "reference_id": "ref",
    }
