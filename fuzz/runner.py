"""Fuzz readers: generate inputs, run them through the fork server, count outcomes, keep one
(minimised) reproducer per crash class."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fuzz.cases import Case, case_rng, make_case, materialise
from fuzz.client import Server
from fuzz.minimise import minimise
from fuzz.outcome import Outcome
from fuzz.seeds import ReaderSpec

__all__ = ["CrashClass", "ReaderReport", "Settings", "fuzz_reader"]


@dataclass(frozen=True)
class Settings:
    """How a run goes: inputs per reader, base seed, limits per input, where reproducers go
    (``None``: not saved, nor minimised)."""

    inputs: int = 200
    seed: int = 0
    timeout: float = 10.0
    memory: int = 1 << 30
    out: Path | None = None
    minimise_budget: int = 300


@dataclass
class CrashClass:
    """A distinct crash class of one reader and its smallest known reproducer."""

    key: tuple[str, str]
    first: Outcome
    case: Case
    index: int
    count: int = 0
    saved: Path | None = None


@dataclass
class ReaderReport:
    """What fuzzing one reader found."""

    reader: str
    inputs: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    crashes: dict[tuple[str, str], CrashClass] = field(default_factory=dict)


class _Runner:
    def __init__(self, spec: ReaderSpec, settings: Settings, server: Server, work: Path) -> None:
        self.spec, self.settings, self.server = spec, settings, server
        self.seed_root = work / "seed"
        self.seed_root.mkdir(parents=True)
        spec.build(self.seed_root)
        self.case_dir = work / "case"

    def run(self, case: Case) -> Outcome:
        materialise(self.seed_root, case, self.case_dir)
        return self.server.run(
            self.case_dir,
            self.spec.entry,
            self.spec.fmt,
            self.spec.options_for(self.case_dir),
            timeout=self.settings.timeout,
            memory=self.settings.memory,
        )


def _save(spec: ReaderSpec, runner: _Runner, crash: CrashClass, out: Path) -> Path:
    kind, where = crash.key
    slug = "".join(c if c.isalnum() else "_" for c in f"{kind}_{where}")[:120]
    folder = out / spec.name / slug
    if folder.exists():
        shutil.rmtree(folder)
    materialise(runner.seed_root, crash.case, folder / "tree")
    info = {
        "reader": spec.name,
        "format": spec.fmt,
        "entry": f"tree/{spec.entry}",
        "options": spec.options_for(folder / "tree"),
        "class": {"type": kind, "where": where},
        "outcome": crash.first.describe(),
        "mutated_file": crash.case.relpath,
        "input_index": crash.index,
        "count": crash.count,
        "replay": f"python -m fuzz replay {folder}",
    }
    (folder / "crash.json").write_text(json.dumps(info, indent=2) + "\n")
    return folder


def fuzz_reader(spec: ReaderSpec, settings: Settings, server: Server) -> ReaderReport:
    """Run ``settings.inputs`` mutated inputs through ``spec``'s reader."""
    report = ReaderReport(spec.name)
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{spec.name}-", dir=_scratch()) as tmp:
        runner = _Runner(spec, settings, server, Path(tmp))
        for index in range(settings.inputs):
            case = make_case(spec, runner.seed_root, case_rng(settings.seed, spec.name, index))
            outcome = runner.run(case)
            report.inputs += 1
            report.outcomes[outcome.status] += 1
            if not outcome.is_crash:
                continue
            crash = report.crashes.setdefault(
                outcome.crash_class, CrashClass(outcome.crash_class, outcome, case, index)
            )
            crash.count += 1
        if settings.out is not None:
            for crash in report.crashes.values():
                key = crash.key
                if crash.first.status == "hang":  # each check would take the whole time limit
                    crash.saved = _save(spec, runner, crash, settings.out)
                    continue
                crash.case = minimise(
                    crash.case,
                    lambda c, key=key: runner.run(c).crash_class == key,  # type: ignore[misc]
                    settings.minimise_budget,
                )
                crash.saved = _save(spec, runner, crash, settings.out)
    return report


def _scratch() -> str | None:
    """A RAM-backed folder for the per-input trees when there is one."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() else None
