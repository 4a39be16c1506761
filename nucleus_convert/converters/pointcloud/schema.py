"""Point cloud folder names that reading and writing share: the sensor name, scene modes and scene
ids.
"""

from __future__ import annotations

__all__ = ["LIDAR_SENSOR", "SCENE_MODES", "SCENE_SUFFIX", "scene_id_for"]

LIDAR_SENSOR = "lidar"
SCENE_SUFFIX = "-scene"
SCENE_MODES = ("each", "sequence")


def scene_id_for(ref: str) -> str:
    """The reference id of the one-frame scene ``scene=each`` gives the item ``ref``."""
    return ref + SCENE_SUFFIX
