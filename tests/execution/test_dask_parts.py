"""nucleus_convert/execution/dask_parts.py: the parts as Dask tasks on a real LocalCluster of
processes give the bytes and errors of one process, also when a worker is killed mid-run."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run_cli
from coco_copies import replicated_coco
from fake_dist import make_dist
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.errors import FormatError, InputError

distributed = pytest.importorskip("distributed", reason="dask.distributed is the [dask] extra")

SLOW_PARTS = """
import os
import time
from pathlib import Path

from nucleus_convert import Format, hookimpl
from nucleus_convert.converters.nucleus.partitioned import merge_parts, write_part
from nucleus_convert.converters.nucleus.write import write_nucleus
from nucleus_convert.registry import PartitionedWrite


def slow_write_part(dataset, dst, options, report):
    marker = Path(os.environ["SLOW_PART_MARKER"])
    if dst.name == "00001" and not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    return write_part(dataset, dst, options, report)


@hookimpl
def register_formats(register):
    register.add(Format(name="slowparts", description="nucleus, part 1 slow the first time",
                        write=write_nucleus,
                        partitions=PartitionedWrite(slow_write_part, merge_parts)))
"""


def _tree(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def _bad_bbox(data: dict[str, Any]) -> None:
    data["annotations"][2]["bbox"] = [1, 2, "wide", 4]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_parts_on_a_local_cluster_give_the_bytes_of_one_process(
    tmp_path: Path, client: Any
) -> None:
    src = replicated_coco(tmp_path)
    one = nc.convert(src, tmp_path / "one", to="nucleus")
    dask = nc.convert(src, tmp_path / "dask", to="nucleus", dask=client)
    assert (dask.partitions, dask.note) == (2, None)
    assert _tree(dask.path) == _tree(one.path)
    assert dask.report.to_json() == one.report.to_json()


def test_each_task_maps_labels_as_one_process_does(tmp_path: Path, client: Any) -> None:
    src = replicated_coco(tmp_path)
    labels = {"car": "vehicle", "truck": "vehicle", "toothbrush": None}
    one = nc.convert(src, tmp_path / "one", map_labels=labels)
    dask = nc.convert(src, tmp_path / "dask", map_labels=labels, dask=client)
    assert dask.partitions == 2
    assert _tree(dask.path) == _tree(one.path)
    assert dask.report.to_json() == one.report.to_json()
    assert b'"car"' not in (tmp_path / "dask" / "annotations.jsonl").read_bytes()


def test_an_error_in_a_task_is_the_error_of_one_process(tmp_path: Path, client: Any) -> None:
    src = replicated_coco(tmp_path, 5, _bad_bbox)
    with pytest.raises(InputError) as one:
        nc.convert(src, tmp_path / "one", to="nucleus")
    with pytest.raises(InputError) as dask:
        nc.convert(src, tmp_path / "dask", to="nucleus", dask=client)
    assert str(dask.value) == str(one.value)
    assert not (tmp_path / "dask").exists()


def test_cli_dask_local_with_two_worker_processes(tmp_path: Path) -> None:
    src = replicated_coco(tmp_path)
    one = nc.convert(src, tmp_path / "one", to="nucleus")
    proc = run_cli("convert", str(src), str(tmp_path / "dask"), "--dask", "local", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert "note:" not in proc.stderr
    assert _tree(tmp_path / "dask") == _tree(one.path)


def test_a_bad_scheduler_address_is_one_error_line(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="scheduler address"):
        nc.convert(FIXTURES / "coco" / "instances_demo.json", tmp_path / "o", dask="nowhere")
    assert not (tmp_path / "o").exists()


def test_a_worker_killed_mid_conversion_still_gives_the_same_bytes(
    tmp_path: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dist(site, "slowparts-dist", "slowparts", "slowparts_plugin", SLOW_PARTS)
    marker = tmp_path / "marker"
    monkeypatch.setenv("SLOW_PART_MARKER", str(marker))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    src = replicated_coco(tmp_path)
    one = nc.convert(src, tmp_path / "one", to="nucleus")
    outcome: dict[str, Any] = {}
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):

        def run() -> None:
            try:
                outcome["result"] = nc.convert(src, tmp_path / "dask", to="slowparts", dask=client)
            except BaseException as exc:  # reported below
                outcome["error"] = exc

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text():
            assert time.monotonic() < deadline, "part 1 never started"
            assert thread.is_alive(), outcome
            time.sleep(0.05)
        os.kill(int(marker.read_text()), signal.SIGKILL)  # the worker running part 1
        thread.join(timeout=180)
        assert not thread.is_alive()
    assert "error" not in outcome, outcome
    result = outcome["result"]
    assert (result.partitions, result.note) == (2, None)
    assert _tree(result.path) == _tree(one.path)
