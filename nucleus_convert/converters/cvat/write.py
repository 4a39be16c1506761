"""Writing a CVAT export folder: ``annotations.xml`` (CVAT for images 1.1 or CVAT for video
1.1) and, with ``images=copy|symlink``, the images under ``images/``.

The flavour is the writer option ``flavour``: ``images``, ``video``, or ``auto`` (the default:
``video`` when the dataset was read from a CVAT video file, ``Header.extra["cvat"]``, else
``images``).

**Images**: one ``<image id name [subset task_id] width height>`` per item, in stream order.
``name`` is the reference id (metadata ``cvat_name`` when the reader had to qualify it),
``id`` the metadata ``frame`` when it has one, else the item's position. Each ``<image>``
element is written to a temporary file as its item goes by (memory does not grow with the
dataset) and joined to the ``<meta>`` block, which needs every label and attribute seen,
at the end. **Video**: see :mod:`.video_write`.

Coordinates are the model's, as they are (:mod:`.shapes_write`). What CVAT cannot carry is
counted in the loss report (:mod:`.carries`): point cloud items, predictions, cuboids,
scene categories, taxonomies, camera parameters, item metadata without a place, and the
approximations listed in each module.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from nucleus_convert.converters.cvat.carries import CARRIES, HANDLED, NOT_AN_IMAGE
from nucleus_convert.converters.cvat.items_write import ItemAnnotations
from nucleus_convert.converters.cvat.schema import (
    EXTRA_KEY,
    FRAME_KEY,
    IMAGES_DIR,
    NAME_KEY,
    SUBSET_KEY,
    TASK_KEY,
    XML_NAME,
)
from nucleus_convert.converters.cvat.spec_write import LabelSpecs, TaskFacts, annotations_head
from nucleus_convert.converters.cvat.values import xml_text_problem
from nucleus_convert.converters.cvat.video_write import VideoTracks
from nucleus_convert.errors import OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Dataset, Header, ImageMedia, Item, PointCloudMedia
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.images import image_size, place_image
from nucleus_convert.toolkit.losses import FieldLedger, drop_metadata, holds_value
from nucleus_convert.toolkit.paths import confined, unsafe_name_reason

__all__ = ["write_cvat"]

_BODY = ".body.xml"
_IMAGE_KEYS = (FRAME_KEY, SUBSET_KEY, TASK_KEY, NAME_KEY)
_NO_PLACE = "CVAT XML has no place for this item metadata"


def _flavour(option: Any, header: Header) -> str:
    if option in ("images", "video"):
        return str(option)
    facts = header.extra.get(EXTRA_KEY)
    return "video" if isinstance(facts, dict) and facts.get("flavour") == "video" else "images"


class _CvatWriter:
    def __init__(
        self, dst: Path, header: Header, options: Mapping[str, Any], report: LossReport
    ) -> None:
        self.dst = dst
        self.header = header
        self.report = report
        self.video = _flavour(options.get("flavour"), header) == "video"
        self.images = str(options.get("images") or "none")
        self.specs = LabelSpecs(header, mutable=self.video)
        self.annotations = ItemAnnotations(report, self.specs, video=self.video)
        self.ledger = FieldLedger(report, CARRIES)
        self.summary = WriteSummary(files=[XML_NAME])
        self.tracks = VideoTracks(report)
        self.body: BinaryIO = (dst / _BODY).open("wb")
        self.ids: set[tuple[str, int]] = set()
        self.names: set[str] = set()
        self.count = 0

    # ------------------------------------------------------------------ items

    def write_item(self, item: Item) -> None:
        where = f"item {item.reference_id!r}"
        if isinstance(item.media, PointCloudMedia):
            self.ledger.drop(item, where, NOT_AN_IMAGE)
            for ann in item.annotations:
                self.report.dropped(ann.kind, reason=NOT_AN_IMAGE, example=where)
            return
        self.ledger.fields(item, where, handled=HANDLED["item"])
        shapes, tags, size = self.annotations.build(item, where, image_size(item.media))
        if self.video:
            drop_metadata(
                self.report,
                "item",
                [k for k in item.metadata if k != FRAME_KEY],
                reason="a CVAT video frame has its number only",
                where=where,
            )
            self.tracks.add(item, size, shapes, where)
        else:
            image = self._image(item, size, where)
            for built in shapes:
                image.append(built.element)
            for tag in tags:
                image.append(tag)
            etree.indent(image, space="  ", level=1)
            self.body.write(b"  " + etree.tostring(image, encoding="utf-8") + b"\n")
        self.count += 1
        self.summary.add("frames" if self.video else "images")
        self.summary.add("shapes", len(shapes))

    def _image(self, item: Item, size: tuple[int, int] | None, where: str) -> etree._Element:
        md = item.metadata
        drop_metadata(
            self.report,
            "item",
            [k for k in md if k not in _IMAGE_KEYS],
            reason=_NO_PLACE,
            where=where,
        )
        name = self._name(item, where)
        image_id = self._id(md.get(FRAME_KEY), f"{md.get(SUBSET_KEY)}/{md.get(TASK_KEY)}", where)
        el = etree.Element("image", id=str(image_id), name=name)
        for key in (SUBSET_KEY, TASK_KEY):
            value = md.get(key)
            if isinstance(value, str) and value and xml_text_problem(value) is None:
                el.set(key, value)
            elif type(value) is int and key == TASK_KEY:
                el.set(key, str(value))
            elif holds_value(value):
                self.report.dropped("item", f"metadata.{key}", reason=_NO_PLACE, example=where)
        if size is not None:
            el.set("width", str(size[0]))
            el.set("height", str(size[1]))
        if self.images != "none":
            self._place(item, name, where)
        return el

    def _id(self, frame: Any, task: str, where: str) -> int:
        """The ``<image id>``: metadata ``frame``, else the position, else the next free
        (ids are distinct within a subset and task)."""
        free = type(frame) is int and frame >= 0 and (task, frame) not in self.ids
        n = frame if free else self.count
        while (task, n) in self.ids:
            n += 1
        self.ids.add((task, n))
        if (frame is not None and n != frame) or (frame is None and n != self.count):
            self.report.approximated(
                "item",
                f"metadata.{FRAME_KEY}",
                reason="CVAT image ids are distinct whole numbers: renumbered",
                example=where,
            )
        return n

    def _name(self, item: Item, where: str) -> str:
        """The ``<image name>``: ``cvat_name`` (a name the reader qualified with the subset or
        task, which may repeat) or the reference id."""
        ref, md = item.reference_id, item.metadata
        given = md.get(NAME_KEY)
        name = given if isinstance(given, str) and given else ref
        qualified = ref in (f"{md.get(SUBSET_KEY)}/{name}", f"task_{md.get(TASK_KEY)}/{name}")
        if (ref if qualified else name) in self.names:
            name = ref
            self.report.approximated(
                "item",
                f"metadata.{NAME_KEY}",
                reason="CVAT image names are distinct",
                example=where,
            )
        problem = xml_text_problem(name)
        if problem is not None or not name:
            raise OutputError(f"{where}: cannot be a CVAT image name: {problem or 'empty'}")
        self.names.add(ref if qualified else name)
        return name

    def _place(self, item: Item, name: str, where: str) -> None:
        media = item.media
        reason = unsafe_name_reason(name)
        if reason is None and isinstance(media, ImageMedia):
            target = confined(self.dst, f"{IMAGES_DIR}/{name}", record=where)
            reason = place_image(media.path, target, self.images)
        if reason is not None:
            self.report.dropped("item", "media", reason=reason, example=where)
        else:
            self.summary.add("images placed")

    # ------------------------------------------------------------------ the file

    def finish(self, dataset: Dataset) -> None:
        self.body.close()
        self.report.dropped_scenes(dataset.scenes, reason="CVAT XML has no scenes")
        self._count_header()
        facts = self.header.extra.get(EXTRA_KEY)
        facts = facts if isinstance(facts, dict) else {}
        name = facts.get("name") if isinstance(facts.get("name"), str) else "nucleus-convert"
        body = self.dst / _BODY
        if self.video:
            frames = self.tracks.frames()
            task = TaskFacts(
                str(name),
                len(frames),
                "interpolation",
                frames,
                self.tracks.size,
                facts.get("source") if isinstance(facts.get("source"), str) else None,
            )
            with body.open("wb") as out:
                for track in self.tracks.tracks(frames):
                    etree.indent(track, space="  ", level=1)
                    out.write(b"  " + etree.tostring(track, encoding="utf-8") + b"\n")
                self.summary.add("tracks", len(self.tracks.by_key))
        else:
            task = TaskFacts(str(name), self.count, "annotation")
        head = annotations_head(self.specs.element(task, self.report))
        with (self.dst / XML_NAME).open("wb") as out, body.open("rb") as part:
            out.write(head)
            shutil.copyfileobj(part, out)
            out.write(b"</annotations>\n")
        body.unlink()

    def _count_header(self) -> None:
        header = self.header
        self.ledger.fields(header, "header", handled=HANDLED["header"])
        others = [k for k, v in header.extra.items() if k != EXTRA_KEY and holds_value(v)]
        if others:
            self.report.dropped(
                "header",
                "extra",
                reason=CARRIES.reason("header", "extra"),
                example=", ".join(others),
            )
        for field, lost in (
            ("source_id", [c.name for c in header.categories if c.source_id is not None]),
            ("supercategory", [c.name for c in header.categories if c.supercategory]),
            ("attributes", [c.name for c in header.categories if set(c.attributes) - {EXTRA_KEY}]),
        ):
            if lost:
                self.report.dropped(
                    "header",
                    f"categories.{field}",
                    n=len(lost),
                    reason=f"a CVAT label has no {field.replace('_', ' ')}",
                    example=", ".join(lost[:5]),
                )


def write_cvat(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as a CVAT export folder at ``dst`` (which must not exist)."""
    dst.mkdir(parents=False)
    writer = _CvatWriter(dst, dataset.header, options, report)
    try:
        for item in dataset.items:
            writer.write_item(item)
    finally:
        writer.body.close()
    writer.finish(dataset)
    if writer.images != "none":
        writer.summary.files.append(IMAGES_DIR)
    return writer.summary
