"""One fuzz input: a seed tree with one file replaced, generated from an integer seed."""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from fuzz.mutators import mutator_for
from fuzz.rng import Rng, pick
from fuzz.seeds import ReaderSpec

__all__ = ["Case", "case_rng", "make_case", "materialise"]


@dataclass(frozen=True, slots=True)
class Case:
    """The seed tree of a reader with ``relpath`` holding ``data`` instead."""

    relpath: str
    data: bytes


def make_case(spec: ReaderSpec, seed_root: Path, rng: Rng) -> Case:
    """Mutate one target file of the seed tree (1-2 stacked mutations)."""
    pattern = pick(rng, spec.targets)
    files = sorted(p for p in seed_root.glob(pattern) if p.is_file())
    target = pick(rng, files)
    relpath = target.relative_to(seed_root).as_posix()
    data = target.read_bytes()
    mutate = mutator_for(relpath)
    for _ in range(1 + (rng.randrange(4) == 0)):
        data = mutate(data, rng)
    return Case(relpath, data)


def case_rng(base_seed: int, reader: str, index: int) -> random.Random:
    """The generator for input ``index`` of ``reader``: any input can be replayed alone."""
    return random.Random(f"{base_seed}:{reader}:{index}")


def materialise(seed_root: Path, case: Case, folder: Path) -> None:
    """Write the case's tree into ``folder`` (unchanged files hard-linked, else copied)."""
    if folder.exists():
        shutil.rmtree(folder)
    try:
        shutil.copytree(seed_root, folder, copy_function=os.link)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(seed_root, folder)
    target = folder / case.relpath
    target.unlink()
    target.write_bytes(case.data)
