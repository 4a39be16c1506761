"""Label mapping and filtering between a reader and a writer (``convert --map-labels FILE
--keep-labels a,b``).

Conventions:

* A :class:`LabelMap` sends each label to a new name (several may share one), to ``None``
  (dropped), or, when it does not name the label, to itself. ``keep``, when given, names the
  labels kept *after* the mapping: any other is dropped.
* What follows a label: annotations (their ``label``; a multi-category's ``labels``; an index
  mask's segments; a prediction's ``class_pdf`` keys, probabilities of labels that merge
  added), header categories (merged into the first category of the new name, keeping its id
  and supercategory), keypoint skeletons (two labels with different skeletons cannot merge),
  taxonomies, and the label lists formats keep in the header (VOC's class files per subset,
  COCO's zero-based skeletons).
* An annotation whose label is dropped is dropped; so is a segmentation with no segment left
  (its other pixels keep their values and lose their label), and a multi-category with no
  label left. Every rename and drop is counted in the loss report: ``changed`` / ``dropped``
  for the annotation kind's ``label`` field, and ``header`` ``categories`` for the header.
* The map applies as items stream (one item at a time) and in every partition's worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from nucleus_convert.errors import InputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Dataset,
    Header,
    Item,
    MultiCategory,
    Scene,
    Segmentation,
    Skeleton,
)

__all__ = ["LabelMap", "annotation_labels", "relabel"]

_A = TypeVar("_A", bound=Annotation)

_HEADER_LABEL_LISTS = (("voc", "main_class_files"), ("coco", "zero_based_skeletons"))
"""Places in ``Header.extra`` that hold label names: a list, or a dict of lists."""


@dataclass(frozen=True, slots=True)
class LabelMap:
    """Where each label goes: ``rename[old]`` (``None``: dropped), else itself; then dropped
    unless in ``keep`` (when ``keep`` is given)."""

    rename: Mapping[str, str | None] = field(default_factory=dict)
    keep: frozenset[str] | None = None

    @classmethod
    def of(
        cls, rename: Mapping[str, str | None] | None = None, keep: Iterable[str] | None = None
    ) -> LabelMap:
        """A map from plain values (``keep`` as any iterable of names)."""
        return cls(dict(rename or {}), None if keep is None else frozenset(keep))

    def target(self, label: str) -> str | None:
        """The name ``label`` becomes, or ``None`` when it is dropped."""
        new = self.rename.get(label, label)
        if new is not None and self.keep is not None and new not in self.keep:
            return None
        return new


def relabel(dataset: Dataset, labels: LabelMap) -> Dataset:
    """``dataset`` with ``labels`` applied (see the module docstring); counts go to its loss
    report. The header is mapped now and again as the reader adds categories while
    streaming; items as they stream."""
    mapper = _Relabel(labels, dataset.losses, dataset.header)
    mapper.check_keep()
    partition = dataset.partition
    out = Dataset(
        mapper.header,
        mapper.items(dataset.items),
        [mapper.scene(s) for s in dataset.scenes],
        dataset.losses,
        length=dataset.length,
    )
    if partition is not None:
        out.partition = lambda k, n: mapper.items(partition(k, n))
    return out


class _Relabel:
    """One map applied to one dataset: its header (kept in step with the source's), items and
    scenes."""

    def __init__(self, labels: LabelMap, report: LossReport, source: Header) -> None:
        self.labels = labels
        self.report = report
        self.source = source
        self.header = replace(
            source,
            categories=[],
            skeletons=_skeletons(source.skeletons, labels),
            taxonomies={
                k: replace(t, labels=_names(t.labels, labels)) for k, t in source.taxonomies.items()
            },
            extra=_extra(source.extra, labels),
        )
        self._taken = 0  # source categories mapped so far
        self._sync()

    def check_keep(self) -> None:
        """Refuse ``keep`` names no category has become, when the header declares some."""
        keep = self.labels.keep
        have = {self.labels.rename.get(c.name, c.name) for c in self.source.categories}
        missing = sorted(keep - have) if keep is not None and have else []
        if missing:
            raise InputError(
                f"--keep-labels names {', '.join(map(repr, missing))}, which no category "
                f"becomes (they become: {', '.join(sorted(n for n in have if n))})"
            )

    def _sync(self) -> None:
        """Map the source categories added since the last call into :attr:`header`."""
        new = self.source.categories[self._taken :]
        self._taken += len(new)
        have = {c.name for c in self.header.categories}
        for category in new:
            name = self.labels.target(category.name)
            if name is None:
                self.report.dropped(
                    "header", "categories", reason="dropped by the label map", example=category.name
                )
            elif name in have:
                self.report.changed(
                    "header", "categories", reason="merged by the label map into another",
                    example=f"{category.name} -> {name}",
                )  # fmt: skip
            else:
                have.add(name)
                self.header.categories.append(replace(category, name=name))
                if name != category.name:
                    self.report.changed(
                        "header", "categories", reason="renamed by the label map",
                        example=f"{category.name} -> {name}",
                    )  # fmt: skip

    def items(self, items: Iterator[Item]) -> Iterator[Item]:
        for item in items:
            self._sync()
            annotations = self.annotations(item.annotations, f"item {item.reference_id!r}")
            yield item if annotations is None else replace(item, annotations=annotations)

    def scene(self, scene: Scene) -> Scene:
        annotations = self.annotations(scene.annotations, f"scene {scene.reference_id!r}")
        return scene if annotations is None else replace(scene, annotations=annotations)

    def annotations(self, anns: list[Annotation], where: str) -> list[Annotation] | None:
        """The annotations mapped, or ``None`` when none changed."""
        out: list[Annotation] = []
        changed = False
        for ann in anns:
            new = self.annotation(ann, where)
            changed = changed or new is not ann
            if new is not None:
                out.append(new)
        return out if changed else None

    def annotation(self, ann: Annotation, where: str) -> Annotation | None:
        """``ann`` mapped (itself when nothing changed), or ``None`` when it is dropped."""
        example = f"{where}, {ann.kind} {ann.id or ann.label!r}"
        if isinstance(ann, MultiCategory):
            labels = _names(ann.labels, self.labels)
            if labels == ann.labels:
                return ann
            if not labels:
                self._drop(ann, example)
                return None
            return self._changed(ann, example, labels=labels)
        if isinstance(ann, Segmentation):
            return self._segmentation(ann, example)
        new = self.labels.target(ann.label) if ann.label else ann.label
        if new is None:
            self._drop(ann, example)
            return None
        pdf = _pdf(ann.class_pdf, self.labels)
        if new == ann.label and pdf == ann.class_pdf:
            return ann
        return self._changed(ann, example, label=new, class_pdf=pdf)

    def _segmentation(self, ann: Segmentation, example: str) -> Segmentation | None:
        segments = []
        for s in ann.segments:
            name = self.labels.target(s.label)
            if name is not None:
                segments.append(s if name == s.label else replace(s, label=name))
        if len(segments) < len(ann.segments):
            self.report.dropped(
                ann.kind, "segments", n=len(ann.segments) - len(segments),
                reason="their labels are dropped by the label map", example=example,
            )  # fmt: skip
        if not segments:
            self._drop(ann, example)
            return None
        if len(segments) == len(ann.segments) and all(
            a is b for a, b in zip(segments, ann.segments, strict=True)
        ):
            return ann
        return self._changed(ann, example, segments=segments)

    def _drop(self, ann: Annotation, example: str) -> None:
        self.report.dropped(
            ann.kind, reason="its label is dropped by the label map", example=example
        )

    def _changed(self, ann: _A, example: str, **fields: Any) -> _A:
        self.report.changed(ann.kind, "label", reason="renamed by the label map", example=example)
        return replace(ann, **fields)


def annotation_labels(ann: Annotation) -> list[str]:
    """The labels an annotation carries: a multi-category's labels, a segmentation's segments'
    labels, else its one label (none when empty)."""
    if isinstance(ann, MultiCategory):
        return list(ann.labels)
    if isinstance(ann, Segmentation):
        return [s.label for s in ann.segments]
    return [ann.label] if ann.label else []


def _names(names: list[str], labels: LabelMap) -> list[str]:
    """``names`` mapped, dropped ones left out, each new name once (first place kept)."""
    out: list[str] = []
    for name in names:
        new = labels.target(name)
        if new is not None and new not in out:
            out.append(new)
    return out


def _pdf(pdf: dict[str, float] | None, labels: LabelMap) -> dict[str, float] | None:
    """A class pdf with its keys mapped: merged labels' probabilities added, dropped ones
    left out."""
    if pdf is None:
        return None
    out: dict[str, float] = {}
    for name, p in pdf.items():
        new = labels.target(name)
        if new is not None:
            out[new] = out[new] + p if new in out else p
    return out


def _skeletons(skeletons: dict[str, Skeleton], labels: LabelMap) -> dict[str, Skeleton]:
    out: dict[str, Skeleton] = {}
    sources: dict[str, str] = {}
    for name, skeleton in skeletons.items():
        new = labels.target(name)
        if new is None:
            continue
        if new in out and out[new] != skeleton:
            raise InputError(
                f"labels {sources[new]!r} and {name!r} both become {new!r} but have different "
                "keypoint skeletons; map them apart"
            )
        out.setdefault(new, skeleton)
        sources.setdefault(new, name)
    return out


def _extra(extra: dict[str, Any], labels: LabelMap) -> dict[str, Any]:
    """``extra`` with the label lists of :data:`_HEADER_LABEL_LISTS` mapped (copies: the
    source header is left as it was)."""
    out = dict(extra)
    for fmt, key in _HEADER_LABEL_LISTS:
        block = out.get(fmt)
        if not isinstance(block, dict) or key not in block:
            continue
        value = block[key]
        if isinstance(value, list):
            mapped: Any = _names([str(v) for v in value], labels)
        elif isinstance(value, dict):
            mapped = {
                k: _names([str(v) for v in vs], labels) if isinstance(vs, list) else vs
                for k, vs in value.items()
            }
        else:
            continue
        out[fmt] = {**block, key: mapped}
    return out
