"""The atomic destination: published whole on success, nothing left on error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nucleus_convert.errors import DestinationError
from nucleus_convert.toolkit.destination import (
    atomic_destination,
    destination_lock,
    remove_stale_temporaries,
)


def test_the_output_appears_at_the_destination_only_when_the_block_ends(tmp_path: Path) -> None:
    dst = tmp_path / "out"
    with atomic_destination(dst) as target:
        target.mkdir()
        (target / "a.txt").write_text("a")
        assert not dst.exists()
        assert target.parent.parent == tmp_path and target.name == "out"
    assert (dst / "a.txt").read_text() == "a"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_an_error_leaves_nothing_and_the_old_destination_as_it_was(tmp_path: Path) -> None:
    dst = tmp_path / "out"
    dst.mkdir()
    (dst / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_destination(dst, overwrite=True) as target:
        target.mkdir()
        (target / "new.txt").write_text("new")
        raise RuntimeError("writer failed")
    assert [p.name for p in dst.iterdir()] == ["old.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_overwrite_replaces_a_file_or_folder_whole(tmp_path: Path) -> None:
    dst = tmp_path / "out.json"
    dst.write_text("old")
    with atomic_destination(dst, overwrite=True) as target:
        target.write_text("new")
    assert dst.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_non_empty_destination_needs_overwrite_and_a_missing_parent_is_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with (
        pytest.raises(DestinationError, match="pass --overwrite"),
        atomic_destination(tmp_path / "full"),
    ):
        pass
    with (
        pytest.raises(DestinationError, match="parent folder"),
        atomic_destination(tmp_path / "missing" / "out"),
    ):
        pass
    (tmp_path / "empty").mkdir()
    with atomic_destination(tmp_path / "empty") as target:
        target.mkdir()
    assert (tmp_path / "empty").is_dir()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_temporaries_of_dead_runs_go_and_those_of_live_runs_stay(tmp_path: Path) -> None:
    dst = tmp_path / "out"
    dead = tmp_path / f".out.{_dead_pid()}.abc.partial"
    live = tmp_path / f".out.{os.getpid()}.def.partial"
    other = tmp_path / f".other.{_dead_pid()}.abc.partial"
    for folder in (dead, live, other):
        folder.mkdir()
    with destination_lock(dst):
        assert remove_stale_temporaries(dst) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_an_old_destination_left_by_a_run_killed_while_publishing_is_put_back(
    tmp_path: Path,
) -> None:
    old = tmp_path / ".out.old-0123abcd"
    old.mkdir()
    (old / "a.txt").write_text("the user's output")
    with destination_lock(tmp_path / "out"):
        assert remove_stale_temporaries(tmp_path / "out") == []
    assert (tmp_path / "out" / "a.txt").read_text() == "the user's output"
    old.mkdir()
    with destination_lock(tmp_path / "out"):
        assert remove_stale_temporaries(tmp_path / "out") == [old]
    assert not old.exists()


def test_the_lock_refuses_a_second_holder_and_leaves_no_file(tmp_path: Path) -> None:
    dst = tmp_path / "out"
    with destination_lock(dst):
        code = (
            "import sys; from pathlib import Path\n"
            "from nucleus_convert.toolkit.destination import destination_lock\n"
            "try:\n    with destination_lock(Path(sys.argv[1])): pass\n"
            "except Exception as e: print(type(e).__name__, e)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(dst)], capture_output=True, text=True, check=True
        ).stdout
        assert out.startswith("DestinationError") and "another conversion" in out
    assert list(tmp_path.iterdir()) == []
