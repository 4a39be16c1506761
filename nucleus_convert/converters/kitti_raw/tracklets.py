"""KITTI raw ``tracklet_labels.xml``: parsing and writing the devkit's Boost XML archive.

The layout is the KITTI raw devkit's ``tracklets.h`` (``Tracklets::tTracklet`` version 1,
``Tracklets::tPose`` version 2) serialised by ``boost::archive::xml_oarchive``::

    <?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
    <!DOCTYPE boost_serialization>
    <boost_serialization signature="serialization::archive" version="9">
    <tracklets class_id="0" tracking_level="0" version="0">
        <count>N</count> <item_version>1</item_version>
        <item class_id="1" tracking_level="0" version="1">          one tracklet
            <objectType>Car</objectType> <h/> <w/> <l/> <first_frame/>
            <poses class_id="2" tracking_level="0" version="0">
                <count>M</count> <item_version>2</item_version>
                <item class_id="3" tracking_level="0" version="2">  one pose per frame
                    tx ty tz rx ry rz state                        (all versions)
                    occlusion occlusion_kf truncation              (version >= 1)
                    amt_occlusion amt_occlusion_kf amt_border_l amt_border_r amt_border_kf
                                                                   (version >= 2)
                </item> ...
            </poses>
            <finished>1</finished>                                 (tracklet version >= 1)
        </item> ...
    </tracklets>
    </boost_serialization>

Boost writes a class's ``class_id``/``tracking_level``/``version`` attributes only on its first
object in the archive; later ``item`` elements have none and inherit that version. A file
without any version attribute is read as the current versions (tracklet 1, pose 2).

Reading (:func:`parse_tracklets`) is by element name, in any order, because writers other than
Boost disagree on it (datumaro writes ``amt_border_l`` before ``amt_occlusion_kf``); every
field the element's version requires must be there exactly once, and any other element is an
error, except CVAT/datumaro's ``<attributes><attribute><name/><value/></attribute>...``
extension block, in a tracklet or a pose, which is read as extra attributes. ``poses/count``
must equal the number of pose items. ``tracklets/count`` must be an integer but may disagree
with the number of tracklet items (datumaro's own kitti_raw test asset says 4 for 3): the
items are what the file holds, and a pose's frame depends only on its position.

A pose of version 0 or 1, or a tracklet of version 0, gets the values ``tracklets.h``'s
``load`` gives the fields it lacks (occlusion -1, occlusion_kf 0, truncation 0, the amt_*
fields -1, finished 0), so that it is written back as the devkit would save it.

Types follow ``tracklets.h``: ``h``, ``w``, ``l``, ``tx``..``rz``, ``amt_occlusion``,
``amt_border_l`` and ``amt_border_r`` are decimal numbers (finite); ``first_frame`` (>= 0),
``finished``, ``state``, ``occlusion``, ``occlusion_kf``, ``truncation``,
``amt_occlusion_kf`` and ``amt_border_kf`` are integers. ``occlusion_kf`` is a C++ ``bool``
but stays an integer here, because files in the wild write -1 in it. Values are kept exactly as
written, in range or not (negative sizes included): nothing here judges them.

Writing (:func:`format_tracklets`) produces what Boost itself writes: the current versions,
every field in ``tracklets.h``'s save order, tabs for indentation, floats as their shortest
exact decimal (``repr``), so that the devkit's C++ loader (``Tracklets::loadFromFile``), its
MATLAB ``readTracklets`` and its Python ``parseTrackletXML`` all read the file, and
:func:`parse_tracklets` reads back the very same values. The CVAT attribute block is written
only on request (the devkit's Boost loader refuses unknown elements).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.toolkit.limits import INT_MAX, INT_MIN
from nucleus_convert.toolkit.safe_xml import parse_xml

__all__ = [
    "FLOAT_FIELDS",
    "INT_FIELDS",
    "POSE_FIELDS",
    "Pose",
    "Tracklet",
    "format_tracklets",
    "parse_tracklets",
]

POSE_FIELDS: tuple[str, ...] = (
    "tx",
    "ty",
    "tz",
    "rx",
    "ry",
    "rz",
    "state",
    "occlusion",
    "occlusion_kf",
    "truncation",
    "amt_occlusion",
    "amt_occlusion_kf",
    "amt_border_l",
    "amt_border_r",
    "amt_border_kf",
)
"""A pose's fields in ``tracklets.h``'s save order."""

_POSE_FIELDS_BY_VERSION = {0: POSE_FIELDS[:7], 1: POSE_FIELDS[:10], 2: POSE_FIELDS}
FLOAT_FIELDS = frozenset(
    {"tx", "ty", "tz", "rx", "ry", "rz", "amt_occlusion", "amt_border_l", "amt_border_r"}
)
INT_FIELDS = frozenset(POSE_FIELDS) - FLOAT_FIELDS
POSE_VERSION = 2
_DEVKIT_DEFAULTS: dict[str, float | int] = {
    "occlusion": -1,
    "occlusion_kf": 0,
    "truncation": 0,
    "amt_occlusion": -1.0,
    "amt_occlusion_kf": -1,
    "amt_border_l": -1.0,
    "amt_border_r": -1.0,
    "amt_border_kf": -1,
}
"""What ``tracklets.h``'s ``load`` puts in the fields an older pose version lacks."""
TRACKLET_VERSION = 1
DOCTYPE = "boost_serialization"
ATTRIBUTES = "attributes"

_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(slots=True)
class Pose:
    """One pose: ``values`` maps every field of :data:`POSE_FIELDS` the file gave to its value
    (float or int, see the module doc); ``attributes`` is the CVAT extension block."""

    values: dict[str, float | int]
    attributes: dict[str, str] = field(default_factory=dict)
    line: int | None = None


@dataclass(slots=True)
class Tracklet:
    """One tracklet: the object's type and size, its first frame and one pose per frame."""

    object_type: str
    h: float
    w: float
    l: float  # noqa: E741 - the devkit's name
    first_frame: int
    poses: list[Pose]
    finished: int = 1
    attributes: dict[str, str] = field(default_factory=dict)
    line: int | None = None

    @property
    def last_frame(self) -> int:
        """The frame of the last pose (``first_frame - 1`` when there is none)."""
        return self.first_frame + len(self.poses) - 1


# =========================================================================== parsing


class _Ctx:
    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, message: str, el: etree._Element, record: str, fld: str | None = None) -> None:
        raise InputError(message, path=self.path, line=el.sourceline, record=record, field=fld)


def _tag(el: etree._Element) -> str:
    return str(el.tag)


def _text(el: etree._Element) -> str:
    return (el.text or "").strip()


def _number(ctx: _Ctx, el: etree._Element, record: str, *, integer: bool) -> float | int:
    text = _text(el)
    tag = str(el.tag)
    if integer:
        if not _INT.fullmatch(text):
            ctx.error(f"<{tag}> is {text[:40]!r}, not an integer", el, record, tag)
        if not _fits_64_bits(text):
            ctx.error(f"<{tag}> is {text[:40]!r}..., beyond 64 bits", el, record, tag)
        return int(text)
    if not _FLOAT.fullmatch(text):
        ctx.error(f"<{tag}> is {text!r}, not a number", el, record, tag)
    value = float(text)
    if not math.isfinite(value):
        ctx.error(f"<{tag}> is {text!r}, beyond the range of a double", el, record, tag)
    return value


def _children(
    ctx: _Ctx, el: etree._Element, record: str, allowed: Iterable[str], *, items: bool = False
) -> dict[str, etree._Element]:
    """``el``'s children by tag; each at most once, none outside ``allowed`` (and ``item``
    elements only where ``items``)."""
    known = set(allowed)
    out: dict[str, etree._Element] = {}
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == "item" and items:
            continue
        if tag not in known:
            ctx.error(
                f"unexpected element <{tag}> in <{_tag(el)}> (expected {', '.join(sorted(known))})",
                child,
                record,
            )
        if tag in out:
            ctx.error(
                f"<{tag}> given twice (first on line {out[tag].sourceline})", child, record, tag
            )
        out[tag] = child
    return out


def _require(
    ctx: _Ctx, found: dict[str, etree._Element], tag: str, parent: etree._Element, record: str
) -> etree._Element:
    el = found.get(tag)
    if el is None:
        ctx.error(f"<{_tag(parent)}> has no <{tag}>", parent, record, tag)
        raise AssertionError  # unreachable: error() raises
    return el


def _items(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if c.tag == "item"]


def _version(ctx: _Ctx, el: etree._Element, record: str, inherited: int | None) -> int | None:
    raw = el.get("version")
    if raw is None:
        return inherited
    if not _INT.fullmatch(raw.strip()) or not _fits_64_bits(raw.strip()):
        ctx.error(f"version attribute {raw[:40]!r} is not a 64-bit integer", el, record)
    return int(raw)


def _fits_64_bits(digits: str) -> bool:
    """An integer literal within what orjson writes (checked on its length first: Python
    refuses to convert more than 4300 digits)."""
    return len(digits) <= 21 and INT_MIN <= int(digits) <= INT_MAX


def _count(ctx: _Ctx, found: dict[str, etree._Element], parent: etree._Element, record: str) -> int:
    count_el = _require(ctx, found, "count", parent, record)
    value = int(_number(ctx, count_el, record, integer=True))
    if value < 0:
        ctx.error(f"<count> is {value}, a negative count", count_el, record, "count")
    return value


def _attributes(ctx: _Ctx, el: etree._Element | None, record: str) -> dict[str, str]:
    """The CVAT/datumaro ``<attributes>`` block: name -> value text."""
    out: dict[str, str] = {}
    if el is None:
        return out
    for attr in el:
        if attr.tag != "attribute":
            ctx.error(f"unexpected element <{_tag(attr)}> in <attributes>", attr, record)
        parts = _children(ctx, attr, record, ("name", "value"))
        name_el = _require(ctx, parts, "name", attr, record)
        name = _text(name_el)
        if not name:
            ctx.error("an attribute has an empty <name>", name_el, record, "name")
        if name in out:
            ctx.error(f"attribute {name!r} given twice", name_el, record, "name")
        value_el = parts.get("value")
        out[name] = (value_el.text or "") if value_el is not None else ""
    return out


def _pose(ctx: _Ctx, el: etree._Element, record: str, version: int, collide: set[str]) -> Pose:
    fields = _POSE_FIELDS_BY_VERSION.get(version)
    if fields is None:
        ctx.error(f"pose version {version} is unknown (the devkit writes 0, 1 or 2)", el, record)
        raise AssertionError
    found = _children(ctx, el, record, (*fields, ATTRIBUTES))
    values: dict[str, float | int] = dict(_DEVKIT_DEFAULTS)
    for name in fields:
        child = _require(ctx, found, name, el, record)
        values[name] = _number(ctx, child, record, integer=name in INT_FIELDS)
    attributes = _attributes(ctx, found.get(ATTRIBUTES), record)
    for name in attributes:
        if name in collide:
            ctx.error(
                f"attribute {name!r} has the name of a tracklet field", found[ATTRIBUTES], record
            )
    return Pose(values, attributes, el.sourceline)


@dataclass(slots=True)
class _Versions:
    """The class versions seen so far: Boost writes them on a class's first object only."""

    tracklet: int | None = None
    pose: int | None = None


_COLLIDE = frozenset(
    {*POSE_FIELDS, "objectType", "h", "w", "l", "first_frame", "finished", "poses"}
)
"""Names a CVAT attribute may not take: they are tracklet or pose fields."""


def _tracklet_fields(
    ctx: _Ctx, item: etree._Element, record: str, version: int
) -> tuple[dict[str, etree._Element], str, list[float], int, int]:
    """A tracklet's children, ``objectType``, ``(h, w, l)``, ``first_frame`` and ``finished``
    (0, tracklets.h's default, before version 1)."""
    names = ["objectType", "h", "w", "l", "first_frame", "poses", ATTRIBUTES]
    if version >= 1:
        names.append("finished")
    parts = _children(ctx, item, record, names)
    object_type = _require(ctx, parts, "objectType", item, record).text or ""
    if _CONTROL.search(object_type):
        ctx.error("<objectType> holds a control character", parts["objectType"], record)
    size = [
        float(_number(ctx, _require(ctx, parts, n, item, record), record, integer=False))
        for n in ("h", "w", "l")
    ]
    first_el = _require(ctx, parts, "first_frame", item, record)
    first = int(_number(ctx, first_el, record, integer=True))
    if first < 0:
        ctx.error(f"<first_frame> is {first}, before frame 0", first_el, record, "first_frame")
    finished = 0  # tracklets.h's load() default for version 0
    if version >= 1:
        finished = int(
            _number(ctx, _require(ctx, parts, "finished", item, record), record, integer=True)
        )
    return parts, object_type, size, first, finished


def _poses(
    ctx: _Ctx,
    poses_el: etree._Element,
    record: str,
    k: int,
    first: int,
    versions: _Versions,
    collide: set[str],
) -> list[Pose]:
    """The pose items of a ``<poses>`` element, as many as its ``<count>`` says."""
    pose_parts = _children(ctx, poses_el, record, ("count", "item_version"), items=True)
    count = _count(ctx, pose_parts, poses_el, record)
    pose_items = _items(poses_el)
    if count != len(pose_items):
        ctx.error(
            f"<poses> says <count>{count}</count> but holds {len(pose_items)} pose items",
            pose_parts["count"],
            record,
            "count",
        )
    poses = []
    for j, pose_el in enumerate(pose_items):
        pose_record = f"tracklet {k}, pose {j} (frame {first + j})"
        versions.pose = _version(ctx, pose_el, pose_record, versions.pose)
        pv = POSE_VERSION if versions.pose is None else versions.pose
        poses.append(_pose(ctx, pose_el, pose_record, pv, collide))
    return poses


def _tracklet(ctx: _Ctx, item: etree._Element, k: int, versions: _Versions) -> Tracklet:
    record = f"tracklet {k}"
    versions.tracklet = _version(ctx, item, record, versions.tracklet)
    version = TRACKLET_VERSION if versions.tracklet is None else versions.tracklet
    if version not in (0, 1):
        ctx.error(f"tracklet version {version} is unknown (the devkit writes 0 or 1)", item, record)
    parts, object_type, size, first, finished = _tracklet_fields(ctx, item, record, version)
    attributes = _attributes(ctx, parts.get(ATTRIBUTES), record)
    for name in attributes:
        if name in _COLLIDE:
            ctx.error(
                f"attribute {name!r} has the name of a tracklet field", parts[ATTRIBUTES], record
            )
    poses_el = _require(ctx, parts, "poses", item, record)
    poses = _poses(ctx, poses_el, record, k, first, versions, {*_COLLIDE, *attributes})
    return Tracklet(
        object_type=object_type,
        h=size[0],
        w=size[1],
        l=size[2],
        first_frame=first,
        poses=poses,
        finished=finished,
        attributes=attributes,
        line=item.sourceline,
    )


def parse_tracklets(path: Path) -> list[Tracklet]:
    """Read a ``tracklet_labels.xml`` (see the module doc); InputError names file and element."""
    ctx = _Ctx(path)
    root = parse_xml(path, doctype=DOCTYPE)
    where = "<boost_serialization>"
    if root.tag != "boost_serialization":
        ctx.error(
            f"not a KITTI tracklet file: the root element is <{_tag(root)}>, not "
            "<boost_serialization>",
            root,
            where,
        )
    top = _children(ctx, root, where, ("tracklets",))
    tracklets_el = _require(ctx, top, "tracklets", root, where)
    where = "<tracklets>"
    found = _children(ctx, tracklets_el, where, ("count", "item_version"), items=True)
    _count(ctx, found, tracklets_el, where)
    versions = _Versions()
    return [_tracklet(ctx, item, k, versions) for k, item in enumerate(_items(tracklets_el))]


# =========================================================================== writing


def format_float(value: float) -> str:
    """The shortest decimal that reads back as the same double (``repr``); refuses non-finite."""
    value = float(value)
    if not math.isfinite(value):
        raise OutputError(f"{value} cannot be written to a tracklet file")
    return repr(value)


def _xml_text(value: str, what: str) -> str:
    if _CONTROL.search(value):
        raise OutputError(f"{what} {value!r} holds a control character, which XML cannot carry")
    return escape(value)


def _leaf(tag: str, value: Any, indent: str) -> str:
    if isinstance(value, bool):
        text = str(int(value))
    elif isinstance(value, int):
        text = str(value)
    else:
        text = format_float(value)
    return f"{indent}<{tag}>{text}</{tag}>\n"


def _attribute_block(attributes: dict[str, str], indent: str) -> Iterator[str]:
    yield f"{indent}<attributes>\n"
    for name, value in attributes.items():
        yield f"{indent}\t<attribute>\n"
        yield f"{indent}\t\t<name>{_xml_text(name, 'attribute name')}</name>\n"
        yield f"{indent}\t\t<value>{_xml_text(value, 'attribute value')}</value>\n"
        yield f"{indent}\t</attribute>\n"
    yield f"{indent}</attributes>\n"


def format_tracklets(tracklets: Iterable[Tracklet], *, attributes: bool = False) -> bytes:
    """The ``tracklet_labels.xml`` bytes for ``tracklets`` (current versions, devkit order).

    Every pose must give every field of :data:`POSE_FIELDS`; ``attributes`` writes the CVAT
    extension blocks (which the devkit's Boost loader does not accept).
    """
    tracklets = list(tracklets)
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n',
        f"<!DOCTYPE {DOCTYPE}>\n",
        '<boost_serialization signature="serialization::archive" version="9">\n',
        '<tracklets class_id="0" tracking_level="0" version="0">\n',
        f"\t<count>{len(tracklets)}</count>\n",
        f"\t<item_version>{TRACKLET_VERSION}</item_version>\n",
    ]
    first_tracklet = first_poses = first_pose = True
    for t in tracklets:
        if first_tracklet:
            parts.append(f'\t<item class_id="1" tracking_level="0" version="{TRACKLET_VERSION}">\n')
            first_tracklet = False
        else:
            parts.append("\t<item>\n")
        parts.append(f"\t\t<objectType>{_xml_text(t.object_type, 'objectType')}</objectType>\n")
        parts += [_leaf("h", t.h, "\t\t"), _leaf("w", t.w, "\t\t"), _leaf("l", t.l, "\t\t")]
        parts.append(_leaf("first_frame", int(t.first_frame), "\t\t"))
        if first_poses:
            parts.append('\t\t<poses class_id="2" tracking_level="0" version="0">\n')
            first_poses = False
        else:
            parts.append("\t\t<poses>\n")
        parts.append(f"\t\t\t<count>{len(t.poses)}</count>\n")
        parts.append(f"\t\t\t<item_version>{POSE_VERSION}</item_version>\n")
        for pose in t.poses:
            if first_pose:
                parts.append(
                    f'\t\t\t<item class_id="3" tracking_level="0" version="{POSE_VERSION}">\n'
                )
                first_pose = False
            else:
                parts.append("\t\t\t<item>\n")
            for name in POSE_FIELDS:
                value = pose.values[name]
                if name in INT_FIELDS:
                    value = int(value)
                parts.append(_leaf(name, value, "\t\t\t\t"))
            if attributes and pose.attributes:
                parts += _attribute_block(pose.attributes, "\t\t\t\t")
            parts.append("\t\t\t</item>\n")
        parts.append("\t\t</poses>\n")
        parts.append(_leaf("finished", int(t.finished), "\t\t"))
        if attributes and t.attributes:
            parts += _attribute_block(t.attributes, "\t\t")
        parts.append("\t</item>\n")
    parts.append("</tracklets>\n</boost_serialization>\n")
    return "".join(parts).encode("utf-8")
