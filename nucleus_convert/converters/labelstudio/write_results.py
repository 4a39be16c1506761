"""Model annotations to Label Studio results (the inverse of :mod:`.read_results`).

* Pixels become percentages of the image size with :func:`.coords.to_percent`, which picks the
  percentage that reads back as the same pixel value; where none does (a value another format
  gave with more digits than a percentage keeps), the nearest is written and the field is
  counted as approximated.
* A polygon read from a rotated rectangle (``ls_rectangle``) is written as that rectangle
  again when its corners are still exactly the rectangle's; otherwise as a polygon (the
  rectangle attribute counted as dropped).
* Keypoints: one labelled point is one ``keypointlabels`` result; a set of several points
  becomes one result per placed point, labelled with its point name (approximated: the set's
  label and skeleton are not kept); unplaced points are dropped; hidden ones are written as
  points (Label Studio has no visibility).
* Instance masks and the segments of a segmentation become ``brushlabels`` results
  (:mod:`.brush`); a segmentation is approximated (one brush per segment).
* A multicategory with one label is read back as a category (approximated).
* Result ids: ``ls_id``, else the annotation id, else ``nc-<n>``. Attributes other than the
  ``ls_*`` ones go to the result's ``meta.attributes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from nucleus_convert.converters.labelstudio import brush
from nucleus_convert.converters.labelstudio.coords import (
    points_to_percent,
    rectangle_corners,
    to_percent,
)
from nucleus_convert.converters.labelstudio.schema import (
    ATTR,
    DEFAULT_TO_NAME,
    default_from_name,
    default_origin,
    label_key,
)
from nucleus_convert.geometry.rle import decode
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Box,
    ImageCategory,
    InstanceMask,
    Keypoints,
    MultiCategory,
    Polygon,
    Segmentation,
    Visibility,
)

__all__ = ["Target", "Written", "write_annotation"]

_DRAWN_TYPES = {
    "box": ("rectanglelabels", "rectangle", "labels"),
    "polygon": ("polygonlabels", "polygon", "labels"),
    "keypoints": ("keypointlabels", "keypoint", "labels"),
    "instance_mask": ("brushlabels", "brush", "labels"),
}


@dataclass(slots=True)
class Target:
    """The task being written: its image size and the result ids it uses."""

    where: str
    size: tuple[int, int] | None
    report: LossReport
    used: set[str] = field(default_factory=set)
    counter: int = 0
    kinds: dict[int, str] = field(default_factory=dict)
    """The model kind of each result written (by ``id()``), for JSON-MIN's loss rows."""

    def new_id(self) -> str:
        while True:
            self.counter += 1
            candidate = f"nc-{self.counter}"
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate


@dataclass(slots=True)
class Written:
    """The results of one annotation: the region's first, then its siblings."""

    ann: Annotation
    kind: str
    results: list[dict[str, Any]]


def _ls_id(ann: Annotation, target: Target, *, keep_model_id: bool = True) -> str:
    given = ann.attributes.get(ATTR.ID)
    if isinstance(given, str):
        return given
    if keep_model_id and ann.id is not None:
        return ann.id
    return target.new_id()


def _labels(ann: Annotation, label: str) -> list[str]:
    many = ann.attributes.get(ATTR.LABELS)
    if isinstance(many, list) and many and many[0] == label:
        return list(many)
    return [label] if label else []


def _type(ann: Annotation, kind: str, allowed: tuple[str, ...], default: str) -> str:
    given = ann.attributes.get(ATTR.TYPE)
    return given if isinstance(given, str) and given in allowed else default


def _envelope(
    ann: Annotation, kind: str, rtype: str, value: dict[str, Any], target: Target, rid: str
) -> dict[str, Any]:
    """A result around ``value``, with every Label Studio field the attributes kept."""
    attrs = ann.attributes
    result: dict[str, Any] = {}
    if kind not in ("category", "multicategory") and target.size is not None:
        result["original_width"], result["original_height"] = target.size
        result["image_rotation"] = attrs.get(ATTR.IMAGE_ROTATION, 0)
    extra_value = attrs.get(ATTR.VALUE)
    if isinstance(extra_value, dict):
        value.update((k, v) for k, v in extra_value.items() if k not in value)
    result["value"] = value
    result["id"] = rid
    from_name = attrs.get(ATTR.FROM_NAME)
    if kind in ("category", "multicategory"):
        from_name = getattr(ann, "taxonomy", None) or "choice"
    result["from_name"] = from_name if isinstance(from_name, str) else default_from_name(rtype)
    to_name = attrs.get(ATTR.TO_NAME)
    result["to_name"] = to_name if isinstance(to_name, str) else DEFAULT_TO_NAME
    result["type"] = rtype
    result["origin"] = attrs.get(ATTR.ORIGIN, default_origin(ann.prediction))
    score = ann.score if ann.prediction else attrs.get(ATTR.SCORE)
    if score is not None:
        result["score"] = score
    _meta_and_extra(attrs, result)
    return result


_ATTR_TYPES: dict[str, type | tuple[type, ...]] = {
    ATTR.ID: str,
    ATTR.FROM_NAME: str,
    ATTR.TO_NAME: str,
    ATTR.TYPE: str,
    ATTR.ORIGIN: object,
    ATTR.SCORE: (int, float),
    ATTR.ANNOTATION: int,
    ATTR.PREDICTION: int,
    ATTR.IMAGE_ROTATION: object,
    ATTR.META: object,
    ATTR.EXTRA: dict,
    ATTR.VALUE: dict,
    ATTR.LABELS: list,
    ATTR.RECTANGLE: dict,
    ATTR.REGION_RESULTS: list,
}
"""The ``ls_*`` attributes the writer turns back into Label Studio fields, with the type it
takes; any other attribute (or one of another type) is written in ``meta.attributes``."""


def _understood(key: str, value: Any) -> bool:
    wanted = _ATTR_TYPES.get(key)
    return wanted is not None and isinstance(value, wanted) and not isinstance(value, bool)


def _meta_and_extra(attrs: dict[str, Any], result: dict[str, Any]) -> None:
    """``meta`` (``ls_meta``, and the model's own attributes under ``attributes``) and the
    result keys kept in ``ls_extra``."""
    given = attrs.get(ATTR.META)
    meta = dict(given) if isinstance(given, dict) else {}
    own = {k: v for k, v in attrs.items() if not _understood(k, v)}
    if own:
        meta["attributes"] = own
    if meta:
        result["meta"] = meta
    elif given is not None:
        result["meta"] = given
    extra = attrs.get(ATTR.EXTRA)
    if isinstance(extra, dict):
        result.update((k, v) for k, v in extra.items() if k not in result)


def _siblings(ann: Annotation, rid: str, labels: list[str], own_labels: bool) -> list[Any]:
    """The region's sibling results, the first labelled one given the region's labels when
    the region's own type holds none."""
    out = []
    relabel = not own_labels
    for sibling in ann.attributes.get(ATTR.REGION_RESULTS) or []:
        if not isinstance(sibling, dict):
            continue
        sibling = {**sibling, "id": rid}
        key = label_key(str(sibling.get("type")))
        value = sibling.get("value")
        if relabel and key is not None and isinstance(value, dict):
            sibling["value"] = {**value, key: labels}
            relabel = False
        out.append(sibling)
    return out


def _percent(value: float, size: int, kind: str, name: str, target: Target) -> float:
    pct, exact = to_percent(value, size)
    if not exact:
        target.report.approximated(
            kind,
            name,
            reason="no percentage of the image size reads back as exactly this pixel value: "
            "the nearest is written",
            example=target.where,
        )
    return pct


def _box_value(ann: Box, size: tuple[int, int], target: Target) -> dict[str, Any]:
    w, h = size
    return {
        "x": _percent(ann.x, w, "box", "x", target),
        "y": _percent(ann.y, h, "box", "y", target),
        "width": _percent(ann.width, w, "box", "width", target),
        "height": _percent(ann.height, h, "box", "height", target),
        "rotation": 0,
    }


def _polygon_value(
    ann: Polygon, size: tuple[int, int], target: Target
) -> tuple[dict[str, Any], bool]:
    """The value of a polygon, and whether it is written as its rotated rectangle."""
    rect = ann.attributes.get(ATTR.RECTANGLE)
    if isinstance(rect, dict):
        try:
            if rectangle_corners(rect, *size) == [tuple(p) for p in ann.points]:
                keys = ("x", "y", "width", "height", "rotation")
                return {k: rect[k] for k in keys}, True
        except (KeyError, TypeError):
            pass
        target.report.dropped(
            "polygon",
            f"attributes.{ATTR.RECTANGLE}",
            reason="the polygon is no longer the rotated rectangle it was read as: written "
            "as a polygon",
            example=target.where,
        )
    points, exact = points_to_percent(ann.points, *size)
    if not exact:
        target.report.approximated(
            "polygon",
            "points",
            reason="no percentage of the image size reads back as exactly this pixel value: "
            "the nearest is written",
            example=target.where,
        )
    return {"points": points, "closed": True}, False


def _region(
    ann: Annotation, kind: str, value: dict[str, Any], rtype: str, target: Target
) -> Written:
    rid = _ls_id(ann, target)
    target.used.add(rid)
    key = label_key(rtype)
    labels = _labels(ann, ann.label)
    siblings = _siblings(ann, rid, labels, own_labels=key is not None)
    if key is None and labels and not any(label_key(str(s.get("type"))) for s in siblings):
        rtype, key = rtype + "labels", rtype + "labels"  # the label needs a place: a labelled type
    if key is not None:
        value[key] = labels
    return Written(ann, kind, [_envelope(ann, kind, rtype, value, target, rid), *siblings])


def _keypoints(ann: Keypoints, size: tuple[int, int], target: Target) -> list[Written]:
    w, h = size
    single = len(ann.points) == 1 and ann.names in ([ann.label], [])
    placed = [(i, p) for i, p in enumerate(ann.points) if p.x is not None and p.y is not None]
    if len(placed) < len(ann.points):
        target.report.dropped(
            "keypoints",
            "points",
            n=len(ann.points) - len(placed),
            reason="an unplaced keypoint has no Label Studio result",
            example=target.where,
        )
    if any(p.visibility == Visibility.HIDDEN for _, p in placed):
        target.report.approximated(
            "keypoints",
            "points.visibility",
            reason="Label Studio keypoints have no visibility: hidden points are written as points",
            example=target.where,
        )
    if not single:
        target.report.approximated(
            "keypoints",
            reason="Label Studio keypoints are single labelled points: a set is written as one "
            "result per point, labelled with its point name",
            example=target.where,
        )
    rtype = _type(ann, "keypoints", _DRAWN_TYPES["keypoints"], "keypointlabels")
    out = []
    for i, p in placed:
        name = ann.label if single else (ann.names[i] if i < len(ann.names) else ann.label)
        one = (
            ann
            if single
            else replace(ann, label=name, id=None if ann.id is None else f"{ann.id}-{i}")
        )
        assert p.x is not None and p.y is not None
        value = {"x": _percent(p.x, w, "keypoints", "points", target)}
        value["y"] = _percent(p.y, h, "keypoints", "points", target)
        out.append(_region(one, "keypoints", value, rtype, target))
    return out


def _brush(ann: Annotation, mask: Any, target: Target) -> Written | None:
    size = target.size
    if size is None or mask.shape != (size[1], size[0]):
        target.report.dropped(
            "instance_mask",
            reason=f"the mask is {mask.shape[1]}x{mask.shape[0]} but the image is "
            f"{'of unknown size' if size is None else f'{size[0]}x{size[1]}'}",
            example=target.where,
        )
        return None
    rtype = _type(ann, "instance_mask", _DRAWN_TYPES["instance_mask"], "brushlabels")
    value = {"format": "rle", "rle": brush.encode_mask(mask)}
    return _region(ann, "instance_mask", value, rtype, target)


def _segments(ann: Segmentation, target: Target) -> list[Written]:
    if not ann.mask.is_local():
        target.report.dropped(
            "segmentation", reason="mask pixels are not available here", example=target.where
        )
        return []
    pixels = ann.mask.load()
    target.report.approximated(
        "segmentation",
        reason="Label Studio has no index mask: written as one brush per segment",
        example=target.where,
    )
    out = []
    for s in ann.segments:
        mask = InstanceMask(
            label=s.label,
            attributes=dict(s.attributes or {}),
            group_id=s.group_id,
            score=ann.score,
            prediction=ann.prediction,
            rle={},
        )
        written = _brush(mask, np.asarray(pixels) == s.index, target)
        if written is not None:
            out.append(written)
    return out


def _category(ann: ImageCategory | MultiCategory, target: Target) -> Written:
    labels = [ann.label] if isinstance(ann, ImageCategory) else list(ann.labels)
    if isinstance(ann, MultiCategory) and len(labels) == 1:
        target.report.approximated(
            "multicategory",
            reason="one choice is read back as a category",
            example=target.where,
        )
    rid = _ls_id(ann, target, keep_model_id=False)
    target.used.add(rid)
    kind = ann.kind
    value: dict[str, Any] = {"choices": labels}
    return Written(ann, kind, [_envelope(ann, kind, "choices", value, target, rid)])


def write_annotation(ann: Annotation, target: Target) -> list[Written]:
    """The results of one annotation (none when it cannot be written: counted)."""
    if isinstance(ann, ImageCategory | MultiCategory):
        return [_category(ann, target)]
    size = target.size
    if size is None:
        target.report.dropped(
            ann.kind,
            reason="the image size is unknown (Label Studio stores percentages of it)",
            example=target.where,
        )
        return []
    if isinstance(ann, Box):
        rtype = _type(ann, "box", _DRAWN_TYPES["box"], "rectanglelabels")
        return [_region(ann, "box", _box_value(ann, size, target), rtype, target)]
    if isinstance(ann, Polygon):
        value, as_rectangle = _polygon_value(ann, size, target)
        allowed = _DRAWN_TYPES["box" if as_rectangle else "polygon"]
        rtype = _type(ann, "polygon", allowed, allowed[0])
        return [_region(ann, "polygon", value, rtype, target)]
    if isinstance(ann, Keypoints):
        return _keypoints(ann, size, target)
    if isinstance(ann, InstanceMask):
        written = _brush(ann, decode(ann.rle), target)
        return [] if written is None else [written]
    if isinstance(ann, Segmentation):
        return _segments(ann, target)
    target.report.dropped(ann.kind, reason="no Label Studio result type", example=target.where)
    return []
