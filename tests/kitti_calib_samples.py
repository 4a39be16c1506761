"""KITTI calibrations shared by the geometry tests of nucleus_convert/geometry/kitti.py and
kitti_calib.py: object frame 000001's calibration embedded (so that the tests run without the
corpus), a hand calibration whose velodyne -> camera rotation is the bare axis permutation,
unit quaternions for property tests, and every KITTI object calibration of the shared corpus.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from paths import CORPUS

from nucleus_convert.geometry.kitti_calib import Calibration, parse_calib

Array = npt.NDArray[np.float64]

KITTI_OBJECT = CORPUS / "kitti" / "object" / "training"

NO_KITTI = not KITTI_OBJECT.is_dir()
NO_KITTI_REASON = f"KITTI frames of the shared corpus not found at {KITTI_OBJECT}"

# The calibration of KITTI object frame 000001 (2011_09_26), as the corpus has it, so that the
# parser and round-trip tests run without the corpus too.
CALIB_000001 = {
    "P0": "721.5377 0.0 609.5593 0.0 0.0 721.5377 172.854 0.0 0.0 0.0 1.0 0.0",
    "P1": "721.5377 0.0 609.5593 -387.5744 0.0 721.5377 172.854 0.0 0.0 0.0 1.0 0.0",
    "P2": "721.5377 0.0 609.5593 44.85728 0.0 721.5377 172.854 0.2163791 0.0 0.0 1.0 0.002745884",
    "P3": "721.5377 0.0 609.5593 -339.5242 0.0 721.5377 172.854 2.199936 0.0 0.0 1.0 0.002729905",
    "R0_rect": "0.9999239 0.00983776 -0.007445048 -0.009869795 0.9999421 -0.004278459 "
    "0.007402527 0.004351614 0.9999631",
    "Tr_velo_to_cam": "0.007533745 -0.9999714 -0.000616602 -0.004069766 0.01480249 "
    "0.0007280733 -0.9998902 -0.07631618 0.9998621 0.00752379 0.01480755 -0.2717806",
    "Tr_imu_to_velo": "0.9999976 0.0007553071 -0.002035826 -0.8086759 -0.0007854027 "
    "0.9998898 -0.01482298 0.3195559 0.002024406 0.01482454 0.9998881 -0.7997231",
}


def numbers(text: str) -> Array:
    return np.array([float(v) for v in text.split()], dtype=np.float64)


def embedded_calibration() -> Calibration:
    return Calibration(
        P0=numbers(CALIB_000001["P0"]).reshape(3, 4),
        P1=numbers(CALIB_000001["P1"]).reshape(3, 4),
        P2=numbers(CALIB_000001["P2"]).reshape(3, 4),
        P3=numbers(CALIB_000001["P3"]).reshape(3, 4),
        R0_rect=numbers(CALIB_000001["R0_rect"]).reshape(3, 3),
        Tr_velo_to_cam=numbers(CALIB_000001["Tr_velo_to_cam"]).reshape(3, 4),
        Tr_imu_to_velo=numbers(CALIB_000001["Tr_imu_to_velo"]).reshape(3, 4),
    )


K_HAND = np.array([[700.0, 0.0, 600.0, 0.0], [0.0, 700.0, 180.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
# x_cam = -y_velo, y_cam = -z_velo, z_cam = x_velo: the standard KITTI axis permutation.
PERMUTATION = np.array([[0.0, -1.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])


def hand_calibration(p2: Array = K_HAND) -> Calibration:
    return Calibration(P2=p2, R0_rect=np.eye(3), Tr_velo_to_cam=PERMUTATION)


unit_quaternions = arrays(
    np.float64, 4, elements=st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
).filter(lambda q: float(np.linalg.norm(q)) > 1e-3)


def every_calibration() -> list[Calibration]:
    """The embedded calibration plus every KITTI object calibration of the corpus."""
    found = [embedded_calibration()]
    if not NO_KITTI:
        found += [parse_calib(p) for p in sorted((KITTI_OBJECT / "calib").glob("*.txt"))]
    return found
