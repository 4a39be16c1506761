"""Bundles the official client uploads as they are (issue 17, part 4): annotation ids its
duplicate check accepts, scene lines ``LidarScene.from_json`` reads whatever the image suffix,
URL schemes it takes, prediction confidences in [0, 1]."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from judge import lines, nucleus
from paths import ROOT

import nucleus_convert as nc
from nucleus_convert.errors import OutputError
from nucleus_convert.model import (
    Box,
    Cuboid,
    Dataset,
    Frame,
    Header,
    ImageMedia,
    Item,
    MaskRef,
    PointCloudMedia,
    Polygon,
    Polyline,
    Scene,
    Segment,
    Segmentation,
)

SQUARE = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0)]


def _dataset(items: list[Item], scenes: list[Scene] | None = None) -> Dataset:
    return Dataset(header=Header(), items=iter(items), scenes=scenes or [])


def _image(ref: str, *annotations: object) -> Item:
    return Item(
        reference_id=ref,
        media=ImageMedia(path=f"s3://b/{ref}.jpg", width=10, height=10),
        annotations=list(annotations),  # type: ignore[arg-type]
    )


def _client_accepts(bundle: Path) -> None:
    """The client's own duplicate checks (annotate() / upload_predictions()) pass."""
    from nucleus import prediction as nucleus_prediction
    from nucleus.annotation import Annotation as NucleusAnnotation
    from nucleus.annotation_uploader import AnnotationUploader, PredictionUploader

    anns = [NucleusAnnotation.from_json(p) for p in lines(bundle / "annotations.jsonl")]
    AnnotationUploader("ds_1", None).check_for_duplicate_ids(anns)
    preds = [nucleus_prediction.from_json(p) for p in lines(bundle / "predictions.jsonl")]
    PredictionUploader(None, dataset_id="ds_1", model_id="m").check_for_duplicate_ids(preds)


def test_repeated_source_id_is_an_error_naming_both_records(tmp_path: Path) -> None:
    item = _image(
        "a",
        Box(label="c", id="7", x=1, y=1, width=2, height=2),
        Box(label="c", id="7", x=5, y=5, width=2, height=2),
    )
    with pytest.raises(OutputError) as info:
        nc.write(_dataset([item]), tmp_path / "out", "nucleus")
    message = str(info.value)
    assert message.startswith("item 'a', box '7': annotation id '7' repeats")
    assert "this box (annotation 2 of the item) and an earlier box" in message
    assert "\n" not in message
    assert not (tmp_path / "out").exists()


def test_the_client_refuses_what_the_error_prevents(tmp_path: Path) -> None:
    from nucleus.annotation_uploader import AnnotationUploader
    from nucleus.errors import DuplicateIDError

    boxes = [nucleus.BoxAnnotation("c", i, i, 2, 2, "a", annotation_id="7") for i in (1, 5)]
    with pytest.raises(DuplicateIDError):
        AnnotationUploader("ds_1", None).check_for_duplicate_ids(boxes)


def test_rename_makes_ids_unique_reports_them_and_the_client_accepts(tmp_path: Path) -> None:
    items = [
        _image(
            "a",
            Box(label="c", id="7", x=1, y=1, width=2, height=2),
            Box(label="c", id="7", x=5, y=5, width=2, height=2),
            Polygon(label="c", points=SQUARE),
            Polyline(label="c", points=SQUARE[:2]),
            Box(label="c", id="7", x=1, y=1, width=2, height=2, score=0.5, prediction=True),
            Box(label="c", id="7", x=1, y=1, width=2, height=2, score=0.5, prediction=True),
        ),
        _image("b", Box(label="c", id="7", x=3, y=3, width=2, height=2)),
    ]
    result = nc.write(_dataset(items), tmp_path / "out", "nucleus", duplicate_ids="rename")
    ids = [
        (p["reference_id"], p["annotation_id"]) for p in lines(result.path / "annotations.jsonl")
    ]
    assert ids == [("a", "7"), ("a", "7-2"), ("a", None), ("a", "polyline-4"), ("b", "7")]
    pred_ids = [p["annotation_id"] for p in lines(result.path / "predictions.jsonl")]
    assert pred_ids == ["7", "7-2"]
    assert result.report.entries[("box", "id")].count("approximated") == 2
    assert result.report.entries[("polyline", "id")].count("approximated") == 1
    _client_accepts(result.path)


def test_identical_boxes_without_ids_get_unique_client_ids(tmp_path: Path) -> None:
    box = Box(label="c", x=1, y=1, width=2, height=2)
    result = nc.write(
        _dataset([_image("a", box, Box(label="c", x=1, y=1, width=2, height=2))]),
        tmp_path / "out",
        "nucleus",
    )
    ids = [p["annotation_id"] for p in lines(result.path / "annotations.jsonl")]
    assert ids == ["c-1-1-2-2-a", "c-1-1-2-2-a-2"]
    _client_accepts(result.path)


def test_second_id_less_annotation_gets_an_id_by_default_and_the_client_accepts(
    tmp_path: Path,
) -> None:
    item = _image(
        "a",
        Polygon(label="c", points=SQUARE),
        Polyline(label="c", points=SQUARE[:2]),
        Polygon(label="c", points=SQUARE),
    )
    result = nc.write(_dataset([item]), tmp_path / "out", "nucleus")
    ids = [p["annotation_id"] for p in lines(result.path / "annotations.jsonl")]
    assert ids == [None, "polyline-2", "polygon-3"]
    assert result.report.entries[("polyline", "id")].count("approximated") == 1
    assert result.report.entries[("polygon", "id")].count("approximated") == 1
    assert not any(e.count("not_uploadable") for e in result.report)
    _client_accepts(result.path)


@pytest.mark.parametrize("source", ["nucleus", "every_kind"])
def test_default_bundles_pass_the_clients_duplicate_check(tmp_path: Path, source: str) -> None:
    from every_kind import every_kind_dataset
    from paths import FIXTURES

    dataset = nc.read(FIXTURES / "nucleus") if source == "nucleus" else every_kind_dataset()
    result = nc.write(dataset, tmp_path / "out", "nucleus")
    _client_accepts(result.path)


def test_every_kind_bundle_passes_the_clients_duplicate_check_with_rename(
    tmp_path: Path,
) -> None:
    from every_kind import every_kind_dataset

    result = nc.write(
        every_kind_dataset().stream(), tmp_path / "out", "nucleus", duplicate_ids="rename"
    )
    _client_accepts(result.path)


def test_adversarial_duplicate_ids_script_now_exits_2(tmp_path: Path) -> None:
    script = ROOT.parent / "shared" / "adversarial" / "19_duplicate_annotation_ids.sh"
    if not script.exists():
        pytest.skip(f"{script} is not there")
    src = tmp_path / "c.json"
    src.write_text(
        '{"images":[{"id":1,"file_name":"a.jpg","width":10,"height":10},'
        '{"id":2,"file_name":"b.jpg","width":10,"height":10}],'
        '"categories":[{"id":1,"name":"cat"}],'
        '"annotations":[{"id":7,"image_id":1,"category_id":1,"bbox":[1,1,2,2]},'
        '{"id":7,"image_id":2,"category_id":1,"bbox":[3,3,2,2]},'
        '{"id":7,"image_id":1,"category_id":1,"bbox":[5,5,2,2]}]}'
    )
    cmd = [sys.executable, "-m", "nucleus_convert.cli", "convert", str(src)]
    proc = subprocess.run(
        [*cmd, str(tmp_path / "o"), "--to", "nucleus"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2 and "annotation id '7' repeats" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [*cmd, str(tmp_path / "o2"), "--to", "nucleus", "-w", "duplicate_ids=rename"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    _client_accepts(tmp_path / "o2")


@pytest.mark.parametrize("suffix", [".jpeg", ".JPG", ".PNG", ".webp"])
def test_scene_line_with_any_image_suffix_is_read_by_lidar_scene_from_json(
    tmp_path: Path, suffix: str
) -> None:
    cloud = Item(
        reference_id="p",
        media=PointCloudMedia(points=np.zeros((2, 4), np.float32)),
        annotations=[Cuboid(label="car", position=(0, 0, 0), dimensions=(1, 1, 1), yaw=0.0)],
    )
    cam = Item(reference_id="c", media=ImageMedia(path=f"s3://b/cam{suffix}"))
    scene = Scene(reference_id="s", frames=[Frame({"lidar": "p", "cam": "c"})])
    result = nc.write(_dataset([cloud, cam], [scene]), tmp_path / "out", "nucleus")
    (line,) = lines(result.path / "scenes.jsonl")
    parsed = nucleus.LidarScene.from_json(line)
    (frame,) = parsed.get_frames()
    assert frame.items["cam"].image_location == f"s3://b/cam{suffix}"
    assert frame.items["cam"].to_payload(is_scene=True)["type"] == "image"
    assert result.report.entries[("item", "media")].count("approximated") == 1
    back = {i.reference_id: i for i in nc.read(result.path).items}
    assert back["c"].media == ImageMedia(path=f"s3://b/cam{suffix}")


def test_scene_line_with_jpg_suffix_keeps_the_url_key(tmp_path: Path) -> None:
    cloud = Item(reference_id="p", media=PointCloudMedia(points=np.zeros((2, 4), np.float32)))
    cam = Item(reference_id="c", media=ImageMedia(path="s3://b/cam.jpg"))
    scene = Scene(reference_id="s", frames=[Frame({"lidar": "p", "cam": "c"})])
    result = nc.write(_dataset([cloud, cam], [scene]), tmp_path / "out", "nucleus")
    (line,) = lines(result.path / "scenes.jsonl")
    assert line["frames"][0]["cam"]["url"] == "s3://b/cam.jpg"
    assert ("item", "media") not in result.report.entries


@pytest.mark.parametrize("url", ["file:///dev/zero", "ftp://h/a.jpg", "gcs://b/a.jpg"])
def test_image_url_of_a_scheme_the_client_does_not_take_is_refused(
    tmp_path: Path, url: str
) -> None:
    item = Item(reference_id="a", media=ImageMedia(path=url))
    with pytest.raises(OutputError, match=r"item 'a': media: .* URL scheme"):
        nc.write(_dataset([item]), tmp_path / "out", "nucleus")


@pytest.mark.parametrize("url", ["https://h/a.jpg", "s3://b/a.jpg", "gs://b/a.jpg"])
def test_client_urls_are_written_as_they_are(tmp_path: Path, url: str) -> None:
    result = nc.write(
        _dataset([Item(reference_id="a", media=ImageMedia(path=url))]), tmp_path / "out", "nucleus"
    )
    assert lines(result.path / "items.jsonl")[0]["image_url"] == url


@pytest.mark.parametrize("score", [1.5, -0.1])
def test_prediction_confidence_outside_0_1_is_an_error_naming_the_record(
    tmp_path: Path, score: float
) -> None:
    pred = Box(label="c", id="p1", x=1, y=1, width=2, height=2, score=score, prediction=True)
    with pytest.raises(OutputError, match=r"item 'a', box 'p1': score .* not a confidence"):
        nc.write(_dataset([_image("a", pred)]), tmp_path / "out", "nucleus")


@pytest.mark.parametrize("score", [0.0, 1.0, 0.25])
def test_prediction_confidence_in_0_1_is_written(tmp_path: Path, score: float) -> None:
    pred = Box(label="c", id="p1", x=1, y=1, width=2, height=2, score=score, prediction=True)
    result = nc.write(_dataset([_image("a", pred)]), tmp_path / "out", "nucleus")
    assert lines(result.path / "predictions.jsonl")[0]["confidence"] == score


def test_one_id_shared_by_two_kinds_gets_a_kind_suffix_on_the_later(tmp_path: Path) -> None:
    item = _image(
        "a",
        Box(label="c", id="7", x=1, y=1, width=2, height=2),
        Polygon(label="c", id="7", points=SQUARE),
    )
    result = nc.write(_dataset([item]), tmp_path / "out", "nucleus")
    ids = [p["annotation_id"] for p in lines(result.path / "annotations.jsonl")]
    assert ids == ["7", "7-polygon"]
    assert result.report.entries[("polygon", "id")].count("approximated") == 1
    _client_accepts(result.path)


def test_what_nucleus_will_not_take_is_written_apart_and_read_back(tmp_path: Path) -> None:
    # A cuboid on an image and a second segmentation of an item: reported, written to the
    # not_uploadable files (ids unchanged, outside the id check), read back on their items.
    cuboid = Cuboid(label="car", id="7", position=(0, 0, 0), dimensions=(1, 1, 1), yaw=0.0)
    masks = [
        Segmentation(
            id=f"s{i}", mask=MaskRef(array=np.ones((10, 10), np.uint8)), segments=[Segment(1, "c")]
        )
        for i in (1, 2)
    ]
    item = _image("a", Box(label="c", id="7", x=1, y=1, width=2, height=2), cuboid, *masks)
    result = nc.write(_dataset([item]), tmp_path / "out", "nucleus")
    ids = [p["annotation_id"] for p in lines(result.path / "annotations.jsonl")]
    assert ids == ["7", "s1"] and ("cuboid", "id") not in result.report.entries
    apart = lines(result.path / "not_uploadable_annotations.jsonl")
    assert [(p["type"], p["annotation_id"]) for p in apart] == [
        ("cuboid", "7"),
        ("mask", "s2"),
    ]
    assert result.report.entries[("cuboid", "*")].count("not_uploadable") == 1
    assert result.report.entries[("segmentation", "*")].count("not_uploadable") == 1
    _client_accepts(result.path)
    (back,) = nc.read(result.path).items
    assert [(a.kind, a.id) for a in back.annotations] == [
        ("box", "7"),
        ("segmentation", "s1"),
        ("cuboid", "7"),
        ("segmentation", "s2"),
    ]
