"""VOC input that would allocate gigabytes or escape as a traceback is refused while reading:
one error line naming file, line or record, exit 2, nothing written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import orjson
import pytest
from cli_runner import run_cli
from limits_checks import (
    ADVERSARIAL_INPUTS,
    BAD_IHDR,
    assert_refused,
    broken_chunk_png,
    one_colour_png,
    run_capped,
)
from paths import FIXTURES

REF = "2012_000001"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "VOC2012"
    shutil.copytree(FIXTURES / "voc" / "VOC2012", root)
    return root


def _convert(tree: Path, *extra: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
    dst = tree.parent / "out"
    return dst, run_cli("convert", str(tree), str(dst), "--from", "voc", "--to", "nucleus", *extra)


@pytest.mark.parametrize(
    ("png", "fragment"),
    # the image's own size (32x24): a PNG of another size is refused before it is decoded
    [(BAD_IHDR, "Truncated IHDR chunk"), (broken_chunk_png(8, 32, 24), "broken PNG file")],
    ids=["ValueError", "SyntaxError"],
)
def test_a_malformed_class_png_is_one_error_line(tree: Path, png: bytes, fragment: str) -> None:
    mask = tree / "SegmentationClass" / f"{REF}.png"
    mask.write_bytes(png)
    dst, result = _convert(tree)
    assert_refused(result, dst, f"{mask}: cannot read segmentation mask", fragment)


def test_the_fuzz_found_invalid_palette_png_is_one_error_line(tree: Path) -> None:
    found = ADVERSARIAL_INPUTS / "voc_segclass_invalid_palette_size.png"
    if not found.is_file():
        pytest.skip(f"{found} is not here")
    mask = tree / "SegmentationClass" / f"{REF}.png"
    shutil.copy(found, mask)
    dst, result = _convert(tree)
    assert_refused(result, dst, str(mask), "invalid palette size")


def test_a_13000_pixel_square_class_png_is_refused_small(tree: Path) -> None:
    mask = tree / "SegmentationClass" / f"{REF}.png"
    mask.write_bytes(one_colour_png(13000, 13000))
    dst = tree.parent / "out"
    result = run_capped("convert", str(tree), str(dst), "--from", "voc", "--to", "nucleus")
    assert_refused(result, dst, str(mask), "169000000 pixels, over the limit")


def test_max_pixels_is_a_voc_reader_option(tree: Path) -> None:
    dst, result = _convert(tree, "-r", "max_pixels=100")
    assert_refused(result, dst, "SegmentationClass", "over the limit of 100")


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [("1" * 300, "longer than 255 bytes"), ("a\x00b", "NUL byte")],
    ids=["too-long", "nul"],
)
def test_an_imagesets_id_that_cannot_name_a_file_names_the_list_and_line(
    tree: Path, ref: str, fragment: str
) -> None:
    listing = tree / "ImageSets" / "Segmentation" / "train.txt"
    with listing.open("a", encoding="utf-8") as fh:
        fh.write(ref + "\n")
    dst, result = _convert(tree)
    assert_refused(result, dst, f"{listing}:2: field 'image id'", fragment)


@pytest.mark.parametrize(
    "body", ["<a>\x00</a>", "<a><![CDATA[x</a>"], ids=["nul-char", "open-cdata"]
)
def test_a_multi_line_lxml_error_is_reduced_to_one_line(tree: Path, body: str) -> None:
    xml = tree / "Annotations" / f"{REF}.xml"
    xml.write_bytes(f"<annotation><filename>x.jpg</filename>{body}</annotation>".encode())
    dst, result = _convert(tree)
    assert_refused(result, dst, f"{xml}:1: malformed XML")


def test_xml_nested_deeper_than_the_limit_is_refused(tree: Path) -> None:
    xml = tree / "Annotations" / f"{REF}.xml"
    deep = "<x>" * 100 + "1" + "</x>" * 100
    xml.write_text(f"<annotation><filename>x.jpg</filename>{deep}</annotation>")
    dst, result = _convert(tree)
    assert_refused(result, dst, str(xml), "nest more than 64 levels")


def test_xml_integers_beyond_64_bits_are_kept_as_text(tree: Path) -> None:
    xml = tree / "Annotations" / f"{REF}.xml"
    text = xml.read_text()
    huge, digits = str(2**64), "7" * 5001
    xml.write_text(
        text.replace("</annotation>", f"<big>{huge}</big><long>{digits}</long></annotation>")
    )
    dst, result = _convert(tree)
    assert result.returncode == 0, result.stderr
    items = [orjson.loads(line) for line in (dst / "items.jsonl").read_bytes().splitlines()]
    metadata = next(i["metadata"] for i in items if i["reference_id"] == REF)
    assert metadata["big"] == huge and metadata["long"] == digits
