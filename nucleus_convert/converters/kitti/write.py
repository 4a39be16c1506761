"""Writing the model as a KITTI object-detection tree.

Layout written: ``label_2/F.txt``, ``calib/F.txt``, ``velodyne/F.bin`` and ``image_2/F.<ext>``
under the destination, or under ``<subset>/`` when the frame id is ``subset/F`` (so KITTI's
``training/000000`` goes to ``training/label_2/000000.txt`` and reads back with the same id).

Frames
------
* Every scene frame is one KITTI frame: its point cloud item gives ``velodyne/F.bin`` and the
  cuboids, its camera item (the sensor named ``image_2``, else the first image item) the
  image, the boxes and the calibration. ``F`` is the scene's reference id for a one-frame
  scene, ``<scene>/<frame index, 6 digits>`` otherwise (each sequence becomes a subset folder
  of numbered frames; reported as approximated, since the frames no longer form a scene).
* An item outside every scene is a frame of its own named by its reference id.

Label lines
-----------
A box and a cuboid with the same annotation id and label (the KITTI reader gives both the id
``F:<line>``) are one line. A box without a cuboid is a 2D-only line (3D fields unset: ``-1 -1
-1 -1000 -1000 -1000 -10``). A cuboid without a box gets the 2D box of its 8 projected corners
(P2), clipped to the image when its size is known; its ``truncated`` is then the fraction of
that projected box outside the image and its ``alpha`` is derived from the location and
``rotation_y``; a cuboid with a corner behind the camera is not in the camera's view, which is
all KITTI labels, and is dropped (reported). ``truncated``/``occluded``/``alpha`` attributes
are written in their columns; absent ones are written as KITTI's "not set" values. Labels
with whitespace get ``_`` (reported). A score makes the 16th column.

Calibration
-----------
The 3D columns are in the camera frame of the frame's calibration, which is, in order:

1. the ``kitti_calib`` metadata the KITTI reader stores (exact), when the camera item's
   parameters still equal the ones it implies (a camera edited since is taken as the truth);
2. :func:`~nucleus_convert.geometry.kitti.calibration_from_camera` of the camera item's
   parameters (``P0..P3 = K``, ``R0_rect = I``, ``Tr_velo_to_cam`` from the pose);
3. none: cuboids cannot be placed in a camera frame and are dropped (reported).

KITTI's ``rotation_y = wrap(-yaw - pi/2)`` holds for a camera whose axes are KITTI's
(x right = -y velodyne, y down = -z, z forward = +x, within a few degrees); for a camera
turned away from that (more than 5 degrees) the cuboids are dropped and reported rather than
written with a wrong heading.

A segmentation on the camera item becomes ``semantic/F.png`` (and ``instance/F.png``), see
:mod:`.segmentation`.

Numbers are written with two decimals, or the few more a value needs to stay within 1e-9 of
itself (:func:`~nucleus_convert.converters.kitti.labels.format_number`).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nucleus_convert.converters.kitti.labels import DONTCARE, format_label
from nucleus_convert.converters.kitti.schema import CALIB_KEY, IMAGE_SENSOR
from nucleus_convert.converters.kitti.segmentation import (
    INSTANCE_ID,
    values_from_segmentation,
    write_pngs,
)
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.geometry.intensity import INTENSITY_SCALE_KEY, INTENSITY_SOURCE_KEY
from nucleus_convert.geometry.kitti import (
    Calibration,
    alpha_from,
    calibration_from_camera,
    calibration_from_lists,
    camera_params,
    cuboid_corners,
    cuboid_to_kitti,
    format_calib,
    project_to_image,
    velo_to_rect_matrix,
)
from nucleus_convert.geometry.pointcloud_files import write_bin
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
    Box,
    CameraParams,
    Cuboid,
    Dataset,
    ImageMedia,
    Item,
    PointCloudMedia,
    Segmentation,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import SafeNames, is_remote, local_image_size

__all__ = ["kitti_axes_deviation", "write_kitti"]

_KNOWN_ATTRIBUTES = frozenset({"truncated", "occluded", "alpha", "dontcare"})
_KNOWN_METADATA = frozenset({CALIB_KEY, INTENSITY_SCALE_KEY, INTENSITY_SOURCE_KEY})
_MAX_AXES_DEVIATION = math.radians(5.0)
# KITTI's rectified camera axes in velodyne axes: x_cam = -y_velo, y_cam = -z_velo, z_cam = x_velo.
_KITTI_AXES = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])


def kitti_axes_deviation(calib: Calibration) -> float:
    """The angle (radians) between the calibration's camera axes and KITTI's standard ones."""
    rot = velo_to_rect_matrix(calib)[:3, :3]
    rel = rot @ _KITTI_AXES.T
    cos = (float(np.trace(rel)) - 1.0) / 2.0
    return math.acos(max(-1.0, min(1.0, cos)))


def _calib_from_metadata(value: Any, where: str) -> Calibration:
    try:
        return calibration_from_lists(value)
    except ValueError as exc:
        raise OutputError(f"{where}: metadata {CALIB_KEY}: {exc}") from None


def _same_camera(a: CameraParams, b: CameraParams) -> bool:
    def close(x: float, y: float) -> bool:
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)

    pairs = [
        *zip(a.position, b.position, strict=True),
        *zip(a.heading, b.heading, strict=True),
        (a.fx, b.fx),
        (a.fy, b.fy),
        (a.cx, b.cx),
        (a.cy, b.cy),
    ]
    return all(close(x, y) for x, y in pairs)


@dataclass(slots=True)
class _Frame:
    frame_id: str
    expected: set[str]
    items: dict[str, tuple[str, Item]] = field(default_factory=dict)
    """item ref -> (sensor name, item)"""


class _Writer:
    def __init__(self, dst: Path, options: Mapping[str, Any], report: LossReport) -> None:
        self.dst = dst
        self.images = str(options.get("images") or "copy")
        self.report = report
        self.summary = WriteSummary()
        self.names: dict[str, SafeNames] = {}
        self.stems: dict[str, tuple[Path, str]] = {}

    # ------------------------------------------------------------------ frames

    def write(self, dataset: Dataset) -> WriteSummary:
        self.dst.mkdir(parents=True)
        frame_of: dict[str, tuple[_Frame, str]] = {}
        for scene in dataset.scenes:
            many = len(scene.frames) > 1
            if many:
                self.report.approximated(
                    "scene",
                    reason="a sequence becomes a subset folder of numbered KITTI frames",
                    example=f"scene {scene.reference_id!r}",
                )
            if scene.metadata:
                self.report.dropped("scene", "metadata", reason="KITTI has no scene metadata")
            for ann in scene.annotations:
                self.report.dropped(ann.kind, reason="KITTI has no scene annotations")
            for i, fr in enumerate(scene.frames):
                fid = f"{scene.reference_id}/{i:06d}" if many else scene.reference_id
                frame = _Frame(fid, set(fr.sensors.values()))
                for sensor, ref in fr.sensors.items():
                    frame_of[ref] = (frame, sensor)
        for item in dataset.items:
            hit = frame_of.pop(item.reference_id, None)
            if hit is None:
                self._write_frame(item.reference_id, [("", item)])
                continue
            frame, sensor = hit
            frame.items[item.reference_id] = (sensor, item)
            if set(frame.items) == frame.expected:
                self._write_frame(frame.frame_id, list(frame.items.values()))
                frame.items.clear()
        for frame, _ in frame_of.values():  # a scene item that never came
            missing = sorted(frame.expected - set(frame.items))
            raise OutputError(
                f"frame {frame.frame_id!r}: item {missing[0]!r} of the scene is not in the dataset"
            )
        return self.summary

    def _paths(self, frame_id: str) -> tuple[Path, str]:
        subset, _, stem = frame_id.rpartition("/")
        names = self.names.setdefault(subset, SafeNames())
        name = names.name(stem, "")
        if name != stem:
            self.report.changed(
                "item", "reference_id", reason="not a file name: made safe", example=frame_id
            )
        base = self.dst / subset if subset else self.dst
        return base, name

    def _write_frame(self, frame_id: str, members: list[tuple[str, Item]]) -> None:
        where = f"frame {frame_id!r}"
        clouds = [it for _, it in members if isinstance(it.media, PointCloudMedia)]
        cameras = [(s, it) for s, it in members if not isinstance(it.media, PointCloudMedia)]
        cameras.sort(key=lambda si: si[0] != IMAGE_SENSOR)
        lidar = clouds[0] if clouds else None
        camera = cameras[0][1] if cameras else None
        for extra in clouds[1:]:
            self.report.dropped(
                "item", reason="KITTI frames have one scan", example=extra.reference_id
            )
        for _, extra in cameras[1:]:
            self.report.dropped(
                "item",
                reason="KITTI object labels use one camera (image_2)",
                example=extra.reference_id,
            )
        base, stem = self._paths(frame_id)
        calib = self._calibration(camera, lidar, where)
        for it in (lidar, camera):
            if it is not None:
                self._report_metadata(it)
        lines = self._label_lines(frame_id, camera, lidar, calib, where)
        if lines:  # a frame without objects has no label file (as KITTI's testing split)
            self._put(base / "label_2" / f"{stem}.txt", "".join(line + "\n" for line in lines))
            self.summary.add("label files")
            self.summary.add("objects", len(lines))
        if calib is not None:
            self._put(base / "calib" / f"{stem}.txt", format_calib(calib))
            self.summary.add("calib files")
        if lidar is not None:
            assert isinstance(lidar.media, PointCloudMedia)
            try:
                points = lidar.media.load()
            except InputError as exc:
                raise OutputError(f"{where}: {exc}") from None
            target = base / "velodyne" / f"{stem}.bin"
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                write_bin(points, target)
            except (ValueError, OutputError) as exc:
                raise OutputError(f"{where}: {exc}") from None
            self.summary.add("scans")
        if camera is not None and isinstance(camera.media, ImageMedia):
            self._copy_image(camera.media, base, stem, where)
        self._write_segmentation(camera, lidar, base, stem, where)

    def _write_segmentation(
        self, camera: Item | None, lidar: Item | None, base: Path, stem: str, where: str
    ) -> None:
        segs = [
            a
            for it in (camera, lidar)
            if it is not None
            for a in it.annotations
            if isinstance(a, Segmentation)
        ]
        if len(segs) > 1:
            self.report.dropped(
                "segmentation",
                n=len(segs) - 1,
                reason="KITTI keeps one segmentation per frame",
                example=where,
            )
        if not segs:
            return
        seg = segs[0]
        if seg.prediction:
            self.report.dropped("segmentation", "score", reason="KITTI PNGs have no scores")
        try:
            values = values_from_segmentation(seg, self.report, where)
        except InputError as exc:
            raise OutputError(f"{where}: {exc}") from None
        instance = seg.id == INSTANCE_ID or any(
            (s.attributes or {}).get("instance") for s in seg.segments
        )
        write_pngs(values, base, stem, instance=instance)
        self.summary.add("segmentation PNGs")

    def _put(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def _copy_image(self, media: ImageMedia, base: Path, stem: str, where: str) -> None:
        if self.images == "none":
            self.report.dropped("item", "image", reason="images=none", example=where)
            return
        if is_remote(media.path) or not Path(media.path).is_file():
            self.report.dropped(
                "item", "image", reason="the image is not a local file", example=media.path
            )
            return
        src = Path(media.path)
        target = base / "image_2" / f"{stem}{src.suffix.lower()}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.images == "symlink":
            target.symlink_to(src.resolve())
        else:
            shutil.copyfile(src, target)
        self.summary.add("images")

    def _report_metadata(self, item: Item) -> None:
        for key in item.metadata:
            if key not in _KNOWN_METADATA:
                self.report.dropped(
                    "item",
                    f"metadata.{key}",
                    reason="KITTI has no item metadata",
                    example=item.reference_id,
                )
        if item.camera is not None and (item.camera.distortion or item.camera.camera_model):
            self.report.dropped(
                "item",
                "camera.distortion",
                reason="KITTI calibrations are rectified pinholes",
                example=item.reference_id,
            )

    # ------------------------------------------------------------------ calibration

    def _calibration(
        self, camera: Item | None, lidar: Item | None, where: str
    ) -> Calibration | None:
        stored = None
        for it in (camera, lidar):
            if it is not None and CALIB_KEY in it.metadata:
                stored = _calib_from_metadata(
                    it.metadata[CALIB_KEY], f"{where}, {it.reference_id!r}"
                )
                break
        cam = camera.camera if camera is not None else None
        if stored is not None:
            if cam is None:
                return stored
            try:
                implied = camera_params(stored, 2)
            except ValueError as exc:
                raise OutputError(f"{where}: metadata {CALIB_KEY}: {exc}") from None
            if _same_camera(implied, cam):
                return stored
            self.report.changed(
                "item",
                CALIB_KEY,
                reason="the camera parameters differ from the stored calibration; "
                "the calibration is rebuilt from the camera",
                example=where,
            )
        if cam is not None:
            try:
                return calibration_from_camera(cam)
            except ValueError as exc:
                raise OutputError(f"{where}: camera parameters: {exc}") from None
        return None

    # ------------------------------------------------------------------ labels

    def _attrs(self, ann: Annotation) -> tuple[float | None, int | None, float | None]:
        a = ann.attributes
        for key in a:
            if key not in _KNOWN_ATTRIBUTES:
                self.report.dropped(
                    ann.kind, f"attributes.{key}", reason="KITTI labels have no such column"
                )
        truncated = a.get("truncated")
        occluded = a.get("occluded")
        alpha = a.get("alpha")
        ok_t = truncated is None or (
            type(truncated) in (int, float) and 0.0 <= float(truncated) <= 1.0
        )
        ok_o = occluded is None or (type(occluded) is int and occluded in (0, 1, 2, 3))
        ok_a = alpha is None or (
            type(alpha) in (int, float) and math.isfinite(alpha) and abs(alpha) <= math.pi + 0.005
        )
        for ok, key in ((ok_t, "truncated"), (ok_o, "occluded"), (ok_a, "alpha")):
            if not ok:
                self.report.dropped(
                    ann.kind,
                    f"attributes.{key}",
                    reason="not a valid KITTI value",
                    example=repr(a.get(key)),
                )
        return (
            float(truncated) if ok_t and truncated is not None else None,
            occluded if ok_o else None,
            float(alpha) if ok_a and alpha is not None else None,
        )

    def _common(self, ann: Annotation) -> None:
        if ann.track_id is not None:
            self.report.dropped(ann.kind, "track_id", reason="KITTI object labels have no tracks")
        if ann.class_pdf:
            self.report.dropped(ann.kind, "class_pdf", reason="KITTI has one score per object")

    def _type(self, label: str, kind: str) -> str:
        fixed = "_".join(label.split()) or DONTCARE
        if fixed != label:
            self.report.changed(kind, "label", reason="KITTI types are one word", example=label)
        return fixed

    def _label_lines(
        self,
        frame_id: str,
        camera: Item | None,
        lidar: Item | None,
        calib: Calibration | None,
        where: str,
    ) -> list[str]:
        anns = [*(camera.annotations if camera else []), *(lidar.annotations if lidar else [])]
        boxes = [a for a in anns if isinstance(a, Box)]
        cuboids = [a for a in anns if isinstance(a, Cuboid)]
        for a in anns:
            if not isinstance(a, Box | Cuboid | Segmentation):
                self.report.dropped(a.kind, reason="KITTI labels are boxes and cuboids")
        size = self._image_size(camera)
        usable: list[Cuboid] = []
        if cuboids and calib is None:
            self.report.dropped(
                "cuboid",
                n=len(cuboids),
                reason="no calibration or camera parameters to place it",
                example=where,
            )
        elif calib is not None and cuboids and kitti_axes_deviation(calib) > _MAX_AXES_DEVIATION:
            self.report.dropped(
                "cuboid",
                n=len(cuboids),
                reason="the camera is turned away from KITTI's axes: rotation_y is undefined",
                example=where,
            )
        else:
            usable = cuboids
        by_id: dict[tuple[str, str, bool], Cuboid] = {}
        for c in usable:
            if c.id is not None:
                by_id.setdefault((c.id, c.label, c.prediction), c)
        lines: list[str] = []
        used: set[int] = set()
        for b in boxes:
            self._common(b)
            pair = by_id.get((b.id, b.label, b.prediction)) if b.id is not None else None
            if pair is not None and id(pair) in used:
                pair = None
            truncated, occluded, alpha = self._attrs(b)
            is_dontcare = b.label == DONTCARE or b.attributes.get("dontcare") is True
            fields: dict[str, Any] = {
                "type": DONTCARE if is_dontcare else self._type(b.label, "box"),
                "truncated": truncated,
                "occluded": occluded,
                "alpha": alpha,
                "box": (b.x, b.y, b.x + b.width, b.y + b.height),
                "score": b.score,
            }
            if pair is not None and not is_dontcare:
                assert calib is not None
                used.add(id(pair))
                self._common(pair)
                self._attrs(pair)
                fields.update(self._three_d(pair, calib))
            lines.append(self._line(fields, where))
        for c in usable:
            if id(c) in used:
                continue
            assert calib is not None
            self._common(c)
            line = self._projected(c, calib, size, where)
            if line is not None:
                lines.append(line)
        return lines

    def _three_d(self, c: Cuboid, calib: Calibration) -> dict[str, Any]:
        h, w, length, x, y, z, ry = cuboid_to_kitti(c.position, c.dimensions, c.yaw, calib)
        return {"dimensions": (h, w, length), "location": (x, y, z), "rotation_y": ry}

    def _projected(
        self,
        c: Cuboid,
        calib: Calibration,
        size: tuple[int, int] | None,
        where: str,
    ) -> str | None:
        uv = project_to_image(cuboid_corners(c.position, c.dimensions, c.yaw), calib, 2)
        if not np.isfinite(uv).all():
            self.report.dropped(
                "cuboid",
                reason="a corner is behind the camera: not in the view KITTI labels",
                example=where,
            )
            return None
        lo, hi = uv.min(axis=0), uv.max(axis=0)
        left, top, right, bottom = float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])
        truncated_attr, occluded, alpha_attr = self._attrs(c)
        truncated = truncated_attr
        if size is not None:
            w, h = size
            cl, ct = min(max(left, 0.0), w - 1.0), min(max(top, 0.0), h - 1.0)
            cr, cb = min(max(right, 0.0), w - 1.0), min(max(bottom, 0.0), h - 1.0)
            full = (right - left) * (bottom - top)
            if truncated is None:
                inside = (cr - cl) * (cb - ct)
                truncated = 0.0 if full <= 0 else round(1.0 - inside / full, 2)
            left, top, right, bottom = cl, ct, cr, cb
        fields: dict[str, Any] = {
            "type": self._type(c.label, "cuboid"),
            "truncated": truncated,
            "occluded": occluded,
            "box": (left, top, right, bottom),
            "score": c.score,
            **self._three_d(c, calib),
        }
        fields["alpha"] = (
            alpha_attr
            if alpha_attr is not None
            else alpha_from(fields["rotation_y"], fields["location"])
        )
        self.summary.add("2D boxes projected from cuboids")
        return self._line(fields, where)

    def _line(self, fields: dict[str, Any], where: str) -> str:
        try:
            return format_label(**fields)
        except ValueError as exc:
            raise OutputError(f"{where}: {exc}") from None

    def _image_size(self, camera: Item | None) -> tuple[int, int] | None:
        if camera is None or not isinstance(camera.media, ImageMedia):
            return None
        if camera.media.width and camera.media.height:
            return camera.media.width, camera.media.height
        return local_image_size(camera.media.path)


def write_kitti(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as a KITTI object tree under ``dst`` (see the module docstring)."""
    return _Writer(dst, options, report).write(dataset)
