"""Fixtures of the preview tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from drawing.preview_helpers import gradient
from PIL import Image


@pytest.fixture
def image_file(tmp_path: Path) -> Callable[..., Path]:
    """``make(width, height, name="img.png")``: a gradient PNG under ``tmp_path``."""

    def make(width: int = 400, height: int = 300, name: str = "img.png") -> Path:
        path = tmp_path / name
        Image.fromarray(gradient(width, height)).save(path)
        return path

    return make
