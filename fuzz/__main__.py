"""``python -m fuzz [-n N] [--out DIR] [--seed S] [--jobs J] [--reader NAME...]``: fuzz every
reader and print, per reader, inputs, outcome counts and the distinct crash classes (each with
a minimised reproducer saved under ``--out``). ``python -m fuzz replay DIR`` runs one saved
reproducer again. Exit status 1 when a crash class was found."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from fuzz.campaign import fuzz_all
from fuzz.client import Server
from fuzz.runner import Settings
from fuzz.seeds import READERS, corpus_readers


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument("-n", "--inputs", type=int, default=2000, help="inputs per reader")
    parser.add_argument("--out", type=Path, default=None, help="where reproducers go")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="fork servers in parallel")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per input")
    parser.add_argument("--memory-mib", type=int, default=1024, help="address space per input")
    parser.add_argument("--reader", action="append", default=None, help="only these readers")
    parser.add_argument(
        "--no-corpus", action="store_true", help="leave out the ../shared/corpus seeds"
    )
    return parser.parse_args(argv)


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
    names = args.reader
    if names is None:
        extra = () if args.no_corpus else corpus_readers()
        names = [spec.name for spec in (*READERS, *extra)]
    reports = fuzz_all(names, settings, args.jobs, echo=True)
    total = sum(len(r.crashes) for r in reports)
    print(f"total: {sum(r.inputs for r in reports)} inputs, {total} crash classes")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
