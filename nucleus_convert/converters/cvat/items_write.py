"""An item's annotations as CVAT elements, shared by both flavours: predictions and kinds CVAT
lacks counted and left out, segmentations cut into one mask per segment, image categories as
``<tag>`` elements (images only), ids checked against the ids the reader will give.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from lxml import etree

from nucleus_convert.converters.cvat.carries import CARRIES, HANDLED, PREDICTION
from nucleus_convert.converters.cvat.schema import SOURCE, shape_id
from nucleus_convert.converters.cvat.shapes_write import Built, ShapeWriter
from nucleus_convert.converters.cvat.spec_write import LabelSpecs
from nucleus_convert.converters.cvat.values import attribute_text, xml_text_problem
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.geometry.rle import encode
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    ImageCategory,
    InstanceMask,
    Item,
    MultiCategory,
    Segmentation,
)
from nucleus_convert.toolkit.losses import FieldLedger

__all__ = ["ItemAnnotations"]

_NO_TAGS = "CVAT for video has no tags (image categories); write -w flavour=images"
_SEGMENTS = "written as one CVAT mask per segment, read back as instance masks"
_MULTI = "written as one CVAT tag per label, read back as image categories"


class ItemAnnotations:
    """Turns an item's annotations into shape elements (and, for images, tag elements)."""

    def __init__(self, report: LossReport, specs: LabelSpecs, *, video: bool) -> None:
        self.report = report
        self.specs = specs
        self.video = video
        self.ledger = FieldLedger(report, CARRIES)
        self.shapes = ShapeWriter(report, specs, video=video)

    def build(
        self, item: Item, where: str, size: tuple[int, int] | None
    ) -> tuple[list[Built], list[etree._Element], tuple[int, int] | None]:
        """``(shapes, tags, size)``: ``size`` is the image's, or the masks' when the item
        does not say."""
        shapes: list[Built] = []
        tags: list[etree._Element] = []
        for ann in item.annotations:
            if ann.prediction:
                self.report.dropped(ann.kind, reason=PREDICTION, example=where)
                continue
            if not self.ledger.take(ann, where):
                continue
            self.ledger.fields(ann, where, handled=HANDLED.get(ann.kind, ()))
            if isinstance(ann, ImageCategory | MultiCategory):
                tags.extend(self._tags(ann, where))
                continue
            masks = self._segments(ann, where) if isinstance(ann, Segmentation) else [ann]
            for shape in masks:
                fits, size = self._fits(shape, size, where)
                if not fits:
                    continue
                if not self.video and shape.track_id is not None:
                    self.report.dropped(
                        shape.kind,
                        "track_id",
                        reason="CVAT for images has no tracks (write -w flavour=video)",
                        example=where,
                    )
                built = self.shapes.build(shape, where)
                if built is not None:
                    shapes.append(built)
        if not self.video:
            self._check_ids(shapes, where)
        return shapes, tags, size

    def _fits(
        self, ann: Annotation, size: tuple[int, int] | None, where: str
    ) -> tuple[bool, tuple[int, int] | None]:
        """``(fits, size)``: the image size, given or taken from the mask; ``fits`` is false
        for a mask of another size than the image's (counted)."""
        if not isinstance(ann, InstanceMask):
            return True, size
        rle_size = ann.rle.get("size") if isinstance(ann.rle, dict) else None
        if not (isinstance(rle_size, list) and len(rle_size) == 2):
            raise OutputError(f"{where}: an instance mask's RLE has no [height, width] size")
        mask_size = (int(rle_size[1]), int(rle_size[0]))
        if size is None:
            return True, mask_size
        if size != mask_size:
            self.report.dropped(
                "instance_mask",
                reason="the mask's size is not the image's",
                example=f"{where}: {mask_size[0]}x{mask_size[1]} on {size}",
            )
            return False, size
        return True, size

    def _segments(self, ann: Segmentation, where: str) -> list[Annotation]:
        try:
            pixels = ann.mask.load()
        except (InputError, OSError, ValueError) as exc:
            self.report.dropped("segmentation", reason=f"mask not readable: {exc}", example=where)
            return []
        self.report.approximated("segmentation", reason=_SEGMENTS, example=where)
        out: list[Annotation] = []
        empty = 0
        for segment in ann.segments:
            binary = pixels == segment.index
            if not binary.any():
                empty += 1
                continue
            out.append(
                InstanceMask(
                    label=segment.label,
                    attributes=dict(segment.attributes or {}),
                    group_id=segment.group_id,
                    rle=encode(binary),
                )
            )
        if empty:
            self.report.dropped(
                "segmentation",
                "segments",
                n=empty,
                reason="a segment without pixels has no CVAT mask",
                example=where,
            )
        return out

    def _check_ids(self, shapes: list[Built], where: str) -> None:
        """Count the ids that will not read back (a shape's id is ``<tag><n>``)."""
        counts: Counter[str] = Counter()
        for built in shapes:
            counts[built.tag] += 1
            expected = shape_id(built.tag, counts[built.tag])
            if built.ann.id is not None and built.ann.id != expected:
                self.report.approximated(
                    built.ann.kind,
                    "id",
                    reason="a CVAT shape has no id: read back as <tag><n> (box1, mask2...)",
                    example=f"{where}: {built.ann.id!r} -> {expected!r}",
                )

    def _tags(self, ann: ImageCategory | MultiCategory, where: str) -> list[etree._Element]:
        if self.video:
            self.report.dropped(ann.kind, reason=_NO_TAGS, example=where)
            return []
        labels = ann.labels if isinstance(ann, MultiCategory) else [ann.label]
        if isinstance(ann, MultiCategory):
            self.report.approximated("multicategory", reason=_MULTI, example=where)
        attrs = dict(ann.attributes)
        key = f"cvat_{SOURCE}" if f"cvat_{SOURCE}" in attrs else SOURCE
        source = attrs.pop(key, None)
        if source is not None and not (isinstance(source, str) and source):
            self.report.dropped(
                ann.kind, f"attributes.{key}", reason="a CVAT source is a text", example=where
            )
            source = None
        group = self.shapes.group(ann, where)
        out = []
        for label in labels:
            if xml_text_problem(label) is not None:
                raise OutputError(f"{where}: label {label!r} cannot be written to XML")
            self.specs.use(label)
            el = etree.Element("tag", label=label)
            if source is not None:
                el.set("source", source)
            if group is not None:
                el.set("group_id", str(group))
            self._tag_attributes(el, ann, label, attrs, where)
            out.append(el)
        return out

    def _tag_attributes(
        self, el: etree._Element, ann: Annotation, label: str, attrs: dict[str, Any], where: str
    ) -> None:
        for key, value in attrs.items():
            text = attribute_text(value)
            if text is None or xml_text_problem(key) is not None:
                self.report.dropped(
                    ann.kind,
                    f"attributes.{key}",
                    reason="a CVAT attribute value is a number, a bool or a text",
                    example=where,
                )
                continue
            etree.SubElement(el, "attribute", name=key).text = text
            self.specs.attribute(label, None, key, value, ann.kind)
