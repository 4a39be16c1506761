"""KITTI geometry: calibration files, velodyne <-> camera frames, boxes, cameras, quaternions.

Hand-checkable numbers use a calibration whose velodyne -> camera rotation is the bare axis
permutation (x_cam = -y_velo, y_cam = -z_velo, z_cam = x_velo). The real checks use KITTI's own
frames from the shared corpus: converted cuboids, projected with P2, must cover the labelled
2D boxes, and must contain the object's LiDAR points.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from paths import CORPUS
from PIL import Image

from nucleus_convert.errors import InputError
from nucleus_convert.geometry.kitti import (
    Calibration,
    alpha_from,
    box_from_corners,
    calibration_from_camera,
    camera_params,
    cuboid_corners,
    cuboid_to_kitti,
    format_calib,
    kitti_to_cuboid,
    matrix_from_quaternion,
    parse_calib,
    parse_raw_calib,
    project_to_image,
    quaternion_from_matrix,
    rect_to_velo,
    velo_to_rect,
    velo_to_rect_matrix,
    wrap_angle,
)
from nucleus_convert.model import CameraParams

Array = npt.NDArray[np.float64]

KITTI_OBJECT = CORPUS / "kitti" / "object" / "training"
DATUMARO_KITTI = CORPUS / "datumaro" / "kitti_dataset"
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
KEYS = list(CALIB_000001)


def calib_text(entries: dict[str, str]) -> str:
    return "".join(f"{key}: {value}\n" for key, value in entries.items())


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


def corpus_calib_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = list((KITTI_OBJECT / "calib").glob("*.txt"))
    found += DATUMARO_KITTI.glob("*/calib/**/*.txt")
    return sorted(found)


def angle_between(a: float, b: float) -> float:
    return abs(math.remainder(a - b, math.tau))


def nearest_rotation(m: Array) -> Array:
    u, _, vt = np.linalg.svd(m)
    r: Array = u @ vt
    return r


@pytest.fixture(scope="module")
def calibs() -> list[Calibration]:
    """The embedded calibration plus every KITTI object calibration of the corpus."""
    found = [embedded_calibration()]
    if not NO_KITTI:
        found += [parse_calib(p) for p in sorted((KITTI_OBJECT / "calib").glob("*.txt"))]
    return found


# --------------------------------------------------------------------------- hand numbers


def test_hand_label_becomes_cuboid_centre_in_velodyne() -> None:
    # h=2, w=1, l=4 at bottom-centre location (1, 3, 10) in the camera (y down):
    # the centre is h/2 above it: (1, 3 - 1, 10) = (1, 2, 10).
    # Velodyne from the permutation: x_v = z_c = 10, y_v = -x_c = -1, z_v = -y_c = -2.
    # Dimensions (l, w, h) = (4, 1, 2); yaw = -0 - pi/2 = -pi/2.
    position, dimensions, yaw = kitti_to_cuboid(
        (2.0, 1.0, 4.0), (1.0, 3.0, 10.0), 0.0, hand_calibration()
    )
    assert position == (10.0, -1.0, -2.0)
    assert dimensions == (4.0, 1.0, 2.0)
    assert yaw == -math.pi / 2


def test_hand_cuboid_becomes_kitti_label() -> None:
    # The reverse of the case above: camera centre (1, 2, 10), bottom centre y = 2 + h/2 = 3,
    # rotation_y = -(-pi/2) - pi/2 = 0.
    label = cuboid_to_kitti((10.0, -1.0, -2.0), (4.0, 1.0, 2.0), -math.pi / 2, hand_calibration())
    assert label == (2.0, 1.0, 4.0, 1.0, 3.0, 10.0, 0.0)


@pytest.mark.parametrize(
    ("rotation_y", "yaw"),
    [
        (0.0, -math.pi / 2),  # length along camera +x (right) = velodyne -y
        (-math.pi / 2, 0.0),  # facing camera +z (forward) = velodyne +x
        (math.pi / 2, math.pi),  # -pi, normalised to +pi
        (math.pi, math.pi / 2),  # -3pi/2 wraps to pi/2
        (-math.pi, math.pi / 2),  # the same rotation written the other way
    ],
)
def test_rotation_y_to_yaw_hand_values(rotation_y: float, yaw: float) -> None:
    _, _, got = kitti_to_cuboid((1.0, 1.0, 1.0), (0.0, 0.0, 10.0), rotation_y, hand_calibration())
    assert got == yaw


def test_yaw_pi_becomes_rotation_y_pi_not_minus_pi() -> None:
    # rotation_y = -pi - pi/2 wraps to +pi/2; yaw = -pi/2 gives rotation_y = 0; yaw = pi/2 gives
    # rotation_y = -pi, which the (-pi, pi] range writes as +pi.
    *_, ry = cuboid_to_kitti((10.0, 0.0, 0.0), (1.0, 1.0, 1.0), math.pi / 2, hand_calibration())
    assert ry == math.pi


def test_wrap_angle_hand_values() -> None:
    assert wrap_angle(-math.pi) == math.pi
    assert wrap_angle(math.pi) == math.pi
    assert wrap_angle(3 * math.pi) == math.pi
    assert wrap_angle(-3 * math.pi / 2) == math.pi / 2
    assert wrap_angle(0.25) == 0.25
    assert wrap_angle(-0.25 - 4 * math.pi) == pytest.approx(-0.25, abs=1e-12)


@given(st.floats(min_value=-1e4, max_value=1e4, allow_nan=False))
def test_wrap_angle_is_in_half_open_range_and_keeps_the_direction(angle: float) -> None:
    wrapped = wrap_angle(angle)
    assert -math.pi < wrapped <= math.pi
    assert math.cos(wrapped) == pytest.approx(math.cos(angle), abs=1e-9)
    assert math.sin(wrapped) == pytest.approx(math.sin(angle), abs=1e-9)


def test_projection_hand_values() -> None:
    # (10, -1, -2) velodyne = (1, 2, 10) camera; u = 700 * 1/10 + 600, v = 700 * 2/10 + 180.
    uv = project_to_image(np.array([[10.0, -1.0, -2.0]]), hand_calibration())
    assert uv.tolist() == [[670.0, 320.0]]


def test_points_behind_the_camera_project_to_nan() -> None:
    uv = project_to_image(
        np.array([[-5.0, 0.0, 0.0], [0.0, 1.0, 0.0], [5.0, 0.0, 0.0]]), hand_calibration()
    )
    assert np.isnan(uv[:2]).all()
    assert uv[2].tolist() == [600.0, 180.0]


def test_alpha_hand_values() -> None:
    # Straight ahead alpha equals rotation_y; 45 degrees to the right it is rotation_y - pi/4.
    assert alpha_from(0.3, (0.0, 1.5, 10.0)) == 0.3
    assert alpha_from(0.0, (1.0, 0.0, 1.0)) == -math.pi / 4
    assert alpha_from(math.pi, (-1.0, 0.0, 1.0)) == pytest.approx(-3 * math.pi / 4, abs=1e-15)


def test_cuboid_corners_order_hand_values() -> None:
    corners = cuboid_corners((1.0, 2.0, 3.0), (4.0, 2.0, 1.0), 0.0)
    assert corners.tolist() == [
        [3.0, 3.0, 2.5],  # 0 front-left-bottom
        [3.0, 1.0, 2.5],  # 1 front-right-bottom
        [-1.0, 1.0, 2.5],  # 2 rear-right-bottom
        [-1.0, 3.0, 2.5],  # 3 rear-left-bottom
        [3.0, 3.0, 3.5],  # 4..7: the same, on top
        [3.0, 1.0, 3.5],
        [-1.0, 1.0, 3.5],
        [-1.0, 3.0, 3.5],
    ]


def test_cuboid_corners_turn_with_yaw() -> None:
    # yaw = pi/2: the front (length, +x) now points along +y, the left side along -x.
    corners = cuboid_corners((0.0, 0.0, 0.0), (4.0, 2.0, 1.0), math.pi / 2)
    assert corners[0] == pytest.approx([-1.0, 2.0, -0.5], abs=1e-12)
    assert corners[2] == pytest.approx([1.0, -2.0, -0.5], abs=1e-12)


def test_box_from_corners_clips_to_the_image() -> None:
    uv = np.array([[-5.0, 10.0], [1300.0, 20.0], [100.0, 400.0], [50.0, 30.5]])
    assert box_from_corners(uv, 1242, 375) == (0.0, 10.0, 1241.0, 374.0)
    assert box_from_corners(uv[[0, 3]], 1242, 375) == (0.0, 10.0, 50.0, 30.5)


def test_box_from_corners_refuses_points_behind_the_camera() -> None:
    with pytest.raises(ValueError, match="not finite"):
        box_from_corners(np.array([[1.0, 2.0], [np.nan, np.nan]]), 100, 100)


def test_camera_params_hand_values() -> None:
    # Camera axes into velodyne: x right -> (0, -1, 0), y down -> (0, 0, -1), z -> (1, 0, 0),
    # so R = [[0, 0, 1], [-1, 0, 0], [0, -1, 0]], trace 0: w = sqrt(1 + 0) / 2 = 0.5,
    # x = (R21 - R12) / 4w = -0.5, y = (R02 - R20) / 4w = 0.5, z = (R10 - R01) / 4w = -0.5.
    # P2 = K [I | t] with t = (0.06, 0, 0): the centre is at x_cam = -0.06 (6 cm to the left),
    # velodyne y = -x_cam = 0.06.
    p2 = K_HAND.copy()
    p2[0, 3] = 700.0 * 0.06
    cam = camera_params(hand_calibration(p2))
    assert cam.position == pytest.approx((0.0, 0.06, 0.0), abs=1e-15)
    assert cam.heading == (-0.5, 0.5, -0.5, 0.5)
    assert (cam.fx, cam.fy, cam.cx, cam.cy) == (700.0, 700.0, 600.0, 180.0)
    assert cam.camera_model is None
    assert cam.distortion == {}


# --------------------------------------------------------------------------- quaternions


def as_quaternion(q: Array) -> tuple[float, float, float, float]:
    return (float(q[0]), float(q[1]), float(q[2]), float(q[3]))


def hamilton_product(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    )


def test_quaternion_is_hamilton_active_rotation() -> None:
    # 90 degrees about +z: (0, 0, sin 45, cos 45) turns +x into +y (counter-clockwise).
    s = math.sqrt(0.5)
    r = matrix_from_quaternion((0.0, 0.0, s, s))
    assert r @ np.array([1.0, 0.0, 0.0]) == pytest.approx([0.0, 1.0, 0.0], abs=1e-15)
    assert quaternion_from_matrix(r) == pytest.approx((0.0, 0.0, s, s), abs=1e-15)


@pytest.mark.parametrize(
    ("matrix", "quaternion"),
    [
        (np.eye(3), (0.0, 0.0, 0.0, 1.0)),  # trace branch
        (np.diag([1.0, -1.0, -1.0]), (1.0, 0.0, 0.0, 0.0)),  # pi about x: R00 branch
        (np.diag([-1.0, 1.0, -1.0]), (0.0, 1.0, 0.0, 0.0)),  # pi about y: R11 branch
        (np.diag([-1.0, -1.0, 1.0]), (0.0, 0.0, 1.0, 0.0)),  # pi about z: R22 branch
    ],
)
def test_shepperd_branches(matrix: Array, quaternion: tuple[float, ...]) -> None:
    assert quaternion_from_matrix(matrix) == quaternion
    assert matrix_from_quaternion(quaternion).tolist() == matrix.tolist()


unit_quaternions = arrays(
    np.float64, 4, elements=st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
).filter(lambda q: float(np.linalg.norm(q)) > 1e-3)


@given(unit_quaternions)
def test_quaternion_matrix_round_trip(q: Array) -> None:
    q = q / np.linalg.norm(q)
    r = matrix_from_quaternion(q)
    assert r @ r.T == pytest.approx(np.eye(3), abs=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0, abs=1e-12)
    back = quaternion_from_matrix(r)
    assert back[3] >= 0
    assert math.fsum(v * v for v in back) == pytest.approx(1.0, abs=1e-14)
    canonical = q if q[3] >= 0 else -q
    # q and -q are the same rotation; with w == 0 both have w >= 0.
    assert min(
        float(np.abs(np.array(back) - canonical).max()),
        float(np.abs(np.array(back) + canonical).max()),
    ) == pytest.approx(0.0, abs=1e-9)


@given(unit_quaternions, unit_quaternions)
def test_quaternion_product_is_matrix_product(a: Array, b: Array) -> None:
    qa = as_quaternion(a / np.linalg.norm(a))
    qb = as_quaternion(b / np.linalg.norm(b))
    product = hamilton_product(qa, qb)
    expected = matrix_from_quaternion(qa) @ matrix_from_quaternion(qb)
    assert matrix_from_quaternion(product) == pytest.approx(expected, abs=1e-12)


def test_quaternion_from_matrix_refuses_a_reflection() -> None:
    with pytest.raises(ValueError, match="proper rotation"):
        quaternion_from_matrix(np.diag([1.0, 1.0, -1.0]))


# --------------------------------------------------------------------------- calib files


CORPUS_CALIBS = corpus_calib_files()


@pytest.mark.parametrize(
    "path",
    CORPUS_CALIBS or [pytest.param(None, marks=pytest.mark.skip(reason=f"no calib in {CORPUS}"))],
    ids=[str(p.relative_to(CORPUS)) for p in CORPUS_CALIBS] or ["absent"],
)
def test_every_corpus_calib_parses_to_the_numbers_in_the_file(path: Path) -> None:
    calib = parse_calib(path)
    in_file = {}
    for line in path.read_text().splitlines():
        if line.strip():
            key, _, values = line.partition(":")
            in_file[key] = numbers(values)
    assert set(in_file) == set(KEYS)
    assert calib.P2.shape == (3, 4)
    assert calib.P2.ravel().tolist() == in_file["P2"].tolist()
    for key in KEYS:
        matrix = getattr(calib, key)
        assert matrix is not None
        assert matrix.ravel().tolist() == in_file[key].tolist(), key


def test_corpus_has_every_expected_calib() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    assert len(CORPUS_CALIBS) == 6, CORPUS_CALIBS


def test_parse_embedded_calib(tmp_path: Path) -> None:
    path = tmp_path / "000001.txt"
    path.write_text("\n" + calib_text(CALIB_000001) + "\n\n")
    calib = parse_calib(path)
    for key, values in CALIB_000001.items():
        assert getattr(calib, key).ravel().tolist() == numbers(values).tolist()


def test_parse_accepts_tracking_spelling(tmp_path: Path) -> None:
    # KITTI tracking: "R_rect", "Tr_velo_cam", "Tr_imu_velo" without a colon.
    text = "".join(f"{k}: {CALIB_000001[k]}\n" for k in ("P0", "P1", "P2", "P3"))
    text += f"R_rect {CALIB_000001['R0_rect']}\n"
    text += f"Tr_velo_cam {CALIB_000001['Tr_velo_to_cam']}\n"
    text += f"Tr_imu_velo {CALIB_000001['Tr_imu_to_velo']}\n"
    path = tmp_path / "0000.txt"
    path.write_text(text)
    calib = parse_calib(path)
    reference = embedded_calibration()
    for key in KEYS:
        assert np.array_equal(getattr(calib, key), getattr(reference, key)), key


def test_optional_matrices_may_be_absent(tmp_path: Path) -> None:
    path = tmp_path / "min.txt"
    path.write_text(calib_text({k: CALIB_000001[k] for k in ("P2", "R0_rect", "Tr_velo_to_cam")}))
    calib = parse_calib(path)
    assert calib.P0 is None and calib.P1 is None and calib.P3 is None
    assert calib.Tr_imu_to_velo is None
    with pytest.raises(ValueError, match="no P3"):
        project_to_image(np.zeros((1, 3)), calib, camera=3)
    assert format_calib(calib).splitlines()[0].startswith("P2: 721.5377 0.0 ")
    assert [line.split(":")[0] for line in format_calib(calib).splitlines()] == [
        "P2",
        "R0_rect",
        "Tr_velo_to_cam",
    ]


def test_format_calib_layout_and_exact_round_trip(tmp_path: Path) -> None:
    calib = embedded_calibration()
    text = format_calib(calib)
    assert text.endswith("\n")
    assert text.splitlines()[2] == "P2: " + CALIB_000001["P2"]
    assert [line.split(":")[0] for line in text.splitlines()] == KEYS
    path = tmp_path / "calib.txt"
    path.write_text(text)
    back = parse_calib(path)
    for key in KEYS:
        assert np.array_equal(getattr(back, key), getattr(calib, key)), key


finite_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, (3, 4), elements=finite_floats),
    arrays(np.float64, (3, 4), elements=finite_floats),
    unit_quaternions,
    arrays(np.float64, 3, elements=finite_floats),
)
def test_format_calib_round_trips_any_floats(
    p2: Array, extra: Array, q: Array, translation: Array
) -> None:
    # The rotations must be invertible; every other number is any finite float (-0.0, 1e-308,
    # 1.7976931348623157e308...), and the rotation's own digits come from arithmetic.
    rotation = matrix_from_quaternion(q)
    calib = Calibration(
        P0=extra,
        P2=p2,
        R0_rect=rotation,
        Tr_velo_to_cam=np.hstack([rotation.T, translation.reshape(3, 1)]),
        Tr_imu_to_velo=extra[::-1],
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "calib.txt"
        path.write_text(format_calib(calib))
        back = parse_calib(path)
    for key in ("P0", "P2", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"):
        got, want = getattr(back, key), getattr(calib, key)
        assert got.tobytes() == want.tobytes(), key  # bit-exact, -0.0 included


def raw_files(tmp_path: Path, *, drop: str = "", velo_extra: str = "") -> tuple[Path, Path]:
    """calib_cam_to_cam.txt / calib_velo_to_cam.txt laid out as the raw dataset's, with the
    numbers of object frame 000001 (which comes from the 2011_09_26 drives)."""
    unused_k = "9.842439e+02 0.000000e+00 6.900000e+02 0.000000e+00 9.808141e+02 2.331966e+02 0 0 1"
    cam_lines = [
        "calib_time: 09-Jan-2012 13:57:47",
        "corner_dist: 9.950000e-02",
        "S_00: 1.392000e+03 5.120000e+02",
        f"K_00: {unused_k}",
        "D_00: -3.728755e-01 2.037299e-01 2.219027e-03 1.383707e-03 -7.233722e-02",
        "R_00: 1 0 0 0 1 0 0 0 1",
        "T_00: 2.573699e-16 -1.059758e-16 1.614870e-16",
        "S_rect_00: 1.242000e+03 3.750000e+02",
        f"R_rect_00: {CALIB_000001['R0_rect']}",
        f"P_rect_00: {CALIB_000001['P0']}",
        f"P_rect_01: {CALIB_000001['P1']}",
        f"P_rect_02: {CALIB_000001['P2']}",
        f"P_rect_03: {CALIB_000001['P3']}",
    ]
    tr = CALIB_000001["Tr_velo_to_cam"].split()
    rotation = " ".join(tr[0:3] + tr[4:7] + tr[8:11])
    translation = " ".join([tr[3], tr[7], tr[11]])
    velo_lines = [
        "calib_time: 15-Mar-2012 11:37:16",
        f"R: {rotation}",
        f"T: {translation}",
        "delta_f: 0.000000e+00 0.000000e+00",
        "delta_c: 0.000000e+00 0.000000e+00",
    ]
    if velo_extra:
        velo_lines.append(velo_extra)
    cam = tmp_path / "calib_cam_to_cam.txt"
    velo = tmp_path / "calib_velo_to_cam.txt"
    cam.write_text(
        "\n".join(line for line in cam_lines if not line.startswith(drop or "\0")) + "\n"
    )
    velo.write_text(
        "\n".join(line for line in velo_lines if not line.startswith(drop or "\0")) + "\n"
    )
    return cam, velo


def test_parse_raw_calib_equals_the_object_calib(tmp_path: Path) -> None:
    cam, velo = raw_files(tmp_path)
    imu = tmp_path / "calib_imu_to_velo.txt"
    t = CALIB_000001["Tr_imu_to_velo"].split()
    imu.write_text(
        "calib_time: 25-May-2012 16:47:16\n"
        f"R: {' '.join(t[0:3] + t[4:7] + t[8:11])}\nT: {t[3]} {t[7]} {t[11]}\n"
    )
    calib = parse_raw_calib(cam, velo, imu)
    reference = embedded_calibration()
    for key in KEYS:
        assert np.array_equal(getattr(calib, key), getattr(reference, key)), key
    assert parse_raw_calib(cam, velo).Tr_imu_to_velo is None


@pytest.mark.parametrize(
    ("drop", "culprit", "key"),
    [("P_rect_02", "cam", "P_rect_02"), ("R_rect_00", "cam", "R_rect_00"), ("T:", "velo", "T")],
)
def test_parse_raw_calib_names_a_missing_key(
    tmp_path: Path, drop: str, culprit: str, key: str
) -> None:
    cam, velo = raw_files(tmp_path, drop=drop)
    with pytest.raises(InputError) as info:
        parse_raw_calib(cam, velo)
    path = cam if culprit == "cam" else velo
    assert str(info.value).startswith(f"{path}: ")
    assert f"missing {key}" in str(info.value)


def test_parse_raw_calib_names_the_line_of_a_duplicate(tmp_path: Path) -> None:
    cam, velo = raw_files(tmp_path, velo_extra="T: 0 0 0")
    with pytest.raises(InputError) as info:
        parse_raw_calib(cam, velo)
    assert str(info.value).startswith(f"{velo}:6: ")
    assert "duplicate key T (first on line 3)" in str(info.value)


def replace_value(key: str, index: int, token: str) -> dict[str, str]:
    entries = dict(CALIB_000001)
    values = entries[key].split()
    values[index] = token
    entries[key] = " ".join(values)
    return entries


def without(key: str) -> dict[str, str]:
    return {k: v for k, v in CALIB_000001.items() if k != key}


BAD_CALIBS = {
    # id: (text, line or None, what the message must say)
    "missing-P2": (calib_text(without("P2")), None, "missing P2"),
    "missing-R0_rect": (calib_text(without("R0_rect")), None, "missing R0_rect"),
    "missing-Tr_velo_to_cam": (
        calib_text(without("Tr_velo_to_cam")),
        None,
        "missing Tr_velo_to_cam",
    ),
    "11-numbers": (
        calib_text({**CALIB_000001, "P2": " ".join(CALIB_000001["P2"].split()[:11])}),
        3,
        "P2 needs 12 numbers, found 11",
    ),
    "13-numbers": (
        calib_text({**CALIB_000001, "R0_rect": CALIB_000001["R0_rect"] + " 1 2 3 4"}),
        5,
        "R0_rect needs 9 numbers, found 13",
    ),
    "abc": (calib_text(replace_value("P2", 4, "abc")), 3, "not a number: 'abc'"),
    "nan": (calib_text(replace_value("Tr_velo_to_cam", 0, "nan")), 6, "not a finite number: 'nan'"),
    "inf": (calib_text(replace_value("P0", 0, "-inf")), 1, "not a finite number: '-inf'"),
    "overflow": (calib_text(replace_value("P1", 0, "1e999")), 2, "not a finite number: '1e999'"),
    "duplicate-key": (
        calib_text(CALIB_000001) + f"P2: {CALIB_000001['P2']}\n",
        8,
        "duplicate key P2 (first on line 3)",
    ),
    "singular-R0_rect": (
        calib_text({**CALIB_000001, "R0_rect": "1 0 0 0 1 0 1 0 0"}),
        5,
        "R0_rect rotation is singular",
    ),
    "singular-Tr-rotation": (
        calib_text({**CALIB_000001, "Tr_velo_to_cam": "0 0 0 1 0 0 0 2 0 0 0 3"}),
        6,
        "Tr_velo_to_cam rotation is singular",
    ),
    "no-colon": (calib_text(CALIB_000001) + "garbage 1 2 3\n", 8, "expected 'KEY: numbers'"),
}


@pytest.mark.parametrize("case", list(BAD_CALIBS))
def test_bad_calib_is_an_input_error_naming_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, message = BAD_CALIBS[case]
    path = tmp_path / "calib.txt"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        parse_calib(path)
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert str(info.value).startswith(where)
    assert message in str(info.value)
    assert info.value.line == line


def test_unreadable_calib_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    with pytest.raises(InputError, match="cannot read calibration") as info:
        parse_calib(path)
    assert str(info.value).startswith(f"{path}: ")


def test_calibration_checks_shapes_and_is_read_only() -> None:
    with pytest.raises(ValueError, match=r"R0_rect must have shape \(3, 3\)"):
        Calibration(P2=K_HAND, R0_rect=np.eye(4), Tr_velo_to_cam=PERMUTATION)
    calib = hand_calibration()
    with pytest.raises(ValueError, match="read-only"):
        calib.P2[0, 0] = 1.0


# --------------------------------------------------------------------------- frames


points_3d = arrays(
    np.float64, (5, 3), elements=st.floats(min_value=-200.0, max_value=200.0, allow_nan=False)
)


@settings(deadline=None)
@given(points_3d)
def test_rect_to_velo_is_the_exact_inverse(calibs: list[Calibration], points: Array) -> None:
    for calib in calibs:
        rect = velo_to_rect(points, calib)
        # Independently: R0 · (Tr[:, :3] · p + Tr[:, 3]) and its solution.
        tr = calib.Tr_velo_to_cam
        expected = (calib.R0_rect @ (tr[:, :3] @ points.T + tr[:, 3:])).T
        assert rect == pytest.approx(expected, abs=1e-9)
        assert rect_to_velo(rect, calib) == pytest.approx(points, abs=1e-9)
        solved = np.linalg.solve(calib.R0_rect @ tr[:, :3], (rect.T - (calib.R0_rect @ tr[:, 3:])))
        assert rect_to_velo(rect, calib) == pytest.approx(solved.T, abs=1e-9)


def test_transforms_accept_a_single_point(calibs: list[Calibration]) -> None:
    point = np.array([5.0, 1.0, -1.0])
    rect = velo_to_rect(point, calibs[0])
    assert rect.shape == (3,)
    assert rect_to_velo(rect, calibs[0]) == pytest.approx(point, abs=1e-12)
    with pytest.raises(ValueError, match="shape"):
        velo_to_rect(np.zeros((2, 4)), calibs[0])


@settings(deadline=None)
@given(
    st.tuples(
        st.floats(min_value=0.1, max_value=20.0),
        st.floats(min_value=0.1, max_value=20.0),
        st.floats(min_value=0.1, max_value=30.0),
    ),
    st.tuples(
        st.floats(min_value=-50.0, max_value=50.0),
        st.floats(min_value=-5.0, max_value=5.0),
        st.floats(min_value=-10.0, max_value=100.0),
    ),
    st.floats(min_value=-math.pi, max_value=math.pi),
)
def test_kitti_cuboid_kitti_round_trip(
    calibs: list[Calibration],
    hwl: tuple[float, float, float],
    location: tuple[float, float, float],
    rotation_y: float,
) -> None:
    for calib in calibs:
        position, dims, yaw = kitti_to_cuboid(hwl, location, rotation_y, calib)
        assert dims == (hwl[2], hwl[1], hwl[0])
        assert -math.pi < yaw <= math.pi
        h, w, length, x, y, z, ry = cuboid_to_kitti(position, dims, yaw, calib)
        assert (h, w, length) == hwl
        assert (x, y, z) == pytest.approx(location, abs=1e-9)
        assert angle_between(ry, rotation_y) <= 1e-9
        assert -math.pi < ry <= math.pi


@settings(deadline=None)
@given(st.floats(min_value=-math.pi, max_value=math.pi))
def test_yaw_formula_is_within_a_hundredth_of_a_radian_of_the_exact_heading(
    calibs: list[Calibration], rotation_y: float
) -> None:
    # The exact heading: KITTI's length direction (cos ry, 0, -sin ry) in the camera frame,
    # taken back through the calibration's true rotation; the formula assumes the permutation.
    for calib in calibs:
        _, _, yaw = kitti_to_cuboid((1.5, 1.6, 4.0), (2.0, 1.6, 20.0), rotation_y, calib)
        rotation = velo_to_rect_matrix(calib)[:3, :3]
        direction = np.linalg.solve(rotation, [math.cos(rotation_y), 0.0, -math.sin(rotation_y)])
        exact = math.atan2(direction[1], direction[0])
        assert angle_between(yaw, exact) < 0.01


# --------------------------------------------------------------------------- KITTI's own frames


def corpus_frames() -> Iterator[tuple[str, Calibration, list[list[str]]]]:
    for label_file in sorted((KITTI_OBJECT / "label_2").glob("*.txt")):
        frame = label_file.stem
        calib = parse_calib(KITTI_OBJECT / "calib" / f"{frame}.txt")
        rows = [line.split() for line in label_file.read_text().splitlines() if line.strip()]
        yield frame, calib, [row for row in rows if row[0] != "DontCare"]


def label_cuboid(
    row: list[str], calib: Calibration
) -> tuple[tuple[float, float, float], tuple[float, float, float], float]:
    v = [float(x) for x in row[1:15]]
    return kitti_to_cuboid(v[7:10], v[10:13], v[13], calib)


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


@pytest.mark.skipif(NO_KITTI, reason=NO_KITTI_REASON)
def test_projected_cuboids_cover_the_labelled_2d_boxes(
    record_property: Callable[[str, object], None],
) -> None:
    checked: list[tuple[str, str, float]] = []
    for frame, calib, rows in corpus_frames():
        with Image.open(KITTI_OBJECT / "image_2" / f"{frame}.png") as image:
            width, height = image.size
        for row in rows:
            truncated, occluded = float(row[1]), int(row[2])
            if truncated >= 0.1 or occluded != 0:
                continue
            position, dims, yaw = label_cuboid(row, calib)
            uv = project_to_image(cuboid_corners(position, dims, yaw), calib, camera=2)
            box = box_from_corners(uv, width, height)
            label_box = tuple(float(x) for x in row[4:8])
            checked.append((frame, row[0], iou(box, label_box)))
    assert checked, "no unoccluded, untruncated object in the corpus frames"
    worst = min(checked, key=lambda c: c[2])
    record_property("kitti_min_iou", worst[2])
    record_property("kitti_objects_checked", len(checked))
    print(
        f"KITTI 2D boxes: {len(checked)} objects, "
        f"minimum IoU {worst[2]:.4f} ({worst[0]} {worst[1]})"
    )
    for frame, kind, value in checked:
        assert value >= 0.7, f"{frame} {kind}: IoU {value:.3f}"


@pytest.mark.skipif(NO_KITTI, reason=NO_KITTI_REASON)
def test_alpha_from_matches_the_labels() -> None:
    # Labels round alpha, rotation_y and the location to 0.01: allow twice that.
    count = 0
    for _, _, rows in corpus_frames():
        for row in rows:
            v = [float(x) for x in row[1:15]]
            assert angle_between(alpha_from(v[13], v[10:13]), v[2]) < 0.02, row
            count += 1
    assert count >= 1


@pytest.mark.skipif(NO_KITTI, reason=NO_KITTI_REASON)
def test_near_cuboids_contain_their_lidar_points() -> None:
    checked = 0
    for frame, calib, rows in corpus_frames():
        scan = np.fromfile(KITTI_OBJECT / "velodyne" / f"{frame}.bin", dtype=np.float32)
        points = scan.reshape(-1, 4)[:, :3].astype(np.float64)
        for row in rows:
            if float(row[13]) >= 30.0 or int(row[2]) != 0:
                continue
            position, (length, w, h), yaw = label_cuboid(row, calib)
            d = points - np.array(position)
            c, s = math.cos(yaw), math.sin(yaw)
            along = d[:, 0] * c + d[:, 1] * s
            across = -d[:, 0] * s + d[:, 1] * c
            inside = (
                (np.abs(along) <= length / 2)
                & (np.abs(across) <= w / 2)
                & (np.abs(d[:, 2]) <= h / 2)
            )
            assert int(inside.sum()) > 10, f"{frame} {row[0]}: {int(inside.sum())} points inside"
            checked += 1
    assert checked >= 1


def pinhole(cam: CameraParams, points: Array) -> tuple[Array, Array]:
    """Pixels of velodyne points through the camera built from ``cam`` alone, and depths."""
    rotation = matrix_from_quaternion(cam.heading)  # camera axes -> velodyne
    local = (points - np.array(cam.position)) @ rotation  # = R^T (p - C), row by row
    uv = np.stack(
        [cam.fx * local[:, 0] / local[:, 2] + cam.cx, cam.fy * local[:, 1] / local[:, 2] + cam.cy],
        axis=1,
    )
    return uv, local[:, 2]


def orthonormalised(calib: Calibration) -> Calibration:
    tr = calib.Tr_velo_to_cam
    return Calibration(
        P2=calib.P2,
        R0_rect=nearest_rotation(calib.R0_rect),
        Tr_velo_to_cam=np.hstack([nearest_rotation(tr[:, :3]), tr[:, 3:]]),
    )


def corpus_scans() -> Iterator[tuple[Calibration, Array]]:
    for frame, calib, _ in corpus_frames():
        scan = np.fromfile(KITTI_OBJECT / "velodyne" / f"{frame}.bin", dtype=np.float32)
        yield calib, scan.reshape(-1, 4)[:, :3].astype(np.float64)


@pytest.mark.skipif(NO_KITTI, reason=NO_KITTI_REASON)
def test_camera_params_pinhole_projects_like_the_calibration() -> None:
    for calib, points in corpus_scans():
        cam = camera_params(calib)
        assert math.fsum(v * v for v in cam.heading) == pytest.approx(1.0, abs=1e-15)
        assert cam.heading[3] >= 0
        assert (cam.fx, cam.fy, cam.cx, cam.cy) == (
            calib.P2[0, 0],
            calib.P2[1, 1],
            calib.P2[0, 2],
            calib.P2[1, 2],
        )
        # With an exactly orthonormal rotation the pinhole is the calibration: 1e-6 px.
        exact = orthonormalised(calib)
        uv, depth = pinhole(camera_params(exact), points)
        front = depth > 0.1
        assert front.sum() > 10_000
        assert np.abs(uv[front] - project_to_image(points[front], exact)).max() < 1e-6
        # KITTI's printed rotations are orthonormal to ~5e-8 only; camera_params takes the
        # nearest rotation, which moves in-image pixels by ~2e-5 px.
        uv, depth = pinhole(cam, points)
        ref = project_to_image(points, calib)
        visible = (
            (depth > 1.0)
            & (ref[:, 0] >= 0)
            & (ref[:, 0] < 1242)
            & (ref[:, 1] >= 0)
            & (ref[:, 1] < 375)
        )
        assert visible.sum() > 10_000
        assert np.abs(uv[visible] - ref[visible]).max() < 1e-4


@pytest.mark.skipif(NO_KITTI, reason=NO_KITTI_REASON)
def test_calibration_from_camera_projects_like_the_original() -> None:
    for calib, points in corpus_scans():
        for source, tolerance in ((orthonormalised(calib), 1e-6), (calib, 1e-4)):
            rebuilt = calibration_from_camera(camera_params(source))
            assert np.array_equal(rebuilt.R0_rect, np.eye(3))
            assert rebuilt.P2[:, 3].tolist() == [0.0, 0.0, 0.0]
            ref = project_to_image(points, source)
            got = project_to_image(points, rebuilt)
            visible = (ref[:, 0] >= 0) & (ref[:, 0] < 1242) & (ref[:, 1] >= 0) & (ref[:, 1] < 375)
            assert visible.sum() > 10_000
            assert np.abs(got[visible] - ref[visible]).max() < tolerance
            # A point behind camera 2 is behind in both.
            assert np.array_equal(np.isnan(got[:, 0]), np.isnan(ref[:, 0]))


@settings(deadline=None)
@given(
    unit_quaternions,
    st.tuples(*[st.floats(min_value=-10.0, max_value=10.0)] * 3),
    st.floats(min_value=100.0, max_value=3000.0),
    st.floats(min_value=100.0, max_value=3000.0),
    st.floats(min_value=0.0, max_value=2000.0),
    st.floats(min_value=0.0, max_value=2000.0),
)
def test_camera_params_inverts_calibration_from_camera(
    q: Array,
    position: tuple[float, float, float],
    fx: float,
    fy: float,
    cx: float,
    cy: float,
) -> None:
    unit = q / np.linalg.norm(q)
    if unit[3] < 0:
        unit = -unit
    heading = (float(unit[0]), float(unit[1]), float(unit[2]), float(unit[3]))
    cam = CameraParams(position=position, heading=heading, fx=fx, fy=fy, cx=cx, cy=cy)
    back = camera_params(calibration_from_camera(cam))
    assert back.position == pytest.approx(position, abs=1e-9)
    assert (back.fx, back.fy, back.cx, back.cy) == (fx, fy, cx, cy)
    rotation = matrix_from_quaternion(back.heading)
    assert rotation == pytest.approx(matrix_from_quaternion(heading), abs=1e-12)


def test_camera_params_refuses_a_projection_with_rotation() -> None:
    skewed = K_HAND.copy()
    skewed[0, 1] = 0.5
    with pytest.raises(ValueError, match="not"):
        camera_params(hand_calibration(skewed))
    with pytest.raises(ValueError, match="no P0"):
        camera_params(hand_calibration(), camera=0)


def test_calibration_lists_round_trip_exactly_and_are_json(calibs: list[Calibration]) -> None:
    import orjson

    from nucleus_convert.geometry.kitti import calibration_from_lists, calibration_to_lists

    for calib in calibs:
        lists = orjson.loads(orjson.dumps(calibration_to_lists(calib)))
        back = calibration_from_lists(lists)
        for name in ("P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"):
            a, b = getattr(calib, name), getattr(back, name)
            assert (a is None and b is None) or np.array_equal(a, b), name


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "object of matrices"),
        ({"P2": [1.0] * 12, "R0_rect": [1.0] * 9}, "lacks Tr_velo_to_cam"),
        ({"P2": [1.0] * 11, "R0_rect": [1.0] * 9, "Tr_velo_to_cam": [0.0] * 12}, "P2 must be 12"),
        ({"P2": [1.0] * 12, "R0_rect": ["1"] * 9, "Tr_velo_to_cam": [0.0] * 12}, "R0_rect"),
        ({"P2": [math.nan] * 12, "R0_rect": [1.0] * 9, "Tr_velo_to_cam": [0.0] * 12}, "finite"),
    ],
)
def test_calibration_from_lists_names_the_bad_matrix(value: object, message: str) -> None:
    from nucleus_convert.geometry.kitti import calibration_from_lists

    with pytest.raises(ValueError, match=message):
        calibration_from_lists(value)
