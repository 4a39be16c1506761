"""PLY header lines and words RPly (inside open3d) would overflow are refused before open3d
sees the file: one error line, never an aborted process."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import run_cli

from nucleus_convert.errors import InputError
from nucleus_convert.geometry.pointcloud_files import read_points

BODY = (
    b"element vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n"
)


def _ply(tmp_path: Path, extra: bytes) -> Path:
    path = tmp_path / "cloud.ply"
    path.write_bytes(b"ply\nformat ascii 1.0\n" + extra + BODY)
    return path


def test_a_header_line_of_1100_bytes_is_refused_through_the_cli(tmp_path: Path) -> None:
    src = _ply(tmp_path, b"obj_info " + b"o" * 1100 + b"\n")
    dst = tmp_path / "out"
    result = run_cli("convert", str(src), str(dst), "--from", "pointcloud", "--to", "nucleus")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"error: {src}:3: PLY header line longer than 1000 bytes"
    assert not dst.exists()


def test_a_header_word_over_255_bytes_is_refused(tmp_path: Path) -> None:
    src = _ply(tmp_path, b"comment " + b"w" * 256 + b"\n")
    with pytest.raises(InputError, match=r"cloud\.ply:3: PLY header word longer than 255 bytes"):
        read_points(src)


def test_lines_and_words_within_the_limits_still_read(tmp_path: Path) -> None:
    src = _ply(tmp_path, b"comment " + b"w" * 255 + b"\nobj_info " + b"o " * 495 + b"\n")
    assert read_points(src).points.shape == (1, 4)


def test_a_second_vertex_element_of_empty_records_is_refused(tmp_path: Path) -> None:
    src = _ply(tmp_path, b"")
    src.write_bytes(
        src.read_bytes().replace(b"end_header", b"element vertex 4294967295\nend_header")
    )
    with pytest.raises(InputError, match=r"PLY element 'vertex' is declared twice"):
        read_points(src)


def test_an_element_with_records_and_no_property_is_refused(tmp_path: Path) -> None:
    src = _ply(tmp_path, b"")
    src.write_bytes(src.read_bytes().replace(b"end_header", b"element face 4294967295\nend_header"))
    with pytest.raises(InputError, match=r"'face' has 4294967295 records but no property"):
        read_points(src)
