"""Crash classes the fuzz harness found, each kept as a regression test with its minimised
input inline: the input replaces one file of the reader's seed tree and is read in a child of
the fork server, as in a fuzz run. A class not fixed yet is a strict expected failure, and is
listed in ``EXCLUDED`` of tests/fuzz/test_short_run.py; when it is fixed, its test passes, the
strict xfail fails the suite, and both marks go."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from paths import FIXTURES

from fuzz.cases import Case, materialise
from fuzz.client import Server
from fuzz.outcome import Outcome
from fuzz.seeds import reader_named


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[tuple[str, ...], Server]]:
    started: dict[tuple[str, ...], Server] = {}
    yield started
    for server in started.values():
        server.close()


def _read(
    servers: dict[tuple[str, ...], Server],
    tmp_path: Path,
    reader: str,
    relpath: str,
    data: bytes,
    timeout: float = 10.0,
) -> Outcome:
    spec = reader_named(reader)
    seed = tmp_path / "seed"
    seed.mkdir()
    spec.build(seed)
    case = tmp_path / "case"
    materialise(seed, Case(relpath, data), case)
    server = servers.setdefault(spec.preload, Server(spec.preload))
    return server.run(
        case, spec.entry, spec.fmt, spec.options_for(case), timeout=timeout, memory=1 << 30
    )


def _no_crash(outcome: Outcome) -> None:
    assert not outcome.is_crash, outcome.describe()


def test_a_manifest_category_whose_name_is_an_object(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    outcome = _read(
        servers,
        tmp_path,
        "nucleus_bundle",
        "nucleus/manifest.json",
        b'{"categories":[{"name":{}}]}',
    )
    _no_crash(outcome)


def _png_with_size(png: bytes, width: int, height: int) -> bytes:
    """``png`` with its IHDR width and height replaced (CRC fixed): the fuzz mutation that
    found the class, kept as a function of the fixture so the input stays readable here."""
    ihdr = png[12:16] + struct.pack(">II", width, height) + png[24:29]
    return png[:8] + png[8:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


def test_a_kitti_instance_png_declaring_13000_rows_for_a_375_row_image(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # 28 s on the loaded 2-core machine before the fix (a sort of every pixel); the fuzz
    # run's limit is 10 s
    png = (FIXTURES / "kitti" / "object" / "training" / "instance" / "000000.png").read_bytes()
    outcome = _read(
        servers,
        tmp_path,
        "kitti",
        "object/training/instance/000000.png",
        _png_with_size(png, 1242, 13000),
    )
    _no_crash(outcome)


def test_a_kitti_image_png_cut_inside_its_ihdr_chunk(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    outcome = _read(
        servers,
        tmp_path,
        "kitti",
        "object/training/image_2/000000.png",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\nIHDR\x00\x04\xda\x00\x00\x01w\x08\x02\x8e",
    )
    _no_crash(outcome)


def test_a_ply_header_line_of_1100_characters(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    ply = (
        b"ply\nformat ascii 1.0\nobj_info " + b"o" * 1100 + b"\ncomment fuzz seed\n"
        b"element vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
        b"property float intensity\nend_header\n1.0 2.0 3.0 0.5\n4.0 5.0 6.0 0.25\n"
        b"-1.0 0.0 2.5 1"
    )
    _no_crash(_read(servers, tmp_path, "pointcloud_ply", "cloud.ply", ply))


def test_a_binary_ply_with_a_second_vertex_element_of_4294967295_empty_records(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # RPly walks 2**32 - 1 records of no bytes: 8 s in process on the loaded machine; a header
    # check refuses it at once (fixed), so 3 s is ample
    ply = (
        b"ply\nformat binary_little_endian 1.0\ncomment fuzz seed\nelement vertex 3\n"
        b"property float x\nproperty float y\nproperty float z\nproperty float intensity\n"
        b"element vertex 4294967295\nend_header\n"
        + struct.pack("<12f", 1, 2, 3, 0.5, 4, 5, 6, 0.25, -1, 0, 2.5, 1)
    )
    outcome = _read(servers, tmp_path, "pointcloud_ply_binary", "cloud_bin.ply", ply, timeout=3.0)
    _no_crash(outcome)


def test_a_kitti_instance_png_declaring_65535_rows_under_a_1_gib_cap(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # 1242 x 65535 16-bit pixels is under Pillow's bomb limit, but the reader's arrays pass 1 GiB
    png = (FIXTURES / "kitti" / "object" / "training" / "instance" / "000000.png").read_bytes()
    outcome = _read(
        servers,
        tmp_path,
        "kitti",
        "object/training/instance/000000.png",
        _png_with_size(png, 1242, 65535),
    )
    _no_crash(outcome)


def test_a_manifest_base_url_that_is_a_number(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    outcome = _read(servers, tmp_path, "nucleus_bundle", "nucleus/manifest.json", b'{"base_url":6}')
    _no_crash(outcome)


def test_a_single_jsonl_category_whose_reference_id_is_an_object(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    line = (
        b'{"label": "street", "type": "category", "geometry": {}, "reference_id": '
        b'{"\\u0000": 1, "": null, "id": -1}, "metadata": {"source": "manual"}, '
        b'"track_referencid":null,"task_id":null,"taxonomy_name":"conditions"}'
    )
    _no_crash(_read(servers, tmp_path, "nucleus_jsonl", "payloads.jsonl", line))


def test_a_panoptic_png_declaring_8388614_rows_for_a_6_row_image(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # 8 x 8388614 RGB pixels is under Pillow's bomb limit, but decoding it and its segment
    # ids passed the 1 GiB cap; the image's declared 8 x 6 is now checked from the PNG header
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x08\x00\x80\x00\x06\x08\x02\x00\x00"
        b'\x00"\\\xcdv\x00\x00\x00\x1fIDATx\x9cc`\xc0\x01\x18\x19\x18\x18Xa\x9c\xdfH\x12L\xf8t'
        b"`\xe5\xe1\xd4\x81S\x02\x00s&\x01\n"
    )
    outcome = _read(servers, tmp_path, "coco_panoptic", "panoptic/b.png", png)
    _no_crash(outcome)
    assert outcome.status == "error" and "is 8x8388614 pixels but the image is 8x6" in (
        outcome.message or ""
    )


def test_a_yolo_yaml_whose_extra_key_names_the_root_folder(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # 'abc path: /' (a mutated 'path:' line) was taken for a subset folder: the reader walked
    # the whole file system past the 10 s limit
    yaml = (
        b"# A tiny Ultralytics segmentation dataset (tests/data/make_fixtures.py)\n"
        b"abc path: /\ntrain: images/train\nnc: 2\n"
    )
    _no_crash(_read(servers, tmp_path, "yolo_segment", "segment/data.yaml", yaml, timeout=5.0))


def test_a_voc_object_png_declaring_1310730_rows(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # Found on the corpus VOC seeds: a 78-byte RGB PNG of 20 x 1,310,730 pixels; its colour
    # lookup passed the 1 GiB cap. Now refused from its header: the image is 32 x 24.
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x14\x00\x14\x00\n\x08\x02\x00\x00"
        b"\x00\xc3\xc6\xd6`\x00\x00\x00%IDAT(\x15\x9d\xc1\x01\x01\x00\x00\x00\x82 }\xee\xf4>"
        b"\x04\xc6\xcf\xf8\x19?\xe3g\xfc\x8c\x9f\xf13~\xc6\xcf\xf8\r\x98W\x05\x0b"
    )
    outcome = _read(servers, tmp_path, "voc", "VOC2012/SegmentationObject/2012_000001.png", png)
    _no_crash(outcome)
    assert outcome.status == "error" and "is 20x1310730 pixels but the image is" in (
        outcome.message or ""
    )


def test_a_png_whose_idat_chunk_declares_two_gib_in_a_43_byte_file(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # Found on the corpus VOC seeds: Pillow allocates a chunk's declared length before it
    # reads it, past the 1 GiB cap; now the chunk headers are checked against the file first
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x14\x00\x00\x00\n\x08\x02\x00\x00"
        b"\x00;7\xe9\xb1\x80\x00\x00%IDAT\x00\x00"
    )
    outcome = _read(servers, tmp_path, "voc", "VOC2012/SegmentationObject/2012_000001.png", png)
    _no_crash(outcome)
    assert outcome.status == "error" and "PNG chunk 'IDAT' at byte 33 declares" in (
        outcome.message or ""
    )


def test_a_panoptic_png_file_name_that_is_a_nul_byte(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # Found when the PNG chunk check ran outside open_image's error handling: a NUL in the
    # path is a ValueError from open(), as it is from Pillow
    data = (
        b'{"images":[{"id":1,"file_name":"g"}],"annotations":[{"image_id":1,'
        b'"file_name":"\\u0000", "segments_info": []}]}'
    )
    outcome = _read(servers, tmp_path, "coco_panoptic", "panoptic.json", data)
    _no_crash(outcome)
    assert outcome.status == "error"


def test_a_point_cloud_coordinate_nested_1000_lists_deep(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # Found in the final re-run: the error message's repr of the value hit Python's recursion
    # limit (orjson parses up to 1,024 levels); messages now use errors.brief
    deep = b"[" * 1000 + b"1" + b"]" * 1000
    cloud = b'{"points": [{"x": 1.0, "y": ' + deep + b', "z": 1.0}]}'
    outcome = _read(
        servers, tmp_path, "nucleus_bundle", "nucleus/pointclouds/scene-000_lidar_01.json", cloud
    )
    _no_crash(outcome)
    assert outcome.status == "error" and "[[[[[...]]]]]" in (outcome.message or "")


def test_a_voc_list_entry_that_fits_a_file_name_only_without_its_suffix(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # Found in the final re-run: a 252-byte id passed the 255-byte name check, then
    # <id>.png was too long for the file system (an OSError from Path.is_file)
    listing = b"a" * 252 + b"\n"
    outcome = _read(servers, tmp_path, "voc", "VOC2012/ImageSets/Segmentation/train.txt", listing)
    _no_crash(outcome)
    assert outcome.status == "error" and "cannot name a file" in (outcome.message or "")


def _nuscenes_table(name: str, edit: object) -> bytes:
    """The fixture's ``name`` table with its first record changed by ``edit``."""
    import orjson

    path = FIXTURES / "nuscenes" / "v1.0-mini-like" / "v1.0-mini" / f"{name}.json"
    rows = orjson.loads(path.read_bytes())
    edit(rows[0])  # type: ignore[operator]
    return orjson.dumps(rows)


def test_a_labelme_image_path_longer_than_a_file_name(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # Found on the new readers' first long run: Path.is_file raised ENAMETOOLONG
    doc = (FIXTURES / "labelme" / "empty image.json").read_text(encoding="utf-8")
    long = doc.replace('"imagePath": "empty image.png"', '"imagePath": "' + "x" * 400 + '.png"')
    assert long != doc
    outcome = _read(servers, tmp_path, "labelme", "labelme/empty image.json", long.encode())
    _no_crash(outcome)
    assert outcome.status == "error" and "cannot name an image file" in (outcome.message or "")


def test_a_nuscenes_box_rotation_whose_norm_overflows(
    servers: dict[tuple[str, ...], Server], tmp_path: Path
) -> None:
    # Found on the new readers' first long run: [w, x, 1e308, z] passed the finite check and
    # its squared norm overflowed inside the rotation matrix (a ValueError)
    table = _nuscenes_table("sample_annotation", lambda r: r.update(rotation=[97, 0, 1e308, 75]))
    path = "v1.0-mini-like/v1.0-mini/sample_annotation.json"
    outcome = _read(servers, tmp_path, "nuscenes", path, table)
    _no_crash(outcome)
    assert outcome.status == "error" and "rotation quaternion" in (outcome.message or "")


@pytest.mark.parametrize(
    ("filename", "reason"),
    [
        (".", "names a folder, not a file"),
        ("", "the name is empty"),
        ("../../outside.pcd.bin", "climbs out of its folder"),
        ("/abs/scan.pcd.bin", "is an absolute path"),
    ],
)
def test_a_nuscenes_sample_data_file_name_that_names_no_file_under_the_dataroot(
    servers: dict[tuple[str, ...], Server], tmp_path: Path, filename: str, reason: str
) -> None:
    # Found on the new readers' first long run: "." has no name (a ValueError from pathlib)
    table = _nuscenes_table("sample_data", lambda r: r.update(filename=filename))
    outcome = _read(
        servers, tmp_path, "nuscenes", "v1.0-mini-like/v1.0-mini/sample_data.json", table
    )
    _no_crash(outcome)
    assert outcome.status == "error" and reason in (outcome.message or ""), outcome.describe()


@pytest.mark.parametrize("tail", [b"", b"]" * 3000 + b"}"])
def test_a_coco_file_nested_past_msgspecs_limit(
    servers: dict[tuple[str, ...], Server], tmp_path: Path, tail: bytes
) -> None:
    # Found by the all-readers run at the end of the stop that added the new formats: the
    # typed decoder (msgspec) raised RecursionError on deep nesting, before the dict path
    # could give its located error (a truncated file, or one nested too deep to carry)
    data = b'{"info": ' + b"[" * 3000 + tail
    outcome = _read(servers, tmp_path, "coco_instances", "instances_demo.json", data)
    _no_crash(outcome)
    assert outcome.status == "error", outcome.describe()
