"""Writing the model as an Ultralytics YOLO dataset.

Output (``dst`` is created as a folder)::

    data.yaml                    train: images/train, ..., nc: N, names: {0: name, ...}
    images/<subset>/<ref>.<ext>  the item's image (copied or linked; option ``images``)
    labels/<subset>/<ref>.txt    one line per annotation; empty for an image without any

Conventions:

* The subset is the item's metadata ``yolo_subset``, else the writer option ``subset``
  (default ``train``). ``train``/``val``/``test`` are Ultralytics' keys; another subset name is
  written as a key of its own (Ultralytics ignores it, this plugin reads it back).
* Class indexes: when the header's categories carry integer ``source_id`` forming exactly
  ``0..N-1`` (a YOLO source) they are kept; otherwise classes are numbered densely in header
  order. Labels used by annotations but absent from the header are appended in order of first
  use.
* Coordinates are exact (see :mod:`.coords`): each box or vertex is written with the fewest
  decimals (from 6) that read back as the very same floats.
* ``task`` (``auto``/``detect``/``segment``) chooses what one object becomes; objects are tied
  by ``group_id`` (a COCO annotation's box and polygon share one): ``auto`` writes polygons as
  polygon lines and boxes as box lines, but not a box whose group has a polygon (YOLO derives
  the box from the polygon: one object, one line); ``detect`` writes a polygon-only object as
  its enclosing box; ``segment`` writes a box-only object as a 4-point rectangle.
* The reference id (an image extension removed) is the file path under ``images/<subset>/``;
  characters a path cannot hold safely, empty/dot components and the components ``images`` and
  ``labels`` (which would break the images -> labels path rule) are replaced.

Everything else is counted in the loss report, never dropped in silence: annotation kinds
YOLO has no line for, predictions, annotation ids other than the line number, groups, tracks,
attributes, item metadata, cameras, non-image items, scenes, category ids, supercategories,
skeletons and taxonomies, and geometry clipped to the image.
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from nucleus_convert import (
    Annotation,
    Box,
    Dataset,
    Header,
    ImageMedia,
    InputError,
    Item,
    Keypoints,
    LossReport,
    Polygon,
    WriteSummary,
)
from nucleus_convert_yolo.coords import box_to_normalised, point_to_normalised
from nucleus_convert_yolo.images import image_size, is_image
from nucleus_convert_yolo.read import SUBSET_KEY
from nucleus_convert_yolo.ultralytics import RESERVED_YAML_KEYS

__all__ = ["write_yolo"]

_STANDARD_SUBSETS = ("train", "val", "test")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f\\:*?"<>|]')
_SAFE_SUBSET = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_RESERVED_COMPONENTS = frozenset({"images", "labels"})
_ONE_LINE = "YOLO writes one line per object"


def _is_remote(location: str) -> bool:
    return "://" in location


class _Writer:
    def __init__(
        self, dst: Path, header: Header, options: Mapping[str, Any], report: LossReport
    ) -> None:
        self.dst = dst
        self.header = header
        self.report = report
        self.summary = WriteSummary()
        # Options arrive parsed by their declared parsers (nucleus_convert.choice).
        self.task = str(options.get("task") or "auto")
        self.images = str(options.get("images") or "copy")
        self.default_subset = self._subset(str(options.get("subset") or "train"), "option")
        self.subsets: dict[str, None] = {}
        self.paths: set[tuple[str, str]] = set()
        self.classes: dict[str, int] = {}
        self.indexed_categories = 0
        self._index_header()

    # ------------------------------------------------------------------ classes

    def _index_header(self) -> None:
        cats = self.header.categories
        ids = [c.source_id for c in cats]
        names = [c.name for c in cats]
        int_ids = [i for i in ids if type(i) is int]
        yolo_ids = (
            bool(cats)
            and len(int_ids) == len(ids)
            and sorted(int_ids) == list(range(len(ids)))
            and len(set(names)) == len(names)
        )
        renumbered = 0
        for c in cats:
            if c.name in self.classes:
                continue
            index = c.source_id if yolo_ids else len(self.classes)
            assert isinstance(index, int)
            self.classes[c.name] = index
            if c.source_id is not None and c.source_id != index:
                renumbered += 1
        self.indexed_categories = len(cats)
        if renumbered:
            self.report.dropped(
                "header",
                "category id",
                n=renumbered,
                reason="YOLO class indexes are 0..N-1; the source's category ids are renumbered",
            )
        for fld, n in (
            ("supercategory", sum(c.supercategory is not None for c in cats)),
            ("category attributes", sum(bool(c.attributes) for c in cats)),
            ("skeleton", len(self.header.skeletons)),
            ("taxonomy", len(self.header.taxonomies)),
        ):
            self.report.dropped(
                "header", fld, n=n, reason=f"a YOLO dataset has class names only, no {fld}"
            )

    def _class(self, label: str) -> int:
        if len(self.header.categories) != self.indexed_categories:  # a streaming reader grew it
            for c in self.header.categories[self.indexed_categories :]:
                self.classes.setdefault(c.name, len(self.classes))
            self.indexed_categories = len(self.header.categories)
        index = self.classes.get(label)
        if index is None:
            index = self.classes[label] = len(self.classes)
        return index

    # ------------------------------------------------------------------ names and paths

    def _subset(self, name: str, where: str) -> str:
        safe = name if _SAFE_SUBSET.fullmatch(name) else re.sub(r"[^A-Za-z0-9._-]", "_", name)
        safe = safe.lstrip(".") or "subset"
        if safe in RESERVED_YAML_KEYS:
            safe = f"subset_{safe}"
        if safe != name:
            self.report.approximated(
                "item",
                "metadata",
                reason="a subset is a folder name and a data.yaml key: other characters replaced",
                example=f"{where}: {name!r} -> {safe!r}",
            )
        return safe

    def _relative(self, ref: str, subset: str, where: str) -> str:
        base, dot, ext = ref.rpartition(".")
        stem = base if dot and base and "/" not in ext and is_image(Path(f"x.{ext}")) else ref
        parts = []
        for part in stem.split("/"):
            clean = _UNSAFE.sub("_", part).strip()
            if not clean:
                continue
            if clean.startswith("."):
                clean = "_" + clean[1:]
            if clean.lower() in _RESERVED_COMPONENTS:
                clean += "_"
            parts.append(clean)
        rel = "/".join(parts) or "_"
        if (subset, rel) in self.paths:
            base = f"{rel}-{hashlib.sha1(ref.encode('utf-8')).hexdigest()[:8]}"
            rel, n = base, 2
            while (subset, rel) in self.paths:
                rel, n = f"{base}-{n}", n + 1
        self.paths.add((subset, rel))
        if rel != ref:
            self.report.approximated(
                "item",
                "reference_id",
                reason="the reference id is the image path under images/<subset>/ without its "
                "extension: an extension, unsafe characters or a clash changed it",
                example=f"{where}: {ref!r} -> {rel!r}",
            )
        return rel

    # ------------------------------------------------------------------ items

    def write_item(self, item: Item) -> None:
        where = f"item {item.reference_id!r}"
        media = item.media
        if not isinstance(media, ImageMedia):
            self.report.dropped(
                "item", reason="YOLO labels images only (a point cloud or no media)", example=where
            )
            for ann in item.annotations:
                self.report.dropped(ann.kind, reason="its item is not an image", example=where)
            return
        self._item_losses(item, where)
        raw_subset = item.metadata.get(SUBSET_KEY)
        if isinstance(raw_subset, str) and raw_subset:
            subset = self._subset(raw_subset, where)
        else:
            subset = self.default_subset
            # Reading the output back gives the item this subset: say so.
            self.report.approximated(
                "item",
                f"metadata.{SUBSET_KEY}",
                reason=f"the item names no subset: written to {subset!r} (writer option subset)",
                example=where,
            )
        self.subsets.setdefault(subset, None)
        rel = self._relative(item.reference_id, subset, where)
        local = not _is_remote(media.path) and Path(media.path).is_file()
        size = self._size(media, local)
        lines: list[str] = []
        if size is None:
            for ann in item.annotations:
                self.report.dropped(
                    ann.kind,
                    reason="no image size (not in the source, image not readable here)",
                    example=where,
                )
        else:
            lines = self._lines(item.annotations, size, where)
        label = self.dst / "labels" / subset / f"{rel}.txt"
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        self.summary.add("label files")
        source = Path(media.path)
        image = (
            self.dst / "images" / subset / f"{rel}{source.suffix if is_image(source) else '.jpg'}"
        )
        image.parent.mkdir(parents=True, exist_ok=True)
        if self.images == "none":
            return
        if not local:
            self.report.dropped(
                "item",
                "image",
                reason="image not a local file here: its label file is written, the image is not",
                example=where,
            )
            return
        if self.images == "copy":
            shutil.copyfile(source, image)
            self.summary.add("images copied")
        else:
            image.symlink_to(source.absolute())
            self.summary.add("images linked")

    def _item_losses(self, item: Item, where: str) -> None:
        other = sorted(k for k in item.metadata if k != SUBSET_KEY)
        if other:
            self.report.dropped(
                "item",
                "metadata",
                reason="YOLO has no per-image metadata (only the subset)",
                example=f"{where}: {', '.join(other)}",
            )
        if item.camera is not None:
            self.report.dropped(
                "item", "camera", reason="YOLO has no camera parameters", example=where
            )
        if item.extra:
            self.report.dropped(
                "item",
                "extra",
                reason="format-specific fields YOLO has no place for",
                example=f"{where}: {', '.join(sorted(item.extra))}",
            )

    def _size(self, media: ImageMedia, local: bool) -> tuple[int, int] | None:
        if media.width and media.height:
            return int(media.width), int(media.height)
        if local:
            try:
                return image_size(Path(media.path))
            except InputError:
                return None
        return None

    # ------------------------------------------------------------------ annotations

    def _lines(self, annotations: list[Annotation], size: tuple[int, int], where: str) -> list[str]:
        shapes: list[Box | Polygon] = []
        for ann in annotations:
            if ann.prediction:
                self.report.dropped(
                    ann.kind,
                    reason="YOLO label files hold ground truth; predictions are not written",
                    example=where,
                )
            elif isinstance(ann, Box | Polygon):
                shapes.append(ann)
            elif isinstance(ann, Keypoints):
                self.report.dropped(
                    ann.kind,
                    reason="YOLO pose labels are not supported (boxes and polygons only)",
                    example=where,
                )
            else:
                self.report.dropped(
                    ann.kind,
                    reason=f"YOLO labels have no {ann.kind} (boxes and polygons only)",
                    example=where,
                )
        polygon_groups = {
            a.group_id for a in shapes if isinstance(a, Polygon) and a.group_id is not None
        }
        box_groups = {a.group_id for a in shapes if isinstance(a, Box) and a.group_id is not None}
        done_groups: set[str] = set()
        lines: list[str] = []
        for ann in shapes:
            if isinstance(ann, Box) and ann.group_id in polygon_groups and self.task != "detect":
                self.report.dropped(
                    "box",
                    reason="the object is written as its polygon; YOLO derives the box",
                    example=where,
                )
                continue
            if isinstance(ann, Polygon) and self.task == "detect":
                if ann.group_id in box_groups:
                    self.report.dropped(
                        "polygon",
                        reason=f"task=detect: the object's box is written ({_ONE_LINE})",
                        example=where,
                    )
                    continue
                self.report.approximated(
                    "polygon",
                    reason="task=detect: written as the enclosing box of the object's polygons",
                    example=where,
                )
                if ann.group_id is not None:
                    if ann.group_id in done_groups:
                        continue
                    done_groups.add(ann.group_id)
                    rings = [
                        a for a in shapes if isinstance(a, Polygon) and a.group_id == ann.group_id
                    ]
                else:
                    rings = [ann]
                line = self._box_line(ann, _enclosing(rings), size, len(lines) + 1, where)
            elif isinstance(ann, Box) and self.task == "segment":
                self.report.approximated(
                    "box", reason="task=segment: written as a 4-point rectangle", example=where
                )
                line = self._polygon_line(ann, _rectangle(ann), size, len(lines) + 1, where)
            elif isinstance(ann, Box):
                line = self._box_line(
                    ann, (ann.x, ann.y, ann.width, ann.height), size, len(lines) + 1, where
                )
            else:
                line = self._polygon_line(ann, ann.points, size, len(lines) + 1, where)
            if line is not None:
                lines.append(line)
        return lines

    def _fields(self, ann: Annotation, line_no: int, where: str) -> None:
        """Count the annotation's fields a YOLO line cannot hold."""
        kind = ann.kind
        if ann.id is not None and ann.id != str(line_no):
            self.report.dropped(
                kind,
                "id",
                reason="a YOLO line has no id; it reads back as its line number",
                example=where,
            )
        for fld, present in (
            ("group_id", ann.group_id is not None),
            ("track_id", ann.track_id is not None),
            ("attributes", bool(ann.attributes)),
            ("class_pdf", ann.class_pdf is not None),
            ("extra", bool(ann.extra)),
        ):
            if present:
                self.report.dropped(
                    kind,
                    fld,
                    reason=f"a YOLO line has class and geometry only, no {fld}",
                    example=where,
                )

    def _box_line(
        self,
        ann: Annotation,
        box: tuple[float, float, float, float],
        size: tuple[int, int],
        line_no: int,
        where: str,
    ) -> str | None:
        kind = ann.kind
        width, height = size
        if not all(math.isfinite(v) for v in box):
            self.report.dropped(kind, reason="non-finite coordinates", example=where)
            return None
        x, y, w, h = box
        if w <= 0 or h <= 0:
            self.report.dropped(
                kind, reason="zero or negative size (YOLO needs w, h > 0)", example=where
            )
            return None
        clipped = _clip(float(x), float(y), float(w), float(h), width, height)
        if clipped is None:
            self.report.dropped(
                kind, reason="outside the image: nothing left after clipping", example=where
            )
            return None
        if clipped != (x, y, w, h):
            self.report.approximated(
                kind,
                "geometry",
                reason="clipped to the image: YOLO coordinates are normalised to [0, 1]",
                example=where,
            )
        texts, exact = box_to_normalised(*clipped, width, height)
        if not exact:
            self.report.approximated(
                kind, "coordinates", reason="no decimal expansion round-trips", example=where
            )
        self._fields(ann, line_no, where)
        self.summary.add("boxes")
        return f"{self._class(ann.label)} {' '.join(texts)}"

    def _polygon_line(
        self,
        ann: Annotation,
        points: list[tuple[float, float]],
        size: tuple[int, int],
        line_no: int,
        where: str,
    ) -> str | None:
        kind = ann.kind
        width, height = size
        if len(points) < 3:
            self.report.dropped(
                kind, reason="fewer than 3 vertices (a YOLO polygon needs 3)", example=where
            )
            return None
        if not all(math.isfinite(v) for p in points for v in p):
            self.report.dropped(kind, reason="non-finite coordinates", example=where)
            return None
        clamped = [
            (min(max(px, 0.0), float(width)), min(max(py, 0.0), float(height))) for px, py in points
        ]
        if clamped != [(float(px), float(py)) for px, py in points]:
            self.report.approximated(
                kind,
                "points",
                reason="vertices outside the image moved to its edge: YOLO coordinates are "
                "normalised to [0, 1]",
                example=where,
            )
        fields: list[str] = []
        inexact = False
        for px, py in clamped:
            texts, exact = point_to_normalised(px, py, width, height)
            fields.extend(texts)
            inexact |= not exact
        if inexact:
            self.report.approximated(
                kind, "coordinates", reason="no decimal expansion round-trips", example=where
            )
        self._fields(ann, line_no, where)
        self.summary.add("polygons")
        return f"{self._class(ann.label)} {' '.join(fields)}"

    # ------------------------------------------------------------------ data.yaml

    def finish(self, dataset: Dataset) -> None:
        self.report.dropped_scenes(dataset.scenes, reason="YOLO has no scenes")
        for c in self.header.categories[self.indexed_categories :]:
            self.classes.setdefault(c.name, len(self.classes))
        if not self.subsets:
            self.subsets[self.default_subset] = None
        ordered = [s for s in _STANDARD_SUBSETS if s in self.subsets]
        ordered += [s for s in self.subsets if s not in _STANDARD_SUBSETS]
        data: dict[str, Any] = {}
        for subset in ordered:
            for top in ("images", "labels"):
                (self.dst / top / subset).mkdir(parents=True, exist_ok=True)
            data[subset] = f"images/{subset}"
        names = {index: name for name, index in self.classes.items()}
        data["nc"] = len(names)
        data["names"] = {i: names[i] for i in sorted(names)}
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
        (self.dst / "data.yaml").write_text(text, encoding="utf-8")
        self.summary.files.extend(["data.yaml", "images", "labels"])


def _clip(
    x: float, y: float, w: float, h: float, width: int, height: int
) -> tuple[float, float, float, float] | None:
    """The box cut to the image (exactly: the kept part of a clipped side is the nearest float),
    or None when nothing with a positive size is left."""
    # Rounding is monotonic: a float sum below the edge means an exact sum below it too.
    if x >= 0 and y >= 0 and x + w < width and y + h < height:
        return x, y, w, h
    x0, y0 = max(Fraction(x), Fraction(0)), max(Fraction(y), Fraction(0))
    x1 = min(Fraction(x) + Fraction(w), Fraction(width))
    y1 = min(Fraction(y) + Fraction(h), Fraction(height))
    if x1 <= x0 or y1 <= y0:
        return None
    clipped = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
    return clipped if clipped[2] > 0 and clipped[3] > 0 else None


def _enclosing(rings: list[Polygon]) -> tuple[float, float, float, float]:
    xs = [x for ring in rings for x, _ in ring.points]
    ys = [y for ring in rings for _, y in ring.points]
    if not xs:
        return (math.nan, math.nan, math.nan, math.nan)
    x0, y0 = min(xs), min(ys)
    return x0, y0, max(xs) - x0, max(ys) - y0


def _rectangle(box: Box) -> list[tuple[float, float]]:
    x1, y1 = box.x + box.width, box.y + box.height
    return [(box.x, box.y), (x1, box.y), (x1, y1), (box.x, y1)]


def write_yolo(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as an Ultralytics YOLO dataset in the new folder ``dst``."""
    writer = _Writer(dst, dataset.header, options, report)
    dst.mkdir(parents=False)
    for item in dataset.items:
        writer.write_item(item)
    writer.finish(dataset)
    return writer.summary
