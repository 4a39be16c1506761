"""KITTI raw drives shared by the ``kitti_raw`` format tests (tests/converters/kitti_raw/): the
bundled fixture's date folder and drive, datumaro's raw sample in the shared corpus (skipped
where absent), ``read``, ``cuboids`` by annotation id, and ``strip_lines`` (tracklets compared
without their source line numbers); ``_floats``, any finite float, for the property tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from paths import CORPUS, FIXTURES

import nucleus_convert as nc
from nucleus_convert.converters.kitti_raw.tracklets import Tracklet
from nucleus_convert.model import Cuboid, MaterializedDataset

DATE = FIXTURES / "kitti_raw" / "2011_09_26"
DRIVE_NAME = "2011_09_26_drive_0001_sync"
DRIVE = DATE / DRIVE_NAME
DATUMARO = CORPUS / "datumaro" / "kitti_dataset" / "kitti_raw"
needs_corpus = pytest.mark.skipif(not DATUMARO.is_dir(), reason=f"corpus not present: {DATUMARO}")


def read(src: Path, **options: Any) -> MaterializedDataset:
    return nc.read(src, "kitti_raw", **options).materialize()


def cuboids(dataset: MaterializedDataset) -> dict[str, Cuboid]:
    out = {}
    for item in dataset.items:
        for ann in item.annotations:
            assert isinstance(ann, Cuboid) and ann.id is not None
            out[ann.id] = ann
    return out


def strip_lines(tracklets: list[Tracklet]) -> list[Tracklet]:
    for t in tracklets:
        t.line = None
        for p in t.poses:
            p.line = None
    return tracklets


_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
