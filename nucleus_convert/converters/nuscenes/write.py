"""Writing the model as nuScenes v1.0 tables, LiDAR ``.pcd.bin`` files and camera images.

See :mod:`nucleus_convert.converters.nuscenes` for the layout and the mapping; this module is
the inverse of :mod:`.read`. Items stream: a frame's items are held until the frame has them
all (the model's frame is its reference LiDAR's, which may come last), then its point clouds
and images are written and its records kept; the tables (small) are written at the end, when
their links and counts are known. What every record reads back as is predicted with the
reader's own functions (:mod:`.schema`) and every difference counted: what the tables cannot
hold as dropped, what the writer had to make up or replace as approximated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from nucleus_convert.converters.nuscenes.carries import (
    CARRIES,
    HANDLED_ITEM,
    HANDLED_SCENE,
    NO_PLACE,
)
from nucleus_convert.converters.nuscenes.lidar import write_pcd_bin
from nucleus_convert.converters.nuscenes.poses import IDENTITY, Pose, points_to_child
from nucleus_convert.converters.nuscenes.schema import (
    FRAMES,
    LIDAR_CHANNEL,
    LIDAR_SUFFIX,
    SensorSample,
    file_stem,
    item_metadata,
    scene_metadata,
)
from nucleus_convert.converters.nuscenes.write_annotations import Annotations
from nucleus_convert.converters.nuscenes.write_tables import (
    Rig,
    TokenTable,
    camera_calibration,
    diff_fields,
    intrinsic_matrix,
    link,
    meta_pose,
    same_camera,
)
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    CameraParams,
    Dataset,
    Frame,
    Header,
    ImageMedia,
    Item,
    PointCloudMedia,
    Scene,
)
from nucleus_convert.registry import WriteSummary
from nucleus_convert.toolkit.files import is_remote, local_image_size
from nucleus_convert.toolkit.images import place_image
from nucleus_convert.toolkit.losses import FieldLedger
from nucleus_convert.toolkit.paths import confined

__all__ = ["KEYFRAME_INTERVAL_US", "write_nuscenes"]

KEYFRAME_INTERVAL_US = 500_000
"""Made-up timestamps are this many microseconds apart (nuScenes keyframes are 2 Hz)."""


@dataclass(slots=True)
class _FrameState:
    scene: _SceneState
    index: int
    sensors: dict[str, str]
    items: dict[str, Item] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)
    """sensor -> the reference id it reads back as"""
    sample: str = ""

    @property
    def complete(self) -> bool:
        return len(self.items) == len(self.sensors)


@dataclass(slots=True)
class _SceneState:
    scene: Scene
    frame: str
    frames: list[_FrameState] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """channel -> its sample_data records, in frame order"""


@dataclass(slots=True)
class _Sensor:
    """One item's nuScenes side: tokens, timestamp and poses from its metadata or made up."""

    channel: str
    lidar: bool
    token: str
    timestamp: int
    ego: Pose
    ego_rec: dict[str, Any]
    calib: Pose
    cs_rec: dict[str, Any] | None
    sample_ts: int | None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class _Writer:
    def __init__(
        self, dst: Path, options: Mapping[str, Any], report: LossReport, header: Header
    ) -> None:
        self.dst = dst
        self.report = report
        self.ledger = FieldLedger(report, CARRIES)
        self.images = str(options.get("images") or "copy")
        self.version = str(options.get("version") or "")
        self.summary = WriteSummary()
        self.scenes: list[_SceneState] = []
        self.slots: dict[str, list[tuple[_FrameState, str]]] = {}
        self.stems: set[str] = set()
        self.tables = {
            name: TokenTable(name, merge=name in ("ego_pose", "calibrated_sensor", "sensor", "log"))
            for name in (
                "scene",
                "sample",
                "sample_data",
                "ego_pose",
                "calibrated_sensor",
                "sensor",
                "log",
            )
        }
        self.modality: dict[str, str] = {}
        self.anns = Annotations(report, self.ledger, header)

    # -- planning

    def add_scene(self, scene: Scene) -> _SceneState:
        kind = scene.metadata.get("frame")
        state = _SceneState(scene, kind if kind in FRAMES else "world")
        for n, frame in enumerate(scene.frames):
            fs = _FrameState(state, n, dict(frame.sensors))
            state.frames.append(fs)
            for sensor, ref in frame.sensors.items():
                self.slots.setdefault(ref, []).append((fs, sensor))
        where = f"scene {scene.reference_id!r}"
        self.ledger.fields(scene, where, handled=HANDLED_SCENE)
        for ann in scene.annotations:
            self.ledger.drop(ann, where, "nuScenes has no scene-level labels")
        self.scenes.append(state)
        return state

    # -- items

    def take(self, item: Item) -> None:
        where = f"item {item.reference_id!r}"
        slots = self.slots.pop(item.reference_id, None)
        if slots is None:
            if not isinstance(item.media, PointCloudMedia):
                self._drop_item(item, "nuScenes holds the items of scenes only")
                return
            self.add_scene(Scene(item.reference_id, [Frame({LIDAR_CHANNEL: item.reference_id})]))
            self.report.approximated(
                "scene",
                reason="a point cloud outside a scene became a one-frame scene",
                example=where,
            )
            slots = self.slots.pop(item.reference_id)
        frame, sensor = slots[0]
        for other, _ in slots[1:]:
            self.report.dropped(
                "scene",
                "frames",
                reason="an item in several frames is written in its first only",
                example=f"{where} (scene {other.scene.scene.reference_id!r}, frame {other.index})",
            )
            other.sensors.pop(next(s for s, r in other.sensors.items() if r == item.reference_id))
            self._maybe_complete(other)
        if not isinstance(item.media, PointCloudMedia | ImageMedia):
            self._drop_item(item, "an item without media has nothing to write")
            frame.sensors.pop(sensor)
        else:
            frame.items[sensor] = item
        self._maybe_complete(frame)

    def _drop_item(self, item: Item, reason: str) -> None:
        where = f"item {item.reference_id!r}"
        self.report.dropped("item", reason=reason, example=where)
        for ann in item.annotations:
            self.ledger.drop(ann, where, "its item was not written")

    def _maybe_complete(self, frame: _FrameState) -> None:
        if frame.complete and not frame.sample:
            self._write_frame(frame)

    # -- frames

    def _write_frame(self, frame: _FrameState) -> None:
        state = frame.scene
        lidars = sorted(s for s, it in frame.items.items() if isinstance(it.media, PointCloudMedia))
        if not lidars:
            raise OutputError(
                f"scene {state.scene.reference_id!r}, frame {frame.index}: no point cloud; a "
                "nuScenes sample is a LiDAR sweep"
            )
        first = LIDAR_CHANNEL if LIDAR_CHANNEL in lidars else lidars[0]
        order = [first, *sorted(s for s in frame.items if s != first)]
        sensors = {s: self._sensor(frame, s, frame.items[s]) for s in order}
        ref = sensors[first]
        rig = Rig(state.frame, ref.ego, ref.calib)
        md = frame.items[first].metadata
        frame.sample = self.tables["sample"].add(
            md.get("sample_token"), {}, f"{state.scene.reference_id}/{frame.index}"
        )
        sample_ts = ref.sample_ts if ref.sample_ts is not None else ref.timestamp
        state.samples.append(self.tables["sample"].records[frame.sample])
        state.samples[-1].update({"timestamp": sample_ts, "scene_token": ""})
        for sensor in order:
            self._write_item(frame, frame.items[sensor], sensors[sensor], rig, sensor == first)
        frame.items.clear()
        self.summary.add("samples")

    def _sensor(self, frame: _FrameState, channel: str, item: Item) -> _Sensor:
        md = item.metadata
        lidar = isinstance(item.media, PointCloudMedia)
        timestamp = _int(md.get("timestamp"))
        if timestamp is None:
            timestamp = _int(md.get("timestamp_us"))
        if timestamp is None:
            timestamp = frame.index * KEYFRAME_INTERVAL_US
        token = self.tables["sample_data"].add(md.get("token"), {}, f"{item.reference_id}")
        ego = meta_pose(md.get("ego_pose"))
        calib = meta_pose(md.get("calibrated_sensor"))
        ego_pose, ego_rec = ego if ego is not None else (IDENTITY, {})
        ego_ts = _int(ego_rec.get("timestamp"))
        record = {
            "timestamp": timestamp if ego_ts is None else ego_ts,
            "rotation": list(ego_pose.rotation),
            "translation": list(ego_pose.translation),
        }
        ego_token = self.tables["ego_pose"].add(ego_rec.get("token", token), record, token)
        return _Sensor(
            channel,
            lidar,
            token,
            timestamp,
            ego_pose,
            self.tables["ego_pose"].records[ego_token],
            calib[0] if calib is not None else IDENTITY,
            calib[1] if calib is not None else None,
            _int(md.get("sample_timestamp")),
        )

    def _sensor_token(self, s: _Sensor) -> str:
        modality = "lidar" if s.lidar else "camera"
        if self.modality.setdefault(s.channel, modality) != modality:
            raise OutputError(f"sensor {s.channel!r} holds both point clouds and images")
        preferred = (s.cs_rec or {}).get("sensor_token")
        for token, rec in self.tables["sensor"].records.items():
            if rec["channel"] == s.channel:
                return token
        return self.tables["sensor"].add(
            preferred, {"channel": s.channel, "modality": modality}, s.channel
        )

    def _calibration(self, s: _Sensor, item: Item, rig: Rig, where: str) -> str:
        cam = item.camera if not s.lidar else None
        calib, intrinsic = s.calib, []
        if cam is not None:
            intrinsic = intrinsic_matrix(cam, (s.cs_rec or {}).get("camera_intrinsic"))
            if s.cs_rec is None or not same_camera(cam, rig.sensor(s.ego, s.calib)):
                calib, exact = camera_calibration(rig, s.ego, cam)
                if not exact:
                    self.report.approximated(
                        "item",
                        "camera",
                        reason="the camera pose reads back within rounding "
                        "(composed with the ego pose into the model's frame)",
                        example=where,
                    )
            self._camera_losses(cam, where)
        record = {
            "sensor_token": self._sensor_token(s),
            "translation": list(calib.translation),
            "rotation": list(calib.rotation),
            "camera_intrinsic": intrinsic,
        }
        stable = f"{s.channel}:{orjson.dumps(record).decode()}"
        return self.tables["calibrated_sensor"].add((s.cs_rec or {}).get("token"), record, stable)

    def _camera_losses(self, cam: CameraParams, where: str) -> None:
        if any(cam.distortion.values()):
            self.report.dropped(
                "item",
                "camera.distortion",
                reason="nuScenes images are undistorted: no distortion terms",
                example=where,
            )
        if cam.camera_model:
            self.report.dropped("item", "camera.camera_model", reason=NO_PLACE, example=where)

    def _write_item(
        self, frame: _FrameState, item: Item, s: _Sensor, rig: Rig, first: bool
    ) -> None:
        where = f"item {item.reference_id!r}"
        state = frame.scene
        cs_token = self._calibration(s, item, rig, where)
        stem = self._stem(item.reference_id, where)
        folder = file_stem(s.channel)
        if s.lidar:
            filename = f"samples/{folder}/{stem}{LIDAR_SUFFIX}"
            self._write_points(
                item, rig.sensor(s.ego, s.calib), confined(self.dst, filename, record=where), where
            )
            size = (0, 0)
        else:
            filename, size = self._place_image(item, folder, stem, where)
        record = self.tables["sample_data"].records[s.token]
        record.update(
            {
                "sample_token": frame.sample,
                "ego_pose_token": s.ego_rec["token"],
                "calibrated_sensor_token": cs_token,
                "filename": filename,
                "fileformat": "pcd" if s.lidar else Path(filename).suffix[1:],
                "is_key_frame": True,
                "height": size[1],
                "width": size[0],
                "timestamp": s.timestamp,
            }
        )
        state.data.setdefault(s.channel, []).append(record)
        frame.written[s.channel] = stem
        ego = {k: s.ego_rec[k] for k in ("token", "timestamp", "rotation", "translation")}
        cs = dict(self.tables["calibrated_sensor"].records[cs_token])
        sample_ts = state.samples[-1]["timestamp"]
        predicted = item_metadata(
            SensorSample(
                s.token,
                frame.sample,
                s.timestamp,
                ego,
                cs,
                s.lidar,
                sample_ts if first and sample_ts != s.timestamp else None,
            )
        )
        diff_fields(self.report, "item", "metadata", item.metadata, predicted, where)
        self.ledger.fields(item, where, handled=HANDLED_ITEM)
        self.anns.take(item, frame.sample, state.scene.reference_id, rig, first, where)
        self.anns.points.pop(item.reference_id, None)  # one cloud in memory at a time
        self.summary.add("sample_data")

    def _stem(self, ref: str, where: str) -> str:
        stem = file_stem(ref)
        n = 1
        while stem in self.stems:
            n += 1
            stem = f"{file_stem(ref)}-{n}"
        self.stems.add(stem)
        if stem != ref:
            self.report.approximated(
                "item",
                "reference_id",
                reason="an item is named by its file: the id made a safe, unique file name",
                example=where,
            )
        return stem

    def _write_points(self, item: Item, to_frame: Pose, target: Path, where: str) -> None:
        assert isinstance(item.media, PointCloudMedia)
        media = item.media
        if media.points is None and media.path is not None and is_remote(media.path):
            raise OutputError(f"{where}: point cloud {media.path} is remote; download it first")
        try:
            points = np.asarray(media.load(), dtype=np.float32)
        except (InputError, ValueError) as exc:
            raise OutputError(f"{where}: {exc}") from None
        if points.ndim != 2 or points.shape[1] not in (3, 4):
            raise OutputError(
                f"{where}: points must have shape (N, 3) or (N, 4), got {points.shape}"
            )
        sensor, missed = points_to_child(to_frame, np.ascontiguousarray(points[:, :3]))
        misses = int(missed.size)
        out = np.zeros((points.shape[0], 4), dtype=np.float32)
        out[:, :3] = sensor
        if points.shape[1] == 4:
            out[:, 3] = points[:, 3]
        else:
            self.report.approximated(
                "item", "media.points", reason="no intensity: written as 0", example=where
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        clipped = write_pcd_bin(out, target)
        for n, why in (
            (misses, "moved into the LiDAR frame, read back within float32 rounding"),
            (clipped, "intensity outside 0..1 clipped"),
        ):
            if n:
                self.report.approximated("item", "media.points", n=n, reason=why, example=where)
        self.summary.add("point clouds")
        self.anns.points[item.reference_id] = points

    def _place_image(
        self, item: Item, folder: str, stem: str, where: str
    ) -> tuple[str, tuple[int, int]]:
        assert isinstance(item.media, ImageMedia)
        media = item.media
        suffix = Path(media.path.split("?")[0]).suffix.lower() or ".jpg"
        filename = f"samples/{folder}/{stem}{suffix}"
        target = confined(self.dst, filename, record=where)
        reason = place_image(media.path, target, self.images)
        if self.images == "none":
            reason = "camera images not copied (images=none)"
        if reason is not None:
            self.report.dropped("item", "media", reason=reason, example=where)
        else:
            self.summary.add("images")
        size = (media.width, media.height)
        if size[0] is None or size[1] is None:
            size = local_image_size(media.path) or (0, 0)
            if media.width is not None or media.height is not None:
                self.report.dropped(
                    "item", "media.width", reason="width and height go together", example=where
                )
        return filename, (int(size[0] or 0), int(size[1] or 0))

    # -- the end

    def finish(self, dataset: Dataset) -> None:
        for ref, slots in self.slots.items():
            frame, _ = slots[0]
            raise OutputError(
                f"scene {frame.scene.scene.reference_id!r}, frame {frame.index}: item {ref!r} is "
                "not in the dataset"
            )
        for state in self.scenes:
            self._finish_scene(state)
        folder = confined(self.dst, self._version(dataset), record="header")
        folder.mkdir()
        for table in self.tables.values():
            table.dump(folder)
        self.anns.dump(folder)
        (folder / "map.json").write_bytes(b"[]\n")

    def _version(self, dataset: Dataset) -> str:
        if self.version:
            return self.version
        extra = dataset.header.extra.get("nuscenes")
        given = extra.get("version") if isinstance(extra, dict) else None
        return given if isinstance(given, str) and file_stem(given) == given else "v1.0-converted"

    def _finish_scene(self, state: _SceneState) -> None:
        scene = state.scene
        where = f"scene {scene.reference_id!r}"
        if not state.samples:
            self.report.dropped("scene", reason="no frame with a point cloud", example=where)
            return
        md = scene.metadata
        log_rec = {
            k: md[k] if isinstance(md.get(k), str) else ""
            for k in ("logfile", "vehicle", "date_captured", "location")
        }
        if not isinstance(md.get("logfile"), str):
            log_rec["logfile"] = scene.reference_id
        log_token = self.tables["log"].add(md.get("log_token"), log_rec, scene.reference_id)
        link(state.samples)
        record = {
            "log_token": log_token,
            "nbr_samples": len(state.samples),
            "first_sample_token": state.samples[0]["token"],
            "last_sample_token": state.samples[-1]["token"],
            "name": scene.reference_id,
            "description": md["description"] if isinstance(md.get("description"), str) else "",
        }
        token = self.tables["scene"].add(md.get("token"), record, scene.reference_id)
        for sample in state.samples:
            sample["scene_token"] = token
        for records in state.data.values():
            link(records)
        log = self.tables["log"].records[log_token]
        predicted = scene_metadata(self.tables["scene"].records[token], log, state.frame)
        diff_fields(self.report, "scene", "metadata", md, predicted, where)
        frames = [f.written for f in state.frames if f.sample]
        if frames != [f.sensors for f in scene.frames]:
            self.report.approximated(
                "scene", "frames", reason="sensors or items of frames changed", example=where
            )
        self.summary.add("scenes")


def write_nuscenes(
    dataset: Dataset, dst: Path, options: Mapping[str, Any], report: LossReport
) -> WriteSummary:
    """Write ``dataset`` as a nuScenes dataroot at ``dst`` (module doc of ``nuscenes``)."""
    dst.mkdir(parents=False)
    writer = _Writer(dst, options, report, dataset.header)
    for scene in dataset.scenes:
        writer.add_scene(scene)
    for item in dataset.items:
        writer.take(item)
    writer.finish(dataset)
    writer.summary.files = sorted(str(p.relative_to(dst)) for p in dst.glob("*/*.json"))
    return writer.summary
