"""Bird's-eye views, read back from the PNG: x forward up, y left to the left, cuboid corners
and headings in the label's colour, predictions dashed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from drawing.preview_helpers import preview_items

from nucleus_convert.drawing.bev import footprint, render_bev, view_frame
from nucleus_convert.drawing.colours import BEV_BACKGROUND, label_colour
from nucleus_convert.model import Box, Cuboid, Item, PointCloudMedia

POINTS = np.array(
    [[20.0, 0.0, 0.0, 1.0], [0.0, 10.0, 0.0, 1.0], [-5.0, -10.0, 0.0, 0.5]], dtype=np.float32
)


def _near(png: np.ndarray, point: tuple[float, float], colour: tuple[int, int, int]) -> bool:
    col, row = round(point[0]), round(point[1])
    patch = png[max(row - 2, 0) : row + 3, max(col - 2, 0) : col + 3]
    return bool((patch == colour).all(axis=2).any())


def test_a_cuboids_corners_and_heading_are_drawn(tmp_path: Path) -> None:
    car = Cuboid(label="car", position=(10.0, 4.0, 0.5), dimensions=(4.0, 2.0, 1.5), yaw=0.5)
    item = Item("lidar", PointCloudMedia(points=POINTS), annotations=[car])
    [(png, record)] = preview_items(tmp_path / "out", [item])
    assert record.view == "bev" and record.notes == ()
    frame = view_frame(POINTS, [car], 800)
    colour = label_colour("car")
    corners = [frame.to_pixel(x, y) for x, y in footprint(car)]
    assert all(_near(png, corner, colour) for corner in corners)
    centre = frame.to_pixel(10.0, 4.0)
    front = frame.to_pixel(10.0 + 2 * math.cos(0.5), 4.0 + 2 * math.sin(0.5))
    back = frame.to_pixel(10.0 - 1.5 * math.cos(0.5), 4.0 - 1.5 * math.sin(0.5))
    halfway = ((centre[0] + front[0]) / 2, (centre[1] + front[1]) / 2)
    assert _near(png, halfway, colour)  # the heading: centre to the front face
    assert not _near(png, back, colour)  # and nothing towards the back


def test_x_points_up_and_y_points_left() -> None:
    frame = view_frame(POINTS, [], 800)
    sensor = frame.to_pixel(0, 0)
    ahead = frame.to_pixel(20, 0)
    left = frame.to_pixel(0, 10)
    assert ahead[1] < sensor[1] and ahead[0] == sensor[0]
    assert left[0] < sensor[0] and left[1] == sensor[1]
    assert math.isclose(sensor[1] - ahead[1], 20 * frame.ppm)


def test_yaw_turns_the_heading_counter_clockwise_seen_from_above() -> None:
    cuboid = Cuboid(label="c", position=(0, 0, 0), dimensions=(4, 2, 1), yaw=math.pi / 2)
    front_left, front_right, _, _ = footprint(cuboid)
    # heading +y (left): the front corners have y = +2
    assert math.isclose(front_left[1], 2) and math.isclose(front_right[1], 2)
    assert front_left[0] < front_right[0]  # front-left is at -x once facing +y


def test_points_are_drawn_lighter_than_the_ground() -> None:
    bev = render_bev(Item("a", PointCloudMedia(points=POINTS)), size=400)
    pixels = np.asarray(bev.image)
    col, row = bev.frame.to_pixel(20, 0)
    assert pixels[int(row), int(col)].sum() > sum(BEV_BACKGROUND) + 200
    assert "x forward = up, y left = left" in bev.legend


def test_a_predicted_cuboid_is_dashed_and_tagged_with_its_score(tmp_path: Path) -> None:
    truth = Cuboid(label="car", position=(10, 0, 0), dimensions=(8, 4, 1), yaw=0.0)
    pred = Cuboid(label="car", position=(10, 0, 0), dimensions=(8, 4, 1), yaw=0.0, score=0.9)
    runs = []
    for i, cuboid in enumerate((truth, pred)):
        item = Item("a", PointCloudMedia(points=POINTS), annotations=[cuboid])
        [(png, _)] = preview_items(tmp_path / str(i), [item])
        frame = view_frame(POINTS, [cuboid], 800)
        col, back_row = frame.to_pixel(6, 2)  # the left side, from back to front
        _, front_row = frame.to_pixel(14, 2)
        rows = range(round(front_row) + 4, round(back_row) - 4)
        side = [_near(png, (col, row), label_colour("car")) for row in rows]
        assert len(side) > 50
        runs.append(side)
    assert all(runs[0]) and any(runs[1]) and not all(runs[1])


def test_a_point_cloud_that_is_not_here_gives_the_cuboids_alone_and_a_note(
    tmp_path: Path,
) -> None:
    car = Cuboid(label="car", position=(10, 0, 0), dimensions=(4, 2, 1), yaw=0.0)
    items = [
        Item("remote", PointCloudMedia("s3://b/cloud.json"), annotations=[car]),
        Item("gone", PointCloudMedia(str(tmp_path / "gone.bin")), annotations=[car]),
    ]
    records = [r for _, r in preview_items(tmp_path / "out", items)]
    assert records[0].notes == ("point cloud s3://b/cloud.json is not a local file: cuboids only",)
    assert records[1].notes[0].endswith("gone.bin not found: cuboids only")


def test_cuboids_without_media_get_a_view_and_other_kinds_a_note(tmp_path: Path) -> None:
    car = Cuboid(label="car", position=(10, 0, 0), dimensions=(4, 2, 1), yaw=0.0)
    box = Box(label="car", x=0, y=0, width=1, height=1)
    items = [
        Item("bare", None, annotations=[car]),
        Item("mixed", PointCloudMedia(points=POINTS), annotations=[car, box]),
    ]
    records = [r for _, r in preview_items(tmp_path / "out", items)]
    assert records[0].view == "bev"
    assert records[0].notes == ("no point cloud: cuboids drawn on an empty view",)
    assert records[1].notes == ("1 box annotation not drawn in a bird's-eye view",)
