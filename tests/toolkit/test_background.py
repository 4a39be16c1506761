"""Background jobs: the caller sees what running them in line would give (issue 16)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

import nucleus_convert as nc
from nucleus_convert.converters.nucleus import write as nucleus_write
from nucleus_convert.model import Dataset, Header, ImageMedia, InstanceMask, Item
from nucleus_convert.toolkit.background import BackgroundJobs


def test_jobs_run_in_order_and_are_all_done_when_finish_returns() -> None:
    done: list[int] = []
    jobs = BackgroundJobs(in_flight=3)
    for i in range(20):
        jobs.submit(lambda i=i: done.append(i))
        assert len(jobs._pending) <= 3
    jobs.finish()
    assert done == list(range(20))


def test_a_failed_job_is_raised_unchanged_by_finish() -> None:
    done: list[int] = []
    gate = threading.Event()
    jobs = BackgroundJobs(in_flight=8)

    def fail() -> None:
        gate.wait(5)
        raise OSError(28, "No space left on device")

    jobs.submit(fail)
    for i in range(3):
        jobs.submit(lambda i=i: done.append(i))
    gate.set()
    with pytest.raises(OSError, match="No space left") as caught:
        jobs.finish()
    assert caught.value.errno == 28 and not jobs._pending and jobs._pool is None


def test_abort_gives_the_earliest_failure_and_waits_for_the_running_job(tmp_path: Path) -> None:
    jobs = BackgroundJobs()
    marker = tmp_path / "written"

    def slow_write() -> None:
        time.sleep(0.2)
        marker.write_text("x")

    def fail(n: int) -> None:
        raise ValueError(n)

    jobs.submit(slow_write)
    jobs.submit(lambda: fail(1))
    jobs.submit(lambda: fail(2))
    first = jobs.abort()
    assert isinstance(first, ValueError) and first.args == (1,)
    assert marker.exists()  # nothing is still writing once abort returns


def test_abort_on_interrupt_cancels_what_has_not_started() -> None:
    started: list[int] = []
    gate = threading.Event()
    jobs = BackgroundJobs()
    jobs.submit(lambda: gate.wait(5) and None)
    for i in range(4):
        jobs.submit(lambda i=i: started.append(i))
    threading.Timer(0.1, gate.set).start()
    assert jobs.abort(await_results=False) is None
    assert started == []


def _crowd_items(n: int) -> list[Item]:
    rle = {"size": [4, 4], "counts": [5, 6, 5]}
    return [
        Item(
            reference_id=f"im{i}.jpg",
            media=ImageMedia(path=f"s3://bucket/im{i}.jpg", width=4, height=4),
            annotations=[InstanceMask(id=f"m{i}", label="crowd", rle=dict(rle))],
        )
        for i in range(n)
    ]


def test_masks_written_in_the_background_are_all_there(tmp_path: Path) -> None:
    result = nc.write(Dataset(Header(), iter(_crowd_items(12))), tmp_path / "out", "nucleus")
    masks = sorted((result.path / "masks").iterdir())
    assert len(masks) == 12
    expected = np.zeros((4, 4), dtype=np.uint8).ravel(order="F")
    expected[5:11] = 1
    for item in nc.read(result.path).materialize().items:
        (seg,) = item.annotations
        assert (seg.mask.load() == expected.reshape((4, 4), order="F")).all(), item.reference_id


def test_a_mask_that_cannot_be_written_fails_the_conversion_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = nucleus_write._write_png_file
    calls: list[Path] = []

    def failing(array: np.ndarray, target: Path) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        original(array, target)

    monkeypatch.setattr(nucleus_write, "_write_png_file", failing)
    with pytest.raises(OSError, match="No space left"):
        nc.write(Dataset(Header(), iter(_crowd_items(12))), tmp_path / "out", "nucleus")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
