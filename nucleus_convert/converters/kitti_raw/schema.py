"""KITTI raw names that reading and writing share: drive layout, sensors, metadata keys and how
items, tracks and annotations are named.
"""

from __future__ import annotations

__all__ = [
    "CALIB_CAM",
    "CALIB_IMU",
    "CALIB_KEY",
    "CALIB_VELO",
    "FRAME_KEY",
    "IMAGE_SUFFIXES",
    "LIDAR_SENSOR",
    "SCAN_SUFFIXES",
    "TRACKLETS",
    "VELODYNE",
    "annotation_id",
    "camera_ref",
    "lidar_ref",
    "track_id",
]

TRACKLETS = "tracklet_labels.xml"
VELODYNE = ("velodyne_points", "data")
CALIB_CAM = "calib_cam_to_cam.txt"
CALIB_VELO = "calib_velo_to_cam.txt"
CALIB_IMU = "calib_imu_to_velo.txt"
LIDAR_SENSOR = "velodyne"
FRAME_KEY = "frame"
CALIB_KEY = "kitti_raw_calib"
"""``Item.extra`` key: the calibration files a drive's items were read with (the writer copies
them verbatim while the cameras still agree with them)."""


SCAN_SUFFIXES = (".bin", ".pcd", ".ply")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def lidar_ref(scene: str, frame: int) -> str:
    """The reference id of a drive's velodyne scan ``frame``."""
    return f"{scene}/velodyne_points/{frame:010d}"


def camera_ref(scene: str, camera: int, frame: int) -> str:
    """The reference id of camera ``camera``'s image of ``frame``."""
    return f"{scene}/image_{camera:02d}/{frame:010d}"


def track_id(scene: str, index: int) -> str:
    """The track id of the ``index``-th tracklet (0-based, file order) of drive ``scene``."""
    return f"{scene}/{index}"


def annotation_id(track: str, frame: int) -> str:
    """The id of a track's cuboid in ``frame``."""
    return f"{track}/{frame:010d}"
