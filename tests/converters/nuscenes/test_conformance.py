"""The ``nuscenes`` format passes the conformance kit on its fixture, with no tolerance: the
world frame (the default) round-trips every float exactly (points through a float32 search,
box yaws through an upright-quaternion search), so none is needed."""

from __future__ import annotations

from pathlib import Path

from paths import FIXTURES

from nucleus_convert.testing.conformance import CHECKS, check_format


def test_nuscenes_passes_the_conformance_kit(tmp_path: Path) -> None:
    report = check_format(
        "nuscenes",
        [FIXTURES / "nuscenes" / "v1.0-mini-like"],
        workdir=tmp_path,
        tolerance=0.0,
        distribution="nucleus-convert",
    )
    assert report.passed, str(report)
    assert [c.name for c in report.checks] == list(CHECKS)
