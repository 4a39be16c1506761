"""Reading KITTI raw drives (tracklets, velodyne scans, camera images, calibration).

See :mod:`nucleus_convert.converters.kitti_raw` for the layouts and the mapping to the model;
the tracklet XML itself is :mod:`nucleus_convert.converters.kitti_raw.tracklets`.

Memory bound: each drive's parsed tracklet file (its index: the poses, as numbers) and file
lists, and the frame being streamed: a frame's cuboids are made, and its scan read, when the
stream reaches it. Held by ``tests/test_bounded_memory.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nucleus_convert.converters.kitti_raw.schema import (
    CALIB_CAM,
    CALIB_IMU,
    CALIB_KEY,
    CALIB_VELO,
    FRAME_KEY,
    IMAGE_SUFFIXES,
    LIDAR_SENSOR,
    SCAN_SUFFIXES,
    TRACKLETS,
    VELODYNE,
    annotation_id,
    camera_ref,
    lidar_ref,
    track_id,
)
from nucleus_convert.converters.kitti_raw.tracklets import (
    FLOAT_FIELDS,
    POSE_FIELDS,
    Pose,
    Tracklet,
    parse_tracklets,
)
from nucleus_convert.errors import InputError
from nucleus_convert.geometry.kitti import Calibration, camera_params, parse_raw_calib, wrap_angle
from nucleus_convert.geometry.pointcloud_files import read_points
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Category,
    Cuboid,
    Dataset,
    Frame,
    Header,
    ImageMedia,
    Item,
    PointCloudMedia,
    Scene,
    partition_bounds,
)
from nucleus_convert.toolkit.files import local_image_size

__all__ = ["Drive", "find_drives", "is_drive", "load_drive", "pose_cuboid", "read_kitti_raw"]

_FRAME_NAME = re.compile(r"[0-9]{10}")
_CAMERA_DIR = re.compile(r"image_0([0-3])", re.IGNORECASE)
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+")


# =========================================================================== layout


def is_drive(path: Path) -> bool:
    """A folder holding ``tracklet_labels.xml`` or ``velodyne_points/``."""
    return path.is_dir() and ((path / TRACKLETS).is_file() or (path / VELODYNE[0]).is_dir())


def find_drives(src: Path) -> list[tuple[Path, Path | None]]:
    """``(drive folder, tracklet file or None)`` for each drive ``src`` names.

    ``src`` is a drive folder, a folder of drives (a KITTI date folder), or a tracklet XML
    file (its folder is the drive).
    """
    if src.is_file():
        if src.suffix.lower() != ".xml":
            raise InputError(
                "not a KITTI raw drive, folder of drives or tracklet XML file", path=src
            )
        return [(src.parent, src)]
    if not src.is_dir():
        raise InputError("no such file or directory", path=src)
    if is_drive(src):
        xml = src / TRACKLETS
        return [(src, xml if xml.is_file() else None)]
    drives = sorted(d for d in src.iterdir() if not d.name.startswith(".") and is_drive(d))
    if not drives:
        raise InputError(
            f"neither a KITTI raw drive (a folder with {TRACKLETS} or velodyne_points/) nor a "
            "folder of drives",
            path=src,
        )
    return [(d, d / TRACKLETS if (d / TRACKLETS).is_file() else None) for d in drives]


def _numbered_files(folder: Path, suffixes: tuple[str, ...], what: str) -> dict[int, Path]:
    """``{frame: path}`` of the 10-digit named files of ``folder``; errors name the file."""
    out: dict[int, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue  # hidden files (.DS_Store...) are not data
        if not path.is_file() or path.suffix.lower() not in suffixes:
            raise InputError(
                f"not a {what} file (expected a 10-digit frame number with {', '.join(suffixes)})",
                path=path,
            )
        if not _FRAME_NAME.fullmatch(path.stem):
            raise InputError(
                f"{what} file name is not a 10-digit frame number like 0000000000{suffixes[0]}",
                path=path,
            )
        frame = int(path.stem)
        if frame in out:
            raise InputError(
                f"frame {frame} has two {what} files: {out[frame].name} and this one", path=path
            )
        out[frame] = path
    return out


@dataclass(slots=True)
class Drive:
    """One drive: its scans, camera images, calibration and tracklets."""

    folder: Path
    name: str
    scans: dict[int, Path]
    images: dict[int, dict[int, Path]] = field(default_factory=dict)
    """camera -> frame -> image file"""
    calib: Calibration | None = None
    calib_files: dict[str, str] = field(default_factory=dict)
    tracklets: list[Tracklet] = field(default_factory=list)
    tracklet_file: Path | None = None

    @property
    def frames(self) -> list[int]:
        return sorted(self.scans)


def _calibration(folder: Path, override: str) -> tuple[Calibration | None, dict[str, str]]:
    places = [Path(override)] if override else [folder, folder.parent]
    for place in places:
        cam, velo = place / CALIB_CAM, place / CALIB_VELO
        if cam.is_file() or velo.is_file():
            missing = velo if cam.is_file() else cam
            if not missing.is_file():
                other = cam if cam.is_file() else velo
                raise InputError(
                    f"calibration is incomplete: {missing.name} is missing beside {other.name}",
                    path=missing,
                )
            imu = place / CALIB_IMU
            files = {CALIB_CAM: str(cam), CALIB_VELO: str(velo)}
            if imu.is_file():
                files[CALIB_IMU] = str(imu)
            return parse_raw_calib(cam, velo, imu if imu.is_file() else None), files
    if override:
        raise InputError(f"no {CALIB_CAM} and {CALIB_VELO} here (read option calib)", path=override)
    return None, {}


def _scans(folder: Path) -> dict[int, Path]:
    """The drive's velodyne scans by frame number: at least one, consecutive."""
    velodyne = folder.joinpath(*VELODYNE)
    if not velodyne.is_dir():
        raise InputError(
            f"the drive has no {'/'.join(VELODYNE)}/ folder of velodyne scans", path=folder
        )
    scans = _numbered_files(velodyne, SCAN_SUFFIXES, "velodyne scan")
    if not scans:
        raise InputError("no velodyne scan (0000000000.bin, .pcd or .ply) here", path=velodyne)
    frames = sorted(scans)
    # Counted from the gaps, never by listing every frame number in the span: two scans
    # numbered 0 and 9999999999 must not make a set of ten billion numbers.
    gap = next((k for k in range(1, len(frames)) if frames[k] != frames[k - 1] + 1), None)
    if gap is not None:
        before, after = frames[gap - 1], frames[gap]
        missing = frames[-1] - frames[0] + 1 - len(frames)
        raise InputError(
            f"velodyne scans jump from frame {before} to {after}: {before + 1:010d} is missing "
            f"({missing} frames missing in all)",
            path=velodyne,
        )
    return scans


def _camera_images(drive: Drive) -> None:
    """Each ``image_0k/data`` folder's images; every image needs the scan of its frame."""
    for sub in sorted(drive.folder.iterdir()):
        match = _CAMERA_DIR.fullmatch(sub.name)
        if match is None or not (sub / "data").is_dir():
            continue
        camera = int(match.group(1))
        if camera in drive.images:
            raise InputError(f"a second folder for camera {camera}", path=sub)
        images = _numbered_files(sub / "data", IMAGE_SUFFIXES, "camera image")
        for frame, path in images.items():
            if frame not in drive.scans:
                raise InputError(
                    f"image of frame {frame} has no velodyne scan {frame:010d} in "
                    f"{'/'.join(VELODYNE)}",
                    path=path,
                )
        drive.images[camera] = images


def _load_tracklets(drive: Drive, xml: Path) -> None:
    """The drive's tracklets; every pose must fall on a scan's frame."""
    frames = drive.frames
    drive.tracklets = parse_tracklets(xml)
    for k, t in enumerate(drive.tracklets):
        if not t.poses:
            continue
        if t.first_frame < frames[0] or t.last_frame > frames[-1]:
            raise InputError(
                f"poses for frames {t.first_frame}..{t.last_frame}, but the velodyne scans "
                f"are frames {frames[0]}..{frames[-1]}",
                path=xml,
                line=t.line,
                record=f"tracklet {k} ({t.object_type!r})",
            )


def load_drive(folder: Path, xml: Path | None, calib_override: str = "") -> Drive:
    """Find and check everything of one drive (the XML is parsed, no scan is read)."""
    drive = Drive(folder=folder, name=folder.name, scans=_scans(folder), tracklet_file=xml)
    _camera_images(drive)
    drive.calib, drive.calib_files = _calibration(folder, calib_override)
    if drive.calib is not None:
        for camera in drive.images:
            try:
                camera_params(drive.calib, camera)
            except ValueError as exc:
                raise InputError(
                    f"camera {camera}: {exc}", path=drive.calib_files[CALIB_CAM]
                ) from None
    if xml is not None:
        _load_tracklets(drive, xml)
    return drive


# =========================================================================== mapping


def _typed(text: str) -> Any:
    """A CVAT attribute value as the value it spells: bool, int, float or the text."""
    value = text.strip()
    if value in ("true", "false"):
        return value == "true"
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    return text


def pose_cuboid(t: Tracklet, pose: Pose, track: str, frame: int) -> Cuboid:
    """The model cuboid of one tracklet pose (see the format's module doc)."""
    v = pose.values
    attributes: dict[str, Any] = {
        name: (float(v[name]) if name in FLOAT_FIELDS else int(v[name]))
        for name in POSE_FIELDS
        if name not in ("tx", "ty")
    }
    attributes["finished"] = int(t.finished)
    for name, size in (("h", t.h), ("w", t.w), ("l", t.l)):
        if size < 0:  # the same box as its absolute value; kept so it is written back as is
            attributes[name] = size
    for source in (t.attributes, pose.attributes):
        attributes.update({name: _typed(value) for name, value in source.items()})
    return Cuboid(
        label=t.object_type,
        id=annotation_id(track, frame),
        track_id=track,
        position=(float(v["tx"]), float(v["ty"]), float(v["tz"]) + t.h / 2.0),
        dimensions=(abs(t.l), abs(t.w), abs(t.h)),
        yaw=wrap_angle(float(v["rz"])),
        attributes=attributes,
    )


def _drive_items(drive: Drive, frames: list[int] | None = None) -> Iterator[Item]:
    """The items of the drive's ``frames`` (all by default), frame by frame: the scan with
    the cuboids of that frame, then each camera's image."""
    # Which poses fall on each frame, as (tracklet, pose) numbers: the cuboids themselves are
    # made when the stream reaches their frame, so memory holds the parsed tracklets (the
    # index) and one frame's model objects.
    poses: dict[int, list[tuple[int, int]]] = {}
    for k, t in enumerate(drive.tracklets):
        for j in range(len(t.poses)):
            poses.setdefault(t.first_frame + j, []).append((k, j))
    extra = {CALIB_KEY: dict(drive.calib_files)} if drive.calib_files else {}
    for frame in drive.frames if frames is None else frames:
        scan = drive.scans[frame]
        cloud = read_points(scan)
        cuboids: list[Annotation] = []
        for k, j in poses.get(frame, ()):
            t = drive.tracklets[k]
            cuboids.append(pose_cuboid(t, t.poses[j], track_id(drive.name, k), frame))
        yield Item(
            reference_id=lidar_ref(drive.name, frame),
            media=PointCloudMedia(path=str(scan), points=cloud.points),
            metadata={FRAME_KEY: frame},
            annotations=cuboids,
            extra=dict(extra),
        )
        for camera in sorted(drive.images):
            image = drive.images[camera].get(frame)
            if image is None:
                continue
            size = local_image_size(str(image))
            if size is None:
                raise InputError("cannot read the image's size (not an image?)", path=image)
            yield Item(
                reference_id=camera_ref(drive.name, camera, frame),
                media=ImageMedia(str(image), size[0], size[1]),
                camera=None if drive.calib is None else camera_params(drive.calib, camera),
                extra=dict(extra),
            )


def _scene(drive: Drive) -> Scene:
    frames = []
    for frame in drive.frames:
        sensors = {LIDAR_SENSOR: lidar_ref(drive.name, frame)}
        for camera in sorted(drive.images):
            if frame in drive.images[camera]:
                sensors[f"image_{camera:02d}"] = camera_ref(drive.name, camera, frame)
        frames.append(Frame(sensors))
    return Scene(reference_id=drive.name, frames=frames)


def read_kitti_raw(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a KITTI raw drive, folder of drives or tracklet file (module doc of ``kitti_raw``)."""
    drives = [
        load_drive(folder, xml, options.get("calib") or "") for folder, xml in find_drives(src)
    ]
    names = [d.name for d in drives]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise InputError(f"two drives are named {twice!r}", path=src)
    labels: dict[str, None] = {}
    losses = LossReport()
    for drive in drives:
        for k, t in enumerate(drive.tracklets):
            labels.setdefault(t.object_type, None)
            if not t.poses:
                losses.dropped(
                    "cuboid",
                    reason="a tracklet without poses has no frame to put a cuboid in",
                    example=f"{drive.tracklet_file}: tracklet {k} ({t.object_type!r})",
                )
    header = Header(
        categories=[Category(name) for name in labels],
        source={"format": "kitti_raw", "path": str(src)},
    )

    def items() -> Iterator[Item]:
        for drive in drives:
            yield from _drive_items(drive)

    plan = [(d, frame) for d in drives for frame in d.frames]

    def partition(k: int, n: int) -> Iterator[Item]:
        """The items of the ``k``-th of ``n`` slices of every drive's frames, in order."""
        chosen = plan[slice(*partition_bounds(len(plan), k, n))]
        for drive in drives:
            frames = [frame for d, frame in chosen if d is drive]
            if frames:
                yield from _drive_items(drive, frames)

    scenes = [_scene(d) for d in drives]
    # Each frame is its scan and each camera's image of that frame.
    length = sum(1 + sum(frame in images for images in d.images.values()) for d, frame in plan)
    return Dataset(header, items(), scenes, losses, partition=partition, length=length)
