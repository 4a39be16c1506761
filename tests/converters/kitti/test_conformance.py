"""The ``kitti`` format passes the conformance kit on the bundled fixture, and the fixture is
exactly what its generator (fixtures/kitti/make_kitti_fixture.py) makes."""

from __future__ import annotations

import shutil
from pathlib import Path

from kitti_trees import FIXTURE
from paths import ROOT

from nucleus_convert.testing.conformance import check_format


def test_kitti_passes_the_conformance_kit(tmp_path: Path) -> None:
    work = tmp_path / "work"
    samples = [FIXTURE]
    report = check_format("kitti", samples, workdir=work)
    assert report.passed, str(report)


def test_bundled_fixture_is_what_its_generator_makes(tmp_path: Path) -> None:
    script = ROOT / "fixtures" / "kitti" / "make_kitti_fixture.py"
    copy = tmp_path / "make_kitti_fixture.py"
    shutil.copy(script, copy)
    import runpy

    runpy.run_path(str(copy), run_name="__main__")
    made = tmp_path / "object"
    for path in FIXTURE.rglob("*"):
        if path.is_file():
            assert (made / path.relative_to(FIXTURE)).read_bytes() == path.read_bytes(), path
