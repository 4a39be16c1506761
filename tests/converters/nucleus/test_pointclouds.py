"""The Nucleus writer's point cloud files and its ``workers`` option
(:mod:`nucleus_convert.converters.nucleus.pointclouds`): the CLI option, byte-identical output
with a process pool, the same clean errors, lazy start, bounded jobs, the in-process fallback."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from cli_runner import run_cli
from judge import judge_bundle
from pointcloud_samples import (
    mixed_folder,
    need_open3d,
    scan,
)

import nucleus_convert as nc
from nucleus_convert import cli
from nucleus_convert.converters.nucleus import pointclouds as nucleus_pointclouds
from nucleus_convert.converters.nucleus.pointclouds import PointCloudFiles, parse_workers
from nucleus_convert.geometry.pointcloud_files import write_bin, write_pcd
from nucleus_convert.model import Frame, Item, PointCloudMedia, Scene


def test_cli_workers_for_a_pair_that_cannot_run_in_parts_runs_in_one_process(
    tmp_path: Path,
) -> None:
    src = tmp_path / "scans"
    src.mkdir()
    write_bin(scan(5, 0), src / "0.bin")
    proc = run_cli("convert", str(src), str(tmp_path / "o"), "--to", "kitti", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("note: written in one process:") == 1
    assert "the kitti writer cannot run in partitions" in proc.stderr
    proc = run_cli("convert", str(src), str(tmp_path / "o2"), "--workers", "-1")
    assert proc.returncode == 2 and "-1" in proc.stderr
    assert not (tmp_path / "o2").exists()


def test_cli_workers_reaches_the_nucleus_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_convert(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs["write_options"])
        raise nc.OutputError("stop here")

    monkeypatch.setattr(nc.api, "convert", fake_convert)
    with pytest.raises(SystemExit) as stop:
        cli.main(
            [
                "convert",
                str(tmp_path),
                str(tmp_path / "o"),
                "--workers",
                "3",
                "-w",
                "masks=polygons",
            ]
        )
    assert stop.value.code == 2
    assert seen == {"masks": "polygons", "workers": "3"}


# --------------------------------------------------------------------------------------------
# Parallel serialisation (the nucleus writer's workers option)
# --------------------------------------------------------------------------------------------


def _sources_folder(tmp_path: Path) -> nc.model.MaterializedDataset:
    """Clouds from memory, from .bin/.pcd paths and from Nucleus JSON paths, with scenes."""
    need_open3d()
    write_bin(scan(300, 10), tmp_path / "p.bin")
    write_pcd(scan(300, 11), tmp_path / "p.pcd")
    nc.write(
        nc.Dataset.of([Item("j", media=PointCloudMedia(points=scan(300, 12)))]),
        tmp_path / "json",
        workers=1,
    )
    items = [Item(f"m{k}", media=PointCloudMedia(points=scan(200 + k, k))) for k in range(5)]
    items += [
        Item("from-bin", media=PointCloudMedia(path=str(tmp_path / "p.bin"))),
        Item("from-pcd", media=PointCloudMedia(path=str(tmp_path / "p.pcd"))),
        Item("from-json", media=PointCloudMedia(path=str(tmp_path / "json/pointclouds/j.json"))),
    ]
    scenes = [Scene("seq", [Frame({"lidar": f"m{k}"}) for k in range(5)])]
    return nc.model.MaterializedDataset(nc.Header(), items, scenes)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_workers_2_writes_a_bundle_byte_identical_to_workers_1(tmp_path: Path) -> None:
    data = _sources_folder(tmp_path)
    one = nc.write(data.stream(), tmp_path / "w1", report=nc.LossReport(), workers=1)
    two = nc.write(data.stream(), tmp_path / "w2", report=nc.LossReport(), workers=2)
    assert _tree(tmp_path / "w1") == _tree(tmp_path / "w2")
    assert len(list((tmp_path / "w1" / "pointclouds").iterdir())) == 8
    assert one.summary.counts == two.summary.counts
    assert one.report.to_json() == two.report.to_json()


def _with_nan(k: int) -> Item:
    pts = scan(100, k)
    pts[7, 1] = np.nan
    return Item(f"m{k}", media=PointCloudMedia(points=pts))


@pytest.mark.parametrize("bad_at", [0, 2, 5])
def test_a_worker_error_is_the_in_process_error_and_nothing_is_left(
    tmp_path: Path, bad_at: int
) -> None:
    def items() -> list[Item]:
        out = [Item(f"m{k}", media=PointCloudMedia(points=scan(100, k))) for k in range(7)]
        out[bad_at] = _with_nan(bad_at)
        return out

    messages = []
    for workers in (1, 2):
        with pytest.raises(nc.OutputError) as err:
            nc.write(nc.Dataset.of(items()), tmp_path / f"w{workers}", workers=workers)
        messages.append(str(err.value))
        assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert messages[0] == messages[1]
    assert messages[0].startswith(f"item 'm{bad_at}': point 7 has a NaN or infinite value")


def test_a_cloud_error_in_flight_wins_over_a_later_writer_error(tmp_path: Path) -> None:
    items = [Item(f"m{k}", media=PointCloudMedia(points=scan(100, k))) for k in range(4)]
    items[1] = _with_nan(1)
    items.append(Item("m0", media=PointCloudMedia(points=scan(5, 9))))  # a duplicate id later
    for workers in (1, 2):
        with pytest.raises(nc.OutputError, match=r"^item 'm1': point 7 has a NaN"):
            nc.write(nc.Dataset.of(items), tmp_path / "o", workers=workers)
        assert not (tmp_path / "o").exists()


def test_cli_worker_error_from_a_corrupt_bundle_file_is_one_clean_line(tmp_path: Path) -> None:
    items = [Item(f"m{k}", media=PointCloudMedia(points=scan(50, k))) for k in range(4)]
    nc.write(nc.Dataset.of(items), tmp_path / "bundle", workers=1)
    broken = tmp_path / "bundle" / "pointclouds" / "m2.json"
    broken.write_bytes(b'{"points": [{"x": 1, "y": 2}]}')
    broken = broken.resolve()
    out = tmp_path / "dst" / "again"
    out.parent.mkdir()
    proc = run_cli("convert", str(tmp_path / "bundle"), str(out), "--workers", "2")
    assert proc.returncode == 2
    assert proc.stderr == f"error: item 'm2': {broken}: field 'points[0].z': missing key\n"
    assert list(out.parent.iterdir()) == []


_REAL_WRITE = nucleus_pointclouds.write_pointcloud_json_file


def _dies_on_m3(source: Any, target: str, where: str) -> None:
    """Patched in for the worker function: the process writing item m3 exits at once."""
    if where == "item 'm3'":
        os._exit(3)
    _REAL_WRITE(source, target, where)


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="the dying worker function is patched in before the pool forks",
)
def test_a_worker_that_dies_is_a_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nucleus_pointclouds, "write_pointcloud_json_file", _dies_on_m3)
    items = [Item(f"m{k}", media=PointCloudMedia(points=scan(50, k))) for k in range(6)]
    with pytest.raises(nc.OutputError, match=r"^item 'm\d': a point cloud worker process died"):
        nc.write(nc.Dataset.of(items), tmp_path / "o", workers=2)
    assert list(tmp_path.iterdir()) == []


class _LazyPool:
    """Stands in for ProcessPoolExecutor: a job runs only when its result is asked for, so
    the number of unfinished jobs shows how many are in flight."""

    created: list[int] = []  # noqa: RUF012 - a record shared by the instances of one test
    most_in_flight = 0

    def __init__(self, max_workers: int, **_: Any) -> None:
        _LazyPool.created.append(max_workers)
        self.jobs: list[Future[None]] = []

    def submit(self, fn: Callable[..., None], *args: Any) -> Future[None]:
        outer = self

        class Lazy(Future[None]):
            def result(self, timeout: float | None = None) -> None:
                if not self.done():
                    fn(*args)
                    self.set_result(None)
                outer.jobs.remove(self)

        job = Lazy()
        self.jobs.append(job)
        _LazyPool.most_in_flight = max(_LazyPool.most_in_flight, len(self.jobs))
        return job

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        assert not self.jobs or cancel_futures


@pytest.fixture
def lazy_pool(monkeypatch: pytest.MonkeyPatch) -> type[_LazyPool]:
    _LazyPool.created = []
    _LazyPool.most_in_flight = 0
    monkeypatch.setattr(nucleus_pointclouds, "ProcessPoolExecutor", _LazyPool)
    return _LazyPool


def test_the_pool_starts_at_the_second_cloud_and_bounds_jobs_in_flight(
    tmp_path: Path, lazy_pool: type[_LazyPool]
) -> None:
    def clouds(n: int) -> nc.Dataset:
        return nc.Dataset.of(
            Item(f"m{k}", media=PointCloudMedia(points=scan(20, k))) for k in range(n)
        )

    nc.write(clouds(1), tmp_path / "one", workers=3)
    nc.write(clouds(30), tmp_path / "inproc", workers=1)
    assert lazy_pool.created == []
    nc.write(clouds(30), tmp_path / "pool", workers=3)
    assert lazy_pool.created == [3]
    assert lazy_pool.most_in_flight == 6  # two jobs a worker, never more
    assert _tree(tmp_path / "pool") == _tree(tmp_path / "inproc")


def test_workers_0_means_every_available_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nucleus_pointclouds, "available_cores", lambda: 5)
    assert PointCloudFiles(0).workers == 5
    assert PointCloudFiles(1).workers == 1
    assert nc.get_format("nucleus").parse_options({}, for_write=True)["workers"] == 0


@pytest.mark.parametrize(("value", "expected"), [("0", 0), (" 4 ", 4), (2, 2), (3.0, 3)])
def test_workers_option_accepts_whole_numbers(value: Any, expected: int) -> None:
    assert parse_workers(value) == expected


@pytest.mark.parametrize("value", ["-1", "two", True, 1.5, None])
def test_workers_option_refuses_anything_else(value: Any) -> None:
    with pytest.raises(nc.FormatError, match="write option 'workers' of format 'nucleus'"):
        nc.get_format("nucleus").parse_options({"workers": value}, for_write=True)


def test_payloads_written_with_workers_are_accepted_by_the_client(tmp_path: Path) -> None:
    need_open3d()
    src = mixed_folder(tmp_path / "src")
    nc.convert(src, tmp_path / "b", from_="pointcloud", write_options={"workers": 2})
    assert judge_bundle(tmp_path / "b").get("scenes") == 3
    lines = (tmp_path / "b" / "scenes.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line)["reference_id"] for line in lines] == [
        "000000-scene",
        "000001-scene",
        "000002-scene",
    ]


def test_without_a_process_pool_the_clouds_are_written_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(max_workers: int, **_: Any) -> Any:
        raise OSError(38, "Function not implemented")  # what sem_open gives in some sandboxes

    items = [Item(f"m{k}", media=PointCloudMedia(points=scan(20, k))) for k in range(5)]
    nc.write(nc.Dataset.of(items), tmp_path / "inproc", workers=1)
    monkeypatch.setattr(nucleus_pointclouds, "ProcessPoolExecutor", no_pool)
    nc.write(nc.Dataset.of(items), tmp_path / "fallback", workers=2)
    assert _tree(tmp_path / "fallback") == _tree(tmp_path / "inproc")
