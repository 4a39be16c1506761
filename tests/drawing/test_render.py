"""One item's preview: which view, what goes in the caption, what is counted in a note."""

from __future__ import annotations

from nucleus_convert.drawing.render import Settings, category_lines, render_item
from nucleus_convert.model import (
    Box,
    Cuboid,
    Header,
    ImageCategory,
    ImageMedia,
    Item,
    MultiCategory,
    PointCloudMedia,
)


def test_categories_are_listed_for_the_caption() -> None:
    anns = [
        ImageCategory(label="street", taxonomy="place"),
        ImageCategory(label="highway", taxonomy="place", score=0.25),
        MultiCategory(labels=["sunny", "day"], taxonomy="conditions"),
        ImageCategory(label="dog"),
    ]
    assert category_lines(anns) == [
        "category (place): street",
        "category prediction (place): highway 0.25",
        "categories (conditions): sunny, day",
        "category: dog",
    ]


def test_a_cuboid_on_an_image_is_counted_in_a_note() -> None:
    cuboid = Cuboid(label="car", position=(1, 2, 3), dimensions=(4, 2, 1), yaw=0)
    box = Box(label="car", x=1, y=1, width=5, height=5)
    item = Item("cam", ImageMedia("s3://b/c.jpg", 64, 48), annotations=[cuboid, box, cuboid])
    rendered = render_item(item, Header(), Settings())
    assert rendered.view == "image" and rendered.scale == 5
    assert rendered.notes[-1] == "2 cuboid annotations not drawn on an image"
    assert rendered.picture.size == (320, 240)
    assert rendered.image.height > 240 and rendered.image.width == 320


def test_a_point_cloud_item_is_a_birds_eye_view_no_larger_than_max_size() -> None:
    item = Item("lidar", PointCloudMedia("s3://b/p.json"))
    rendered = render_item(item, Header(), Settings(max_size=300))
    assert rendered.view == "bev" and rendered.scale is None
    assert max(rendered.picture.size) <= 300
