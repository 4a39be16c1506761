"""The YOLO reader holds its image list and one item, not the dataset (nucleus-convert issue
16, part 5): under tracemalloc, what streaming 4N images gains over N is compared with what
keeping those items costs."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from yolo_testlib import ultralytics

import nucleus_convert as nc

_LABELS = "0 0.5 0.5 0.2 0.2\n1 0.3 0.3 0.1 0.1\n" * 10


def _peak(path: Path, hold: bool) -> int:
    tracemalloc.start()
    try:
        held = []
        for item in nc.read(path, "yolo").items:
            if hold:
                held.append(item)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_reader_holds_its_image_list_and_one_item_not_the_dataset(tmp_path: Path) -> None:
    small = ultralytics(tmp_path / "small", {f"im{i:05d}": _LABELS for i in range(100)})
    large = ultralytics(tmp_path / "large", {f"im{i:05d}": _LABELS for i in range(400)})
    nc.get_format("yolo")
    streamed = _peak(large, hold=False) - _peak(small, hold=False)
    held = _peak(large, hold=True) - _peak(small, hold=True)
    assert held > 0
    assert streamed < 0.5 * held, (streamed, held)
