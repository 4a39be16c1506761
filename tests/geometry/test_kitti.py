"""nucleus_convert/geometry/kitti.py: velodyne <-> camera frames, KITTI labels <-> cuboids,
projection, alpha, cuboid corners and 2D boxes, quaternions, and camera parameters <->
calibrations.

Hand-checkable numbers use a calibration whose velodyne -> camera rotation is the bare axis
permutation (x_cam = -y_velo, y_cam = -z_velo, z_cam = x_velo). The real checks use KITTI's own
frames from the shared corpus: converted cuboids, projected with P2, must cover the labelled
2D boxes, and must contain the object's LiDAR points. The calibration files themselves are
tested in test_kitti_calib.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from kitti_calib_samples import (
    K_HAND,
    KITTI_OBJECT,
    NO_KITTI,
    NO_KITTI_REASON,
    Array,
    every_calibration,
    hand_calibration,
    unit_quaternions,
)
from PIL import Image

from nucleus_convert.geometry.kitti import (
    Calibration,
    alpha_from,
    box_from_corners,
    calibration_from_camera,
    camera_params,
    cuboid_corners,
    cuboid_to_kitti,
    kitti_to_cuboid,
    matrix_from_quaternion,
    parse_calib,
    project_to_image,
    quaternion_from_matrix,
    rect_to_velo,
    velo_to_rect,
    velo_to_rect_matrix,
    wrap_angle,
)
from nucleus_convert.model import CameraParams


def angle_between(a: float, b: float) -> float:
    return abs(math.remainder(a - b, math.tau))


def nearest_rotation(m: Array) -> Array:
    u, _, vt = np.linalg.svd(m)
    r: Array = u @ vt
    return r


@pytest.fixture(scope="module")
def calibs() -> list[Calibration]:
    """The embedded calibration plus every KITTI object calibration of the corpus."""
    return every_calibration()


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
