"""Malformed KITTI input: one clear error naming the file (and line), nothing written.

Each case builds a valid one-frame tree (label, calib, scan, image) and breaks one thing.
Scans are read as the item stream reaches them, after the first files were written: the
destination must still be left untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cli_runner import Bad, run_cli
from PIL import Image

import nucleus_convert as nc

GOOD_LABEL = "Car 0.00 0 0.50 100.00 120.00 200.00 220.00 1.50 1.60 4.00 2.00 1.50 10.00 0.30\n"
GOOD_CALIB = (
    "P0: 700 0 600 0 0 700 180 0 0 0 1 0\n"
    "P2: 700 0 600 45 0 700 180 0 0 0 1 0\n"
    "R0_rect: 1 0 0 0 1 0 0 0 1\n"
    "Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\n"
)


def make_frame(root: Path, frame: str = "000000") -> None:
    for sub in ("label_2", "calib", "velodyne", "image_2"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "label_2" / f"{frame}.txt").write_text(GOOD_LABEL)
    (root / "calib" / f"{frame}.txt").write_text(GOOD_CALIB)
    np.array([[10, 0, 0, 0.5], [11, 1, 0, 0.25]], dtype="<f4").tofile(
        root / "velodyne" / f"{frame}.bin"
    )
    Image.new("L", (1200, 360)).save(root / "image_2" / f"{frame}.png")


def _label(text: str, line: int, *fragments: str) -> Callable[[Path], Bad]:
    def case(root: Path) -> Bad:
        path = root / "label_2" / "000001.txt"
        path.write_text(GOOD_LABEL + text)
        return Bad(path, line, fragments)

    return case


def _calib_without(key: str) -> Callable[[Path], Bad]:
    def case(root: Path) -> Bad:
        path = root / "calib" / "000001.txt"
        path.write_text(
            "".join(ln + "\n" for ln in GOOD_CALIB.splitlines() if not ln.startswith(key))
        )
        return Bad(path, None, (key,))

    return case


def _bin_of_size(root: Path) -> Bad:
    path = root / "velodyne" / "000001.bin"
    path.write_bytes(b"\0" * 40)
    return Bad(path, None, ("40", "16"))


def _bin_with_nan(root: Path) -> Bad:
    path = root / "velodyne" / "000001.bin"
    np.array([[1, 2, 3, 0.5], [np.nan, 0, 0, 0.1]], dtype="<f4").tofile(path)
    return Bad(path, None, ("NaN",))


def _three_d_without_calib(root: Path) -> Bad:
    (root / "calib" / "000001.txt").unlink()
    return Bad(root / "label_2" / "000001.txt", 1, ("calib",))


def _two_images_for_one_frame(root: Path) -> Bad:
    Image.new("L", (4, 4)).save(root / "image_2" / "000001.jpg")
    return Bad(root / "image_2", None, ("000001.jpg", "000001.png"))


def _label_not_utf8(root: Path) -> Bad:
    path = root / "label_2" / "000001.txt"
    path.write_bytes(
        GOOD_LABEL.encode() + b"Caf\xe9 0 0 0 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n"
    )
    return Bad(path, 2, ("UTF-8",))


CASES: dict[str, Callable[[Path], Bad]] = {
    "14 columns": _label("Car 0 0 0 1 2 3 4 1 1 1 1 1 1\n", 2, "15 columns", "has 14"),
    "17 columns": _label(GOOD_LABEL.strip() + " 0.5 9\n", 2, "has 17"),
    "non-numeric top": _label(GOOD_LABEL.replace("120.00", "12O.00"), 2, "top", "'12O.00'"),
    "nan location": _label(GOOD_LABEL.replace("10.00", "nan"), 2, "z", "'nan'"),
    "infinite height": _label(GOOD_LABEL.replace("1.50 1.60", "1e999 1.60"), 2, "height"),
    "underscore digits": _label(GOOD_LABEL.replace("100.00", "1_00"), 2, "left"),
    "fractional occluded": _label(GOOD_LABEL.replace(" 0 0.50", " 1.5 0.50"), 2, "occluded"),
    "occluded 4": _label(GOOD_LABEL.replace(" 0 0.50", " 4 0.50"), 2, "occluded", "0, 1, 2 or 3"),
    "truncated 1.5": _label(GOOD_LABEL.replace("Car 0.00", "Car 1.50"), 2, "truncated"),
    "right left of left": _label(GOOD_LABEL.replace("200.00", "90.00"), 2, "right < left"),
    "zero width": _label(GOOD_LABEL.replace("1.60 4.00", "0 4.00"), 2, "positive"),
    "rotation 7": _label(GOOD_LABEL.replace(" 0.30", " 7.00"), 2, "rotation_y"),
    "numeric type": _label(GOOD_LABEL.replace("Car", "3"), 2, "type"),
    "label not utf-8": _label_not_utf8,
    "calib without P2": _calib_without("P2"),
    "calib without R0_rect": _calib_without("R0_rect"),
    "calib without Tr_velo_to_cam": _calib_without("Tr_velo_to_cam"),
    "3D box without calib": _three_d_without_calib,
    "bin of 40 bytes": _bin_of_size,
    "NaN in a scan": _bin_with_nan,
    "two images for one frame": _two_images_for_one_frame,
}


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "kitti"
    make_frame(root, "000000")
    make_frame(root, "000001")
    return root


@pytest.mark.parametrize("case", list(CASES))
def test_bad_kitti_input_is_refused_naming_the_file_and_line(case: str, tmp_path: Path) -> None:
    root = tree(tmp_path)
    bad = CASES[case](root)
    dst = tmp_path / "out"
    with pytest.raises(nc.InputError) as info:
        nc.convert(root, dst, from_="kitti", to="nucleus")
    text = str(info.value)
    assert text.startswith(bad.where()), text
    for fragment in bad.fragments:
        assert fragment in text, text
    assert not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kitti"]  # no partial output


@pytest.mark.parametrize(
    "case", ["14 columns", "calib without P2", "bin of 40 bytes", "NaN in a scan"]
)
@pytest.mark.parametrize("target", ["nucleus", "kitti"])
def test_cli_refuses_bad_kitti_input_with_one_error_line(
    case: str, target: str, tmp_path: Path
) -> None:
    root = tree(tmp_path)
    bad = CASES[case](root)
    dst = tmp_path / "out"
    proc = run_cli("convert", str(root), str(dst), "--to", target)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"error: {bad.where()}"), proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kitti"]


def test_the_untouched_tree_converts(tmp_path: Path) -> None:
    """The premise of every case above: the tree they break is valid."""
    result = nc.convert(tree(tmp_path), tmp_path / "out", from_="kitti", to="nucleus")
    assert result.summary.counts["scenes"] == 2
