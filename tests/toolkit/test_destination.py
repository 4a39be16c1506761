"""The atomic destination: published whole on success, nothing left on error."""

from __future__ import annotations

from pathlib import Path

import pytest

from nucleus_convert.errors import DestinationError
from nucleus_convert.toolkit.destination import atomic_destination


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
