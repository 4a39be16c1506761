"""Builders for hand-made LabelMe files whose every value the tests know."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pytest
from PIL import Image

ShapeBuilder = Callable[..., dict[str, Any]]
FileBuilder = Callable[..., Path]


def png_bytes(pixels: npt.NDArray[Any]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def mask_b64(rows: list[str]) -> str:
    """A LabelMe mask: 8-bit grey PNG, 1 where the row has ``#``, base64."""
    patch = np.array([[c == "#" for c in row] for row in rows], dtype=np.uint8)
    return base64.b64encode(png_bytes(patch)).decode("ascii")


def build_shape(
    label: str, shape_type: str | None, points: list[list[float]], **more: Any
) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "label": label,
        "points": points,
        "group_id": None,
        "description": "",
        "shape_type": shape_type,
        "flags": {},
        "mask": None,
    }
    shape.update(more)
    return shape


@pytest.fixture
def shape() -> ShapeBuilder:
    """``shape(label, shape_type, points, **keys)``: a labelme 5.x shape dict."""
    return build_shape


@pytest.fixture
def labelme_file(tmp_path: Path) -> FileBuilder:
    """``labelme_file(rel, shapes, size=(40, 30), image=True, **top_keys)``: writes
    ``tmp_path/src/<rel>`` (a labelme 5.x file) and, with ``image``, a grey PNG of ``size``
    beside it named as ``imagePath`` says; returns the JSON's path."""

    def make(
        rel: str = "a.json",
        shapes: list[dict[str, Any]] | None = None,
        size: tuple[int, int] | None = (40, 30),
        image: bool = True,
        **top: Any,
    ) -> Path:
        path = tmp_path / "src" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        image_name = Path(rel).with_suffix(".png").name
        doc: dict[str, Any] = {
            "version": "5.5.0",
            "flags": {},
            "shapes": shapes or [],
            "imagePath": image_name,
            "imageData": None,
            "imageHeight": size[1] if size else None,
            "imageWidth": size[0] if size else None,
        }
        doc.update(top)
        path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        if image and size is not None:
            pixels = np.full((size[1], size[0]), 128, dtype=np.uint8)
            (path.parent / image_name).write_bytes(png_bytes(pixels))
        return path

    return make


@pytest.fixture
def mask() -> Callable[[list[str]], str]:
    """``mask(rows)``: a base64 mask PNG, 1 where a row has ``#``."""
    return mask_b64


@pytest.fixture
def png() -> Callable[[npt.NDArray[Any]], bytes]:
    """``png(pixels)``: the PNG bytes of an array."""
    return png_bytes
