"""Writing COCO panoptic: one JSON and one RGB PNG per image (writer option ``task=panoptic``,
or ``auto`` for a dataset read from a COCO panoptic file).

Layout: see :mod:`.panoptic_layout` (``DST/<name>.json`` and ``DST/<name>/*.png``).

The JSON is COCO panoptic's: ``images`` (as the instances writer makes them: ids, file names,
sizes and metadata kept), ``annotations`` with one record per image
(``{"image_id", "file_name", "segments_info"}``, the PNG's name and its segments), and
``categories`` with ``isthing`` (the category's own, else 1, reported). Each PNG codes a
pixel's segment id as ``R + 256 G + 256^2 B``, 0 being void (see :mod:`.panoptic_pixels`).

What becomes a segment (:mod:`.panoptic_pieces`): every segment of an index-mask segmentation
(Nucleus, VOC, KITTI, the panoptic reader), every instance mask (RLE, decoded with
pycocotools) and every polygon group (rasterised as pycocotools does), painted in annotation
order: where they overlap, the later one keeps the pixel and the pixels lost are counted in the
loss report; one covered whole is left out and counted. How ids, areas and boxes are chosen:
:mod:`.panoptic_segments`. An image without any segment gets a record with an empty
``segments_info`` and an all-void PNG (as COCO panoptic lists every image); an image whose size
is unknown (no width and height, no readable file, no mask) gets no record and is counted.
Boxes, keypoints, image labels and the other kinds have no place and are counted as dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from nucleus_convert.converters.coco.carries import PANOPTIC_CARRIES, count_header
from nucleus_convert.converters.coco.panoptic_layout import (
    PngNames,
    derived_png_name,
    panoptic_paths,
)
from nucleus_convert.converters.coco.panoptic_pieces import Pieces, Size
from nucleus_convert.converters.coco.panoptic_pixels import encode_rgb_png, paint, segment_boxes
from nucleus_convert.converters.coco.panoptic_segments import Painted, segments_info
from nucleus_convert.converters.coco.schema import CAPTIONS_KEY
from nucleus_convert.converters.coco.write import CocoWriter
from nucleus_convert.errors import OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Dataset, Header, Item, PointCloudMedia
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.limits import pixel_limit
from nucleus_convert.toolkit.losses import FieldLedger
from nucleus_convert.toolkit.paths import confined

__all__ = ["PanopticWriter", "write_panoptic"]

_NOT_AN_IMAGE = "a COCO image cannot hold a point cloud: the item and its annotations are left out"
_RECORD_KEYS = frozenset({"image_id", "file_name", "segments_info"})


class PanopticWriter:
    """Collects the panoptic JSON's records item by item, writing each image's PNG under
    ``png_root`` as it goes; :meth:`finish` writes the JSON. Image and category records,
    and their ids, are the instances writer's (:class:`~.write.CocoWriter`)."""

    def __init__(self, options: Mapping[str, Any], report: LossReport, png_root: Path) -> None:
        self.report = report
        self.ledger = FieldLedger(report, PANOPTIC_CARRIES)
        self.base = CocoWriter(options, report)
        self.predictions = options.get("content") == "predictions"
        self.png_root = png_root
        self.names = PngNames()
        self.images: list[dict[str, Any]] = []
        self.records: list[dict[str, Any]] = []
        self.unsized: list[str] = []
        self.summary = WriteSummary()

    def declare(self, header: Header, only: set[str] | None = None) -> None:
        """Claim the header's categories before any item (see :meth:`CocoWriter.declare`)."""
        self.base.declare(header, only)

    def write_item(self, item: Item) -> None:
        """Add the item's image record and, when its size is known, its panoptic record and
        PNG; a point-cloud item is counted as dropped with its annotations."""
        where = f"item {item.reference_id!r}"
        if isinstance(item.media, PointCloudMedia):
            self.ledger.drop(item, where, _NOT_AN_IMAGE)
            for ann in item.annotations:
                self.report.dropped(ann.kind, reason=_NOT_AN_IMAGE, example=where)
            return
        self.ledger.fields(item, where)
        image = self.base.image_record(item)
        self.images.append(image)
        self.summary.add("images")
        if item.metadata.get(CAPTIONS_KEY):
            self.report.dropped(
                "item",
                f"metadata.{CAPTIONS_KEY}",
                reason="a COCO panoptic file holds no captions",
                example=where,
            )
        known = _known_size(image, where)
        pieces = Pieces(where, known, self.predictions, self.ledger, self.report).add(item)
        if pieces.size is None:
            self.unsized.append(item.reference_id)
            for piece in pieces.pieces:
                self.report.dropped(
                    piece.kind,
                    reason="the image's size is unknown: nothing to rasterise into",
                    example=piece.where,
                )
            return
        if known is None:  # the masks gave it
            image["width"], image["height"] = pieces.size[1], pieces.size[0]
        self.records.append(self._record(item, image, pieces, where))

    def _record(
        self, item: Item, image: dict[str, Any], pieces: Pieces, where: str
    ) -> dict[str, Any]:
        """Paint the item's PNG, write it, and return its panoptic record."""
        assert pieces.size is not None
        canvas, painted = _paint(pieces, pieces.size, where)
        categories = [self.base.category(p.label) for p in pieces.pieces]
        infos, ids = segments_info(pieces.pieces, categories, painted, self.report)
        lut = np.zeros(len(ids) + 1, dtype=np.uint32)
        lut[1:] = ids
        wanted = pieces.record_extra.get("file_name")
        wanted = wanted if isinstance(wanted, str) else None
        name = self.names.name([wanted, derived_png_name(image["file_name"])], item.reference_id)
        if wanted is not None and name != wanted:
            self.report.approximated(
                "segmentation",
                "extra.coco_panoptic",
                reason="the PNG name the source gave is unsafe or taken: another was given",
                example=f"{where}: {wanted[:60]!r} became {name!r}",
            )
        path = confined(self.png_root, name, record=where)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode_rgb_png(lut[canvas]))
        self.summary.add("segments", len(infos))
        record: dict[str, Any] = {"image_id": image, "file_name": name, "segments_info": infos}
        record.update((k, v) for k, v in pieces.record_extra.items() if k not in _RECORD_KEYS)
        self._count_read_back(pieces, image, record, where)
        return record

    def _count_read_back(
        self, pieces: Pieces, image: dict[str, Any], record: dict[str, Any], where: str
    ) -> None:
        """Count what the reader gives back otherwise of each segmentation: its id
        (``panoptic-<image id>``) and its extra (the record's own keys)."""
        expected = f"panoptic-{image['id']}" if "id" in image else None
        again = {k: v for k, v in record.items() if k not in ("image_id", "segments_info")}
        for ann in pieces.segmentations:
            if ann.id is not None and ann.id != expected:
                self.report.dropped(
                    "segmentation",
                    "id",
                    reason="a COCO panoptic record has no id: read back as panoptic-<image id>",
                    example=f"{where}: {ann.id[:60]!r}",
                )
            if ann.extra.get("coco_panoptic") != again:
                self.report.approximated(
                    "segmentation",
                    "extra",
                    reason="read back with the keys of its panoptic record as "
                    "extra['coco_panoptic'] (the PNG's file_name...), which the source did not "
                    "hold as written",
                    example=where,
                )

    # ------------------------------------------------------------------ output

    def finish(self, json_path: Path, header: Header) -> WriteSummary:
        """Give every record its final ids and write the JSON at ``json_path``."""
        self.base.image_ids.assign()
        self.base.category_ids.assign()
        for record in self.records:
            record["image_id"] = record["image_id"]["id"]
            for entry in record["segments_info"]:
                entry["category_id"] = entry["category_id"]["id"]
        if self.unsized:
            self.report.dropped(
                "item",
                "media.size",
                n=len(self.unsized),
                reason="image width/height unknown (not in the source, no mask, file not "
                "readable here): no panoptic PNG or record for it",
                example=f"item {self.unsized[0]!r}",
            )
        json_path.write_bytes(orjson.dumps(self._document(header)))
        self.summary.add("annotations", len(self.records))
        self.summary.files = [json_path.name, f"{self.png_root.name}/"]
        return self.summary

    def _document(self, header: Header) -> dict[str, Any]:
        coco = header.extra.get("coco")
        coco = coco if isinstance(coco, dict) else {}
        out: dict[str, Any] = {
            "info": coco.get("info", {"description": "written by nucleus-convert"}),
            "licenses": coco.get("licenses", []),
            "images": self.images,
            "annotations": self.records,
            "categories": self._categories(),
        }
        top = coco.get("top_level")
        if isinstance(top, dict):
            out.update((k, v) for k, v in top.items() if k not in out)
        return out

    def _categories(self) -> list[dict[str, Any]]:
        """The category records, each with ``isthing`` (1 where the source did not say)."""
        out, guessed = [], []
        for name, rec in self.base.categories.items():
            if "isthing" not in rec:
                rec = {**rec, "isthing": 1}
                guessed.append(name)
            out.append(rec)
        if guessed:
            self.report.approximated(
                "header",
                "categories.isthing",
                n=len(guessed),
                reason="COCO panoptic categories say whether they are things; the source did "
                "not: written as 1 (thing)",
                example=", ".join(guessed[:5]),
            )
        return out


def _known_size(image: dict[str, Any], where: str) -> Size | None:
    """The ``(height, width)`` of an image record, or None when it has none."""
    if "width" not in image:
        return None
    height, width = image["height"], image["width"]
    if type(height) is not int or type(width) is not int:
        raise OutputError(
            f"{where}: field media: width and height must be integers, got {width!r} x {height!r}"
        )
    return height, width


def _paint(pieces: Pieces, size: Size, where: str) -> tuple[np.ndarray[Any, Any], Painted]:
    """Paint the item's layers, in order, into one canvas of piece numbers."""
    height, width = size
    if height * width == 0 or height * width > pixel_limit():
        raise OutputError(
            f"{where}: field media: a panoptic PNG of {width}x{height} pixels cannot be "
            f"written (1 to {pixel_limit()} pixels)"
        )
    n = len(pieces.pieces)
    canvas = np.zeros(size, dtype=np.uint32)
    own = np.zeros(n + 1, dtype=np.int64)
    covered = np.zeros(n + 1, dtype=np.int64)
    for layer in pieces.layers:
        pixels = layer.pixels(size)
        own += np.bincount(pixels.ravel(), minlength=n + 1)[: n + 1]
        paint(canvas, pixels, covered)
    areas, boxes = segment_boxes(canvas, n)
    return canvas, Painted(areas, boxes, own.tolist(), covered.tolist())


def write_panoptic(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as a COCO panoptic folder at ``dst`` (see the module docstring)."""
    json_path, png_root = panoptic_paths(dst)
    png_root.mkdir(parents=True)
    writer = PanopticWriter(options, report, png_root)
    writer.declare(dataset.header)
    for item in dataset.items:
        writer.write_item(item)
    report.dropped_scenes(dataset.scenes, reason="COCO has no scenes")
    count_header(dataset.header, report, PANOPTIC_CARRIES)
    return writer.finish(json_path, dataset.header)
