"""Reading nuScenes v1.0 tables into the model.

See :mod:`nucleus_convert.converters.nuscenes` for the mapping and the frames. The tables are
parsed whole and every link followed before the first item is made (dangling tokens are
errors); a LiDAR file is read when the item stream reaches its frame, so memory holds the
tables and one frame's points.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from nucleus_convert.converters.nuscenes.lidar import read_pcd_bin
from nucleus_convert.converters.nuscenes.poses import (
    IDENTITY,
    Pose,
    frame_pose,
    heading_xyzw,
    into,
    points_to_parent,
    rotate_into,
    sensor_to_frame,
    tilt_of,
    yaw_of,
)
from nucleus_convert.converters.nuscenes.schema import (
    EXTRA_KEY,
    LIDAR_CHANNEL,
    LIDAR_SUFFIX,
    SensorSample,
    cuboid_attributes,
    item_metadata,
    reference_id,
    scene_metadata,
)
from nucleus_convert.converters.nuscenes.tables import (
    Tables,
    find_tables,
    flag,
    integer,
    intrinsic,
    load_tables,
    pose,
    text,
    token_list,
    vector,
)
from nucleus_convert.loss import LossReport
from nucleus_convert.model import (
    Annotation,
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
from nucleus_convert.toolkit.limits import file_name_problem
from nucleus_convert.toolkit.paths import unsafe_name_reason

__all__ = ["TILT_TOLERANCE", "read_nuscenes"]

TILT_TOLERANCE = 1e-9
"""Radians of roll/pitch a box may have in the chosen frame before it counts as approximated."""
_MODALITIES = ("lidar", "camera", "radar")
_EGO_KEYS = ("token", "timestamp", "rotation", "translation")
_CS_KEYS = ("token", "sensor_token", "translation", "rotation", "camera_intrinsic")


@dataclass(slots=True)
class _Data:
    """One keyframe sample_data, resolved."""

    rec: dict[str, Any]
    channel: str
    modality: str
    ego: Pose
    calib: Pose
    ego_rec: dict[str, Any]
    cs_rec: dict[str, Any]
    ref: str = ""

    @property
    def token(self) -> str:
        return str(self.rec["token"])


@dataclass(slots=True)
class _Frame:
    sample: dict[str, Any]
    data: list[_Data]
    """reference LiDAR first, then other LiDARs and cameras by channel"""
    anns: list[dict[str, Any]] = field(default_factory=list)
    pose: Pose = IDENTITY
    """the model's frame in the global frame"""


@dataclass(slots=True)
class _Scene:
    rec: dict[str, Any]
    frames: list[_Frame]
    metadata: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.rec["name"])


class _Reader:
    def __init__(self, tables: Tables, frame: str) -> None:
        self.t = tables
        self.kind = frame
        self.losses = LossReport()
        self.keyframes: dict[str, list[dict[str, Any]]] = {}
        self.anns: dict[str, list[dict[str, Any]]] = {}
        self.tilted = 0
        self.max_tilt = 0.0
        self.unread = {"sweeps": 0, "radar sample_data": 0, "map records": 0}

    # -- structure

    def group(self) -> None:
        """Keyframe sample_data and annotations by sample; sweeps are counted."""
        t, sweeps = self.t, 0
        for rec in t.rows["sample_data"]:
            sample = t.get("sample", rec.get("sample_token"), "sample_data", rec, "sample_token")
            if flag(t, "sample_data", rec, "is_key_frame"):
                self.keyframes.setdefault(sample["token"], []).append(rec)
            else:
                sweeps += 1
        self.unread["sweeps"] = sweeps
        for rec in t.rows["sample_annotation"]:
            sample = t.get(
                "sample", rec.get("sample_token"), "sample_annotation", rec, "sample_token"
            )
            self.anns.setdefault(sample["token"], []).append(rec)
        if t.has("map"):
            for rec in t.rows["map"]:
                if t.has("log"):
                    for token in token_list(t, "map", rec, "log_tokens"):
                        t.get("log", token, "map", rec, "log_tokens")
            self.unread["map records"] = len(t.rows["map"])

    def chain(self, scene: dict[str, Any], seen: set[str]) -> list[dict[str, Any]]:
        """The scene's samples, first to last by ``next``."""
        t, out = self.t, []
        token = scene.get("first_sample_token")
        rec, name, source = scene, "first_sample_token", "scene"
        while token != "":
            sample = t.get("sample", token, source, rec, name)
            if sample["token"] in seen:
                raise t.error(
                    "sample", sample, "next", "the next links loop or are shared by two scenes"
                )
            seen.add(sample["token"])
            if sample.get("scene_token") != scene["token"]:
                raise t.error(
                    "sample",
                    sample,
                    "scene_token",
                    f"the sample is in the chain of scene {scene['token']}",
                )
            out.append(sample)
            token, rec, name, source = sample.get("next"), sample, "next", "sample"
        if not out:
            raise t.error("scene", scene, "first_sample_token", "the scene has no sample")
        count = integer(t, "scene", scene, "nbr_samples")
        if count != len(out) or text(t, "scene", scene, "last_sample_token") != out[-1]["token"]:
            raise t.error(
                "scene",
                scene,
                "nbr_samples",
                f"says {count} samples ending at {scene.get('last_sample_token')!r}; the chain "
                f"from first_sample_token has {len(out)} ending at {out[-1]['token']!r}",
            )
        return out

    def data(self, rec: dict[str, Any]) -> _Data:
        t = self.t
        cs = t.get(
            "calibrated_sensor",
            rec.get("calibrated_sensor_token"),
            "sample_data",
            rec,
            "calibrated_sensor_token",
        )
        sensor = t.get("sensor", cs.get("sensor_token"), "calibrated_sensor", cs, "sensor_token")
        modality = text(t, "sensor", sensor, "modality")
        if modality not in _MODALITIES:
            raise t.error("sensor", sensor, "modality", f"expected one of {', '.join(_MODALITIES)}")
        ego = t.get("ego_pose", rec.get("ego_pose_token"), "sample_data", rec, "ego_pose_token")
        return _Data(
            rec,
            text(t, "sensor", sensor, "channel"),
            modality,
            pose(t, "ego_pose", ego),
            pose(t, "calibrated_sensor", cs),
            ego,
            cs,
        )

    def frame(self, sample: dict[str, Any]) -> _Frame:
        t, by_channel = self.t, dict[str, _Data]()
        for rec in self.keyframes.get(sample["token"], []):
            d = self.data(rec)
            if d.modality == "radar":
                self.unread["radar sample_data"] += 1
                continue
            other = by_channel.get(d.channel)
            if other is not None:
                raise t.error(
                    "sample_data",
                    rec,
                    "sample_token",
                    f"a second keyframe of {d.channel} in the sample (the first is {other.token})",
                )
            by_channel[d.channel] = d
        lidars = sorted(c for c, d in by_channel.items() if d.modality == "lidar")
        if not lidars:
            raise t.error(
                "sample", sample, None, "no keyframe LiDAR sample_data: a sample is a LiDAR sweep"
            )
        first = LIDAR_CHANNEL if LIDAR_CHANNEL in lidars else lidars[0]
        order = [first, *sorted(c for c in by_channel if c != first)]
        frame = _Frame(sample, [by_channel[c] for c in order], self.anns.get(sample["token"], []))
        frame.pose = frame_pose(self.kind, frame.data[0].ego, frame.data[0].calib)
        return frame

    def placement(self, frame: _Frame, d: _Data) -> Pose:
        """The sensor of ``d`` in the model's frame."""
        ref = frame.data[0]
        return sensor_to_frame(self.kind, ref.ego, ref.calib, d.ego, d.calib)

    def scenes(self) -> list[_Scene]:
        t, seen, out = self.t, set[str](), []
        names: dict[str, str] = {}
        for rec in t.rows["scene"]:
            name = text(t, "scene", rec, "name")
            if name in names:
                raise t.error("scene", rec, "name", f"scene {names[name]} has the same name")
            names[name] = rec["token"]
            log = None
            if t.has("log"):
                log = t.get("log", rec.get("log_token"), "scene", rec, "log_token")
            frames = [self.frame(s) for s in self.chain(rec, seen)]
            out.append(_Scene(rec, frames, scene_metadata(rec, log, self.kind)))
        stray = next((s for s in t.rows["sample"] if s["token"] not in seen), None)
        if stray is not None:
            raise t.error("sample", stray, "scene_token", "no scene's chain of samples reaches it")
        self.name_items(out)
        return out

    def name_items(self, scenes: list[_Scene]) -> None:
        """Reference ids from file names; a clash falls back to the path, then the token."""
        taken: set[str] = set()
        for d in (d for s in scenes for f in s.frames for d in f.data):
            filename = text(self.t, "sample_data", d.rec, "filename")
            problem = _filename_problem(filename)
            if problem is not None:
                raise self.t.error("sample_data", d.rec, "filename", problem)
            for ref in (
                reference_id(filename),
                str(PurePosixPath(filename).with_suffix("")),
                d.token,
            ):
                if ref not in taken:
                    d.ref = ref
                    taken.add(ref)
                    break

    # -- items

    def sensor_sample(self, frame: _Frame, d: _Data) -> SensorSample:
        t = self.t
        timestamp = integer(t, "sample_data", d.rec, "timestamp")
        sample_ts = integer(t, "sample", frame.sample, "timestamp")
        ego: dict[str, Any] = {k: d.ego_rec[k] for k in _EGO_KEYS if k in d.ego_rec}
        cs: dict[str, Any] = {k: d.cs_rec[k] for k in _CS_KEYS if k in d.cs_rec}
        first = d is frame.data[0]
        return SensorSample(
            d.token,
            frame.sample["token"],
            timestamp,
            ego,
            cs,
            d.modality == "lidar",
            sample_ts if first and sample_ts != timestamp else None,
        )

    def file(self, d: _Data) -> Path:
        """The sample_data's file under the dataroot; a name that leaves it is refused."""
        filename = text(self.t, "sample_data", d.rec, "filename")
        problem = unsafe_name_reason(filename)
        if problem is not None:
            raise self.t.error(
                "sample_data", d.rec, "filename", f"{problem}: not a file of the dataroot"
            )
        return self.t.root / filename

    def lidar_item(self, frame: _Frame, d: _Data) -> Item:
        t = self.t
        path = self.file(d)
        filename = path.name
        if not filename.endswith(".bin"):
            raise t.error(
                "sample_data",
                d.rec,
                "filename",
                f"a LiDAR file is {LIDAR_SUFFIX}: 5 float32 a point",
            )
        points = read_pcd_bin(path)
        points[:, :3] = points_to_parent(
            self.placement(frame, d), np.ascontiguousarray(points[:, :3])
        )
        anns: list[Annotation] = []
        if d is frame.data[0]:
            anns.extend(self.cuboid(frame, rec) for rec in frame.anns)
        return Item(
            d.ref,
            media=PointCloudMedia(points=points),
            metadata=item_metadata(self.sensor_sample(frame, d)),
            annotations=anns,
        )

    def camera_item(self, frame: _Frame, d: _Data) -> Item:
        t = self.t
        path = self.file(d)
        width = integer(t, "sample_data", d.rec, "width")
        height = integer(t, "sample_data", d.rec, "height")
        return Item(
            d.ref,
            media=ImageMedia(str(path), width or None, height or None),
            metadata=item_metadata(self.sensor_sample(frame, d)),
            camera=self.camera(frame, d),
        )

    def camera(self, frame: _Frame, d: _Data) -> CameraParams | None:
        k = intrinsic(self.t, "calibrated_sensor", d.cs_rec)
        if k is None:
            return None
        if k[0][1] != 0 or k[1][0] != 0 or k[2] != [0.0, 0.0, 1.0]:
            self.losses.approximated(
                "item",
                "camera",
                reason="camera_intrinsic with skew or a last row other than [0, 0, 1]: the "
                "pinhole keeps fx, fy, cx, cy (the item's calibrated_sensor metadata keeps all)",
                example=d.ref,
            )
        placed = self.placement(frame, d)
        return CameraParams(
            position=placed.translation,
            heading=heading_xyzw(placed.rotation),
            fx=k[0][0],
            fy=k[1][1],
            cx=k[0][2],
            cy=k[1][2],
        )

    def cuboid(self, frame: _Frame, rec: dict[str, Any]) -> Cuboid:
        t, table = self.t, "sample_annotation"
        box = pose(t, table, rec)
        w, length, h = vector(t, table, rec, "size")
        if min(w, length, h) < 0:
            raise t.error(table, rec, "size", f"negative box size {[w, length, h]}")
        instance = t.get("instance", rec.get("instance_token"), table, rec, "instance_token")
        category = t.get(
            "category", instance.get("category_token"), "instance", instance, "category_token"
        )
        rotation = rotate_into(frame.pose, box.rotation)
        return Cuboid(
            label=text(t, "category", category, "name"),
            id=rec["token"],
            track_id=instance["token"],
            position=into(frame.pose, box.translation),
            dimensions=(length, w, h),
            yaw=yaw_of(rotation),
            attributes=self.attributes(rec),
        )

    def attributes(self, rec: dict[str, Any]) -> dict[str, Any]:
        t, table = self.t, "sample_annotation"
        names = [
            text(t, "attribute", t.get("attribute", token, table, rec, "attribute_tokens"), "name")
            for token in token_list(t, table, rec, "attribute_tokens")
        ]
        vis_token = text(t, table, rec, "visibility_token", "")
        level = None
        if vis_token:
            vis = t.get("visibility", vis_token, table, rec, "visibility_token")
            level = text(t, "visibility", vis, "level")
        counts = [
            integer(t, table, rec, k) if k in rec else None
            for k in ("num_lidar_pts", "num_radar_pts")
        ]
        return cuboid_attributes(level, names, counts[0], counts[1])

    def frame_items(self, frame: _Frame) -> Iterator[Item]:
        for d in frame.data:
            if d.modality == "lidar":
                yield self.lidar_item(frame, d)
            else:
                yield self.camera_item(frame, d)

    def check_annotations(self, frames: list[_Frame]) -> None:
        """Every annotation made once before streaming (its errors come first) and the boxes
        that tilt in the chosen frame counted."""
        for frame in frames:
            for rec in frame.anns:
                self.cuboid(frame, rec)
                tilt = tilt_of(
                    rotate_into(frame.pose, pose(self.t, "sample_annotation", rec).rotation)
                )
                if tilt > TILT_TOLERANCE:
                    self.tilted += 1
                    self.max_tilt = max(self.max_tilt, tilt)
        if sum(self.unread.values()):
            counts = ", ".join(f"{n} {what}" for what, n in self.unread.items() if n)
            self.losses.dropped(
                "record",
                n=sum(self.unread.values()),
                reason=f"not read: {counts} (one frame per keyframe of LiDAR and cameras; map "
                "masks have no place in the model)",
            )
        if self.tilted:
            self.losses.approximated(
                "cuboid",
                "yaw",
                n=self.tilted,
                reason=f"roll and pitch in the {self.kind} frame dropped (a cuboid turns about "
                f"z only): up to {self.max_tilt:.3g} rad; frame=world keeps boxes upright",
            )


def _header(tables: Tables, src: Path) -> Header:
    t = tables
    categories = []
    for rec in t.rows["category"]:
        attributes: dict[str, Any] = {"description": text(t, "category", rec, "description", "")}
        if "index" in rec:
            attributes["index"] = integer(t, "category", rec, "index")
        categories.append(
            Category(
                text(t, "category", rec, "name"), source_id=rec["token"], attributes=attributes
            )
        )
    extra: dict[str, Any] = {"version": t.version}
    for table, keys in (
        ("attribute", ("name", "description")),
        ("visibility", ("level", "description")),
    ):
        if t.has(table):
            extra[table] = [
                {"token": r["token"], **{k: text(t, table, r, k, "") for k in keys}}
                for r in t.rows[table]
            ]
    return Header(
        categories=categories,
        source={"format": "nuscenes", "path": str(src)},
        extra={EXTRA_KEY: extra},
    )


def read_nuscenes(src: Path, options: Mapping[str, Any]) -> Dataset:
    """Read a nuScenes table folder or dataroot (module doc of ``nuscenes``)."""
    tables = load_tables(find_tables(src, str(options.get("version") or "")))
    reader = _Reader(tables, str(options.get("frame") or "world"))
    reader.group()
    scenes = reader.scenes()
    header = _header(tables, src)
    plan = [f for s in scenes for f in s.frames]
    reader.check_annotations(plan)

    def items(chosen: list[_Frame]) -> Iterator[Item]:
        for frame in chosen:
            yield from reader.frame_items(frame)

    def partition(k: int, n: int) -> Iterator[Item]:
        return items(plan[slice(*partition_bounds(len(plan), k, n))])

    model_scenes = [
        Scene(
            s.name,
            frames=[Frame({d.channel: d.ref for d in f.data}) for f in s.frames],
            metadata=s.metadata,
        )
        for s in scenes
    ]
    length = sum(len(f.data) for f in plan)
    return Dataset(
        header, items(plan), model_scenes, reader.losses, partition=partition, length=length
    )


def _filename_problem(filename: str) -> str | None:
    """Why a ``sample_data`` ``filename`` cannot name a file under the dataroot (it is a
    relative path with ``/`` separators), or None: the toolkit's reasons (empty, absolute,
    ``..``, NUL, a part too long), or a last part that is no name (``.``)."""
    problem = unsafe_name_reason(filename) or file_name_problem(filename)
    if problem is None and PurePosixPath(filename).name in ("", ".", ".."):
        problem = f"{filename!r} names a folder, not a file"
    return problem
