"""KITTI object-detection layout names that reading and writing share: split folders, sensors,
metadata keys.
"""

from __future__ import annotations

__all__ = ["CALIB_KEY", "IMAGE_SENSOR", "IMAGE_SUFFIXES", "LIDAR_SENSOR", "SPLIT_DIRS"]

SPLIT_DIRS = ("label_2", "calib", "velodyne", "image_2", "instance", "semantic")
LIDAR_SENSOR = "velodyne"
IMAGE_SENSOR = "image_2"
CALIB_KEY = "kitti_calib"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
