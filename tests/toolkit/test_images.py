"""Image placement: copy, symlink or none, regular local files only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nucleus_convert.toolkit.images import place_image, regular_local_file


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "src" / "a.png"
    path.parent.mkdir()
    path.write_bytes(b"\x89PNG fake")
    return path


def test_copy_writes_the_same_bytes(image: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "images" / "a.png"
    assert place_image(str(image), target, "copy") is None
    assert target.read_bytes() == image.read_bytes() and not target.is_symlink()


def test_symlink_points_at_the_resolved_source(image: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.png"
    assert place_image(str(image), target, "symlink") is None
    assert target.is_symlink() and target.readlink() == image.resolve()


def test_none_places_nothing(image: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.png"
    assert place_image(str(image), target, "none") is None
    assert not target.parent.exists()


@pytest.mark.parametrize("location", ["s3://bucket/a.png", "/dev/zero", "missing.png", "a\x00b"])
def test_urls_devices_missing_files_and_nul_bytes_are_not_placed(
    tmp_path: Path, location: str
) -> None:
    target = tmp_path / "out" / "a.png"
    assert place_image(location, target, "copy") == "the image is not a regular local file here"
    assert not target.exists()


def test_a_fifo_or_a_folder_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert regular_local_file(str(fifo)) is None
    assert regular_local_file(str(tmp_path)) is None


def test_an_image_already_at_the_target_is_kept_and_reported(image: Path, tmp_path: Path) -> None:
    target = tmp_path / "a.png"
    target.write_bytes(b"first")
    assert place_image(str(image), target, "copy") == "another image was already written as a.png"
    assert target.read_bytes() == b"first"


def test_an_unknown_mode_is_a_programming_error(image: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown image placement 'move'"):
        place_image(str(image), tmp_path / "a.png", "move")
