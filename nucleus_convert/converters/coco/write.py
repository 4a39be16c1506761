"""Writing COCO: the exact inverse of :mod:`.read`.

Annotations sharing a ``group_id`` become one COCO annotation again: its box, its polygon
rings (in order), its mask and its keypoints. Original ids (``coco_id``, ``coco_image_id``,
category ``source_id``) come back where the model has them and are unique; the others get new
ids after the largest one in use. ``area`` is taken from the source where it had one and
computed with pycocotools otherwise; a missing ground-truth ``bbox`` is computed from the
mask, polygons or labelled keypoints (and reported as approximated). Index-mask segmentations
(Nucleus, panoptic) become one RLE instance per segment. RLEs are written as read; masks made
from pixels are compressed unless the segment says its source was uncompressed.

Ground truth goes to an instances file. Predictions go to a results file (a bare list, as the
COCO evaluation expects): by default when the dataset holds only predictions, or always with
writer option ``content=predictions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from nucleus_convert.converters.coco.schema import CAPTIONS_KEY, KNOWN_ANNOTATION_KEYS, is_coco_id
from nucleus_convert.errors import OutputError
from nucleus_convert.geometry.rle import (
    UNCOMPRESSED_MARK,
    compress,
    encode,
    polygons_to_rle,
    rle_area,
    rle_bbox,
    to_uncompressed,
)
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Box,
    Dataset,
    Header,
    ImageCategory,
    ImageMedia,
    InstanceMask,
    Item,
    Keypoints,
    Polygon,
    Segmentation,
    Skeleton,
    Visibility,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import local_image_size

__all__ = ["write_coco"]

_RESERVED = KNOWN_ANNOTATION_KEYS | {"coco_id", UNCOMPRESSED_MARK}
_IMAGE_RESERVED = frozenset({"coco_image_id", "file_name", CAPTIONS_KEY, "id", "width", "height"})
_DROPPED_KINDS = ("polyline", "cuboid", "multicategory", "scene_category")


class _Ids:
    """Keeps source ids where they are unique; hands out new ones after the largest int."""

    def __init__(self) -> None:
        self.used: set[Any] = set()
        self.pending: list[tuple[dict[str, Any], str]] = []

    def claim(self, wanted: Any, record: dict[str, Any], key: str = "id") -> None:
        if is_coco_id(wanted) and wanted not in self.used:
            self.used.add(wanted)
            record[key] = wanted
        else:
            self.pending.append((record, key))

    def assign(self) -> int:
        """Give every pending record a fresh integer id; return how many were assigned."""
        start = max((v for v in self.used if isinstance(v, int)), default=0) + 1
        for n, (record, key) in enumerate(self.pending):
            record[key] = start + n
        assigned = len(self.pending)
        self.pending = []
        return assigned


class _CocoWriter:
    def __init__(self, options: Mapping[str, Any], report: LossReport) -> None:
        self.report = report
        self.content = options.get("content") or "auto"
        self.summary = WriteSummary()
        self.images: list[dict[str, Any]] = []
        self.image_ids = _Ids()
        self.gt: list[dict[str, Any]] = []
        self.preds: list[dict[str, Any]] = []
        self.ann_ids = _Ids()
        self.pred_ids = _Ids()
        self.categories: dict[str, dict[str, Any]] = {}
        self.category_ids = _Ids()
        self.seen_skeletons: dict[str, Keypoints] = {}
        self.captions: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.unsized: list[str] = []

    # ------------------------------------------------------------------ categories

    def _declare(self, header: Header) -> None:
        for c in header.categories:
            if c.name in self.categories:
                continue
            rec: dict[str, Any] = {}
            self.category_ids.claim(c.source_id, rec)
            rec["name"] = c.name
            if c.supercategory is not None:
                rec["supercategory"] = c.supercategory
            rec.update(c.attributes)
            self.categories[c.name] = rec

    def _category(self, label: str) -> dict[str, Any]:
        rec = self.categories.get(label)
        if rec is None:
            rec = {}
            self.category_ids.claim(None, rec)
            rec["name"] = label
            rec["supercategory"] = ""
            self.categories[label] = rec
        return rec

    # ------------------------------------------------------------------ items

    def _image(self, item: Item) -> dict[str, Any]:
        md = item.metadata
        rec: dict[str, Any] = {}
        wanted = md.get("coco_image_id")
        if wanted is None and item.reference_id.isdigit():
            wanted = int(item.reference_id)  # a results file read without its images
        self.image_ids.claim(wanted, rec)
        file_name = md.get("file_name")
        rec["file_name"] = file_name if isinstance(file_name, str) else item.reference_id
        width = height = None
        if isinstance(item.media, ImageMedia):
            width, height = item.media.width, item.media.height
            if width is None or height is None:
                width, height = local_image_size(item.media.path) or (None, None)
        if width is not None and height is not None:
            rec["width"], rec["height"] = width, height
        else:
            self.unsized.append(item.reference_id)
        rec.update((k, v) for k, v in md.items() if k not in _IMAGE_RESERVED)
        return rec

    def write_item(self, item: Item) -> None:
        image = self._image(item)
        self.images.append(image)
        self.summary.add("images")
        for cap in item.metadata.get(CAPTIONS_KEY) or []:
            if isinstance(cap, dict):
                self.captions.append((image, cap))
        groups: dict[tuple[Any, bool], list[Annotation]] = {}
        singles: list[list[Annotation]] = []
        size = (
            (item.media.height, item.media.width)
            if isinstance(item.media, ImageMedia)
            else (None, None)
        )
        if size[0] is None and "height" in image:
            size = (image["height"], image["width"])
        for ann in self._expand(item, size):
            if ann.kind in _DROPPED_KINDS:
                self.report.dropped(
                    ann.kind,
                    reason="COCO has no such annotation",
                    example=f"item {item.reference_id!r}",
                )
                continue
            if ann.group_id is None:
                singles.append([ann])
            else:
                groups.setdefault((ann.group_id, ann.prediction), []).append(ann)
        for members in [*groups.values(), *singles]:
            self._group(members, item, image, size)

    def _expand(self, item: Item, size: tuple[int | None, int | None]) -> list[Annotation]:
        """Item annotations with every segmentation split into one RLE mask per segment."""
        out: list[Annotation] = []
        for ann in item.annotations:
            if not isinstance(ann, Segmentation):
                out.append(ann)
                continue
            where = f"item {item.reference_id!r}, segmentation {ann.id!r}"
            if not ann.mask.is_local():
                self.report.dropped(
                    "segmentation",
                    reason="mask pixels are not available here (remote URL)",
                    example=where,
                )
                continue
            pixels = ann.mask.load()
            if size[0] is not None and pixels.shape != size:
                raise OutputError(
                    f"{where}: mask is {pixels.shape[0]}x{pixels.shape[1]} but the image is "
                    f"{size[0]}x{size[1]}"
                )
            self.report.approximated(
                "segmentation",
                reason="COCO instances hold no index mask: written as one RLE mask per segment",
                example=where,
            )
            for s in ann.segments:
                attrs = dict(s.attributes or {})
                rle = encode(pixels == s.index)
                if attrs.pop(UNCOMPRESSED_MARK, None) == "uncompressed":
                    rle = to_uncompressed(rle)
                score = attrs.pop("score", None) if ann.prediction else None
                out.append(
                    InstanceMask(
                        label=s.label,
                        id=None,
                        group_id=s.group_id,
                        attributes=attrs,
                        score=score if score is not None else ann.score,
                        prediction=ann.prediction,
                        rle=rle,
                    )
                )
        return out

    # ------------------------------------------------------------------ annotations

    def _group(
        self,
        members: list[Annotation],
        item: Item,
        image: dict[str, Any],
        size: tuple[int | None, int | None],
    ) -> None:
        boxes = [a for a in members if isinstance(a, Box)]
        polygons = [a for a in members if isinstance(a, Polygon)]
        masks = [a for a in members if isinstance(a, InstanceMask)]
        keypoints = [a for a in members if isinstance(a, Keypoints)]
        categories = [a for a in members if isinstance(a, ImageCategory)]
        # One COCO record holds one box, one segmentation and one keypoint set; anything more
        # in a group is written as records of its own.
        extra = boxes[1:] + keypoints[1:] + (masks if polygons else masks[1:]) + categories[1:]
        if boxes or polygons or masks or keypoints:
            extra += categories[:1]
            categories = []
        first = members[0]
        prediction = first.prediction
        where = f"item {item.reference_id!r}, group {first.group_id!r}"
        spare = {id(a) for a in extra}
        labels = {a.label for a in members if id(a) not in spare}
        if len(labels) > 1:
            raise OutputError(f"{where}: one COCO annotation cannot have labels {sorted(labels)}")
        head = next(a for a in members if id(a) not in spare)
        rec: dict[str, Any] = {}
        attrs = dict(head.attributes)
        ids = self.pred_ids if prediction else self.ann_ids
        if not prediction or "coco_id" in attrs:
            ids.claim(attrs.pop("coco_id", None), rec)
        else:
            attrs.pop("coco_id", None)
        rec["image_id"] = image  # replaced by the image's final id in finish()
        rec["category_id"] = self._category(head.label)
        mask = masks[0] if masks and not polygons else None
        seg: Any = None
        if polygons:
            seg = [[c for point in p.points for c in point] for p in polygons]
        elif mask is not None:
            seg = mask.rle
            if isinstance(seg.get("counts"), bytes):
                seg = compress(seg)
        if seg is not None:
            rec["segmentation"] = seg
        elif not prediction and not categories:
            rec["segmentation"] = []
        if "area" in attrs:
            rec["area"] = attrs.pop("area")
        elif not prediction and not categories:
            rec["area"] = self._area(boxes, polygons, mask, size)
        box = boxes[0] if boxes else None
        if box is not None:
            rec["bbox"] = [box.x, box.y, box.width, box.height]
        elif isinstance(attrs.get("bbox"), list):  # a panoptic segment's own bbox
            rec["bbox"] = attrs.pop("bbox")
        elif not prediction and not categories:
            bbox = self._derived_bbox(polygons, mask, keypoints)
            if bbox is not None:
                rec["bbox"] = bbox
                self.report.approximated(
                    "box",
                    "derived",
                    reason="COCO needs a bbox: computed from the geometry",
                    example=where,
                )
        if "iscrowd" in attrs:
            rec["iscrowd"] = attrs.pop("iscrowd")
        elif not prediction and not categories:
            rec["iscrowd"] = 0
        if keypoints:
            kp = keypoints[0]
            self.seen_skeletons.setdefault(kp.label, kp)
            flat: list[Any] = []
            for p in kp.points:
                if p.x is None or p.y is None:
                    flat += (0, 0, 0)
                else:
                    flat += (p.x, p.y, int(p.visibility))
            rec["keypoints"] = flat
            if "num_keypoints" in attrs:
                rec["num_keypoints"] = attrs.pop("num_keypoints")
            elif not prediction:
                rec["num_keypoints"] = sum(p.visibility != Visibility.UNLABELLED for p in kp.points)
        if prediction:
            score = head.score
            if score is None:
                score = next((a.score for a in members if a.score is not None), None)
            if score is None:
                self.report.approximated(
                    head.kind, "score", reason="a result needs a score: wrote 1.0", example=where
                )
                score = 1.0
            rec["score"] = score
        for key, value in attrs.items():
            if key in _RESERVED:
                self.report.dropped(
                    head.kind,
                    key,
                    reason=f"attribute {key!r} is a COCO field name",
                    example=where,
                )
            else:
                rec[key] = value
        (self.preds if prediction else self.gt).append(rec)
        for a in members:
            if id(a) not in spare:
                self.report.kept(a.kind)
        for a in extra:
            self._group([_ungrouped(a)], item, image, size)

    def _area(
        self,
        boxes: list[Box],
        polygons: list[Polygon],
        mask: InstanceMask | None,
        size: tuple[int | None, int | None],
    ) -> float:
        if mask is not None:
            return float(rle_area(mask.rle))
        if polygons:
            h, w = size
            rings = [[c for point in p.points for c in point] for p in polygons]
            if h is not None and w is not None:
                return float(rle_area(polygons_to_rle(rings, h, w)))
            return float(sum(_shoelace(p.points) for p in polygons))
        if boxes:
            return float(boxes[0].width * boxes[0].height)
        return 0.0

    def _derived_bbox(
        self, polygons: list[Polygon], mask: InstanceMask | None, keypoints: list[Keypoints]
    ) -> list[float] | None:
        if polygons:
            pts = np.array([pt for p in polygons for pt in p.points], dtype=float)
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            return [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]
        if mask is not None:
            return rle_bbox(mask.rle)
        if keypoints:
            placed = [
                (p.x, p.y)
                for p in keypoints[0].points
                if p.x is not None and p.y is not None and p.visibility != Visibility.UNLABELLED
            ]
            if placed:
                xs, ys = zip(*placed, strict=True)
                return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        return None

    # ------------------------------------------------------------------ output

    def finish(self, dst: Path, header: Header) -> WriteSummary:
        self.image_ids.assign()
        self.ann_ids.assign()
        self.pred_ids.assign()
        self.category_ids.assign()
        content = self.content
        if content == "auto":
            content = "annotations" if self.gt or not self.preds else "predictions"
        if content == "annotations" and self.preds:
            self.report.dropped(
                "prediction",
                n=len(self.preds),
                reason="an instances file holds ground truth; write the predictions as a "
                "results file with -w content=predictions",
            )
        if content == "predictions" and self.gt:
            self.report.dropped(
                "annotation",
                n=len(self.gt),
                reason="a results file holds predictions; write ground truth with "
                "-w content=annotations",
            )
        for rec in self.gt:
            rec["image_id"] = rec["image_id"]["id"]
            rec["category_id"] = rec["category_id"]["id"]
        for rec in self.preds:
            rec["image_id"] = rec["image_id"]["id"]
            rec["category_id"] = rec["category_id"]["id"]
        if content == "annotations" and self.unsized:
            self.report.dropped(
                "item",
                "size",
                n=len(self.unsized),
                reason="image width/height unknown (not in the source, file not readable here)",
                example=f"item {self.unsized[0]!r}",
            )
        if content == "predictions":
            data = orjson.dumps(self.preds)
            self.summary.add("results", len(self.preds))
        else:
            data = orjson.dumps(self._instances(header))
            self.summary.add("annotations", len(self.gt))
        dst.write_bytes(data)
        self.summary.files = [dst.name]
        return self.summary

    def _instances(self, header: Header) -> dict[str, Any]:
        coco = header.extra.get("coco") if isinstance(header.extra.get("coco"), dict) else {}
        assert isinstance(coco, dict)
        annotations = list(self.gt)
        if self.captions:
            cap_ids = _Ids()
            cap_ids.used.update(r["id"] for r in annotations)
            for image, cap in self.captions:
                rec: dict[str, Any] = {}
                cap_ids.claim(cap.get("id"), rec)
                rec["image_id"] = image["id"]
                rec.update((k, v) for k, v in cap.items() if k not in ("id", "image_id"))
                annotations.append(rec)
            cap_ids.assign()
        zero_based = set(coco.get("zero_based_skeletons") or ())
        categories = []
        for name, rec in self.categories.items():
            skel = header.skeletons.get(name)
            if skel is None and name in self.seen_skeletons:
                kp = self.seen_skeletons[name]
                skel = Skeleton(names=list(kp.names), edges=list(kp.skeleton or []))
            if skel is not None:
                shift = 0 if name in zero_based else 1
                rec["keypoints"] = list(skel.names)
                rec["skeleton"] = [[a + shift, b + shift] for a, b in skel.edges]
            categories.append(rec)
        out: dict[str, Any] = {}
        out["info"] = coco.get("info", {"description": "written by nucleus-convert"})
        out["licenses"] = coco.get("licenses", [])
        out["images"] = self.images
        out["annotations"] = annotations
        out["categories"] = categories
        top = coco.get("top_level")
        if isinstance(top, dict):
            out.update((k, v) for k, v in top.items() if k not in out)
        return out


def _ungrouped(a: Annotation) -> Annotation:
    from dataclasses import replace

    return replace(a, group_id=None)


def _shoelace(points: list[tuple[float, float]]) -> float:
    pts = np.asarray(points, dtype=float)
    x, y = pts[:, 0], pts[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def write_coco(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as one COCO JSON file at ``dst``."""
    writer = _CocoWriter(options, report)
    writer._declare(dataset.header)
    for item in dataset.items:
        writer.write_item(item)
    report.dropped_scenes(dataset.scenes, reason="COCO has no scenes")
    return writer.finish(dst, dataset.header)
