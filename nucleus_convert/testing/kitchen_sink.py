"""A small dataset holding one record of every kind the model has.

The conformance kit writes it with a format to see that whatever the format cannot carry is
counted in the loss report rather than dropped in silence. Coordinates are in pixels (images)
and metres (point clouds), inside the 64 x 48 image and well away from its edges.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from nucleus_convert.geometry.rle import encode
from nucleus_convert.model import (
    Annotation,
    Box,
    CameraParams,
    Category,
    Cuboid,
    Dataset,
    Frame,
    Header,
    ImageCategory,
    ImageMedia,
    InstanceMask,
    Item,
    Keypoint,
    Keypoints,
    MaskRef,
    MultiCategory,
    PointCloudMedia,
    Polygon,
    Polyline,
    Scene,
    SceneCategory,
    Segment,
    Segmentation,
    Skeleton,
    Taxonomy,
    Visibility,
)

__all__ = ["KITCHEN_SINK_SIZE", "kitchen_sink_dataset"]

KITCHEN_SINK_SIZE = (64, 48)
"""Width and height of the kitchen sink's images."""


def _image(path: Path, shade: int) -> None:
    width, height = KITCHEN_SINK_SIZE
    pixels = np.full((height, width, 3), shade, dtype=np.uint8)
    pixels[8:16, 8:24] = (200, 30, 30)
    Image.fromarray(pixels).save(path)


def _image_annotations() -> list[Annotation]:
    """Every image annotation kind, one prediction among them, inside the kitchen sink image."""
    width, height = KITCHEN_SINK_SIZE
    instance = np.zeros((height, width), dtype=np.uint8)
    instance[20:30, 30:44] = 1
    index = np.zeros((height, width), dtype=np.uint8)
    index[8:16, 8:24] = 1
    index[20:30, 30:44] = 2
    return [
        Box(label="cat", id="box-1", x=8.0, y=8.0, width=16.0, height=8.0),
        Box(label="dog", id="box-2", x=30.0, y=20.0, width=14.0, height=10.0, score=0.75),
        Polygon(label="dog", id="poly-1", points=[(30.0, 20.0), (44.0, 20.0), (44.0, 30.0)]),
        Polyline(label="cat", id="line-1", points=[(2.0, 40.0), (20.0, 42.0), (40.0, 40.0)]),
        Keypoints(
            label="cat",
            id="kp-1",
            names=["nose", "tail"],
            skeleton=[(0, 1)],
            points=[
                Keypoint(10.0, 10.0, Visibility.VISIBLE),
                Keypoint(22.0, 14.0, Visibility.HIDDEN),
            ],
        ),
        InstanceMask(label="dog", id="mask-1", rle=encode(instance)),
        Segmentation(
            id="seg-1",
            mask=MaskRef(array=index),
            segments=[Segment(0, "background"), Segment(1, "cat"), Segment(2, "dog")],
        ),
        ImageCategory(label="sunny", id="cat-1", taxonomy="weather"),
        MultiCategory(id="multi-1", labels=["indoor", "blurry"], taxonomy="tags"),
    ]


def kitchen_sink_dataset(workdir: str | Path) -> Dataset:
    """One image item with every image annotation kind, a prediction, a point cloud item with a
    cuboid, and a scene with a scene category. Its two PNG images are written into ``workdir``.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    width, height = KITCHEN_SINK_SIZE
    plain, other = workdir / "sink_plain.png", workdir / "sink_all_kinds.png"
    _image(plain, 90)
    _image(other, 120)

    header = Header(
        categories=[Category("cat", source_id=1), Category("dog", source_id=2)],
        skeletons={"cat": Skeleton(["nose", "tail"], [(0, 1)])},
        taxonomies={
            "weather": Taxonomy("weather", ["sunny", "rainy"]),
            "tags": Taxonomy("tags", ["indoor", "blurry"], type="multicategory"),
        },
    )
    annotations = _image_annotations()
    lidar_points = np.array(
        [[1.0, 2.0, 0.5, 0.25], [3.0, -1.0, 0.0, 1.0], [0.5, 0.5, 1.5, 0.0]], dtype=np.float32
    )
    items = [
        Item("sink_plain", media=ImageMedia(str(plain), width, height)),
        Item(
            "sink_all_kinds", media=ImageMedia(str(other), width, height), annotations=annotations
        ),
        Item(
            "sink_lidar",
            media=PointCloudMedia(points=lidar_points),
            annotations=[
                Cuboid(
                    label="car",
                    id="cuboid-1",
                    position=(5.0, 1.0, 0.75),
                    dimensions=(4.0, 1.8, 1.5),
                    yaw=0.5,
                ),
            ],
        ),
        Item(
            "sink_camera",
            media=ImageMedia(str(plain), width, height),
            camera=CameraParams((0.0, 0.0, 1.5), (0.5, -0.5, 0.5, -0.5), 50.0, 50.0, 32.0, 24.0),
        ),
    ]
    scene = Scene(
        "sink_scene",
        frames=[Frame({"lidar": "sink_lidar", "cam": "sink_camera"})],
        annotations=[SceneCategory(label="sunny", id="scene-cat-1", taxonomy="weather")],
    )
    return Dataset.of(items, header=header, scenes=[scene])
