"""A dataset with every annotation kind, built in memory (used by tests and the ``every_kind``
fixture)."""

from __future__ import annotations

import numpy as np

from nucleus_convert.model import (
    Box,
    CameraParams,
    Category,
    Cuboid,
    Frame,
    Header,
    ImageCategory,
    ImageMedia,
    Item,
    Keypoint,
    Keypoints,
    MaskRef,
    MaterializedDataset,
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


def every_kind_dataset() -> MaterializedDataset:
    """Two images and one LiDAR frame carrying every kind the nucleus format carries."""
    mask = np.zeros((6, 8), dtype=np.uint8)
    mask[1:4, 2:6] = 1
    mask[4:, :3] = 2
    pred_mask = np.zeros((6, 8), dtype=np.uint8)
    pred_mask[0:3, 0:3] = 3
    points = np.array(
        [[0.5, -1.25, 0.125, 0.5], [10.0, 2.0, -1.5, 1.0], [1e-3, 3.3333333, 7.0, 0.0]],
        dtype=np.float32,
    )
    skeleton = [(0, 1), (1, 2)]
    names = ["nose", "left_eye", "right_eye"]
    img0 = Item(
        reference_id="img-0",
        media=ImageMedia("s3://bucket/img-0.jpg", width=8, height=6),
        metadata={"weather": "sunny", "frame": 3, "score_avg": 0.5, "night": False},
        annotations=[
            Box(
                label="car",
                id="b1",
                x=1,
                y=2.5,
                width=3,
                height=4,
                attributes={"occluded": 1},
                track_id="car-a",
            ),
            Box(label="car", x=0.0, y=0.0, width=1.5, height=2.0),
            Box(
                label="car",
                id="p1",
                x=1.25,
                y=2.0,
                width=3,
                height=4,
                score=0.9,
                class_pdf={"car": 0.9, "bus": 0.1},
            ),
            Polygon(label="person", id="poly-1", points=[(0, 0), (4, 0), (4, 3)], group_id="obj-7"),
            Polygon(label="person", id="poly-2", points=[(5, 5), (6, 5), (6, 6)], group_id="obj-7"),
            Polygon(label="person", id="poly-p", points=[(0, 0), (1, 0), (1, 1)], score=0.4),
            Polyline(label="lane", id="line-1", points=[(0, 5.5), (7.75, 0.25)]),
            Polyline(label="lane", id="line-p", points=[(0, 1), (2, 2)], score=0.3),
            Keypoints(
                label="person",
                id="kp-1",
                names=names,
                skeleton=skeleton,
                points=[
                    Keypoint(1, 2, Visibility.VISIBLE),
                    Keypoint(3, 4, Visibility.HIDDEN),
                    Keypoint(None, None, Visibility.UNLABELLED),
                ],
            ),
            Keypoints(
                label="person",
                id="kp-p",
                names=names,
                skeleton=None,
                score=0.75,
                points=[
                    Keypoint(1.5, 2, Visibility.VISIBLE),
                    Keypoint(None, None, Visibility.UNLABELLED),
                    Keypoint(0, 0, Visibility.HIDDEN),
                ],
            ),
            ImageCategory(label="urban", taxonomy="scene_type", attributes={"source": "manual"}),
            ImageCategory(
                label="urban",
                taxonomy="scene_type",
                score=0.6,
                class_pdf={"urban": 0.6, "rural": 0.4},
            ),
            MultiCategory(labels=["red", "round"], taxonomy="traits"),
            Segmentation(
                id="seg-1",
                mask=MaskRef(array=mask),
                segments=[
                    Segment(0, "background"),
                    Segment(1, "car", {"note": "front"}),
                    Segment(2, "road"),
                ],
            ),
            Segmentation(
                id="seg-p",
                mask=MaskRef(array=pred_mask),
                segments=[Segment(3, "car")],
                prediction=True,
            ),
        ],
    )
    img1 = Item(
        reference_id="img-1",
        media=ImageMedia("images/img-1.png", width=640, height=480),
        metadata={"weather": "rain", "frame": 4},
        annotations=[Box(label="bus", id="b2", x=10, y=20, width=30, height=40)],
    )
    cam = CameraParams(
        position=(0.1, -0.2, 1.5),
        heading=(0.5, -0.5, 0.5, -0.5),
        fx=721.5,
        fy=721.5,
        cx=609.5,
        cy=172.8,
        camera_model="brown_conrady",
        distortion={"k1": -0.1},
    )
    lidar = Item(
        reference_id="lidar-0",
        media=PointCloudMedia(points=points),
        metadata={"sensor": "velodyne"},
        annotations=[
            Cuboid(
                label="car",
                id="cub-1",
                position=(1.0, 2.0, -0.5),
                dimensions=(4.2, 1.8, 1.5),
                yaw=0.25,
                track_id="car-a",
                attributes={"occluded": 0},
            ),
            Cuboid(label="car", position=(5.0, 2.0, -0.5), dimensions=(4.0, 1.7, 1.4), yaw=-3.0),
            Cuboid(
                label="car",
                id="cub-p",
                position=(1.0, 2.1, -0.5),
                dimensions=(4.2, 1.8, 1.5),
                yaw=0.2,
                score=0.8,
            ),
        ],
    )
    camera_item = Item(
        reference_id="cam-0",
        media=ImageMedia("s3://bucket/cam-0.png", width=1242, height=375),
        camera=cam,
        metadata={"sensor": "cam2"},
    )
    scene = Scene(
        reference_id="scene-0",
        frames=[Frame({"lidar": "lidar-0", "cam": "cam-0"})],
        metadata={"location": "karlsruhe"},
        annotations=[
            SceneCategory(label="highway", taxonomy="road_type"),
            SceneCategory(label="highway", taxonomy="road_type", score=0.7),
        ],
    )
    header = Header(
        categories=[
            Category("car", 3, "vehicle"),
            Category("person", 1, "human"),
            Category("unused", 9, None),
        ],
        skeletons={"person": Skeleton(names, skeleton)},
        taxonomies={"scene_type": Taxonomy("scene_type", ["urban", "rural"])},
        source={"format": "test"},
        extra={"info": {"year": 2026}},
    )
    return MaterializedDataset(header, [img0, img1, lidar, camera_item], [scene])
