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

Output names
------------
Every path written is built from a frame id and goes through
:func:`~nucleus_convert.toolkit.paths.confined`. A frame id whose subset is not a plain
relative folder path (absolute, ``..``, ``.``-hidden or empty parts, NUL, backslash, a part
over 255 bytes) has its subset mapped to one safe folder name, and a stem that is not a safe
file name is mapped by :class:`~nucleus_convert.toolkit.files.SafeNames`; each mapping is
reported as ``reference_id`` changed, with the name written. Nothing is written outside the
destination.

Losses
------
What KITTI cannot carry is declared once in :mod:`.carries` and counted per ``(kind,
field)``: annotation kinds other than box, cuboid and segmentation (dropped whole), track and
group ids, class pdfs, extras, item extras, scene metadata and annotations, a scan item's
camera, the header's skeletons, taxonomies and extras, and categories no line uses.

Numbers are written with two decimals, or the few more a value needs to stay within 1e-9 of
itself (:func:`~nucleus_convert.converters.kitti.labels.format_number`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nucleus_convert.converters.kitti.carries import (
    CARRIES,
    HANDLED_ITEM,
    HANDLED_SEGMENTATION,
)
from nucleus_convert.converters.kitti.schema import CALIB_KEY, IMAGE_SENSOR, LIDAR_SENSOR
from nucleus_convert.converters.kitti.segmentation import (
    CITYSCAPES,
    INSTANCE_ID,
    SEMANTIC_ID,
    values_from_segmentation,
    write_pngs,
)
from nucleus_convert.converters.kitti.write_calib import frame_calibration, kitti_axes_deviation
from nucleus_convert.converters.kitti.write_labels import FrameLabels, LabelWriter
from nucleus_convert.converters.kitti.write_names import FrameNames, FramePlace
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.geometry.intensity import INTENSITY_SCALE_KEY, INTENSITY_SOURCE_KEY
from nucleus_convert.geometry.kitti import format_calib
from nucleus_convert.geometry.pointcloud_files import write_bin
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Box,
    Cuboid,
    Dataset,
    Header,
    ImageMedia,
    Item,
    PointCloudMedia,
    Scene,
    Segmentation,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import local_image_size
from nucleus_convert.toolkit.images import place_image
from nucleus_convert.toolkit.losses import FieldLedger, drop_bare_categories

__all__ = ["kitti_axes_deviation", "write_kitti"]

_KNOWN_METADATA = frozenset({CALIB_KEY, INTENSITY_SCALE_KEY, INTENSITY_SOURCE_KEY})
_CITYSCAPES = frozenset(CITYSCAPES)


@dataclass(slots=True)
class _Frame:
    frame_id: str
    expected: set[str]
    items: dict[str, tuple[str, Item]] = field(default_factory=dict)
    """item ref -> (sensor name, item)"""


@dataclass(slots=True)
class _Members:
    """A frame's items: the scan and the camera kept, the rest left out."""

    lidar: Item | None
    camera: Item | None
    extra_clouds: list[Item]
    extra_cameras: list[Item]

    @classmethod
    def of(cls, members: list[tuple[str, Item]]) -> _Members:
        """The first point cloud item is the scan; the camera is the sensor ``image_2``, else
        the first other item."""
        clouds = [it for _, it in members if isinstance(it.media, PointCloudMedia)]
        cameras = [(s, it) for s, it in members if not isinstance(it.media, PointCloudMedia)]
        cameras.sort(key=lambda si: si[0] != IMAGE_SENSOR)
        return cls(
            lidar=clouds[0] if clouds else None,
            camera=cameras[0][1] if cameras else None,
            extra_clouds=clouds[1:],
            extra_cameras=[it for _, it in cameras[1:]],
        )


class _Writer:
    def __init__(self, dst: Path, options: Mapping[str, Any], report: LossReport) -> None:
        self.dst = dst
        self.images = str(options.get("images") or "copy")
        self.report = report
        self.summary = WriteSummary()
        self.ledger = FieldLedger(report, CARRIES)
        self.names = FrameNames(dst, report)
        self.labels = LabelWriter(self.ledger, self.summary)

    # ------------------------------------------------------------------ frames

    def write(self, dataset: Dataset) -> WriteSummary:
        self.dst.mkdir(parents=True)
        frame_of: dict[str, tuple[_Frame, str]] = {}
        for scene in dataset.scenes:
            self._plan_scene(scene, frame_of)
        for item in dataset.items:
            hit = frame_of.pop(item.reference_id, None)
            if hit is None:
                self._write_frame(item.reference_id, [("", item)], "item")
                continue
            frame, sensor = hit
            frame.items[item.reference_id] = (sensor, item)
            if set(frame.items) == frame.expected:
                self._write_frame(frame.frame_id, list(frame.items.values()), "scene")
                frame.items.clear()
        for frame, _ in frame_of.values():  # a scene item that never came
            missing = sorted(frame.expected - set(frame.items))
            raise OutputError(
                f"frame {frame.frame_id!r}: item {missing[0]!r} of the scene is not in the dataset"
            )
        self._header(dataset.header)
        return self.summary

    def _plan_scene(self, scene: Scene, frame_of: dict[str, tuple[_Frame, str]]) -> None:
        """Register the scene's frames (their items are written when the last one arrives) and
        count what KITTI does not keep of the scene itself."""
        where = f"scene {scene.reference_id!r}"
        many = len(scene.frames) > 1
        if many:
            self.report.approximated(
                "scene",
                reason="a sequence becomes a subset folder of numbered KITTI frames",
                example=where,
            )
        self.ledger.fields(scene, where, handled={"annotations"})
        self._frame_sensors(scene, many, where)
        for ann in scene.annotations:
            self.ledger.drop(ann, where, "KITTI has no scene annotations")
        for i, fr in enumerate(scene.frames):
            fid = f"{scene.reference_id}/{i:06d}" if many else scene.reference_id
            frame = _Frame(fid, set(fr.sensors.values()))
            for sensor, ref in fr.sensors.items():
                frame_of[ref] = (frame, sensor)

    def _frame_sensors(self, scene: Scene, many: bool, where: str) -> None:
        """Count a scene whose frames name sensors other than KITTI's: they read back as
        ``velodyne`` (the scan) and ``image_2`` (the camera)."""
        for i, fr in enumerate(scene.frames):
            fid = f"{scene.reference_id}/{i:06d}" if many else scene.reference_id
            if any(ref != f"{fid}/{s}" for s, ref in fr.sensors.items()) or not set(fr.sensors) <= {
                LIDAR_SENSOR,
                IMAGE_SENSOR,
            }:
                self.report.approximated(
                    "scene",
                    "frames",
                    reason="KITTI frames have the sensors velodyne and image_2",
                    example=where,
                )
                return

    def _write_frame(self, frame_id: str, members: list[tuple[str, Item]], kind: str) -> None:
        where = f"frame {frame_id!r}"
        kept = _Members.of(members)
        for extra in kept.extra_clouds:
            self._leave_out(extra, "KITTI frames have one scan")
        for extra in kept.extra_cameras:
            self._leave_out(extra, "KITTI object labels use one camera (image_2)")
        place = self.names.place(frame_id, kind)
        lidar, camera = kept.lidar, kept.camera
        if kind == "scene":
            self._read_back_names(place.frame_id, lidar, camera, where)
        calib = frame_calibration(camera, lidar, where, self.report)
        frame = FrameLabels(place.frame_id, where, calib=calib)
        segs: list[Segmentation] = []
        for it in (camera, lidar):  # the camera's annotations first: they number the lines
            if it is not None:
                self._item_fields(it, scan=it is lidar)
                self._dispatch(it, frame, segs)
        frame.size = _image_size(camera)
        self._write_labels(place, frame)
        if frame.calib is not None:
            self._put(place.file("calib", ".txt"), format_calib(frame.calib))
            self.summary.add("calib files")
        if lidar is not None:
            self._write_scan(lidar, place, where)
        if camera is not None and isinstance(camera.media, ImageMedia):
            self._place_image(camera.media, place, where)
        self._write_segmentation(segs, place, where)

    def _read_back_names(
        self, frame_id: str, lidar: Item | None, camera: Item | None, where: str
    ) -> None:
        """Count the scene items whose reference ids KITTI will not give back: a frame's items
        read back as ``<frame>/velodyne`` and ``<frame>/image_2``, and a frame without a scan
        as an image item named after the frame (no scene)."""
        if lidar is None:
            self.report.approximated(
                "scene", reason="a frame without a scan reads back as an image item", example=where
            )
        names = [(lidar, f"{frame_id}/{LIDAR_SENSOR}")]
        names.append((camera, frame_id if lidar is None else f"{frame_id}/{IMAGE_SENSOR}"))
        for item, back in names:
            if item is not None and item.reference_id != back:
                self.report.approximated(
                    "item",
                    "reference_id",
                    reason="KITTI names a frame's items <frame>/velodyne and <frame>/image_2",
                    example=f"{item.reference_id!r} -> {back!r}",
                )

    def _leave_out(self, item: Item, reason: str) -> None:
        """Count an item the frame has no place for, and its annotations with it."""
        where = f"item {item.reference_id!r}"
        self.report.dropped("item", reason=reason, example=item.reference_id)
        for ann in item.annotations:
            self.ledger.drop(ann, where, "its item was not written")

    def _dispatch(self, item: Item, frame: FrameLabels, segs: list[Segmentation]) -> None:
        """Sort the item's annotations into the frame's boxes, cuboids and segmentations; a
        kind KITTI has no place for is counted as dropped whole."""
        for ann in item.annotations:
            if not self.ledger.take(ann, frame.where):
                continue
            if isinstance(ann, Box):
                frame.boxes.append(ann)
            elif isinstance(ann, Cuboid):
                frame.cuboids.append(ann)
            elif isinstance(ann, Segmentation):
                segs.append(ann)
            else:  # a kind declared in CARRIES without a writer here
                raise AssertionError(f"kitti: no writer for {ann.kind}")

    def _item_fields(self, item: Item, *, scan: bool) -> None:
        """Count what KITTI does not keep of a written item: metadata key by key (the
        calibration and intensity scale are given back), a scan's camera, a camera's
        distortion, extras."""
        where = f"item {item.reference_id!r}"
        self.ledger.fields(item, where, handled=HANDLED_ITEM)
        for key in item.metadata:
            if key not in _KNOWN_METADATA:
                self.report.dropped(
                    "item",
                    f"metadata.{key}",
                    reason="KITTI has no item metadata",
                    example=item.reference_id,
                )
        if item.camera is None:
            return
        if scan:
            self.report.dropped(
                "item", "camera", reason="a KITTI scan has no camera", example=where
            )
        elif item.camera.distortion or item.camera.camera_model:
            self.report.dropped(
                "item",
                "camera.distortion",
                reason="KITTI calibrations are rectified pinholes",
                example=item.reference_id,
            )

    # ------------------------------------------------------------------ files

    def _put(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def _write_labels(self, place: FramePlace, frame: FrameLabels) -> None:
        lines = self.labels.lines(frame)
        if lines:  # a frame without objects has no label file (as KITTI's testing split)
            self._put(place.file("label_2", ".txt"), "".join(line + "\n" for line in lines))
            self.summary.add("label files")
            self.summary.add("objects", len(lines))

    def _write_scan(self, lidar: Item, place: FramePlace, where: str) -> None:
        assert isinstance(lidar.media, PointCloudMedia)
        try:
            points = lidar.media.load()
        except InputError as exc:
            raise OutputError(f"{where}: {exc}") from None
        target = place.file("velodyne", ".bin")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            write_bin(points, target)
        except (ValueError, OutputError) as exc:
            raise OutputError(f"{where}: {exc}") from None
        self.summary.add("scans")

    def _place_image(self, media: ImageMedia, place: FramePlace, where: str) -> None:
        """Copy or link the camera image as ``image_2/<stem><suffix>`` (``images`` option)."""
        if self.images == "none":
            self.report.dropped("item", "media", reason="images=none", example=where)
            return
        suffix = Path(media.path).suffix.lower()
        try:
            target = place.file("image_2", suffix)
        except OutputError:
            target = None
        problem = (
            place_image(media.path, target, self.images)
            if target is not None
            else "the image's suffix cannot be part of a file name"
        )
        if problem is not None:
            self.report.dropped("item", "media", reason=problem, example=media.path)
            return
        self.summary.add("images")

    def _write_segmentation(self, segs: list[Segmentation], place: FramePlace, where: str) -> None:
        """The frame's first segmentation as PNGs (:mod:`.segmentation`); the others dropped."""
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
        self.ledger.fields(seg, where, handled=HANDLED_SEGMENTATION)
        if seg.prediction:
            self.report.dropped("segmentation", "score", reason="KITTI PNGs have no scores")
        try:
            values = values_from_segmentation(seg, self.report, where)
        except InputError as exc:
            raise OutputError(f"{where}: {exc}") from None
        instance = seg.id == INSTANCE_ID or any(
            (s.attributes or {}).get("instance") for s in seg.segments
        )
        if seg.id is not None and seg.id != (INSTANCE_ID if instance else SEMANTIC_ID):
            self.report.approximated(
                "segmentation",
                "id",
                reason="a KITTI segmentation's id is instance or semantic",
                example=seg.id,
            )
        self.labels.used_labels.update(s.label for s in seg.segments if s.label in _CITYSCAPES)
        write_pngs(values, place.base, place.stem, instance=instance)
        self.summary.add("segmentation PNGs")

    # ------------------------------------------------------------------ header

    def _header(self, header: Header) -> None:
        """Count the header fields KITTI has no place for; of the categories only the labels
        written come back, as bare names."""
        self.ledger.fields(header, "header", handled={"categories"})
        drop_bare_categories(
            self.report,
            header,
            self.labels.used_labels,
            "KITTI declares only the labels it writes, without ids, supercategories or attributes",
        )


def _image_size(camera: Item | None) -> tuple[int, int] | None:
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
