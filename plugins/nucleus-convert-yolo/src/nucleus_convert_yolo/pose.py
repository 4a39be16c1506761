"""Pose datasets (writer ``task=pose``): one line per object, its box then its keypoints.

Conventions:

* An object is a :class:`~nucleus_convert.Box` and a :class:`~nucleus_convert.Keypoints`
  sharing ``group_id`` (what the reader makes of a pose line, and what COCO gives a person);
  an annotation without a group is an object of its own. Its line is ``cls cx cy w h`` (the
  box, exact and clipped to the image as a detection box, :mod:`.lines`) then ``K`` keypoints
  of ``px py v`` (``D = 3``) or ``px py`` (``D = 2``), in the keypoints' own order.
* ``K`` and ``D`` (``kpt_shape``): the header's (a YOLO pose source keeps it in
  ``header.extra["yolo"]``); else ``K`` is the names count of the header's skeletons when they
  all agree, else that of the first keypoints met, and ``D = 3``.
* Visibility is written exactly: unlabelled ``0``, labelled but hidden ``1``, visible ``2``;
  an unlabelled keypoint without coordinates is ``0 0 0``. With ``D = 2`` only a visible point
  (or an unlabelled one with a negative coordinate, as Ultralytics reads them) reads back the
  same; any other is counted as ``(keypoints, points.visibility)`` approximated.
* Coordinates may lie up to 1% outside the image (the reader's band); beyond, a keypoint is
  moved to that band's edge, counted as ``(keypoints, points)`` approximated.
* Keypoint names and skeleton belong to the class (``kpt_names`` and this plugin's
  ``skeleton`` key of the YAML): the header's skeleton of the label when it has ``K`` names,
  else the first object's. An object whose names or skeleton differ is counted as
  approximated (``keypoints.names``, ``keypoints.skeleton``); a header skeleton that cannot be
  written as its class's as ``(header, skeletons)``.
* Counted as well: keypoints whose count is not ``K`` (dropped); an object without a box (its
  line's box is the enclosing box of its labelled keypoints: ``(keypoints, *)`` approximated,
  dropped when they enclose no area); a box without keypoints (written with ``K`` unlabelled
  keypoints with ``D = 3``: ``(box, *)`` approximated; dropped with ``D = 2``); polygons
  (a pose line holds none); a second box or keypoints in a group; ids other than the line
  number (box) and ``<line>-keypoints``; groups other than the line number; every other field
  holding a value (:mod:`.carries`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nucleus_convert import (
    Annotation,
    Box,
    Header,
    Keypoint,
    Keypoints,
    LossReport,
    Visibility,
    WriteSummary,
)
from nucleus_convert.toolkit import FieldLedger
from nucleus_convert_yolo.carries import ONE_LINE, POSE_CARRIES, PREDICTIONS
from nucleus_convert_yolo.classes import Classes
from nucleus_convert_yolo.coords import point_to_normalised
from nucleus_convert_yolo.dataset_yaml import EXTRA_KEY, generated_names
from nucleus_convert_yolo.lines import INEXACT, BoxValues, LineMaker, Size
from nucleus_convert_yolo.obb import band_edges
from nucleus_convert_yolo.parse import keypoints_id

__all__ = ["PoseLineMaker", "kpt_shape_of"]

Edges = list[tuple[int, int]]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def kpt_shape_of(header: Header) -> tuple[int | None, int]:
    """``(K, D)`` of the dataset written from ``header`` (module docstring; ``K`` None when
    nothing tells it yet)."""
    extra = header.extra.get(EXTRA_KEY)
    shape = extra.get("kpt_shape") if isinstance(extra, Mapping) else None
    if (
        isinstance(shape, list)
        and len(shape) == 2
        and all(_is_int(v) for v in shape)
        and shape[0] >= 1
        and shape[1] in (2, 3)
    ):
        return int(shape[0]), int(shape[1])
    counts = {len(s.names) for s in header.skeletons.values()}
    if len(counts) == 1:
        count = counts.pop()
        return (count if count >= 1 else None), 3
    return None, 3


def _valid_edges(edges: Any, count: int) -> Edges | None:
    """``edges`` as a list of index pairs within ``0..count-1``, or None when it is not one."""
    if not isinstance(edges, list | tuple):
        return None
    out: Edges = []
    for edge in edges:
        if not isinstance(edge, list | tuple) or len(edge) != 2:
            return None
        a, b = edge
        if not (_is_int(a) and _is_int(b) and 0 <= a < count and 0 <= b < count):
            return None
        out.append((int(a), int(b)))
    return out


@dataclass(slots=True)
class _Object:
    box: Box | None = None
    keypoints: Keypoints | None = None


class PoseLineMaker(LineMaker):
    """Makes the pose label lines of each item and the pose keys of the YAML."""

    def __init__(
        self, report: LossReport, classes: Classes, summary: WriteSummary, header: Header
    ) -> None:
        super().__init__(report, classes, "pose", summary)
        self.ledger = FieldLedger(report, POSE_CARRIES)
        self.header = header
        self.count, self.dims = kpt_shape_of(header)
        self.kpt_names: dict[int, list[str]] = {}
        self.skeleton: dict[int, Edges | None] = {}

    def lines(self, annotations: list[Annotation], size: Size, where: str) -> list[str]:
        out: list[str] = []
        for obj in self._objects(annotations, where):
            line = self._line(obj, size, len(out) + 1, where)
            if line is not None:
                out.append(line)
        return out

    def _objects(self, annotations: list[Annotation], where: str) -> list[_Object]:
        objects: list[_Object] = []
        groups: dict[str, _Object] = {}
        for ann in annotations:
            if ann.prediction:
                self.report.dropped(ann.kind, reason=PREDICTIONS, example=where)
                continue
            if not isinstance(ann, Box | Keypoints):
                self.ledger.take(ann, where)  # no place for the kind: counted under it
                continue
            obj = groups.get(ann.group_id) if ann.group_id is not None else None
            if obj is None:
                obj = _Object()
                objects.append(obj)
                if ann.group_id is not None:
                    groups[ann.group_id] = obj
            if isinstance(ann, Box) and obj.box is None:
                obj.box = ann
            elif isinstance(ann, Keypoints) and obj.keypoints is None:
                obj.keypoints = ann
            else:
                self.report.dropped(
                    ann.kind, reason=f"a second {ann.kind} in its group: {ONE_LINE}", example=where
                )
        return objects

    def _checked_keypoints(self, kps: Keypoints | None, where: str) -> Keypoints | None:
        if kps is None:
            return None
        if self.count is None and kps.points:
            self.count = len(kps.points)
        if len(kps.points) != self.count or len(kps.names) != len(kps.points):
            self.report.dropped(
                "keypoints",
                reason=f"{len(kps.points)} keypoints ({len(kps.names)} names), but the "
                f"dataset's kpt_shape has {self.count}",
                example=where,
            )
            return None
        return kps

    def _line(self, obj: _Object, size: Size, n: int, where: str) -> str | None:
        kps = self._checked_keypoints(obj.keypoints, where)
        box = obj.box
        if box is not None and (self.count is None or (kps is None and self.dims == 2)):
            why = (
                "no keypoint count known (no kpt_shape, skeleton or keypoints before it)"
                if self.count is None
                else "a box without keypoints has no line in a [K, 2] pose dataset (each "
                "point would read back as visible)"
            )
            self.report.dropped("box", reason=f"task=pose: {why}", example=where)
            return None
        owner: Box | Keypoints | None = box or kps
        geometry = self._geometry(box, kps, where)
        if owner is None or geometry is None:
            return None
        texts = self.box_texts(owner, geometry, size, where)
        if texts is None:
            if box is not None and kps is not None:
                self.report.dropped("keypoints", reason="its box has no line", example=where)
            return None
        if kps is None:
            self.report.approximated(
                "box",
                reason=f"task=pose: a box without keypoints is written with {self.count} "
                "unlabelled keypoints (0 0 0)",
                example=where,
            )
        cls = self.classes.of(owner.label)
        self._class_keypoints(cls, owner.label, kps, where)
        points = self._points(kps, size, where)
        self._pose_fields(box, kps, n, where)
        self.summary.add("pose objects")
        return f"{cls} {' '.join(texts)} {' '.join(points)}"

    def _geometry(self, box: Box | None, kps: Keypoints | None, where: str) -> BoxValues | None:
        if box is not None:
            return (box.x, box.y, box.width, box.height)
        if kps is None:
            return None
        placed = [
            (p.x, p.y)
            for p in kps.points
            if p.x is not None and p.y is not None and p.visibility != Visibility.UNLABELLED
        ]
        xs, ys = [x for x, _ in placed], [y for _, y in placed]
        if not placed or not max(xs) > min(xs) or not max(ys) > min(ys):
            self.report.dropped(
                "keypoints",
                reason="no box in its group, and its labelled keypoints enclose no area",
                example=where,
            )
            return None
        self.report.approximated(
            "keypoints",
            reason="no box in its group: the line's box is the enclosing box of its labelled "
            "keypoints (it reads back as a box of its own)",
            example=where,
        )
        return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))

    def _first_of_class(self, label: str, kps: Keypoints | None) -> tuple[list[str], Edges | None]:
        assert self.count is not None
        skeleton = self.header.skeletons.get(label)
        if skeleton is not None and len(skeleton.names) == self.count:
            edges = _valid_edges(skeleton.edges, self.count) if skeleton.edges else None
            if edges is None and kps is not None and kps.skeleton is not None:
                edges = _valid_edges(kps.skeleton, self.count)
            return list(skeleton.names), edges
        if kps is not None:
            edges = None if kps.skeleton is None else _valid_edges(kps.skeleton, self.count)
            return list(kps.names), edges
        return generated_names(self.count), None

    def _class_keypoints(self, cls: int, label: str, kps: Keypoints | None, where: str) -> None:
        """Fix the class's names and skeleton on its first object; count an object's that
        differ."""
        if cls not in self.kpt_names:
            self.kpt_names[cls], self.skeleton[cls] = self._first_of_class(label, kps)
        if kps is None:
            return
        if kps.names != self.kpt_names[cls]:
            self.report.approximated(
                "keypoints",
                "names",
                reason="keypoint names belong to the class (kpt_names): the first object's or "
                "the header's are written, this object's differ",
                example=where,
            )
        own = None if kps.skeleton is None else [tuple(e) for e in kps.skeleton]
        if own != self.skeleton[cls]:
            self.report.approximated(
                "keypoints",
                "skeleton",
                reason="the skeleton belongs to the class (the YAML's skeleton key): the "
                "header's or the first object's is written, this object's differs",
                example=where,
            )

    def _points(self, kps: Keypoints | None, size: Size, where: str) -> list[str]:
        assert self.count is not None
        if kps is None:
            return ["0"] * (self.count * self.dims)
        band = (band_edges(size[0]), band_edges(size[1]))
        out: list[str] = []
        for point in kps.points:
            out.extend(self._point(point, size, band, where))
        return out

    def _point(
        self,
        point: Keypoint,
        size: Size,
        band: tuple[tuple[float, float], tuple[float, float]],
        where: str,
    ) -> list[str]:
        x, y, vis = point.x, point.y, point.visibility
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            if vis != Visibility.UNLABELLED or self.dims == 2:
                self._visibility_changed("a keypoint without (finite) coordinates is 0 0", where)
            return ["0"] * self.dims
        (xlo, xhi), (ylo, yhi) = band
        mx, my = min(max(x, xlo), xhi), min(max(y, ylo), yhi)
        if (mx, my) != (x, y):
            self.report.approximated(
                "keypoints",
                "points",
                reason="a keypoint more than 1% outside the image moved to that band's edge",
                example=where,
            )
        texts, exact = point_to_normalised(mx, my, *size)
        if not exact:
            self.report.approximated("keypoints", "points", reason=INEXACT, example=where)
        if self.dims == 3:
            return [*texts, str(int(vis))]
        negative = mx < 0 or my < 0
        if vis != (Visibility.UNLABELLED if negative else Visibility.VISIBLE):
            self._visibility_changed("kpt_shape [K, 2] has no visibility values", where)
        return list(texts)

    def _visibility_changed(self, why: str, where: str) -> None:
        self.report.approximated(
            "keypoints",
            "points.visibility",
            reason=f"{why}: the keypoint reads back with another visibility",
            example=where,
        )

    def _pose_fields(self, box: Box | None, kps: Keypoints | None, n: int, where: str) -> None:
        """Count an id or group the line cannot give back, and the fields it has no place for."""
        for ann, wanted in ((box, str(n)), (kps, keypoints_id(n))):
            if ann is None:
                continue
            if ann.id is not None and ann.id != wanted:
                self.report.dropped(
                    ann.kind,
                    "id",
                    reason="a pose line has no ids: its box reads back as the line number, its "
                    "keypoints as '<line>-keypoints'",
                    example=where,
                )
            if ann.group_id != str(n):
                self.report.approximated(
                    ann.kind,
                    "group_id",
                    reason="a pose line's box and keypoints read back grouped by its line number",
                    example=where,
                )
            self.ledger.fields(ann, where, handled=("id", "group_id"))

    def yaml_keys(self) -> dict[str, Any]:
        """``kpt_shape``, ``flip_idx``, ``kpt_names`` and ``skeleton`` for the YAML (empty when
        no keypoint count is known), after counting what the header's skeletons lose."""
        self._header_skeletons()
        if self.count is None:
            return {}
        keys: dict[str, Any] = {"kpt_shape": [self.count, self.dims]}
        extra = self.header.extra.get(EXTRA_KEY)
        flip = extra.get("flip_idx") if isinstance(extra, Mapping) else None
        if (
            isinstance(flip, list)
            and len(flip) == self.count
            and all(_is_int(v) and 0 <= v < self.count for v in flip)
        ):
            keys["flip_idx"] = list(flip)
        elif flip is not None:
            self.report.dropped(
                "header",
                "extra.flip_idx",
                reason=f"flip_idx is not {self.count} keypoint indexes (the kpt_shape written)",
            )
        generated = generated_names(self.count)
        names = {c: n for c, n in sorted(self.kpt_names.items()) if n != generated}
        if names:
            keys["kpt_names"] = names
        edges = {c: [list(e) for e in sk] for c, sk in sorted(self.skeleton.items()) if sk}
        if edges:
            keys["skeleton"] = edges
        return keys

    def _header_skeletons(self) -> None:
        """Give each header skeleton's class its names when no object did; count those that
        cannot be written as their class's."""
        for label, skeleton in self.header.skeletons.items():
            cls = self.classes.known(label)
            if cls is None or self.count is None or len(skeleton.names) != self.count:
                why = (
                    "its label is no class of the written dataset"
                    if cls is None
                    else f"{len(skeleton.names)} names, but the dataset's kpt_shape has "
                    f"{self.count}"
                )
                self.report.dropped("header", "skeletons", reason=why, example=label)
                continue
            if cls not in self.kpt_names:
                self.kpt_names[cls], self.skeleton[cls] = self._first_of_class(label, None)
            written = (self.kpt_names[cls], self.skeleton[cls] or [])
            if written != (list(skeleton.names), [tuple(e) for e in skeleton.edges]):
                self.report.approximated(
                    "header",
                    "skeletons",
                    reason="the class's keypoints were written from its first object, whose "
                    "names or skeleton differ",
                    example=label,
                )
