"""nucleus_convert/converters/cvat/read.py and shapes.py: the fixture's values, hand-checked
against the XML and CVAT's conventions (coordinates as they are, rotation clockwise about the
centre, outside = no annotation, CVAT's row-major RLE)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.geometry.rle import decode
from nucleus_convert.model import (
    Box,
    ImageCategory,
    InstanceMask,
    Item,
    Keypoints,
    MaterializedDataset,
    Polygon,
    Polyline,
    Visibility,
)

IMAGES = FIXTURES / "cvat" / "images_task.xml"
VIDEO = FIXTURES / "cvat" / "video_task.xml"


@pytest.fixture(scope="module")
def images() -> MaterializedDataset:
    return nc.read(IMAGES, "cvat").materialize()


@pytest.fixture(scope="module")
def video() -> MaterializedDataset:
    return nc.read(VIDEO, "cvat").materialize()


def _item(dataset: MaterializedDataset, ref: str) -> Item:
    return next(i for i in dataset.items if i.reference_id == ref)


def test_every_image_is_an_item_in_file_order_with_its_size_and_file(
    images: MaterializedDataset,
) -> None:
    refs = [(i.reference_id, i.media.width, i.media.height) for i in images.items]  # type: ignore[union-attr]
    assert refs == [
        ("street 1.png", 32, 24),
        ("street 2.png", 40, 30),
        ("empty.png", 16, 16),
        ("sub dir/far.png", 32, 24),
    ]
    assert _item(images, "empty.png").annotations == []
    media = _item(images, "sub dir/far.png").media
    assert media is not None and Path(media.path) == IMAGES.parent / "images" / "sub dir/far.png"
    assert all(i.metadata == {} for i in images.items)  # ids are the positions


def test_box_coordinates_map_as_they_are_with_properties_and_typed_attributes(
    images: MaterializedDataset,
) -> None:
    box = _item(images, "street 1.png").annotations[0]
    assert isinstance(box, Box)
    assert (box.x, box.y, box.width, box.height) == (2.5, 3.0, 10.25, 6.0)
    assert box.id == "box1" and box.label == "car"
    assert box.attributes == {
        "model": "truck",
        "parked": True,
        "speed": 30,
        "occluded": True,
        "z_order": 1,
        "source": "manual",
    }


def test_a_rotated_box_is_the_polygon_of_its_corners_turned_clockwise(
    images: MaterializedDataset,
) -> None:
    turned = _item(images, "street 1.png").annotations[1]
    assert isinstance(turned, Polygon) and turned.id == "box2"
    assert turned.attributes["rotation"] == 30.0 and turned.attributes["source"] == "auto"
    # box 14..22 x 2..6, centre (18, 4); 30 degrees clockwise on an image (y down): the
    # top-left corner (-4, -2) from the centre goes to (-4 cos + 2 sin, -4 sin - 2 cos)
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    expected = [
        (18 + dx * c - dy * s, 4 + dx * s + dy * c)
        for dx, dy in ((-4, -2), (4, -2), (4, 2), (-4, 2))
    ]
    flat = [v for point in turned.points for v in point]
    assert flat == pytest.approx([v for point in expected for v in point], abs=1e-12)
    # clockwise: the top-right corner moves down, the top-left one up
    assert turned.points[1][1] > 2 > turned.points[0][1]


def test_groups_polylines_points_and_tags(images: MaterializedDataset) -> None:
    anns = _item(images, "street 1.png").annotations
    sign_polygon, sign_box = anns[2], anns[3]
    assert sign_polygon.group_id == sign_box.group_id == "1"
    assert isinstance(anns[4], Polyline) and anns[4].points == [(0, 23), (10.5, 15.25), (20, 12)]
    wheel = anns[5]
    assert isinstance(wheel, Keypoints) and wheel.skeleton is None
    assert wheel.names == ["1", "2", "3"] and wheel.attributes["z_order"] == 2
    assert [(p.x, p.y, p.visibility) for p in wheel.points] == [
        (4.0, 9.5, Visibility.VISIBLE),
        (11.0, 9.5, Visibility.VISIBLE),
        (7.5, 10.0, Visibility.VISIBLE),
    ]
    tag = anns[-1]
    assert isinstance(tag, ImageCategory) and tag.taxonomy is None and tag.id is None
    assert tag.attributes == {"light": "dusk, low sun", "source": "manual"}


def test_skeleton_elements_outside_are_unlabelled_and_occluded_hidden(
    images: MaterializedDataset,
) -> None:
    pose = _item(images, "street 1.png").annotations[6]
    assert isinstance(pose, Keypoints) and pose.id == "skeleton1"
    assert pose.names == ["head", "hand", "foot"] and pose.skeleton == [(0, 1), (0, 2)]
    assert [(p.x, p.y, p.visibility) for p in pose.points] == [
        (5.0, 12.0, Visibility.VISIBLE),
        (3.5, 16.0, Visibility.HIDDEN),
        (None, None, Visibility.UNLABELLED),
    ]
    assert pose.attributes == {"source": "manual", "hand/side": "right"}
    assert images.header.skeletons["pose"].names == ["head", "hand", "foot"]


def test_masks_decode_to_the_pixels_the_fixture_painted(images: MaterializedDataset) -> None:
    mask = _item(images, "street 1.png").annotations[7]
    assert isinstance(mask, InstanceMask) and mask.rle["size"] == [24, 32]
    expected = np.zeros((24, 32), dtype=np.uint8)
    expected[17:20, 21:25] = 1
    expected[20, 20:26] = 1
    expected[18, 22] = 0
    assert np.array_equal(decode(mask.rle), expected)
    corner = _item(images, "street 2.png").annotations[2]
    assert isinstance(corner, InstanceMask) and corner.attributes["z_order"] == -1
    pixels = decode(corner.rle)
    assert pixels.sum() == 12 and pixels[27:30, 36:40].all()


def test_header_keeps_label_specs_in_order(images: MaterializedDataset) -> None:
    header = images.header
    assert [c.name for c in header.categories] == [
        "car", "person", "road sign", "lane", "wheel", "pose", "puddle", "daytime",
    ]  # fmt: skip
    car = header.categories[0].attributes["cvat"]
    assert car["color"] == "#fa3253" and car["type"] == "rectangle"
    assert [(a["name"], a["input_type"], a["mutable"]) for a in car["attributes"]] == [
        ("model", "select", False),
        ("parked", "checkbox", False),
        ("speed", "number", True),
    ]
    assert header.extra["cvat"] == {
        "flavour": "images",
        "container": "task",
        "name": "street scenes",
    }


def test_video_frames_are_the_task_frames_with_outside_shapes_left_out(
    video: MaterializedDataset,
) -> None:
    assert [(i.reference_id, i.metadata) for i in video.items] == [
        (f"frame_{n:06d}", {"frame": n}) for n in (0, 2, 4, 6, 8)
    ]
    assert all(i.media.width == 32 and i.media.height == 24 for i in video.items)  # type: ignore[union-attr]
    on = {i.reference_id: sorted(a.track_id or "" for a in i.annotations) for i in video.items}
    assert on == {
        "frame_000000": ["0", "2", "3", "4"],
        "frame_000002": ["0", "1", "4"],  # lane and wheel are outside; the pose is there
        "frame_000004": ["0", "1", "2", "5"],  # every pose element is outside
        "frame_000006": ["1"],
        "frame_000008": ["1"],  # the person stays to the last frame
    }
    assert video.header.extra["cvat"]["source"] == "drive.mp4"


def test_track_shapes_keep_keyframes_attributes_and_groups(video: MaterializedDataset) -> None:
    car = [a for i in video.items for a in i.annotations if a.track_id == "0"]
    assert [a.id for a in car] == ["track0"] * 3
    assert [a.attributes.get("keyframe", True) for a in car] == [True, False, True]
    assert [a.attributes["speed"] for a in car] == [10, 12, 14]
    assert {a.attributes["model"] for a in car} == {"truck"}  # immutable, cloned per frame
    assert isinstance(car[0], Box) and (car[0].x, car[0].width) == (1.0, 8.0)
    assert isinstance(car[2], Polygon) and car[2].attributes["rotation"] == 15.0
    people = [a for i in video.items for a in i.annotations if a.track_id == "1"]
    assert {a.group_id for a in people} == {"2"}
    assert {a.attributes["source"] for a in people} == {"auto"}
    assert [a.attributes.get("occluded", False) for a in people] == [False, True, False, False]


def test_track_skeleton_elements_keep_their_own_keyframe_and_visibility(
    video: MaterializedDataset,
) -> None:
    poses = [a for i in video.items for a in i.annotations if a.track_id == "4"]
    assert len(poses) == 2 and all(isinstance(p, Keypoints) for p in poses)
    second = poses[1]
    assert isinstance(second, Keypoints)
    assert [p.visibility for p in second.points] == [
        Visibility.VISIBLE,
        Visibility.HIDDEN,
        Visibility.UNLABELLED,
    ]
    assert second.attributes == {"source": "manual", "keyframe": False, "hand/side": "left"}


def test_reading_a_folder_finds_its_annotations_xml(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "annotations.xml").write_bytes(IMAGES.read_bytes())
    dataset = nc.read(folder, "cvat").materialize()
    assert len(dataset.items) == 4
    media = dataset.items[0].media
    assert media is not None and media.path == str(folder / "images" / "street 1.png")


def test_image_root_option_moves_the_media(images: MaterializedDataset) -> None:
    again = nc.read(IMAGES, "cvat", image_root="s3://bucket/frames").materialize()
    assert again.items[3].media.path == "s3://bucket/frames/sub dir/far.png"  # type: ignore[union-attr]


def test_length_is_stated_and_partitions_cover_the_stream() -> None:
    dataset = nc.read(VIDEO, "cvat")
    assert dataset.length == 5 and dataset.partition is not None
    parts = [i.reference_id for k in range(3) for i in dataset.partition(k, 3)]
    assert parts == [i.reference_id for i in dataset.items]
