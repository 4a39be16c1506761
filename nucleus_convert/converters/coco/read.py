"""Reading COCO: instances, person keypoints, labels, captions, panoptic and results files.

Conventions (COCO's own, which are the model's): boxes are ``[x, y, width, height]`` in
continuous pixels from the top-left corner; polygons are flat ``[x1, y1, x2, y2, ...]`` rings;
RLE masks run down the columns first; keypoints are ``[x, y, v]`` triplets with ``v`` = 0
(unlabelled), 1 (labelled, hidden), 2 (visible); category skeletons are 1-based.

One COCO annotation becomes several model annotations that share ``group_id`` (the COCO id as
a string): its box, one polygon per ring of its ``segmentation`` (or one instance mask for an
RLE), and its keypoints. Every member carries the same ``attributes``: ``coco_id``, ``area``,
``iscrowd``, ``num_keypoints`` where the source had them, and every key COCO does not define
(CVAT and Roboflow add their own), so that the writer can put the record back together.
An annotation with only a ``category_id`` (datumaro's "labels" task) is an image category;
captions are kept in the item metadata key ``coco_captions``.

Results files (a bare list of detections with ``score``) become predictions; their image ids
resolve through an instances file (reader option ``images``) or become reference ids as they are.

Streaming: the file is parsed and its header, images and image references checked when the
dataset is read; the annotations of each image become model objects as that item streams out,
so an error in one of them is raised while the items are consumed (a writer then leaves
nothing behind).

Memory bound: the parse of the file (typed records on the fast path, smaller than orjson's
dicts; orjson's dicts otherwise), the items of the images without their annotations, and the
model objects of the item being streamed; each image's records are dropped as it streams out.
Held by ``tests/test_bounded_memory.py`` (the peak while streaming stays within the peak of
``orjson.loads`` of the same file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

from nucleus_convert.converters.coco.categories import read_categories
from nucleus_convert.converters.coco.keypoints import read_keypoints
from nucleus_convert.converters.coco.panoptic import panoptic_ids, panoptic_index
from nucleus_convert.converters.coco.schema import CAPTIONS_KEY, KNOWN_ANNOTATION_KEYS, is_coco_id
from nucleus_convert.converters.coco.typed import (
    TypedAnnotation,
    as_dict,
    decode_typed,
    typed_annotation,
)
from nucleus_convert.errors import InputError, brief
from nucleus_convert.geometry.rle import check_rle
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Box,
    Category,
    Dataset,
    Header,
    ImageCategory,
    ImageMedia,
    InstanceMask,
    Item,
    Keypoints,
    MaskRef,
    Polygon,
    Segmentation,
    Skeleton,
    Visibility,
    partition_bounds,
)
from nucleus_convert.toolkit.files import join_location, load_json, parse_json, read_file_bytes
from nucleus_convert.toolkit.limits import json_value_problem
from nucleus_convert.toolkit.on_error import OnError, SkipRecord

__all__ = ["read_coco"]

_COPIED_ATTRIBUTES = ("area", "iscrowd", "num_keypoints")
_IMAGE_KEYS = frozenset({"id", "file_name", "width", "height"})
_TOP_KEYS = frozenset({"images", "annotations", "categories", "info", "licenses"})
_PLAIN_NUMBERS = frozenset({int, float})  # JSON numbers as orjson parses them (not bool)
_VIS = (Visibility.UNLABELLED, Visibility.HIDDEN, Visibility.VISIBLE)
_CONTAINERS = (list, dict)
_MAX_SEGMENT_ID = 1 << 24  # a panoptic PNG codes a segment id as R + 256 G + 65536 B


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


class CocoReader:
    """Reads one COCO file into a :class:`Dataset`; see the module docstring for the mapping."""

    def __init__(self, path: Path, options: Mapping[str, Any]) -> None:
        self.path = path
        self.ref_mode = options.get("reference_id") or "file_name"
        if self.ref_mode not in ("file_name", "id"):
            raise InputError(
                f"reader option reference_id must be 'file_name' or 'id', got {self.ref_mode!r}"
            )
        self.image_root = options.get("image_root") or ""
        self.images_file = options.get("images") or None
        self.panoptic_root = options.get("panoptic_root") or None
        self.max_pixels: int | None = options.get("max_pixels")
        self.losses = LossReport()
        self.on_error = OnError.from_options(options, self.losses)
        self.items: dict[Any, Item] = {}
        self.sizes: dict[Any, tuple[int | None, int | None]] = {}
        self.labels: dict[Any, str] = {}
        self.skeletons: dict[Any, Skeleton] = {}
        self.header = Header(source={"format": "coco", "path": str(path)})
        self.coco_extra: dict[str, Any] = {}
        self.panoptic: dict[Any, dict[str, Any]] = {}
        self.results = False
        self._later: dict[int, list[tuple[int, Any]]] = {}
        self._extras: dict[int, Any] | None = None
        """The typed path's parsed ``attributes`` by record; None on the dict path."""
        """Annotations (with their index in the file) read when their image streams out."""

    # ------------------------------------------------------------------ entry

    def read(self) -> Dataset:
        raw = read_file_bytes(self.path)
        typed = decode_typed(raw)
        if typed is not None:
            del raw
            header, annotations, extras = typed
            self._read_header(header)
            self._extras = extras
            self._bucket(annotations, extras)
        else:
            self._read_any(parse_json(raw, self.path))
        if self.coco_extra:
            self.header.extra["coco"] = self.coco_extra
        return Dataset(
            header=self.header,
            items=self._stream(list(self.items)),
            scenes=[],
            losses=self.losses,
            partition=self._partition,
            length=len(self.items),
        )

    def _read_any(self, data: Any) -> None:
        """The dict path: any COCO file (the typed path in :mod:`.typed` covers the usual)."""
        if isinstance(data, list):
            self._read_results(data)
        elif isinstance(data, dict):
            self._read_dataset(data)
        else:
            raise InputError(
                "a COCO file is an object with 'images' (or a results list), "
                f"got {type(data).__name__}",
                path=self.path,
            )

    def _partition(self, k: int, n: int) -> Iterator[Item]:
        """The images of the ``k``-th of ``n`` slices, in file order (their annotations are
        turned into model objects only as each image streams out)."""
        ids = list(self.items)
        start, stop = partition_bounds(len(ids), k, n)
        return self._stream(ids[start:stop])

    def _stream(self, image_ids: list[Any]) -> Iterator[Item]:
        # Each item leaves the reader as it is yielded (the writer holds it only as long as
        # it needs): its annotations look it up in self.items, so it is dropped afterwards.
        items, later = self.items, self._later
        # Chosen here, not stored on the reader: a bound method or partial of the reader kept
        # in its own attribute is a reference cycle, and the whole parse would then wait for
        # the cyclic collector (seconds at train2017 scale) instead of going with the dataset.
        convert: Callable[[Any, int], None] = self.annotation
        if self._extras is not None:
            convert = partial(typed_annotation, self, self._extras)
        for image_id in image_ids:
            item = items[image_id]
            for index, a in later.pop(image_id, ()):
                try:
                    convert(a, index)
                except SkipRecord:
                    continue
            record = self.panoptic.pop(image_id, None)
            if record is not None:
                try:
                    item.annotations.append(self._panoptic_segmentation(image_id, item, record))
                except InputError as err:
                    self.on_error.handle(err)
            del items[image_id]
            yield item

    def free(self, value: Any, record: str, field: str) -> Any:
        """``value`` when it is a free-form value the model can carry (see
        :func:`json_value_problem`), else the record's error."""
        problem = json_value_problem(value)
        if problem is not None:
            self._error(problem, record, field)
        return value

    def _error(self, message: str, record: str | None = None, field: str | None = None) -> NoReturn:
        err = InputError(message, path=self.path, record=record, field=field)
        if record is not None:
            self.on_error.reject(err)
        raise err

    # ------------------------------------------------------------------ header

    def _read_dataset(self, data: dict[str, Any]) -> None:
        self._read_header(data)
        annotations = data.get("annotations", [])
        if not isinstance(annotations, list):
            raise InputError("'annotations' must be a list", path=self.path, field="annotations")
        self._bucket(annotations)

    def _read_header(self, data: dict[str, Any]) -> None:
        """Everything but the annotations: info, licenses, other top-level keys, categories
        and images."""
        images = data.get("images")
        if not isinstance(images, list):
            raise InputError(
                "no 'images' list: not a COCO dataset file", path=self.path, field="images"
            )
        for key in ("info", "licenses"):
            if key in data:
                self.coco_extra[key] = _free_value(data[key], self.path, None, key)
        other = {k: v for k, v in data.items() if k not in _TOP_KEYS}
        if other:
            self.coco_extra["top_level"] = _free_value(other, self.path, None, "top_level")
        self._read_categories(data.get("categories", []))
        self._read_images(images, self.path)

    def _bucket(self, annotations: list[Any], extras: dict[int, Any] | None = None) -> None:
        """Keep each record on a known image (int id) for when its item streams out."""
        # An annotation on a known image (int id) is turned into model objects when its item
        # streams out, so the model never holds the whole file at once; any other annotation
        # (an unknown or malformed image id, a record that is not an object) is read now, in
        # file order, so that such errors come before anything is written.
        task = None
        items, later = self.items, self._later
        for i, a in enumerate(annotations):
            if type(a) is TypedAnnotation:
                if a.image_id in items:
                    later.setdefault(a.image_id, []).append((i, a))
                    continue
                a = as_dict(a, extras or {}, i)
            elif type(a) is dict:
                if "segments_info" in a:
                    task = "panoptic"
                image_id = a.get("image_id")
                if type(image_id) is int and image_id in items:
                    bucket = later.get(image_id)
                    if bucket is None:
                        later[image_id] = [(i, a)]
                    else:
                        bucket.append((i, a))
                    continue
            try:
                self.annotation(a, i)
            except SkipRecord:
                continue
        if task:
            self.coco_extra["task"] = task

    def _read_categories(self, categories: Any) -> None:
        zero_based = read_categories(
            categories, self.path, self.labels, self.skeletons, self.header
        )
        if zero_based:
            self.coco_extra["zero_based_skeletons"] = zero_based

    def _read_images(self, images: list[Any], path: Path) -> None:
        refs: dict[str, Any] = {}
        for i, im in enumerate(images):
            record = f"images[{i}]"
            if not isinstance(im, dict):
                raise InputError("an image must be an object", path=path, record=record)
            image_id = im.get("id")
            if not is_coco_id(image_id):
                raise InputError(
                    f"image id must be an integer, got {brief(image_id)}",
                    path=path,
                    record=record,
                    field="id",
                )
            record = f"image id {image_id}"
            if image_id in self.items:
                raise InputError("image id appears twice", path=path, record=record)
            file_name = im.get("file_name")
            if not isinstance(file_name, str) or not file_name:
                raise InputError(
                    f"file_name must be a non-empty string, got {brief(file_name)}",
                    path=path,
                    record=record,
                    field="file_name",
                )
            width, height = im.get("width"), im.get("height")
            for name, v in (("width", width), ("height", height)):
                if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                    raise InputError(
                        f"{name} must be a non-negative integer, got {brief(v)}",
                        path=path,
                        record=record,
                        field=name,
                    )
            ref = file_name if self.ref_mode == "file_name" else str(image_id)
            if ref in refs:
                raise InputError(
                    f"reference id {ref!r} is also image id {refs[ref]}; use reader option "
                    "reference_id=id",
                    path=path,
                    record=record,
                )
            refs[ref] = image_id
            metadata = {"coco_image_id": image_id}
            if self.ref_mode != "file_name":
                metadata["file_name"] = file_name
            metadata.update(
                (k, _free_value(v, path, record, k)) for k, v in im.items() if k not in _IMAGE_KEYS
            )
            self.items[image_id] = Item(
                reference_id=ref,
                media=ImageMedia(path=self._location(file_name), width=width, height=height),
                metadata=metadata,
            )
            self.sizes[image_id] = (height, width)

    def _location(self, file_name: str) -> str:
        return join_location(self.image_root, file_name) if self.image_root else file_name

    # ------------------------------------------------------------------ annotations

    def _item(self, image_id: Any, record: str) -> Item:
        if not is_coco_id(image_id):
            self._error(f"image_id must be an integer, got {brief(image_id)}", record, "image_id")
        item = self.items.get(image_id)
        if item is None:
            if self.results and not self.images_file and is_coco_id(image_id):
                item = self.items[image_id] = Item(reference_id=str(image_id))
                self.sizes[image_id] = (None, None)
                return item
            self._error(f"image id {brief(image_id)} is not in the images", record, "image_id")
        return item

    def _label(self, category_id: Any, record: str) -> str:
        if not is_coco_id(category_id):
            self._error(
                f"category_id must be an integer, got {brief(category_id)}", record, "category_id"
            )
        label = self.labels.get(category_id)
        if label is None:
            if self.results and not self.images_file and is_coco_id(category_id):
                label = self.labels[category_id] = str(category_id)
                self.header.categories.append(Category(name=label, source_id=category_id))
                return label
            self._error(
                f"category id {category_id!r} is not in the categories", record, "category_id"
            )
        return label

    def annotation(self, a: Any, index: int) -> None:
        """One ``annotations`` record: a caption goes to the item metadata, a panoptic record
        to its segmentation, anything else becomes the group of members :meth:`_members`
        makes (an image category when it has no geometry)."""
        if not isinstance(a, dict):
            self._error("an annotation must be an object", f"annotations[{index}]")
        if "segments_info" in a:
            self._panoptic_record(a, self._item(a.get("image_id"), f"annotations[{index}]"))
            return
        aid = a.get("id")
        if self.results and aid is None:
            record = f"result {index}"
            group = f"result-{index}"
        else:
            if not is_coco_id(aid):
                self._error(
                    f"annotation id must be an integer, got {brief(aid)}",
                    f"annotations[{index}]",
                    "id",
                )
            record = f"annotation id {aid}"
            group = str(aid)
        # A plain int is looked up directly; anything else (1.0 or true would find image 1 in
        # a dict) goes through the checks.
        image_id = a.get("image_id")
        item_or_none = self.items.get(image_id) if type(image_id) is int else None
        item = item_or_none if item_or_none is not None else self._item(image_id, record)
        if "caption" in a:
            self._caption(a, item, record)
            return
        category_id = a.get("category_id")
        label_or_none = self.labels.get(category_id) if type(category_id) is int else None
        label = label_or_none if label_or_none is not None else self._label(category_id, record)
        attrs: dict[str, Any] = {} if aid is None else {"coco_id": aid}
        for key in _COPIED_ATTRIBUTES:
            if key in a:
                attrs[key] = v = a[key]
                if type(v) in _CONTAINERS:
                    self.free(v, record, key)
        if not a.keys() <= KNOWN_ANNOTATION_KEYS:
            attrs.update(
                (k, self.free(v, record, k)) for k, v in a.items() if k not in KNOWN_ANNOTATION_KEYS
            )
        item.annotations.extend(self._members(a, record, group, label, attrs))

    def _caption(self, a: dict[str, Any], item: Item, record: str) -> None:
        if not isinstance(a["caption"], str):
            self._error("caption must be a string", record, "caption")
        self.free(a, record, "caption")
        item.metadata.setdefault(CAPTIONS_KEY, []).append(
            {k: v for k, v in a.items() if k != "image_id"}
        )

    def _members(
        self, a: dict[str, Any], record: str, group: str, label: str, attrs: dict[str, Any]
    ) -> list[Annotation]:
        """The model annotations of one COCO object: its box, one polygon per ring or its
        RLE mask, and its keypoints (in that order, all with the same label, group, attributes
        and score); an object with none of them is an image category."""
        score = a.get("score")
        if score is not None and not _is_number(score):
            self._error(f"score must be a number, got {brief(score)}", record, "score")
        common: dict[str, Any] = {
            "label": label,
            "group_id": group,
            "attributes": attrs,
            "score": score,
        }
        out: list[Annotation] = []
        bbox = a.get("bbox")
        if bbox is not None:
            if (
                type(bbox) is not list
                or len(bbox) != 4
                or not set(map(type, bbox)) <= _PLAIN_NUMBERS
            ):
                self._error(
                    f"bbox must be [x, y, width, height], got {brief(bbox)}", record, "bbox"
                )
            x, y, w, h = bbox
            if w < 0 or h < 0:
                self._error(f"bbox has a negative size ({w} x {h})", record, "bbox")
            out.append(Box(id=group, x=x, y=y, width=w, height=h, **common))
        seg = a.get("segmentation")
        if seg is not None:
            if isinstance(seg, list):
                for k, ring in enumerate(seg):
                    out.append(
                        Polygon(id=f"{group}.{k}", points=self._ring(ring, record, k), **common)
                    )
            elif isinstance(seg, dict):
                self.check_rle(seg, a.get("image_id"), record)
                out.append(InstanceMask(id=f"{group}.mask", rle=seg, **common))
            else:
                self._error(
                    "segmentation must be a list of polygons or an RLE object, got "
                    f"{type(seg).__name__}",
                    record,
                    "segmentation",
                )
        if "keypoints" in a:
            out.append(self.keypoints(a, record, group, common))
        if not out:
            if score is not None:
                self._error("a result needs a bbox, segmentation or keypoints", record)
            # Nucleus category payloads have no annotation id: the COCO id stays in coco_id.
            out.append(ImageCategory(**common))
        return out

    def check_rle(self, seg: dict[str, Any], image_id: Any, record: str) -> None:
        """An RLE must be well formed (:func:`check_rle`) and the size of its image."""
        why = check_rle(seg, self.max_pixels)
        if why is not None:
            self._error(why, record, "segmentation")
        h, w = self.sizes.get(image_id, (None, None))
        size = seg["size"]
        if h is not None and w is not None and (size[0] != h or size[1] != w):
            self._error(
                f"RLE size {size[0]}x{size[1]} (height x width) disagrees with the image ({h}x{w})",
                record,
                "segmentation.size",
            )

    def _ring(self, ring: Any, record: str, k: int) -> list[tuple[float, float]]:
        if type(ring) is not list:
            self._error(
                f"a polygon is a flat list of numbers, got {brief(ring)}"[:200],
                record,
                f"segmentation[{k}]",
            )
        n = len(ring)
        if n % 2:
            self._error(
                f"a polygon has an odd number of values ({n})", record, f"segmentation[{k}]"
            )
        if n < 6:
            self._error(
                f"a polygon needs at least 3 points, got {n // 2}", record, f"segmentation[{k}]"
            )
        if not set(map(type, ring)) <= _PLAIN_NUMBERS:
            self._error("polygon coordinates must be numbers", record, f"segmentation[{k}]")
        it = iter(ring)
        return list(zip(it, it, strict=True))

    def keypoints(
        self, a: dict[str, Any], record: str, group: str, common: dict[str, Any]
    ) -> Keypoints:
        """The keypoints member of record ``a`` (see :func:`.keypoints.read_keypoints`)."""
        skeleton = self.skeletons.get(a.get("category_id"))
        return read_keypoints(a["keypoints"], skeleton, record, group, common, self._error)

    # ------------------------------------------------------------------ results

    def _read_results(self, data: list[Any]) -> None:
        self.results = True
        self.coco_extra["task"] = "results"
        if self.images_file:
            images_path = Path(self.images_file)
            other = load_json(images_path)
            if not isinstance(other, dict) or not isinstance(other.get("images"), list):
                raise InputError(
                    "reader option images must name a COCO instances file with 'images'",
                    path=images_path,
                )
            self._read_categories(other.get("categories", []))
            self._read_images(other["images"], images_path)
        for i, a in enumerate(data):
            try:
                if isinstance(a, dict) and "score" not in a:
                    self._error("a results record needs a score", f"result {i}", "score")
                self.annotation(a, i)
            except SkipRecord:
                continue

    # ------------------------------------------------------------------ panoptic

    def _panoptic_record(self, a: dict[str, Any], item: Item) -> None:
        image_id = a.get("image_id")
        record = f"panoptic annotation of image id {image_id}"
        file_name = a.get("file_name")
        if not isinstance(file_name, str) or not file_name:
            self._error("panoptic annotation needs a PNG file_name", record, "file_name")
        infos = a.get("segments_info")
        if not isinstance(infos, list) or not all(isinstance(s, dict) for s in infos):
            self._error("segments_info must be a list of objects", record, "segments_info")
        if image_id in self.panoptic:
            self._error("image has two panoptic annotations", record)
        assert isinstance(infos, list)
        for s in infos:
            sid = s.get("id")
            if type(sid) is not int or not 0 < sid < _MAX_SEGMENT_ID:
                self._error(
                    f"segment id must be a positive integer below 2**24 (an RGB colour), "
                    f"got {str(sid)[:40]!r}",
                    record,
                    "segments_info",
                )
            self._label(s.get("category_id"), record)
        self.free(a, record, "segments_info")
        self.panoptic[image_id] = a

    def _panoptic_segmentation(self, image_id: Any, item: Item, a: dict[str, Any]) -> Segmentation:
        record = f"panoptic annotation of image id {image_id}"
        root = Path(self.panoptic_root) if self.panoptic_root else self.path.parent / self.path.stem
        png = root / a["file_name"]
        h, w = self.sizes.get(image_id, (None, None))
        try:
            size = (w, h) if h is not None and w is not None else None
            ids = panoptic_ids(png, size, self.max_pixels)
        except InputError as exc:
            raise InputError(
                f"panoptic PNG {png}: {exc.message}", path=self.path, record=record
            ) from None
        index, segments, problem = panoptic_index(ids, a["segments_info"], self.labels)
        if problem is not None:
            raise InputError(f"panoptic PNG {png} {problem}", path=self.path, record=record)
        extra = {k: v for k, v in a.items() if k not in ("image_id", "segments_info")}
        return Segmentation(
            id=f"panoptic-{image_id}",
            mask=MaskRef(array=index),
            segments=segments,
            extra={"coco_panoptic": extra},
        )


def _free_value(value: Any, path: Path, record: str | None, field: str) -> Any:
    """``value`` when the model can carry it (:func:`json_value_problem`), else an error about
    the whole file (not a record ``on_error`` may skip)."""
    problem = json_value_problem(value)
    if problem is not None:
        raise InputError(problem, path=path, record=record, field=field)
    return value


def read_coco(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a COCO JSON file (any task, or a results list) into a streaming Dataset."""
    return CocoReader(src, options).read()
