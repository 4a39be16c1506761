"""Writing a folder of LabelMe files, one per image item, that labelme 5.x opens.

* Item ``a/b`` is ``a/b.json`` under the destination; a reference id ending in an image suffix
  loses it (``x.jpg`` -> ``x.json``, as LabelMe pairs ``x.jpg`` with ``x.json``). An id that
  cannot name a file as it is (a ``..`` part, a hidden name, a backslash, a control
  character, a part over 200 bytes), or that another item's file took, is mapped to a safe
  name. Either change is counted as approximated under ``(item, reference_id)``: the file
  reads back under its new id. Every path goes through :func:`~nucleus_convert.toolkit.confined`.
* The image: ``images=copy`` (default) or ``symlink`` places it beside its file as
  ``<name><image suffix>`` and ``imagePath`` names it; ``none`` (or an image that cannot be
  placed, counted) leaves ``imagePath`` at its original location (absolute, or the URL).
  ``image_data=true`` also embeds the image file's bytes as base64 ``imageData``.
* ``imageWidth``/``imageHeight`` from the item (else the local image's header, else ``null``).
* Shapes: :mod:`.shape_write`. Flags: every label of the header's ``labelme_flags`` taxonomy
  (false), then each image category's label set to true; a category of another taxonomy, or
  a multicategory's labels, are counted as approximated (they read back as flags).
* Item metadata: one top-level key each (``version``, ``shapes``... reserved: counted).

Not written, and counted: predictions (LabelMe holds ground truth), point clouds and items
without an image, cuboids and scene categories, scenes, camera parameters, track ids.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from nucleus_convert.converters.labelme.carries import CARRIES, HANDLED, count_header
from nucleus_convert.converters.labelme.schema import (
    FLAGS_TAXONOMY,
    IMAGE_SUFFIXES,
    SUFFIX,
    TOP_KEYS,
    WRITTEN_VERSION,
)
from nucleus_convert.converters.labelme.shape_write import ShapeWriter
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Dataset,
    Header,
    ImageCategory,
    ImageMedia,
    Item,
    MultiCategory,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import SafeNames, is_remote
from nucleus_convert.toolkit.images import image_size, place_image, regular_local_file
from nucleus_convert.toolkit.limits import json_value_problem
from nucleus_convert.toolkit.losses import FieldLedger, drop_metadata
from nucleus_convert.toolkit.paths import confined

__all__ = ["write_labelme"]

_MAX_PART_BYTES = 200
_MAX_DEPTH = 32
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")
_NOT_AN_IMAGE = "a LabelMe file annotates an image: the item and its annotations are left out"
_PREDICTION = "LabelMe holds ground truth; predictions are not written"
_RENAMED = (
    "LabelMe names a file after its image: an image suffix is removed, and an id that cannot "
    "name a file (or names one already written) is mapped to a safe name"
)


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return len(parts) <= _MAX_DEPTH and all(
        part
        and not part.startswith(".")
        and not _UNSAFE.search(part)
        and len(part.encode("utf-8", "surrogatepass")) <= _MAX_PART_BYTES
        for part in parts
    )


def _location(path: str) -> str:
    """An image location for ``imagePath``: a URL as it is, a local path made absolute."""
    return path if is_remote(path) else str(Path(path).absolute())


class _LabelmeWriter:
    """Writes one file (and image) per item; every path it creates is confined under ``dst``."""

    def __init__(
        self, dst: Path, header: Header, options: Mapping[str, Any], report: LossReport
    ) -> None:
        self.dst = dst
        self.header = header
        self.report = report
        self.ledger = FieldLedger(report, CARRIES)
        self.shapes = ShapeWriter(report)
        self.images = str(options.get("images") or "copy")
        self.embed = bool(options.get("image_data"))
        self.summary = WriteSummary()
        self.taken: set[str] = set()
        self.names = SafeNames()
        self.labels: set[str] = set()

    def write_item(self, item: Item) -> None:
        where = f"item {item.reference_id!r}"
        media = item.media
        if not isinstance(media, ImageMedia):
            self.ledger.drop(item, where, _NOT_AN_IMAGE)
            for ann in item.annotations:
                self.report.dropped(ann.kind, reason=_NOT_AN_IMAGE, example=where)
            return
        self.ledger.fields(item, where, handled=HANDLED["item"])
        name = self._name(item.reference_id, where)
        size = image_size(media)
        shaped, categories = self._split(item.annotations, where)
        doc: dict[str, Any] = {
            "version": WRITTEN_VERSION,
            "flags": self._flags(categories, where),
            "shapes": self.shapes.shapes(shaped, size, where),
        }
        doc.update(self._image(media, name, where))
        doc["imageHeight"], doc["imageWidth"] = (size[1], size[0]) if size else (None, None)
        doc.update(self._metadata(item.metadata, where))
        self.labels.update(shape["label"] for shape in doc["shapes"])
        self.labels.update(name for name, value in doc["flags"].items() if value)
        target = confined(self.dst, name + SUFFIX, record=where)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        self.summary.add("files")
        self.summary.add("shapes", len(doc["shapes"]))

    def _name(self, ref: str, where: str) -> str:
        """The file's path under the destination, without ``.json`` (see the module)."""
        name = ref
        stem, dot, ext = name.rpartition(".")
        if dot and stem and not stem.endswith("/") and "." + ext.lower() in IMAGE_SUFFIXES:
            name = stem
        if not _safe_name(name) or name in self.taken:
            name = self.names.name(ref, "")
            while name in self.taken:  # SafeNames knows only the names it gave
                name = self.names.name(ref, "")
        self.taken.add(name)
        if name != ref:
            self.report.approximated(
                "item", "reference_id", reason=_RENAMED, example=f"{ref!r} -> {name!r}"
            )
        return name

    def _split(
        self, annotations: list[Annotation], where: str
    ) -> tuple[list[Annotation], list[ImageCategory | MultiCategory]]:
        """The annotations that become shapes and those that become flags; predictions and
        kinds LabelMe has no place for are counted and left out."""
        shaped: list[Annotation] = []
        categories: list[ImageCategory | MultiCategory] = []
        for ann in annotations:
            there = f"{where}, {ann.kind} {ann.id!r}"
            if ann.prediction:
                self.report.dropped(ann.kind, reason=_PREDICTION, example=there)
                continue
            if not self.ledger.take(ann, there):
                continue
            self.ledger.fields(ann, there, handled=HANDLED.get(ann.kind, ()))
            if isinstance(ann, ImageCategory | MultiCategory):
                categories.append(ann)
            else:
                shaped.append(ann)
        return shaped, categories

    def _flags(
        self, categories: list[ImageCategory | MultiCategory], where: str
    ) -> dict[str, bool]:
        taxonomy = self.header.taxonomies.get(FLAGS_TAXONOMY)
        flags = dict.fromkeys(taxonomy.labels if taxonomy is not None else (), False)
        for ann in categories:
            there = f"{where}, {ann.kind} {ann.id!r}"
            if isinstance(ann, MultiCategory):
                labels = list(ann.labels)
                self.report.approximated(
                    "multicategory",
                    reason="its labels are written as flags, which read back as one image "
                    "category each",
                    example=there,
                )
                self.report.approximated(
                    "category",
                    n=len(labels),
                    reason="flags written from a multicategory's labels read back as image "
                    "categories",
                    example=there,
                )
            else:
                labels = [ann.label]
                if ann.taxonomy != FLAGS_TAXONOMY:
                    self.report.approximated(
                        "category",
                        "taxonomy",
                        reason=f"written as a flag, which reads back under {FLAGS_TAXONOMY!r}",
                        example=there,
                    )
                if flags.get(ann.label):
                    self.report.dropped(
                        "category",
                        reason="a flag is set once: a repeated label is not written twice",
                        example=there,
                    )
            flags.update(dict.fromkeys(labels, True))
        return flags

    def _image(self, media: ImageMedia, name: str, where: str) -> dict[str, Any]:
        """``imagePath`` and ``imageData`` (see the module)."""
        image_path = _location(media.path)
        if self.images != "none":
            stem = name.rpartition("/")[2]
            suffix = Path(media.path.rsplit("/", 1)[-1]).suffix
            if suffix.lower() == SUFFIX or not suffix:
                suffix = ".jpg"
            target = confined(self.dst, name + suffix, record=where)
            problem = place_image(media.path, target, self.images)
            if problem is None:
                image_path = stem + suffix
                self.summary.add("images " + ("copied" if self.images == "copy" else "linked"))
            else:
                self.report.approximated(
                    "item",
                    "media",
                    reason=f"image not placed beside its file ({problem}): imagePath names "
                    "its original location",
                    example=where,
                )
        return {"imagePath": image_path, "imageData": self._embedded(media, where)}

    def _embedded(self, media: ImageMedia, where: str) -> str | None:
        if not self.embed:
            return None
        source = regular_local_file(media.path)
        if source is None:
            self.report.approximated(
                "item",
                "media",
                reason="image not embedded (image_data=true): not a regular local file here",
                example=where,
            )
            return None
        return base64.b64encode(source.read_bytes()).decode("ascii")

    def _metadata(self, metadata: dict[str, Any], where: str) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        reserved: list[str] = []
        for key, value in metadata.items():
            if key in TOP_KEYS or json_value_problem(value) is not None:
                reserved.append(key)
            else:
                kept[key] = value
        drop_metadata(
            self.report,
            "item",
            reserved,
            reason="a key LabelMe reserves, or a value a JSON key cannot hold",
            where=where,
        )
        return kept


def write_labelme(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as a folder of LabelMe files at ``dst`` (which must not exist)."""
    dst.mkdir(parents=False)
    writer = _LabelmeWriter(dst, dataset.header, options, report)
    for item in dataset.items:
        writer.write_item(item)
    report.dropped_scenes(dataset.scenes, reason="LabelMe has no scenes")
    count_header(dataset.header, writer.labels, report)
    writer.summary.files.extend(sorted(p.name for p in dst.iterdir()))
    return writer.summary
