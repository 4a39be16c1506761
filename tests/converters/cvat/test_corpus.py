"""Real public CVAT exports (``tests/data/cvat``, from Datumaro's test assets; see its
README.md): read with the values the files hold, written back and read equal, and through
Nucleus and back with nothing lost that both formats carry."""

from __future__ import annotations

from pathlib import Path

import pytest

import nucleus_convert as nc
from nucleus_convert.model import Box, Keypoints, Polyline
from nucleus_convert.roundtrip import compare, roundtrip

DATA = Path(__file__).resolve().parents[2] / "data" / "cvat"
VIDEO = DATA / "for_video" / "annotations.xml"
PROJECT = DATA / "export_project" / "annotations.xml"
TASK = DATA / "export_task" / "train.xml"
ALL = [VIDEO, PROJECT, TASK]


def test_a_cvat_1_video_export_gives_the_filtered_frames_and_its_tracks() -> None:
    dataset = nc.read(VIDEO, "cvat").materialize()
    assert [(i.reference_id, i.metadata["frame"]) for i in dataset.items] == [
        ("frame_000010", 10),
        ("frame_000013", 13),
        ("frame_000016", 16),
        ("frame_000019", 19),
    ]
    assert {(i.media.width, i.media.height) for i in dataset.items} == {(25, 20)}  # type: ignore[union-attr]
    assert [c.name for c in dataset.header.categories] == ["klhg", "z U k", "II"]
    first = dataset.items[0].annotations
    box, points = first
    assert isinstance(box, Box) and (box.x, box.y, box.width, box.height) == (3, 4, 7, 1)
    assert box.attributes == {"occluded": True} and box.track_id == "0"
    assert isinstance(points, Keypoints) and points.attributes == {"hgl": "hgkf"}
    # every later box of track 0 is outside; the polyline appears on 13, leaves on 16
    assert [[a.track_id for a in i.annotations] for i in dataset.items] == [
        ["0", "1"],
        ["2"],
        [],
        [],
    ]
    assert isinstance(dataset.items[1].annotations[0], Polyline)
    spec = dataset.header.categories[0].attributes["cvat"]["attributes"][0]
    assert spec == {
        "name": "hgl",
        "input_type": "select",
        "mutable": True,
        "default_value": "jk",
        "values": ["jk", "hgkf"],
    }


def test_a_project_export_qualifies_the_names_its_subsets_share() -> None:
    dataset = nc.read(PROJECT, "cvat").materialize()
    refs = [i.reference_id for i in dataset.items]
    assert refs == [f"{s}/img{n}.jpg" for s in ("Test", "Train", "Validation") for n in (0, 1)]
    train = dataset.items[2]
    assert train.metadata == {"frame": 0, "subset": "Train", "task_id": 39, "cvat_name": "img0.jpg"}
    assert train.media is not None and train.media.path.endswith("images/Train/img0.jpg")
    box = train.annotations[0]
    assert box.attributes == {
        "a1": True,
        "a2": "v3",
        "a3": "0003",  # a text attribute stays text
        "a4": 2.4,
        "occluded": True,
        "z_order": 1,
    }
    assert dataset.header.extra["cvat"] == {
        "flavour": "images",
        "container": "project",
        "name": "test",
    }


def test_a_task_file_with_empty_labels_and_no_declaration_reads() -> None:
    dataset = nc.read(TASK, "cvat").materialize()
    assert [c.name for c in dataset.header.categories] == ["label1", "label2", ""]
    assert [len(i.annotations) for i in dataset.items] == [2, 2]


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.parent.name)
def test_real_exports_written_again_read_back_equal(path: Path, tmp_path: Path) -> None:
    original = nc.read(path, "cvat").materialize()
    written = nc.write(original.stream(), tmp_path / "out", "cvat").report
    assert not written.lossy_entries()
    back = nc.read(tmp_path / "out", "cvat")
    assert not compare(original, back, tolerance=0.0).lossy_entries()


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.parent.name)
def test_real_exports_round_trip_through_nucleus(path: Path, tmp_path: Path) -> None:
    result = roundtrip(path, "nucleus", from_="cvat", workdir=tmp_path)
    assert result.ok, [(e.kind, e.field, e.counts, e.reason()) for e in result.unexpected]
