"""KITTI segmentation PNGs that would allocate gigabytes or escape as a traceback are refused
while reading: one error line naming the file, exit 2, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_runner import run_cli
from limits_checks import (
    ADVERSARIAL_INPUTS,
    BAD_IHDR,
    assert_refused,
    broken_chunk_png,
    one_colour_png,
    run_capped,
)
from paths import FIXTURES


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "object"
    shutil.copytree(FIXTURES / "kitti" / "object", root)
    return root


def _instance_png(tree: Path) -> Path:
    return tree / "training" / "instance" / "000000.png"


@pytest.mark.parametrize(
    ("png", "fragment"),
    [(BAD_IHDR, "Truncated IHDR chunk"), (broken_chunk_png(16), "broken PNG file")],
    ids=["ValueError", "SyntaxError"],
)
def test_a_malformed_instance_png_is_one_error_line(tree: Path, png: bytes, fragment: str) -> None:
    _instance_png(tree).write_bytes(png)
    dst = tree.parent / "out"
    result = run_cli("convert", str(tree), str(dst), "--from", "kitti", "--to", "nucleus")
    assert_refused(result, dst, f"{_instance_png(tree)}: cannot read segmentation PNG", fragment)


def test_the_fuzz_found_broken_instance_png_is_one_error_line(tree: Path) -> None:
    found = ADVERSARIAL_INPUTS / "kitti_instance_broken_png_syntaxerror.png"
    if not found.is_file():
        pytest.skip(f"{found} is not here")
    shutil.copy(found, _instance_png(tree))
    dst = tree.parent / "out"
    result = run_cli("convert", str(tree), str(dst), "--to", "nucleus")
    # Its chunk headers lie about their lengths: refused before Pillow reads it.
    assert_refused(result, dst, str(_instance_png(tree)), "cannot read segmentation PNG: PNG chunk")


def test_a_13000_pixel_square_instance_png_is_refused_small(tree: Path) -> None:
    _instance_png(tree).write_bytes(one_colour_png(13000, 13000, depth=16))
    dst = tree.parent / "out"
    result = run_capped("convert", str(tree), str(dst), "--from", "kitti", "--to", "nucleus")
    assert_refused(result, dst, str(_instance_png(tree)), "169000000 pixels, over the limit")


def test_max_pixels_is_a_kitti_reader_option(tree: Path) -> None:
    dst = tree.parent / "out"
    args = ("convert", str(tree), str(dst), "--from", "kitti", "--to", "nucleus")
    assert_refused(run_cli(*args, "-r", "max_pixels=100"), dst, "over the limit of 100")
    ok = run_cli(*args, "-r", "max_pixels=100000000")
    assert ok.returncode == 0, ok.stderr


def test_an_instance_png_just_under_the_pixel_limit_is_read_within_a_1_gib_cap(
    tree: Path,
) -> None:
    # 1242 x 65535 = 81 million 16-bit pixels: read as two bytes a pixel, not eight
    _instance_png(tree).write_bytes(one_colour_png(1242, 65535, depth=16))
    dst = tree.parent / "out"
    result = run_capped("convert", str(tree), str(dst), "--from", "kitti", "--to", "nucleus")
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert result.returncode in (0, 2), result.stderr
    assert len(result.stderr.strip().splitlines()) <= 1, result.stderr
