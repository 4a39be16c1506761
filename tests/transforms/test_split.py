"""``split``: every item in exactly one split, in the asked shares, scenes whole, the same
bytes for the same seed, and nothing at the destination when anything fails."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from cli_runner import run_cli

import nucleus_convert as nc
from nucleus_convert.errors import InputError, OutputError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
COCO = FIXTURES / "coco" / "instances_demo.json"
BUNDLE = FIXTURES / "nucleus"


def _refs(path: Path, fmt: str) -> list[str]:
    return [item.reference_id for item in nc.read(path, fmt).items]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_every_item_lands_in_exactly_one_split_in_the_asked_shares(tmp_path: Path) -> None:
    result = nc.split(COCO, tmp_path / "out", "train=0.5,val=0.5", seed=4)
    assert result.format == "coco" and result.counts == {"train": 3, "val": 3}
    train = _refs(tmp_path / "out" / "train.json", "coco")
    val = _refs(tmp_path / "out" / "val.json", "coco")
    assert sorted(train + val) == sorted(_refs(COCO, "coco"))
    assert not set(train) & set(val)
    categories = [
        [
            c["name"]
            for c in orjson.loads((tmp_path / "out" / f"{n}.json").read_bytes())["categories"]
        ]
        for n in ("train", "val")
    ]
    assert categories[0] == categories[1]  # every split keeps every category, so ids agree


def test_scenes_are_never_cut_and_take_their_annotations(tmp_path: Path) -> None:
    source = nc.read(BUNDLE, "nucleus").materialize()
    result = nc.split(BUNDLE, tmp_path / "out", {"a": 0.5, "b": 0.5}, seed=0)
    for name in ("a", "b"):
        part = nc.read(tmp_path / "out" / name, "nucleus").materialize()
        refs = {item.reference_id for item in part.items}
        for scene in part.scenes:
            members = {r for f in scene.frames for r in f.sensors.values()}
            assert members <= refs
            original = next(s for s in source.scenes if s.reference_id == scene.reference_id)
            assert len(scene.annotations) == len(original.annotations)
    assert sum(result.counts.values()) == len(source.items)


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    nc.split(BUNDLE, tmp_path / "one", "a=0.6,b=0.4", seed=9)
    nc.split(BUNDLE, tmp_path / "two", "a=0.6,b=0.4", seed=9)
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")


def test_items_sharing_a_metadata_value_stay_together(tmp_path: Path) -> None:
    items = [
        nc.Item(f"f{k}", nc.ImageMedia(f"f{k}.png", 8, 8), metadata={"video": f"v{k // 4}"})
        for k in range(20)
    ]
    src = tmp_path / "src"
    nc.write(nc.Dataset.of(items), src, "nucleus")
    nc.split(src, tmp_path / "out", "a=0.6,b=0.4", seed=2, by="metadata.video")
    for name in ("a", "b"):
        videos: dict[str, int] = {}
        for item in nc.read(tmp_path / "out" / name, "nucleus").items:
            videos[item.metadata["video"]] = videos.get(item.metadata["video"], 0) + 1
        assert all(n == 4 for n in videos.values())


def test_a_writer_error_leaves_nothing_at_the_destination(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="over the part limit"):
        nc.split(
            COCO, tmp_path / "out", "a=0.5,b=0.5", to="nucleus", write_options={"max_file_bytes": 1}
        )
    assert list(tmp_path.iterdir()) == []


def test_bad_by_and_unknown_formats_fail_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"--by takes item, scene or metadata\.KEY"):
        nc.split(COCO, tmp_path / "out", "a=0.5,b=0.5", by="video")
    with pytest.raises(nc.FormatError, match="unknown format 'cocoa'"):
        nc.split(COCO, tmp_path / "out", "a=0.5,b=0.5", to="cocoa")
    assert list(tmp_path.iterdir()) == []


def test_cli_split_prints_each_split_and_json(tmp_path: Path) -> None:
    proc = run_cli("split", str(COCO), str(tmp_path / "out"), "--ratios", "train=0.5,val=0.5")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith(
        f"train: 3 items -> {tmp_path / 'out' / 'train.json'}"
    )
    proc = run_cli(
        "split", str(BUNDLE), str(tmp_path / "b"), "--ratios", "a=0.5,b=0.5", "--stratify", "--json"
    )
    data = orjson.loads(proc.stdout)
    assert sum(s["items"] for s in data["splits"].values()) == 10


def test_cli_bad_ratios_are_one_line_and_status_2(tmp_path: Path) -> None:
    proc = run_cli("split", str(COCO), str(tmp_path / "out"), "--ratios", "train=0.9,val=0.2")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert "add up to 1.1" in proc.stderr and not (tmp_path / "out").exists()
