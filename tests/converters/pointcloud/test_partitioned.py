"""The pointcloud writer in partitions (issue 16, part 2): the same files as one process, or
one process when the parts would have named a file otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pointcloud_samples import scan

import nucleus_convert as nc
from nucleus_convert.geometry.pointcloud_files import write_bin
from nucleus_convert.model import Dataset, Header, Item, MaterializedDataset, PointCloudMedia


def _tree(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


@pytest.mark.parametrize("workers", [2, 3, 7])
@pytest.mark.parametrize("file_type", ["pcd", "bin", "ply"])
def test_a_folder_of_scans_in_parts_gives_the_files_of_one_process(
    tmp_path: Path, workers: int, file_type: str
) -> None:
    src = tmp_path / "scans"
    for k in range(6):
        folder = src / ("run_a" if k < 4 else "run_b")
        folder.mkdir(parents=True, exist_ok=True)
        write_bin(scan(40, k), folder / f"{k:03d}.bin")
    options = {"from_": "pointcloud", "to": "pointcloud", "write_options": {"file_type": file_type}}
    one = nc.convert(src, tmp_path / "one", **options)
    parts = nc.convert(src, tmp_path / "parts", workers=workers, **options)
    assert (parts.partitions, parts.note) == (workers, None)
    assert _tree(parts.path) == _tree(one.path)
    assert len(_tree(parts.path)) == 6
    assert parts.report.to_json() == one.report.to_json()
    assert parts.summary.counts == one.summary.counts


def _clouds(refs: list[str]) -> Dataset:
    items = [
        Item(reference_id=ref, media=PointCloudMedia(points=np.full((4, 4), k, np.float32)))
        for k, ref in enumerate(refs)
    ]
    return MaterializedDataset(Header(), items, []).stream()  # a stream that can be cut


@pytest.mark.parametrize(
    "refs",
    [
        ["a", "b", "A", "c"],  # "A.pcd" clashes with "a.pcd" on a case-insensitive disk
        ["x/y", "q", "x", "z"],  # "x.pcd" is beside the folder x/, not in it: no clash
        ["x", "q", "x/y", "z"],
    ],
)
def test_names_taken_in_an_earlier_part_give_the_files_of_one_process(
    tmp_path: Path, refs: list[str]
) -> None:
    """A clash across parts sends the write to one process (which renames the later file);
    the result is the files one process writes either way."""
    one = nc.write(_clouds(refs), tmp_path / "one", "pointcloud")
    parts = nc.write(_clouds(refs), tmp_path / "parts", "pointcloud", partitions=2)
    assert _tree(parts.path) == _tree(one.path)
    assert parts.report.to_json() == one.report.to_json()
    if refs[2] == "A":
        assert parts.partitions == 1 and "interact" in (parts.note or "")
    else:
        assert (parts.partitions, parts.note) == (2, None)


def test_a_reference_id_in_two_parts_is_the_error_of_one_process(tmp_path: Path) -> None:
    with pytest.raises(nc.OutputError, match="'a': reference id appears twice"):
        nc.write(_clouds(["a", "b", "a", "c"]), tmp_path / "parts", "pointcloud", partitions=2)
    assert not (tmp_path / "parts").exists()
