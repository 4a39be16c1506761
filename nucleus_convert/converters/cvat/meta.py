"""The ``<meta>`` block: label specs (with their attribute specs and skeletons) and the task,
job or project the file was exported from.

* Labels are read from ``<meta><task|job|project><labels>``. A label with a ``<parent>`` is an
  element (sublabel) of that skeleton label. Each attribute spec has ``name``, ``mutable``
  (``True``: its value may change from frame to frame of a track; immutable attributes are
  cloned onto every shape of a track in the XML all the same), ``input_type`` (``select``,
  ``checkbox``, ``radio``, ``number``, ``text``), ``default_value`` and ``values`` (one per
  line). CVAT 1.0's one-line specs (``@select=quality:good,bad``, ``~`` for mutable) are read
  too.
* A skeleton's edges come from its ``<svg>``: ``<circle data-node-id=... data-label-name=...>``
  names each node and ``<line data-node-from=... data-node-to=...>`` joins two; the model's
  skeleton lists element names in the spec's order and 0-based edges between them.
* Frames: ``start_frame``, ``stop_frame``, ``frame_filter`` (``step=N``), ``size`` and
  ``original_size`` of each task (a project lists its tasks under ``<tasks>``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from nucleus_convert.converters.cvat.values import Where, integer
from nucleus_convert.model import Skeleton
from nucleus_convert.toolkit.limits import count_problem
from nucleus_convert.toolkit.safe_xml import child_text

__all__ = ["AttributeSpec", "LabelSpec", "Meta", "TaskInfo", "parse_meta", "svg_edges"]

_OLD_SPEC = re.compile(r"([~@])(\w+)=([^:]*):?(.*)", re.DOTALL)
_CIRCLE = re.compile(r"<circle\b[^>]*>")
_LINE = re.compile(r"<line\b[^>]*>")
_DATA = re.compile(r'data-([a-z-]+)="([^"]*)"')
_STEP = re.compile(r"step\s*=\s*([0-9]+)")
CONTAINERS = ("task", "job", "project")


@dataclass(slots=True)
class AttributeSpec:
    """One attribute a label declares."""

    name: str
    input_type: str = "text"
    mutable: bool = False
    default_value: str = ""
    values: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input_type": self.input_type,
            "mutable": self.mutable,
            "default_value": self.default_value,
            "values": list(self.values),
        }

    @classmethod
    def from_json(cls, value: Any) -> AttributeSpec | None:
        """The spec kept in a category's attributes, or ``None`` when it is not one."""
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            return None
        values = value.get("values")
        return cls(
            name=value["name"],
            input_type=str(value.get("input_type") or "text"),
            mutable=bool(value.get("mutable")),
            default_value=str(value.get("default_value") or ""),
            values=[str(v) for v in values] if isinstance(values, list) else [],
        )


@dataclass(slots=True)
class LabelSpec:
    """A label of the ``<meta>`` block; a skeleton's elements are in ``elements``."""

    name: str
    type: str | None = None
    color: str | None = None
    attributes: list[AttributeSpec] = field(default_factory=list)
    svg: str | None = None
    parent: str | None = None
    elements: list[LabelSpec] = field(default_factory=list)

    def attribute_names(self) -> frozenset[str]:
        return frozenset(a.name for a in self.attributes)

    def skeleton(self) -> Skeleton | None:
        """The model skeleton of a skeleton label (``None`` for other labels)."""
        if not self.elements and self.type != "skeleton":
            return None
        names = [e.name for e in self.elements]
        return Skeleton(names, svg_edges(self.svg or "", names))

    def to_json(self) -> dict[str, Any]:
        """What ``Category.attributes["cvat"]`` keeps (keys with nothing to say left out)."""
        out: dict[str, Any] = {}
        for key, value in (("type", self.type), ("color", self.color), ("svg", self.svg)):
            if value:
                out[key] = value
        if self.attributes:
            out["attributes"] = [a.to_json() for a in self.attributes]
        if self.elements:
            out["elements"] = [{"name": e.name, **e.to_json()} for e in self.elements]
        return out

    @classmethod
    def from_json(cls, name: str, value: Any) -> LabelSpec:
        """The spec of label ``name`` from ``Category.attributes["cvat"]`` (anything else
        there gives a bare spec)."""
        spec = cls(name)
        if not isinstance(value, dict):
            return spec
        for key in ("type", "color", "svg"):
            if isinstance(value.get(key), str):
                setattr(spec, key, value[key])
        attributes = value.get("attributes")
        if isinstance(attributes, list):
            spec.attributes = [a for a in map(AttributeSpec.from_json, attributes) if a]
        elements = value.get("elements")
        if isinstance(elements, list):
            spec.elements = [
                cls.from_json(e["name"], e)
                for e in elements
                if isinstance(e, dict) and isinstance(e.get("name"), str)
            ]
        return spec


@dataclass(slots=True)
class TaskInfo:
    """Frames and frame size of one task (or job)."""

    id: str | None = None
    name: str | None = None
    mode: str | None = None
    size: int | None = None
    start: int = 0
    stop: int | None = None
    step: int = 1
    width: int | None = None
    height: int | None = None
    subset: str | None = None

    def frames(self) -> list[int]:
        """The task's frame numbers, as far as the meta says (empty when it does not)."""
        if self.size is not None:
            return [self.start + k * self.step for k in range(self.size)]
        if self.stop is not None:
            return list(range(self.start, self.stop + 1, self.step))
        return []


@dataclass(slots=True)
class Meta:
    """What the ``<meta>`` block says."""

    container: str | None = None
    labels: list[LabelSpec] = field(default_factory=list)
    tasks: dict[str, TaskInfo] = field(default_factory=dict)
    name: str | None = None
    source: str | None = None
    """The video file of a video task (``<meta><source>``)."""

    def label(self, name: str) -> LabelSpec | None:
        return next((spec for spec in self.labels if spec.name == name), None)

    def task(self, task_id: str | None) -> TaskInfo:
        """The task a track or image belongs to (the only one when ``task_id`` is absent)."""
        if task_id is not None and task_id in self.tasks:
            return self.tasks[task_id]
        return next(iter(self.tasks.values()), TaskInfo())


def parse_meta(meta: etree._Element | None, path: str) -> Meta:
    """The ``<meta>`` block of the file at ``path`` (an empty :class:`Meta` without one)."""
    out = Meta()
    if meta is None:
        return out
    out.source = child_text(meta, "source") or None
    container = next((c for c in meta if c.tag in CONTAINERS), None)
    if container is None:
        return out
    out.container = str(container.tag)
    out.name = child_text(container, "name") or None
    labels = container.find("labels")
    if labels is not None:
        out.labels = _labels(labels, path)
    tasks = container.find("tasks")
    if out.container == "project" and tasks is not None:
        for task in tasks.iterfind("task"):
            info = _task(task, path)
            out.tasks[info.id or str(len(out.tasks))] = info
    else:
        info = _task(container, path)
        out.tasks[info.id or ""] = info
    return out


def _task(element: etree._Element, path: str) -> TaskInfo:
    where = Where(path, element.sourceline, f"<{element.tag!s}>")
    info = TaskInfo(
        id=child_text(element, "id") or None,
        name=child_text(element, "name") or None,
        mode=child_text(element, "mode") or None,
        subset=child_text(element, "subset") or None,
    )
    size = child_text(element, "size")
    if size:
        info.size = integer(size, where, "size")
        problem = count_problem(info.size)
        if problem is not None:
            raise where.error(f"the frame count {problem}", "size")
    start, stop = child_text(element, "start_frame"), child_text(element, "stop_frame")
    if start:
        info.start = integer(start, where, "start_frame")
    if stop:
        info.stop = integer(stop, where, "stop_frame", minimum=info.start)
        problem = count_problem(info.stop - info.start)
        if problem is not None:
            raise where.error(f"the frame range {problem}", "stop_frame")
    step = _STEP.search(child_text(element, "frame_filter") or "")
    if step:
        info.step = integer(step.group(1), where, "frame_filter", minimum=1)
    size_el = element.find("original_size")
    if size_el is not None:
        info.width = integer(child_text(size_el, "width"), where, "original_size.width", 1)
        info.height = integer(child_text(size_el, "height"), where, "original_size.height", 1)
    return info


def _labels(labels: etree._Element, path: str) -> list[LabelSpec]:
    specs: list[LabelSpec] = []
    for label in labels.iterfind("label"):
        name = child_text(label, "name")
        if name is None:
            where = Where(path, label.sourceline, "<label>")
            raise where.error("a label has no <name>", "name")
        spec = LabelSpec(
            name=name,
            type=child_text(label, "type") or None,
            color=child_text(label, "color") or None,
            svg=(label.findtext("svg") or None),
            parent=child_text(label, "parent") or None,
        )
        attributes = label.find("attributes")
        if attributes is not None:
            spec.attributes = [
                a for a in (_attribute(a, path) for a in attributes.iterfind("attribute")) if a
            ]
        specs.append(spec)
    top = [s for s in specs if s.parent is None]
    for spec in specs:
        if spec.parent is not None:
            parent = next((s for s in top if s.name == spec.parent), None)
            if parent is None:
                parent = LabelSpec(spec.parent, type="skeleton")
                top.append(parent)
            parent.elements.append(spec)
    return top


def _attribute(element: etree._Element, path: str) -> AttributeSpec | None:
    name = child_text(element, "name")
    if name is None:  # CVAT 1.0: "@select=quality:good,bad" ("~" for a mutable one)
        old = _OLD_SPEC.fullmatch((element.text or "").strip())
        if old is None:
            return None
        mutable, kind, old_name, values = old.groups()
        return AttributeSpec(
            name=old_name,
            input_type=kind,
            mutable=mutable == "~",
            values=[v for v in values.split(",") if v] if values else [],
        )
    values = element.findtext("values") or ""
    input_type = (child_text(element, "input_type") or "text").lower()
    if "\n" in values:
        listed = [v for v in values.split("\n") if v]
    elif input_type in ("checkbox", "number"):  # hand-written files separate them by spaces
        listed = values.split()
    else:
        listed = [values] if values else []
    return AttributeSpec(
        name=name,
        input_type=input_type,
        mutable=(child_text(element, "mutable") or "").lower() == "true",
        default_value=element.findtext("default_value") or "",
        values=listed,
    )


def svg_edges(svg: str, names: list[str]) -> list[tuple[int, int]]:
    """The 0-based skeleton edges an element ``<svg>`` draws between the elements ``names``.

    A node is named by its ``data-label-name``; a node without one is the element at its
    ``data-element-id`` (1-based, in spec order). Edges to unknown nodes are left out.
    """
    node_names: dict[str, str] = {}
    for circle in _CIRCLE.findall(svg):
        data = dict(_DATA.findall(circle))
        node = data.get("node-id")
        label = data.get("label-name")
        if label is None and data.get("element-id", "").isdigit():
            index = int(data["element-id"]) - 1
            label = names[index] if 0 <= index < len(names) else None
        if node is not None and label is not None:
            node_names[node] = html.unescape(label)
    edges: list[tuple[int, int]] = []
    for line in _LINE.findall(svg):
        data = dict(_DATA.findall(line))
        a = node_names.get(data.get("node-from", ""))
        b = node_names.get(data.get("node-to", ""))
        if a in names and b in names:
            edge = (names.index(a), names.index(b))
            if edge not in edges:
                edges.append(edge)
    return edges
