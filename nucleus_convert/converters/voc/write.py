"""Writing a Pascal VOC tree the devkit reads: Annotations, ImageSets, Segmentation PNGs.

The exact inverse of :mod:`.read`:

* a box ``(x, y, width, height)`` becomes ``xmin = x + 1``, ``xmax = x + width`` (same for y):
  integer boxes come back as the same integers;
* boxes sharing a group become one ``object`` (the box whose id is the group id, else the first)
  and its ``part`` elements; ``pose``/``truncated``/``difficult`` default to
  ``Unspecified``/0/0; attributes naming an action the label declares go to ``actions``, the
  other scalars to CVAT's ``<attributes>`` block;
* an instance segmentation (id ``SegmentationObject``, or with grouped or repeated
  labels, or built from COCO instance masks) gives ``SegmentationObject`` (instance ``k`` is
  the ``k``-th object of the XML where the segment is grouped with a box) and the matching
  ``SegmentationClass``; a semantic one gives ``SegmentationClass`` alone. Both are palette
  PNGs with the devkit colour map; ``labelmap.txt`` is written when the labels are not VOC's;
* image categories under ``voc_classes`` and the ``voc_*`` list metadata give the ImageSets.

What VOC cannot carry (polygons, lines, keypoints, cuboids, predictions, other taxonomies) is
counted in the loss report; ``polygons_as_boxes`` writes a polygon-only object's bounding box
instead (reported as approximated).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from nucleus_convert.converters.voc.carries import (
    CARRIES,
    CATEGORY_ATTRIBUTES,
    HANDLED,
    count_categories,
    count_header,
)
from nucleus_convert.converters.voc.imagesets import LIST_KEYS, ImageSets
from nucleus_convert.converters.voc.labels import (
    ACTIONS_KEY,
    COLOR_KEY,
    VOC_ACTIONS,
    VOID_INDEX,
    LabelMap,
)
from nucleus_convert.converters.voc.mask_write import MaskWriter, Objects
from nucleus_convert.converters.voc.schema import (
    ALL_NEGATIVE_KEY,
    DEFAULT_DEPTH,
    TAXONOMY,
)
from nucleus_convert.converters.voc.xml_write import (
    XML_NAME,
    put,
    writable,
    write_object,
    xml_text_problem,
)
from nucleus_convert.errors import OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Box,
    Category,
    Dataset,
    Header,
    ImageCategory,
    ImageMedia,
    Item,
    MultiCategory,
    PointCloudMedia,
    Polygon,
    Segmentation,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import SafeNames
from nucleus_convert.toolkit.images import image_size, place_image, regular_local_file
from nucleus_convert.toolkit.instance_masks import instance_masks_for_nucleus
from nucleus_convert.toolkit.losses import FieldLedger
from nucleus_convert.toolkit.paths import confined

__all__ = ["write_voc"]

_ITEM_KEYS = ("folder", "source", "owner", "segmented", "depth", ALL_NEGATIVE_KEY)
_IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp")
_UNSAFE_STEM = re.compile(r"[\s/\\\x00]")
_MAX_STEM_BYTES = 200
"""Longer image ids are mapped to safe names: ``<id>.xml`` must fit a file name (255 bytes)."""
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_NOT_AN_IMAGE = "a VOC image cannot hold a point cloud: the item and its annotations are left out"
_PREDICTION = "VOC annotations hold ground truth; predictions are not written"
_NOT_FOUND = "image file not found here (not copied)"


def _labelmap_for(header: Header) -> LabelMap:
    """The header's VOC label map when it came from VOC, else VOC's plus the other labels."""
    voc = [c for c in header.categories if COLOR_KEY in c.attributes]
    labelmap = (LabelMap.from_categories(voc) if voc else None) or LabelMap.default()
    parts = {p for s in labelmap.labels for p in s.parts}
    for c in header.categories:
        if labelmap.get(c.name) is None and c.name not in parts:
            try:
                labelmap.add(c.name)
            except ValueError:  # more labels than palette indices: boxes need none
                break
    return labelmap


class _VocWriter:
    """Writes one item's XML, masks and image at a time; the lists and the label map in
    :meth:`finish`. Every path it creates is confined under ``dst``."""

    def __init__(
        self, dst: Path, header: Header, options: Mapping[str, Any], report: LossReport
    ) -> None:
        self.dst = dst
        self.header = header
        self.report = report
        self.ledger = FieldLedger(report, CARRIES)
        self.summary = WriteSummary()
        self.labelmap = _labelmap_for(header)
        self.polygons_as_boxes = bool(options.get("polygons_as_boxes"))
        self.copy_images = options.get("images") == "copy"
        self.names = SafeNames()
        self.stems: set[str] = set()
        self.image_names = SafeNames()
        self.imagesets = ImageSets(str(options.get("subset") or "default"))
        self.masks = MaskWriter(self.labelmap, report, self.summary, self._png)
        self.made: set[str] = set()
        self.category_by_name: dict[str, Category] = {}
        self.indexed = -1

    # ------------------------------------------------------------------ files

    def _dir(self, rel: str) -> Path:
        path = confined(self.dst, rel)
        if rel not in self.made:
            path.mkdir(parents=True, exist_ok=True)
            self.made.add(rel)
        return path

    def _file(self, folder: str, name: str, where: str) -> Path:
        """``folder/name`` under the destination (the folder made), confined."""
        self._dir(folder)
        return confined(self.dst, f"{folder}/{name}", record=where)

    def _png(self, folder: str, stem: str) -> Path:
        return self._file(folder, f"{stem}.png", f"image {stem!r}")

    # ------------------------------------------------------------------ items

    def write_item(self, item: Item) -> None:
        """Write the item's XML, masks, list lines and (``images=copy``) image; a point-cloud
        item is counted as dropped with its annotations and not written."""
        where = f"item {item.reference_id!r}"
        if isinstance(item.media, PointCloudMedia):
            self.ledger.drop(item, where, _NOT_AN_IMAGE)
            for ann in item.annotations:
                self.report.dropped(ann.kind, reason=_NOT_AN_IMAGE, example=where)
            return
        self.ledger.fields(item, where, handled=HANDLED["item"])
        stem = self._stem(item.reference_id)
        if stem != item.reference_id:
            self.report.approximated(
                "item",
                "reference_id",
                reason="VOC image ids are file stems: an image extension is removed and "
                "characters a list line or file name cannot hold are replaced",
                example=f"{item.reference_id!r} -> {stem!r}",
            )
        annotations = instance_masks_for_nucleus(
            item, "segmentation", self.report, why="VOC keeps one object PNG per image"
        )
        kept = self._ground_truth(annotations, where)
        objects = self._objects(kept, where)
        size = image_size(item.media)
        segmentations = [a for a in kept if isinstance(a, Segmentation)]
        segmented = self.masks.write(segmentations, size, stem, objects, where)
        classes = self._classes(kept, where)
        self._write_xml(item, stem, size, objects, segmented, where)
        self._write_lists(item, stem, objects, segmented, classes)
        if self.copy_images:
            self._copy_image(item, where)
        self.summary.add("images")

    def _ground_truth(self, annotations: list[Annotation], where: str) -> list[Annotation]:
        """The annotations VOC has a place for; predictions and other kinds are counted as
        dropped, and so is every field of the others that VOC cannot carry."""
        kept: list[Annotation] = []
        for ann in annotations:
            if ann.prediction:
                self.report.dropped(ann.kind, reason=_PREDICTION, example=where)
            elif self.ledger.take(ann, where):
                if self.polygons_as_boxes or not isinstance(ann, Polygon):
                    self.ledger.fields(ann, where, handled=HANDLED.get(ann.kind, ()))
                kept.append(ann)
        return kept

    def _stem(self, ref: str) -> str:
        """The reference id as the VOC image id (file stem and list entry) when it can be one,
        else a safe name (SafeNames) that no other item has."""
        base, dot, ext = ref.rpartition(".")
        if dot and base and ext.lower() in _IMAGE_EXTENSIONS:
            ref = base
        if (
            ref
            and not ref.startswith(".")
            and not _UNSAFE_STEM.search(ref)
            and len(ref.encode("utf-8", "surrogatepass")) <= _MAX_STEM_BYTES
            and ref not in self.stems
        ):
            self.stems.add(ref)
            return ref
        stem = self.names.name(ref, "")
        self.stems.add(stem)
        return stem

    def _objects(self, anns: list[Annotation], where: str) -> Objects:
        """The XML objects: one per group (or ungrouped box), its main box the one whose id is
        the group id, else the first; polygon-only groups are dropped or, with
        ``polygons_as_boxes``, written as their bounding box."""
        groups: dict[str, list[Annotation]] = {}
        singles: list[list[Annotation]] = []
        for ann in anns:
            if not isinstance(ann, Box | Polygon):
                continue
            if ann.group_id is None:
                singles.append([ann])
            else:
                groups.setdefault(ann.group_id, []).append(ann)
        objects: Objects = []
        for group, members in [*groups.items(), *((None, m) for m in singles)]:
            found = self._object_of(group, members, where)
            if found is not None:
                objects.append(found)
                self.summary.add("objects")
        return objects

    def _object_of(
        self, group: str | None, members: list[Annotation], where: str
    ) -> tuple[Box, list[Box]] | None:
        boxes = [m for m in members if isinstance(m, Box)]
        polygons = [m for m in members if isinstance(m, Polygon)]
        main = next((b for b in boxes if b.id is not None and b.id == group), None)
        if main is None and boxes:
            main = boxes[0]
        if main is None and polygons and self.polygons_as_boxes:
            main = _polygons_box(polygons, group)
            self.report.approximated(
                "polygon",
                n=len(polygons),
                reason="written as the bounding box of the object's polygons (polygons_as_boxes)",
                example=where,
            )
            for p in polygons[1:]:
                if p.attributes and p.attributes != polygons[0].attributes:
                    self.report.dropped(
                        "polygon",
                        "attributes",
                        reason="a polygon written as a box keeps the first polygon's attributes",
                        example=where,
                    )
        elif polygons:
            self.report.dropped(
                "polygon",
                n=len(polygons),
                reason="VOC detection XML has no polygons (-w polygons_as_boxes=true writes "
                "their bounding box)",
                example=where,
            )
        if main is None:
            return None
        return main, [b for b in boxes if b is not main]

    def _classes(self, anns: list[Annotation], where: str) -> dict[str, int]:
        """Classification values (1, or 0 when ``difficult``) of the ``voc_classes`` image
        categories; other taxonomies and attributes other than ``difficult`` are counted."""
        values: dict[str, int] = {}
        for ann in anns:
            if not isinstance(ann, ImageCategory | MultiCategory):
                continue
            if ann.taxonomy not in (TAXONOMY, None):
                self.report.dropped(
                    ann.kind,
                    reason=f"VOC classification lists hold taxonomy {TAXONOMY!r} only",
                    example=where,
                )
                continue
            if set(ann.attributes) - CATEGORY_ATTRIBUTES:
                self.report.dropped(
                    ann.kind,
                    "attributes",
                    reason=CARRIES.reason(ann.kind, "attributes"),
                    example=where,
                )
            labels = ann.labels if isinstance(ann, MultiCategory) else [ann.label]
            value = 0 if ann.attributes.get("difficult") else 1
            for label in labels:
                values[label] = value
        return values

    # ------------------------------------------------------------------ XML

    def _actions_for(self, label: str) -> set[str]:
        names = set(VOC_ACTIONS) if label == "person" else set()
        spec = self.labelmap.get(label)
        if spec is not None:
            names.update(spec.actions)
        categories = self.header.categories
        if len(categories) != self.indexed:  # a reader may add categories while streaming
            self.category_by_name = {c.name: c for c in categories}
            self.indexed = len(categories)
        category = self.category_by_name.get(label)
        if category is not None:  # ... and declare actions on them
            names.update(str(a) for a in category.attributes.get(ACTIONS_KEY) or [])
        return names

    def _write_xml(
        self,
        item: Item,
        stem: str,
        size: tuple[int, int] | None,
        objects: Objects,
        segmented: bool,
        where: str,
    ) -> None:
        md = item.metadata
        root = etree.Element("annotation")
        if "folder" in md:
            self._item_field(root, "folder", md["folder"], where)
        filename = self._filename(item, stem)
        problem = xml_text_problem(filename)
        if problem is not None:
            raise OutputError(f"{where}, field media.path: the file name {problem}")
        put(root, "filename", filename)
        for key in ("source", "owner"):
            if key in md:
                self._item_field(root, key, md[key], where)
        if size is not None:
            el = etree.SubElement(root, "size")
            put(el, "width", size[0])
            put(el, "height", size[1])
            put(el, "depth", md.get("depth", DEFAULT_DEPTH))
        else:
            self.report.dropped(
                "item",
                "media.size",
                reason="image size unknown (not in the source, image not readable here)",
                example=where,
            )
        if "segmented" in md or segmented:
            put(root, "segmented", md.get("segmented", int(segmented)))
        for key, value in md.items():
            if key not in _ITEM_KEYS and key not in LIST_KEYS:
                self._item_field(root, key, value, where)
        for main, parts in objects:
            spec = self.labelmap.get(main.label)
            for part in parts:
                if spec is not None and part.label not in spec.parts:
                    spec.parts.append(part.label)
            write_object(root, main, parts, self._actions_for(main.label), self.report, where)
        data = etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=False)
        self._file("Annotations", f"{stem}.xml", where).write_bytes(_DECLARATION + data)

    def _item_field(self, root: etree._Element, key: str, value: Any, where: str) -> None:
        if XML_NAME.fullmatch(key) and not key.lower().startswith("xml") and writable(value):
            put(root, key, value)
        else:
            self.report.dropped(
                "item",
                f"metadata.{key}",
                reason="not expressible as a VOC XML element",
                example=where,
            )

    def _filename(self, item: Item, stem: str) -> str:
        if isinstance(item.media, ImageMedia) and item.media.path:
            name = item.media.path.replace("\\", "/").rsplit("/", 1)[-1]
            if name:
                return name
        return f"{stem}.jpg"

    # ------------------------------------------------------------------ lists and images

    def _write_lists(
        self,
        item: Item,
        stem: str,
        objects: Objects,
        segmented: bool,
        classes: dict[str, int],
    ) -> None:
        wanted = {
            "Main": True,
            "Segmentation": segmented,
            "Layout": any(parts for _, parts in objects),
            "Action": any(
                not self._actions_for(box.label).isdisjoint(box.attributes) for box, _ in objects
            ),
        }
        self.imagesets.add_item(item.metadata, stem, wanted, classes)

    def _copy_image(self, item: Item, where: str) -> None:
        """Copy a local image file into ``JPEGImages`` under a safe name of its own."""
        media = item.media
        source = regular_local_file(media.path) if isinstance(media, ImageMedia) else None
        if source is None:
            self.report.dropped("item", "media", reason=_NOT_FOUND, example=where)
            return
        name = self.image_names.name(source.stem, source.suffix)
        problem = place_image(str(source), self._file("JPEGImages", name, where), "copy")
        if problem is None:
            self.summary.add("images copied")
        else:
            self.report.dropped("item", "media", reason=problem, example=where)

    def finish(self) -> None:
        """Write the lists and the label map (when the labels are not VOC's)."""
        extra = self.header.extra.get("voc")
        extra = extra if isinstance(extra, dict) else {}
        default = [s.name for s in self.labelmap.labels if s.index not in (0, VOID_INDEX)]
        self.imagesets.finish(extra, default, self.report)
        index_of = {s.name: s.index for s in self.labelmap.labels}
        count_categories(self.header, index_of, self.report)
        folders = self.imagesets.write(self.dst)
        if not self.labelmap.is_default():
            (self.dst / "labelmap.txt").write_text(self.labelmap.to_text(), encoding="utf-8")
            self.summary.files.append("labelmap.txt")
        self.summary.files.extend(sorted(self.made | folders))


def _polygons_box(polygons: list[Polygon], group: str | None) -> Box:
    xs = [x for p in polygons for x, _ in p.points]
    ys = [y for p in polygons for _, y in p.points]
    first = polygons[0]
    x0, y0 = math.floor(min(xs)), math.floor(min(ys))
    return Box(
        label=first.label,
        id=group,
        group_id=group,
        attributes=dict(first.attributes),
        x=x0,
        y=y0,
        width=math.ceil(max(xs)) - x0,
        height=math.ceil(max(ys)) - y0,
    )


def write_voc(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as a VOC tree at ``dst`` (which must not exist)."""
    dst.mkdir(parents=False)
    writer = _VocWriter(dst, dataset.header, options, report)
    for item in dataset.items:
        writer.write_item(item)
    report.dropped_scenes(dataset.scenes, reason="VOC has no scenes")
    count_header(dataset.header, report)
    writer.finish()
    return writer.summary
