"""The ``labelstudio`` format passes the conformance kit, round-trips through Nucleus, and is
detected from its files alone."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from cli_runner import run_cli
from paths import CORPUS, FIXTURES, ROOT

from nucleus_convert.converters.labelstudio import detect
from nucleus_convert.plugins import get_registry
from nucleus_convert.testing import CHECKS, check_format

LABELSTUDIO = FIXTURES / "labelstudio"
DATA = ROOT / "tests" / "data" / "labelstudio"


def test_the_fixture_passes_every_check_of_the_kit(tmp_path: Path) -> None:
    report = check_format(
        "labelstudio",
        [LABELSTUDIO / "tasks.json"],
        workdir=tmp_path / "kit",
        distribution="nucleus-convert",
    )
    assert report.passed, str(report)
    assert [c.name for c in report.checks] == list(CHECKS)


@pytest.mark.parametrize("name", ["tasks.json", "tasks_min.json"])
def test_roundtrip_through_nucleus_is_clean(name: str) -> None:
    proc = run_cli("roundtrip", str(LABELSTUDIO / name), "--via", "nucleus")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "round trip OK: nothing lost that both formats can carry"
    data = orjson.loads(
        run_cli("roundtrip", str(LABELSTUDIO / name), "--via", "nucleus", "--json").stdout
    )
    assert data["ok"] is True and data["unexpected"] == []
    kept = {(r["kind"], r["field"]): r["kept"] for r in data["report"]}
    if name == "tasks.json":
        assert kept[("box", "x")] == 6 and kept[("polygon", "points")] == 3
        assert kept[("keypoints", "points.visibility")] == 2 and kept[("category", "label")] == 2


def _others() -> list[Path]:
    roots = [FIXTURES, CORPUS, ROOT / "tests" / "data"]
    return sorted(
        p
        for root in roots
        if root.is_dir()
        for p in root.rglob("*")
        if "labelstudio" not in p.parts
    )


@pytest.mark.parametrize(
    "path",
    [LABELSTUDIO / "tasks.json", LABELSTUDIO / "tasks_min.json", *sorted(DATA.glob("converter_*"))],
    ids=lambda p: p.name,
)
def test_label_studio_files_are_detected_as_labelstudio_only(path: Path) -> None:
    assert get_registry().detect(path).name == "labelstudio"


def test_no_other_fixture_or_corpus_file_is_taken_for_label_studio() -> None:
    others = _others()
    assert any(p.suffix == ".json" for p in others)
    assert [p for p in others if detect(p)] == []


@pytest.mark.parametrize(
    "content",
    [
        b'{"images": [], "annotations": [], "data": {}}',  # a COCO dataset object
        b'[{"image_id": 1, "score": 0.5, "annotations": [], "data": {}}]',  # COCO results
        b'[{"reference_id": "a", "type": "box", "annotations": [], "data": {}}]',  # Nucleus
        b"not json at all",
        b"\xff\xfe\x00",
        b"",
    ],
)
def test_detect_refuses_other_json_without_raising(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    assert detect(path) is False


def test_detect_refuses_folders_other_suffixes_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "tasks.txt").write_bytes((LABELSTUDIO / "tasks.json").read_bytes())
    assert not detect(tmp_path)
    assert not detect(tmp_path / "tasks.txt")
    assert not detect(tmp_path / "missing.json")
    assert not detect(Path("\0bad.json"))
