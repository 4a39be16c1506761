"""``python -m fuzz [-n N] [--out DIR] [--seed S] [--jobs J] [--reader NAME...]``: fuzz every
reader and print, per reader, inputs, outcome counts and the distinct crash classes (each with
a minimised reproducer saved under ``--out``). ``python -m fuzz replay DIR`` runs one saved
reproducer again. Exit status 1 when a crash class was found."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fuzz.client import Server
from fuzz.runner import ReaderReport, Settings, fuzz_reader
from fuzz.seeds import READERS, reader_named


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument("-n", "--inputs", type=int, default=2000, help="inputs per reader")
    parser.add_argument("--out", type=Path, default=None, help="where reproducers go")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="fork servers in parallel")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per input")
    parser.add_argument("--memory-mib", type=int, default=1024, help="address space per input")
    parser.add_argument("--reader", action="append", default=None, help="only these readers")
    return parser.parse_args(argv)


def fuzz_all(names: list[str] | None, settings: Settings, jobs: int) -> list[ReaderReport]:
    """Fuzz the named readers (all by default), ``jobs`` fork servers side by side."""
    specs = [reader_named(n) for n in names] if names else list(READERS)
    local = threading.local()
    servers: list[Server] = []

    def one(spec_index: int) -> ReaderReport:
        if not hasattr(local, "server"):
            local.server = Server()
            servers.append(local.server)
        report = fuzz_reader(specs[spec_index], settings, local.server)
        print(format_report(report), flush=True)
        return report

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(one, range(len(specs))))
    finally:
        for server in servers:
            server.close()


def format_report(report: ReaderReport) -> str:
    """A reader's block of the summary."""
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items()))
    lines = [
        f"{report.reader}: {report.inputs} inputs ({counts}); {len(report.crashes)} crash classes"
    ]
    for crash in report.crashes.values():
        where = f" -> {crash.saved}" if crash.saved else ""
        lines.append(f"  [{crash.count}x] {crash.first.describe()}{where}")
    return "\n".join(lines)


def replay(folder: Path) -> int:
    """Run a saved reproducer again and print its outcome."""
    info = json.loads((folder / "crash.json").read_text())
    server = Server()
    try:
        outcome = server.run(
            folder, info["entry"], info["format"], info["options"], timeout=30.0, memory=1 << 30
        )
    finally:
        server.close()
    print(outcome.describe())
    return 1 if outcome.is_crash else 0


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["replay"] and len(argv) == 2:
        return replay(Path(argv[1]))
    args = _parse(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="nucleus-convert-fuzz-"))
    settings = Settings(
        inputs=args.inputs,
        seed=args.seed,
        timeout=args.timeout,
        memory=args.memory_mib << 20,
        out=out,
    )
    print(f"fuzzing {args.inputs} inputs per reader; reproducers in {out}", flush=True)
    reports = fuzz_all(args.reader, settings, args.jobs)
    total = sum(len(r.crashes) for r in reports)
    print(f"total: {sum(r.inputs for r in reports)} inputs, {total} crash classes")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
