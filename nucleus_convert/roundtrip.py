"""Comparing two datasets, and round trips through another format.

:func:`compare` matches items by reference id and, within an item, annotations of the same
kind (ground truth and predictions apart) by id where the source gave one, then in order. Each
field of each matched pair is counted in a :class:`~nucleus_convert.loss.LossReport`:

* ``kept``: equal;
* ``approximated``: numbers within the tolerance (absolute, in the unit of the geometry:
  pixels, metres, radians) but not equal;
* ``changed``: different beyond it; ``dropped``: missing on the other side.

Annotations are compared by their kind's codec (:meth:`nucleus_convert.kinds.Codec.compare`):
every model field, numbers within the tolerance and everything else equal, except where the
codec compares a field its own way (masks pixel by pixel, through their segments' labels, so a
renumbered index mask still compares equal; a cuboid's yaw modulo a full turn...). An id the
source did not have is not compared (writers may invent one). A kind without a codec is an
error (:class:`~nucleus_convert.kinds.NoCodecError`), never skipped.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nucleus_convert.api import read, write
from nucleus_convert.errors import FormatError
from nucleus_convert.kinds import Comparison, codec_for
from nucleus_convert.loss import LOSSY_STATUSES, LossEntry, LossReport
from nucleus_convert.model import (
    Annotation,
    CameraParams,
    Dataset,
    Header,
    Item,
    MaterializedDataset,
    PointCloudMedia,
    Scene,
    count_records,
)
from nucleus_convert.plugins import get_registry
from nucleus_convert.toolkit.files import is_remote

__all__ = ["DEFAULT_TOLERANCE", "STRUCTURAL_KINDS", "RoundtripResult", "compare", "roundtrip"]

DEFAULT_TOLERANCE = 1e-6
STRUCTURAL_KINDS = frozenset({"item", "scene", "header"})
"""Record kinds every format carries in some form: losses there are never "expected"."""


def _match(
    expected: list[Annotation], actual: list[Annotation]
) -> tuple[list[tuple[Annotation, Annotation]], list[Annotation], list[Annotation]]:
    by_id: dict[str, list[Annotation]] = defaultdict(list)
    for ann in actual:
        if ann.id is not None:
            by_id[ann.id].append(ann)
    used: set[int] = set()
    pairs: list[tuple[Annotation, Annotation]] = []
    pending: list[Annotation] = []
    for ann in expected:
        cands = (
            [x for x in by_id.get(ann.id, []) if id(x) not in used] if ann.id is not None else []
        )
        if cands:
            used.add(id(cands[0]))
            pairs.append((ann, cands[0]))
        else:
            pending.append(ann)
    rest = [x for x in actual if id(x) not in used]
    n = min(len(pending), len(rest))
    pairs.extend(zip(pending[:n], rest[:n], strict=True))
    return pairs, pending[n:], rest[n:]


def _compare_annotations(
    c: Comparison, expected: list[Annotation], actual: list[Annotation], where: str
) -> None:
    def groups(anns: list[Annotation]) -> dict[tuple[str, bool], list[Annotation]]:
        out: dict[tuple[str, bool], list[Annotation]] = defaultdict(list)
        for ann in anns:
            out[(ann.kind, ann.prediction)].append(ann)
        return out

    ga, gb = groups(expected), groups(actual)
    for key in sorted(set(ga) | set(gb)):
        kind, prediction = key
        codec = codec_for(kind)
        pairs, missing, extra = _match(ga.get(key, []), gb.get(key, []))
        label = "prediction" if prediction else "annotation"
        for a, b in pairs:
            c.report.kept(kind)
            codec.compare(a, b, c, f"{where}, {label} {a.id or ''}".rstrip())
        if missing:
            c.report.dropped(
                kind, n=len(missing), reason=f"{label}s missing after the round trip", example=where
            )
        if extra:
            c.report.changed(
                kind, n=len(extra), reason=f"{label}s that were not in the source", example=where
            )


def _camera_values(cam: CameraParams | None) -> list[float]:
    if cam is None:
        return []
    return [
        *cam.position,
        *cam.heading,
        cam.fx,
        cam.fy,
        cam.cx,
        cam.cy,
        *(cam.distortion.get(k, 0.0) for k in ("k1", "k2", "k3", "k4", "p1", "p2")),
    ]


def _compare_item(c: Comparison, a: Item, b: Item) -> None:
    where = f"item {a.reference_id!r}"
    c.report.kept("item")
    c.eq("item", "metadata", a.metadata, b.metadata, where)
    ma, mb = a.media, b.media
    c.eq("item", "media", type(ma).__name__, type(mb).__name__, where)
    if ma is not None and mb is not None and type(ma) is type(mb):
        for name in ("width", "height"):
            if getattr(ma, name, None) is not None:
                c.eq("item", f"media.{name}", getattr(ma, name), getattr(mb, name, None), where)
    if isinstance(ma, PointCloudMedia) and isinstance(mb, PointCloudMedia):
        _compare_points(c, ma, mb, where)
    if a.camera is not None or b.camera is not None:
        c.nums("item", "camera", _camera_values(a.camera), _camera_values(b.camera), where)
    _compare_annotations(c, a.annotations, b.annotations, where)


def _compare_points(c: Comparison, a: PointCloudMedia, b: PointCloudMedia, where: str) -> None:
    local = [m.points is not None or (m.path is not None and not is_remote(m.path)) for m in (a, b)]
    if not all(local):
        c.eq("item", "media.points", a.path, b.path, where)
        return
    pa, pb = a.load(), b.load()
    if pa.shape != pb.shape:
        c.report.changed(
            "item", "media.points", reason=f"{pa.shape} points became {pb.shape}", example=where
        )
    elif np.array_equal(pa.view(np.uint32), pb.view(np.uint32)):
        c.report.kept("item", "media.points")
    else:
        c.nums("item", "media.points", pa.ravel().tolist(), pb.ravel().tolist(), where)


def _compare_header(c: Comparison, a: Header, b: Header) -> None:
    names_b = {cat.name for cat in b.categories}
    missing = [cat.name for cat in a.categories if cat.name not in names_b]
    if missing:
        c.report.dropped(
            "header",
            "categories",
            n=len(missing),
            reason="categories lost",
            example=", ".join(missing[:5]),
        )
    else:
        c.report.kept("header", "categories", n=len(a.categories))
    by_name_b = {cat.name: cat for cat in b.categories}
    for cat in a.categories:
        other = by_name_b.get(cat.name)
        if other is not None:
            if cat.supercategory is not None:
                c.eq(
                    "header",
                    "categories.supercategory",
                    cat.supercategory,
                    other.supercategory,
                    f"category {cat.name!r}",
                )
            if cat.source_id is not None:
                c.eq(
                    "header",
                    "categories.source_id",
                    cat.source_id,
                    other.source_id,
                    f"category {cat.name!r}",
                )
    for label, sk in a.skeletons.items():
        other_sk = b.skeletons.get(label)
        c.eq(
            "header",
            "skeletons",
            (sk.names, sk.edges),
            (other_sk.names, other_sk.edges) if other_sk else None,
            f"label {label!r}",
        )
    for name, tax in a.taxonomies.items():
        other_tax = b.taxonomies.get(name)
        c.eq(
            "header",
            "taxonomies",
            sorted(tax.labels),
            sorted(other_tax.labels) if other_tax else None,
            f"taxonomy {name!r}",
        )


def _compare_scene(c: Comparison, a: Scene, b: Scene) -> None:
    where = f"scene {a.reference_id!r}"
    c.report.kept("scene")
    c.eq("scene", "frames", [f.sensors for f in a.frames], [f.sensors for f in b.frames], where)
    c.eq("scene", "metadata", a.metadata, b.metadata, where)
    _compare_annotations(c, a.annotations, b.annotations, where)


def compare(
    expected: Dataset | MaterializedDataset,
    actual: Dataset | MaterializedDataset,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    report: LossReport | None = None,
) -> LossReport:
    """Compare ``actual`` against ``expected`` and count every field (see module docstring)."""
    report = report if report is not None else LossReport()
    c = Comparison(report, tolerance)
    exp = expected if isinstance(expected, MaterializedDataset) else expected.materialize()
    act = actual if isinstance(actual, MaterializedDataset) else actual.materialize()
    _compare_header(c, exp.header, act.header)
    by_ref = {item.reference_id: item for item in act.items}
    for item in exp.items:
        other = by_ref.pop(item.reference_id, None)
        if other is None:
            report.dropped(
                "item", reason="items missing after the round trip", example=item.reference_id
            )
            for ann in item.annotations:
                report.dropped(ann.kind, reason="its item is missing", example=item.reference_id)
        else:
            _compare_item(c, item, other)
    for ref in by_ref:
        report.changed("item", reason="items that were not in the source", example=ref)
    scenes_b = {s.reference_id: s for s in act.scenes}
    for scene in exp.scenes:
        other_scene = scenes_b.pop(scene.reference_id, None)
        if other_scene is None:
            report.dropped(
                "scene", reason="scenes missing after the round trip", example=scene.reference_id
            )
        else:
            _compare_scene(c, scene, other_scene)
    for ref in scenes_b:
        report.changed("scene", reason="scenes that were not in the source", example=ref)
    return report


@dataclass(slots=True)
class RoundtripResult:
    """The outcome of :func:`roundtrip`."""

    source_format: str
    via_format: str
    report: LossReport
    carried_by_both: frozenset[str]
    unexpected: list[LossEntry] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    """What the source holds (:func:`~nucleus_convert.model.count_records`)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage: ``read``, ``write_via``, ``write_back`` (when the source format
    writes), ``compare``."""

    @property
    def ok(self) -> bool:
        """True when nothing that both formats can carry was lost."""
        return not self.unexpected


def roundtrip(
    src: str | Path,
    via: str,
    *,
    from_: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    workdir: str | Path | None = None,
    on_stage: Callable[[str], None] | None = None,
    read_options: Mapping[str, Mapping[str, Any]] | None = None,
    write_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> RoundtripResult:
    """Read ``src``, write it as ``via``, read that back, write it in the source format again,
    read it, and compare with the original. Writers' own loss records are merged in.

    ``read_options`` and ``write_options`` hold each format's options by format name (the
    source's reader options apply to both of its reads, the via format's to its one read).
    When the source format has no writer the comparison is made after the first leg.
    """
    registry = get_registry()
    src = Path(src)
    source_fmt = registry.detect(src) if from_ is None else registry.get(from_)
    via_fmt = registry.get(via)
    if source_fmt.read is None:
        raise FormatError(f"format {source_fmt.name!r} cannot be read")
    if via_fmt.read is None or via_fmt.write is None:
        raise FormatError(
            f"format {via_fmt.name!r} must both read and write to round-trip through it"
        )
    stage = on_stage or (lambda _s: None)
    ro, wo = read_options or {}, write_options or {}
    src_ro, via_ro = ro.get(source_fmt.name, {}), ro.get(via_fmt.name, {})
    src_wo, via_wo = wo.get(source_fmt.name, {}), wo.get(via_fmt.name, {})
    report = LossReport()
    legs: list[LossReport] = []
    clock = _Clock()
    with tempfile.TemporaryDirectory(prefix="nucleus-convert-roundtrip-", dir=workdir) as tmp:
        stage(f"reading {src} as {source_fmt.name}")
        original = read(src, source_fmt.name, **src_ro).materialize()
        clock.lap("read")
        stage(f"writing {via_fmt.name}")
        via_path = Path(tmp) / f"via-{via_fmt.name}"
        legs.append(write(original.stream(), via_path, via_fmt.name, **via_wo).report)
        back = read(via_path, via_fmt.name, **via_ro)
        clock.lap("write_via")
        if source_fmt.write is not None:
            stage(f"writing {source_fmt.name} again")
            back_path = Path(tmp) / f"back-{source_fmt.name}"
            legs.append(write(back, back_path, source_fmt.name, **src_wo).report)
            back = read(back_path, source_fmt.name, **src_ro)
            clock.lap("write_back")
        stage("comparing")
        compare(original, back, tolerance=tolerance, report=report)
        clock.lap("compare")
    # The comparison counts what was kept; the writers add what they dropped or flagged.
    for n, leg in enumerate(legs):
        report.merge(leg, (*LOSSY_STATUSES, *(("not_uploadable",) if n == 0 else ())))
    both = frozenset(source_fmt.kinds & via_fmt.kinds)
    unexpected = [e for e in report.lossy_entries() if e.kind in both or e.kind in STRUCTURAL_KINDS]
    counts = dict(sorted(count_records(original).items()))
    return RoundtripResult(
        source_fmt.name, via_fmt.name, report, both, unexpected, counts, clock.laps
    )


class _Clock:
    """Seconds between successive :meth:`lap` calls, by name."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 6)
        self._last = now
