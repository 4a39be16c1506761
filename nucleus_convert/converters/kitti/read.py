"""Reading KITTI object-detection trees into the model.

Layout
------
A *split folder* holds any of ``label_2/``, ``calib/``, ``velodyne/``, ``image_2/``,
``instance/`` and ``semantic/``, one file per frame named by the frame id (``000000.txt``,
``000000.bin``, ``000000.png``...). The source is a split folder, or a folder holding split
folders at any depth (KITTI's ``object/{training,testing}``): each split folder's path under
the source is its subset. Files in a subfolder of ``label_2/`` etc. (datumaro's
``label_2/train/000000.txt``) belong to that subfolder's subset. A frame's id is
``subset/frame`` (``training/000000``), or just the frame when the split folder is the source.

Frames to items
---------------
* A frame **with** a velodyne scan becomes a LidarScene ``F`` of one frame with two sensors:
  ``velodyne`` = the point cloud item ``F/velodyne`` (its cuboids) and ``image_2`` = the camera
  item ``F/image_2`` (its boxes, and the camera parameters).
* A frame **without** a scan is one image item ``F`` holding its boxes (and cuboids, when its
  labels have 3D boxes: there is no point cloud item to put them on; the Nucleus writer
  reports them).

Each label line becomes a :class:`~nucleus_convert.model.Box` on the camera item and, when it
has a 3D box, a :class:`~nucleus_convert.model.Cuboid` on the point cloud item; both get the
annotation id ``F:<line number>``, which is how the KITTI writer pairs them again. The line's
``truncated`` (float), ``occluded`` (int) and ``alpha`` (float) are attributes of both (absent
when the line has KITTI's "not set" sentinel). A 16th column is a score: both are predictions.

The 3D box goes through the frame's calibration (:func:`~nucleus_convert.geometry.kitti.
kitti_to_cuboid`: ``centre = location - (0, h/2, 0)``, then ``R0_rect^-1`` and
``Tr_velo_to_cam^-1`` into the velodyne frame; ``yaw = wrap(-rotation_y - pi/2)``;
``dimensions = (l, w, h)``); a label with a 3D box and no ``calib/F.txt`` is an error.

Camera and calibration
----------------------
The camera item's ``camera`` is :func:`~nucleus_convert.geometry.kitti.camera_params` of P2
(the left colour camera the labels refer to): its pose in the velodyne frame, OpenCV camera
axes (+z forward, +x right, +y down), intrinsics from P2. The whole calibration is also kept,
exactly, in the item's metadata as ``kitti_calib`` (``{"P0": [12 numbers], ..., "R0_rect":
[9], "Tr_velo_to_cam": [12]}``) on the camera item (on the point cloud item when the frame
has no image), so that writing KITTI again gives back the very same calibration and labels.

Segmentation
------------
``instance/F.png`` (16-bit ``class * 256 + instance``) or, without it, ``semantic/F.png``
(8-bit class ids), as in KITTI's semantics benchmark, become one segmentation on the camera
item (:mod:`.segmentation`: Cityscapes class names, an ``instance`` attribute per
instance segment).

DontCare
--------
``DontCare`` lines mark regions whose objects were not labelled. With ``dontcare=box`` (the
default) they are boxes labelled ``DontCare`` with the attribute ``dontcare: true`` on the
camera item, so they reach Nucleus (filter them out of a model run with the metadata); with
``dontcare=drop`` they are left out and counted in the loss report.

Point clouds
------------
``velodyne/F.bin`` (float32 x, y, z, reflectance) is read with
:func:`~nucleus_convert.geometry.pointcloud_files.read_points` when the item stream reaches
the frame, so memory holds one scan at a time. Labels and calibrations are all read and
checked first: a malformed file fails the read before anything is written.

Memory bound: the list of frame files, the label names seen (the header's categories) and
the frame being streamed. The check pass keeps nothing of a frame's labels and calibration;
the stream parses them again when it reaches the frame (a label file is a few hundred bytes,
its scan megabytes). Held by ``tests/test_bounded_memory.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nucleus_convert.converters.kitti.labels import (
    DONTCARE,
    KITTI_TYPES,
    Label,
    parse_label_file,
)
from nucleus_convert.converters.kitti.schema import (
    CALIB_KEY,
    IMAGE_SENSOR,
    IMAGE_SUFFIXES,
    LIDAR_SENSOR,
    SPLIT_DIRS,
)
from nucleus_convert.converters.kitti.segmentation import (
    CITYSCAPES,
    present_values,
    read_values,
    segmentation_from_values,
)
from nucleus_convert.errors import InputError
from nucleus_convert.geometry.intensity import intensity_metadata
from nucleus_convert.geometry.kitti import (
    Calibration,
    calibration_to_lists,
    camera_params,
    kitti_to_cuboid,
    parse_calib,
)
from nucleus_convert.geometry.pointcloud_files import read_points
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Box,
    CameraParams,
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

__all__ = ["find_frames", "is_split_folder", "read_kitti", "split_folders"]

_SUFFIXES = {
    "label_2": (".txt",),
    "calib": (".txt",),
    "velodyne": (".bin",),
    "instance": (".png",),
    "semantic": (".png",),
}
_DETECT_DIRS = ("label_2", "calib", "velodyne", "instance", "semantic")
_MAX_DEPTH = 4


@dataclass(slots=True)
class FrameFiles:
    """The files of one frame; ``frame_id`` is ``subset/frame`` or ``frame``."""

    frame_id: str
    label: Path | None = None
    calib: Path | None = None
    velodyne: Path | None = None
    image: Path | None = None
    instance: Path | None = None
    semantic: Path | None = None


@dataclass(slots=True)
class _Frame:
    """What the reader keeps of a frame between its check and its turn in the stream: its
    files and where its segmentation is (labels and calibration are parsed again then)."""

    files: FrameFiles
    seg_path: Path | None = None
    seg_instance: bool = False


@dataclass(slots=True)
class _Parsed:
    """A frame's labels and calibration, parsed (:func:`_parse`)."""

    labels: list[Label] = field(default_factory=list)
    calib: Calibration | None = None
    camera: CameraParams | None = None
    """Camera 2 of ``calib`` (:func:`camera_params`)."""


def _parse(files: FrameFiles) -> _Parsed:
    """Parse the frame's calibration and label files (errors name the file and line)."""
    parsed = _Parsed()
    if files.calib is not None:
        parsed.calib = parse_calib(files.calib)
        try:
            parsed.camera = camera_params(parsed.calib, 2)
        except ValueError as exc:
            raise InputError(f"P2: {exc}", path=files.calib) from None
    if files.label is not None:
        parsed.labels = parse_label_file(files.label)
    return parsed


def is_split_folder(path: Path) -> bool:
    """True when ``path`` has a ``label_2``, ``calib``, ``velodyne``, ``instance`` or
    ``semantic`` subfolder."""
    return any((path / d).is_dir() for d in _DETECT_DIRS)


def split_folders(root: Path) -> list[Path]:
    if is_split_folder(root):
        return [root]
    found: list[Path] = []
    level = [root]
    for _ in range(_MAX_DEPTH):
        nxt = []
        for folder in level:
            try:
                children = sorted(p for p in folder.iterdir() if p.is_dir())
            except OSError:
                continue
            for child in children:
                if child.name.startswith("."):
                    continue
                if is_split_folder(child):
                    found.append(child)
                else:
                    nxt.append(child)
        level = nxt
    return found


def _files(folder: Path, kind: str) -> Iterator[tuple[str, Path]]:
    """``(subset suffix, file)`` for the frame files of one ``label_2``/... folder."""
    suffixes = IMAGE_SUFFIXES if kind == "image_2" else _SUFFIXES[kind]
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            for sub in sorted(path.iterdir()):
                if sub.is_file() and sub.suffix.lower() in suffixes:
                    yield path.name, sub
        elif path.suffix.lower() in suffixes:
            yield "", path


def find_frames(root: Path) -> list[FrameFiles]:
    """Every frame under ``root``, sorted by frame id (see the module docstring)."""
    frames: dict[str, FrameFiles] = {}
    splits = split_folders(root)
    if not splits:
        raise InputError(
            "not a KITTI tree: no label_2/, calib/, velodyne/, instance/ or semantic/ folder "
            "here or below",
            path=root,
        )
    for split in splits:
        subset = "" if split == root else split.relative_to(root).as_posix()
        for kind in SPLIT_DIRS:
            folder = split / kind
            if not folder.is_dir():
                continue
            for sub, path in _files(folder, kind):
                prefix = "/".join(p for p in (subset, sub) if p)
                frame_id = f"{prefix}/{path.stem}" if prefix else path.stem
                files = frames.setdefault(frame_id, FrameFiles(frame_id))
                attr = {"label_2": "label", "image_2": "image"}.get(kind, kind)
                if getattr(files, attr) is not None:
                    raise InputError(
                        f"frame {frame_id!r} has two {kind} files: "
                        f"{getattr(files, attr).name} and {path.name}",
                        path=folder,
                    )
                setattr(files, attr, path)
    return [frames[k] for k in sorted(frames)]


def _no_calib(files: FrameFiles, label: Label) -> InputError:
    return InputError(
        f"the label has a 3D box but frame {files.frame_id!r} has no calib file to place it",
        path=files.label,
        line=label.line,
    )


def _attributes(label: Label) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if label.truncated is not None:
        attrs["truncated"] = label.truncated
    if label.occluded is not None:
        attrs["occluded"] = label.occluded
    if label.alpha is not None:
        attrs["alpha"] = label.alpha
    if label.type == DONTCARE:
        attrs["dontcare"] = True
    return attrs


class _Reader:
    def __init__(self, src: Path, options: Mapping[str, Any]) -> None:
        self.src = src
        self.keep_dontcare = options.get("dontcare", "box") == "box"
        self.max_pixels: int | None = options.get("max_pixels")
        self.losses = LossReport()
        self.frames: list[_Frame] = []
        self.labels_seen: dict[str, None] = {}

    def load(self) -> None:
        """Read and check every frame's labels, calibration and segmentation (no scan), and
        keep only the frame's files: the check pass fails a malformed tree before anything is
        written, and memory holds the file list, not the labels (parsed again, frame by frame,
        as the stream reaches them)."""
        for files in find_frames(self.src):
            frame = _Frame(files)
            parsed = _parse(files)
            if files.label is not None:
                self._check_labels(files, parsed)
            seg = files.instance or files.semantic
            if seg is not None:
                self._load_segmentation(frame, seg, instance=files.instance is not None)
            if files.velodyne is not None and files.image is None:
                self._note_scan_without_image(frame, parsed.labels, seg)
            self.frames.append(frame)

    def _check_labels(self, files: FrameFiles, parsed: _Parsed) -> None:
        """A 3D box needs the frame's calibration; DontCare lines are counted when dropped;
        every other type is a label seen."""
        for label in parsed.labels:
            if label.dimensions is not None and parsed.calib is None:
                raise _no_calib(files, label)
            if label.type == DONTCARE and not self.keep_dontcare:
                self.losses.dropped(
                    "box",
                    reason="a DontCare region (dontcare=drop)",
                    example=f"{files.label}:{label.line}",
                )
                continue
            self.labels_seen.setdefault(label.type, None)

    def _values(self, seg: Path, instance: bool) -> npt.NDArray[np.uint16]:
        """The segmentation PNG's ``class * 256 + instance`` values (:func:`read_values`)."""
        return read_values(seg, instance=instance, max_pixels=self.max_pixels)

    def _load_segmentation(self, frame: _Frame, seg: Path, *, instance: bool) -> None:
        frame.seg_path, frame.seg_instance = seg, instance
        values = self._values(seg, instance)
        for class_id in sorted({v >> 8 for v in present_values(values).tolist()}):
            self.labels_seen.setdefault(CITYSCAPES[class_id], None)

    def _note_scan_without_image(
        self, frame: _Frame, labels: list[Label], seg: Path | None
    ) -> None:
        """A frame with a scan and no image has no camera item for its boxes and segmentation:
        they are counted as dropped."""
        kept = [lb for lb in labels if self.keep_dontcare or lb.type != DONTCARE]
        if seg is not None:
            self.losses.dropped(
                "segmentation",
                reason="the frame has a scan but no image_2 file to hold it",
                example=str(seg),
            )
        if kept:
            self.losses.dropped(
                "box",
                reason="the frame has a scan but no image_2 file to hold its 2D boxes",
                n=len(kept),
                example=str(frame.files.label),
            )

    def header(self) -> Header:
        known = [t for t in KITTI_TYPES if t in self.labels_seen]
        others = [t for t in self.labels_seen if t not in KITTI_TYPES]
        return Header(
            categories=[Category(name=t) for t in (*known, *others)],
            source={"format": "kitti", "path": str(self.src)},
        )

    def scenes(self) -> list[Scene]:
        scenes = []
        for frame in self.frames:
            files = frame.files
            if files.velodyne is None:
                continue
            sensors = {LIDAR_SENSOR: f"{files.frame_id}/{LIDAR_SENSOR}"}
            if files.image is not None:
                sensors[IMAGE_SENSOR] = f"{files.frame_id}/{IMAGE_SENSOR}"
            scenes.append(Scene(reference_id=files.frame_id, frames=[Frame(sensors)]))
        return scenes

    def items(self, start: int = 0, stop: int | None = None) -> Iterator[Item]:
        """The items of frames ``start:stop`` (all by default), frame by frame."""
        for frame in self.frames[start:stop]:
            yield from self._frame_items(frame)

    def partition(self, k: int, n: int) -> Iterator[Item]:
        """The items of the ``k``-th of ``n`` slices of the frames (a frame's items stay
        together)."""
        return self.items(*partition_bounds(len(self.frames), k, n))

    def _annotations(
        self, files: FrameFiles, parsed: _Parsed
    ) -> tuple[list[Annotation], list[Annotation]]:
        """The frame's boxes (for the camera item) and cuboids (for the scan), label by label."""
        fid = files.frame_id
        boxes: list[Annotation] = []
        cuboids: list[Annotation] = []
        for label in parsed.labels:
            if label.type == DONTCARE and not self.keep_dontcare:
                continue
            attrs = _attributes(label)
            ann_id = f"{fid}:{label.line}"
            left, top, right, bottom = label.box
            boxes.append(
                Box(
                    label=label.type,
                    id=ann_id,
                    attributes=attrs,
                    score=label.score,
                    x=left,
                    y=top,
                    width=right - left,
                    height=bottom - top,
                )
            )
            if label.dimensions is not None:
                if parsed.calib is None:  # the calib file went away after the check pass
                    raise _no_calib(files, label)
                assert label.location is not None and label.rotation_y is not None
                position, dims, yaw = kitti_to_cuboid(
                    label.dimensions, label.location, label.rotation_y, parsed.calib
                )
                cuboids.append(
                    Cuboid(
                        label=label.type,
                        id=ann_id,
                        attributes=dict(attrs),
                        score=label.score,
                        position=position,
                        dimensions=dims,
                        yaw=yaw,
                    )
                )
        return boxes, cuboids

    def _frame_items(self, frame: _Frame) -> Iterator[Item]:
        files = frame.files
        fid = files.frame_id
        parsed = _parse(files)
        # The boxes and the segmentation go on the camera item, the cuboids on the scan.
        boxes, cuboids = self._annotations(files, parsed)
        if frame.seg_path is not None:
            values = self._values(frame.seg_path, frame.seg_instance)
            boxes.append(
                segmentation_from_values(values, frame.seg_path, instance=frame.seg_instance)
            )
        calib = parsed.calib
        calib_md = {CALIB_KEY: calibration_to_lists(calib)} if calib is not None else {}
        media = None
        if files.image is not None:
            size = local_image_size(str(files.image))
            media = ImageMedia(
                path=str(files.image),
                width=size[0] if size else None,
                height=size[1] if size else None,
            )
        if files.velodyne is None:
            yield Item(
                reference_id=fid,
                media=media,
                metadata=calib_md,
                camera=parsed.camera,
                annotations=[*boxes, *cuboids],
            )
            return
        cloud = read_points(files.velodyne)
        lidar_md: dict[str, Any] = {} if files.image is not None else dict(calib_md)
        lidar_md.update(intensity_metadata(cloud.source_intensity, cloud.intensity_scale))
        yield Item(
            reference_id=f"{fid}/{LIDAR_SENSOR}",
            media=PointCloudMedia(path=str(files.velodyne), points=cloud.points),
            metadata=lidar_md,
            annotations=cuboids,
        )
        if files.image is not None:
            yield Item(
                reference_id=f"{fid}/{IMAGE_SENSOR}",
                media=media,
                metadata=calib_md,
                camera=parsed.camera,
                annotations=boxes,
            )


def read_kitti(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a KITTI object tree (see the module docstring)."""
    if not src.is_dir():
        raise InputError("a KITTI object tree is a folder", path=src)
    reader = _Reader(src, options)
    reader.load()
    dataset = Dataset(header=reader.header(), items=reader.items(), scenes=reader.scenes())
    dataset.losses = reader.losses
    dataset.partition = reader.partition
    dataset.length = sum(
        1 if f.files.velodyne is None else 1 + (f.files.image is not None) for f in reader.frames
    )  # a frame with a scan is two items when it also has an image
    return dataset
