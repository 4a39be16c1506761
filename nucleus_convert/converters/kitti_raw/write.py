"""Writing KITTI raw drives: ``tracklet_labels.xml``, velodyne scans, images, calibration.

See :mod:`nucleus_convert.converters.kitti_raw` for the layout and the mapping; this module is
the inverse of :mod:`nucleus_convert.converters.kitti_raw.read`. Items stream: each scan and
image is written when its item arrives, cuboids (small) are kept until the end, when each
drive's tracklets and calibration are written.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from nucleus_convert.converters.kitti_raw.schema import (
    CALIB_CAM,
    CALIB_IMU,
    CALIB_KEY,
    CALIB_VELO,
    FRAME_KEY,
    IMAGE_SUFFIXES,
    LIDAR_SENSOR,
    TRACKLETS,
    VELODYNE,
    annotation_id,
    camera_ref,
    lidar_ref,
    track_id,
)
from nucleus_convert.converters.kitti_raw.tracklets import (
    FLOAT_FIELDS,
    INT_FIELDS,
    POSE_FIELDS,
    Pose,
    Tracklet,
    format_float,
    format_tracklets,
)
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.geometry.kitti import (
    camera_params,
    matrix_from_quaternion,
    parse_raw_calib,
    wrap_angle,
)
from nucleus_convert.geometry.pointcloud_files import write_bin, write_pcd
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    CameraParams,
    Cuboid,
    Dataset,
    Frame,
    ImageMedia,
    Item,
    PointCloudMedia,
    Scene,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import SafeNames, is_remote

__all__ = ["POSE_DEFAULTS", "write_kitti_raw"]

POSE_DEFAULTS: dict[str, float | int] = {
    "rx": 0.0,
    "ry": 0.0,
    "state": 2,
    "occlusion": -1,
    "occlusion_kf": 0,
    "truncation": -1,
    "amt_occlusion": -1.0,
    "amt_occlusion_kf": -1,
    "amt_border_l": -1.0,
    "amt_border_r": -1.0,
    "amt_border_kf": -1,
}
"""Pose fields a cuboid's attributes do not give: labelled (state 2), occlusion and truncation
unset (-1), no Mechanical Turk labels (-1), no roll or pitch."""

_TRACK_FIELDS = ("finished", "h", "w", "l")
_HINTS = ("tz", "rz")
_CAMERA_SENSOR = re.compile(r"image_0([0-3])")
_NO_DROP = "kitti_raw has no place for it"


def _number(value: Any) -> TypeGuard[int | float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


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
    camera_params: dict[int, list[tuple[int, CameraParams]]] = field(default_factory=dict)
    cuboids: list[tuple[int, Cuboid, str]] = field(default_factory=list)
    """(frame index, cuboid, item reference)"""
    calib_sources: list[dict[str, str]] = field(default_factory=list)
    scan_suffix: str = ".bin"


class _Writer:
    def __init__(self, dst: Path, options: Mapping[str, Any], report: LossReport) -> None:
        self.dst = dst
        self.report = report
        self.scan_format = str(options.get("velodyne") or "bin")
        self.images = str(options.get("images") or "none")
        self.cvat = str(options.get("attributes") or "drop") == "cvat"
        self.summary = WriteSummary()
        self.names = SafeNames()
        self.drives: list[_Drive] = []
        self.slots: dict[str, list[tuple[_Drive, int, str]]] = {}
        self.used_labels: set[str] = set()

    # -- planning

    def add_drive(self, scene: Scene) -> _Drive:
        name = self.names.name(scene.reference_id, "")
        if name != scene.reference_id:
            self.report.approximated(
                "scene",
                "reference_id",
                reason="a drive's folder name is its scene's reference id, made file-safe",
                example=scene.reference_id,
            )
        folder = self.dst / name
        folder.joinpath(*VELODYNE).mkdir(parents=True)
        drive = _Drive(scene=scene, name=name, folder=folder, frames=len(scene.frames))
        drive.scan_suffix = f".{self.scan_format}"
        for sensors in (f.sensors for f in scene.frames):
            for sensor in sensors:
                match = _CAMERA_SENSOR.fullmatch(sensor)
                if match is not None:
                    drive.reserved.add(int(match.group(1)))
        for i, frame in enumerate(scene.frames):
            for sensor, ref in frame.sensors.items():
                self.slots.setdefault(ref, []).append((drive, i, sensor))
        if scene.metadata:
            self.report.dropped("scene", "metadata", reason=_NO_DROP, example=scene.reference_id)
        for ann in scene.annotations:
            self.report.dropped(
                ann.kind, reason="kitti_raw has no scene-level labels", example=scene.reference_id
            )
        self.drives.append(drive)
        self.summary.add("drives")
        return drive

    # -- items

    def take(self, item: Item) -> None:
        slots = self.slots.pop(item.reference_id, None)
        where = f"item {item.reference_id!r}"
        if slots is None:
            if isinstance(item.media, PointCloudMedia):
                scene = Scene(item.reference_id, frames=[Frame({LIDAR_SENSOR: item.reference_id})])
                drive = self.add_drive(scene)
                self.report.approximated(
                    "item",
                    "scene",
                    reason="a point cloud outside a scene became a one-frame drive",
                    example=where,
                )
                slots = [(drive, 0, LIDAR_SENSOR)]
                self.slots.pop(item.reference_id, None)
            else:
                self._drop_item(item, "kitti_raw holds only the items of drives (scenes)")
                return
        drive, index, sensor = slots[0]
        for other in slots[1:]:
            self.report.dropped(
                "item",
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
            self.report.dropped(ann.kind, reason="its item was not written", example=where)

    def _take_scan(self, drive: _Drive, index: int, sensor: str, item: Item, where: str) -> None:
        assert isinstance(item.media, PointCloudMedia)
        if sensor != LIDAR_SENSOR:
            drive.renamed.add(sensor)
        if index in drive.lidar:
            self._drop_item(item, "a drive frame holds one velodyne scan; a second one is dropped")
            return
        points = _load_points(item.media, where)
        target = drive.folder.joinpath(*VELODYNE, f"{index:010d}{drive.scan_suffix}")
        if self.scan_format == "pcd":
            write_pcd(points, target)
        else:
            write_bin(points, target)
        self.summary.add("scans")
        drive.lidar[index] = Item(item.reference_id, metadata=dict(item.metadata))
        drive.frame_meta[index] = item.metadata.get(FRAME_KEY)
        calib = item.extra.get(CALIB_KEY)
        if isinstance(calib, dict):
            drive.calib_sources.append(calib)
        others = sorted(k for k in item.metadata if k != FRAME_KEY)
        if others:
            self.report.dropped(
                "item", "metadata", reason=f"{_NO_DROP} ({', '.join(others)})", example=where
            )
        if item.camera is not None:
            self.report.dropped(
                "item", "camera", reason="a velodyne scan has no camera", example=where
            )
        for ann in item.annotations:
            if not isinstance(ann, Cuboid):
                self.report.dropped(
                    ann.kind, reason="kitti_raw tracklets hold only cuboids", example=where
                )
            elif ann.prediction:
                self.report.dropped(
                    "cuboid",
                    reason="predictions: a tracklet has no score",
                    example=where,
                )
            else:
                drive.cuboids.append((index, ann, item.reference_id))

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
            self.report.dropped(
                ann.kind, reason="kitti_raw keeps no labels on camera images", example=where
            )
        if item.metadata:
            self.report.dropped("item", "metadata", reason=_NO_DROP, example=where)
        if self.images != "copy":
            self.report.dropped(
                "item", reason="camera images not copied (images=none)", example=where
            )
            return
        camera = self._camera_number(drive, sensor)
        source = item.media.path
        suffix = Path(source).suffix.lower()
        if camera is None:
            reason = "a drive has at most four cameras (image_00..image_03)"
        elif is_remote(source) or not Path(source).is_file():
            reason = "the image is not a local file"
        elif suffix not in IMAGE_SUFFIXES:
            reason = f"KITTI raw images are {', '.join(IMAGE_SUFFIXES)}, not {suffix or 'none'}"
        else:
            reason = ""
        if reason or camera is None:
            self.report.dropped("item", reason=reason, example=where)
            return
        folder = drive.folder / f"image_{camera:02d}" / "data"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{index:010d}{suffix}"
        if target.exists():
            self.report.dropped("item", reason="a frame holds one image per camera", example=where)
            return
        shutil.copyfile(source, target)
        self.summary.add("images")
        drive.images.append((camera, index, target, item.reference_id))
        if sensor != f"image_{camera:02d}":
            drive.renamed.add(sensor)
        if item.camera is not None:
            drive.camera_params.setdefault(camera, []).append((index, item.camera))
        calib = item.extra.get(CALIB_KEY)
        if isinstance(calib, dict):
            drive.calib_sources.append(calib)

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
        header = dataset.header
        unused = [c.name for c in header.categories if c.name not in self.used_labels]
        if unused:
            self.report.dropped(
                "header",
                "categories",
                n=len(unused),
                reason="kitti_raw declares no labels beyond its tracklets' objectType",
                example=", ".join(unused[:5]),
            )
        for what, present in (
            ("skeletons", header.skeletons),
            ("taxonomies", header.taxonomies),
        ):
            if present:
                self.report.dropped("header", what, n=len(present), reason=_NO_DROP)

    def _renumber(self, drive: _Drive) -> int:
        """The drive's first frame number (its items' ``frame`` metadata when they count up
        from it), and the files renamed to it."""
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
                FRAME_KEY,
                n=given,
                reason="frames are numbered by their position in the scene",
                example=drive.scene.reference_id,
            )
        if start:
            for i in reversed(range(drive.frames)):
                scan = drive.folder.joinpath(*VELODYNE, f"{i:010d}{drive.scan_suffix}")
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
        tracks: dict[Any, list[tuple[int, Cuboid]]] = {}
        for n, (index, cuboid, _) in enumerate(drive.cuboids):
            key = cuboid.track_id if cuboid.track_id is not None else ("untracked", n)
            tracks.setdefault(key, []).append((index, cuboid))
        prefix = f"{drive.scene.reference_id}/"

        def order(key: Any) -> tuple[int, int, int]:
            members = tracks[key]
            first = min(i for i, _ in members)
            if isinstance(key, str) and key.startswith(prefix) and key[len(prefix) :].isdigit():
                return (0, int(key[len(prefix) :]), first)
            return (1, first, 0)

        segments: list[tuple[Any, list[tuple[int, Cuboid]]]] = []
        for key in sorted(tracks, key=order):
            members = sorted(tracks[key], key=lambda m: m[0])
            current: list[tuple[int, Cuboid]] = []
            for index, cuboid in members:
                if current and (index != current[-1][0] + 1 or cuboid.label != current[0][1].label):
                    segments.append((key, current))
                    current = []
                current.append((index, cuboid))
            if current:
                segments.append((key, current))
        split_keys = [key for key, _ in segments]
        tracklets: list[Tracklet] = []
        for k, (key, members) in enumerate(segments):
            new_track = track_id(drive.name, k)
            if split_keys.count(key) > 1:
                self.report.approximated(
                    "cuboid",
                    "track_id",
                    n=len(members),
                    reason="a track with a gap, a repeated frame or a label change is split "
                    "into several tracklets",
                    example=str(key),
                )
            elif isinstance(key, str) and key != new_track:
                self.report.approximated(
                    "cuboid",
                    "track_id",
                    n=len(members),
                    reason="a tracklet's track id is its drive and index",
                    example=key,
                )
            tracklets.append(self._tracklet(members, new_track, start))
        data = format_tracklets(tracklets, attributes=self.cvat)
        (drive.folder / TRACKLETS).write_bytes(data)
        self.summary.add("tracklets", len(tracklets))
        self.summary.add("poses", sum(len(t.poses) for t in tracklets))

    def _tracklet(self, members: list[tuple[int, Cuboid]], track: str, start: int) -> Tracklet:
        first = members[0][1]
        size = tuple(float(v) for v in first.dimensions)
        signed = []
        for name, value in zip(("l", "w", "h"), size, strict=True):
            hint = first.attributes.get(name)
            signed.append(float(hint) if _number(hint) and abs(float(hint)) == value else value)
        length, width, height = signed
        finished = first.attributes.get("finished", 1)
        if not (isinstance(finished, int) and not isinstance(finished, bool)):
            self.report.dropped(
                "cuboid", "attributes", reason="finished is not an integer", example=track
            )
            finished = 1
        self.used_labels.add(first.label)
        poses = []
        for index, cuboid in members:
            where = f"cuboid {cuboid.id or ''} in frame {start + index}".replace("  ", " ")
            if tuple(float(v) for v in cuboid.dimensions) != size:
                self.report.approximated(
                    "cuboid",
                    "dimensions",
                    reason="a tracklet has one size: its first pose's",
                    example=where,
                )
            if cuboid.attributes.get("finished", finished) != finished:
                self.report.approximated(
                    "cuboid",
                    "attributes",
                    reason="finished is one value per tracklet: its first pose's",
                    example=where,
                )
            if cuboid.id is not None and cuboid.id != annotation_id(track, start + index):
                self.report.approximated(
                    "cuboid",
                    "id",
                    reason="a tracklet pose's id is its track and frame",
                    example=cuboid.id,
                )
            poses.append(self._pose(cuboid, height, where))
        return Tracklet(
            object_type=first.label,
            h=height,
            w=width,
            l=length,
            first_frame=start + members[0][0],
            poses=poses,
            finished=int(finished),
        )

    def _pose(self, cuboid: Cuboid, height: float, where: str) -> Pose:
        attrs = dict(cuboid.attributes)
        x, y, z = (float(v) for v in cuboid.position)
        tz_hint, rz_hint = attrs.pop("tz", None), attrs.pop("rz", None)
        tz = z - height / 2.0
        if _number(tz_hint) and float(tz_hint) + height / 2.0 == z:
            tz = float(tz_hint)
        rz = float(cuboid.yaw)
        if _number(rz_hint) and wrap_angle(float(rz_hint)) == wrap_angle(rz):
            rz = float(rz_hint)
        values: dict[str, float | int] = {"tx": x, "ty": y, "tz": tz, "rz": rz}
        for name in POSE_FIELDS:
            if name in values:
                continue
            value = attrs.pop(name, None)
            if name in INT_FIELDS and isinstance(value, bool):
                value = int(value)
            ok = _number(value) and (name in FLOAT_FIELDS or isinstance(value, int))
            if value is not None and not ok:
                self.report.dropped(
                    "cuboid",
                    "attributes",
                    reason=f"{name} must be {'a number' if name in FLOAT_FIELDS else 'an integer'}",
                    example=f"{where}: {name}={value!r}",
                )
            if not ok or value is None:
                values[name] = POSE_DEFAULTS[name]
            else:
                values[name] = float(value) if name in FLOAT_FIELDS else int(value)
        for name in _TRACK_FIELDS:
            attrs.pop(name, None)
        extra: dict[str, str] = {}
        for name, value in attrs.items():
            text = _attribute_text(value)
            if not self.cvat or text is None:
                self.report.dropped(
                    "cuboid",
                    "attributes",
                    reason="the devkit's tracklets have no free attributes (write them with "
                    "attributes=cvat)"
                    if not self.cvat
                    else "a CVAT attribute is a scalar",
                    example=f"{where}: {name}",
                )
                continue
            extra[name] = text
        return Pose(values, extra)

    def _write_calibration(self, drive: _Drive) -> None:
        sources = {tuple(sorted(s.items())) for s in drive.calib_sources}
        params = {k: v for k, v in drive.camera_params.items() if v}
        if len(sources) == 1:
            files = dict(next(iter(sources)))
            if self._source_agrees(files, params):
                for name in (CALIB_CAM, CALIB_VELO, CALIB_IMU):
                    if name in files:
                        shutil.copyfile(files[name], drive.folder / name)
                self.summary.add("calibrations")
                return
        if not params:
            return
        cam_to_cam, velo_to_cam, approximated = _calibration_text(params)
        (drive.folder / CALIB_CAM).write_text(cam_to_cam, encoding="utf-8")
        (drive.folder / CALIB_VELO).write_text(velo_to_cam, encoding="utf-8")
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

    @staticmethod
    def _source_agrees(
        files: dict[str, str], params: dict[int, list[tuple[int, CameraParams]]]
    ) -> bool:
        if not all(Path(files.get(n, "")).is_file() for n in (CALIB_CAM, CALIB_VELO)):
            return False
        try:
            imu = files.get(CALIB_IMU)
            calib = parse_raw_calib(
                Path(files[CALIB_CAM]), Path(files[CALIB_VELO]), Path(imu) if imu else None
            )
            for camera, cams in params.items():
                expected = camera_params(calib, camera)
                if any(cam != expected for _, cam in cams):
                    return False
        except (InputError, ValueError):
            return False
        return True


def _load_points(media: PointCloudMedia, where: str) -> Any:
    """The points, from memory or read by :meth:`PointCloudMedia.load`; remote ones refused."""
    if media.points is None and media.path is not None and is_remote(media.path):
        raise OutputError(f"{where}: point cloud {media.path} is remote; download it first")
    try:
        return media.load()
    except (InputError, ValueError) as exc:
        raise OutputError(f"{where}: {exc}") from None


def _attribute_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return value
    return None


def _row(values: Any) -> str:
    return " ".join(format_float(float(v)) for v in np.asarray(values, dtype=np.float64).ravel())


def _calibration_text(
    params: dict[int, list[tuple[int, CameraParams]]],
) -> tuple[str, str, list[tuple[int, str]]]:
    """``calib_cam_to_cam.txt`` and ``calib_velo_to_cam.txt`` for cameras sharing one rotation.

    ``R_rect_00 = I``; ``Tr_velo_to_cam = [R^T | -R^T c_ref]`` with ``R`` the cameras' common
    camera-to-velodyne rotation and ``c_ref`` the lowest-numbered camera's centre; each
    ``P_rect_0k = K_k [I | -R^T (c_k - c_ref)]``, so that :func:`camera_params` gives back
    ``c_k``, ``R`` and ``K_k``. A camera whose parameters change between frames is written with
    its first frame's; one whose rotation differs from the reference camera's is written with
    the reference rotation (both reported).
    """
    notes: list[tuple[int, str]] = []
    first = {k: v[0][1] for k, v in sorted(params.items())}
    for camera, cams in params.items():
        if any(cam != cams[0][1] for _, cam in cams):
            notes.append((camera, "a KITTI camera is fixed for the whole drive: its first frame's"))
    ref_camera = min(first)
    ref = first[ref_camera]
    rotation = matrix_from_quaternion(ref.heading)  # camera axes -> velodyne
    velo_to_cam = rotation.T
    c_ref = np.array(ref.position, dtype=np.float64)
    projections: dict[int, Any] = {}
    for camera, cam in first.items():
        if not np.allclose(matrix_from_quaternion(cam.heading), rotation, rtol=0.0, atol=1e-12):
            notes.append((camera, "KITTI cameras share one rotation: the lowest camera's"))
        if cam.distortion or cam.camera_model:
            notes.append((camera, "rectified KITTI images have no distortion or camera model"))
        k = np.array([[cam.fx, 0.0, cam.cx], [0.0, cam.fy, cam.cy], [0.0, 0.0, 1.0]])
        centre = velo_to_cam @ (np.array(cam.position, dtype=np.float64) - c_ref)
        projections[camera] = np.hstack([k, (-k @ centre).reshape(3, 1)])
    if 2 not in projections:  # parse_raw_calib requires P_rect_02
        projections[2] = projections[ref_camera]
    lines = ["calib_time: written by nucleus-convert", f"R_rect_00: {_row(np.eye(3))}"]
    lines += [f"P_rect_{k:02d}: {_row(p)}" for k, p in sorted(projections.items())]
    velo = [
        "calib_time: written by nucleus-convert",
        f"R: {_row(velo_to_cam)}",
        f"T: {_row(-velo_to_cam @ c_ref)}",
    ]
    return "\n".join(lines) + "\n", "\n".join(velo) + "\n", notes


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
