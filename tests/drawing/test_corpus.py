"""Previews of real files from the shared corpus (skipped without it): real images under the
drawings, real scans in the bird's-eye view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_runner import run_cli
from paths import CORPUS
from PIL import Image

import nucleus_convert as nc

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")

KITTI = CORPUS / "kitti" / "object"
VOC = CORPUS / "datumaro" / "voc_dataset" / "voc_dataset1"
MINI = CORPUS / "coco" / "coco-mini" / "instances_val2017.json"


def test_kitti_frames_draw_boxes_on_the_real_image_and_cuboids_on_the_scan(
    tmp_path: Path,
) -> None:
    result = nc.preview(KITTI, tmp_path / "out", max_size=2048)  # 1242 x 375: not scaled
    views = {item.reference_id: item for item in result.items}
    camera = views["training/000000/image_2"]
    assert not camera.notes  # the image was found and drawn under the boxes
    source = np.asarray(Image.open(KITTI / "training" / "image_2" / "000000.png").convert("RGB"))
    drawn = np.asarray(Image.open(camera.path).convert("RGB"))
    height, width = source.shape[:2]
    assert drawn.shape[1] == width  # the picture, then the caption strip under it
    changed = np.any(drawn[:height] != source, axis=2).mean()
    assert 0 < changed < 0.5  # the drawings over the real image, not a blank canvas
    lidar = views["training/000000/velodyne"]
    bev = np.asarray(Image.open(lidar.path).convert("RGB"))
    assert len(np.unique(bev.reshape(-1, 3), axis=0)) > 10  # points, rings, cuboids, tags


def test_voc_corpus_and_coco_mini_preview_through_the_cli(tmp_path: Path) -> None:
    proc = run_cli("preview", str(VOC), str(tmp_path / "voc"), "--json")
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("preview", str(MINI), str(tmp_path / "coco"), "--limit", "5")
    assert proc.returncode == 0, proc.stderr
    pngs = sorted(p.name for p in (tmp_path / "coco").glob("*.png"))
    assert len(pngs) == 6 and "contact_sheet.png" in pngs  # five items and the sheet
