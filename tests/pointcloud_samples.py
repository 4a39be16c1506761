"""Point cloud samples and helpers shared by the point cloud format tests and the Nucleus
writer's point cloud tests: seeded scans with full float32 mantissas, a byte-intensity PCD, a
mixed .bin/.pcd/.ply folder, and the shared corpus folders (skipped where absent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from paths import CORPUS

import nucleus_convert as nc
from nucleus_convert.geometry.pointcloud_files import write_bin, write_ply

SLY_PCD = CORPUS / "datumaro" / "sly_pointcloud_dataset" / "ds0" / "pointcloud"
RAW_PCD = CORPUS / "datumaro" / "kitti_dataset" / "kitti_raw" / "velodyne_points" / "data"
KITTI_BIN = CORPUS / "kitti" / "object" / "training" / "velodyne"


def corpus_folder(path: Path) -> Path:
    if not path.is_dir():
        pytest.skip(f"shared corpus folder not found: {path}")
    return path


def need_open3d() -> Any:
    return pytest.importorskip("open3d", reason="open3d is the optional [pointcloud] extra")


def bits(a: npt.NDArray[Any]) -> npt.NDArray[np.uint32]:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def scan(n: int, seed: int, *, intensity: float = 1.0) -> npt.NDArray[np.float32]:
    """``n`` points with full float32 mantissas; intensity in 0..``intensity``."""
    rng = np.random.default_rng(seed)
    pts = np.empty((n, 4), dtype=np.float32)
    pts[:, :3] = rng.uniform(-80, 80, (n, 3))
    pts[:, 3] = rng.uniform(0, intensity, n)
    return pts


def u8_pcd(path: Path, xyz: npt.NDArray[Any], intensity: list[int]) -> None:
    """A binary PCD whose intensity is an unsigned byte (0..255), as many sensors write it."""
    n = len(intensity)
    raw = np.zeros(n, dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("intensity", "u1")])
    raw["x"], raw["y"], raw["z"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    raw["intensity"] = intensity
    header = (
        "# .PCD v0.7\nVERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 1\nTYPE F F F U\n"
        f"COUNT 1 1 1 1\nWIDTH {n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\nDATA binary\n"
    )
    path.write_bytes(header.encode("ascii") + raw.tobytes())


def mixed_folder(root: Path) -> Path:
    """A KITTI-like .bin (reflectance 0..1), a PCD with byte intensity, a PLY with float."""
    root.mkdir(parents=True, exist_ok=True)
    write_bin(scan(50, 1), root / "000000.bin")
    u8_pcd(root / "000001.pcd", scan(4, 2)[:, :3], [0, 1, 128, 255])
    write_ply(scan(30, 3), root / "000002.ply")
    return root


def read_all(src: Path, **options: Any) -> nc.model.MaterializedDataset:
    return nc.read(src, "pointcloud", **options).materialize()


def leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def file_intensity(path: Path) -> list[float]:
    """The intensity values stored in a binary file we wrote (x, y, z, intensity float32)."""
    data = path.read_bytes()
    if path.suffix == ".bin":
        body = data
    else:
        end = b"\nend_header\n" if path.suffix == ".ply" else b"\nDATA binary\n"
        body = data[data.index(end) + len(end) :]
    return np.frombuffer(body, dtype="<f4").reshape(-1, 4)[:, 3].tolist()
