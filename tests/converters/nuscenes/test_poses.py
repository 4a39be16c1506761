"""nucleus_convert/converters/nuscenes/poses.py: quaternion order and composition as the
nuScenes devkit (pyquaternion) has them, checked against rotation matrices built here from the
axis-angle (Rodrigues) formula, and the exact inverses the writer relies on."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nucleus_convert.converters.nuscenes.poses import (
    IDENTITY,
    Pose,
    compose,
    exact_yaw_rotation,
    from_heading,
    heading_xyzw,
    into,
    points_to_child,
    points_to_parent,
    qmul,
    relative,
    rotation_matrix,
    sensor_to_frame,
    tilt_of,
    yaw_of,
    yaw_quaternion,
)


def rodrigues(axis: tuple[float, float, float], angle: float) -> np.ndarray:
    """The rotation by ``angle`` about ``axis`` (right hand), from Rodrigues' formula."""
    k = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(angle) * cross + (1 - math.cos(angle)) * cross @ cross


def wxyz(axis: tuple[float, float, float], angle: float) -> tuple[float, float, float, float]:
    """pyquaternion's ``Quaternion(axis=axis, angle=angle).elements``: ``[w, x, y, z]``."""
    k = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    s = math.sin(angle / 2)
    return (math.cos(angle / 2), float(k[0] * s), float(k[1] * s), float(k[2] * s))


AXES = [((0, 0, 1), 0.7), ((1, 0, 0), -1.2), ((0.3, -0.5, 0.8), 2.9), ((1, 1, 0), -0.01)]


@pytest.mark.parametrize(("axis", "angle"), AXES)
def test_rotation_matrix_of_a_wxyz_quaternion_is_the_axis_angle_rotation(
    axis: tuple[float, float, float], angle: float
) -> None:
    assert np.allclose(rotation_matrix(wxyz(axis, angle)), rodrigues(axis, angle), atol=1e-15)


def test_the_hamilton_product_rotates_by_the_right_factor_first() -> None:
    a, b = wxyz((0, 0, 1), 0.9), wxyz((1, 0, 0), 0.4)
    expected = rodrigues((0, 0, 1), 0.9) @ rodrigues((1, 0, 0), 0.4)
    assert np.allclose(rotation_matrix(qmul(a, b)), expected)


def test_compose_maps_child_points_through_both_poses() -> None:
    ego = Pose(wxyz((0, 0, 1), 2.1), (410.0, 1180.5, 0.0))
    calib = Pose(wxyz((0.2, 0.1, 1), -1.5), (0.94, 0.0, 1.84))
    p = np.array([3.0, -4.0, 0.5])
    expected = rodrigues((0, 0, 1), 2.1) @ (rodrigues((0.2, 0.1, 1), -1.5) @ p + [0.94, 0, 1.84])
    expected += [410.0, 1180.5, 0.0]
    both = compose(ego, calib)
    got = np.asarray(rotation_matrix(both.rotation)) @ p + np.asarray(both.translation)
    assert np.allclose(got, expected, atol=1e-12)


def test_into_and_relative_are_the_inverse_poses_applied() -> None:
    base = Pose(wxyz((0, 0.1, 1), 0.6), (1010.13, 610.81, 0.0))
    v = (1001.5, 614.25, 1.0)
    r = rodrigues((0, 0.1, 1), 0.6)
    assert np.allclose(into(base, v), r.T @ (np.asarray(v) - [1010.13, 610.81, 0.0]), atol=1e-12)
    other = Pose(wxyz((1, 0, 0), 0.3), v)
    rel = relative(base, other)
    expected = r.T @ rodrigues((1, 0, 0), 0.3)
    assert np.allclose(rotation_matrix(rel.rotation), expected, atol=1e-14)
    assert compose(base, rel).translation == pytest.approx(v, abs=1e-12)


def test_yaw_is_the_heading_of_the_rotated_x_axis_as_the_devkits_quaternion_yaw() -> None:
    for yaw in (-3.1, -1.0, 0.0, 0.4, 3.0):
        assert yaw_of(wxyz((0, 0, 1), yaw)) == pytest.approx(yaw, abs=1e-15)
    tilted = qmul(wxyz((0, 0, 1), 1.1), wxyz((1, 0, 0), 0.2))
    x_axis = np.asarray(rotation_matrix(tilted)) @ [1.0, 0.0, 0.0]
    assert yaw_of(tilted) == pytest.approx(math.atan2(x_axis[1], x_axis[0]), abs=1e-15)
    assert tilt_of(tilted) == pytest.approx(0.2, abs=1e-15)
    assert tilt_of(wxyz((0, 0, 1), 2.0)) == 0.0


def test_heading_is_xyzw_with_w_non_negative_and_the_same_rotation() -> None:
    q = (-0.5, 0.5, -0.5, 0.5)
    assert heading_xyzw(q) == (-0.5, 0.5, -0.5, 0.5)
    assert np.allclose(rotation_matrix(from_heading(heading_xyzw(q))), rotation_matrix(q))
    assert heading_xyzw((0.5, 0.1, 0.2, 0.3)) == (0.1, 0.2, 0.3, 0.5)


def test_sensor_to_frame_keeps_the_reference_lidar_exact() -> None:
    ego = Pose(wxyz((0, 0.02, 1), 0.6), (411.3, 1180.9, 0.0))
    lidar = Pose(wxyz((0, 0, 1), -math.pi / 2), (0.94, 0.0, 1.84))
    assert sensor_to_frame("sensor", ego, lidar, ego, lidar) is IDENTITY
    assert sensor_to_frame("ego", ego, lidar, ego, lidar) == lidar
    assert sensor_to_frame("world", ego, lidar, ego, lidar) == compose(ego, lidar)


@pytest.mark.parametrize(
    ("tilted", "yaw"),
    [(False, -math.pi), (False, -1e-4), (False, 0.0), (False, 3.1), (True, -2.2), (True, 0.7)],
)
def test_exact_yaw_rotation_reads_back_the_very_yaw(tilted: bool, yaw: float) -> None:
    """Upright quaternions are found that read back to the very yaw: in the world frame for
    any yaw, through a tilted frame (ego, sensor) for yaws not within ~1e-10 of 0."""
    frame = qmul(wxyz((0, 0, 1), 0.4), wxyz((1, 1, 0), 0.02)) if tilted else IDENTITY.rotation
    back = (frame[0], -frame[1], -frame[2], -frame[3])

    def seen(q: tuple[float, float, float, float]) -> float:
        return yaw_of(qmul(back, q))

    start = yaw_of(qmul(frame, yaw_quaternion(yaw)))
    for _ in range(4):
        start += math.remainder(yaw - seen(yaw_quaternion(start)), math.tau)
    q, exact = exact_yaw_rotation(yaw, seen, start)
    assert exact and seen(q) == yaw
    assert q[1] == q[2] == 0.0  # upright: about z only


def test_points_round_trip_exactly_through_a_far_world_frame() -> None:
    """Float32 world points of a sweep 1.4 km from the origin go back into the sensor frame
    and read back bit for bit (ground points near z = 0 included)."""
    rng = np.random.default_rng(7)
    ego = Pose(qmul(wxyz((0, 0, 1), 0.61), wxyz((0, 1, 0), 0.015)), (1411.3, 2180.89, 0.0))
    lidar = Pose(qmul(wxyz((0, 0, 1), -math.pi / 2), wxyz((1, 1, 0), 0.008)), (0.94, 0.0, 1.84))
    pose = compose(ego, lidar)
    sensor = np.column_stack(
        [rng.uniform(-60, 60, 5000), rng.uniform(-60, 60, 5000), rng.uniform(-1.9, 3, 5000)]
    ).astype(np.float32)
    world = points_to_parent(pose, sensor)
    exact = np.asarray(rotation_matrix(pose.rotation)) @ sensor.astype(np.float64).T
    exact = exact.T + np.asarray(pose.translation)
    assert np.abs(world - exact).max() < 2.5e-4  # a float32 step at 2 km
    back, missed = points_to_child(pose, world)
    assert missed.size == 0
    assert np.array_equal(points_to_parent(pose, back).view(np.uint32), world.view(np.uint32))
