"""One model annotation as one CVAT shape element: the inverse of :mod:`.shapes`.

* ``Box`` -> ``<box xtl=x ytl=y xbr=x+width ybr=y+height>``;
* a ``Polygon`` of four points with a numeric ``rotation`` attribute that are the corners of a
  box turned by it -> ``<box ... rotation>`` (:func:`~.rotated.box_from_corners`; corners that
  come back only within 1e-6 px are counted as approximated), any other ``Polygon`` ->
  ``<polygon>``; ``Polyline`` -> ``<polyline>``;
* ``Keypoints`` with ``skeleton=None`` named ``1..n`` -> ``<points>`` (CVAT's points have no
  visibility of their own: hidden points are counted as approximated, unlabelled ones as
  dropped); any other ``Keypoints`` -> ``<skeleton>`` with one ``<points label=name>`` element
  per name (unlabelled: ``outside="1"`` at ``0,0``; hidden: ``occluded="1"``);
* ``InstanceMask`` -> ``<mask>`` cropped to its pixels (:mod:`.masks`).

Coordinates are written with ``repr`` (no rounding), so they read back bit for bit. The shape
properties of :mod:`.schema` are taken out of the attributes and written as XML attributes
(``occluded`` and, in tracks, ``keyframe``/``outside`` always, as CVAT's importer needs them);
the other attributes become ``<attribute name>`` children.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from nucleus_convert.converters.cvat.masks import rle_to_cvat_mask
from nucleus_convert.converters.cvat.rotated import box_from_corners
from nucleus_convert.converters.cvat.schema import (
    KEYFRAME,
    OCCLUDED,
    ROTATION,
    SOURCE,
    Z_ORDER,
    element_key,
)
from nucleus_convert.converters.cvat.spec_write import LabelSpecs
from nucleus_convert.converters.cvat.values import attribute_text, number_text, xml_text_problem
from nucleus_convert.errors import OutputError
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

__all__ = ["Built", "Numbering", "ShapeWriter"]

_DEFAULT = "CVAT's default value is not kept as an attribute when read back"
_NOT_SCALAR = "a CVAT attribute value is a number, a bool or a text"


class Numbering:
    """Model ids (text) as CVAT's positive numbers: a decimal number is kept when it is free,
    anything else gets the next free number."""

    def __init__(self, first: int = 1) -> None:
        self.first = first
        self.given: dict[str, int] = {}
        self.taken: set[int] = set()

    def number(self, key: str) -> tuple[int, bool]:
        """``(number, kept)``: ``kept`` says the number reads back as ``key``."""
        if key in self.given:
            n = self.given[key]
            return n, str(n) == key
        if key.isascii() and key.isdigit() and str(int(key)) == key and int(key) >= self.first:
            n = int(key)
            if n not in self.taken:
                self.taken.add(n)
                self.given[key] = n
                return n, True
        n = self.first
        while n in self.taken or str(n) in self.given:
            n += 1
        self.taken.add(n)
        self.given[key] = n
        return n, False


@dataclass(slots=True)
class Built:
    """A shape element, and what its image or track says for it."""

    tag: str
    element: etree._Element
    ann: Annotation
    source: str | None = None
    group: int | None = None
    keyframe: bool = True
    extra_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Props:
    occluded: bool = False
    z_order: int = 0
    source: str | None = None
    keyframe: bool = True


class ShapeWriter:
    """Builds shape elements and counts what they cannot hold."""

    def __init__(self, report: LossReport, specs: LabelSpecs, *, video: bool) -> None:
        self.report = report
        self.specs = specs
        self.video = video
        self.groups = Numbering()

    # ------------------------------------------------------------------ properties

    def _lost(self, ann: Annotation, key: str, reason: str, where: str, *, drop: bool) -> None:
        record = self.report.dropped if drop else self.report.approximated
        record(ann.kind, f"attributes.{key}", reason=reason, example=where)

    def _properties(self, ann: Annotation, where: str) -> tuple[dict[str, Any], _Props]:
        attrs = dict(ann.attributes)
        props = _Props()
        for name in (OCCLUDED, Z_ORDER, SOURCE, KEYFRAME):
            key = f"cvat_{name}" if f"cvat_{name}" in attrs else name
            if key not in attrs or (name == KEYFRAME and not self.video):
                continue
            value = attrs.pop(key)
            if name == SOURCE:
                if isinstance(value, str) and value and xml_text_problem(value) is None:
                    props.source = value
                else:
                    self._lost(ann, key, "a CVAT source is a text", where, drop=True)
            elif name == Z_ORDER:
                if type(value) is int and abs(value) < 2**62:
                    props.z_order = value
                    if value == 0:
                        self._lost(ann, key, _DEFAULT, where, drop=False)
                else:
                    self._lost(ann, key, "a CVAT z_order is a whole number", where, drop=True)
            else:
                flag = bool(value)
                setattr(props, name, flag)
                if value not in (True, False) or flag == (name == KEYFRAME):
                    self._lost(
                        ann,
                        key,
                        _DEFAULT if value in (0, 1) else "CVAT flags are 0 or 1",
                        where,
                        drop=False,
                    )
        return attrs, props

    def _open(self, tag: str, label: str, props: _Props) -> etree._Element:
        el = etree.Element(tag)
        if self.video:
            el.set("frame", "0")
            el.set("keyframe", "1" if props.keyframe else "0")
            if tag != "skeleton":
                el.set("outside", "0")
        else:
            el.set("label", label)
            if props.source is not None:
                el.set("source", props.source)
        if tag != "skeleton":
            el.set("occluded", "1" if props.occluded else "0")
        return el

    def _close(self, el: etree._Element, props: _Props, group: int | None) -> None:
        el.set("z_order", str(props.z_order))
        if group is not None and not self.video:
            el.set("group_id", str(group))

    def group(self, ann: Annotation, where: str) -> int | None:
        if ann.group_id is None:
            return None
        n, kept = self.groups.number(ann.group_id)
        if not kept:
            self.report.approximated(
                ann.kind, "group_id", reason="CVAT groups are positive numbers", example=where
            )
        return n

    def _children(
        self,
        el: etree._Element,
        ann: Annotation,
        attrs: dict[str, Any],
        where: str,
        element: str | None = None,
    ) -> None:
        for key, value in attrs.items():
            text = attribute_text(value)
            if text is None or xml_text_problem(key) is not None:
                self._lost(ann, key, _NOT_SCALAR, where, drop=True)
                continue
            child = etree.SubElement(el, "attribute", name=key)
            child.text = text
            self.specs.attribute(ann.label, element, key, value, ann.kind)

    # ------------------------------------------------------------------ shapes

    def build(self, ann: Annotation, where: str) -> Built | None:
        """The element of ``ann`` (``None`` when it cannot be written: counted)."""
        problem = xml_text_problem(ann.label)
        if problem is not None:
            raise OutputError(f"{where}, annotation {ann.id or ''}: the label {problem}")
        self.specs.use(ann.label)
        attrs, props = self._properties(ann, where)
        group = self.group(ann, where)
        if isinstance(ann, Box):
            el = self._open("box", ann.label, props)
            xbr, ybr = ann.x + ann.width, ann.y + ann.height
            _coords(el, (ann.x, ann.y, xbr, ybr), where)
            for field, size in (("width", xbr - ann.x), ("height", ybr - ann.y)):
                if size != getattr(ann, field):  # the float sum lost a last bit
                    self.report.approximated(
                        "box",
                        field,
                        reason="CVAT keeps corners: read back as xbr - xtl, "
                        "within a float's last bits",
                        example=where,
                    )
        elif isinstance(ann, Polygon):
            el = self._polygon(ann, attrs, props, where)
        elif isinstance(ann, Polyline):
            el = self._open("polyline", ann.label, props)
            el.set("points", _points(ann.points, where))
        elif isinstance(ann, Keypoints):
            return self._keypoints(ann, attrs, props, group, where)
        elif isinstance(ann, InstanceMask):
            mask_el = self._mask(ann, props, where)
            if mask_el is None:
                return None
            el = mask_el
        else:  # the writer only hands over the kinds above
            raise TypeError(f"not a CVAT shape: {ann.kind}")
        self._close(el, props, group)
        self._children(el, ann, attrs, where)
        return Built(str(el.tag), el, ann, props.source, group, props.keyframe)

    def _polygon(
        self, ann: Polygon, attrs: dict[str, Any], props: _Props, where: str
    ) -> etree._Element:
        key = f"cvat_{ROTATION}" if f"cvat_{ROTATION}" in attrs else ROTATION
        rotation = attrs.get(key)
        corners = [(float(x), float(y)) for x, y in ann.points]
        if isinstance(rotation, int | float) and not isinstance(rotation, bool) and rotation:
            found = box_from_corners(corners, float(rotation))
            if found is not None:
                box, exact = found
                if not exact:
                    self.report.approximated(
                        "polygon",
                        "points",
                        reason="written as a CVAT rotated box: its corners come back within "
                        "1e-6 px",
                        example=where,
                    )
                del attrs[key]
                el = self._open("box", ann.label, props)
                _coords(el, box, where)
                el.set(ROTATION, number_text(rotation))
                return el
        el = self._open("polygon", ann.label, props)
        el.set("points", _points(ann.points, where))
        return el

    def _mask(self, ann: InstanceMask, props: _Props, where: str) -> etree._Element | None:
        crop = rle_to_cvat_mask(ann.rle)
        if crop is None:
            self.report.dropped(
                "instance_mask", reason="an empty mask has no CVAT crop", example=where
            )
            return None
        el = self._open("mask", ann.label, props)
        el.set("rle", crop.rle_text())
        for key in ("left", "top", "width", "height"):
            el.set(key, str(getattr(crop, key)))
        return el

    def _keypoints(
        self, ann: Keypoints, attrs: dict[str, Any], props: _Props, group: int | None, where: str
    ) -> Built:
        if len(ann.names) != len(ann.points):
            raise OutputError(f"{where}: {len(ann.points)} keypoints but {len(ann.names)} names")
        plain = [str(i) for i in range(1, len(ann.names) + 1)]
        if ann.skeleton is None and ann.names == plain:
            el = self._open("points", ann.label, props)
            self._plain_points(el, ann, where)
            self._close(el, props, group)
            self._children(el, ann, attrs, where)
            return Built("points", el, ann, props.source, group, props.keyframe)
        self._declare_skeleton(ann, where)
        el = self._open("skeleton", ann.label, props)
        self._close(el, props, group)
        element_attrs: dict[str, dict[str, Any]] = {n: {} for n in ann.names}
        for key in list(attrs):
            element, _, name = key.partition("/")
            if name and element in element_attrs:
                element_attrs[element][name] = attrs.pop(key)
        for name, kp in zip(ann.names, ann.points, strict=True):
            self._element(el, ann, name, kp, element_attrs[name], props, where)
        self._children(el, ann, attrs, where)
        return Built("skeleton", el, ann, props.source, group, props.keyframe)

    def _declare_skeleton(self, ann: Keypoints, where: str) -> None:
        edges = list(ann.skeleton or [])
        self.specs.skeleton(ann.label, ann.names, edges)
        declared = self.specs.skeletons[ann.label]
        if ann.skeleton is None:
            self.report.approximated(
                "keypoints",
                "skeleton",
                reason="named keypoints are written as a CVAT skeleton, read back with its edges",
                example=where,
            )
        elif declared.edges != edges:
            self.report.approximated(
                "keypoints",
                "skeleton",
                reason="a CVAT skeleton label has one set of edges",
                example=where,
            )
        if declared.names != list(ann.names):
            self.report.approximated(
                "keypoints",
                "names",
                reason="a CVAT skeleton label has one list of elements",
                example=where,
            )

    def _plain_points(self, el: etree._Element, ann: Keypoints, where: str) -> None:
        placed = [kp for kp in ann.points if kp.x is not None and kp.y is not None]
        if len(placed) < len(ann.points):
            self.report.dropped(
                "keypoints",
                "points",
                n=len(ann.points) - len(placed),
                reason="CVAT points are all placed: unlabelled points are left out",
                example=where,
            )
        if any(kp.visibility == Visibility.HIDDEN for kp in placed):
            self.report.approximated(
                "keypoints",
                "points.visibility",
                reason="CVAT points have no visibility of their own",
                example=where,
            )
        el.set("points", _points([(kp.x, kp.y) for kp in placed], where))  # type: ignore[misc]

    def _element(
        self,
        skeleton: etree._Element,
        ann: Keypoints,
        name: str,
        kp: Keypoint,
        attrs: dict[str, Any],
        props: _Props,
        where: str,
    ) -> None:
        if xml_text_problem(name) is not None:
            raise OutputError(f"{where}: keypoint name {name!r} cannot be written to XML")
        el = etree.SubElement(skeleton, "points", label=name)
        source = attrs.pop(SOURCE, props.source)
        keyframe = attrs.pop(KEYFRAME, props.keyframe) if self.video else None
        if isinstance(source, str) and source:
            el.set("source", source)
        if keyframe is not None:
            el.set("keyframe", "1" if keyframe else "0")
        unlabelled = kp.visibility == Visibility.UNLABELLED or kp.x is None or kp.y is None
        el.set("outside", "1" if unlabelled else "0")
        el.set("occluded", "1" if kp.visibility == Visibility.HIDDEN and not unlabelled else "0")
        xy = (0.0, 0.0) if unlabelled else (kp.x, kp.y)
        el.set("points", _points([xy], where))  # type: ignore[list-item]
        for key, value in attrs.items():
            text = attribute_text(value)
            if text is None or xml_text_problem(key) is not None:
                self._lost(ann, element_key(name, key), _NOT_SCALAR, where, drop=True)
                continue
            etree.SubElement(el, "attribute", name=key).text = text
            self.specs.attribute(ann.label, name, key, value, ann.kind)


def _number(value: float, where: str) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise OutputError(f"{where}: coordinate {value!r} is not a finite number")
    return number_text(value)


def _coords(el: etree._Element, box: tuple[float, float, float, float], where: str) -> None:
    xtl, ytl, xbr, ybr = box
    if xbr < xtl or ybr < ytl:
        raise OutputError(f"{where}: a box of negative size")
    for key, value in zip(("xtl", "ytl", "xbr", "ybr"), box, strict=True):
        el.set(key, _number(value, where))


def _points(points: list[tuple[float, float]], where: str) -> str:
    return ";".join(f"{_number(x, where)},{_number(y, where)}" for x, y in points)
