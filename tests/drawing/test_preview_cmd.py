"""``nucleus-convert preview`` as a user runs it: a summary line, notes, JSON, clean errors."""

from __future__ import annotations

from pathlib import Path

import orjson
from cli_runner import run_cli
from paths import FIXTURES


def test_preview_writes_a_png_per_item_and_a_contact_sheet(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("preview", str(FIXTURES / "voc"), str(out))
    assert proc.returncode == 0, proc.stderr
    [line] = proc.stdout.splitlines()
    assert line.startswith(f"wrote {out}: 3 previews and contact_sheet.png in ")
    assert proc.stderr == ""
    assert sorted(p.name for p in out.iterdir()) == [
        "2012_000001.png",
        "2012_000002.png",
        "2012_000003.png",
        "contact_sheet.png",
    ]


def test_items_whose_image_is_not_here_are_noted_one_line_each(tmp_path: Path) -> None:
    proc = run_cli("preview", str(FIXTURES / "nucleus"), str(tmp_path / "out"), "--limit", "2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "note: img_000: image s3://example-bucket/images/img_000.jpg is not a local file: "
        "drawn on a blank 64x48 canvas",
        "note: img_001: image s3://example-bucket/images/img_001.jpg is not a local file: "
        "drawn on a blank 64x48 canvas",
    ]
    assert "2 previews and contact_sheet.png (2 with notes)" in proc.stdout


def test_json_lists_each_items_file_view_and_notes(tmp_path: Path) -> None:
    src = FIXTURES / "kitti" / "object" / "training" / "velodyne"
    out = tmp_path / "out"
    proc = run_cli("preview", str(src), str(out), "--from", "pointcloud", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = orjson.loads(proc.stdout)
    assert summary["format"] == "pointcloud" and summary["counts"] == {"items": 2, "notes": 0}
    assert summary["items"][0] == {
        "reference_id": "000000",
        "file": str(out / "000000.png"),
        "view": "bev",
        "notes": [],
    }
    assert summary["sheet"] == str(out / "contact_sheet.png")
    assert summary["timings"]["seconds"] > 0


def test_items_selects_reference_ids_and_an_unknown_one_is_a_one_line_error(
    tmp_path: Path,
) -> None:
    src = FIXTURES / "kitti" / "object"
    ok = run_cli(
        "preview",
        str(src),
        str(tmp_path / "a"),
        "--items",
        "training/000001/velodyne",
        "--items",
        "training/000000/image_2",
        "-q",
    )
    assert ok.returncode == 0 and ok.stdout == ok.stderr == ""
    assert len(list((tmp_path / "a").iterdir())) == 3
    bad = run_cli("preview", str(src), str(tmp_path / "b"), "--items", "training/9")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr == (
        f"error: {src}: no item with reference id 'training/9'; its items include "
        "'testing/000000/velodyne', 'testing/000000/image_2', 'training/000000/velodyne', "
        "'training/000000/image_2', 'training/000001/velodyne'\n"
    )
    assert not (tmp_path / "b").exists()


def test_bad_input_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    src = tmp_path / "instances.json"
    src.write_text('{"images": [{"id": 1, "file_name": "a.jpg", "width": "x"}]')
    proc = run_cli("preview", str(src), str(tmp_path / "out"), "--from", "coco")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {src}") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
    missing = run_cli("preview", str(tmp_path / "nowhere"), str(tmp_path / "out"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_options_are_checked(tmp_path: Path) -> None:
    src = str(FIXTURES / "voc")
    assert run_cli("preview", src, str(tmp_path / "o"), "--limit", "0").returncode == 2
    assert run_cli("preview", src, str(tmp_path / "o"), "--max-size", "8").returncode == 2
    proc = run_cli("preview", src, str(tmp_path / "o"), "--max-pixels", "100")
    assert proc.returncode == 2 and "over the limit of 100" in proc.stderr
    assert not (tmp_path / "o").exists()
