"""VOC trees from the corpus (datumaro's assets) and the bundled fixture: VOC → Nucleus → VOC.

The comparison is made against the source files themselves, read here independently of the
converter: boxes (the integers in the XML), attributes, parts and actions from lxml, pixels of
the segmentation PNGs decoded with Pillow and the devkit colour table, and the text of every
ImageSets list. Every Nucleus payload on the way passes the official client's judge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from judge import judge_bundle
from lxml import etree
from paths import CORPUS, FIXTURES
from PIL import Image

import nucleus_convert as nc
from nucleus_convert.roundtrip import compare

VOC_CORPUS = CORPUS / "datumaro" / "voc_dataset"
FIXTURE = FIXTURES / "voc" / "VOC2012"

# The devkit's published colours (VOClabelcolormap.m) for the indices these trees use.
DEVKIT_COLOURS = {
    (0, 0, 0): 0,
    (128, 0, 0): 1,
    (0, 128, 0): 2,
    (128, 128, 0): 3,
    (0, 0, 128): 4,
    (128, 0, 128): 5,
    (0, 128, 128): 6,
    (128, 128, 128): 7,
    (64, 0, 0): 8,
    (192, 0, 0): 9,
    (64, 128, 0): 10,
    (192, 128, 0): 11,
    (64, 0, 128): 12,
    (192, 0, 128): 13,
    (64, 128, 128): 14,
    (192, 128, 128): 15,
    (0, 64, 0): 16,
    (128, 64, 0): 17,
    (0, 192, 0): 18,
    (128, 192, 0): 19,
    (0, 64, 128): 20,
    (224, 224, 192): 255,
}


def _trees() -> list[Any]:
    out: list[Any] = [pytest.param(FIXTURE, id="fixture")]
    for name in ("voc_dataset1", "voc_dataset2", "voc_dataset3"):
        path = VOC_CORPUS / name
        marks = [] if path.is_dir() else [pytest.mark.skip(reason=f"corpus not present: {path}")]
        out.append(pytest.param(path, id=name, marks=marks))
    return out


def _objects(xml: Path) -> list[dict[str, Any]]:
    """Each object's fields straight from the XML text (with the devkit's defaults)."""
    root = etree.parse(str(xml)).getroot()
    out = []
    for obj in root.iter("object"):
        rec: dict[str, Any] = {"pose": "Unspecified", "truncated": "0", "difficult": "0"}
        for child in obj:
            if child.tag == "bndbox":
                rec["bndbox"] = [float(child.findtext(k) or "nan") for k in _CORNERS]
            elif child.tag == "part":
                rec.setdefault("parts", []).append(
                    (
                        child.findtext("name"),
                        [float(child.find("bndbox").findtext(k) or "nan") for k in _CORNERS],  # type: ignore[union-attr]
                    )
                )
            elif child.tag == "actions":
                rec["actions"] = {a.tag: (a.text or "").strip() for a in child}
            elif child.tag == "attributes":
                for a in child:
                    rec[a.findtext("name")] = (a.findtext("value") or "").strip()
            else:
                rec[child.tag] = (child.text or "").strip()
        out.append(rec)
    return out


_CORNERS = ("xmin", "ymin", "xmax", "ymax")


def _indices(png: Path) -> np.ndarray[Any, Any]:
    with Image.open(png) as im:
        if im.mode == "P":
            return np.asarray(im)
        rgb = np.asarray(im.convert("RGB")).reshape(-1, 3)
    return np.array([DEVKIT_COLOURS[tuple(int(v) for v in p)] for p in rgb], np.uint8).reshape(
        im.size[1], im.size[0]
    )


def _lists(root: Path) -> dict[str, list[str]]:
    out = {}
    for path in sorted((root / "ImageSets").rglob("*.txt")):
        lines = [ln.strip() for ln in path.read_text().splitlines()]
        out[str(path.relative_to(root))] = [ln for ln in lines if ln and not ln.startswith("#")]
    return out


@pytest.fixture(params=_trees())
def round_trip(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path, Path]:
    src: Path = request.param
    bundle = tmp_path / "bundle"
    back = tmp_path / "back"
    nc.convert(src, bundle, from_="voc", to="nucleus")
    nc.convert(bundle, back, from_="nucleus", to="voc")
    return src, bundle, back


def test_nucleus_payloads_from_voc_pass_the_official_client(
    round_trip: tuple[Path, Path, Path],
) -> None:
    src, bundle, _ = round_trip
    counts = judge_bundle(bundle)
    assert counts["items"] == len(list(nc.read(src, "voc").items))


def test_voc_objects_parts_actions_and_attributes_come_back_to_the_integer(
    round_trip: tuple[Path, Path, Path],
) -> None:
    src, _, back = round_trip
    xmls = sorted((src / "Annotations").glob("*.xml"))
    assert xmls
    for xml in xmls:
        assert _objects(back / "Annotations" / xml.name) == _objects(xml), xml.name


def test_voc_segmentation_pixels_come_back_identical(round_trip: tuple[Path, Path, Path]) -> None:
    src, _, back = round_trip
    pngs = sorted(src.glob("Segmentation*/*.png"))
    for png in pngs:
        out = back / png.parent.name / png.name
        assert out.is_file(), out
        np.testing.assert_array_equal(_indices(out), _indices(png), err_msg=str(png))
    written = sorted(p.relative_to(back) for p in back.glob("Segmentation*/*.png"))
    assert written == sorted(p.relative_to(src) for p in pngs)


def test_voc_imagesets_come_back_line_for_line(round_trip: tuple[Path, Path, Path]) -> None:
    src, _, back = round_trip
    assert _lists(back) == _lists(src)


def test_voc_model_is_unchanged_through_nucleus(round_trip: tuple[Path, Path, Path]) -> None:
    src, _, back = round_trip
    report = compare(nc.read(src, "voc"), nc.read(back, "voc"), tolerance=0.0)
    assert not report.lossy_entries(), report.to_json()


def test_voc_to_voc_directly_keeps_everything(tmp_path: Path) -> None:
    for src in [FIXTURE, *sorted(VOC_CORPUS.glob("voc_dataset*"))]:
        out = tmp_path / src.name
        result = nc.convert(src, out, from_="voc", to="voc")
        assert not result.report.lossy_entries() or all(
            e.field == "media.size" for e in result.report.lossy_entries()
        ), result.report.to_json()
        report = compare(nc.read(src, "voc"), nc.read(out, "voc"), tolerance=0.0)
        assert not report.lossy_entries(), (src, report.to_json())
        assert _lists(out) == _lists(src)
