"""One CVAT shape element (of an ``<image>`` or a ``<track>``) as one model annotation.

Geometry (continuous pixel coordinates, origin at the top-left corner of the top-left pixel,
x right, y down: CVAT's canvas coordinates, which map as they are):

* ``<box xtl ytl xbr ybr>`` -> ``Box(x=xtl, y=ytl, width=xbr-xtl, height=ybr-ytl)``; with a
  non-zero ``rotation`` -> the ``Polygon`` of its four turned corners (:mod:`.rotated`) with
  attribute ``rotation`` (degrees, clockwise), which the writer turns back into the box;
* ``<polygon points>`` -> ``Polygon``; ``<polyline points>`` -> ``Polyline``;
* ``<points points>`` -> ``Keypoints`` named ``"1"``, ``"2"``... all visible, ``skeleton=None``;
* ``<skeleton>`` -> ``Keypoints`` named by its ``<points label>`` elements in the label spec's
  order, with the spec's edges as ``skeleton``; an element ``outside="1"`` is unlabelled
  (its coordinates, which CVAT keeps for interpolation, are not data), ``occluded="1"`` is
  labelled but hidden, else visible; an element's own ``<attribute>`` children and a
  ``source``/``keyframe`` differing from the skeleton's are attributes ``<element>/<name>``;
* ``<mask rle left top width height>`` -> ``InstanceMask`` (COCO RLE of the whole image,
  :mod:`.masks`);
* ``<tag>`` -> ``ImageCategory`` (no taxonomy);
* ``<ellipse cx cy rx ry>`` -> a ``Polygon`` of 32 points on it (counted as approximated in
  the reader's report, under ``polygon.points``); ``<cuboid>`` (a 2D cuboid) has no model kind
  and is counted as a dropped ``record``.

Every annotation gets its label, the ``<attribute>`` children typed by the label spec
(:func:`~.values.typed_value`), the shape properties of :mod:`.schema` and ``group_id``
(``0``: no group). Ids: ``<tag><n>`` for the ``n``-th element of that tag in an image,
``track<id>`` on a track's frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from nucleus_convert.converters.cvat.masks import CvatMask, cvat_mask_to_rle, parse_rle
from nucleus_convert.converters.cvat.meta import Meta
from nucleus_convert.converters.cvat.rotated import box_corners, ellipse_polygon
from nucleus_convert.converters.cvat.schema import (
    KEYFRAME,
    OCCLUDED,
    ROTATION,
    SOURCE,
    Z_ORDER,
    element_key,
    property_key,
)
from nucleus_convert.converters.cvat.values import (
    Where,
    flag,
    integer,
    number,
    points,
    typed_value,
)
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Box,
    ImageCategory,
    InstanceMask,
    Keypoint,
    Keypoints,
    Polygon,
    Polyline,
    Skeleton,
    Visibility,
)

__all__ = ["Common", "ShapeReader"]

_MIN_POINTS = {"polygon": 3, "polyline": 2, "points": 1}
_ELLIPSE = "a CVAT ellipse is carried as a 32-point polygon on it"
_CUBOID = "a CVAT 2D cuboid has no model kind"


@dataclass(slots=True)
class Common:
    """What a shape shares with its track (on an image: its own attributes)."""

    label: str
    where: Where
    group: str | None = None
    source: str | None = None
    keyframe: bool | None = None
    """``None`` on an image; a track shape's ``keyframe`` flag."""
    track_id: str | None = None
    id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


class ShapeReader:
    """Builds annotations from shape elements, typed by the ``<meta>`` label specs."""

    def __init__(
        self,
        meta: Meta,
        skeletons: Mapping[str, Skeleton],
        report: LossReport,
        max_pixels: int | None,
    ) -> None:
        self.skeletons = skeletons
        self.report = report
        self.max_pixels = max_pixels
        self.types: dict[tuple[str, str | None], dict[str, str]] = {}
        for spec in meta.labels:
            self.types[(spec.name, None)] = {a.name: a.input_type for a in spec.attributes}
            for element in spec.elements:
                types = {a.name: a.input_type for a in element.attributes}
                self.types[(spec.name, element.name)] = types

    # ------------------------------------------------------------------ common parts

    def attributes(
        self, el: etree._Element, label: str, where: Where, element: str | None = None
    ) -> dict[str, Any]:
        """The ``<attribute name="...">`` children, typed by the label's spec."""
        types = self.types.get((label, element), {})
        out: dict[str, Any] = {}
        for child in el.iterfind("attribute"):
            name = child.get("name")
            if name is None:
                raise where.error("an <attribute> has no name", "attribute")
            if name in out:
                raise where.error(f"attribute {name!r} is given twice", f"attribute {name}")
            out[name] = typed_value(child.text or "", types.get(name))
        return out

    def common(self, el: etree._Element, label: str, where: Where) -> Common:
        """Label, attributes, group and source of an image's shape or tag."""
        common = Common(label=label, where=where)
        common.attributes = self.attributes(el, label, where)
        group = integer(el.get("group_id", "0"), where, "group_id")
        common.group = str(group) if group else None
        common.source = el.get("source")
        return common

    def _properties(self, el: etree._Element, common: Common) -> dict[str, Any]:
        """The annotation's attributes: label attributes, then the shape properties."""
        attrs = dict(common.attributes)
        names = frozenset(common.attributes)
        where = common.where
        if flag(el.get("occluded"), where, OCCLUDED):
            attrs[property_key(OCCLUDED, names)] = True
        z_order = integer(el.get("z_order", "0"), where, Z_ORDER, minimum=-(2**62))
        if z_order:
            attrs[property_key(Z_ORDER, names)] = z_order
        if common.source is not None:
            attrs[property_key(SOURCE, names)] = common.source
        if common.keyframe is False:
            attrs[property_key(KEYFRAME, names)] = False
        return attrs

    # ------------------------------------------------------------------ shapes

    def shape(
        self, el: etree._Element, common: Common, image_size: tuple[int, int] | None
    ) -> Annotation | None:
        """The annotation of shape element ``el`` (``None`` for a kind the model lacks)."""
        tag = str(el.tag)
        where = common.where
        attrs = self._properties(el, common)
        fields: dict[str, Any] = {
            "label": common.label,
            "id": common.id,
            "attributes": attrs,
            "group_id": common.group,
            "track_id": common.track_id,
        }
        if tag == "box":
            return self._box(el, where, fields)
        if tag in _MIN_POINTS:
            ring = points(el.get("points"), where)
            if len(ring) < _MIN_POINTS[tag]:
                raise where.error(f"a {tag} needs at least {_MIN_POINTS[tag]} points", "points")
            if tag == "polygon":
                return Polygon(points=ring, **fields)
            if tag == "polyline":
                return Polyline(points=ring, **fields)
            names = [str(i) for i in range(1, len(ring) + 1)]
            kps = [Keypoint(x, y, Visibility.VISIBLE) for x, y in ring]
            return Keypoints(points=kps, names=names, skeleton=None, **fields)
        if tag == "skeleton":
            return self._skeleton(el, common, fields)
        if tag == "mask":
            return self._mask(el, where, fields, image_size)
        if tag == "ellipse":
            return self._ellipse(el, where, fields)
        self.report.dropped("record", reason=_CUBOID, example=where.record)
        return None

    def _box(self, el: etree._Element, where: Where, fields: dict[str, Any]) -> Box | Polygon:
        xtl, ytl, xbr, ybr = (number(el.get(k), where, k) for k in ("xtl", "ytl", "xbr", "ybr"))
        if xbr < xtl or ybr < ytl:
            raise where.error(f"the box ends before it starts ({xtl}, {ytl}, {xbr}, {ybr})")
        rotation = number(el.get(ROTATION, "0"), where, ROTATION)
        if rotation:
            names = frozenset(fields["attributes"])
            fields["attributes"][property_key(ROTATION, names)] = rotation
            return Polygon(points=box_corners(xtl, ytl, xbr, ybr, rotation), **fields)
        return Box(x=xtl, y=ytl, width=xbr - xtl, height=ybr - ytl, **fields)

    def _ellipse(self, el: etree._Element, where: Where, fields: dict[str, Any]) -> Polygon:
        cx, cy, rx, ry = (number(el.get(k), where, k) for k in ("cx", "cy", "rx", "ry"))
        rotation = number(el.get(ROTATION, "0"), where, ROTATION)
        self.report.approximated("polygon", "points", reason=_ELLIPSE, example=where.record)
        return Polygon(points=ellipse_polygon(cx, cy, rx, ry, rotation), **fields)

    def _mask(
        self,
        el: etree._Element,
        where: Where,
        fields: dict[str, Any],
        image_size: tuple[int, int] | None,
    ) -> InstanceMask:
        crop = CvatMask(
            parse_rle(el.get("rle"), where),
            integer(el.get("left"), where, "left"),
            integer(el.get("top"), where, "top"),
            integer(el.get("width"), where, "width"),
            integer(el.get("height"), where, "height"),
        )
        return InstanceMask(
            rle=cvat_mask_to_rle(crop, image_size, where, self.max_pixels), **fields
        )

    def _skeleton(
        self, el: etree._Element, common: Common, fields: dict[str, Any]
    ) -> Keypoints | None:
        """The skeleton's keypoints; ``None`` for a track's skeleton whose elements are all
        outside (the object is not on that frame)."""
        label, where = common.label, common.where
        known = self.skeletons.get(label)
        names = list(known.names) if known is not None else []
        found: dict[str, Keypoint] = {}
        attrs = fields["attributes"]
        for child in el:
            if child.tag == "attribute":
                continue
            name = child.get("label")
            if child.tag != "points" or not name:
                raise where.error("a skeleton's elements are <points label=...>", str(child.tag))
            if name in found:
                raise where.error(f"element {name!r} is given twice", name)
            found[name] = self._element(child, common, name, attrs)
            if name not in names:
                names.append(name)
        if common.keyframe is not None and all(
            kp.visibility == Visibility.UNLABELLED for kp in found.values()
        ):
            return None
        kps = [found.get(n, Keypoint(None, None, Visibility.UNLABELLED)) for n in names]
        edges = list(known.edges) if known is not None else []
        return Keypoints(points=kps, names=names, skeleton=edges, **fields)

    def _element(
        self, el: etree._Element, common: Common, name: str, attrs: dict[str, Any]
    ) -> Keypoint:
        where = Where(common.where.path, el.sourceline, f"{common.where.record}, element {name!r}")
        xy = points(el.get("points"), where)
        if len(xy) != 1:
            raise where.error(f"a skeleton element is one point, got {len(xy)}", "points")
        for key, value in self.attributes(el, common.label, where, name).items():
            attrs[element_key(name, key)] = value
        source = el.get(SOURCE)
        if source is not None and source != common.source:
            attrs[element_key(name, SOURCE)] = source
        if common.keyframe is not None and el.get(KEYFRAME) is not None:
            keyframe = flag(el.get(KEYFRAME), where, KEYFRAME)
            if keyframe != common.keyframe:
                attrs[element_key(name, KEYFRAME)] = keyframe
        if flag(el.get("outside"), where, "outside"):
            return Keypoint(None, None, Visibility.UNLABELLED)
        hidden = flag(el.get(OCCLUDED), where, OCCLUDED)
        return Keypoint(*xy[0], Visibility.HIDDEN if hidden else Visibility.VISIBLE)

    def tag(self, el: etree._Element, common: Common) -> ImageCategory:
        """An image's ``<tag>``: a label for the whole image."""
        attrs = dict(common.attributes)
        if common.source is not None:
            attrs[property_key(SOURCE, frozenset(common.attributes))] = common.source
        return ImageCategory(label=common.label, attributes=attrs, group_id=common.group)
