"""Vector annotations on an image, read back from the PNG: every box edge drawn, nothing
where nothing is labelled, predictions dashed, keypoints with their skeleton."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from drawing.preview_helpers import (
    along,
    changed_near,
    gradient,
    image_item,
    preview_items,
)

from nucleus_convert.drawing.colours import label_colour
from nucleus_convert.drawing.draw2d import tag_text
from nucleus_convert.model import (
    Box,
    Category,
    Header,
    Keypoint,
    Keypoints,
    Polygon,
    Polyline,
    Skeleton,
    Visibility,
)

SOURCE = gradient(400, 300)


def _edges(x: float, y: float, w: float, h: float) -> list[tuple[tuple[float, float], ...]]:
    return [
        ((x, y), (x + w, y)),
        ((x + w, y), (x + w, y + h)),
        ((x + w, y + h), (x, y + h)),
        ((x, y + h), (x, y)),
    ]


def _picture(png: np.ndarray) -> np.ndarray:
    return png[: SOURCE.shape[0], : SOURCE.shape[1]]


def test_pixels_along_every_box_edge_differ_from_the_image(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    boxes = [
        Box(label="car", x=50, y=60, width=120, height=80),
        Box(label="person", x=250.5, y=100.25, width=60, height=150),
    ]
    [(png, record)] = preview_items(tmp_path / "out", [image_item(image_file(), boxes)])
    picture = _picture(png)
    assert record.view == "image" and record.notes == ()
    for box in boxes:
        for edge in _edges(box.x, box.y, box.width, box.height):
            points = along(*edge)
            assert points and all(changed_near(picture, SOURCE, c, r) for c, r in points), edge
        colour = label_colour(box.label)
        assert (picture == colour).all(axis=2).sum() > 2 * (box.width + box.height)


def test_nothing_is_drawn_away_from_the_annotations(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    box = Box(label="car", x=50, y=60, width=120, height=80)
    header = Header(categories=[Category("car"), Category("unused")])
    [(png, _)] = preview_items(tmp_path / "out", [image_item(image_file(), [box])], header)
    picture = _picture(png)
    # Only the box's edges and its tag above it changed: the rest is the image, pixel for pixel.
    changed = (picture != SOURCE).any(axis=2)
    rows, cols = np.nonzero(changed)
    assert cols.min() >= 47 and cols.max() <= 173 and rows.max() <= 143 and rows.min() >= 30
    # A label with no annotation draws nothing: its colour is nowhere.
    assert not (picture == label_colour("unused")).all(axis=2).any()


def test_an_item_without_annotations_is_its_image(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    [(png, _)] = preview_items(tmp_path / "out", [image_item(image_file(), [])])
    assert np.array_equal(_picture(png), SOURCE)
    assert png.shape[0] > SOURCE.shape[0]  # the caption strip under it


def test_a_prediction_is_dashed_some_pixels_along_its_edge_untouched(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    pred = Box(label="car", x=50, y=60, width=200, height=150, score=0.875)
    truth = Box(label="car", x=50, y=60, width=200, height=150)
    out = tmp_path / "out"
    out.mkdir()
    [(png_p, _)] = preview_items(out / "p", [image_item(image_file(), [pred])])
    [(png_t, _)] = preview_items(out / "t", [image_item(image_file(), [truth])])
    for png, dashed in ((png_p, True), (png_t, False)):
        picture = _picture(png)
        for edge in _edges(50, 60, 200, 150)[1:]:  # the top edge holds the tag
            hits = [changed_near(picture, SOURCE, c, r) for c, r in along(*edge)]
            assert any(hits)
            assert all(hits) is not dashed, (edge, dashed)
    assert tag_text(pred) == "car 0.88"


def test_polygons_are_outlined_and_filled_translucent_polylines_are_open(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    poly = Polygon(label="road", points=[(20, 200), (180, 200), (100, 280)])
    line = Polyline(label="lane", points=[(220, 50), (380, 150), (220, 250)])
    [(png, _)] = preview_items(tmp_path / "out", [image_item(image_file(), [poly, line])])
    picture = _picture(png)
    edges = [((20, 200), (180, 200)), ((180, 200), (100, 280)), ((220, 50), (380, 150))]
    for edge in [*edges, ((380, 150), (220, 250))]:
        assert all(changed_near(picture, SOURCE, c, r) for c, r in along(*edge)), edge
    inside = picture[240, 100].astype(int)
    assert not np.array_equal(inside, SOURCE[240, 100])  # tinted
    assert not np.array_equal(inside, label_colour("road"))  # but translucent
    # the polyline is not closed: nothing between its two ends
    assert not any(changed_near(picture, SOURCE, c, r) for c, r in along((220, 100), (220, 200)))


def test_keypoints_are_drawn_with_the_headers_skeleton(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    points = [
        Keypoint(100, 100, Visibility.VISIBLE),
        Keypoint(200, 200, Visibility.VISIBLE),
        Keypoint(300, 100, Visibility.HIDDEN),
        Keypoint(None, None, Visibility.UNLABELLED),
    ]
    kp = Keypoints(label="person", points=points, names=["a", "b", "c", "d"], track_id="p-7")
    header = Header(skeletons={"person": Skeleton(["a", "b", "c", "d"], [(0, 1), (1, 2), (2, 3)])})
    [(png, _)] = preview_items(tmp_path / "out", [image_item(image_file(), [kp])], header)
    picture = _picture(png)
    colour = label_colour("person")
    assert (picture[99:102, 99:102] == colour).all(axis=2).any()  # visible: a filled dot
    for edge in [((100, 100), (200, 200)), ((200, 200), (300, 100))]:
        assert all(changed_near(picture, SOURCE, c, r) for c, r in along(*edge)), edge
    assert np.array_equal(picture[100, 300], SOURCE[100, 300])  # hidden: a ring, hollow
    assert tag_text(kp) == "person #p-7"


def test_a_tag_names_label_track_and_score() -> None:
    assert tag_text(Box(label="car", x=0, y=0, width=1, height=1, track_id="t1")) == "car #t1"
    assert (
        tag_text(Box(label="", x=0, y=0, width=1, height=1, prediction=True)) == "(no label) pred"
    )
    assert tag_text(Box(label="bus", x=0, y=0, width=1, height=1, score=0.5)) == "bus 0.50"


def test_shapes_far_off_the_picture_draw_nothing(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    far = [
        Box(label="car", x=1e9, y=1e9, width=10, height=10),
        Polygon(label="car", points=[(-1e12, -1e12), (-1e12 + 5, -1e12), (-1e12, -1e12 + 5)]),
    ]
    [(png, _)] = preview_items(tmp_path / "out", [image_item(image_file(), far)])
    assert np.array_equal(_picture(png), SOURCE)
