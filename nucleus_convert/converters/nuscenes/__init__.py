"""The ``nuscenes`` format: nuScenes-style driving logs, the v1.0 JSON tables.

Reading is :mod:`.read` (tables: :mod:`.tables`), writing :mod:`.write` (tables:
:mod:`.write_tables`), poses :mod:`.poses`, LiDAR files :mod:`.lidar`, the names both share
:mod:`.schema`; this module declares the format and registers it through the plugin hook, as
any third-party format would.

Layout
------
A *dataroot* holding a table folder (``v1.0-mini/``: ``scene``, ``sample``, ``sample_data``,
``sample_annotation``, ``instance``, ``category``, ``ego_pose``, ``calibrated_sensor``,
``sensor``, and ``attribute``, ``visibility``, ``log``, ``map`` when present, each
``<table>.json``) and the files ``sample_data.filename`` names relative to it
(``samples/LIDAR_TOP/<name>.pcd.bin``, ``samples/CAM_FRONT/<name>.jpg``). The reader takes the
dataroot, the table folder, or one of its table files; with several table folders read option
``version`` names one. :func:`detect` claims a folder holding every required table file, or a
folder holding one such folder.

Conventions (nuScenes ``docs/schema_nuscenes.md``, the devkit's ``data_classes.py`` and
``pyquaternion`` usage, checked against them)
----------------------------------------------------------------------------------------------
* Quaternions in the tables are ``[w, x, y, z]`` (pyquaternion's scalar-first order), Hamilton,
  active; the model's camera ``heading`` is ``(x, y, z, w)`` (written with ``w >= 0``).
* ``ego_pose`` maps the ego vehicle frame into the global frame of the log's map at that
  ``sample_data``'s timestamp (x forward, y left, z up, metres; nuScenes' localisation is
  2-D: z = 0, but its rotation may hold a little roll and pitch); ``calibrated_sensor`` maps the
  sensor into the ego frame. A point ``p`` of a sensor is ``R_ego · (R_cs · p + t_cs) + t_ego``
  in the global frame.
* ``sample_annotation`` boxes are in the global frame: ``translation`` is the box centre,
  ``size`` is **width, length, height** (the devkit's ``Box.wlh``), ``rotation`` turns the
  box's own axes (x forward along the length, y left, z up) into the global frame. The model's
  cuboid has ``dimensions = (length, width, height) = (size[1], size[0], size[2])`` and
  ``yaw = atan2(2(wz + xy), w² + x² - y² - z²)`` in the chosen frame (the devkit's
  ``quaternion_yaw``).
* Cameras: ``camera_intrinsic`` ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` gives ``fx, fy, cx,
  cy`` (nuScenes images are undistorted and rectified: no distortion terms); the camera
  frame's axes are x right, y down, z forward (the optical axis: the devkit's ``view_points``
  divides by z), which is the model's (Nucleus's) convention, so ``heading`` is the camera
  sensor's rotation composed into the chosen frame and ``position`` its origin there.
* LiDAR files are five float32 a point (:mod:`.lidar`): x, y, z in the sensor frame,
  intensity 0..255, ring index. The model keeps x, y, z in the chosen frame as
  ``float32(float32(R · p) + float32(t))`` (rotation rounded to float32, then the translation
  added in float32 terms: within a float32 step of ``R · p + t`` at the translation's
  magnitude, about 1e-4 m at 1 km, and invertible where the plain rounding is not:
  :func:`.poses.points_to_parent`) and ``intensity / 255`` (exact for nuScenes' whole-number
  intensities, written back to the same float32); the **ring index is lost** (written back
  as 0).

The frame (read option ``frame``, default ``world``)
----------------------------------------------------
* ``world`` (default): everything in the global frame, as Nucleus wants a LidarScene (objects
  stay still from frame to frame). Boxes are exactly the tables' numbers (nuScenes boxes turn
  about z only), so this is the lossless choice: nuscenes -> Nucleus -> nuscenes gives the
  same model, every float equal.
* ``ego``: the ego frame of the frame's reference LiDAR sweep (``LIDAR_TOP``, else the first
  LiDAR channel by name); ``sensor``: that LiDAR's own frame (its points exactly as in the
  file). A global point or box centre ``v`` is ``R_fᵀ · (v - t_f)`` there (``f`` the frame's
  pose in the global frame; the translation subtracted first). Boxes are moved into it; the
  roll and pitch they take on there (the ego pose's and the LiDAR mount's) cannot be carried
  by a yaw-only cuboid and are counted as approximated ``cuboid.yaw`` in the reader's report,
  with the largest angle.

Mapping to the model
--------------------
* ``scene`` → :class:`~nucleus_convert.model.Scene` named by ``scene.name``; metadata
  ``token``, ``description``, ``frame`` and its ``log``'s ``log_token``, ``logfile``,
  ``vehicle``, ``date_captured``, ``location``. Its samples are followed from
  ``first_sample_token`` by ``next``; ``nbr_samples`` and ``last_sample_token`` must agree.
* Each ``sample`` (keyframe) → one :class:`~nucleus_convert.model.Frame`: sensor = channel,
  for every keyframe ``sample_data`` of a LiDAR or camera. Items are named by their file
  (``reference_id`` = the file name without ``.pcd.bin`` or the image suffix; on a clash the
  path, then the token). Item metadata: ``token``, ``sample_token``, ``timestamp`` (µs), the
  ``ego_pose`` and ``calibrated_sensor`` records as read (``[w, x, y, z]`` inside), on the
  reference LiDAR ``sample_timestamp`` when the sample's differs, and on LiDARs
  ``intensity_source``/``intensity_scale`` (:mod:`nucleus_convert.geometry.intensity`).
  Points are loaded into memory (the file is in another frame, so no path is kept); camera
  items keep the image path with ``width``/``height`` from the table (the image need not exist).
* ``sample_annotation`` → :class:`~nucleus_convert.model.Cuboid` on the frame's reference
  LiDAR item: ``id`` = its token, ``track_id`` = its ``instance_token``, ``label`` = the
  instance's category name, attributes ``visibility`` (the level, ``v80-100``...; absent for
  the empty token), ``attribute_names`` (the attribute names, when any), ``num_lidar_pts``,
  ``num_radar_pts``.
* ``category`` → header categories (``source_id`` = token, attributes ``description`` and the
  lidarseg ``index`` when present); ``Header.extra["nuscenes"]`` keeps the folder name
  (``version``) and the ``attribute`` and ``visibility`` tables.
* Not read, counted in the reader's report (kind ``record``): sweeps (non-keyframe
  ``sample_data``), radar ``sample_data``, ``map`` records (raster masks have no place).

Writing
-------
The dataroot: ``<version>/`` (``-w version=``, default the source's folder name, else
``v1.0-converted``) with all thirteen tables (``map.json`` empty), LiDAR points as
``samples/<channel>/<reference id>.pcd.bin`` and camera images copied there
(``-w images=copy|symlink|none``). Every number is written so that it reads back as the
model's: LiDAR points moved back into the sensor frame are float32 searched point by point
(:func:`.poses.points_to_child`; a point none reproduces is counted, approximated), box
translations and upright (yaw-only, ``w >= 0``) rotations are searched the same way in
float64, cameras keep their calibration record while it still places them where the model
has them (else one is derived and counted when it does not read back exactly).

Tokens are the source's own where the model has them (item and scene metadata, annotation
ids, track ids, category source ids: any string of 1-64 letters, digits, ``.``, ``_``, ``-``,
``:``), else the hex of ``uuid5`` of a stable id
(:func:`.schema.derived_token`), so the same dataset always gives the same tables; the
``prev``/``next`` links, ``nbr_*`` counts and first/last tokens are derived. Boxes are
written upright in the global frame (yaw-only quaternions found so that they read back to the
same yaw). Items and scenes without nuScenes metadata get identity poses, a log named after
the scene and timestamps 0.5 s apart (or the item's ``timestamp_us``); a cuboid without
``num_lidar_pts`` gets the points of its cloud inside it, ``num_radar_pts`` 0; a track is an
instance per scene and label. What reads back differently (a made-up token,
timestamp, pose or point count) is counted as approximated, what has no place (other
annotation kinds, predictions, 2-D labels on images, images outside scenes, distortion, other
metadata) as dropped (:mod:`.carries`).
"""

from __future__ import annotations

from pathlib import Path

from nucleus_convert.converters.nuscenes.read import read_nuscenes
from nucleus_convert.converters.nuscenes.schema import FRAMES
from nucleus_convert.converters.nuscenes.tables import is_tables_folder
from nucleus_convert.converters.nuscenes.write import write_nuscenes
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.options import choice
from nucleus_convert.registry import Format, Option, Registrar
from nucleus_convert.toolkit.images import IMAGE_MODES

__all__ = ["FORMAT", "detect", "register_formats"]

_MAX_FOLDERS = 64


def detect(path: Path) -> bool:
    """A folder of nuScenes tables, or a dataroot holding one (at most 64 entries looked at)."""
    try:
        if not path.is_dir():
            return False
        if is_tables_folder(path):
            return True
        for n, child in enumerate(path.iterdir()):
            if n >= _MAX_FOLDERS:
                return False
            if not child.name.startswith(".") and is_tables_folder(child):
                return True
    except OSError:
        return False
    return False


FORMAT = Format(
    name="nuscenes",
    description="nuScenes v1.0 tables: scenes of LiDAR sweeps, cameras and 3D boxes",
    kinds=frozenset({"cuboid"}),
    detect=detect,
    read=read_nuscenes,
    write=write_nuscenes,
    read_options=(
        Option(
            "frame",
            "world (default: the log's global frame, lossless), ego (the ego vehicle at each "
            "keyframe's LiDAR sweep) or sensor (that LiDAR)",
            choice(*FRAMES),
            "world",
        ),
        Option("version", "the table folder to read when the dataroot holds several", str, ""),
    ),
    write_options=(
        Option(
            "images", "copy (default), symlink or none: camera images", choice(*IMAGE_MODES), "copy"
        ),
        Option(
            "version",
            "name of the table folder (default: the source's, else v1.0-converted)",
            str,
            "",
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``nuscenes`` format."""
    register.add(FORMAT)
