"""The COCO fixture repeated, for tests that need more than a handful of images (partitions)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from paths import FIXTURES


def replicated_coco(
    tmp_path: Path, copies: int = 7, edit: Callable[[dict[str, Any]], None] | None = None
) -> Path:
    """``instances.json`` in ``tmp_path``: the fixture's images and annotations ``copies``
    times (new ids and file names), then ``edit`` applied to the whole file."""
    data = orjson.loads((FIXTURES / "coco" / "instances_demo.json").read_bytes())
    images, annotations = [], []
    for c in range(copies):
        for image in data["images"]:
            name = f"{c}_{image['file_name']}"
            images.append(dict(image, id=image["id"] + 1000 * c, file_name=name))
        for a in data["annotations"]:
            annotations.append(dict(a, id=a["id"] + 100_000 * c, image_id=a["image_id"] + 1000 * c))
    data["images"], data["annotations"] = images, annotations
    if edit is not None:
        edit(data)
    path = tmp_path / "instances.json"
    path.write_bytes(orjson.dumps(data))
    return path
