"""One LabelMe shape as a model annotation: the reading side of the shape mapping.

==================  ==========================================================================
``shape_type``      model annotation
==================  ==========================================================================
``rectangle``       box: the two points are opposite corners in any order (see
                    :func:`.geometry.rectangle_box`)
``polygon``         polygon, points as they are (also when the type is missing or ``null``,
                    as in the oldest files)
``oriented_rectangle``  polygon of its four corners (exact)
``line``            polyline of two points
``linestrip``       polyline
``point``           keypoints: one visible point named by the shape's label
``circle``          polygon inscribed in the circle (centre, then a point on it), within
                    :data:`.geometry.CIRCLE_TOLERANCE` pixel: counted as approximated
``mask``            instance mask over the whole image (see :mod:`.masks`)
==================  ==========================================================================

Every shape keeps its ``label``; its id is its 0-based position in ``shapes`` (``"0"``,
``"1"``...), unique in its file; ``group_id`` (an integer or ``null``) becomes the model's
group id as a decimal string. Attributes: each shape flag (a boolean) under its name, a
non-empty ``description`` under ``description``, and every key LabelMe does not reserve under
its own name with its JSON value (3.x ``line_color``/``fill_color`` are left out when ``null``,
the default colour). A flag named like another key of the same shape is an error: the two
cannot both be attributes.

Coordinates are taken as they are (see the package docstring); each must be a finite number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nucleus_convert.converters.labelme.embedded import Place, mask_pixels
from nucleus_convert.converters.labelme.geometry import (
    CIRCLE_TOLERANCE,
    circle_polygon,
    rectangle_box,
)
from nucleus_convert.converters.labelme.masks import expected_patch_size, mask_rle, patch_origin
from nucleus_convert.converters.labelme.schema import (
    DESCRIPTION_KEY,
    LEGACY_COLOR_KEYS,
    POINT_COUNTS,
    SHAPE_KEYS,
    SHAPE_TYPES,
)
from nucleus_convert.errors import InputError, brief
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Box,
    InstanceMask,
    Keypoint,
    Keypoints,
    Polygon,
    Polyline,
    Visibility,
)
from nucleus_convert.toolkit.limits import json_value_problem, pixels_problem

__all__ = ["ShapeSite", "read_shape"]

Points = list[tuple[float, float]]


@dataclass(slots=True)
class ShapeSite:
    """What reading one file's shapes needs: the file, the image size (``(width, height)``
    when known), the pixel limit and the reader's loss report."""

    path: Path
    size: tuple[int, int] | None
    max_pixels: int | None
    losses: LossReport


@dataclass(slots=True)
class _Shape:
    raw: dict[str, Any]
    record: str
    points: Points
    common: dict[str, Any]
    site: ShapeSite

    def error(self, message: str, field: str) -> InputError:
        return InputError(message, path=self.site.path, record=self.record, field=field)


def read_shape(raw: Any, index: int, site: ShapeSite) -> Annotation:
    """The annotation of ``shapes[index]`` (see the module docstring for the mapping)."""
    record = f"shapes[{index}]"
    if not isinstance(raw, dict):
        raise InputError(
            f"a shape is a JSON object, got {brief(raw)}", path=site.path, record=record
        )
    label = raw.get("label")
    if not isinstance(label, str):
        raise InputError(
            f"expected a string, got {brief(label)}", path=site.path, record=record, field="label"
        )
    record = f"{record} ({brief(label)})"
    shape_type = raw.get("shape_type")
    if shape_type is None:
        shape_type = "polygon"
    elif shape_type not in SHAPE_TYPES:
        raise InputError(
            f"unsupported shape type {brief(shape_type)} (LabelMe's are {', '.join(SHAPE_TYPES)})",
            path=site.path,
            record=record,
            field="shape_type",
        )
    shape = _Shape(raw, record, [], {}, site)
    shape.points = _points(shape, shape_type)
    if raw.get("mask") is not None and shape_type != "mask":
        raise shape.error(f"only a mask shape has a mask, this is a {shape_type}", "mask")
    shape.common = {
        "label": label,
        "id": str(index),
        "attributes": _attributes(shape),
        "group_id": _group(shape),
    }
    return _BUILDERS[shape_type](shape)


def _points(shape: _Shape, shape_type: str) -> Points:
    raw = shape.raw.get("points")
    if not isinstance(raw, list) or not raw:
        raise shape.error(f"expected a non-empty list of [x, y], got {brief(raw)}", "points")
    out: Points = []
    for i, point in enumerate(raw):
        if not isinstance(point, list) or len(point) != 2:
            raise shape.error(f"expected [x, y], got {brief(point)}", f"points[{i}]")
        xy = []
        for value in point:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise shape.error(f"expected numbers, got {brief(point)}", f"points[{i}]")
            number = float(value)
            if not math.isfinite(number):
                raise shape.error(f"coordinates must be finite, got {brief(point)}", f"points[{i}]")
            xy.append(number)
        out.append((xy[0], xy[1]))
    expected = POINT_COUNTS.get(shape_type)
    if expected is not None and len(out) != expected:
        raise shape.error(
            f"a {shape_type} has exactly {expected} point{'s' if expected > 1 else ''}, "
            f"this one has {len(out)}",
            "points",
        )
    return out


def _attributes(shape: _Shape) -> dict[str, Any]:
    raw = shape.raw
    attrs: dict[str, Any] = {}
    for key, value in raw.items():
        if key in SHAPE_KEYS or (key in LEGACY_COLOR_KEYS and value is None):
            continue
        problem = json_value_problem(value)
        if problem is not None:
            raise shape.error(problem, key)
        attrs[key] = value
    flags = raw.get("flags")
    if flags is not None:
        if not isinstance(flags, dict):
            raise shape.error(f"expected an object of booleans, got {brief(flags)}", "flags")
        for name, value in flags.items():
            if not isinstance(value, bool):
                raise shape.error(f"expected true or false, got {brief(value)}", f"flags.{name}")
            if name in attrs:
                raise shape.error(f"the flag has the name of another key {name!r}", f"flags.{name}")
            attrs[name] = value
    description = raw.get("description")
    if description is not None:
        if not isinstance(description, str):
            raise shape.error(f"expected a string, got {brief(description)}", "description")
        if description:
            if DESCRIPTION_KEY in attrs:
                raise shape.error("a flag is named 'description' too", "description")
            attrs[DESCRIPTION_KEY] = description
    return attrs


def _group(shape: _Shape) -> str | None:
    value = shape.raw.get("group_id")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise shape.error(f"expected an integer or null, got {brief(value)}", "group_id")
    return str(value)


def _rectangle(shape: _Shape) -> Annotation:
    x, y, width, height = rectangle_box(shape.points[0], shape.points[1])
    return Box(x=x, y=y, width=width, height=height, **shape.common)


def _polygon(shape: _Shape) -> Annotation:
    return Polygon(points=shape.points, **shape.common)


def _polyline(shape: _Shape) -> Annotation:
    return Polyline(points=shape.points, **shape.common)


def _point(shape: _Shape) -> Annotation:
    (x, y) = shape.points[0]
    return Keypoints(
        points=[Keypoint(x, y, Visibility.VISIBLE)], names=[shape.common["label"]], **shape.common
    )


def _circle(shape: _Shape) -> Annotation:
    points, error = circle_polygon(shape.points[0], shape.points[1])
    shape.site.losses.approximated(
        "polygon",
        "points",
        reason=f"a LabelMe circle became the inscribed polygon whose edges stay within "
        f"{CIRCLE_TOLERANCE} pixel of it (8 to 1024 vertices)",
        example=f"{shape.site.path}: {shape.record}: {len(points)} vertices, "
        f"largest gap {error:.3g} px",
    )
    return Polygon(points=points, **shape.common)


def _mask(shape: _Shape) -> Annotation:
    site = shape.site
    if site.size is None:
        raise shape.error(
            "a mask shape needs the image's size: give imageWidth and imageHeight (or the "
            "image itself)",
            "mask",
        )
    too_big = pixels_problem(site.size[0], site.size[1], site.max_pixels)
    if too_big is not None:
        raise shape.error(f"the image is too large for a mask: {too_big}", "mask")
    patch = mask_pixels(
        shape.raw.get("mask"), Place(site.path, shape.record, "mask"), site.max_pixels
    )
    expected = expected_patch_size(shape.points)
    found = (int(patch.shape[1]), int(patch.shape[0]))
    if expected is not None and expected != found:
        raise shape.error(
            f"the points span {expected[0]}x{expected[1]} pixels but the mask is "
            f"{found[0]}x{found[1]}",
            "points",
        )
    rle, outside = mask_rle(patch, patch_origin(shape.points), site.size)
    if outside:
        site.losses.approximated(
            "instance_mask",
            "rle",
            reason="mask pixels outside the image were cut off",
            example=f"{site.path}: {shape.record}: {outside} pixels",
        )
    return InstanceMask(rle=rle, **shape.common)


_BUILDERS: dict[str, Callable[[_Shape], Annotation]] = {
    "rectangle": _rectangle,
    "polygon": _polygon,
    "oriented_rectangle": _polygon,
    "line": _polyline,
    "linestrip": _polyline,
    "point": _point,
    "circle": _circle,
    "mask": _mask,
}
