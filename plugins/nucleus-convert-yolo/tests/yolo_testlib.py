"""Helpers shared by the yolo tests: fixture paths, tiny images and datasets built on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from PIL import Image

import nucleus_convert as nc

DATA = Path(__file__).resolve().parent / "data"
DETECT = DATA / "detect"
SEGMENT = DATA / "segment"
DARKNET = DATA / "darknet"
PLAIN = DATA / "plain"
EXIF = DATA / "exif"
OBB = DATA / "obb"
POSE = DATA / "pose"
POSE2D = DATA / "pose2d"
REAL = DATA / "real"


def png(path: Path, width: int, height: int) -> Path:
    """A bilevel PNG of the given size (fast to write at any size, a few hundred bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("1", (width, height)).save(path, compress_level=1)
    return path


def ultralytics(
    root: Path,
    labels: dict[str, str],
    *,
    size: tuple[int, int] = (10, 10),
    yaml_text: str = "train: images/train\nnames: [a, b]\n",
) -> Path:
    """An Ultralytics dataset with one image per label file (``{stem: label text}``)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(yaml_text, encoding="utf-8")
    for stem, text in labels.items():
        png(root / "images" / "train" / f"{stem}.png", *size)
        label = root / "labels" / "train" / f"{stem}.txt"
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text(text, encoding="utf-8")
    return root


def items(src: Path, **options: object) -> dict[str, nc.Item]:
    """Every item of a yolo dataset by reference id."""
    return {i.reference_id: i for i in nc.read(src, "yolo", **options).items}


def nucleus_roundtrip(src: Path) -> dict[str, Any]:
    """``nucleus-convert roundtrip SRC --via nucleus --tolerance 0 --json``: the CLI runs
    ``nucleus_convert.roundtrip.roundtrip`` (YOLO -> Nucleus bundle -> YOLO -> compare), which
    a plugin's tests reach through the public command line. Adds ``kept``: the kept count of
    each ``(kind, field)`` row, so a test can see that a field was compared at all."""
    command = [sys.executable, "-m", "nucleus_convert.cli", "roundtrip", str(src)]
    command += ["--via", "nucleus", "--tolerance", "0", "--json"]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    assert run.returncode in (0, 1), run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    result["kept"] = {(row["kind"], row["field"]): row["kept"] for row in result["report"]}
    return result
