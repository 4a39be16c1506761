"""Interrupted and concurrent conversions through the CLI: nothing left behind, no race.

A slow format from a fake distribution writes part of its output, says where (a marker file)
and then waits, so the tests can interrupt it at a known point instead of guessing a delay.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_runner import run_cli
from fake_dist import make_dist
from paths import FIXTURES

SLOW_FORMAT = """
import os
import time
from pathlib import Path

from nucleus_convert import Format, WriteSummary, hookimpl


def write(dataset, dst, options, report):
    dst.mkdir()
    (dst / "part.bin").write_bytes(b"x" * 100_000)
    for _ in dataset.items:
        pass
    Path(os.environ["SLOW_MARKER"]).write_text(str(dst))
    time.sleep(float(os.environ.get("SLOW_SECONDS", "60")))
    return WriteSummary({"items": 1}, [dst.name])


@hookimpl
def register_formats(register):
    register.add(Format(name="slow", description="writes, then waits", write=write))
"""

SOURCE = FIXTURES / "nucleus"


@pytest.fixture
def slow_site(site: Path) -> Path:
    make_dist(site, "slow-dist", "slow", "slow_plugin", SLOW_FORMAT)
    return site


def _start(site: Path, dst: Path, marker: Path, seconds: float = 60) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUCLEUS_CONVERT_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(site), env.get("PYTHONPATH", "")]),
        SLOW_MARKER=str(marker),
        SLOW_SECONDS=str(seconds),
    )
    cmd = [sys.executable, "-m", "nucleus_convert.cli", "convert", str(SOURCE), str(dst)]
    return subprocess.Popen(
        [*cmd, "--to", "slow"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for(marker: Path, proc: subprocess.Popen[str]) -> Path:
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the slow writer never started"
        time.sleep(0.05)
    return Path(marker.read_text())


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".out"))


@pytest.mark.parametrize(
    ("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)]
)
def test_term_int_and_hup_remove_the_temporary_output_before_exiting(
    slow_site: Path, tmp_path: Path, sig: signal.Signals, status: int
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    proc = _start(slow_site, work / "out", tmp_path / "marker")
    partial = _wait_for(tmp_path / "marker", proc)
    assert partial.is_dir() and _leftovers(work)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert "Traceback" not in err
    assert _leftovers(work) == [] and not (work / "out").exists()


def test_the_temporary_output_of_a_killed_run_is_removed_by_the_next_run(
    slow_site: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    proc = _start(slow_site, work / "out", tmp_path / "marker")
    _wait_for(tmp_path / "marker", proc)
    proc.kill()
    proc.communicate(timeout=60)
    assert any(name.endswith(".partial") for name in _leftovers(work))
    done = run_cli("convert", str(SOURCE), str(work / "out"))
    assert done.returncode == 0, done.stderr
    assert _leftovers(work) == [] and (work / "out" / "manifest.json").is_file()


def test_a_second_conversion_into_a_destination_in_use_fails_at_once(
    slow_site: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    first = _start(slow_site, work / "out", tmp_path / "marker", seconds=5)
    _wait_for(tmp_path / "marker", first)
    started = time.monotonic()
    second = run_cli("convert", str(SOURCE), str(work / "out"))
    assert time.monotonic() - started < 30
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "being written by another conversion" in lines[0]
    _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert (work / "out" / "part.bin").is_file() and _leftovers(work) == []
