"""Reading a Pascal VOC tree (``VOCdevkit/VOC20xx`` layout, or a bare folder of XML files).

Conventions this module applies (VOC devkit documentation):

* Box coordinates are 1-based inclusive pixel indices: pixel ``xmin`` is the first column
  covered and ``xmax`` the last. In the model's continuous coordinates the box starts at the
  left edge of pixel ``xmin``, so ``x = xmin - 1`` and ``width = xmax - xmin + 1`` (same for y).
  Fractional coordinates (CVAT writes ``135.0``) follow the same formula.
* An item's reference id is the file stem the ImageSets lists use (``2007_000027``).
* ``object`` → a box with id ``k`` (its 1-based position in the file) and group ``k``;
  ``pose``, ``truncated``, ``difficult`` and ``occluded`` are attributes with their types (the
  devkit's defaults ``Unspecified``/0/0 when absent); ``actions`` children and CVAT's
  ``attributes`` are flattened into attributes; any other child element is an attribute too.
  ``part`` elements → boxes ``k.p`` in the object's group.
* ``SegmentationObject`` instance ``k`` is object ``k`` of the XML. When the class and object
  PNGs agree (every instance has one class, background is background, void is void) the item
  gets one instance segmentation: the object PNG as index mask, one segment per instance named
  by its class and grouped with its object (when the names agree), plus ``background`` (0) and
  the void label (255). Otherwise (or with only one PNG) each PNG is its own segmentation.
  The segmentation's id says which PNG it is (``SegmentationObject`` or ``SegmentationClass``),
  which survives Nucleus (its ``annotation_id``).
* ``ImageSets/Main/<class>_<subset>.txt``: 1 (present) and 0 (difficult) become image
  categories under the taxonomy ``voc_classes`` with attribute ``difficult``; an item listed with
  -1 for every class gets metadata ``voc_all_negative``. Membership in every other list is item
  metadata ``voc_main``/``voc_segmentation``/``voc_layout``/``voc_action``: a list of the list
  names (``"train"``), with ``":rest"`` appended when the line carries more than the id (the
  object index of the Layout and Action lists).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from lxml import etree

from nucleus_convert.converters.voc.labels import (
    ACTIONS_KEY,
    COLOR_KEY,
    DEFAULT_VOID_LABEL,
    LabelMap,
    instance_colours,
    parse_labelmap,
)
from nucleus_convert.converters.voc.masks import read_voc_png
from nucleus_convert.converters.voc.schema import (
    ALL_NEGATIVE_KEY,
    DEFAULT_DEPTH,
    IMAGE_EXTENSIONS,
    LIST_FAMILIES,
    OBJECT_DEFAULTS,
    TAXONOMY,
    family_key,
)
from nucleus_convert.converters.voc.seg_read import class_segmentation, object_segmentations
from nucleus_convert.errors import InputError
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
    Segmentation,
    Taxonomy,
    partition_bounds,
)
from nucleus_convert.toolkit.files import join_location, local_image_size
from nucleus_convert.toolkit.limits import INT_MAX, INT_MIN, file_name_problem
from nucleus_convert.toolkit.on_error import OnError
from nucleus_convert.toolkit.safe_xml import child_text, parse_xml

__all__ = ["find_voc_root", "is_voc_root", "read_voc"]

_TREE_DIRS = ("Annotations", "ImageSets", "SegmentationClass", "SegmentationObject")
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+")


def is_voc_root(path: Path) -> bool:
    """A folder holding at least one of the VOC tree's annotation folders."""
    return path.is_dir() and any((path / d).is_dir() for d in _TREE_DIRS)


def find_voc_root(src: Path) -> tuple[Path, list[Path]]:
    """The tree's root and its annotation XML files.

    ``src`` may be the ``VOC20xx`` folder, a ``VOCdevkit`` holding exactly one such folder, a
    bare folder of XML files or a single XML file.
    """
    if src.is_file():
        if src.suffix.lower() != ".xml":
            raise InputError("not a VOC tree, folder of XML files or XML file", path=src)
        return src.parent, [src]
    if not src.is_dir():
        raise InputError("no such file or directory", path=src)
    if not is_voc_root(src):
        trees = sorted(d for d in src.iterdir() if is_voc_root(d))
        if len(trees) > 1:
            names = ", ".join(d.name for d in trees)
            raise InputError(f"holds several VOC trees ({names}); point at one of them", path=src)
        if trees:
            src = trees[0]
        else:
            xmls = sorted(p for p in src.glob("*.xml") if p.is_file())
            if not xmls:
                raise InputError(
                    "neither a VOC tree (Annotations/, ImageSets/, Segmentation*/) nor a "
                    "folder of XML files",
                    path=src,
                )
            return src, xmls
    annotations = src / "Annotations"
    xmls = (
        sorted(p for p in annotations.glob("*.xml") if p.is_file()) if annotations.is_dir() else []
    )
    return src, xmls


def scalar(text: str | None) -> Any:
    """An XML text as the value it spells: int, float or string (``None`` → empty string)."""
    value = (text or "").strip()
    if _INT.fullmatch(value):
        if len(value) > 21:  # cannot fit in 64 bits (what orjson writes): keep the text
            return value
        whole = int(value)
        return whole if INT_MIN <= whole <= INT_MAX else value
    if _FLOAT.fullmatch(value):
        number = float(value)
        if math.isfinite(number):
            return number
    return value


def element_value(element: etree._Element) -> Any:
    """A leaf as :func:`scalar`; an element with children as a dict (repeated tags → list)."""
    if len(element) == 0:
        return scalar(element.text)
    out: dict[str, Any] = {}
    for child in element:
        tag = str(child.tag)
        value = element_value(child)
        if tag in out:
            prev = out[tag]
            out[tag] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[tag] = value
    return out


class VocReader:
    """Reads one VOC tree; :meth:`dataset` streams its items.

    Memory bound: the index (the file list and the ImageSets memberships) and the item being
    streamed (its XML and masks are read as it streams out); held by
    ``tests/test_bounded_memory.py``."""

    def __init__(self, src: Path, options: Mapping[str, Any]) -> None:
        self.src = src
        self.image_root = str(options.get("image_root") or "")
        void_label = str(options.get("void_label") or DEFAULT_VOID_LABEL)
        self.max_pixels: int | None = options.get("max_pixels")
        self.root, xml_files = find_voc_root(src)
        self.xml_files = {p.stem: p for p in xml_files}
        labelmap_path = self.root / "labelmap.txt"
        self.labelmap = (
            parse_labelmap(labelmap_path, void_label)
            if labelmap_path.is_file()
            else LabelMap.default(void_label)
        )
        self.categories = self.labelmap.categories()
        self.category_by_name = {c.name: c for c in self.categories}
        self.instance_lookup = instance_colours()
        self.class_lookup = self.labelmap.colour_lookup()
        self.order: dict[str, None] = {}
        self.lists: dict[str, dict[str, list[str]]] = {}
        self.class_values: dict[str, dict[str, tuple[int, str]]] = {}
        self.class_files: dict[str, list[str]] = {}
        self.list_files: dict[str, list[str]] = {}
        self._read_imagesets()
        for stem in self.xml_files:
            self.order.setdefault(stem, None)
        for folder in ("SegmentationClass", "SegmentationObject"):
            d = self.root / folder
            if d.is_dir():
                for p in sorted(d.glob("*.png")):
                    self.order.setdefault(p.stem, None)
        images = self.root / "JPEGImages"
        self.images: dict[str, str] = {}
        if images.is_dir():
            for p in sorted(images.iterdir()):
                if p.suffix in IMAGE_EXTENSIONS and p.is_file():
                    self.images.setdefault(p.stem, p.name)
                    self.order.setdefault(p.stem, None)
        self.losses = LossReport()
        self.on_error = OnError.from_options(options, self.losses)

    # ------------------------------------------------------------------ ImageSets

    def _read_imagesets(self) -> None:
        sets = self.root / "ImageSets"
        if not sets.is_dir():
            return
        files = {f: sorted((sets / f).glob("*.txt")) for f in LIST_FAMILIES}
        subsets = {p.stem for paths in files.values() for p in paths if "_" not in p.stem}
        labels = set(self.labelmap.names())
        for family, paths in files.items():
            for path in paths:
                stem = path.stem
                prefix, _, suffix = stem.rpartition("_")
                if family == "Main" and prefix and (suffix in subsets or prefix in labels):
                    self._read_class_file(path, prefix, suffix)
                else:
                    self._read_list(path, family)

    def _lines(self, path: Path) -> Iterator[tuple[int, list[str]]]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read list: {exc}", path=path) from None
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if line and not line.startswith("#"):
                tokens = line.split()
                # the id names <id>.xml and <id>.png files: their names must fit
                problem = file_name_problem(tokens[0] + ".png")
                if problem is not None:
                    raise InputError(
                        f"image id {tokens[0][:40]!r}... cannot name a file: {problem}",
                        path=path,
                        line=lineno,
                        field="image id",
                    )
                yield lineno, tokens

    def _read_list(self, path: Path, family: str) -> None:
        self.list_files.setdefault(family, []).append(path.stem)
        key = family_key(family)
        for _, tokens in self._lines(path):
            ref = tokens[0]
            self.order.setdefault(ref, None)
            entry = path.stem if len(tokens) == 1 else f"{path.stem}:{' '.join(tokens[1:])}"
            entries = self.lists.setdefault(ref, {}).setdefault(key, [])
            if entry not in entries:
                entries.append(entry)

    def _read_class_file(self, path: Path, label: str, subset: str) -> None:
        self.class_files.setdefault(subset, []).append(label)
        main = family_key("Main")
        for lineno, tokens in self._lines(path):
            if len(tokens) != 2 or tokens[1] not in ("1", "-1", "0"):
                raise InputError(
                    f"expected '<image id> <1|-1|0>', got {' '.join(tokens)!r}",
                    path=path,
                    line=lineno,
                )
            ref, value = tokens[0], int(tokens[1])
            self.order.setdefault(ref, None)
            entries = self.lists.setdefault(ref, {}).setdefault(main, [])
            if subset not in entries:
                entries.append(subset)
            values = self.class_values.setdefault(ref, {})
            prev = values.get(label)
            if prev is not None and prev[0] != value:
                raise InputError(
                    f"image {ref!r} is {value} for {label!r} here but {prev[0]} in {prev[1]}",
                    path=path,
                    line=lineno,
                )
            values[label] = (value, path.name)

    # ------------------------------------------------------------------ items

    def dataset(self) -> Dataset:
        header = Header(
            categories=self.categories,
            source={"format": "voc", "path": str(self.src)},
        )
        if self.class_files:
            labels: list[str] = []
            for subset_labels in self.class_files.values():
                labels.extend(lb for lb in subset_labels if lb not in labels)
            header.taxonomies[TAXONOMY] = Taxonomy(name=TAXONOMY, labels=labels)
        if self.class_files or self.list_files:
            header.extra["voc"] = {
                "main_class_files": dict(self.class_files),
                "list_files": dict(self.list_files),
            }
        dataset = Dataset(header=header, items=self._items(list(self.order)))
        dataset.losses = self.losses
        dataset.partition = self._partition
        dataset.length = len(self.order)
        return dataset

    def _partition(self, k: int, n: int) -> Iterator[Item]:
        """The images of the ``k``-th of ``n`` slices of the image order."""
        refs = list(self.order)
        start, stop = partition_bounds(len(refs), k, n)
        return self._items(refs[start:stop])

    def _items(self, refs: list[str]) -> Iterator[Item]:
        for ref in refs:
            try:
                yield self._item(ref)
            except InputError as err:
                self.on_error.handle(err, "item")

    def _item(self, ref: str) -> Item:
        metadata: dict[str, Any] = {}
        annotations: list[Annotation] = []
        filename: str | None = None
        size: tuple[int, int] | None = None
        objects: list[Box] = []
        xml = self.xml_files.get(ref)
        if xml is not None:
            filename, size = self._read_xml(xml, metadata, objects)
            annotations.extend(objects)
        seg, seg_size = self._segmentation(ref, size, objects)
        annotations.extend(seg)
        for key, entries in self.lists.get(ref, {}).items():
            metadata[key] = entries
        values = self.class_values.get(ref)
        if values:
            cats = [
                ImageCategory(label=label, taxonomy=TAXONOMY, attributes={"difficult": int(v == 0)})
                for label, (v, _) in values.items()
                if v in (0, 1)
            ]
            if not cats:
                metadata[ALL_NEGATIVE_KEY] = 1
            annotations.extend(cats)
        if filename is None:
            filename = self.images.get(ref, f"{ref}.jpg")
        location = join_location(self.image_root or str(self.root / "JPEGImages"), filename)
        if size is None:
            size = seg_size or self._image_size(ref)
        width, height = size if size is not None else (None, None)
        return Item(
            reference_id=ref,
            media=ImageMedia(path=location, width=width, height=height),
            metadata=metadata,
            annotations=annotations,
        )

    def _image_size(self, ref: str) -> tuple[int, int] | None:
        name = self.images.get(ref)
        return None if name is None else local_image_size(str(self.root / "JPEGImages" / name))

    # ------------------------------------------------------------------ XML

    def _read_xml(
        self, path: Path, metadata: dict[str, Any], objects: list[Box]
    ) -> tuple[str | None, tuple[int, int] | None]:
        root = parse_xml(path)
        if root.tag != "annotation":
            raise InputError(
                f"root element is <{root.tag!s}>, not <annotation>", path=path, line=root.sourceline
            )
        filename: str | None = None
        size: tuple[int, int] | None = None
        k = 0
        for child in root:
            tag = str(child.tag)
            if tag == "object":
                k += 1
                objects.extend(self._object(child, k, path))
            elif tag == "filename":
                filename = (child.text or "").strip() or None
            elif tag == "size":
                size = self._size(child, path, metadata)
            elif tag == "folder":
                metadata["folder"] = (child.text or "").strip()
            else:
                metadata[tag] = element_value(child)
        return filename, size

    def _size(
        self, element: etree._Element, path: Path, metadata: dict[str, Any]
    ) -> tuple[int, int]:
        dims = []
        for key in ("width", "height"):
            value = scalar(child_text(element, key))
            if not isinstance(value, int) or value <= 0:
                raise InputError(
                    f"<size><{key}> must be a positive integer, got {value!r}",
                    path=path,
                    line=element.sourceline,
                )
            dims.append(value)
        for child in element:
            if child.tag not in ("width", "height"):
                value = element_value(child)
                if child.tag != "depth" or value != DEFAULT_DEPTH:  # the devkit's default
                    metadata[str(child.tag)] = value
        return dims[0], dims[1]

    def _object(self, element: etree._Element, k: int, path: Path) -> list[Box]:
        record = f"object {k}"
        name = child_text(element, "name")
        if not name:
            raise InputError(f"{record} has no <name>", path=path, line=element.sourceline)
        record = f"object {k} ({name!r})"
        x, y, w, h = _bndbox(element, path, record)
        attrs: dict[str, Any] = dict(OBJECT_DEFAULTS)
        parts: list[etree._Element] = []
        for child in element:
            tag = str(child.tag)
            if tag in ("name", "bndbox"):
                continue
            if tag == "part":
                parts.append(child)
            elif tag == "pose":
                attrs["pose"] = (child.text or "").strip()
            elif tag == "actions":
                for action in child:
                    attrs[str(action.tag)] = scalar(action.text)
                    self._declare_action(name, str(action.tag))
            elif tag == "attributes":
                attrs.update(_cvat_attributes(child, path, record))
            else:
                attrs[tag] = element_value(child)
        group = str(k)
        boxes = [
            Box(label=name, id=group, group_id=group, attributes=attrs, x=x, y=y, width=w, height=h)
        ]
        self._declare_label(name)
        for p, part in enumerate(parts, 1):
            part_name = child_text(part, "name")
            part_record = f"{record}, part {p}"
            if not part_name:
                raise InputError(f"{part_record} has no <name>", path=path, line=part.sourceline)
            px, py, pw, ph = _bndbox(part, path, f"{part_record} ({part_name!r})")
            part_attrs = {
                str(c.tag): element_value(c) for c in part if c.tag not in ("name", "bndbox")
            }
            boxes.append(
                Box(
                    label=part_name,
                    id=f"{k}.{p}",
                    group_id=group,
                    attributes=part_attrs,
                    x=px,
                    y=py,
                    width=pw,
                    height=ph,
                )
            )
        return boxes

    def _declare_label(self, name: str) -> None:
        """A class the label map does not list joins it (and the header) with a new index."""
        if name in self.category_by_name:
            return
        try:
            spec = self.labelmap.add(name)
        except ValueError:  # no palette index left: a box label needs none
            category = Category(name=name)
        else:
            category = Category(
                name=name, source_id=spec.index, attributes={COLOR_KEY: list(spec.color)}
            )
        self.categories.append(category)
        self.category_by_name[name] = category

    def _declare_action(self, label: str, action: str) -> None:
        self._declare_label(label)
        actions = self.category_by_name[label].attributes.setdefault(ACTIONS_KEY, [])
        if action not in actions:
            actions.append(action)

    # ------------------------------------------------------------------ masks

    def _segmentation(
        self, ref: str, size: tuple[int, int] | None, objects: list[Box]
    ) -> tuple[list[Segmentation], tuple[int, int] | None]:
        cls_path = self.root / "SegmentationClass" / f"{ref}.png"
        obj_path = self.root / "SegmentationObject" / f"{ref}.png"
        cls = self._mask(cls_path, self.class_lookup, size) if cls_path.is_file() else None
        if cls is not None:
            size = (cls.shape[1], cls.shape[0])
            for value in np.unique(cls).tolist():
                if self.labelmap.at(value) is None:
                    ys, xs = np.nonzero(cls == value)
                    raise InputError(
                        f"palette index {value} (first at x={int(xs[0])}, y={int(ys[0])}) has no "
                        f"label; the label map has {_ranges(self.labelmap)}",
                        path=cls_path,
                    )
        obj = self._mask(obj_path, self.instance_lookup, size) if obj_path.is_file() else None
        if obj is not None:
            size = (obj.shape[1], obj.shape[0])
        if obj is None:
            if cls is None:
                return [], size
            return [class_segmentation(cls, self.labelmap)], size
        boxes = [b for b in objects if b.id is not None and "." not in b.id]
        return object_segmentations(obj, cls, boxes, obj_path, self.labelmap), size

    def _mask(
        self,
        path: Path,
        lookup: Mapping[tuple[int, int, int], int],
        size: tuple[int, int] | None,
    ) -> npt.NDArray[np.uint8]:
        # ``size`` is the XML's <size>, or the other mask's; checked from the PNG header
        return read_voc_png(path, lookup, max_pixels=self.max_pixels, size=size)


def _bndbox(element: etree._Element, path: Path, record: str) -> tuple[float, float, float, float]:
    """``x, y, width, height`` in continuous pixels from a 1-based inclusive ``bndbox``."""
    bndbox = element.find("bndbox")
    if bndbox is None:
        raise InputError(f"{record} has no <bndbox>", path=path, line=element.sourceline)
    values: dict[str, float] = {}
    for key in ("xmin", "ymin", "xmax", "ymax"):
        child = bndbox.find(key)
        if child is None:
            raise InputError(
                f"{record}: <bndbox> has no <{key}>", path=path, line=bndbox.sourceline
            )
        text = (child.text or "").strip()
        value = float(text) if _NUMBER.fullmatch(text) else math.nan
        if not math.isfinite(value):
            raise InputError(
                f"{record}: <{key}> is {text!r}, not a number", path=path, line=child.sourceline
            )
        values[key] = value
    for lo, hi in (("xmin", "xmax"), ("ymin", "ymax")):
        if values[hi] < values[lo]:
            raise InputError(
                f"{record}: {hi} {_num(values[hi])} is less than {lo} {_num(values[lo])}",
                path=path,
                line=bndbox.sourceline,
            )
    box = (
        values["xmin"] - 1,
        values["ymin"] - 1,
        values["xmax"] - values["xmin"] + 1,
        values["ymax"] - values["ymin"] + 1,
    )
    if not all(math.isfinite(v) for v in box):
        raise InputError(
            f"{record}: the box is too large to represent", path=path, line=bndbox.sourceline
        )
    return box


def _cvat_attributes(element: etree._Element, path: Path, record: str) -> dict[str, Any]:
    """CVAT's ``<attributes><attribute><name/><value/></attribute>...`` as a flat dict."""
    out: dict[str, Any] = {}
    for attribute in element:
        name = child_text(attribute, "name")
        if attribute.tag != "attribute" or not name:
            raise InputError(
                f"{record}: <attributes> holds <{attribute.tag!s}> without a <name>; expected "
                "<attribute><name>..</name><value>..</value></attribute>",
                path=path,
                line=attribute.sourceline,
            )
        out[name] = scalar(child_text(attribute, "value"))
    return out


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _ranges(labelmap: LabelMap) -> str:
    indices = sorted(s.index for s in labelmap.labels)
    return "indices " + ", ".join(str(i) for i in indices)


def read_voc(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a VOC tree, a bare folder of VOC XML files or one XML file."""
    return VocReader(src, options).dataset()
