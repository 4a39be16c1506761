"""YOLO labels (Ultralytics ``data.yaml``, Darknet/CVAT ``obj.data``, plain folders) for
nucleus-convert, with exact coordinates: detection boxes, segmentation polygons, oriented boxes
(as 4-point polygons) and pose keypoints (a box and keypoints sharing a group).

Install it beside nucleus-convert and the format ``yolo`` appears::

    pip install nucleus-convert-yolo
    nucleus-convert convert data.yaml out/ --to nucleus
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
