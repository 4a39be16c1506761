"""``roundtrip`` with reader and writer options for both legs, and ``--json`` summaries with
counts and timings on ``roundtrip`` and ``inspect``."""

from __future__ import annotations

from pathlib import Path

import click
import orjson
import pytest
from cli_runner import run_cli

from nucleus_convert.cli.check_cmd import route_options
from nucleus_convert.plugins import get_registry

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
COCO = FIXTURES / "coco" / "instances_demo.json"


def _formats(*names: str) -> list:  # type: ignore[type-arg]
    return [get_registry().get(n) for n in names]


def test_an_option_goes_to_every_format_of_the_round_trip_that_declares_it() -> None:
    routed = route_options({"max_pixels": "99"}, _formats("coco", "voc"), for_write=False)
    assert routed == {"coco": {"max_pixels": "99"}, "voc": {"max_pixels": "99"}}
    routed = route_options({"masks": "polygons"}, _formats("coco", "nucleus"), for_write=True)
    assert routed == {"coco": {}, "nucleus": {"masks": "polygons"}}


def test_a_format_prefix_sends_an_option_to_that_format_only() -> None:
    routed = route_options({"voc:on_error": "skip"}, _formats("coco", "voc"), for_write=False)
    assert routed == {"coco": {}, "voc": {"on_error": "skip"}}


def test_an_option_no_format_declares_is_refused_with_what_each_has() -> None:
    with pytest.raises(click.UsageError) as info:
        route_options({"content": "auto"}, _formats("voc", "nucleus"), for_write=True)
    message = info.value.message
    assert message.startswith("no write option 'content' in voc or nucleus (they have: voc: ")
    assert "nucleus: base_url, duplicate_ids, group_key, masks, max_file_bytes, workers" in message
    with pytest.raises(click.UsageError, match="no read option 'on_error' in kitti"):
        route_options({"kitti:on_error": "skip"}, _formats("coco", "nucleus"), for_write=False)


def test_roundtrip_writer_options_reach_the_via_leg(tmp_path: Path) -> None:
    # A one-byte part limit cannot hold a payload line: the option reached the nucleus writer.
    proc = run_cli("roundtrip", str(COCO), "--via", "nucleus", "-w", "max_file_bytes=1")
    assert proc.returncode == 2
    assert "over the part limit of 1" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("roundtrip", str(COCO), "--via", "nucleus", "-w", "colour=red")
    assert proc.returncode == 2 and "no write option 'colour' in coco or nucleus" in proc.stderr


def test_roundtrip_writer_options_change_what_is_compared() -> None:
    plain = orjson.loads(run_cli("roundtrip", str(COCO), "--via", "nucleus", "--json").stdout)
    traced = orjson.loads(
        run_cli(
            "roundtrip", str(COCO), "--via", "nucleus", "--json", "-w", "nucleus:masks=polygons"
        ).stdout
    )

    def reasons(data: dict) -> set[str]:  # type: ignore[type-arg]
        return {r["reason"] for r in data["report"] if r["kind"] == "instance_mask" and r["reason"]}

    assert reasons(plain) != reasons(traced)


def test_roundtrip_json_has_counts_and_timings_of_each_stage() -> None:
    data = orjson.loads(run_cli("roundtrip", str(COCO), "--via", "nucleus", "--json").stdout)
    assert data["counts"]["items"] == 6 and data["counts"]["scenes"] == 0
    assert set(data["timings"]) == {"read", "write_via", "write_back", "compare"}
    assert all(v >= 0 for v in data["timings"].values())


def test_inspect_json_has_counts_skipped_and_timings() -> None:
    data = orjson.loads(run_cli("inspect", str(COCO), "--json").stdout)
    assert data["format"] == "coco" and data["counts"]["items"] == 6
    assert data["skipped"] == [] and data["timings"]["seconds"] > 0
