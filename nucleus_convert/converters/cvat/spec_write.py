"""The ``<meta>`` block a written file starts with: the task and its label specs.

Labels are the header's categories in order (each with the spec it was read with, kept in
``Category.attributes["cvat"]``), then labels only annotations use. A label's attribute specs
are those it was read with, for the attributes still written, plus one for every other
attribute written, typed by its values: ``checkbox`` for bools, ``number`` for numbers
(``values``: min, max, step), ``text`` otherwise. A declared spec is kept only while every
value written under it reads back as the same value; otherwise the inferred type is used,
and values that still cannot come back as they were (a number among texts) are counted as
approximated under ``attributes.<name>``. Skeleton labels list their elements as sublabels
(``<parent>``) and draw their edges in ``<svg>`` (the one read, when it draws the same
edges). No ``<dumped>`` time is written, so the same dataset gives the same bytes.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from itertools import pairwise
from typing import Any

from lxml import etree

from nucleus_convert.converters.cvat.meta import AttributeSpec, LabelSpec, svg_edges
from nucleus_convert.converters.cvat.schema import EXTRA_KEY, VERSION
from nucleus_convert.converters.cvat.values import (
    attribute_text,
    number_text,
    typed_value,
    xml_text_problem,
)
from nucleus_convert.errors import OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Header, Skeleton

__all__ = ["LabelSpecs", "TaskFacts", "annotations_head"]


@dataclass(slots=True)
class _Seen:
    """The values one attribute of one label (or skeleton element) was written with."""

    values: list[Any] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    distinct: set[tuple[str, str]] = field(default_factory=set)

    def add(self, value: Any, kind: str) -> None:
        key = (type(value).__name__, repr(value))
        if key not in self.distinct and len(self.distinct) < 1024:
            self.distinct.add(key)
            self.values.append(value)
        self.kinds[kind] += 1


def _comes_back(value: Any, input_type: str | None) -> bool:
    text = attribute_text(value)
    if text is None:
        return False
    again = typed_value(text, input_type)
    return type(again) is type(value) and again == value


def _inferred(name: str, values: list[Any], mutable: bool) -> AttributeSpec:
    if values and all(isinstance(v, bool) for v in values):
        return AttributeSpec(name, "checkbox", mutable, "false", ["false", "true"])
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if values and len(numbers) == len(values) and all(math.isfinite(v) for v in numbers):
        step = "1" if all(isinstance(v, int) for v in numbers) else "0.01"
        low, high = number_text(min(numbers)), number_text(max(numbers))
        return AttributeSpec(name, "number", mutable, low, [low, high, step])
    return AttributeSpec(name, "text", mutable, "", [])


@dataclass(slots=True)
class TaskFacts:
    """What the ``<task>`` element says besides labels."""

    name: str
    size: int
    mode: str
    frames: list[int] = field(default_factory=list)
    frame_size: tuple[int, int] | None = None
    source: str | None = None


class LabelSpecs:
    """Label specs gathered while annotations are written; :meth:`element` gives them."""

    def __init__(self, header: Header, *, mutable: bool) -> None:
        self.mutable = mutable
        self.specs: dict[str, LabelSpec] = {}
        self.seen: dict[tuple[str, str | None, str], _Seen] = {}
        self.skeletons: dict[str, Skeleton] = {}
        for category in header.categories:
            self.specs.setdefault(
                category.name,
                LabelSpec.from_json(category.name, category.attributes.get(EXTRA_KEY)),
            )
        for label, skeleton in header.skeletons.items():
            self.use(label)
            self.skeletons[label] = skeleton

    def use(self, label: str) -> None:
        """Declare ``label`` (kept in first-use order after the header's)."""
        if label not in self.specs:
            self.specs[label] = LabelSpec(label)

    def skeleton(self, label: str, names: list[str], edges: list[tuple[int, int]]) -> None:
        """Declare ``label`` a skeleton of ``names`` (the first declaration stays)."""
        self.use(label)
        known = self.skeletons.get(label)
        if known is None:
            self.skeletons[label] = Skeleton(list(names), list(edges))
        else:
            known.names.extend(n for n in names if n not in known.names)

    def attribute(self, label: str, element: str | None, name: str, value: Any, kind: str) -> None:
        """Note that ``value`` is written as attribute ``name`` of ``label`` (or its
        skeleton ``element``), on an annotation of ``kind``."""
        self.seen.setdefault((label, element, name), _Seen()).add(value, kind)

    def _declared(self, label: str, element: str | None) -> list[AttributeSpec]:
        spec = self.specs.get(label)
        if spec is None:
            return []
        if element is None:
            return spec.attributes
        sub = next((e for e in spec.elements if e.name == element), None)
        return sub.attributes if sub is not None else []

    def _attributes(
        self, label: str, element: str | None, report: LossReport
    ) -> list[AttributeSpec]:
        """The attribute specs of ``label`` (or its element): declared ones first."""
        declared = {a.name: a for a in self._declared(label, element)}
        names = list(declared) + [
            n for (lb, el, n) in self.seen if lb == label and el == element and n not in declared
        ]
        out = []
        for name in names:
            seen = self.seen.get((label, element, name))
            spec = declared.get(name)
            if seen is None:
                if spec is not None:
                    out.append(spec)
                continue
            if spec is None or not all(_comes_back(v, spec.input_type) for v in seen.values):
                spec = _inferred(name, seen.values, self.mutable)
            elif spec.input_type in ("select", "radio"):
                extra = [str(v) for v in seen.values if str(v) not in spec.values]
                spec = AttributeSpec(
                    spec.name,
                    spec.input_type,
                    spec.mutable,
                    spec.default_value,
                    [*spec.values, *extra],
                )
            _count_strays(seen, spec, label, report)
            out.append(spec)
        return out

    def element(self, task: TaskFacts, report: LossReport) -> etree._Element:
        """The ``<meta>`` element."""
        meta = etree.Element("meta")
        el = etree.SubElement(meta, "task")
        _put(el, "name", task.name)
        _put(el, "size", str(task.size))
        _put(el, "mode", task.mode)
        _put(el, "overlap", "0")
        if task.frames:
            steps = {b - a for a, b in pairwise(task.frames)}
            _put(el, "start_frame", str(task.frames[0]))
            _put(el, "stop_frame", str(task.frames[-1]))
            step = steps.pop() if len(steps) == 1 else 1
            _put(el, "frame_filter", f"step={step}" if step > 1 else "")
        labels = etree.SubElement(el, "labels")
        for spec in self.specs.values():
            self._label(labels, spec, report)
        if task.frame_size is not None:
            size = etree.SubElement(el, "original_size")
            _put(size, "width", str(task.frame_size[0]))
            _put(size, "height", str(task.frame_size[1]))
        if task.source:
            _put(meta, "source", task.source)
        return meta

    def _label(self, labels: etree._Element, spec: LabelSpec, report: LossReport) -> None:
        skeleton = self.skeletons.get(spec.name)
        el = etree.SubElement(labels, "label")
        _put(el, "name", spec.name)
        if spec.color:
            _put(el, "color", spec.color)
        _put(el, "type", "skeleton" if skeleton is not None else (spec.type or "any"))
        _attributes_element(el, self._attributes(spec.name, None, report))
        if skeleton is None:
            return
        svg = spec.svg or ""
        if svg_edges(svg, skeleton.names) != list(skeleton.edges):
            svg = _svg(skeleton)
        _put(el, "svg", svg)
        colours = {e.name: e.color for e in spec.elements}
        for name in skeleton.names:
            sub = etree.SubElement(labels, "label")
            _put(sub, "name", name)
            if colours.get(name):
                _put(sub, "color", colours[name] or "")
            _put(sub, "type", "points")
            _attributes_element(sub, self._attributes(spec.name, name, report))
            _put(sub, "parent", spec.name)


def _count_strays(seen: _Seen, spec: AttributeSpec, label: str, report: LossReport) -> None:
    if all(_comes_back(v, spec.input_type) for v in seen.values):
        return
    for kind, n in seen.kinds.items():
        report.approximated(
            kind,
            f"attributes.{spec.name}",
            n=n,
            reason=f"CVAT's {spec.input_type!r} attribute reads its values back as one type",
            example=f"label {label!r}",
        )


def _put(parent: etree._Element, tag: str, text: str) -> None:
    problem = xml_text_problem(text)
    if problem is not None:
        raise OutputError(f"label spec, <{tag}> {text[:40]!r}: {problem}")
    etree.SubElement(parent, tag).text = text


def _attributes_element(parent: etree._Element, specs: list[AttributeSpec]) -> None:
    el = etree.SubElement(parent, "attributes")
    for spec in specs:
        attribute = etree.SubElement(el, "attribute")
        _put(attribute, "name", spec.name)
        _put(attribute, "mutable", "True" if spec.mutable else "False")
        _put(attribute, "input_type", spec.input_type)
        _put(attribute, "default_value", spec.default_value)
        _put(attribute, "values", "\n".join(spec.values))


def _svg(skeleton: Skeleton) -> str:
    """An ``<svg>`` drawing the skeleton's nodes on a circle and its edges between them."""
    count = max(len(skeleton.names), 1)
    spots = [
        (
            50 + 40 * math.cos(2 * math.pi * k / count),
            50 + 40 * math.sin(2 * math.pi * k / count),
        )
        for k in range(len(skeleton.names))
    ]
    parts = [
        f'<line x1="{spots[a][0]:.2f}" y1="{spots[a][1]:.2f}" x2="{spots[b][0]:.2f}" '
        f'y2="{spots[b][1]:.2f}" stroke="black" data-type="edge" data-node-from="{a + 1}" '
        f'stroke-width="0.5" data-node-to="{b + 1}"></line>'
        for a, b in skeleton.edges
    ]
    parts += [
        f'<circle r="1.5" stroke="black" fill="#b3b3b3" cx="{x:.2f}" cy="{y:.2f}" '
        f'stroke-width="0.1" data-type="element node" data-element-id="{k + 1}" '
        f'data-node-id="{k + 1}" data-label-name="{escape(name)}"></circle>'
        for k, (name, (x, y)) in enumerate(zip(skeleton.names, spots, strict=True))
    ]
    return "".join(parts)


def annotations_head(meta: etree._Element) -> bytes:
    """The file up to and including ``<meta>``: declaration, root, version."""
    etree.indent(meta, space="  ", level=1)
    return (
        b'<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>'
        + VERSION.encode()
        + b"</version>\n  "
        + etree.tostring(meta, encoding="utf-8")
        + b"\n"
    )
