"""COCO -> Nucleus in instructions executed: a measure this noisy machine cannot blur.

Wall-clock timings on a shared 2-core VM move by 2x from one run to the next, and so do the
ratios of steps run minutes apart. Instructions counted by valgrind's callgrind do not: the same
commit gives the same count to within a fraction of a percent. Each step of
``coco_to_nucleus.py`` (``orjson``, ``direct``, ``ours``, ``client``) runs twice under
callgrind, once whole and once stopping after its imports and set-up
(``NC_BENCH_SETUP_ONLY=1``); the difference is the step's own work, and the table gives it as a
ratio to the ``orjson`` parse, the floor of the time targets.

What it does not see: memory effects (page faults, cache misses), and parallelism. A second
thread's instructions (the mask PNGs) and forked workers are counted whole or not at all
(callgrind follows no children here), so ``ours-w2`` and Dask are left to the timed benchmark.
Instructions are not seconds: the ratios of this table and of the timed one differ, and
both belong in a report.

Needs ``valgrind`` (Debian: ``apt-get install valgrind``); each ``ours`` run at val scale takes
a few minutes under it::

    python benchmarks/instructions.py --scale val --steps orjson,ours
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE / "coco_to_nucleus.py"
STEPS = ("orjson", "direct", "ours", "client")


def _count(step: str, src: Path, setup_only: bool) -> int:
    """Instructions callgrind collects over a whole ``--step`` child process."""
    with tempfile.TemporaryDirectory(prefix="nc-instr-") as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        env = dict(os.environ, PYTHONHASHSEED="0")
        if setup_only:
            env["NC_BENCH_SETUP_ONLY"] = "1"
        argv = [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            str(BENCH),
            *("--step", step, "--file", str(src), "--out", str(out)),
        ]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if not setup_only and not (out / "result.json").exists():
            raise SystemExit(f"{step} failed:\n{done.stderr[-2000:]}")
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            raise SystemExit(f"no callgrind count for {step}:\n{done.stderr[-2000:]}")
        return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="val", choices=("val", "train"))
    ap.add_argument("--steps", default=",".join(STEPS), help="comma-separated: " + ", ".join(STEPS))
    args = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    src = HERE / ".data" / f"instances_{args.scale}.json"
    if not src.exists():
        raise SystemExit(f"{src} is missing: run coco_to_nucleus.py --scales {args.scale} once")
    steps = [s for s in args.steps.split(",") if s]
    if "orjson" not in steps:
        steps.insert(0, "orjson")
    work = {}
    for step in steps:
        work[step] = _count(step, src, False) - _count(step, src, True)
        print(f"  {step}: {work[step]:,} instructions", file=sys.stderr, flush=True)
    print(f"\n## {args.scale}: instructions of each step's work (callgrind)\n")
    print("| step | instructions (millions) | x orjson |")
    print("|---|---:|---:|")
    for step in steps:
        print(f"| {step} | {work[step] / 1e6:,.0f} | {work[step] / work['orjson']:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
