"""``convert``: ``--json`` prints one machine-readable summary, ``--quiet`` prints nothing but
errors, and the progress bar has a total, a rate and the time left."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
from cli_runner import run_cli
from rich.console import Console

import nucleus_convert as nc
from nucleus_convert.cli.progress import ProgressBar

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
COCO = FIXTURES / "coco" / "instances_demo.json"


def test_json_prints_one_summary_with_counts_report_and_timings(tmp_path: Path) -> None:
    proc = run_cli("convert", str(COCO), str(tmp_path / "out"), "--json")
    assert proc.returncode == 0, proc.stderr
    data = orjson.loads(proc.stdout)  # stdout is one JSON document and nothing else
    assert data["path"] == str(tmp_path / "out") and data["format"] == "nucleus"
    assert data["counts"] == {"items": 6, "annotations": 45, "masks": 3}
    assert data["partitions"] == 1 and data["note"] is None and data["skipped"] == []
    mask_rows = [r for r in data["report"] if r["kind"] == "instance_mask"]
    assert {r["field"] for r in mask_rows} == {"*", "id"}
    assert data["timings"]["seconds"] > 0
    assert "loss report" not in proc.stderr  # the report is in the JSON, not on stderr


def test_json_lists_records_skipped_under_on_error_skip(tmp_path: Path) -> None:
    data = orjson.loads(COCO.read_bytes())
    data["annotations"][0]["bbox"] = [0, 0, -1, 5]
    bad = tmp_path / "bad.json"
    bad.write_bytes(orjson.dumps(data))
    proc = run_cli("convert", str(bad), str(tmp_path / "out"), "--on-error", "skip", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = orjson.loads(proc.stdout)
    assert len(summary["skipped"]) == 1 and "bbox" in summary["skipped"][0]


def test_quiet_prints_nothing_and_still_writes(tmp_path: Path) -> None:
    proc = run_cli("convert", str(COCO), str(tmp_path / "out"), "--quiet", "--progress")
    assert proc.returncode == 0
    assert proc.stdout == "" and proc.stderr == ""
    assert (tmp_path / "out" / "items.jsonl").is_file()


def test_quiet_still_reports_errors_on_one_line(tmp_path: Path) -> None:
    proc = run_cli("convert", str(tmp_path / "missing"), str(tmp_path / "out"), "-q")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error:") and len(proc.stderr.splitlines()) == 1


def test_forced_progress_shows_the_total_and_rate(tmp_path: Path) -> None:
    proc = run_cli("convert", str(COCO), str(tmp_path / "out"), "--progress")
    assert proc.returncode == 0
    assert "converting" in proc.stderr and "6/6" in proc.stderr and "items/s" in proc.stderr


def test_bar_renders_count_total_rate_and_time_left() -> None:
    out = io.StringIO()
    bar = ProgressBar("converting", Console(file=out, force_terminal=True, width=120))
    bar.start()
    for done in range(1, 51):
        bar(done, 50)
    bar.stop()
    text = out.getvalue()
    assert "converting" in text and "50/50" in text and "items/s" in text and "left" in text


def test_bar_without_a_total_shows_the_count() -> None:
    out = io.StringIO()
    bar = ProgressBar("converting", Console(file=out, force_terminal=True, width=120))
    bar.start()
    bar(7, None)
    bar.stop()
    assert "7/?" in out.getvalue()


def test_on_progress_hears_every_item_up_to_the_total(tmp_path: Path) -> None:
    calls: list[tuple[int, int | None]] = []
    nc.convert(COCO, tmp_path / "out", on_progress=lambda d, t: calls.append((d, t)))
    assert calls == [(n, 6) for n in range(1, 7)]


def test_on_progress_hears_forked_workers_counts(tmp_path: Path) -> None:
    calls: list[tuple[int, int | None]] = []
    result = nc.convert(
        COCO, tmp_path / "out", workers=2, on_progress=lambda d, t: calls.append((d, t))
    )
    assert result.partitions == 2
    assert calls and calls[-1] == (6, 6)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
