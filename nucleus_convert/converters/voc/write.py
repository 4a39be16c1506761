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
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from lxml import etree

from nucleus_convert.converters.voc.labels import (
    ACTIONS_KEY,
    COLOR_KEY,
    VOC_ACTIONS,
    VOID_INDEX,
    LabelMap,
    colormap,
)
from nucleus_convert.converters.voc.masks import write_voc_png
from nucleus_convert.converters.voc.schema import (
    ALL_NEGATIVE_KEY,
    CLASS_MASK_ID,
    DEFAULT_DEPTH,
    LIST_FAMILIES,
    OBJECT_DEFAULTS,
    OBJECT_MASK_ID,
    TAXONOMY,
    family_key,
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
    Polygon,
    Segmentation,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import SafeNames, is_remote, local_image_size
from nucleus_convert.toolkit.instance_masks import instance_masks_for_nucleus

__all__ = ["write_voc"]

_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ITEM_KEYS = ("folder", "source", "owner", "segmented", "depth", ALL_NEGATIVE_KEY)
_IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp")
_UNSAFE_STEM = re.compile(r"[\s/\\\x00]")
_LIST_KEYS = tuple(family_key(f) for f in LIST_FAMILIES)
_STANDARD = ("pose", "truncated", "difficult", "occluded")
_INSTANCE_COLOURS = colormap()
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


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


def _coord(value: float) -> str:
    rounded = round(float(value), 9)
    if rounded.is_integer():
        return str(int(rounded))
    return repr(rounded)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and not math.isfinite(value):
        raise OutputError(f"{value} cannot be written to VOC XML")
    return str(value)


def _put(parent: etree._Element, tag: str, value: Any) -> None:
    """``<tag>value</tag>``; a dict nests, a list repeats the tag."""
    if isinstance(value, list):
        for v in value:
            _put(parent, tag, v)
        return
    el = etree.SubElement(parent, tag)
    if isinstance(value, dict):
        for k, v in value.items():
            _put(el, str(k), v)
    else:
        el.text = _text(value)


def _writable(value: Any) -> bool:
    """True when ``value`` can be spelled as XML elements (tags that are XML names)."""
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and _XML_NAME.fullmatch(k) and _writable(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return all(_writable(v) and not isinstance(v, list) for v in value)
    return value is None or isinstance(value, str | int | float)


class _VocWriter:
    def __init__(
        self, dst: Path, header: Header, options: Mapping[str, Any], report: LossReport
    ) -> None:
        self.dst = dst
        self.header = header
        self.report = report
        self.summary = WriteSummary()
        self.labelmap = _labelmap_for(header)
        self.subset = str(options.get("subset") or "default")
        self.polygons_as_boxes = bool(options.get("polygons_as_boxes"))
        self.copy_images = options.get("images") == "copy"
        self.names = SafeNames()
        self.stems: set[str] = set()
        self.image_names = SafeNames()
        self.lists: dict[str, list[str]] = {}
        self.class_rows: dict[str, list[tuple[str, dict[str, int]]]] = {}
        self.made: set[str] = set()
        self.category_by_name: dict[str, Category] = {}
        self.indexed = -1

    # ------------------------------------------------------------------ files

    def _dir(self, rel: str) -> Path:
        path = self.dst / rel
        if rel not in self.made:
            path.mkdir(parents=True, exist_ok=True)
            self.made.add(rel)
        return path

    def _list(self, family: str, name: str, line: str) -> None:
        self.lists.setdefault(f"ImageSets/{family}/{name}.txt", []).append(line)

    # ------------------------------------------------------------------ items

    def write_item(self, item: Item) -> None:
        where = f"item {item.reference_id!r}"
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
        kept: list[Annotation] = []
        for ann in annotations:
            if ann.prediction:
                self.report.dropped(
                    ann.kind,
                    reason="VOC annotations hold ground truth; predictions are not written",
                    example=where,
                )
            else:
                kept.append(ann)
        objects = self._objects(kept, where)
        size = _image_size(item)
        segmentations = [a for a in kept if isinstance(a, Segmentation)]
        segmented = self._write_masks(segmentations, size, stem, objects, where)
        classes = self._classes(kept, where)
        for ann in kept:
            if not isinstance(ann, Box | Polygon | Segmentation | ImageCategory | MultiCategory):
                self.report.dropped(
                    ann.kind, reason="Pascal VOC has no such annotation", example=where
                )
        self._write_xml(item, stem, size, objects, segmented, where)
        self._write_lists(item, stem, objects, segmented, classes)
        if self.copy_images:
            self._copy_image(item, where)
        self.summary.add("images")

    def _stem(self, ref: str) -> str:
        """The reference id as the VOC image id (file stem and list entry) when it can be one."""
        base, dot, ext = ref.rpartition(".")
        if dot and base and ext.lower() in _IMAGE_EXTENSIONS:
            ref = base
        if (
            ref
            and not ref.startswith(".")
            and not _UNSAFE_STEM.search(ref)
            and ref not in self.stems
        ):
            self.stems.add(ref)
            return ref
        stem = self.names.name(ref, "")
        self.stems.add(stem)
        return stem

    def _objects(self, anns: list[Annotation], where: str) -> list[tuple[Box, list[Box]]]:
        groups: dict[str, list[Annotation]] = {}
        singles: list[list[Annotation]] = []
        for ann in anns:
            if not isinstance(ann, Box | Polygon):
                continue
            if ann.group_id is None:
                singles.append([ann])
            else:
                groups.setdefault(ann.group_id, []).append(ann)
        objects: list[tuple[Box, list[Box]]] = []
        for group, members in [*((g, m) for g, m in groups.items()), *((None, m) for m in singles)]:
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
                    reason="written as the bounding box of the object's polygons "
                    "(polygons_as_boxes)",
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
                continue
            objects.append((main, [b for b in boxes if b is not main]))
            self.summary.add("objects")
        return objects

    def _classes(self, anns: list[Annotation], where: str) -> dict[str, int]:
        values: dict[str, int] = {}
        for ann in anns:
            if isinstance(ann, ImageCategory | MultiCategory):
                if ann.taxonomy not in (TAXONOMY, None):
                    self.report.dropped(
                        ann.kind,
                        reason=f"VOC classification lists hold taxonomy {TAXONOMY!r} only",
                        example=where,
                    )
                    continue
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
        objects: list[tuple[Box, list[Box]]],
        segmented: bool,
        where: str,
    ) -> None:
        md = item.metadata
        root = etree.Element("annotation")
        if "folder" in md:
            _put(root, "folder", md["folder"])
        _put(root, "filename", self._filename(item, stem))
        for key in ("source", "owner"):
            if key in md:
                self._item_field(root, key, md[key], where)
        if size is not None:
            el = etree.SubElement(root, "size")
            _put(el, "width", size[0])
            _put(el, "height", size[1])
            _put(el, "depth", md.get("depth", DEFAULT_DEPTH))
        else:
            self.report.dropped(
                "item",
                "size",
                reason="image size unknown (not in the source, image not readable here)",
                example=where,
            )
        if "segmented" in md or segmented:
            _put(root, "segmented", md.get("segmented", int(segmented)))
        for key, value in md.items():
            if key not in _ITEM_KEYS and key not in _LIST_KEYS:
                self._item_field(root, key, value, where)
        for main, parts in objects:
            self._object(root, main, parts, where)
        data = etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=False)
        (self._dir("Annotations") / f"{stem}.xml").write_bytes(_DECLARATION + data)

    def _item_field(self, root: etree._Element, key: str, value: Any, where: str) -> None:
        if _XML_NAME.fullmatch(key) and not key.lower().startswith("xml") and _writable(value):
            _put(root, key, value)
        else:
            self.report.dropped(
                "item",
                f"metadata.{key}",
                reason="not expressible as a VOC XML element",
                example=where,
            )

    def _object(self, root: etree._Element, box: Box, parts: list[Box], where: str) -> None:
        obj = etree.SubElement(root, "object")
        _put(obj, "name", box.label)
        attrs = dict(box.attributes)
        for key in _STANDARD:
            if key in attrs:
                _put(obj, key, attrs.pop(key))
            elif key in OBJECT_DEFAULTS:
                _put(obj, key, OBJECT_DEFAULTS[key])
        _bndbox(obj, box)
        spec = self.labelmap.get(box.label)
        for part in parts:
            if spec is not None and part.label not in spec.parts:
                spec.parts.append(part.label)
            el = etree.SubElement(obj, "part")
            _put(el, "name", part.label)
            _bndbox(el, part)
            for key, value in part.attributes.items():
                if _XML_NAME.fullmatch(key) and _writable(value):
                    _put(el, key, value)
                else:
                    self.report.dropped("box", f"part attribute {key}", example=where)
        actions = self._actions_for(box.label)
        chosen = [k for k in attrs if k in actions]
        if chosen:
            el = etree.SubElement(obj, "actions")
            for key in chosen:
                _put(el, key, attrs.pop(key))
        scalars = {k: v for k, v in attrs.items() if v is None or isinstance(v, str | int | float)}
        if scalars:
            el = etree.SubElement(obj, "attributes")
            for key, value in scalars.items():
                attribute = etree.SubElement(el, "attribute")
                _put(attribute, "name", key)
                _put(attribute, "value", "" if value is None else value)
        for key, value in attrs.items():
            if key in scalars:
                continue
            if _XML_NAME.fullmatch(key) and _writable(value):
                _put(obj, key, value)
            else:
                self.report.dropped("box", f"attribute {key}", example=where)

    def _filename(self, item: Item, stem: str) -> str:
        if isinstance(item.media, ImageMedia) and item.media.path:
            name = item.media.path.replace("\\", "/").rsplit("/", 1)[-1]
            if name:
                return name
        return f"{stem}.jpg"

    # ------------------------------------------------------------------ masks

    def _write_masks(
        self,
        segmentations: list[Segmentation],
        size: tuple[int, int] | None,
        stem: str,
        objects: list[tuple[Box, list[Box]]],
        where: str,
    ) -> bool:
        class_seg: Segmentation | None = None
        object_seg: Segmentation | None = None
        for seg in segmentations:
            if _is_instance(seg, self.labelmap):
                if object_seg is None:
                    object_seg = seg
                    continue
            elif class_seg is None:
                class_seg = seg
                continue
            self.report.dropped(
                "segmentation",
                reason="VOC keeps one class and one object mask per image",
                example=where,
            )
        if class_seg is None and object_seg is None:
            return False
        written = False
        if object_seg is not None:
            arr = self._load(object_seg, size, where)
            if arr is not None:
                lut_obj = self._instance_lut(object_seg, objects, where)
                self._save(lut_obj[arr], "SegmentationObject", stem, _INSTANCE_COLOURS)
                if class_seg is None:
                    self._save(self._class_lut(object_seg)[arr], "SegmentationClass", stem)
                written = True
        if class_seg is not None:
            arr = self._load(class_seg, size, where)
            if arr is not None:
                self._save(self._class_lut(class_seg)[arr], "SegmentationClass", stem)
                written = True
        for seg in (s for s in (class_seg, object_seg) if s is not None):
            if seg.attributes:
                self.report.dropped("segmentation", "attributes", example=where)
            if any(s.attributes for s in seg.segments):
                self.report.dropped(
                    "segmentation",
                    "segment attributes",
                    reason="VOC masks carry a class or an instance number per pixel only",
                    example=where,
                )
        return written

    def _load(
        self, seg: Segmentation, size: tuple[int, int] | None, where: str
    ) -> npt.NDArray[Any] | None:
        if not seg.mask.is_local():
            self.report.dropped(
                "segmentation", "mask", reason="mask pixels are not available here", example=where
            )
            return None
        arr = np.asarray(seg.mask.load())
        if size is not None and arr.shape != (size[1], size[0]):
            raise OutputError(
                f"{where}: segmentation mask is {arr.shape[1]}x{arr.shape[0]} but the image is "
                f"{size[0]}x{size[1]}"
            )
        if arr.size and int(arr.max()) > VOID_INDEX:
            raise OutputError(f"{where}: segmentation index {int(arr.max())} exceeds 255")
        return arr

    def _class_lut(self, seg: Segmentation) -> npt.NDArray[np.uint8]:
        lut = np.zeros(256, dtype=np.uint8)
        for s in seg.segments:
            spec = self.labelmap.get(s.label)
            if spec is None:
                try:
                    spec = self.labelmap.add(s.label)
                except ValueError as exc:
                    raise OutputError(f"segment {s.label!r}: {exc}") from None
            lut[s.index] = spec.index
        return lut

    def _instance_lut(
        self, seg: Segmentation, objects: list[tuple[Box, list[Box]]], where: str
    ) -> npt.NDArray[np.uint8]:
        lut = np.zeros(256, dtype=np.uint8)
        void = self.labelmap.void
        background = self.labelmap.at(0)
        instances = [
            s
            for s in seg.segments
            if not (void is not None and s.label == void.name)
            and not (background is not None and s.label == background.name)
        ]
        for s in seg.segments:
            if void is not None and s.label == void.name:
                lut[s.index] = VOID_INDEX
        if seg.id == OBJECT_MASK_ID:  # numbered by VOC already
            for s in instances:
                lut[s.index] = s.index
            return lut
        position = {
            box.group_id: k for k, (box, _) in enumerate(objects, 1) if box.group_id is not None
        }
        used: set[int] = set()
        pending = []
        for s in instances:
            k = position.get(s.group_id) if s.group_id is not None else None
            if k is not None and k not in used and k < VOID_INDEX:
                lut[s.index] = k
                used.add(k)
            else:
                pending.append(s)
        free = (k for k in range(len(objects) + 1, VOID_INDEX) if k not in used)
        for s in pending:
            k = next(free, None)
            if k is None:
                raise OutputError(f"{where}: more than 254 instances do not fit a VOC object PNG")
            lut[s.index] = k
        if pending:
            self.report.approximated(
                "segmentation",
                "instance order",
                n=len(pending),
                reason="instances with no box of their own are numbered after the XML objects",
                example=where,
            )
        return lut

    def _save(
        self,
        arr: npt.NDArray[Any],
        folder: str,
        stem: str,
        colours: npt.NDArray[np.uint8] | None = None,
    ) -> None:
        table = self.labelmap.colour_table() if colours is None else colours
        write_voc_png(arr, self._dir(folder) / f"{stem}.png", table)
        self.summary.add(f"{folder} masks")

    # ------------------------------------------------------------------ lists

    def _write_lists(
        self,
        item: Item,
        stem: str,
        objects: list[tuple[Box, list[Box]]],
        segmented: bool,
        classes: dict[str, int],
    ) -> None:
        md = item.metadata
        from_voc = any(key in md for key in _LIST_KEYS)
        for family in LIST_FAMILIES:
            entries = md.get(family_key(family))
            if not from_voc:
                wanted = {
                    "Main": True,
                    "Segmentation": segmented,
                    "Layout": any(parts for _, parts in objects),
                    "Action": any(
                        not self._actions_for(box.label).isdisjoint(box.attributes)
                        for box, _ in objects
                    ),
                }[family]
                entries = [self.subset] if wanted else []
            if not isinstance(entries, list):
                continue
            for entry in entries:
                name, _, rest = str(entry).partition(":")
                self._list(family, name, f"{stem} {rest}" if rest else stem)
        if classes or md.get(ALL_NEGATIVE_KEY):
            subsets = md.get(family_key("Main")) if from_voc else [self.subset]
            for subset in subsets if isinstance(subsets, list) else []:
                if ":" not in str(subset):
                    self.class_rows.setdefault(str(subset), []).append((stem, classes))

    def _copy_image(self, item: Item, where: str) -> None:
        media = item.media
        if (
            isinstance(media, ImageMedia)
            and not is_remote(media.path)
            and Path(media.path).is_file()
        ):
            name = self.image_names.name(Path(media.path).stem, Path(media.path).suffix)
            shutil.copyfile(media.path, self._dir("JPEGImages") / name)
            self.summary.add("images copied")
        else:
            self.report.dropped(
                "item", "image", reason="image file not found here (not copied)", example=where
            )

    def finish(self) -> None:
        extra = self.header.extra.get("voc")
        extra = extra if isinstance(extra, dict) else {}
        lists = extra.get("list_files")
        for family, names in lists.items() if isinstance(lists, dict) else ():
            if family in LIST_FAMILIES and isinstance(names, list):
                for name in names:  # lists the source had, even empty ones
                    self.lists.setdefault(f"ImageSets/{family}/{name}.txt", [])
        recorded = extra.get("main_class_files")
        default = [s.name for s in self.labelmap.labels if s.index not in (0, VOID_INDEX)]
        class_files: dict[str, list[str]] = {}
        if isinstance(recorded, dict) and recorded:
            # the source's class files, for the subsets it had them for
            class_files = {str(k): [str(x) for x in v] for k, v in recorded.items()}
        else:
            for subset in self.class_rows:
                class_files.setdefault(subset, list(default))
        written = {
            stem for k, rows in self.class_rows.items() if k in class_files for stem, _ in rows
        }
        unlisted = {
            stem: values
            for k, rows in self.class_rows.items()
            if k not in class_files
            for stem, values in rows
            if stem not in written and values
        }
        if unlisted:
            self.report.dropped(
                "category",
                n=sum(len(v) for v in unlisted.values()),
                reason="the item's subsets had no <class>_<subset>.txt files in the source",
                example=next(iter(unlisted)),
            )
        self.class_rows = {k: v for k, v in self.class_rows.items() if k in class_files}
        for subset, rows in self.class_rows.items():
            listed = class_files[subset]
            for _, values in rows:
                listed.extend(label for label in values if label not in listed)
        for subset, labels in class_files.items():
            rows = self.class_rows.get(subset, [])
            for label in labels:
                self.lists[f"ImageSets/Main/{label}_{subset}.txt"] = [
                    f"{stem} {values.get(label, -1):>2}" for stem, values in rows
                ]
        for rel, lines in self.lists.items():
            path = self.dst / rel
            self._dir(str(Path(rel).parent))
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        if not self.labelmap.is_default():
            (self.dst / "labelmap.txt").write_text(self.labelmap.to_text(), encoding="utf-8")
            self.summary.files.append("labelmap.txt")
        self.summary.files.extend(sorted(self.made | {str(Path(r).parent) for r in self.lists}))


def _image_size(item: Item) -> tuple[int, int] | None:
    """``(width, height)`` from the media, else from the local image's header."""
    media = item.media
    if not isinstance(media, ImageMedia):
        return None
    if media.width and media.height:
        return int(media.width), int(media.height)
    return local_image_size(media.path)


def _bndbox(parent: etree._Element, box: Box) -> None:
    values = (box.x, box.y, box.width, box.height)
    if not all(math.isfinite(v) for v in values):
        raise OutputError(f"box {box.id or box.label!r} has a non-finite coordinate")
    el = etree.SubElement(parent, "bndbox")
    _put(el, "xmin", _coord(box.x + 1))
    _put(el, "ymin", _coord(box.y + 1))
    _put(el, "xmax", _coord(box.x + box.width))
    _put(el, "ymax", _coord(box.y + box.height))


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


def _is_instance(seg: Segmentation, labelmap: LabelMap) -> bool:
    if seg.id in (OBJECT_MASK_ID, CLASS_MASK_ID):
        return seg.id == OBJECT_MASK_ID
    void = labelmap.void
    labels = [
        s.label
        for s in seg.segments
        if s.index not in (0, VOID_INDEX) and not (void is not None and s.label == void.name)
    ]
    return any(s.group_id is not None for s in seg.segments) or len(set(labels)) != len(labels)


def write_voc(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as a VOC tree at ``dst`` (which must not exist)."""
    dst.mkdir(parents=False)
    writer = _VocWriter(dst, dataset.header, options, report)
    for item in dataset.items:
        writer.write_item(item)
    report.dropped_scenes(dataset.scenes, reason="VOC has no scenes")
    writer.finish()
    return writer.summary
