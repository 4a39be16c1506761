"""``merge``: sources one after the other, categories reconciled by name, clashing ids
refused or renamed, all of it reported."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from cli_runner import run_cli

import nucleus_convert as nc
from nucleus_convert.errors import InputError
from nucleus_convert.loss import LossReport
from nucleus_convert.model import Category, Header, Skeleton, Taxonomy
from nucleus_convert.transforms.merge import merge_headers

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
COCO = FIXTURES / "coco" / "instances_demo.json"
VOC = FIXTURES / "voc"
BUNDLE = FIXTURES / "nucleus"


def test_clashing_ids_are_refused_naming_both_sources(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        nc.merge([BUNDLE, BUNDLE], tmp_path / "out")
    assert f"of {BUNDLE} is also in {BUNDLE}" in str(info.value)
    assert "--on-clash rename" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_renamed_ids_keep_scenes_whole_and_are_counted(tmp_path: Path) -> None:
    result = nc.merge([BUNDLE, BUNDLE], tmp_path / "out", on_clash="rename")
    merged = nc.read(tmp_path / "out", "nucleus").materialize()
    refs = [item.reference_id for item in merged.items]
    assert len(refs) == len(set(refs)) == 20
    assert sum(r.endswith("~2") for r in refs) == 10
    scene_ids = sorted(s.reference_id for s in merged.scenes)
    assert scene_ids == ["scene-000", "scene-000~2", "scene-001", "scene-001~2"]
    for scene in merged.scenes:
        members = {r for f in scene.frames for r in f.sensors.values()}
        assert members <= set(refs)
        assert all(r.endswith("~2") for r in members) == scene.reference_id.endswith("~2")
    rows = {(e.kind, e.field): e.counts for e in result.report}
    assert rows[("item", "reference_id")] == {"changed": 10}
    assert rows[("scene", "reference_id")] == {"changed": 2}


def test_items_stream_source_by_source_and_categories_join_by_name(tmp_path: Path) -> None:
    result = nc.merge([COCO, VOC], tmp_path / "out.json", to="coco")
    data = orjson.loads((tmp_path / "out.json").read_bytes())
    coco_names = [c.name for c in nc.read(COCO, "coco").header.categories]
    names = [c["name"] for c in data["categories"]]
    assert names[: len(coco_names)] == coco_names
    assert len(names) == len(set(names))
    assert "person" in names and names.count("person") == 1
    files = [image["file_name"] for image in data["images"]]
    assert len(files) == 9
    rows = {(e.kind, e.field) for e in result.report}
    assert ("header", "categories.source_id") in rows


def test_headers_merge_by_name_and_first_source_wins() -> None:
    report = LossReport()
    a = Header(categories=[Category("car", 1, "vehicle"), Category("dog", 2)])
    b = Header(
        categories=[Category("dog", 7), Category("cat", 1), Category("car", 3, "machine")],
        taxonomies={"t": Taxonomy("t", ["x", "y"])},
    )
    merged = merge_headers([a, b], ["a", "b"], report)
    assert [(c.name, c.source_id, c.supercategory) for c in merged.categories] == [
        ("car", 1, "vehicle"),
        ("dog", 2, None),
        ("cat", None, None),  # id 1 is car's in the first source: the writer numbers it
    ]
    assert merged.taxonomies["t"].labels == ["x", "y"]
    counts = {(e.kind, e.field): e.counts for e in report}
    assert counts == {
        ("header", "categories.source_id"): {"changed": 1},
        ("header", "categories.supercategory"): {"changed": 1},
    }


def test_two_skeletons_for_one_label_are_refused() -> None:
    a = Header(skeletons={"person": Skeleton(["a", "b"], [(0, 1)])})
    b = Header(skeletons={"person": Skeleton(["a", "c"], [(0, 1)])})
    with pytest.raises(InputError, match="'person' has a different keypoint skeleton in b"):
        merge_headers([a, b], ["a", "b"], LossReport())


def test_one_source_is_not_a_merge(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="two or more sources"):
        nc.merge([COCO], tmp_path / "out")


def test_cli_merge_renames_and_prints_json(tmp_path: Path) -> None:
    proc = run_cli(
        "merge", str(BUNDLE), str(BUNDLE), str(tmp_path / "out"), "--on-clash", "rename", "--json"
    )
    assert proc.returncode == 0, proc.stderr
    data = orjson.loads(proc.stdout)
    assert data["counts"]["items"] == 20 and data["counts"]["scenes"] == 4
    proc = run_cli("merge", str(BUNDLE), str(tmp_path / "x"))
    assert proc.returncode == 2 and "two or more sources and a destination" in proc.stderr


def test_a_track_id_two_sources_use_is_renamed_or_refused(tmp_path: Path) -> None:
    def source(name: str, ref: str) -> Path:
        box = nc.Box(label="car", id="b", track_id="car-1", x=0, y=0, width=2, height=2)
        item = nc.Item(ref, nc.ImageMedia(f"{ref}.png", 8, 8), annotations=[box])
        return nc.write(nc.Dataset.of([item]), tmp_path / name, "nucleus").path

    a, b = source("a", "frame-a"), source("b", "frame-b")
    with pytest.raises(InputError, match=r"track 'car-1' of .* is also in"):
        nc.merge([a, b], tmp_path / "refused")
    result = nc.merge([a, b], tmp_path / "out", on_clash="rename")
    tracks = {
        item.reference_id: [ann.track_id for ann in item.annotations]
        for item in nc.read(tmp_path / "out", "nucleus").items
    }
    assert tracks == {"frame-a": ["car-1"], "frame-b": ["car-1~2"]}
    rows = {(e.kind, e.field): e.counts for e in result.report}
    assert rows[("box", "track_id")] == {"changed": 1}
