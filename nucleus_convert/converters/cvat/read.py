"""Reading CVAT for images 1.1 and CVAT for video 1.1 XML (an export's ``annotations.xml``, or
a folder holding it).

The XML is parsed with :mod:`nucleus_convert.toolkit.safe_xml` (no DTD, no entity, no
network). Memory: the parsed tree and, for a video, an index of which track shapes fall on
which frame; each item's annotations are made when the stream reaches it.

**Images** (``<image id name width height [subset task_id]>``): one item per ``<image>``, in
file order, images without shapes included. The reference id is ``name`` (a path such as
``dir/a b.jpg``); where two images of a project share a name, ``<subset>/<name>`` (or
``task_<id>/<name>``), the name itself kept in metadata ``cvat_name``. Metadata: ``frame``
(the ``id``, only when it is not the image's position in the file), ``subset``, ``task_id``.
The image is looked for at ``<image_root>/<name>`` (default: the ``images`` folder beside the
XML, as in CVAT's export with images).

**Video** (``<track id label [source group_id task_id subset]>`` of shapes with ``frame``,
``outside``, ``keyframe``): one item per frame of the task, ``frame_NNNNNN`` (the frame
number, six digits at least), in frame order: the frames of ``start_frame``..``stop_frame``
every ``step=N`` of ``frame_filter`` (``size`` of them), and any other frame a shape is on.
The frame size is the task's ``original_size``; metadata ``frame`` holds the number. Each
track shape that is not ``outside`` becomes an annotation on its frame with ``track_id`` the
track's id (a shape with ``outside="1"`` means the object is not on that frame: no annotation
there). CVAT's exporter writes every frame of a track, interpolated ones with
``keyframe="0"`` (kept as attribute ``keyframe: false``): frames the file does not list are not
interpolated here. A project export's tracks name their task (``task_id``); with several tasks
the items are ``task_<id>/frame_NNNNNN``.

The header lists the ``<meta>`` labels in order (each with its spec in
``Category.attributes["cvat"]``), then labels only shapes use; skeleton labels give
``Header.skeletons``. ``Header.extra["cvat"]`` keeps the flavour, the ``<meta>`` container
(``task``, ``job`` or ``project``), its name and the video's file name.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from nucleus_convert.converters.cvat.meta import Meta, parse_meta
from nucleus_convert.converters.cvat.schema import (
    ANNOTATION_TAGS,
    EXTRA_KEY,
    FRAME_KEY,
    IMAGE_SUFFIXES,
    IMAGES_DIR,
    NAME_KEY,
    SHAPE_TAGS,
    SUBSET_KEY,
    TASK_KEY,
    XML_NAME,
    frame_name,
    shape_id,
    track_shape_id,
)
from nucleus_convert.converters.cvat.shapes import Common, ShapeReader
from nucleus_convert.converters.cvat.values import Where, flag, integer
from nucleus_convert.errors import InputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Category,
    Dataset,
    Header,
    ImageMedia,
    Item,
    partition_bounds,
)
from nucleus_convert.toolkit.files import is_remote, join_location
from nucleus_convert.toolkit.on_error import OnError
from nucleus_convert.toolkit.paths import unsafe_name_reason
from nucleus_convert.toolkit.safe_xml import parse_xml

__all__ = ["find_xml", "read_cvat"]

_UNKNOWN = "an element CVAT 1.1 does not define"
Frame = tuple[str, int]
"""A video frame: its task's key (``""`` with one task) and its number."""


def find_xml(src: Path) -> Path:
    """The XML file of ``src``: the file itself, or a folder's ``annotations.xml`` (or its one
    ``.xml`` file)."""
    if src.is_file():
        return src
    if not src.is_dir():
        raise InputError("no such file or directory", path=src)
    if (src / XML_NAME).is_file():
        return src / XML_NAME
    xmls = sorted(p for p in src.glob("*.xml") if p.is_file())
    if len(xmls) != 1:
        raise InputError(
            f"not a CVAT export: no {XML_NAME}"
            + (f" and {len(xmls)} other XML files" if xmls else ""),
            path=src,
        )
    return xmls[0]


def _media_name(name: str) -> str:
    """``name`` as a path under the image root: a name that would leave it (absolute,
    ``..``) is cut to its last part."""
    if unsafe_name_reason(name) is None:
        return name
    last = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "_")
    return last if last not in ("", ".", "..") else "_"


class CvatReader:
    """Reads one CVAT XML file; :meth:`dataset` streams its items."""

    def __init__(self, src: Path, options: Mapping[str, Any]) -> None:
        self.src = src
        self.xml = find_xml(src)
        self.path = str(self.xml)
        root = parse_xml(self.xml)
        if root.tag != "annotations":
            raise InputError(
                f"root element is <{root.tag!s}>, not CVAT's <annotations>",
                path=self.xml,
                line=root.sourceline,
            )
        self.meta: Meta = parse_meta(root.find("meta"), self.path)
        self.images = list(root.iterfind("image"))
        self.tracks = list(root.iterfind("track"))
        if self.images and self.tracks:
            raise InputError(
                "the file holds both <image> and <track> elements; CVAT writes one or the other",
                path=self.xml,
                line=self.tracks[0].sourceline,
            )
        modes = {t.mode for t in self.meta.tasks.values()}
        video = bool(self.tracks) or (not self.images and "interpolation" in modes)
        self.flavour = "video" if video else "images"
        self.image_root = str(options.get("image_root") or self.xml.parent / IMAGES_DIR)
        self.losses = LossReport()
        self.on_error = OnError.from_options(options, self.losses)
        self.header = self._header(root)
        self.shapes = ShapeReader(
            self.meta, self.header.skeletons, self.losses, options.get("max_pixels")
        )
        self.refs = self._refs() if not video else []
        self.frames: list[Frame] = []
        self.on_frame: dict[Frame, list[tuple[etree._Element, etree._Element]]] = {}
        if video:
            self._index_tracks()

    # ------------------------------------------------------------------ header

    def _header(self, root: etree._Element) -> Header:
        header = Header(source={"format": "cvat", "path": str(self.src)})
        for spec in self.meta.labels:
            kept = spec.to_json()
            header.categories.append(
                Category(spec.name, attributes={EXTRA_KEY: kept} if kept else {})
            )
            skeleton = spec.skeleton()
            if skeleton is not None:
                header.skeletons[spec.name] = skeleton
        known = {c.name for c in header.categories}
        used = [t.get("label") for t in self.tracks]
        used += [
            el.get("label") for image in self.images for el in image if el.tag in ANNOTATION_TAGS
        ]
        for label in used:
            if label is not None and label not in known:
                known.add(label)
                header.categories.append(Category(label))
        facts = {
            "flavour": self.flavour,
            "container": self.meta.container,
            "name": self.meta.name,
            "source": self.meta.source,
        }
        header.extra[EXTRA_KEY] = {k: v for k, v in facts.items() if v is not None}
        return header

    # ------------------------------------------------------------------ images

    def _refs(self) -> list[str]:
        """Each image's reference id: its name, qualified where a name repeats."""
        names = [el.get("name") or "" for el in self.images]
        repeated = {n for n, k in Counter(names).items() if k > 1}
        refs = []
        for el, name in zip(self.images, names, strict=True):
            if name in repeated and el.get("subset"):
                refs.append(f"{el.get('subset')}/{name}")
            elif name in repeated and el.get("task_id"):
                refs.append(f"task_{el.get('task_id')}/{name}")
            else:
                refs.append(name)
        return refs

    def _image_item(self, position: int, el: etree._Element, ref: str, seen: set[str]) -> Item:
        name = el.get("name")
        where = Where(self.path, el.sourceline, f"image {name!r}")
        if not name:
            raise where.error("an <image> has no name", "name")
        if ref in seen:
            raise where.error(f"image {ref!r} appears twice", "name")
        seen.add(ref)
        metadata: dict[str, Any] = {}
        frame = integer(el.get("id", str(position)), where, "id")
        if frame != position:
            metadata[FRAME_KEY] = frame
        for key in (SUBSET_KEY, TASK_KEY):
            value = el.get(key)
            if value is not None:
                metadata[key] = int(value) if key == TASK_KEY and value.isdigit() else value
        if ref != name:
            metadata[NAME_KEY] = name
        size = None
        if el.get("width") is not None or el.get("height") is not None:
            size = (
                integer(el.get("width"), where, "width", 1),
                integer(el.get("height"), where, "height", 1),
            )
        subset = el.get(SUBSET_KEY)  # a project export keeps images/<subset>/<name>
        media = ImageMedia(
            join_location(self.image_root, _media_name(f"{subset}/{name}" if subset else name)),
            size[0] if size else None,
            size[1] if size else None,
        )
        annotations = self._image_annotations(el, where, size)
        return Item(ref, media=media, metadata=metadata, annotations=annotations)

    def _image_annotations(
        self, image: etree._Element, where: Where, size: tuple[int, int] | None
    ) -> list[Annotation]:
        out: list[Annotation] = []
        counts: Counter[str] = Counter()
        for el in image:
            tag = str(el.tag)
            counts[tag] += 1
            record = f"{where.record}, <{tag}> {counts[tag]}"
            shape_where = Where(self.path, el.sourceline, record)
            if tag not in ANNOTATION_TAGS:
                self.losses.dropped("record", reason=_UNKNOWN, example=record)
                continue
            label = el.get("label")
            if label is None:
                raise shape_where.error(f"a <{tag}> has no label", "label")
            common = self.shapes.common(el, label, shape_where)
            if tag == "tag":
                out.append(self.shapes.tag(el, common))
                continue
            common.id = shape_id(tag, counts[tag])
            ann = self.shapes.shape(el, common, size)
            if ann is not None:
                out.append(ann)
        return out

    # ------------------------------------------------------------------ video

    def _task_key(self, track: etree._Element) -> str:
        return track.get("task_id", "") if len(self.meta.tasks) > 1 else ""

    def _index_tracks(self) -> None:
        """Which track shapes fall on which frame; the frames to stream."""
        frames: set[Frame] = set()
        for key, info in self.meta.tasks.items():
            frames.update((key if len(self.meta.tasks) > 1 else "", f) for f in info.frames())
        for track in self.tracks:
            task = self._task_key(track)
            for el in track:
                if el.tag not in SHAPE_TAGS:
                    continue
                where = Where(self.path, el.sourceline, f"track {track.get('id')!r}")
                try:
                    number = integer(el.get("frame"), where, "frame")
                    if flag(el.get("outside"), where, "outside"):
                        continue
                except InputError as err:
                    self.on_error.handle(err, "record")
                    continue
                frames.add((task, number))
                self.on_frame.setdefault((task, number), []).append((track, el))
        order = {key: n for n, key in enumerate(self.meta.tasks)}
        self.frames = sorted(frames, key=lambda f: (order.get(f[0], len(order)), f[1]))
        self.frame_files = self._frame_files()

    def _frame_files(self) -> dict[str, str]:
        """Image file names beside the XML by stem (frames are found by their stem)."""
        if is_remote(self.image_root) or not Path(self.image_root).is_dir():
            return {}
        return {
            Path(e.name).stem: e.name
            for e in sorted(os.scandir(self.image_root), key=lambda e: e.name)
            if Path(e.name).suffix in IMAGE_SUFFIXES
        }

    def _frame_item(self, frame: Frame) -> Item:
        task_key, number = frame
        task = self.meta.task(task_key or None)
        stem = frame_name(number)
        ref = f"task_{task_key}/{stem}" if task_key else stem
        metadata: dict[str, Any] = {FRAME_KEY: number}
        if task_key:
            metadata[TASK_KEY] = int(task_key) if task_key.isdigit() else task_key
            if task.subset:
                metadata[SUBSET_KEY] = task.subset
        name = self.frame_files.get(stem, stem + ".png")
        media = ImageMedia(join_location(self.image_root, name), task.width, task.height)
        size = (task.width, task.height) if task.width and task.height else None
        annotations: list[Annotation] = []
        for track, el in self.on_frame.get(frame, []):
            try:
                ann = self._track_shape(track, el, number, size)
            except InputError as err:
                self.on_error.handle(err, "record")
                continue
            if ann is not None:
                annotations.append(ann)
        return Item(ref, media=media, metadata=metadata, annotations=annotations)

    def _track_shape(
        self,
        track: etree._Element,
        el: etree._Element,
        frame: int,
        size: tuple[int, int] | None,
    ) -> Annotation | None:
        record = f"track {track.get('id')!r}, frame {frame}"
        where = Where(self.path, el.sourceline, record)
        track_id = integer(track.get("id"), where, "track id")
        label = track.get("label")
        if label is None:
            raise where.error("a <track> has no label", "label")
        group = integer(track.get("group_id", "0"), where, "group_id")
        common = Common(
            label=label,
            where=where,
            group=str(group) if group else None,
            source=track.get("source"),
            keyframe=flag(el.get("keyframe", "1"), where, "keyframe"),
            track_id=str(track_id),
            id=track_shape_id(track_id),
        )
        common.attributes = self.shapes.attributes(el, label, where)
        return self.shapes.shape(el, common, size)

    # ------------------------------------------------------------------ stream

    def dataset(self) -> Dataset:
        count = len(self.frames) if self.flavour == "video" else len(self.images)
        return Dataset(
            header=self.header,
            items=self._items(0, count),
            losses=self.losses,
            partition=self._partition,
            length=count,
        )

    def _partition(self, k: int, n: int) -> Iterator[Item]:
        count = len(self.frames) if self.flavour == "video" else len(self.images)
        return self._items(*partition_bounds(count, k, n))

    def _items(self, start: int, stop: int) -> Iterator[Item]:
        if self.flavour == "video":
            for frame in self.frames[start:stop]:
                yield self._frame_item(frame)
            return
        seen = set(self.refs[:start])  # a name an earlier partition took is taken
        for position in range(start, stop):
            try:
                yield self._image_item(position, self.images[position], self.refs[position], seen)
            except InputError as err:
                self.on_error.handle(err, "item")


def read_cvat(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a CVAT for images or video 1.1 XML file (or the folder holding it)."""
    return CvatReader(src, options).dataset()
