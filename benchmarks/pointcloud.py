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

With ``--scans N`` it also writes N such scans (seeds 0..N-1) as KITTI ``.bin`` files in a
temporary folder and converts the folder, best of ``--repeat-scans`` runs each:

``loop``
    the peer baseline per scan, one after the other: ``read_points`` of the ``.bin``, the
    per-point dict loop above, the JSON file written;
``tool, workers=1``
    the real tool, ``nucleus_convert.convert(folder, out, from_="pointcloud", to="nucleus",
    write_options={"workers": 1})``: a whole Nucleus bundle (one LidarScene per scan,
    ``pointclouds/*.json``, ``scenes.jsonl``, ``manifest.json``), serialised in this process;
``tool, workers=K``
    the same with ``--workers K`` (the nucleus writer's process pool; its start-up, at the
    second scan, is inside the time).

It prints seconds, milliseconds a scan, ``loop / run`` and the speed-up over one worker, then
the headline: the tool with K workers against the ``< 60 ms`` a scan and ``>= 8x`` the loop
targets, and whether the bundles of 1 and K workers are byte-identical.

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
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

import nucleus_convert
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


def loop_folder(sources: list[Path], out: Path) -> None:
    """The peer baseline over a folder: read each scan, dict loop, write its JSON file."""
    out.mkdir()
    for src in sources:
        (out / f"{src.stem}.json").write_bytes(loop_baseline(read_points(src).points))


def tool_folder(folder: Path, out: Path, *, workers: int) -> None:
    """The real tool: the folder of scans to a Nucleus bundle."""
    nucleus_convert.convert(
        folder, out, from_="pointcloud", to="nucleus", write_options={"workers": workers}
    )


def tool_parts(folder: Path, out: Path, *, workers: int) -> None:
    """The tool with ``convert(workers=K)``: each of K forked workers reads and writes its
    slice of the scans (the merge writes the scenes)."""
    result = nucleus_convert.convert(
        folder, out, from_="pointcloud", to="nucleus", workers=workers, write_options={"workers": 1}
    )
    if result.partitions != workers:
        raise RuntimeError(f"ran in one process: {result.note}")


def tool_dask(folder: Path, out: Path, *, client: Any) -> None:
    """The tool with ``convert(dask=client)``: the same parts as Dask tasks."""
    nucleus_convert.convert(
        folder, out, from_="pointcloud", to="nucleus", dask=client, write_options={"workers": 1}
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _dask_client(workers: int) -> Any:
    """A client of a LocalCluster of ``workers`` processes, started outside the timed runs;
    None without dask.distributed."""
    try:
        import distributed
    except ImportError:
        return None
    cluster = distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return distributed.Client(cluster)


def run_scans(args: argparse.Namespace) -> None:
    print(f"## {args.scans} scans of {args.points:,} points: a folder of .bin -> Nucleus")
    print()
    with tempfile.TemporaryDirectory(prefix="pointcloud-scans-") as tmp:
        folder = Path(tmp) / "velodyne"
        folder.mkdir()
        sources = []
        for k in range(args.scans):
            src = folder / f"{k:06d}.bin"
            write_bin(synthetic_scan(args.points, seed=k), src)
            sources.append(src)
        runs: list[tuple[str, Callable[[Path], None]]] = [
            ("loop (peer baseline, per scan)", partial(loop_folder, sources))
        ]
        for workers in sorted({1, args.workers}):
            runs.append((f"tool, workers={workers}", partial(tool_folder, folder, workers=workers)))
        if args.workers > 1:
            name = f"tool, {args.workers} partitions"
            runs.append((name, partial(tool_parts, folder, workers=args.workers)))
            client = _dask_client(args.workers)
            if client is not None:
                name = f"tool, Dask LocalCluster of {args.workers}"
                runs.append((name, partial(tool_dask, folder, client=client)))
        # Warm-up, not timed: plugin loading and imports, as timed() does for the table above.
        warm = Path(tmp) / "warm"
        warm.mkdir()
        shutil.copy(sources[0], warm / sources[0].name)
        tool_folder(warm, Path(tmp) / "warm-out", workers=1)
        loop_folder(sources[:1], Path(tmp) / "warm-loop")
        results: list[tuple[str, float]] = []
        bundles: dict[str, dict[str, bytes]] = {}
        for n, (name, fn) in enumerate(runs):
            best = float("inf")
            for r in range(args.repeat_scans):
                out = Path(tmp) / f"out-{n}-{r}"
                start = time.perf_counter()
                fn(out)
                best = min(best, time.perf_counter() - start)
                if r == 0 and name.startswith("tool"):
                    bundles[name] = _tree(out)
                shutil.rmtree(out)
            results.append((name, best))
    loop = results[0][1]
    one = results[1][1]
    print("| run | seconds (best) | ms a scan | loop / run | speed-up vs workers=1 |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds in results:
        speed_up = f"{one / seconds:.2f}x" if name.startswith("tool") else ""
        print(
            f"| {name} | {seconds:.2f} | {_ms(seconds / args.scans)} | {loop / seconds:.1f}x "
            f"| {speed_up} |"
        )
    print()
    name, best = results[-1]
    per_scan = best / args.scans * 1e3
    ratio = loop / best
    print(
        f"{name}: {per_scan:.1f} ms a scan (target < {TARGET_MS_PER_SCAN:.0f} ms: "
        f"{'met' if per_scan < TARGET_MS_PER_SCAN else 'NOT met'}); loop / tool = {ratio:.1f}x "
        f"(target >= {TARGET_RATIO:.0f}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'})"
    )
    trees = list(bundles.values())
    same = all(tree == trees[0] for tree in trees)
    print(f"bundles of {', '.join(bundles)} byte-identical: {same}")
    print()
    print(
        f"({os.cpu_count()} CPUs; the tool's times include reading the .bin files, the scene "
        "and manifest files, and starting its worker processes)"
    )
    print()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Benchmark LiDAR scan -> Nucleus point cloud JSON: ours vs the per-point "
        "Python loop, and the .bin / .pcd readers.",
    )
    ap.add_argument("--points", type=int, default=120_000, help="points a scan (default 120000)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per step (best and median)")
    ap.add_argument(
        "--scans", type=int, default=0, help="also convert a folder of N scans with the tool"
    )
    ap.add_argument(
        "--workers", type=int, default=2, help="the tool's workers for --scans (default 2)"
    )
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
