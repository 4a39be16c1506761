"""The ``kitti_raw`` format: KITTI raw drives with their tracklets (``tracklet_labels.xml``).

Reading is :mod:`.read`, writing :mod:`.write`, the tracklet XML itself
:mod:`.tracklets`; this module declares the format and registers it through the plugin
hook, as any third-party format would.

Layouts read
------------
* a **drive** folder (``2011_09_26_drive_0001_sync/``) holding ``tracklet_labels.xml`` and/or
  ``velodyne_points/data/<frame>.bin`` (``.pcd`` and ``.ply`` too), optional camera images
  ``image_0[0-3]/data/<frame>.png`` (``.jpg``; the folder name in any case, so datumaro's
  ``IMAGE_00`` is camera 0) and optional calibration ``calib_cam_to_cam.txt`` +
  ``calib_velo_to_cam.txt`` (+ ``calib_imu_to_velo.txt``) in the drive folder or its parent
  date folder (read option ``calib`` names another folder). This is also datumaro's
  ``kitti_raw`` layout;
* a folder of drives (a date folder): one scene per drive, in name order;
* a tracklet XML file: its folder is the drive.

Frame numbers are the scans' 10-digit file names; they must be consecutive (a gap or two
files for one frame is an error naming them). A camera image needs the scan of its number;
a frame may lack an image. ``timestamps.txt``, ``oxts/`` and anything else outside those
folders is not read.

Mapping to the model
--------------------
* One :class:`~nucleus_convert.model.Scene` per drive, reference id = the drive folder's name;
  one frame per scan: sensor ``velodyne`` = the scan item ``<drive>/velodyne_points/<frame>``
  (points loaded as the item stream reaches it, metadata ``frame`` = the frame number), plus
  ``image_0k`` = the image item ``<drive>/image_0k/<frame>``. A scan without any tracklet
  pose is still a frame.
* With calibration, each image item gets ``camera = camera_params(calib, k)``
  (:mod:`nucleus_convert.geometry.kitti`: camera k's pose in the velodyne frame, OpenCV axes,
  intrinsics of ``P_rect_0k``). **Without calibration** (datumaro's corpus: ``IMAGE_00`` and
  no calib files) the images are still camera items of their frames, without camera
  parameters: nothing is invented, the image stays tied to its scan, and Nucleus shows it
  without projecting cuboids into it until a calibration is supplied (``-r calib=FOLDER``).
* Tracklet ``k`` (0-based, file order) of drive ``D`` is track ``D/k``; its pose ``j`` is a
  :class:`~nucleus_convert.model.Cuboid` on the scan item of frame ``first_frame + j``, id
  ``D/k/<frame>``, label ``objectType``.

The devkit's convention (``tracklets.h``, ``run_demoTracklets.m``): ``tx, ty, tz`` is the
centre of the box's **bottom** face in the velodyne frame (x forward, y left, z up, metres);
the corners are ``Rz(rz) · (±l/2, ±w/2, z) + t`` with ``z`` from 0 to ``h``; ``rz`` is the yaw
about velodyne +z; ``rx`` and ``ry`` exist in the file but the devkit's corner code ignores
them. So the cuboid is::

    position   = (tx, ty, tz + h/2)
    dimensions = (l, w, h)
    yaw        = wrap(rz) into (-pi, pi]

and its :func:`~nucleus_convert.geometry.kitti.cuboid_corners` are the devkit's eight corners
in the devkit's order. Attributes keep the rest of the pose with their ``tracklets.h`` types:
``rx``, ``ry``, ``amt_occlusion``, ``amt_border_l``, ``amt_border_r`` (float); ``state``,
``occlusion``, ``occlusion_kf``, ``truncation``, ``amt_occlusion_kf``, ``amt_border_kf`` and
the tracklet's ``finished`` (int); ``tz``, ``rz`` as written; ``h``/``w``/``l`` when negative
(below). A Nucleus cuboid has no roll
or pitch, so ``rx``/``ry`` travel as attributes (Nucleus metadata) and come back exactly.
``tz`` and ``rz`` are there because ``tz + h/2 - h/2`` is not always ``tz`` in floating point
and ``wrap`` forgets full turns (real files hold ``rz = -3.18``): the writer takes them back
when they still agree with the cuboid (``tz + h/2 == z``, ``wrap(rz) == wrap(yaw)``), so an
unedited cuboid writes the very numbers it was read from, and derives them from the cuboid
otherwise. CVAT/datumaro ``<attributes>`` blocks become attributes too (``true``/``false``,
integers and decimals typed).

Odd values are kept exactly and never crash the reader: datumaro's test file has negative
``h``/``w``/``l``, non-zero ``rx``/``ry`` and tracks starting at frame 2. With the devkit's
corner formula a negative size spans the same box as its absolute value (``z`` from ``h`` to
0 is the box from ``tz + h`` to ``tz``, centre ``tz + h/2``; ``±l/2`` are the same two
planes), and Nucleus (and this project's Nucleus reader) refuses negative cuboid dimensions: so
the cuboid has the absolute sizes, its centre is ``tz + h/2`` with the signed ``h``, and a
negative size is also kept as attribute ``h``/``w``/``l`` (only then), which the writer takes
back while its absolute value still equals the cuboid's. The same set of eight corners comes
out, numbered in another order.

Where this differs from datumaro's ``kitti_raw`` (read through the search tool): datumaro keeps
``(tx, ty, tz)`` as the cuboid's position (the bottom centre, not the centre: its cuboids sit
``h/2`` too low in any tool that treats position as the centre, as Nucleus does) and the three
rotations as a rotation vector; it **skips** poses whose truncation is OUT_IMAGE (2) or
BEHIND_IMAGE (99), which are real labelled boxes in the velodyne scan (here every pose is a
cuboid); and its writer fills a track's gap with copies of the last pose marked OUT_IMAGE,
which a reader then takes for real boxes (here a gap splits the track, reported). It also
writes the amt_* fields out of ``tracklets.h``'s order, which the devkit's Boost loader
refuses (here the order is the devkit's).

Writing
-------
A folder with one drive per scene (its name the scene's reference id, made file-safe):
``velodyne_points/data/%010d.bin`` (``-w velodyne=pcd`` for ``.pcd``) from each frame's point
cloud, ``tracklet_labels.xml`` in the devkit's Boost layout (:mod:`.tracklets`), camera
images copied to ``image_0k/data/%010d.<ext>`` (``-w images=none`` leaves them out), and
calibration: the files the drive was read with, copied, while its cameras' parameters still
equal them; else, when cameras have parameters, a calibration derived from them
(``R_rect_00 = I``; reported as approximated: it reads back equal to rounding, 2e-16 on the
fixture). Frames are numbered
from the scan items' ``frame`` metadata when it counts up from a first frame, else from 0.

Each track becomes one tracklet with consecutive poses; a track with a gap (or two cuboids in
one frame, or a label change) is split into several tracklets, counted as approximated
``cuboid.track_id``. A tracklet has one size: a pose whose dimensions differ from the first
pose's is written with the first's (approximated ``cuboid.dimensions``, its centre kept). A
cuboid without a track is a one-pose tracklet. Pose fields no attribute gives take the
devkit's neutral values (state 2 = labelled, occlusion and truncation -1 = unset, amt_* -1,
rx = ry = 0). What the format cannot carry is counted in the loss report: other annotation
kinds, predictions, other cuboid attributes (unless ``-w attributes=cvat`` writes them as
CVAT blocks, which the devkit's Boost loader refuses), item and scene metadata, items outside
scenes (a point cloud there becomes a one-frame drive), camera images unless copied, labels
no tracklet uses.
"""

from __future__ import annotations

from pathlib import Path

from nucleus_convert.converters.kitti_raw.read import find_drives, read_kitti_raw
from nucleus_convert.converters.kitti_raw.schema import VELODYNE
from nucleus_convert.converters.kitti_raw.write import write_kitti_raw
from nucleus_convert.errors import InputError
from nucleus_convert.hookspecs import hookimpl
from nucleus_convert.options import choice
from nucleus_convert.registry import Format, Option, Registrar

__all__ = ["FORMAT", "detect", "register_formats"]

_HEAD = 1024


def _is_tracklet_xml(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD)
    except OSError:
        return False
    return b"<boost_serialization" in head and b"<tracklets" in head


def detect(path: Path) -> bool:
    """A tracklet XML file, or a drive (or folder of drives) holding ``tracklet_labels.xml``
    beside ``velodyne_points/``."""
    if path.is_file():
        return path.suffix.lower() == ".xml" and _is_tracklet_xml(path)
    try:
        drives = find_drives(path)
    except (InputError, OSError):
        return False
    return any(
        xml is not None and folder.joinpath(VELODYNE[0]).is_dir() and _is_tracklet_xml(xml)
        for folder, xml in drives
    )


FORMAT = Format(
    name="kitti_raw",
    description="KITTI raw drives: tracklet_labels.xml, velodyne scans, camera images, calib",
    extensions=(".xml",),
    kinds=frozenset({"cuboid"}),
    detect=detect,
    read=read_kitti_raw,
    write=write_kitti_raw,
    read_options=(
        Option(
            "calib",
            "folder with calib_cam_to_cam.txt and calib_velo_to_cam.txt (default: the drive's "
            "folder, then its parent)",
            str,
            "",
        ),
    ),
    write_options=(
        Option("velodyne", "scan files: bin (default, KITTI) or pcd", choice("bin", "pcd"), "bin"),
        Option(
            "images",
            "copy (default) camera images into image_0k/data/, or none",
            choice("none", "copy"),
            "copy",
        ),
        Option(
            "attributes",
            "drop (default, counted) or cvat: write other cuboid attributes as CVAT "
            "<attributes> blocks (the devkit's Boost loader refuses them)",
            choice("drop", "cvat"),
            "drop",
        ),
    ),
)


@hookimpl
def register_formats(register: Registrar) -> None:
    """Register the ``kitti_raw`` format."""
    register.add(FORMAT)
