"""The Ultralytics dataset YAML in full: path, subsets as folders, lists and .txt files, names as
a list or a map with gaps, nc, and every other key kept in header.extra and written back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from yolo_testlib import items, nucleus_roundtrip, png, ultralytics

import nucleus_convert as nc


def _write(dataset: nc.Dataset, dst: Path, **options: Any) -> nc.WriteResult:
    return nc.write(dataset, dst, "yolo", **options)


def _gapped(root: Path, nc_line: str = "") -> Path:
    return ultralytics(
        root,
        {"a": "5 0.5 0.5 0.5 0.5\n0 0.2 0.2 0.2 0.2\n"},
        yaml_text=f"train: images/train\nnames:\n  0: road\n  5: sign\n{nc_line}",
    )


@pytest.mark.parametrize("nc_line", ["", "nc: 2\n", "nc: 6\n"], ids=["none", "count", "max+1"])
def test_names_as_a_map_with_gaps_keep_their_indexes(tmp_path: Path, nc_line: str) -> None:
    dataset = nc.read(_gapped(tmp_path / "src", nc_line), "yolo").materialize()
    cats = [(c.name, c.source_id) for c in dataset.header.categories]
    assert cats == [("road", 0), ("sign", 5)]
    assert [a.label for a in dataset.items[0].annotations] == ["sign", "road"]


def test_a_class_in_a_gap_of_names_is_refused_with_the_known_indexes(tmp_path: Path) -> None:
    src = ultralytics(
        tmp_path / "src",
        {"a": "3 0.5 0.5 0.5 0.5\n"},
        yaml_text="train: images/train\nnames: {0: road, 5: sign}\n",
    )
    with pytest.raises(nc.InputError, match=r"a\.txt:1: class 3 is not in names \(0, 5\)"):
        list(nc.read(src, "yolo").items)


def test_gapped_indexes_are_written_back_and_survive_nucleus(tmp_path: Path) -> None:
    src = _gapped(tmp_path / "src")
    result = _write(nc.read(src, "yolo"), tmp_path / "out")
    assert not result.report.has_loss(), result.report.format_table(only_loss=True)
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert (data["nc"], data["names"]) == (2, {0: "road", 5: "sign"})
    assert (tmp_path / "out" / "labels" / "train" / "a.txt").read_text().startswith("5 ")
    assert nucleus_roundtrip(src)["ok"]


def test_a_coco8_pose_shaped_yaml_beside_its_images(tmp_path: Path) -> None:
    # The shape of Ultralytics' coco8-pose.yaml: a path it resolves under its own datasets
    # folder (not there here: the yaml's folder is used), an empty test key, the keypoint keys
    # and a download URL, all kept.
    root = ultralytics(
        tmp_path / "coco8-pose",
        {"000000000036": "0 0.5 0.5 0.5 0.5 " + "0 0 0 " * 16 + "0.5 0.5 2\n"},
        yaml_text="path: ../datasets/coco8-pose  # dataset root dir\n"
        "train: images/train\n"
        "val: images/train\n"
        "test:  # test images (optional)\n"
        "kpt_shape: [17, 3]\n"
        "flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]\n"
        "names:\n  0: person\n"
        "download: https://example.invalid/coco8-pose.zip\n",
    )
    dataset = nc.read(root / "data.yaml", "yolo").materialize()
    assert dataset.header.extra["yolo"]["flip_idx"][:3] == [0, 2, 1]
    assert dataset.header.extra["yolo"]["download"] == "https://example.invalid/coco8-pose.zip"
    assert [i.metadata["yolo_subset"] for i in dataset.items] == ["train", "val"]
    kps = dataset.items[0].annotations[1]
    assert isinstance(kps, nc.Keypoints) and len(kps.points) == 17
    assert kps.points[16] == nc.Keypoint(5.0, 5.0, nc.Visibility.VISIBLE)


def test_path_absolute_and_missing(tmp_path: Path) -> None:
    root = ultralytics(tmp_path / "data", {"a": "0 0.5 0.5 0.5 0.5\n"})
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"path: {root}\ntrain: images/train\nnames: [a, b]\n")
    assert list(items(cfg)) == ["a"]
    cfg.write_text("path: nowhere\ntrain: images/elsewhere\nnames: [a, b]\n")
    with pytest.raises(nc.InputError, match=r"cfg\.yaml:1: path 'nowhere': no such folder"):
        nc.read(cfg, "yolo")


def test_subsets_as_a_list_of_folders_and_txt_lists(tmp_path: Path) -> None:
    root = ultralytics(tmp_path / "src", {"a": "0 0.5 0.5 0.5 0.5\n"})
    png(root / "images" / "more" / "b.png", 10, 10)
    png(root / "images" / "listed" / "c.png", 10, 10)
    (root / "listed.txt").write_text("images/listed/c.png\n")
    (root / "data.yaml").write_text(
        "train: [images/train, images/more]\nval: [listed.txt]\nnames: [a, b]\n"
    )
    subsets = {r: i.metadata["yolo_subset"] for r, i in items(root).items()}
    assert subsets == {"a": "train", "b": "train", "c": "val"}


def test_other_keys_are_kept_in_header_extra_and_written_back(tmp_path: Path) -> None:
    src = ultralytics(
        tmp_path / "src",
        {"a": "0 0.5 0.5 0.5 0.5\n"},
        yaml_text="train: images/train\nnames: [a, b]\nchannels: 3\n"
        "download: |\n  from pathlib import Path\n  print('x')\nauthor: {name: me, year: 2024}\n",
    )
    dataset = nc.read(src, "yolo")
    assert dataset.header.extra == {
        "yolo": {
            "channels": 3,
            "download": "from pathlib import Path\nprint('x')\n",
            "author": {"name": "me", "year": 2024},
        }
    }
    result = _write(dataset, tmp_path / "out")
    assert not result.report.has_loss(), result.report.format_table(only_loss=True)
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())
    assert data["channels"] == 3 and data["author"] == {"name": "me", "year": 2024}
    assert data["download"].startswith("from pathlib import Path")
    bundle = tmp_path / "bundle"
    nc.convert(src, bundle, to="nucleus")
    assert nc.read(bundle).header.extra["yolo"]["channels"] == 3


def test_a_yaml_value_json_cannot_hold_is_counted_not_kept(tmp_path: Path) -> None:
    src = ultralytics(
        tmp_path / "src",
        {"a": "0 0.5 0.5 0.5 0.5\n"},
        yaml_text="train: images/train\nnames: [a, b]\nbig: 100000000000000000000000\n"
        "when: 2024-01-31\nkept: yes\n",
    )
    dataset = nc.read(src, "yolo")
    assert dataset.header.extra == {"yolo": {"kept": True}}
    for key in ("big", "when"):
        assert dataset.losses.entries[("header", f"extra.{key}")].count("dropped") == 1


def test_header_extras_a_yolo_yaml_cannot_take_are_counted(tmp_path: Path) -> None:
    image = png(tmp_path / "a.png", 10, 10)
    header = nc.Header(
        extra={"coco": {"info": {}}, "yolo": {"names": ["x"], "train": 1, "ok": [1, 2]}}
    )
    item = nc.Item("a", media=nc.ImageMedia(str(image), 10, 10))
    result = _write(nc.Dataset.of([item], header=header), tmp_path / "out")
    rows = {(e.kind, e.field) for e in result.report.lossy_entries()}
    assert {("header", "extra"), ("header", "extra.names"), ("header", "extra.train")} <= rows
    assert yaml.safe_load((tmp_path / "out" / "data.yaml").read_text())["ok"] == [1, 2]
