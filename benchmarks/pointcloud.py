"""LiDAR scans -> Nucleus point cloud JSON: how fast, next to the plain Python loop?

What it measures
----------------
A seeded synthetic scan shaped like a KITTI velodyne frame (``--points``, default 120,000; x
and y uniform in +-80 m, z in -3..3 m, reflectance in 0..1, all float32 with full mantissas),
then, each ``--repeat`` times after one untimed warm-up run (best and median kept):

``loop``
    The peer baseline: ``orjson.dumps({"points": [{"x": float(x), "y": float(y), "z": float(z),
    "i": float(i)} for x, y, z, i in points]})``, one dict per point.
``ours``
    ``nucleus_convert.geometry.pointcloud.pointcloud_json_bytes(points)``: vectorised, fixed
    width, exact (parsing it back and casting to float32 gives the same bits).
``format``
    For reference, the writer it replaced: one ``'%.9g'`` format call over all the values.
``read .bin``
    ``read_points`` of the scan saved as a KITTI ``.bin`` (``numpy.fromfile``).
``read .pcd``
    ``read_points`` of the scan saved as a binary ``.pcd`` (header checks, then open3d's tensor
    reader), skipped when open3d is not installed.

It prints a machine line, the table, and the headline numbers with their targets: ``loop`` /
``ours`` >= 8x, and one scan converted (.bin read + JSON written) in < 60 ms.

With ``--scans N`` it also writes N such scans as ``.bin`` files in a temporary folder and
converts them to Nucleus JSON files (read, serialise, write) with a
``concurrent.futures.ProcessPoolExecutor`` of 1 worker, then of ``--workers K``, and prints the
speed-up.

The cyclic garbage collector stays on, as in a user's process (the loop's 120,000 dicts trigger
it; ``--gc-off`` turns it off for both). Timings on a shared 2-core machine are noisy: use
``--repeat 5`` or more on a quiet machine.

Run it from the project root with the package installed (open3d for the .pcd row)::

    python benchmarks/pointcloud.py --points 120000 --repeat 5
    python benchmarks/pointcloud.py --scans 40 --workers 2
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from nucleus_convert.geometry.pointcloud import pointcloud_json_bytes
from nucleus_convert.geometry.pointcloud_files import read_points, write_bin, write_pcd

TARGET_RATIO = 8.0
TARGET_MS_PER_SCAN = 60.0


def synthetic_scan(n: int, seed: int = 2011_09_26) -> npt.NDArray[np.float32]:
    """A KITTI-like scan: x, y in +-80 m, z in -3..3 m, reflectance 0..1, float32."""
    rng = np.random.default_rng(seed)
    pts = np.empty((n, 4), dtype=np.float32)
    pts[:, 0:2] = rng.uniform(-80.0, 80.0, (n, 2))
    pts[:, 2] = rng.uniform(-3.0, 3.0, n)
    pts[:, 3] = rng.uniform(0.0, 1.0, n)
    return pts


def loop_baseline(points: npt.NDArray[np.float32]) -> bytes:
    """The per-point Python loop the issue names as the peer baseline."""
    return orjson.dumps(
        {
            "points": [
                {"x": float(x), "y": float(y), "z": float(z), "i": float(i)}
                for x, y, z, i in points
            ]
        }
    )


def format_reference(points: npt.NDArray[np.float32]) -> bytes:
    """The writer ``pointcloud_json_bytes`` replaced: one '%.9g' format over every value."""
    row = '{"x":%.9g,"y":%.9g,"z":%.9g,"i":%.9g}'
    body = ",".join([row] * len(points)) % tuple(points.ravel().tolist())
    body = body.replace(":-0,", ":-0.0,").replace(":-0}", ":-0.0}")
    return b'{"points":[' + body.encode("ascii") + b"]}"


@dataclass(slots=True)
class Timing:
    name: str
    best: float = 0.0
    median: float = 0.0
    size: int | None = None
    skipped: str | None = None


def timed(name: str, fn: Callable[[], Any], repeat: int) -> Timing:
    times: list[float] = []
    result: Any = fn()  # warm-up, not timed: imports (open3d takes ~0.4 s), first-touch memory
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    size = len(result) if isinstance(result, bytes) else None
    return Timing(name, min(times), statistics.median(times), size)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> str:
    dists = ["nucleus-convert", "numpy", "orjson"]
    dists += [d for d in ("open3d-cpu", "open3d") if _version(d) != "not installed"] or ["open3d"]
    pkgs = ", ".join(f"{d} {_version(d)}" for d in dists)
    return (
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; {pkgs}"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f}"


def _has_open3d() -> bool:
    return importlib.util.find_spec("open3d") is not None


def run_table(args: argparse.Namespace) -> None:
    points = synthetic_scan(args.points)
    ours = pointcloud_json_bytes(points)
    doc = orjson.loads(ours)["points"]
    back = np.array([[p["x"], p["y"], p["z"], p["i"]] for p in doc], dtype=np.float64)
    exact = np.array_equal(back.astype(np.float32).view(np.uint32), points.view(np.uint32))
    print(f"## one scan: {args.points:,} points; ours parses back bit-exact: {exact}")
    print()
    rows: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="pointcloud-bench-") as tmp:
        bin_path, pcd_path = Path(tmp) / "scan.bin", Path(tmp) / "scan.pcd"
        write_bin(points, bin_path)
        write_pcd(points, pcd_path, binary=True)
        rows.append(timed("loop (peer baseline)", lambda: loop_baseline(points), args.repeat))
        rows.append(
            timed("ours: pointcloud_json_bytes", lambda: pointcloud_json_bytes(points), args.repeat)
        )
        rows.append(
            timed("format (previous writer)", lambda: format_reference(points), args.repeat)
        )
        rows.append(timed("read .bin (read_points)", lambda: read_points(bin_path), args.repeat))
        if _has_open3d():
            rows.append(
                timed(
                    "read binary .pcd (read_points, open3d)",
                    lambda: read_points(pcd_path),
                    args.repeat,
                )
            )
        else:
            rows.append(Timing("read binary .pcd", skipped="skipped: open3d not installed"))
    loop = rows[0]
    print("| step | best ms | median ms | output | loop / step (best) |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        if r.skipped:
            print(f"| {r.name} | | | | {r.skipped} |")
            continue
        size = f"{r.size / 1e6:.2f} MB" if r.size is not None else ""
        print(
            f"| {r.name} | {_ms(r.best)} | {_ms(r.median)} | {size} | {loop.best / r.best:.1f}x |"
        )
    print()
    ratio = loop.best / rows[1].best
    per_scan = rows[3].best + rows[1].best
    print(
        f"loop / ours = {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x: "
        f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}); ours = {_ms(rows[1].best)} ms a scan"
    )
    print(
        f"one scan .bin -> Nucleus JSON bytes (read .bin + ours) = {_ms(per_scan)} ms "
        f"(target < {TARGET_MS_PER_SCAN:.0f} ms: "
        f"{'met' if per_scan * 1e3 < TARGET_MS_PER_SCAN else 'NOT met'})"
    )
    print()


def convert_one(src: str, dst: str) -> int:
    """Read a .bin scan and write it as a Nucleus point cloud JSON file; returns its size."""
    data = pointcloud_json_bytes(read_points(src).points)
    Path(dst).write_bytes(data)
    return len(data)


def _convert_all(pairs: list[tuple[str, str]], workers: int) -> float:
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        sizes = list(pool.map(convert_one, *zip(*pairs, strict=True)))
    elapsed = time.perf_counter() - start
    assert len(sizes) == len(pairs) and all(sizes)
    return elapsed


def run_scans(args: argparse.Namespace) -> None:
    print(f"## {args.scans} scans of {args.points:,} points: .bin -> Nucleus JSON files")
    print()
    with tempfile.TemporaryDirectory(prefix="pointcloud-scans-") as tmp:
        pairs: list[tuple[str, str]] = []
        for k in range(args.scans):
            src = Path(tmp) / f"{k:06d}.bin"
            write_bin(synthetic_scan(args.points, seed=k), src)
            pairs.append((str(src), str(Path(tmp) / f"{k:06d}.json")))
        results = []
        for workers in sorted({1, args.workers}):
            best = min(_convert_all(pairs, workers) for _ in range(args.repeat_scans))
            results.append((workers, best))
    print("| workers | seconds (best) | ms a scan | scans / s | speed-up |")
    print("|---:|---:|---:|---:|---:|")
    one = results[0][1]
    for workers, seconds in results:
        print(
            f"| {workers} | {seconds:.2f} | {_ms(seconds / args.scans)} | "
            f"{args.scans / seconds:.1f} | {one / seconds:.2f}x |"
        )
    print()
    print(f"({os.cpu_count()} CPUs; each run includes starting the worker processes)")
    print()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Benchmark LiDAR scan -> Nucleus point cloud JSON: ours vs the per-point "
        "Python loop, and the .bin / .pcd readers.",
    )
    ap.add_argument("--points", type=int, default=120_000, help="points a scan (default 120000)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per step (best and median)")
    ap.add_argument("--scans", type=int, default=0, help="also convert N scans in processes")
    ap.add_argument("--workers", type=int, default=2, help="workers for --scans (default 2)")
    ap.add_argument("--repeat-scans", type=int, default=1, help="runs of --scans; best kept")
    ap.add_argument("--gc-off", action="store_true", help="turn the cyclic collector off")
    args = ap.parse_args(argv)
    if args.points < 1 or args.repeat < 1 or args.scans < 0 or args.workers < 1:
        ap.error("--points, --repeat and --workers must be >= 1, --scans >= 0")
    if args.repeat_scans < 1:
        ap.error("--repeat-scans must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.gc_off:
        gc.disable()
    print(machine_info())
    print()
    run_table(args)
    if args.scans:
        run_scans(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
