"""Writing the ``pointcloud`` format: a folder of ``.pcd``, ``.bin`` or ``.ply`` files.

Conventions assumed:

* **One file per point cloud item**, from any dataset (a Nucleus bundle read back, a KITTI
  tree...). Its path is the item's reference id plus the suffix (``drive_01/0000000042`` gives
  ``drive_01/0000000042.pcd``), so the ``pointcloud`` reader gives the same reference ids back.
  An id that cannot be a relative path (empty parts, ``..``, a part starting with ``.``, a
  backslash, a colon or a control character, a part over 200 characters, or one that clashes
  with another id's file on a case-insensitive disk) gets a flat, sanitised name with a short
  hash instead, reported as ``item.reference_id`` approximated. Every path is then checked by
  :func:`~nucleus_convert.toolkit.paths.confined`: nothing is written outside the folder.
* **File type** (write option ``file_type``): ``pcd`` (default; binary, or ascii with
  ``ascii=true``), ``ply`` (binary little-endian or ascii) or ``bin`` (KITTI velodyne layout:
  little-endian float32 x, y, z, reflectance). Every file holds float32 x, y, z, intensity, so
  coordinates are written bit-exact.
* **Intensity** (write option ``intensity``). The model keeps it in 0..1. With ``source``
  (default), an item whose metadata says ``intensity_scale: 255`` (what the reader records
  when it divided a 0..255 source by 255) is written back in 0..255, in the range the source
  file had, so that tools expecting 0..255 intensities keep working after a trip through
  Nucleus. This is done only when it reads back exact: multiplying by 255 and dividing again
  must give every float32 bit back, and the largest value must exceed 1 (else the reader would
  take the file as 0..1); otherwise the intensity is written in 0..1 and the metadata counts
  as dropped. Intensities that came from integer or float32 source values always pass
  (:func:`restore_intensity`); only 0..1 values no float32 0..255 value maps to can fail.
  ``unit`` writes 0..1 always (what Nucleus stores).
* **Everything else is counted in the loss report, never dropped in silence**: items that are
  not point clouds (images, items without media) or whose cloud is remote, annotations of
  every kind (with their items), camera parameters, item metadata (except the intensity keys
  the reader gives back for the written file), item extras, scenes, and the header's
  categories, skeletons, taxonomies and extras. What a file keeps is declared once
  (:data:`CARRIES`); rows name model kinds and fields (an annotation kind under ``*``,
  ``item.camera``, ``item.extra``, ``header.extra``...). A scene is not a loss when it is
  exactly the scene the reader makes for one file under its default ``scene=each``: one
  frame, sensor ``lidar``, reference id ``<item id>-scene``, no metadata or annotations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from hashlib import sha1
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.converters.pointcloud.schema import LIDAR_SENSOR, scene_id_for
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.geometry.intensity import INTENSITY_SCALE_KEY, intensity_metadata
from nucleus_convert.geometry.pointcloud_files import write_bin, write_pcd, write_ply
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Dataset, Header, ImageMedia, Item, PointCloudMedia, Scene
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import is_remote
from nucleus_convert.toolkit.losses import Carries, FieldLedger
from nucleus_convert.toolkit.paths import confined

__all__ = ["FILE_TYPES", "INTENSITY_MODES", "restore_intensity", "write_pointcloud"]

FILE_TYPES = ("pcd", "bin", "ply")
INTENSITY_MODES = ("source", "unit")
_MAX_PART = 200
_BAD_PART = re.compile(r"[\\:\x00-\x1f\x7f]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_SCALE = 255.0

CARRIES = Carries.of(
    "pointcloud",
    {"item": {"media"}, "header": set()},
    reasons={
        ("item", "camera"): "point cloud files carry no camera",
        ("item", "extra"): "point cloud files carry no item extras",
        ("header", "extra"): "point cloud files carry no dataset-level fields",
    },
    no_kind_reason="point cloud files carry no annotations",
)
"""What a point cloud file keeps: the item's points (and its reference id as the file's path,
the intensity scale in the file's values). Every annotation kind is dropped whole."""
_HANDLED_ITEM = frozenset({"reference_id", "metadata", "annotations"})
_HANDLED_HEADER = frozenset({"categories", "skeletons", "taxonomies"})


def _reads_back(restored: npt.NDArray[np.float32], inten: npt.NDArray[np.float32]) -> Any:
    """Where the reader's division by 255 of ``restored`` gives ``inten`` bit for bit."""
    back = (restored.astype(np.float64) / _SCALE).astype(np.float32)
    return back.view(np.uint32) == inten.view(np.uint32)


def restore_intensity(
    points: npt.NDArray[np.float32],
) -> npt.NDArray[np.float32] | None:
    """``points`` with intensity multiplied back to 0..255, or None when that would not read
    back bit-exact through the reader's division by 255 (or would read as 0..1).

    Each value is ``x * 255`` rounded to float32, or one of its float32 neighbours where that
    is the one that reads back: so every intensity that came from a float32 (or integer) source
    value ``v`` gets a value that reads back (``v`` itself is within one float32 step of
    ``x * 255``). Values in 0..1 that no float32 0..255 value reaches are the refusals.
    """
    if points.ndim != 2 or points.shape[1] != 4 or points.shape[0] == 0:
        return None
    inten = np.ascontiguousarray(points[:, 3], dtype=np.float32)
    restored = (inten.astype(np.float64) * _SCALE).astype(np.float32)
    ok = _reads_back(restored, inten)
    if not ok.all():
        for step in (np.float32(np.inf), np.float32(-np.inf)):
            near = np.nextafter(restored, step)
            fix = ~ok & _reads_back(near, inten)
            restored[fix] = near[fix]
            ok |= fix
        if not ok.all():
            return None
    if not (restored.min() >= 0 and 1 < restored.max() <= _SCALE):
        return None
    out = points.astype(np.float32, copy=True)
    out[:, 3] = restored
    return out


def _safe_relpath(ref: str) -> bool:
    parts = ref.split("/")
    return all(
        part and not part.startswith(".") and len(part) <= _MAX_PART and not _BAD_PART.search(part)
        for part in parts
    )


class FolderWriter:
    def __init__(self, dst: Path, options: Mapping[str, Any], report: LossReport) -> None:
        self.dst = dst
        self.report = report
        self.ledger = FieldLedger(report, CARRIES)
        self.file_type: str = options.get("file_type") or "pcd"
        self.ascii = bool(options.get("ascii"))
        self.intensity: str = options.get("intensity") or "source"
        if self.ascii and self.file_type == "bin":
            raise OutputError("a .bin file has no ascii form: drop ascii=true or pick pcd or ply")
        self.suffix = "." + self.file_type
        self.source_field = "reflectance" if self.file_type == "bin" else "intensity"
        self.summary = WriteSummary()
        # Written files and their folders, lower-cased (case-insensitive disks).
        self.taken: set[str] = set()
        self.folders: set[str] = set()
        self.written: set[str] = set()
        self.seen: set[str] = set()
        self.top: set[str] = set()

    # -- files

    def _free(self, rel: str) -> bool:
        """True when ``rel`` clashes with no file or folder written so far (in any case)."""
        key = rel.lower()
        if key in self.taken or key in self.folders:
            return False
        parents = key.split("/")[:-1]
        return not any("/".join(parents[: k + 1]) in self.taken for k in range(len(parents)))

    def _relpath(self, ref: str, where: str) -> str:
        rel = ref + self.suffix
        if _safe_relpath(ref) and self._free(rel):
            return self._take(rel)
        stem = _UNSAFE.sub("_", ref)[:120].lstrip(".") or "item"
        digest = sha1(ref.encode("utf-8")).hexdigest()[:8]
        rel = f"{stem}-{digest}{self.suffix}"
        n = 1
        while not self._free(rel):
            n += 1
            rel = f"{stem}-{digest}-{n}{self.suffix}"
        self.report.approximated(
            "item",
            "reference_id",
            reason="the reference id cannot be a relative file path here: the file has a "
            "sanitised name (and the id read back is that name)",
            example=f"{where} -> {rel}",
        )
        return self._take(rel)

    def _take(self, rel: str) -> str:
        key = rel.lower()
        self.taken.add(key)
        parents = key.split("/")[:-1]
        self.folders.update("/".join(parents[: k + 1]) for k in range(len(parents)))
        return rel

    def _writer(self) -> Callable[[npt.NDArray[Any], Path], None]:
        if self.file_type == "bin":
            return write_bin
        binary = not self.ascii
        if self.file_type == "ply":
            return lambda points, path: write_ply(points, path, binary=binary)
        return lambda points, path: write_pcd(points, path, binary=binary)

    # -- items

    def _drop_annotations(self, item: Item, reason: str, where: str) -> None:
        for ann in item.annotations:
            self.ledger.drop(ann, where, reason)

    def write_item(self, item: Item) -> None:
        ref = item.reference_id
        where = f"item {ref!r}"
        if ref in self.seen:
            raise OutputError(f"{where}: reference id appears twice")
        self.seen.add(ref)
        media = item.media
        if not isinstance(media, PointCloudMedia):
            what = "an image" if isinstance(media, ImageMedia) else "no media"
            self.report.dropped(
                "item",
                reason="only point cloud items become files (images and items without media "
                "are not written)",
                example=f"{where} ({what})",
            )
            self._drop_annotations(item, "its item is not a point cloud, so not written", where)
            return
        if media.points is None and media.path is not None and is_remote(media.path):
            self.report.dropped(
                "item",
                reason="remote point cloud: not downloaded",
                example=f"{where} ({media.path})",
            )
            self._drop_annotations(item, "its item's point cloud is remote, not written", where)
            return
        try:
            points = np.asarray(media.load(), dtype=np.float32)
        except InputError as exc:
            raise exc.located(record=where) from None
        except ValueError as exc:  # neither points nor a path
            raise OutputError(f"{where}: {exc}") from None
        expected: dict[str, Any] = {}
        if self.intensity == "source" and item.metadata.get(INTENSITY_SCALE_KEY) == _SCALE:
            restored = restore_intensity(points)
            if restored is not None:
                points = restored
                expected = intensity_metadata(self.source_field, _SCALE)
        rel = self._relpath(ref, where)
        target = confined(self.dst, rel, record=where)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._writer()(points, target)
        except OutputError as exc:
            raise OutputError(f"{where}: {exc}") from None
        except OSError as exc:
            raise OutputError(f"{where}: cannot write {rel}: {exc.strerror or exc}") from None
        self.summary.add("point clouds")
        self.written.add(ref)
        self.top.add(rel.split("/", 1)[0])
        self._report_item_losses(item, expected, where)

    def _report_item_losses(self, item: Item, expected: dict[str, Any], where: str) -> None:
        lost = sorted(k for k, v in item.metadata.items() if k not in expected or expected[k] != v)
        if lost:
            self.report.dropped(
                "item",
                "metadata",
                reason="point cloud files carry no item metadata (only the intensity scale, "
                "given back by the reader)",
                example=f"{where}: {', '.join(lost)}",
            )
        self.ledger.fields(item, where, handled=_HANDLED_ITEM)
        for ann in item.annotations:
            taken = self.ledger.take(ann, where)
            assert not taken, "CARRIES declares no annotation kind"

    # -- scenes and header

    def _reproducible(self, scene: Scene) -> bool:
        """True for the scene the reader makes for one written file under ``scene=each``."""
        if len(scene.frames) != 1 or scene.metadata or scene.annotations:
            return False
        sensors = scene.frames[0].sensors
        ref = sensors.get(LIDAR_SENSOR)
        return (
            len(sensors) == 1
            and ref is not None
            and ref in self.written
            and scene.reference_id == scene_id_for(ref)
        )

    def finish(self, scenes: list[Scene], header: Header) -> WriteSummary:
        dropped = [s for s in scenes if not self._reproducible(s)]
        self.report.dropped_scenes(
            dropped,
            reason="point cloud files carry no scenes (the reader makes one per file, "
            "or one per folder with -r scene=sequence)",
        )
        for what, n in (
            ("categories", len(header.categories)),
            ("skeletons", len(header.skeletons)),
            ("taxonomies", len(header.taxonomies)),
        ):
            self.report.dropped("header", what, n, reason=f"point cloud files carry no {what}")
        self.ledger.fields(header, "header", handled=_HANDLED_HEADER)
        self.summary.files = sorted(self.top)
        return self.summary


def write_pointcloud(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write every point cloud item of ``dataset`` as a file under the new folder ``dst``."""
    writer = FolderWriter(dst, options, report)
    dst.mkdir(parents=False)
    for item in dataset.items:
        writer.write_item(item)
    return writer.finish(dataset.scenes, dataset.header)
