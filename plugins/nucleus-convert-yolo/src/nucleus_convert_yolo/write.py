"""Writing the model as an Ultralytics YOLO dataset.

Output (``dst`` is created as a folder)::

    data.yaml                    train: images/train, ..., [task], [kpt_shape...], nc, names
    images/<subset>/<ref>.<ext>  the item's image (copied or linked; option ``images``)
    labels/<subset>/<ref>.txt    one line per object; empty for an image without any

Conventions:

* The subset is the item's metadata ``yolo_subset``, else the writer option ``subset``
  (default ``train``). ``train``/``val``/``test`` are Ultralytics' keys; another subset name is
  written as a key of its own (Ultralytics ignores it, this plugin reads it back).
* The task (option ``task``; ``auto`` follows a YOLO source's OBB or pose task):
  :mod:`.tasks`. Class indexes: :mod:`.classes`. Label lines (clipping, exact numbers):
  :mod:`.lines` (detect, segment), :mod:`.obb`, :mod:`.pose`. The YAML: :mod:`.yaml_out`.
  File and subset names: :mod:`.names`; every path is then confined under ``dst``
  (:func:`nucleus_convert.toolkit.confined`).
* Images are placed by :func:`nucleus_convert.toolkit.place_image` (``copy``, ``symlink`` or
  ``none``), from regular local files only; an image that cannot be placed keeps its label file
  and is counted as ``item.media`` dropped. The image size comes from the media, else from the
  local file's header; without one, the item's annotations are counted as dropped.

Everything else is counted in the loss report under the model's kinds and fields, never
dropped in silence (the declaration: :mod:`.carries`): annotation kinds YOLO has no line for,
predictions, annotation ids other than the line number, groups, tracks, attributes, item
metadata (``metadata.<key>``), cameras, non-image items, scenes, category ids,
supercategories, skeletons (outside a pose dataset), taxonomies, header extras, and geometry
clipped to the image.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nucleus_convert import Dataset, ImageMedia, InputError, Item, LossReport, WriteSummary
from nucleus_convert.toolkit import (
    FieldLedger,
    confined,
    drop_metadata,
    metadata_field,
    place_image,
    regular_local_file,
)
from nucleus_convert_yolo.carries import CARRIES
from nucleus_convert_yolo.classes import Classes
from nucleus_convert_yolo.images import image_size, is_image
from nucleus_convert_yolo.lines import LineMaker
from nucleus_convert_yolo.names import OutputNames
from nucleus_convert_yolo.obb import ObbLineMaker
from nucleus_convert_yolo.pose import PoseLineMaker
from nucleus_convert_yolo.read import SUBSET_KEY
from nucleus_convert_yolo.tasks import writing_task
from nucleus_convert_yolo.yaml_out import count_header, data_yaml, yaml_text

__all__ = ["write_yolo"]

_STANDARD_SUBSETS = ("train", "val", "test")
_PLACED = {"copy": "images copied", "symlink": "images linked"}


def _size(media: ImageMedia, local: Path | None) -> tuple[int, int] | None:
    """The image's size: from the media, else from the local file's header, else None."""
    if media.width and media.height:
        return int(media.width), int(media.height)
    if local is not None:
        try:
            return image_size(local)
        except InputError:
            return None
    return None


class _Writer:
    def __init__(self, dst: Path, dataset: Dataset, options: Mapping[str, Any], report: LossReport):
        self.dst = dst
        self.report = report
        self.ledger = FieldLedger(report, CARRIES)
        self.summary = WriteSummary()
        # Options arrive parsed by their declared parsers (nucleus_convert.choice).
        self.images = str(options.get("images") or "copy")
        self.names = OutputNames(report)
        self.default_subset = self.names.subset(str(options.get("subset") or "train"), "option")
        self.subsets: dict[str, None] = {}
        self.header = dataset.header
        self.classes = Classes(dataset.header, report)
        self.task = writing_task(options, dataset.header)
        count_header(dataset.header, self.task, report)
        self.pose: PoseLineMaker | None = None
        self.lines: LineMaker
        if self.task == "pose":
            self.pose = PoseLineMaker(report, self.classes, self.summary, dataset.header)
            self.lines = self.pose
        elif self.task == "obb":
            self.lines = ObbLineMaker(report, self.classes, self.task, self.summary)
        else:
            self.lines = LineMaker(report, self.classes, self.task, self.summary)

    def write_item(self, item: Item) -> None:
        where = f"item {item.reference_id!r}"
        media = item.media
        if not isinstance(media, ImageMedia):
            self.ledger.drop(item, where, "YOLO labels images only (a point cloud or no media)")
            self.lines.drop_all(item.annotations, "its item is not an image", where)
            return
        self.ledger.fields(item, where, handled=("metadata",))
        drop_metadata(
            self.report,
            "item",
            (k for k in item.metadata if k != SUBSET_KEY),
            reason="YOLO has no per-image metadata (only the subset)",
            where=where,
        )
        subset = self._subset(item, where)
        rel = self.names.relative(item.reference_id, subset, where)
        local = regular_local_file(media.path)
        size = _size(media, local)
        lines: list[str] = []
        if size is None:
            self.lines.drop_all(
                item.annotations,
                "no image size (not in the source, image not readable here)",
                where,
            )
        else:
            lines = self.lines.lines(item.annotations, size, where)
        label = confined(self.dst, f"labels/{subset}/{rel}.txt", record=where)
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        self.summary.add("label files")
        self._image(media, subset, rel, where)

    def _subset(self, item: Item, where: str) -> str:
        raw = item.metadata.get(SUBSET_KEY)
        if isinstance(raw, str) and raw:
            subset = self.names.subset(raw, where)
        else:
            subset = self.default_subset
            # Reading the output back gives the item this subset: say so.
            self.report.approximated(
                "item",
                metadata_field(SUBSET_KEY),
                reason=f"the item names no subset: written to {subset!r} (writer option subset)",
                example=where,
            )
        self.subsets.setdefault(subset, None)
        return subset

    def _image(self, media: ImageMedia, subset: str, rel: str, where: str) -> None:
        source = Path(media.path)
        suffix = source.suffix if is_image(source) else ".jpg"
        image = confined(self.dst, f"images/{subset}/{rel}{suffix}", record=where)
        image.parent.mkdir(parents=True, exist_ok=True)
        problem = place_image(media.path, image, self.images)
        if problem is not None:
            self.report.dropped(
                "item",
                "media",
                reason=f"{problem}: its label file is written, the image is not",
                example=where,
            )
        elif self.images in _PLACED:
            self.summary.add(_PLACED[self.images])

    def finish(self, dataset: Dataset) -> None:
        self.report.dropped_scenes(dataset.scenes, reason=CARRIES.reason("scene", "*"))
        if not self.subsets:
            self.subsets[self.default_subset] = None
        ordered = [s for s in _STANDARD_SUBSETS if s in self.subsets]
        ordered += [s for s in self.subsets if s not in _STANDARD_SUBSETS]
        for subset in ordered:
            for top in ("images", "labels"):
                confined(self.dst, f"{top}/{subset}").mkdir(parents=True, exist_ok=True)
        data = data_yaml(ordered, self.classes, self.task, self.header, self.pose, self.report)
        (self.dst / "data.yaml").write_text(yaml_text(data), encoding="utf-8")
        self.summary.files.extend(["data.yaml", "images", "labels"])


def write_yolo(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as an Ultralytics YOLO dataset in the new folder ``dst``."""
    writer = _Writer(dst, dataset, options, report)
    dst.mkdir(parents=False)
    for item in dataset.items:
        writer.write_item(item)
    writer.finish(dataset)
    return writer.summary
