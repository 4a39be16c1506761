"""``preview()``: every built-in format's fixture, streaming, selection, safe names, output
whole or not at all, and the same bytes in every run."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from drawing.preview_helpers import image_item, read_png
from paths import FIXTURES

from nucleus_convert import api
from nucleus_convert.drawing import SHEET_NAME, label_colour, preview, preview_dataset
from nucleus_convert.errors import DestinationError, InputError
from nucleus_convert.model import Box, Dataset, ImageMedia, Item

BUILTIN = [
    ("coco", FIXTURES / "coco" / "instances_demo.json", None, 6),
    ("voc", FIXTURES / "voc", None, 3),
    ("kitti", FIXTURES / "kitti" / "object", None, 6),
    ("kitti_raw", FIXTURES / "kitti_raw" / "2011_09_26", None, 12),
    ("nucleus", FIXTURES / "nucleus", None, 10),
    ("pointcloud", FIXTURES / "kitti" / "object" / "training" / "velodyne", "pointcloud", 2),
]


@pytest.mark.parametrize(("name", "src", "fmt", "count"), BUILTIN, ids=[b[0] for b in BUILTIN])
def test_every_builtin_formats_fixture_previews(
    tmp_path: Path, name: str, src: Path, fmt: str | None, count: int
) -> None:
    result = preview(src, tmp_path / "out", from_=fmt)
    assert result.format == name
    assert len(result.items) == count
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in result.files
    )
    for record in result.items:
        assert record.path.parent == tmp_path / "out"
        with_caption = read_png(record.path)
        assert with_caption.shape[0] > 100 and with_caption.shape[1] >= 240
    assert read_png(result.sheet).shape[1] > 200
    views = {p.view for p in result.items}
    assert views == {"image": {"image"}, "pointcloud": {"bev"}}.get(name, views)


def test_the_velodyne_folder_is_two_birds_eye_views(tmp_path: Path) -> None:
    src = FIXTURES / "kitti" / "object" / "training" / "velodyne"
    result = preview(src, tmp_path / "out", from_="pointcloud")
    assert [(p.reference_id, p.view, p.notes) for p in result.items] == [
        ("000000", "bev", ()),
        ("000001", "bev", ()),
    ]


def test_kitti_images_are_read_and_scaled_down_to_max_size(tmp_path: Path) -> None:
    result = preview(
        FIXTURES / "kitti" / "object",
        tmp_path / "out",
        items=["training/000000/image_2"],
        max_size=621,
    )
    [record] = result.items
    assert record.view == "image" and record.notes == ()
    assert read_png(record.path).shape[1] == 621


def test_a_nucleus_bundle_shows_what_would_be_uploaded(tmp_path: Path) -> None:
    api.convert(FIXTURES / "voc", tmp_path / "bundle")
    result = preview(tmp_path / "bundle", tmp_path / "out")
    assert result.format == "nucleus"
    assert [p.reference_id for p in result.items] == ["2012_000001", "2012_000002", "2012_000003"]
    assert all(p.notes == () for p in result.items)  # the images are local: drawn on them


def test_limit_stops_reading_the_stream(tmp_path: Path) -> None:
    taken: list[str] = []

    def items() -> Iterator[Item]:
        for i in range(100):
            taken.append(str(i))
            yield Item(str(i), ImageMedia("s3://b/x.jpg", 40, 30))

    result = preview_dataset(Dataset.of(items()), tmp_path / "out", limit=3)
    assert [p.reference_id for p in result.items] == ["0", "1", "2"]
    assert taken == ["0", "1", "2"]


def test_items_picks_reference_ids_in_stream_order_and_stops_once_found(tmp_path: Path) -> None:
    taken: list[str] = []

    def items() -> Iterator[Item]:
        for i in range(100):
            taken.append(str(i))
            yield Item(str(i), ImageMedia("s3://b/x.jpg", 40, 30))

    result = preview_dataset(Dataset.of(items()), tmp_path / "out", items=["7", "2"])
    assert [p.reference_id for p in result.items] == ["2", "7"]
    assert len(taken) == 8


def test_an_id_the_source_does_not_hold_is_an_error_naming_a_few_it_does(tmp_path: Path) -> None:
    src = FIXTURES / "kitti_raw" / "2011_09_26"
    with pytest.raises(InputError) as err:
        preview(
            src, tmp_path / "out", items=["nope", "2011_09_26_drive_0001_sync/image_02/0000000000"]
        )
    message = str(err.value)
    assert message.startswith(f"{src}: no item with reference id 'nope'; its items include ")
    assert message.count("'2011_09_26_drive_0001_sync/") == 5
    assert not (tmp_path / "out").exists()


def test_reference_ids_become_safe_names_confined_to_the_folder(tmp_path: Path) -> None:
    refs = ["../../escape", "/abs/path", "a/b", "a_b", "contact_sheet", ".hidden", "", "x" * 400]
    items = [Item(ref, ImageMedia("s3://b/x.jpg", 40, 30)) for ref in refs]
    result = preview_dataset(Dataset.of(items), tmp_path / "out")
    names = [p.path.name for p in result.items]
    assert len(set(names)) == len(refs) and SHEET_NAME not in names
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    for path in result.files:
        assert path.parent == tmp_path / "out" and path.is_file()
        assert len(path.name) < 200 and not path.name.startswith(".")


def test_an_error_midway_leaves_nothing_and_an_existing_folder_needs_overwrite(
    tmp_path: Path, image_file: Callable[..., Path]
) -> None:
    good = image_item(image_file(), [Box(label="a", x=1, y=1, width=5, height=5)], ref="good")
    bad = image_item(tmp_path / "broken.png", [], ref="bad")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(InputError, match=r"broken\.png: cannot read image"):
        preview_dataset(Dataset.of([good, bad]), tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.png", "img.png"]
    preview_dataset(Dataset.of([good]), tmp_path / "out")
    with pytest.raises(DestinationError, match="exists and is not empty"):
        preview_dataset(Dataset.of([good]), tmp_path / "out")
    preview_dataset(Dataset.of([good]), tmp_path / "out", overwrite=True)


def test_a_dataset_already_read_is_refused(tmp_path: Path) -> None:
    dataset = Dataset.of([Item("a", None)])
    list(dataset.items)
    with pytest.raises(Exception, match="already read to the end"):
        preview_dataset(dataset, tmp_path / "out")


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_two_runs_in_two_processes_give_the_same_bytes(tmp_path: Path) -> None:
    code = (
        "import sys; from nucleus_convert.drawing import preview;preview(sys.argv[1], sys.argv[2])"
    )
    for i, seed in enumerate(("1", "2")):
        subprocess.run(
            [sys.executable, "-c", code, str(FIXTURES / "nucleus"), str(tmp_path / str(i))],
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        )
    assert _digests(tmp_path / "0") == _digests(tmp_path / "1")


def test_one_label_has_one_colour_in_every_item(tmp_path: Path) -> None:
    items = [
        Item(
            str(i),
            ImageMedia("s3://b/x.jpg", 400, 300),
            annotations=[Box(label=label, x=10 + 50 * i, y=50, width=40, height=100)],
        )
        for i, label in enumerate(["car", "bus", "car"])
    ]
    result = preview_dataset(Dataset.of(items), tmp_path / "out")
    colours = []
    for record, i in zip(result.items, range(3), strict=True):
        picture = read_png(record.path)
        colours.append(tuple(picture[100, 9 + 50 * i]))  # on the left edge (x = 10)
    assert colours[0] == colours[2] == label_colour("car") != colours[1]


def test_arguments_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="limit"):
        preview_dataset(Dataset.of([]), tmp_path / "out", limit=0)
    with pytest.raises(ValueError, match="max_size"):
        preview_dataset(Dataset.of([]), tmp_path / "out", max_size=10)
    result = preview_dataset(Dataset.of([]), tmp_path / "out")
    assert result.items == [] and result.sheet.is_file()
    assert np.asarray(read_png(result.sheet)).shape[0] > 10
