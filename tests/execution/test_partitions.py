"""nucleus_convert/execution/partitions.py: writing in forked workers gives the bytes, report
and errors of one process, whatever the number of workers; what cannot run in parts runs in
one process and says why."""

from __future__ import annotations

import copy
import dataclasses
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
from coco_copies import replicated_coco
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.converters.nucleus import partitioned
from nucleus_convert.errors import InputError, OutputError
from nucleus_convert.model import Box, Header, ImageMedia, Item, MaterializedDataset
from nucleus_convert.registry import Format, FormatRegistry


def _tree(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


@pytest.mark.parametrize("workers", [2, 3, 4, 9])
def test_coco_to_nucleus_in_parts_is_byte_identical_to_one_process(
    tmp_path: Path, workers: int
) -> None:
    src = replicated_coco(tmp_path)
    one = nc.convert(src, tmp_path / "one", to="nucleus")
    parts = nc.convert(src, tmp_path / "parts", to="nucleus", workers=workers)
    assert (parts.partitions, parts.note) == (workers, None)
    assert _tree(parts.path) == _tree(one.path)
    assert parts.report.to_json() == one.report.to_json()
    assert parts.summary == one.summary
    assert any(name.startswith("masks/") for name in _tree(parts.path))


@pytest.mark.parametrize("workers", [2, 3])
def test_voc_to_nucleus_in_parts_is_byte_identical_to_one_process(
    tmp_path: Path, workers: int
) -> None:
    # The VOC reader adds categories as it meets labels: the parts' come back in order.
    src = FIXTURES / "voc" / "VOC2012"
    one = nc.convert(src, tmp_path / "one", to="nucleus")
    parts = nc.convert(src, tmp_path / "parts", to="nucleus", workers=workers)
    assert (parts.partitions, parts.note) == (workers, None)
    assert _tree(parts.path) == _tree(one.path)
    assert parts.report.to_json() == one.report.to_json()


def test_more_workers_than_items_gives_the_same_bytes(tmp_path: Path) -> None:
    src = FIXTURES / "coco" / "instances_demo.json"
    one = nc.convert(src, tmp_path / "one", to="nucleus")
    parts = nc.convert(src, tmp_path / "parts", to="nucleus", workers=8)
    assert parts.partitions == 8 and _tree(parts.path) == _tree(one.path)


def test_skipped_records_and_split_files_match_one_process(tmp_path: Path) -> None:
    def damage(data: dict[str, Any]) -> None:
        data["annotations"][3]["bbox"] = [1, 2, "wide", 4]  # first part
        data["annotations"][-2]["bbox"] = [1, 2, 3]  # last part

    src = replicated_coco(tmp_path, edit=damage)
    options = {"read_options": {"on_error": "skip"}, "write_options": {"max_file_bytes": "4000"}}
    one = nc.convert(src, tmp_path / "one", to="nucleus", **options)
    parts = nc.convert(src, tmp_path / "parts", to="nucleus", workers=3, **options)
    assert parts.partitions == 3
    assert len(parts.report.skipped) == 2 and parts.report.skipped == one.report.skipped
    assert _tree(parts.path) == _tree(one.path)
    manifest = orjson.loads((parts.path / "manifest.json").read_bytes())
    assert len(manifest["parts"]["annotations.jsonl"]) > 2


def test_an_error_in_the_first_part_is_the_error_of_one_process(tmp_path: Path) -> None:
    def damage(data: dict[str, Any]) -> None:
        data["annotations"][2]["bbox"] = [1, 2, "wide", 4]

    src = replicated_coco(tmp_path, edit=damage)
    with pytest.raises(InputError) as one:
        nc.convert(src, tmp_path / "one", to="nucleus")
    with pytest.raises(InputError) as parts:
        nc.convert(src, tmp_path / "parts", to="nucleus", workers=3)
    assert str(parts.value) == str(one.value)
    assert not (tmp_path / "parts").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["instances.json"]


def test_an_error_in_a_later_part_is_the_error_of_one_process(tmp_path: Path) -> None:
    def clash(data: dict[str, Any]) -> None:
        # a metadata key that is a number early on and text near the end: only one process
        # sees both, so the parts hand over to it
        data["annotations"][0]["note"] = 1
        data["annotations"][-1]["note"] = "one"

    src = replicated_coco(tmp_path, edit=clash)
    with pytest.raises(OutputError) as one:
        nc.convert(src, tmp_path / "one", to="nucleus")
    with pytest.raises(OutputError) as parts:
        nc.convert(src, tmp_path / "parts", to="nucleus", workers=3)
    assert str(parts.value) == str(one.value) and "metadata key" in str(one.value)
    assert not (tmp_path / "parts").exists()


def _items(refs: list[str]) -> MaterializedDataset:
    box = Box(label="c", x=1, y=1, width=2, height=2)
    items = [Item(ref, ImageMedia(f"{ref}.jpg", 10, 10), annotations=[box]) for ref in refs]
    return MaterializedDataset(Header(), items, [])


def test_a_reference_id_in_two_parts_gives_the_error_of_one_process(tmp_path: Path) -> None:
    refs = [f"i{n}" for n in range(10)] + ["i1"]
    with pytest.raises(OutputError) as one:
        nc.write(_items(refs).stream(), tmp_path / "one")
    with pytest.raises(OutputError) as parts:
        nc.write(_items(refs).stream(), tmp_path / "parts", partitions=2)
    assert str(parts.value) == str(one.value) == "item 'i1': reference id appears twice"


def _nucleus_partitions(monkeypatch: pytest.MonkeyPatch, **replace: Any) -> None:
    """Make the registry give the nucleus format with ``write_part``/``merge`` replaced."""
    real_get = FormatRegistry.get

    def get(self: FormatRegistry, name: str) -> Format:
        fmt = real_get(self, name)
        if fmt.name != "nucleus" or fmt.partitions is None:
            return fmt
        return dataclasses.replace(fmt, partitions=dataclasses.replace(fmt.partitions, **replace))

    monkeypatch.setattr(FormatRegistry, "get", get)


def test_parts_that_interact_without_error_hand_over_to_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def declining(*args: Any) -> Any:
        calls.append(1)
        return None

    _nucleus_partitions(monkeypatch, merge=declining)
    src = replicated_coco(tmp_path)
    one = nc.convert(src, tmp_path / "one", to="nucleus")
    parts = nc.convert(src, tmp_path / "parts", to="nucleus", workers=2)
    assert calls == [1] and parts.partitions == 1
    assert parts.note is not None and "interact" in parts.note
    assert _tree(parts.path) == _tree(one.path)
    assert parts.report.to_json() == one.report.to_json()  # the parts' losses were taken back


def test_a_worker_that_dies_leaves_the_work_to_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dies_in_part_one(dataset: Any, dst: Path, options: Any, report: Any) -> Any:
        if dst.name == "00001":
            os._exit(9)
        return partitioned.write_part(dataset, dst, options, report)

    _nucleus_partitions(monkeypatch, write_part=dies_in_part_one)
    src = replicated_coco(tmp_path)
    one = nc.convert(src, tmp_path / "one", to="nucleus")
    parts = nc.convert(src, tmp_path / "parts", to="nucleus", workers=3)
    assert parts.note == "partition 1 failed: one process decides what that means"
    assert _tree(parts.path) == _tree(one.path)


@pytest.mark.parametrize(
    ("source", "fmt", "note"),
    [
        (FIXTURES / "nucleus" / "annotations.jsonl", "nucleus", "the reader cannot cut its item"),
        (FIXTURES / "coco" / "instances_demo.json", "voc", "the voc writer cannot run"),
    ],
)
def test_what_cannot_run_in_parts_runs_in_one_process_and_says_why(
    tmp_path: Path, source: Path, fmt: str, note: str
) -> None:
    one = nc.convert(source, tmp_path / "one", to=fmt)
    parts = nc.convert(source, tmp_path / "parts", to=fmt, workers=2)
    assert parts.partitions == 1 and parts.note is not None and note in parts.note
    assert _tree(parts.path) == _tree(one.path)


@pytest.mark.parametrize("workers", [2, 3])
def test_a_dataset_with_scenes_in_parts_gives_the_bundle_of_one_process(
    tmp_path: Path, workers: int
) -> None:
    # The parts hand back their scene items' payloads; the merge writes the scenes once.
    from every_kind import every_kind_dataset

    one = nc.write(every_kind_dataset().stream(), tmp_path / "one")
    parts = nc.write(every_kind_dataset().stream(), tmp_path / "parts", partitions=workers)
    assert (parts.partitions, parts.note) == (workers, None)
    assert _tree(Path(parts.path)) == _tree(Path(one.path))
    assert parts.report.to_json() == one.report.to_json()
    assert (Path(parts.path) / "scenes.jsonl").is_file()


def test_a_dataset_with_scenes_runs_in_one_process_for_a_writer_without_scenes_in_parts(
    tmp_path: Path,
) -> None:
    from every_kind import every_kind_dataset

    one = nc.write(every_kind_dataset().stream(), tmp_path / "one.json", "coco")
    parts = nc.write(every_kind_dataset().stream(), tmp_path / "parts.json", "coco", partitions=2)
    assert parts.partitions == 1 and parts.note == "the coco writer cannot write scenes from parts"
    assert Path(parts.path).read_bytes() == Path(one.path).read_bytes()


def test_kitti_with_scans_to_nucleus_in_parts_is_byte_identical(tmp_path: Path) -> None:
    src = FIXTURES / "kitti" / "object"
    one = nc.convert(src, tmp_path / "one", to="nucleus")
    parts = nc.convert(src, tmp_path / "parts", to="nucleus", workers=2)
    assert (parts.partitions, parts.note) == (2, None)
    assert _tree(Path(parts.path)) == _tree(Path(one.path))
    assert any(name.startswith("pointclouds/") for name in _tree(Path(parts.path)))


def test_a_started_stream_is_not_cut(tmp_path: Path) -> None:
    dataset = _items(["a", "b", "c"]).stream()
    first = next(dataset.items)
    rest = nc.write(dataset, tmp_path / "out", partitions=2)
    assert first.reference_id == "a"
    assert rest.partitions == 1 and rest.note == "the item stream was already started"
    assert rest.summary.counts["items"] == 2


def test_the_workers_copy_of_the_dataset_does_not_change_the_callers(tmp_path: Path) -> None:
    dataset = _items([f"i{n}" for n in range(6)])
    before = copy.deepcopy(dataset.items)
    nc.write(dataset.stream(), tmp_path / "out", partitions=3)
    assert dataset.items == before


@pytest.mark.parametrize("content", ["annotations", "predictions"])
@pytest.mark.parametrize("source", ["coco", "voc"])
def test_to_coco_in_parts_is_byte_identical_to_one_process(
    tmp_path: Path, source: str, content: str
) -> None:
    src = replicated_coco(tmp_path) if source == "coco" else FIXTURES / "voc" / "VOC2012"
    options = {"write_options": {"content": content}}
    one = nc.convert(src, tmp_path / "one.json", to="coco", **options)
    parts = nc.convert(src, tmp_path / "parts.json", to="coco", workers=3, **options)
    assert (parts.partitions, parts.note) == (3, None)
    assert Path(parts.path).read_bytes() == Path(one.path).read_bytes()
    assert parts.report.to_json() == one.report.to_json()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no parts left


def test_a_coco_id_kept_in_two_parts_is_numbered_as_one_process_numbers_it(
    tmp_path: Path,
) -> None:
    # One process keeps image id 5 for the first item and gives the second a new id; the
    # parts each keep 5, so the merge hands over to one process.
    dataset = _items([f"i{n}" for n in range(6)])
    dataset.items[0].metadata["coco_image_id"] = 5
    dataset.items[5].metadata["coco_image_id"] = 5
    one = nc.write(copy.deepcopy(dataset).stream(), tmp_path / "one.json", "coco")
    parts = nc.write(dataset.stream(), tmp_path / "parts.json", "coco", partitions=2)
    assert parts.partitions == 1 and parts.note is not None and "interact" in parts.note
    assert Path(parts.path).read_bytes() == Path(one.path).read_bytes()
    images = orjson.loads(Path(parts.path).read_bytes())["images"]
    assert [i["id"] for i in images] == [5, 6, 7, 8, 9, 10]


def _bundle(tmp_path: Path) -> Path:
    """A Nucleus bundle without scenes: the replicated COCO fixture converted."""
    return Path(nc.convert(replicated_coco(tmp_path), tmp_path / "bundle", to="nucleus").path)


@pytest.mark.parametrize("target", ["coco", "nucleus"])
def test_a_nucleus_bundle_in_parts_is_byte_identical_to_one_process(
    tmp_path: Path, target: str
) -> None:
    bundle = _bundle(tmp_path)
    lines = (bundle / "items.jsonl").read_bytes().splitlines(keepends=True)
    (bundle / "items.jsonl").write_bytes(b"".join(lines[:-4]))  # 4 items known only by refs
    suffix = ".json" if target == "coco" else ""
    one = nc.convert(bundle, tmp_path / f"one{suffix}", to=target)
    parts = nc.convert(bundle, tmp_path / f"parts{suffix}", to=target, workers=3)
    assert (parts.partitions, parts.note) == (3, None)
    if target == "coco":
        assert Path(parts.path).read_bytes() == Path(one.path).read_bytes()
    else:
        assert _tree(Path(parts.path)) == _tree(Path(one.path))
    assert parts.report.to_json() == one.report.to_json()
    assert one.summary.counts["images" if target == "coco" else "items"] == 42 - 4 * (
        target == "nucleus"
    )


def test_a_reference_id_repeated_in_a_bundle_fails_where_one_process_fails(
    tmp_path: Path,
) -> None:
    bundle = _bundle(tmp_path)
    lines = (bundle / "items.jsonl").read_bytes().splitlines(keepends=True)
    (bundle / "items.jsonl").write_bytes(b"".join([*lines, lines[1]]))
    with pytest.raises(InputError) as one:
        nc.convert(bundle, tmp_path / "one.json", to="coco")
    with pytest.raises(InputError) as parts:
        nc.convert(bundle, tmp_path / "parts.json", to="coco", workers=3)
    assert str(parts.value) == str(one.value) and "appears twice" in str(one.value)


@pytest.mark.parametrize("target", ["nucleus", "coco"])
def test_a_kitti_tree_of_images_in_parts_is_byte_identical_to_one_process(
    tmp_path: Path, target: str
) -> None:
    import shutil

    tree = tmp_path / "kitti"
    shutil.copytree(FIXTURES / "kitti" / "object", tree)
    for scans in list(tree.rglob("velodyne")):  # scans make scenes, which run in one process
        shutil.rmtree(scans)
    suffix = ".json" if target == "coco" else ""
    one = nc.convert(tree, tmp_path / f"one{suffix}", to=target)
    parts = nc.convert(tree, tmp_path / f"parts{suffix}", to=target, workers=2)
    assert (parts.partitions, parts.note) == (2, None)
    if target == "coco":
        assert Path(parts.path).read_bytes() == Path(one.path).read_bytes()
    else:
        assert _tree(Path(parts.path)) == _tree(Path(one.path))
    assert parts.report.to_json() == one.report.to_json()


@pytest.mark.parametrize("workers", [2, 3])
def test_the_nucleus_fixture_with_scenes_in_parts_rewrites_as_one_process(
    tmp_path: Path, workers: int
) -> None:
    src = FIXTURES / "nucleus"
    one = nc.convert(src, tmp_path / "one", to="nucleus")
    parts = nc.convert(src, tmp_path / "parts", to="nucleus", workers=workers)
    assert (parts.partitions, parts.note) == (workers, None)
    assert _tree(Path(parts.path)) == _tree(Path(one.path))
    assert parts.report.to_json() == one.report.to_json()


@pytest.mark.parametrize("scene", ["each", "sequence"])
def test_a_folder_of_scans_in_parts_is_byte_identical(tmp_path: Path, scene: str) -> None:
    from pointcloud_samples import scan

    from nucleus_convert.geometry.pointcloud_files import write_bin

    src = tmp_path / "scans"
    (src / "run_a").mkdir(parents=True)
    (src / "run_b").mkdir()
    for k in range(5):
        write_bin(scan(40, k), src / ("run_a" if k < 3 else "run_b") / f"{k:03d}.bin")
    options: dict[str, Any] = {"from_": "pointcloud", "read_options": {"scene": scene}}
    one = nc.convert(src, tmp_path / "one", to="nucleus", **options)
    parts = nc.convert(src, tmp_path / "parts", to="nucleus", workers=3, **options)
    assert (parts.partitions, parts.note) == (3, None)
    assert _tree(Path(parts.path)) == _tree(Path(one.path))
    assert len([n for n in _tree(Path(parts.path)) if n.startswith("pointclouds/")]) == 5


def test_a_kitti_raw_drive_in_parts_is_byte_identical(tmp_path: Path) -> None:
    src = FIXTURES / "kitti_raw" / "2011_09_26"
    one = nc.convert(src, tmp_path / "one", from_="kitti_raw", to="nucleus")
    parts = nc.convert(src, tmp_path / "parts", from_="kitti_raw", to="nucleus", workers=2)
    assert (parts.partitions, parts.note) == (2, None)
    assert _tree(Path(parts.path)) == _tree(Path(one.path))
    assert parts.report.to_json() == one.report.to_json()
