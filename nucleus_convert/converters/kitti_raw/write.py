"""Writing KITTI raw drives: ``tracklet_labels.xml``, velodyne scans, images, calibration.

See :mod:`nucleus_convert.converters.kitti_raw` for the layout and the mapping; this module is
the inverse of :mod:`nucleus_convert.converters.kitti_raw.read`. Items stream: each scan and
image is written when its item arrives, cuboids (small) are kept until the end, when each
drive's tracklets and calibration are written.

The tracklets are built by :mod:`.write_tracks`, the calibration by :mod:`.write_calib`. What
KITTI raw keeps of each record is declared once (:mod:`.carries`); the rest is counted per
``(kind, field)``. Every path is built from the drive's file-safe name
(:class:`~nucleus_convert.toolkit.files.SafeNames` of the scene's reference id) and checked by
:func:`~nucleus_convert.toolkit.paths.confined`; images are placed by
:func:`~nucleus_convert.toolkit.images.place_image`.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nucleus_convert.converters.kitti_raw.carries import (
    CARRIES,
    HANDLED_CUBOID,
    HANDLED_HEADER,
    HANDLED_ITEM,
    HANDLED_SCENE,
    NO_PLACE,
)
from nucleus_convert.converters.kitti_raw.schema import (
    CALIB_CAM,
    CALIB_KEY,
    CALIB_VELO,
    FRAME_KEY,
    IMAGE_SUFFIXES,
    LIDAR_SENSOR,
    TRACKLETS,
    VELODYNE,
    camera_ref,
    lidar_ref,
)
from nucleus_convert.converters.kitti_raw.tracklets import format_tracklets
from nucleus_convert.converters.kitti_raw.write_calib import (
    CALIB_FILES,
    CameraHistory,
    calibration_text,
    source_agrees,
)
from nucleus_convert.converters.kitti_raw.write_tracks import POSE_DEFAULTS, TrackletBuilder
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.geometry.pointcloud_files import write_bin, write_pcd
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Cuboid,
    Dataset,
    Frame,
    Header,
    ImageMedia,
    Item,
    PointCloudMedia,
    Scene,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import SafeNames, is_remote
from nucleus_convert.toolkit.images import place_image
from nucleus_convert.toolkit.losses import FieldLedger, drop_bare_categories
from nucleus_convert.toolkit.paths import confined

__all__ = ["POSE_DEFAULTS", "write_kitti_raw"]

_CAMERA_SENSOR = re.compile(r"image_0([0-3])")


@dataclass(slots=True)
class _Drive:
    scene: Scene
    name: str
    folder: Path
    frames: int
    lidar: dict[int, Item] = field(default_factory=dict)
    """frame index -> the lidar item (points dropped once written)"""
    frame_meta: dict[int, Any] = field(default_factory=dict)
    cameras: dict[str, int] = field(default_factory=dict)
    """sensor -> camera number"""
    reserved: set[int] = field(default_factory=set)
    images: list[tuple[int, int, Path, str]] = field(default_factory=list)
    """(camera, frame index, written file, item reference)"""
    renamed: set[str] = field(default_factory=set)
    """sensor names the written drive will not read back"""
    camera_params: CameraHistory = field(default_factory=dict)
    cuboids: list[tuple[int, Cuboid, str]] = field(default_factory=list)
    """(frame index, cuboid, item reference)"""
    calib_sources: list[dict[str, str]] = field(default_factory=list)
    scan_suffix: str = ".bin"

    def path(self, *parts: str) -> Path:
        """``<drive>/<parts...>``, confined under the destination."""
        rel = "/".join((self.name, *parts))
        return confined(self.folder.parent, rel, record=f"scene {self.scene.reference_id!r}")

    def take_calibration(self, item: Item) -> None:
        """Remember the calibration files the item was read with (strings only)."""
        calib = item.extra.get(CALIB_KEY)
        if isinstance(calib, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in calib.items()
        ):
            self.calib_sources.append(calib)


def _other_extras(item: Item) -> list[str]:
    return sorted(k for k in item.extra if k != CALIB_KEY)


class _Writer:
    def __init__(self, dst: Path, options: Mapping[str, Any], report: LossReport) -> None:
        self.dst = dst
        self.report = report
        self.ledger = FieldLedger(report, CARRIES)
        self.scan_format = str(options.get("velodyne") or "bin")
        self.images = str(options.get("images") or "none")
        self.tracks = TrackletBuilder(report, cvat=str(options.get("attributes")) == "cvat")
        self.summary = WriteSummary()
        self.names = SafeNames()
        self.drives: list[_Drive] = []
        self.slots: dict[str, list[tuple[_Drive, int, str]]] = {}

    # -- planning

    def add_drive(self, scene: Scene) -> _Drive:
        where = f"scene {scene.reference_id!r}"
        name = self.names.name(scene.reference_id, "")
        if name != scene.reference_id:
            self.report.approximated(
                "scene",
                "reference_id",
                reason="a drive's folder name is its scene's reference id, made file-safe",
                example=scene.reference_id,
            )
        folder = confined(self.dst, name, record=where)
        drive = _Drive(scene=scene, name=name, folder=folder, frames=len(scene.frames))
        drive.path(*VELODYNE).mkdir(parents=True)
        drive.scan_suffix = f".{self.scan_format}"
        for sensors in (f.sensors for f in scene.frames):
            for sensor in sensors:
                match = _CAMERA_SENSOR.fullmatch(sensor)
                if match is not None:
                    drive.reserved.add(int(match.group(1)))
        for i, frame in enumerate(scene.frames):
            for sensor, ref in frame.sensors.items():
                self.slots.setdefault(ref, []).append((drive, i, sensor))
        self.ledger.fields(scene, scene.reference_id, handled=HANDLED_SCENE)
        for ann in scene.annotations:
            self.ledger.drop(ann, scene.reference_id, "kitti_raw has no scene-level labels")
        self.drives.append(drive)
        self.summary.add("drives")
        return drive

    # -- items

    def take(self, item: Item) -> None:
        slots = self.slots.pop(item.reference_id, None)
        where = f"item {item.reference_id!r}"
        if slots is None:
            if not isinstance(item.media, PointCloudMedia):
                self._drop_item(item, "kitti_raw holds only the items of drives (scenes)")
                return
            scene = Scene(item.reference_id, frames=[Frame({LIDAR_SENSOR: item.reference_id})])
            drive = self.add_drive(scene)
            self.report.approximated(
                "scene",
                reason="a point cloud outside a scene became a one-frame drive",
                example=where,
            )
            slots = [(drive, 0, LIDAR_SENSOR)]
            self.slots.pop(item.reference_id, None)
        drive, index, sensor = slots[0]
        for other in slots[1:]:
            self.report.dropped(
                "scene",
                "frames",
                reason="an item in several frames is written in its first only",
                example=f"{where} (scene {other[0].scene.reference_id!r}, frame {other[1]})",
            )
        if isinstance(item.media, PointCloudMedia):
            self._take_scan(drive, index, sensor, item, where)
        elif isinstance(item.media, ImageMedia):
            self._take_image(drive, index, sensor, item, where)
        else:
            self._drop_item(item, "an item without media has nothing to write")

    def _drop_item(self, item: Item, reason: str) -> None:
        where = f"item {item.reference_id!r}"
        self.report.dropped("item", reason=reason, example=where)
        for ann in item.annotations:
            self.ledger.drop(ann, where, "its item was not written")

    def _item_fields(self, item: Item, where: str) -> None:
        """Count the item fields no drive file holds (extras but the calibration files)."""
        self.ledger.fields(item, where, handled=HANDLED_ITEM)
        others = _other_extras(item)
        if others:
            self.report.dropped(
                "item", "extra", reason=f"{NO_PLACE} ({', '.join(others)})", example=where
            )

    def _take_scan(self, drive: _Drive, index: int, sensor: str, item: Item, where: str) -> None:
        assert isinstance(item.media, PointCloudMedia)
        if sensor != LIDAR_SENSOR:
            drive.renamed.add(sensor)
        if index in drive.lidar:
            self._drop_item(item, "a drive frame holds one velodyne scan; a second one is dropped")
            return
        points = _load_points(item.media, where)
        target = drive.path(*VELODYNE, f"{index:010d}{drive.scan_suffix}")
        if self.scan_format == "pcd":
            write_pcd(points, target)
        else:
            write_bin(points, target)
        self.summary.add("scans")
        drive.lidar[index] = Item(item.reference_id, metadata=dict(item.metadata))
        drive.frame_meta[index] = item.metadata.get(FRAME_KEY)
        drive.take_calibration(item)
        self._item_fields(item, where)
        others = sorted(k for k in item.metadata if k != FRAME_KEY)
        if others:
            self.report.dropped(
                "item", "metadata", reason=f"{NO_PLACE} ({', '.join(others)})", example=where
            )
        if item.camera is not None:
            self.report.dropped(
                "item", "camera", reason="a velodyne scan has no camera", example=where
            )
        for ann in item.annotations:
            self._take_annotation(drive, index, ann, item.reference_id, where)

    def _take_annotation(self, drive: _Drive, index: int, ann: Any, ref: str, where: str) -> None:
        if not self.ledger.take(ann, where):
            return
        assert isinstance(ann, Cuboid), "CARRIES declares cuboids only"
        if ann.prediction:
            self.report.dropped(
                "cuboid", reason="predictions: a tracklet has no score", example=where
            )
            return
        self.ledger.fields(ann, where, handled=HANDLED_CUBOID)
        drive.cuboids.append((index, ann, ref))

    def _camera_number(self, drive: _Drive, sensor: str) -> int | None:
        if sensor in drive.cameras:
            return drive.cameras[sensor]
        match = _CAMERA_SENSOR.fullmatch(sensor)
        if match is not None:
            number: int | None = int(match.group(1))
        else:
            taken = drive.reserved | set(drive.cameras.values())
            number = next((k for k in range(4) if k not in taken), None)
        if number is not None:
            drive.cameras[sensor] = number
        return number

    def _take_image(self, drive: _Drive, index: int, sensor: str, item: Item, where: str) -> None:
        assert isinstance(item.media, ImageMedia)
        for ann in item.annotations:
            self.ledger.drop(ann, where, "kitti_raw keeps no labels on camera images")
        if item.metadata:
            self.report.dropped("item", "metadata", reason=NO_PLACE, example=where)
        if self.images != "copy":
            self.report.dropped(
                "item", reason="camera images not copied (images=none)", example=where
            )
            return
        self._item_fields(item, where)
        camera = self._camera_number(drive, sensor)
        target, reason = self._image_target(drive, camera, index, item.media.path)
        if target is not None:
            reason = place_image(item.media.path, target, "copy")
        if reason is not None or target is None or camera is None:
            self.report.dropped("item", reason=reason, example=where)
            return
        self.summary.add("images")
        drive.images.append((camera, index, target, item.reference_id))
        if sensor != f"image_{camera:02d}":
            drive.renamed.add(sensor)
        if item.camera is not None:
            drive.camera_params.setdefault(camera, []).append((index, item.camera))
        drive.take_calibration(item)

    @staticmethod
    def _image_target(
        drive: _Drive, camera: int | None, index: int, source: str
    ) -> tuple[Path | None, str | None]:
        """``image_0k/data/<frame>.<ext>`` for the image, or why it has no place."""
        suffix = Path(source).suffix.lower()
        if camera is None:
            return None, "a drive has at most four cameras (image_00..image_03)"
        if is_remote(source):
            return None, "the image is not a local file"
        if suffix not in IMAGE_SUFFIXES:
            return None, (
                f"KITTI raw images are {', '.join(IMAGE_SUFFIXES)}, not {suffix or 'none'}"
            )
        return drive.path(f"image_{camera:02d}", "data", f"{index:010d}{suffix}"), None

    # -- drives

    def finish(self, dataset: Dataset) -> None:
        for ref, slots in self.slots.items():
            drive, index, _ = slots[0]
            raise OutputError(
                f"scene {drive.scene.reference_id!r}, frame {index}: item {ref!r} is not in the "
                "dataset"
            )
        for drive in self.drives:
            missing = [i for i in range(drive.frames) if i not in drive.lidar]
            if missing:
                raise OutputError(
                    f"scene {drive.scene.reference_id!r}, frame {missing[0]}: no point cloud; "
                    "a KITTI raw frame is a velodyne scan"
                )
            start = self._renumber(drive)
            if drive.renamed:
                self.report.approximated(
                    "scene",
                    "frames",
                    reason=f"sensors are named {LIDAR_SENSOR} and image_00..image_03",
                    example=f"{drive.scene.reference_id}: {', '.join(sorted(drive.renamed))}",
                )
            self._write_tracklets(drive, start)
            self._write_calibration(drive)
        self._header(dataset.header)

    def _header(self, header: Header) -> None:
        """Count the header fields kitti_raw has no place for; categories come back only as
        the tracklets' ``objectType`` labels, as bare names."""
        drop_bare_categories(
            self.report,
            header,
            self.tracks.used_labels,
            "kitti_raw declares no labels beyond its tracklets' objectType (and no ids, "
            "supercategories or attributes)",
        )
        for what, present in (
            ("skeletons", header.skeletons),
            ("taxonomies", header.taxonomies),
        ):
            if present:
                self.report.dropped("header", what, n=len(present), reason=NO_PLACE)
        self.ledger.fields(header, "header", handled=HANDLED_HEADER)

    def _frame_start(self, drive: _Drive) -> int:
        """The drive's first frame number: its items' ``frame`` metadata when they count up
        from it, else 0 (frames numbered otherwise are counted as approximated)."""
        values = [drive.frame_meta.get(i) for i in range(drive.frames)]
        start = 0
        first = values[0] if values else None
        counting = isinstance(first, int) and first >= 0
        if counting and values == list(range(int(first or 0), int(first or 0) + drive.frames)):
            start = int(first or 0)
        given = sum(1 for i, v in enumerate(values) if v is not None and v != start + i)
        if given:
            self.report.approximated(
                "item",
                f"metadata.{FRAME_KEY}",
                n=given,
                reason="frames are numbered by their position in the scene",
                example=drive.scene.reference_id,
            )
        return start

    def _renumber(self, drive: _Drive) -> int:
        """The drive's first frame number, and the files renamed to it."""
        start = self._frame_start(drive)
        if start:
            for i in reversed(range(drive.frames)):
                scan = drive.path(*VELODYNE, f"{i:010d}{drive.scan_suffix}")
                scan.rename(scan.with_name(f"{start + i:010d}{drive.scan_suffix}"))
            for _, index, path, _ in sorted(drive.images, key=lambda x: -x[1]):
                path.rename(path.with_name(f"{start + index:010d}{path.suffix}"))
        refs = [(ref, camera_ref(drive.name, k, start + i)) for k, i, _, ref in drive.images]
        refs += [
            (drive.lidar[i].reference_id, lidar_ref(drive.name, start + i))
            for i in range(drive.frames)
        ]
        for ref, expected in refs:
            if ref != expected:
                self.report.approximated(
                    "item",
                    "reference_id",
                    reason="items are named by drive, sensor and frame number",
                    example=ref,
                )
        return start

    def _write_tracklets(self, drive: _Drive, start: int) -> None:
        tracklets = self.tracks.tracklets(
            drive.cuboids, drive.scene.reference_id, drive.name, start
        )
        data = format_tracklets(tracklets, attributes=self.tracks.cvat)
        drive.path(TRACKLETS).write_bytes(data)
        self.summary.add("tracklets", len(tracklets))
        self.summary.add("poses", sum(len(t.poses) for t in tracklets))

    def _write_calibration(self, drive: _Drive) -> None:
        sources = {tuple(sorted(s.items())) for s in drive.calib_sources}
        params = {k: v for k, v in drive.camera_params.items() if v}
        if len(sources) == 1:
            files = dict(next(iter(sources)))
            if source_agrees(files, params):
                for name in CALIB_FILES:
                    if name in files:
                        shutil.copyfile(files[name], drive.path(name))
                self.summary.add("calibrations")
                return
        if not params:
            return
        cam_to_cam, velo_to_cam, approximated = calibration_text(params)
        drive.path(CALIB_CAM).write_text(cam_to_cam, encoding="utf-8")
        drive.path(CALIB_VELO).write_text(velo_to_cam, encoding="utf-8")
        self.summary.add("calibrations")
        self.report.approximated(
            "item",
            "camera",
            n=sum(len(v) for v in params.values()),
            reason="camera parameters re-expressed as a KITTI calibration (R_rect_00 = I); "
            "they read back equal to rounding (~1e-16)",
            example=drive.scene.reference_id,
        )
        for camera, reason in approximated:
            self.report.approximated(
                "item", "camera", reason=reason, example=f"{drive.name} image_{camera:02d}"
            )


def _load_points(media: PointCloudMedia, where: str) -> Any:
    """The points, from memory or read by :meth:`PointCloudMedia.load`; remote ones refused."""
    if media.points is None and media.path is not None and is_remote(media.path):
        raise OutputError(f"{where}: point cloud {media.path} is remote; download it first")
    try:
        return media.load()
    except (InputError, ValueError) as exc:
        raise OutputError(f"{where}: {exc}") from None


def write_kitti_raw(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as a folder of KITTI raw drives at ``dst`` (one per scene)."""
    dst.mkdir(parents=False)
    writer = _Writer(dst, options, report)
    for scene in dataset.scenes:
        writer.add_drive(scene)
    for item in dataset.items:
        writer.take(item)
    writer.finish(dataset)
    writer.summary.files = sorted(str(p.relative_to(dst)) for p in dst.glob("*/*") if p.is_file())
    return writer.summary
