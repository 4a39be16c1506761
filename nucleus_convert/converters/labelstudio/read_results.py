"""One Label Studio region (a result and its siblings) to a model annotation.

Geometry (see the package docstring): percentages of the result's ``original_width`` /
``original_height`` (else the task's image size) become pixels; a rectangle with a rotation
other than 0 (mod 360) becomes the :class:`Polygon` of its four corners with the source values
in ``ls_rectangle``; a polygon's ``points`` become a ring; a keypoint one visible point of a
:class:`Keypoints` named by its label; a brush's RLE an :class:`InstanceMask` (COCO RLE);
standalone choices an :class:`ImageCategory` (one choice) or :class:`MultiCategory` under the
taxonomy ``from_name``.

Fields the model has no place for go to ``ls_*`` attributes, only where they differ from what
the writer would write anyway (:mod:`.schema`); a result's ``meta`` goes to ``ls_meta`` except
its ``attributes`` object, which holds the model attributes the writer put there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from nucleus_convert.converters.labelstudio import brush
from nucleus_convert.converters.labelstudio.coords import rectangle_corners, to_pixels
from nucleus_convert.converters.labelstudio.regions import Region, choice_labels, region_labels
from nucleus_convert.converters.labelstudio.schema import (
    ATTR,
    DEFAULT_TO_NAME,
    DEFAULT_TYPE,
    GENERATED_ID,
    KNOWN_RESULT_KEYS,
    default_from_name,
    default_origin,
    label_key,
)
from nucleus_convert.errors import InputError, brief
from nucleus_convert.geometry.rle import encode
from nucleus_convert.model import (
    Annotation,
    Box,
    ImageCategory,
    InstanceMask,
    Keypoint,
    Keypoints,
    MultiCategory,
    Polygon,
    Visibility,
)
from nucleus_convert.toolkit.limits import json_value_problem, pixels_problem

__all__ = ["Built", "Skipped", "Source", "build"]

_MAX_SIDE = 1 << 31


@dataclass(slots=True)
class Source:
    """Where the results come from: the file, the task, and the annotation or prediction."""

    path: Path
    record: str
    prediction: bool
    index: int
    score: float | None
    size: tuple[int, int] | None
    max_pixels: int | None

    def fail(self, message: str, rid: Any, field: str | None = None) -> NoReturn:
        where = self.record if rid is None else f"{self.record}, result {brief(rid)}"
        raise InputError(message, path=self.path, record=where, field=field)


@dataclass(slots=True)
class Built:
    """An annotation made from a region, with its Label Studio id and parent id."""

    annotation: Annotation
    ls_id: str | None
    parent: str | None


@dataclass(slots=True)
class Skipped:
    """A result left out, counted in the reader's report under ``kind`` (a model kind, or
    ``record`` for a result with no place in the model)."""

    kind: str
    reason: str
    example: str


def _num(source: Source, value: dict[str, Any], key: str, rid: Any) -> float:
    v = value.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        source.fail(f"{key} must be a finite number, got {brief(v)}", rid, f"value.{key}")
    return v


def _free(source: Source, v: Any, rid: Any, field: str) -> Any:
    problem = json_value_problem(v)
    if problem is not None:
        source.fail(problem, rid, field)
    return v


def _size(source: Source, result: dict[str, Any], rid: Any) -> tuple[int, int] | None:
    """The result's own ``(original_width, original_height)``, else the task's."""
    w: Any = result.get("original_width")
    h: Any = result.get("original_height")
    if w is None and h is None:
        return source.size
    for name, v in (("original_width", w), ("original_height", h)):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v < _MAX_SIDE:
            source.fail(f"{name} must be a positive integer, got {brief(v)}", rid, name)
    return w, h


def _names(source: Source, result: dict[str, Any], kind: str, rid: Any) -> dict[str, Any]:
    """``ls_type``, ``ls_from_name``, ``ls_to_name``, ``ls_origin``, ``ls_image_rotation`` and
    the annotation or prediction index, where they differ from the writer's defaults."""
    attrs: dict[str, Any] = {}
    rtype = result.get("type")
    if kind in DEFAULT_TYPE and rtype != DEFAULT_TYPE[kind]:
        attrs[ATTR.TYPE] = rtype
    from_name = result.get("from_name")
    if kind != "choices" and from_name not in (None, default_from_name(rtype)):
        attrs[ATTR.FROM_NAME] = _free(source, from_name, rid, "from_name")
    to_name = result.get("to_name")
    if to_name not in (None, DEFAULT_TO_NAME):
        attrs[ATTR.TO_NAME] = _free(source, to_name, rid, "to_name")
    if source.index:
        attrs[ATTR.PREDICTION if source.prediction else ATTR.ANNOTATION] = source.index
    origin = result.get("origin")
    if origin not in (None, default_origin(source.prediction)):
        attrs[ATTR.ORIGIN] = _free(source, origin, rid, "origin")
    if result.get("image_rotation") not in (None, 0):
        attrs[ATTR.IMAGE_ROTATION] = _free(source, result["image_rotation"], rid, "image_rotation")
    return attrs


def _common(source: Source, result: dict[str, Any], kind: str, rid: Any) -> dict[str, Any]:
    """The ``ls_*`` attributes every result may have (:func:`_names`, ``ls_meta``,
    ``ls_extra``, ``ls_score``) and the model attributes the writer put in ``meta``."""
    attrs = _names(source, result, kind, rid)
    meta = result.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("attributes"), dict):
        attrs.update(_free(source, meta["attributes"], rid, "meta.attributes"))
        meta = {k: v for k, v in meta.items() if k != "attributes"}
    if meta not in (None, {}):
        attrs[ATTR.META] = _free(source, meta, rid, "meta")
    extra = {k: v for k, v in result.items() if k not in KNOWN_RESULT_KEYS}
    if extra:
        attrs[ATTR.EXTRA] = _free(source, extra, rid, "result")
    score = result.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        source.fail(f"score must be a number, got {brief(score)}", rid, "score")
    if not source.prediction and score is not None:
        attrs[ATTR.SCORE] = score
    return attrs


def _rest(source: Source, value: dict[str, Any], used: set[str], rid: Any) -> dict[str, Any]:
    rest = {k: v for k, v in value.items() if k not in used}
    if rest.get("closed") is True:
        del rest["closed"]
    return {ATTR.VALUE: _free(source, rest, rid, "value")} if rest else {}


def _label(source: Source, region: Region, rid: Any) -> tuple[str, dict[str, Any]]:
    labels = region_labels(region)
    if not all(isinstance(v, str) for v in labels):
        source.fail(f"labels must be strings, got {brief(labels)}", rid, "value")
    return (labels[0] if labels else ""), ({ATTR.LABELS: list(labels)} if len(labels) > 1 else {})


def _box(source: Source, value: dict[str, Any], size: tuple[int, int], rid: Any) -> Any:
    x, y = _num(source, value, "x", rid), _num(source, value, "y", rid)
    w, h = _num(source, value, "width", rid), _num(source, value, "height", rid)
    if w < 0 or h < 0:
        source.fail(f"a rectangle cannot have a negative size ({w} x {h})", rid, "value")
    rotation = _num(source, value, "rotation", rid) if "rotation" in value else 0
    if rotation % 360 == 0:
        width, height = size
        return {
            "x": to_pixels(x, width),
            "y": to_pixels(y, height),
            "width": to_pixels(w, width),
            "height": to_pixels(h, height),
        }
    rect = {"x": x, "y": y, "width": w, "height": h, "rotation": rotation}
    return rectangle_corners(rect, *size), rect


def _points(source: Source, value: dict[str, Any], size: tuple[int, int], rid: Any) -> Any:
    points = value.get("points")
    if not isinstance(points, list) or len(points) < 3:
        source.fail(f"a polygon needs at least 3 points, got {brief(points)}", rid, "value.points")
    if not all(
        isinstance(p, list)
        and len(p) == 2
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in p)
        for p in points
    ):
        source.fail("polygon points must be [x, y] number pairs", rid, "value.points")
    pts = np.asarray(points, dtype=np.float64)
    if not np.isfinite(pts).all():
        source.fail("polygon points must be finite", rid, "value.points")
    out = pts * np.array(size, dtype=np.float64) / 100
    return [(float(a), float(b)) for a, b in out.tolist()]


def _mask(source: Source, value: dict[str, Any], size: tuple[int, int], rid: Any) -> Any:
    if value.get("format", "rle") != "rle":
        source.fail(f"brush format {brief(value.get('format'))} is not rle", rid, "value.format")
    width, height = size
    problem = pixels_problem(width, height, source.max_pixels)
    if problem is not None:
        source.fail(f"brush mask is too large: {problem}", rid, "value.rle")
    try:
        mask = brush.decode_mask(brush.rle_bytes(value.get("rle")), width, height)
    except brush.BrushError as exc:
        source.fail(str(exc), rid, "value.rle")
    return encode(mask)


def _region(source: Source, region: Region, kind: str, rid: Any) -> Annotation | None:
    result = region.main
    value: dict[str, Any] = result["value"]
    size = _size(source, result, rid)
    if size is None:
        return None
    label, attrs = _label(source, region, rid)
    attrs.update(_common(source, result, kind, rid))
    if region.siblings:
        sibs = [{k: v for k, v in s.items() if k != "id"} for s in region.siblings]
        attrs[ATTR.REGION_RESULTS] = _free(source, sibs, rid, "result")
    key = label_key(str(result.get("type")))
    score = result.get("score", source.score) if source.prediction else None
    common: dict[str, Any] = {
        "label": label,
        "attributes": attrs,
        "score": score,
        "prediction": source.prediction,
    }
    if kind == "box":
        attrs.update(_rest(source, value, {"x", "y", "width", "height", "rotation", str(key)}, rid))
        geometry = _box(source, value, size, rid)
        if isinstance(geometry, dict):
            return Box(**geometry, **common)
        points, attrs[ATTR.RECTANGLE] = geometry
        return Polygon(points=points, **common)
    if kind == "polygon":
        attrs.update(_rest(source, value, {"points", str(key)}, rid))
        return Polygon(points=_points(source, value, size, rid), **common)
    if kind == "keypoints":
        attrs.update(_rest(source, value, {"x", "y", str(key)}, rid))
        x = to_pixels(_num(source, value, "x", rid), size[0])
        y = to_pixels(_num(source, value, "y", rid), size[1])
        point = Keypoint(x, y, Visibility.VISIBLE)
        return Keypoints(points=[point], names=[label], **common)
    attrs.update(_rest(source, value, {"format", "rle", str(key)}, rid))
    return InstanceMask(rle=_mask(source, value, size, rid), **common)


def _choices(source: Source, result: dict[str, Any], rid: Any) -> Annotation:
    choices = choice_labels(result)
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        source.fail(f"choices must be a list of strings, got {brief(choices)}", rid, "value")
    attrs = _common(source, result, "choices", rid)
    if isinstance(rid, str) and not GENERATED_ID.match(rid):
        attrs[ATTR.ID] = rid
    attrs.update(_rest(source, result["value"], {"choices"}, rid))
    taxonomy = result.get("from_name")
    if taxonomy is not None and not isinstance(taxonomy, str):
        source.fail(f"from_name must be a string, got {brief(taxonomy)}", rid, "from_name")
    score = result.get("score", source.score) if source.prediction else None
    common: dict[str, Any] = {
        "attributes": attrs,
        "score": score,
        "prediction": source.prediction,
    }
    if len(choices) == 1:
        return ImageCategory(label=choices[0], taxonomy=taxonomy, **common)
    return MultiCategory(labels=list(choices), taxonomy=taxonomy, **common)


def _result_id(source: Source, result: dict[str, Any]) -> str | None:
    rid = result.get("id")
    if rid is None or isinstance(rid, str):
        return rid
    if isinstance(rid, int) and not isinstance(rid, bool):
        return str(rid)
    return source.fail(f"a result id must be a string, got {brief(rid)}", None, "id")


def build(source: Source, region: Region) -> Built | Skipped:
    """The annotation of ``region``, or why it was left out (its result has no place in the
    model, or the image size is unknown): the caller counts it."""
    result = region.main
    if not isinstance(result, dict):
        source.fail(f"a result must be an object, got {brief(result)}", None)
    rid = _result_id(source, result)
    kind = region.kind
    if kind == "choices":
        return Built(_choices(source, result, rid), None, None)
    where = f"{source.record}, result {rid!r}"
    if kind is None:
        what = result.get("type")
        return Skipped(
            "record", f"a Label Studio {brief(what)} result has no place in the model", where
        )
    ann = _region(source, region, kind, rid)
    if ann is None:
        return Skipped(
            kind,
            "no image size (original_width/original_height) to turn its percentages into pixels",
            where,
        )
    parent = result.get("parentID")
    if parent is not None and not isinstance(parent, str):
        source.fail(f"parentID must be a string, got {brief(parent)}", rid, "parentID")
    return Built(ann, rid, parent)
