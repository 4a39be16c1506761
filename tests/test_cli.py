"""The command line: convert, formats, plugins, inspect and roundtrip, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from cli_runner import run_cli
from fake_dist import FAKE_FORMAT, make_dist

from nucleus_convert.plugins import BUILTIN_PLUGINS, get_registry

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "nucleus"


run = run_cli


def builtin_formats() -> list[str]:
    """The names of the formats the built-in plugins register, sorted."""
    return sorted(f.name for f in get_registry() if f.plugin in BUILTIN_PLUGINS)


def test_convert_prints_a_one_line_summary_and_no_progress_when_not_a_terminal(
    tmp_path: Path,
) -> None:
    proc = run("convert", str(FIXTURE), str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"wrote {tmp_path / 'out'} (nucleus): 10 items, 16 annotations, 2 masks, 9 predictions, "
        "3 point clouds, 2 scenes, 3 scene annotations in "
    )
    assert "converting" not in proc.stderr


def test_convert_progress_bar_can_be_forced_on_stderr(tmp_path: Path) -> None:
    proc = run("convert", str(FIXTURE), str(tmp_path / "out"), "--progress")
    assert proc.returncode == 0, proc.stderr
    assert "converting" in proc.stderr


def test_convert_into_an_empty_existing_folder_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    assert run("convert", str(FIXTURE), str(tmp_path / "out")).returncode == 0
    assert (tmp_path / "out" / "items.jsonl").is_file()


def test_unknown_format_and_undetectable_source_are_clean_errors(tmp_path: Path) -> None:
    # Built-ins only: the example YOLO plugin is installed in the test environment.
    proc = run_cli(
        "convert", str(FIXTURE), str(tmp_path / "o"), "--to", "nope", NUCLEUS_CONVERT_NO_PLUGINS="1"
    )
    assert proc.returncode == 2
    assert f"unknown format 'nope' (known formats: {', '.join(builtin_formats())})" in proc.stderr
    odd = tmp_path / "odd.txt"
    odd.write_text("hello")
    proc = run("convert", str(odd), str(tmp_path / "o"))
    assert proc.returncode == 2 and "cannot tell its format; name it with --from" in proc.stderr
    proc = run("convert", str(tmp_path / "missing"), str(tmp_path / "o"))
    assert proc.returncode == 2 and "no such file or directory" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_writer_option_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    proc = run("convert", str(FIXTURE), str(tmp_path / "o"), "-w", "colour=red")
    assert proc.returncode == 2
    assert (
        "format 'nucleus' has no write option 'colour' "
        "(it has: base_url, duplicate_ids, group_key, masks, max_file_bytes, workers)"
        in proc.stderr
    )


def test_formats_table_lists_read_write_kinds_and_plugin() -> None:
    proc = run("formats")
    assert proc.returncode == 0
    head, *rows = proc.stdout.splitlines()
    assert head.split() == ["format", "r/w", "kinds", "carried", "plugin"]
    row = next(r for r in rows if r.startswith("nucleus "))
    assert row.split()[1] == "rw" and row.endswith("nucleus_convert.converters.nucleus")
    data = {f["name"]: f for f in orjson.loads(run("formats", "--json").stdout)}
    assert "scene_category" in data["nucleus"]["kinds"]
    assert data["coco"]["plugin"] == "nucleus_convert.converters.coco"


def test_plugins_lists_builtin_with_distribution_and_version() -> None:
    data = orjson.loads(run("plugins", "--json").stdout)
    n = len(BUILTIN_PLUGINS)
    assert all(not d["builtin"] for d in data[n:])  # built-ins first, third parties after
    assert [d["name"] for d in data[:n]] == sorted(BUILTIN_PLUGINS)
    for d in data[:n]:
        assert (d["distribution"], d["version"], d["builtin"]) == (
            "nucleus-convert",
            data[0]["version"],
            True,
        )
    formats = {d["name"]: d["formats"] for d in data[:n]}
    for name in builtin_formats():
        assert formats[f"nucleus_convert.converters.{name}"] == [name]


def test_inspect_counts_what_the_fixture_holds() -> None:
    data = orjson.loads(run("inspect", str(FIXTURE), "--json").stdout)
    counts = data["counts"]
    assert counts["items"] == 4 + 6  # four images, six scene items (3 frames x 2 sensors)
    assert counts["scenes"] == 2
    assert counts["box"] + counts["box predictions"] == 5
    assert counts["multicategory"] == 1


def test_roundtrip_of_the_fixture_through_nucleus_is_clean() -> None:
    proc = run("roundtrip", str(FIXTURE), "--via", "nucleus")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "round trip OK: nothing lost that both formats can carry"
    report = orjson.loads(run("roundtrip", str(FIXTURE), "--via", "nucleus", "--json").stdout)
    assert report["ok"] is True and report["unexpected"] == []
    kept = {(r["kind"], r["field"]): r["kept"] for r in report["report"]}
    assert kept[("keypoints", "points.visibility")] == 2 and kept[("segmentation", "mask")] == 2


@pytest.fixture
def lossy_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    # A format that truncates box coordinates to integers: a loss both formats could avoid.
    source = FAKE_FORMAT.replace(
        "boxes.append([a.label, a.x, a.y, a.width, a.height])",
        "boxes.append([a.label, int(a.x), a.y, a.width, a.height])",
    )
    make_dist(site, "lossy-dist", "lossy", "lossy_plugin", source)
    return site


def test_roundtrip_exits_non_zero_when_a_kind_both_formats_carry_is_lost(
    lossy_site: Path, tmp_path: Path
) -> None:
    src = tmp_path / "boxes.fake"
    src.write_bytes(
        orjson.dumps(
            [{"ref": "a", "img": "a.jpg", "w": 9, "h": 9, "boxes": [["car", 1.5, 2, 3, 4]]}]
        )
    )
    # Through nucleus and back into the lossy format, x = 1.5 comes back as 1.
    proc = run("roundtrip", str(src), "--via", "nucleus", "--json", pythonpath=lossy_site)
    assert proc.returncode == 1, proc.stderr
    report = orjson.loads(proc.stdout)
    assert report["unexpected"] == [["box", "x"]]  # y, width and height came back equal
    row = next(r for r in report["report"] if (r["kind"], r["field"]) == ("box", "x"))
    assert row["changed"] == 1 and row["reasons"]["changed"] == "1.5 became 1"


def test_roundtrip_reports_kinds_one_format_cannot_carry_without_failing(
    lossy_site: Path, tmp_path: Path
) -> None:
    proc = run("roundtrip", str(FIXTURE), "--via", "fake", pythonpath=lossy_site)
    text = proc.stdout
    # Polygons, keypoints, masks... cannot go through a boxes-only format: reported, expected.
    assert "polygon" in text and "dropped" in text
    assert proc.returncode == 1  # and the lossy format also changed box x, which both carry
    assert "box.x" in text.splitlines()[-1]


@pytest.mark.parametrize("target", ["nucleus", "coco", "voc", "kitti", "yolo"])
def test_convert_report_writes_the_loss_rows_as_json_for_every_target(
    tmp_path: Path, target: str
) -> None:
    dst = tmp_path / ("out.json" if target == "coco" else "out")
    report = tmp_path / "loss.json"
    proc = run("convert", str(FIXTURE), str(dst), "--to", target, "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    rows = orjson.loads(report.read_bytes())
    assert rows, "every target loses or keeps something worth a row"
    keys = {"kind", "field", "kept", "approximated", "dropped", "changed", "not_uploadable"}
    for row in rows:
        assert keys | {"reason"} <= set(row)
        assert isinstance(row["reason"], str)
    if target != "nucleus":
        assert any(r["dropped"] for r in rows), "the bundle has scenes no other format keeps"
    assert not list(tmp_path.glob(".loss.json.*")), "no temporary file is left"


def test_convert_report_in_a_missing_folder_is_a_usage_error_before_converting(
    tmp_path: Path,
) -> None:
    proc = run(
        "convert", str(FIXTURE), str(tmp_path / "out"), "--report", str(tmp_path / "no" / "r.json")
    )
    assert proc.returncode == 2
    assert "--report" in proc.stderr and "does not exist" in proc.stderr
    assert not (tmp_path / "out").exists()
