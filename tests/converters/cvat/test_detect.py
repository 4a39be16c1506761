"""nucleus_convert/converters/cvat/__init__.py: ``detect`` claims CVAT XML files and export
folders, never VOC annotation XML or KITTI tracklets, and never raises.

Pascal VOC's ``detect`` looks for ``<annotation`` in a file's first 4 KiB, which CVAT's root
``<annotations>`` also holds: until it checks the whole tag name, a CVAT file is claimed by
both, and the tests of that are marked as expected failures naming the cause.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import CORPUS, FIXTURES

import nucleus_convert as nc
from nucleus_convert.converters.cvat import detect

CVAT_FILES = [
    FIXTURES / "cvat" / "images_task.xml",
    FIXTURES / "cvat" / "video_task.xml",
    *sorted((Path(__file__).parents[2] / "data" / "cvat").rglob("*.xml")),
]


def _claims(path: Path) -> list[str]:
    return [f.name for f in nc.plugins.get_registry() if f.detect is not None and f.detect(path)]


@pytest.mark.parametrize("path", CVAT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cvat_files_are_detected_as_cvat(path: Path) -> None:
    assert detect(path)


@pytest.mark.parametrize("path", CVAT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cvat_files_are_detected_as_cvat_only(path: Path) -> None:
    assert _claims(path) == ["cvat"]


def test_an_export_folder_is_detected_by_its_annotations_xml(tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_bytes((FIXTURES / "cvat" / "video_task.xml").read_bytes())
    assert detect(tmp_path)
    assert not detect(tmp_path / "missing")


def test_voc_and_kitti_tracklet_xml_are_not_claimed() -> None:
    voc = sorted((FIXTURES / "voc" / "VOC2012" / "Annotations").glob("*.xml"))
    tracklets = sorted((FIXTURES / "kitti_raw").rglob("tracklet_labels.xml"))
    assert voc and tracklets
    for path in [*voc, *tracklets, FIXTURES / "voc" / "VOC2012", FIXTURES / "kitti_raw"]:
        assert not detect(path), path
    corpus_voc = CORPUS / "datumaro" / "voc_dataset"
    for path in sorted(corpus_voc.rglob("*.xml"))[:20] if corpus_voc.is_dir() else []:
        assert not detect(path), path


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe\x00garbage",
        b"<annotation><object/></annotation>",
        b'<annotations xmlns="x"><annotation/></annotations>',
        b"<boost_serialization><annotations><version>1</version></annotations>",
        b"<annotations/>",  # nothing says CVAT
        b"<annotationsX><version>1.1</version></annotationsX>",
    ],
)
def test_other_xml_is_not_claimed_and_nothing_raises(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(content)
    assert not detect(path)


def test_a_cvat_file_without_the_xml_suffix_is_not_claimed(tmp_path: Path) -> None:
    path = tmp_path / "annotations.txt"
    path.write_bytes((FIXTURES / "cvat" / "images_task.xml").read_bytes())
    assert not detect(path)
