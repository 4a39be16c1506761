"""Spelling model values as VOC XML: elements, bounding boxes and ``object`` elements.

Conventions: a box ``(x, y, width, height)`` in continuous pixels becomes the devkit's 1-based
inclusive ``xmin = x + 1``, ``xmax = x + width`` (same for y), so integer boxes come back as the
same integers; coordinates are written rounded to 9 decimals, integers without a fraction;
booleans are written ``0``/``1``; a dict nests elements and a list repeats the tag.
"""

from __future__ import annotations

import math
import re
from typing import Any

from lxml import etree

from nucleus_convert.converters.voc.schema import OBJECT_DEFAULTS
from nucleus_convert.errors import OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Box

__all__ = ["XML_NAME", "put", "writable", "write_bndbox", "write_object", "xml_text_problem"]

XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# Characters XML 1.0 cannot hold at all (not even as references): NUL and the other C0
# controls but tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_STANDARD = ("pose", "truncated", "difficult", "occluded")
_NOT_XML = "attribute {key!r} cannot be spelled as a VOC XML element"


def _coord(value: float) -> str:
    rounded = round(float(value), 9)
    if rounded.is_integer():
        return str(int(rounded))
    return repr(rounded)


def xml_text_problem(text: str) -> str | None:
    """Why ``text`` cannot be the text of an XML 1.0 element, or None when it can."""
    bad = _NOT_XML_CHAR.search(text)
    if bad is None:
        return None
    return (
        f"holds {bad.group()!r} at position {bad.start()}, a character XML 1.0 cannot hold "
        "(NUL, a control character or a lone surrogate)"
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and not math.isfinite(value):
        raise OutputError(f"{value} cannot be written to VOC XML")
    text = str(value)
    problem = xml_text_problem(text)
    if problem is not None:
        raise OutputError(f"{text!r} {problem}")
    return text


def put(parent: etree._Element, tag: str, value: Any) -> None:
    """``<tag>value</tag>``; a dict nests, a list repeats the tag."""
    if isinstance(value, list):
        for v in value:
            put(parent, tag, v)
        return
    el = etree.SubElement(parent, tag)
    if isinstance(value, dict):
        for k, v in value.items():
            put(el, str(k), v)
    else:
        el.text = _text(value)


def writable(value: Any) -> bool:
    """True when ``value`` can be spelled as XML elements (tags that are XML names, text
    without characters XML cannot hold)."""
    if isinstance(value, str):
        return xml_text_problem(value) is None
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and XML_NAME.fullmatch(k) and writable(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return all(writable(v) and not isinstance(v, list) for v in value)
    return value is None or isinstance(value, str | int | float)


def write_bndbox(parent: etree._Element, box: Box) -> None:
    """The box's ``bndbox`` element (1-based inclusive pixel corners)."""
    values = (box.x, box.y, box.width, box.height)
    if not all(math.isfinite(v) for v in values):
        raise OutputError(f"box {box.id or box.label!r} has a non-finite coordinate")
    el = etree.SubElement(parent, "bndbox")
    put(el, "xmin", _coord(box.x + 1))
    put(el, "ymin", _coord(box.y + 1))
    put(el, "xmax", _coord(box.x + box.width))
    put(el, "ymax", _coord(box.y + box.height))


def write_object(
    root: etree._Element,
    box: Box,
    parts: list[Box],
    actions: set[str],
    report: LossReport,
    where: str,
) -> None:
    """One ``object``: name, the standard fields (devkit defaults where absent), the box,
    its ``part`` boxes, the attributes naming one of ``actions`` under ``actions``, the other
    scalars in CVAT's ``attributes`` block and the rest as elements; an attribute that cannot
    be spelled as XML is counted as dropped (``attributes.<key>``)."""
    problem = xml_text_problem(box.label)
    if problem is not None:
        raise OutputError(f"{where}, box {box.id or box.label!r}, field label: {problem}")
    obj = etree.SubElement(root, "object")
    put(obj, "name", box.label)
    attrs = dict(box.attributes)
    for key in _STANDARD:
        if key in attrs:
            put(obj, key, attrs.pop(key))
        elif key in OBJECT_DEFAULTS:
            put(obj, key, OBJECT_DEFAULTS[key])
    write_bndbox(obj, box)
    for part in parts:
        _write_part(obj, part, report, where)
    chosen = [k for k in attrs if k in actions]
    if chosen:
        el = etree.SubElement(obj, "actions")
        for key in chosen:
            put(el, key, attrs.pop(key))
    _write_attributes(obj, attrs, report, where)


def _write_part(obj: etree._Element, part: Box, report: LossReport, where: str) -> None:
    problem = xml_text_problem(part.label)
    if problem is not None:
        raise OutputError(f"{where}, part {part.id or part.label!r}, field label: {problem}")
    el = etree.SubElement(obj, "part")
    put(el, "name", part.label)
    write_bndbox(el, part)
    for key, value in part.attributes.items():
        if XML_NAME.fullmatch(key) and writable(value):
            put(el, key, value)
        else:
            report.dropped(
                "box", f"attributes.{key}", reason=_NOT_XML.format(key=key), example=where
            )


def _write_attributes(
    obj: etree._Element, attrs: dict[str, Any], report: LossReport, where: str
) -> None:
    scalars = {
        k: v
        for k, v in attrs.items()
        if xml_text_problem(str(k)) is None
        and (v is None or isinstance(v, int | float) or (isinstance(v, str) and writable(v)))
    }
    if scalars:
        el = etree.SubElement(obj, "attributes")
        for key, value in scalars.items():
            attribute = etree.SubElement(el, "attribute")
            put(attribute, "name", key)
            put(attribute, "value", "" if value is None else value)
    for key, value in attrs.items():
        if key in scalars:
            continue
        if XML_NAME.fullmatch(key) and writable(value):
            put(obj, key, value)
        else:
            report.dropped(
                "box", f"attributes.{key}", reason=_NOT_XML.format(key=key), example=where
            )
