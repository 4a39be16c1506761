"""The ``kitti_raw`` format passes the conformance kit on the bundled fixture (and datumaro's
sample where the shared corpus is present)."""

from __future__ import annotations

from pathlib import Path

from kitti_raw_samples import DATE, DATUMARO

from nucleus_convert.testing.conformance import check_format


def test_kitti_raw_passes_the_conformance_kit(tmp_path: Path) -> None:
    samples = [DATE] + ([DATUMARO] if DATUMARO.is_dir() else [])
    report = check_format("kitti_raw", samples, workdir=tmp_path, write_options={"images": "copy"})
    assert report.passed, str(report)
