"""nuScenes names the reader and the writer share: the tables, tokens, reference ids, and the
metadata and attributes the model carries them in (built here, once, for both: the writer
predicts what its output reads back as with the very functions the reader uses).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from hashlib import sha1
from pathlib import PurePosixPath
from typing import Any

from nucleus_convert.geometry.intensity import intensity_metadata

__all__ = [
    "ATTRIBUTES_KEY",
    "EXTRA_KEY",
    "FRAMES",
    "LIDAR_CHANNEL",
    "LIDAR_SUFFIX",
    "NUM_LIDAR_KEY",
    "NUM_RADAR_KEY",
    "OPTIONAL_TABLES",
    "REQUIRED_TABLES",
    "STANDARD_VISIBILITY",
    "VISIBILITY_KEY",
    "SensorSample",
    "cuboid_attributes",
    "derived_token",
    "file_stem",
    "is_token",
    "item_metadata",
    "reference_id",
    "scene_metadata",
]

REQUIRED_TABLES = (
    "scene",
    "sample",
    "sample_data",
    "sample_annotation",
    "instance",
    "category",
    "ego_pose",
    "calibrated_sensor",
    "sensor",
)
OPTIONAL_TABLES = ("attribute", "visibility", "log", "map")
"""Read when present; an attribute or visibility token needs its table."""

FRAMES = ("world", "ego", "sensor")
"""Where the model's geometry is (read option ``frame``): the global frame of the log's map,
the ego vehicle of the frame's reference LiDAR sweep, or that LiDAR itself."""

LIDAR_CHANNEL = "LIDAR_TOP"
LIDAR_SUFFIX = ".pcd.bin"

EXTRA_KEY = "nuscenes"
"""``Header.extra`` key: the table folder's name and the attribute and visibility tables."""

VISIBILITY_KEY = "visibility"
ATTRIBUTES_KEY = "attribute_names"
NUM_LIDAR_KEY = "num_lidar_pts"
NUM_RADAR_KEY = "num_radar_pts"

STANDARD_VISIBILITY = (
    {
        "token": "1",
        "level": "v0-40",
        "description": "visibility of whole object is between 0 and 40%",
    },
    {
        "token": "2",
        "level": "v40-60",
        "description": "visibility of whole object is between 40 and 60%",
    },
    {
        "token": "3",
        "level": "v60-80",
        "description": "visibility of whole object is between 60 and 80%",
    },
    {
        "token": "4",
        "level": "v80-100",
        "description": "visibility of whole object is between 80 and 100%",
    },
)
"""The four bins of nuScenes' ``visibility.json``, written when the source gave none."""

_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_PLAIN_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/scaleapi/nucleus-convert/nuscenes")


def is_token(value: Any) -> bool:
    """A value the writer keeps as a token: 1-64 letters, digits, ``.``, ``_``, ``-``, ``:``
    (nuScenes' are 32 hex digits; the schema only asks for a unique string)."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def derived_token(table: str, stable_id: str) -> str:
    """The token the writer gives a record without one: the hex of
    ``uuid5(NAMESPACE, "<table>:<stable id>")`` (deterministic, 32 hex digits)."""
    return uuid.uuid5(_NAMESPACE, f"{table}:{stable_id}").hex


def reference_id(filename: str) -> str:
    """An item's reference id from its ``sample_data.filename``: the file name without
    ``.pcd.bin`` (LiDAR) or its last suffix (images), e.g.
    ``n015-2018-07-24-11-22-45+0800__CAM_FRONT__1532402927612460``."""
    name = PurePosixPath(filename).name
    if name.endswith(LIDAR_SUFFIX):
        return name[: -len(LIDAR_SUFFIX)]
    return PurePosixPath(name).stem if "." in name.lstrip(".") else name


def file_stem(ref: str) -> str:
    """The file name (without suffix) the writer gives an item: its reference id when that is
    a plain file name (letters, digits, ``.``, ``_``, ``+``, ``-``; up to 200), else the id
    with other characters replaced by ``_`` and a short hash of it."""
    if _PLAIN_STEM.fullmatch(ref):
        return ref
    digest = sha1(ref.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{_UNSAFE.sub('_', ref)[:120].lstrip('.') or 'item'}-{digest}"


@dataclass(slots=True)
class SensorSample:
    """What one keyframe ``sample_data`` puts in its item's metadata."""

    token: str
    sample_token: str
    timestamp: int
    ego_pose: dict[str, Any]
    """``{"token", "timestamp", "rotation": [w, x, y, z], "translation": [x, y, z]}``"""
    calibrated_sensor: dict[str, Any]
    """``{"token", "sensor_token", "translation", "rotation", "camera_intrinsic"}``"""
    lidar: bool
    sample_timestamp: int | None = None
    """The sample's timestamp, on its reference LiDAR only, when it differs from the LiDAR's."""


def item_metadata(s: SensorSample) -> dict[str, Any]:
    """An item's metadata: the sample_data token, its sample's token, its timestamp (µs),
    its ego pose and calibrated sensor records, and for a LiDAR how intensity was scaled."""
    md: dict[str, Any] = {
        "token": s.token,
        "sample_token": s.sample_token,
        "timestamp": s.timestamp,
        "ego_pose": dict(s.ego_pose),
        "calibrated_sensor": dict(s.calibrated_sensor),
    }
    if s.sample_timestamp is not None:
        md["sample_timestamp"] = s.sample_timestamp
    if s.lidar:
        md.update(intensity_metadata("intensity", 255.0))
    return md


def scene_metadata(scene: dict[str, Any], log: dict[str, Any] | None, frame: str) -> dict[str, Any]:
    """A scene's metadata: its token and description, the frame its geometry is in, and its
    log's fields (``log_token``, ``logfile``, ``vehicle``, ``date_captured``, ``location``)."""
    md: dict[str, Any] = {
        "token": scene["token"],
        "description": scene.get("description", ""),
        "frame": frame,
    }
    if log is not None:
        md["log_token"] = log["token"]
        for key in ("logfile", "vehicle", "date_captured", "location"):
            md[key] = log.get(key, "")
    return md


def cuboid_attributes(
    visibility: str | None,
    attribute_names: list[str],
    num_lidar_pts: int | None,
    num_radar_pts: int | None,
) -> dict[str, Any]:
    """A cuboid's attributes: its visibility level (``v80-100``...; absent for the empty
    visibility token), its attribute names (absent when none), and the LiDAR and radar point
    counts the annotation gives."""
    out: dict[str, Any] = {}
    if visibility is not None:
        out[VISIBILITY_KEY] = visibility
    if attribute_names:
        out[ATTRIBUTES_KEY] = list(attribute_names)
    if num_lidar_pts is not None:
        out[NUM_LIDAR_KEY] = num_lidar_pts
    if num_radar_pts is not None:
        out[NUM_RADAR_KEY] = num_radar_pts
    return out
