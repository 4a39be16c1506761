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
writer option ``content=predictions``. COCO panoptic output (writer option ``task``) is
:mod:`.panoptic_write`'s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from nucleus_convert.converters.coco.carries import CARRIES, count_header
from nucleus_convert.converters.coco.records import (
    Group,
    Ids,
    Size,
    flat_keypoints,
    split_group,
    ungrouped,
)
from nucleus_convert.converters.coco.schema import CAPTIONS_KEY, KNOWN_ANNOTATION_KEYS
from nucleus_convert.errors import OutputError
from nucleus_convert.geometry.rle import UNCOMPRESSED_MARK, encode, to_uncompressed
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Dataset,
    Header,
    ImageMedia,
    InstanceMask,
    Item,
    Keypoints,
    PointCloudMedia,
    Segmentation,
    Skeleton,
    Visibility,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import local_image_size
from nucleus_convert.toolkit.losses import FieldLedger

__all__ = ["write_coco"]

_RESERVED = KNOWN_ANNOTATION_KEYS | {"coco_id", UNCOMPRESSED_MARK}
_IMAGE_FIELDS = frozenset({"id", "width", "height"})
_IMAGE_RESERVED = frozenset({"coco_image_id", "file_name", CAPTIONS_KEY}) | _IMAGE_FIELDS
_NOT_AN_IMAGE = "a COCO image cannot hold a point cloud: the item and its annotations are left out"
_NOT_IN_INSTANCES = (
    "an instances file holds ground truth; write the predictions as a results file with "
    "-w content=predictions"
)
_NOT_IN_RESULTS = "a results file holds predictions; write ground truth with -w content=annotations"


_MIXED_GROUP = (
    "a COCO record has one category: a group of several labels is written as one record per label"
)


class CocoWriter:
    """Collects COCO records item by item and writes the file in :meth:`finish`.

    Losses of ground truth and of predictions are counted apart (``sides``) until
    :meth:`finish` knows which of the two the file holds: the other side's annotations are
    then counted as dropped under their own kinds.
    """

    def __init__(self, options: Mapping[str, Any], report: LossReport) -> None:
        self.report = report
        self.ledger = FieldLedger(report, CARRIES)
        self.sides = {False: LossReport(), True: LossReport()}
        self.side_ledgers = {k: FieldLedger(v, CARRIES) for k, v in self.sides.items()}
        self.kinds: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}
        self.content = options.get("content") or "auto"
        self.summary = WriteSummary()
        self.images: list[dict[str, Any]] = []
        self.image_ids = Ids()
        self.gt: list[dict[str, Any]] = []
        self.preds: list[dict[str, Any]] = []
        self.ann_ids = Ids()
        self.pred_ids = Ids()
        self.categories: dict[str, dict[str, Any]] = {}
        self.category_ids = Ids()
        self.seen_skeletons: dict[str, Keypoints] = {}
        self.captions: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.unsized: list[str] = []

    # ------------------------------------------------------------------ categories

    def declare(self, header: Header, only: set[str] | None = None) -> None:
        """Claim the header's categories (``only`` those named, when given) before any item:
        their records come first, with their source ids where free."""
        for c in header.categories:
            if c.name in self.categories or (only is not None and c.name not in only):
                continue
            rec: dict[str, Any] = {}
            self.category_ids.claim(c.source_id, rec)
            rec["name"] = c.name
            if c.supercategory is not None:
                rec["supercategory"] = c.supercategory
            rec.update(c.attributes)
            self.categories[c.name] = rec

    def category(self, label: str) -> dict[str, Any]:
        """The category record of ``label``, made (with a new id) on first use."""
        rec = self.categories.get(label)
        if rec is None:
            rec = {}
            self.category_ids.claim(None, rec)
            rec["name"] = label
            rec["supercategory"] = ""
            self.categories[label] = rec
        return rec

    # ------------------------------------------------------------------ items

    def image_record(self, item: Item) -> dict[str, Any]:
        """The ``images`` record of an image item (its id claimed; an item without a known
        size is listed in ``unsized``); metadata keys that are COCO image fields are counted."""
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
        for key in _IMAGE_FIELDS.intersection(md):
            self.report.dropped(
                "item",
                f"metadata.{key}",
                reason=f"metadata key {key!r} is a COCO image field",
                example=f"item {item.reference_id!r}",
            )
        return rec

    def write_item(self, item: Item) -> None:
        """Add an image record and its annotations; a point-cloud item is counted as dropped
        (with its annotations, under their kinds) and not written."""
        where = f"item {item.reference_id!r}"
        if isinstance(item.media, PointCloudMedia):
            self.ledger.drop(item, where, _NOT_AN_IMAGE)
            for ann in item.annotations:
                self.report.dropped(ann.kind, reason=_NOT_AN_IMAGE, example=where)
            return
        self.ledger.fields(item, where)
        image = self.image_record(item)
        self.images.append(image)
        self.summary.add("images")
        for cap in item.metadata.get(CAPTIONS_KEY) or []:
            if isinstance(cap, dict):
                self.captions.append((image, cap))
        groups: dict[tuple[Any, bool], list[Annotation]] = {}
        singles: list[list[Annotation]] = []
        size: Size = (
            (item.media.height, item.media.width)
            if isinstance(item.media, ImageMedia)
            else (None, None)
        )
        if size[0] is None and "height" in image:
            size = (image["height"], image["width"])
        for ann in self._expand(item, size):
            if ann.group_id is None:
                singles.append([ann])
            else:
                groups.setdefault((ann.group_id, ann.prediction), []).append(ann)
        for members in [*groups.values(), *singles]:
            self._group(members, item, image, size)

    def _expand(self, item: Item, size: Size) -> list[Annotation]:
        """The item's annotations COCO has a place for, every segmentation split into one
        RLE mask per segment; the fields each cannot keep are counted on its side."""
        out: list[Annotation] = []
        where = f"item {item.reference_id!r}"
        for ann in item.annotations:
            if not self.ledger.take(ann, where):
                continue
            self.side_ledgers[ann.prediction].fields(ann, f"{where}, {ann.kind} {ann.id!r}")
            if isinstance(ann, Segmentation):
                out += self._segment_masks(ann, item, size)
            else:
                out.append(ann)
        return out

    def _segment_masks(self, ann: Segmentation, item: Item, size: Size) -> list[Annotation]:
        """One instance mask per segment of an index mask (a remote mask is counted as
        dropped; a mask whose size is not the image's is an error)."""
        out: list[Annotation] = []
        where = f"item {item.reference_id!r}, segmentation {ann.id!r}"
        if not ann.mask.is_local():
            self.report.dropped(
                "segmentation",
                reason="mask pixels are not available here (remote URL)",
                example=where,
            )
            return out
        pixels = ann.mask.load()
        if size[0] is not None and pixels.shape != size:
            raise OutputError(
                f"{where}: mask is {pixels.shape[0]}x{pixels.shape[1]} but the image is "
                f"{size[0]}x{size[1]}"
            )
        self.sides[ann.prediction].approximated(
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
        size: Size,
    ) -> None:
        """Write one COCO record for a group of annotations (see :func:`.records.split_group`);
        its spare members become records of their own. A COCO record has one category, so a
        group of several labels (CVAT groups a person with their helmet) is written as one
        record per label, in order of first appearance, each member's group counted as
        approximated."""
        prediction = members[0].prediction
        where = f"item {item.reference_id!r}, group {members[0].group_id!r}"
        labels = list(dict.fromkeys(a.label for a in members))
        if len(labels) > 1:
            for label in labels:
                part = [a for a in members if a.label == label]
                for a in part:
                    self.sides[prediction].approximated(
                        a.kind, "group_id", reason=_MIXED_GROUP, example=where
                    )
                self._group(part, item, image, size)
            return
        group = split_group(members)
        head = group.members[0]
        side = self.sides[prediction]
        rec: dict[str, Any] = {}
        attrs = dict(head.attributes)
        ids = self.pred_ids if prediction else self.ann_ids
        if not prediction or "coco_id" in attrs:
            ids.claim(attrs.pop("coco_id", None), rec)
        else:
            attrs.pop("coco_id", None)
        rec["image_id"] = image  # replaced by the image's final id in finish()
        rec["category_id"] = self.category(head.label)
        self._geometry(rec, attrs, group, size, where, side)
        if group.keypoints:
            self._keypoints(rec, attrs, group.keypoints[0], prediction)
        if prediction:
            rec["score"] = self._score(head, members, where, side)
        self._attributes(rec, attrs, group, where, side)
        (self.preds if prediction else self.gt).append(rec)
        for a in group.members:
            side.kept(a.kind)
            self.kinds[prediction][a.kind] += 1
        for a in group.spare:
            self._group([ungrouped(a)], item, image, size)

    def _geometry(
        self,
        rec: dict[str, Any],
        attrs: dict[str, Any],
        group: Group,
        size: Size,
        where: str,
        side: LossReport,
    ) -> None:
        """``segmentation``, ``area``, ``bbox`` and ``iscrowd``, in that order; a source's own
        ``area``, ``bbox`` (panoptic) and ``iscrowd`` attributes are used as they are."""
        full = group.full
        seg = group.segmentation()
        if seg is not None:
            rec["segmentation"] = seg
        elif full:
            rec["segmentation"] = []
        if "area" in attrs:
            rec["area"] = attrs.pop("area")
        elif full:
            rec["area"] = group.area(size)
        if group.boxes:
            box = group.boxes[0]
            rec["bbox"] = [box.x, box.y, box.width, box.height]
        elif isinstance(attrs.get("bbox"), list):  # a panoptic segment's own bbox
            rec["bbox"] = attrs.pop("bbox")
        elif full:
            bbox = group.derived_bbox()
            if bbox is not None:
                rec["bbox"] = bbox
                side.approximated(
                    "box",
                    reason="COCO needs a bbox: computed from the geometry",
                    example=where,
                )
        if "iscrowd" in attrs:
            rec["iscrowd"] = attrs.pop("iscrowd")
        elif full:
            rec["iscrowd"] = 0

    def _keypoints(
        self, rec: dict[str, Any], attrs: dict[str, Any], kp: Keypoints, prediction: bool
    ) -> None:
        self.seen_skeletons.setdefault(kp.label, kp)
        rec["keypoints"] = flat_keypoints(kp)
        if "num_keypoints" in attrs:
            rec["num_keypoints"] = attrs.pop("num_keypoints")
        elif not prediction:
            rec["num_keypoints"] = sum(p.visibility != Visibility.UNLABELLED for p in kp.points)

    def _score(
        self, head: Annotation, members: list[Annotation], where: str, side: LossReport
    ) -> float:
        """A result's score: the head's, else the first member's that has one, else 1.0
        (reported as approximated)."""
        score = head.score
        if score is None:
            score = next((a.score for a in members if a.score is not None), None)
        if score is None:
            side.approximated(
                head.kind, "score", reason="a result needs a score: wrote 1.0", example=where
            )
            score = 1.0
        return score

    def _attributes(
        self, rec: dict[str, Any], attrs: dict[str, Any], group: Group, where: str, side: LossReport
    ) -> None:
        """The head's remaining attributes as keys of the record; a key that is a COCO field
        name, and other members' attributes that differ from the head's, are counted."""
        head = group.members[0]
        for key, value in attrs.items():
            if key in _RESERVED:
                side.dropped(
                    head.kind,
                    f"attributes.{key}",
                    reason=f"attribute {key!r} is a COCO field name",
                    example=where,
                )
            else:
                rec[key] = value
        for a in group.members[1:]:
            if a.attributes and a.attributes != head.attributes:
                side.dropped(
                    a.kind,
                    "attributes",
                    reason="one COCO annotation holds one set of attributes: its first member's",
                    example=where,
                )

    # ------------------------------------------------------------------ output

    def finish(self, dst: Path, header: Header) -> WriteSummary:
        self.image_ids.assign()
        self.ann_ids.assign()
        self.pred_ids.assign()
        self.category_ids.assign()
        content = self.content
        if content == "auto":
            content = "annotations" if self.gt or not self.preds else "predictions"
        self._settle_sides(predictions=content == "predictions")
        for rec in self.gt:
            rec["image_id"] = rec["image_id"]["id"]
            rec["category_id"] = rec["category_id"]["id"]
        for rec in self.preds:
            rec["image_id"] = rec["image_id"]["id"]
            rec["category_id"] = rec["category_id"]["id"]
        if content == "annotations" and self.unsized:
            self.report.dropped(
                "item",
                "media.size",
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

    def _settle_sides(self, *, predictions: bool) -> None:
        """Merge the losses of the side the file holds into the report; count the other
        side's annotations as dropped under their kinds (and captions, which only an
        instances file holds)."""
        self.report.merge(self.sides[predictions])
        reason = _NOT_IN_RESULTS if predictions else _NOT_IN_INSTANCES
        for kind, n in sorted(self.kinds[not predictions].items()):
            self.report.dropped(kind, n=n, reason=reason)
        if predictions and self.captions:
            self.report.dropped(
                "item",
                f"metadata.{CAPTIONS_KEY}",
                n=len(self.captions),
                reason="a results file holds no captions",
                example=f"image {self.captions[0][0].get('file_name')!r}",
            )

    def _instances(self, header: Header) -> dict[str, Any]:
        coco = header.extra.get("coco") if isinstance(header.extra.get("coco"), dict) else {}
        assert isinstance(coco, dict)
        annotations = list(self.gt)
        if self.captions:
            cap_ids = Ids()
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


def write_coco(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as one COCO JSON file at ``dst``."""
    writer = CocoWriter(options, report)
    writer.declare(dataset.header)
    for item in dataset.items:
        writer.write_item(item)
    report.dropped_scenes(dataset.scenes, reason="COCO has no scenes")
    count_header(dataset.header, report)
    return writer.finish(dst, dataset.header)
