"""The conformance kit: does a format behave as nucleus-convert requires?

:func:`check_format` runs every check on a format and the sample datasets its author gives,
and returns a :class:`ConformanceReport` (raising :class:`ConformanceError` when a check fails):

``registers``
    the name is in the registry, the declaration validates, and (when ``distribution`` is
    given) it comes from that distribution through the ``nucleus_convert`` entry point group;
``reads the samples``
    each sample reads without error, and together they hold every kind the format declares
    (a kind no sample holds cannot be shown to round-trip);
``writes the samples``
    each sample, read, is written back in the format without raising;
``detects its own output``
    what the format writes is detected as this format, and as no other;
``reads what it writes``
    the written output reads back, with the same number of items;
``round-trips declared kinds``
    sample -> format -> model compares equal (:func:`nucleus_convert.roundtrip.compare`, within
    ``tolerance``) for every declared kind and for items, scenes and the header, and the writer
    reported no loss of them;
``counts what it cannot carry``
    the kitchen sink (:func:`~nucleus_convert.testing.kitchen_sink.kitchen_sink_dataset`, one
    record of every kind) is written without raising, and every record missing when it is read
    back was counted in the writer's loss report under its kind;
``names model kinds and fields``
    every loss row the writer booked (for the samples and the kitchen sink) names a model
    record kind (:data:`~nucleus_convert.toolkit.losses.RECORD_KINDS`, or ``record`` for a
    skipped source record) and ``*``, a model field of that kind or a dotted refinement of one
    (``metadata.<key>``): :func:`~nucleus_convert.toolkit.losses.loss_row_problem`;
``nucleus payloads``
    each sample converted to the ``nucleus`` format gives payloads the official client accepts
    and reproduces unchanged (:func:`~nucleus_convert.testing.judge.judge_nucleus_bundle`).

The checks use only the public reading and writing API, exactly as the CLI does.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nucleus_convert.api import read, write
from nucleus_convert.errors import NucleusConvertError
from nucleus_convert.loss import LOSSY_STATUSES, LossReport
from nucleus_convert.model import MaterializedDataset, count_records
from nucleus_convert.plugins import get_registry, list_plugins
from nucleus_convert.registry import Format
from nucleus_convert.roundtrip import STRUCTURAL_KINDS, compare
from nucleus_convert.testing.judge import ConformanceError, judge_nucleus_bundle
from nucleus_convert.testing.kitchen_sink import kitchen_sink_dataset
from nucleus_convert.toolkit.losses import loss_row_problem

__all__ = ["CHECKS", "Check", "ConformanceReport", "check_format", "record_counts"]

CHECKS = (
    "registers",
    "reads the samples",
    "writes the samples",
    "detects its own output",
    "reads what it writes",
    "round-trips declared kinds",
    "counts what it cannot carry",
    "names model kinds and fields",
    "nucleus payloads",
)
"""The names of the checks, in the order they run."""


@dataclass(slots=True)
class Check:
    """The outcome of one check."""

    name: str
    passed: bool
    detail: str


@dataclass(slots=True)
class ConformanceReport:
    """Every check run on one format, in order."""

    format: str
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if not c.passed]

    def __str__(self) -> str:
        lines = [f"conformance of format {self.format!r}:"]
        for c in self.checks:
            lines.append(f"  [{'pass' if c.passed else 'FAIL'}] {c.name}: {c.detail}")
        return "\n".join(lines)


_SINGULAR = {"items": "item", "scenes": "scene"}


def record_counts(dataset: MaterializedDataset) -> Counter[str]:
    """:func:`~nucleus_convert.model.count_records` keyed by loss-report kind: ``"item"``,
    ``"scene"``, ``"<kind>"`` and ``"<kind> prediction"``; zero counts are left out."""
    counts: Counter[str] = Counter()
    for key, n in count_records(dataset).items():
        kind, _, predictions = key.partition(" ")
        if n:
            counts[_SINGULAR.get(kind, kind) + (" prediction" if predictions else "")] += n
    return counts


def _lossy_count(report: LossReport, kind: str) -> int:
    return sum(e.count(s) for e in report if e.kind == kind for s in LOSSY_STATUSES)


def _describe(report: LossReport, kinds: frozenset[str] | set[str]) -> list[str]:
    out = []
    for entry in report.lossy_entries():
        if entry.kind not in kinds:
            continue
        statuses = ", ".join(
            f"{s} {entry.count(s)}" + (f" ({entry.reasons[s]})" if s in entry.reasons else "")
            for s in (*LOSSY_STATUSES, "not_uploadable")
            if entry.count(s)
        )
        out.append(f"{entry.kind}.{entry.field}: {statuses}")
    return out


class _Run:
    def __init__(
        self,
        fmt: Format,
        workdir: Path,
        read_options: Mapping[str, Any],
        write_options: Mapping[str, Any],
        tolerance: float,
    ) -> None:
        self.fmt = fmt
        self.workdir = workdir
        self.read_options = dict(read_options)
        self.write_options = dict(write_options)
        self.tolerance = tolerance
        self.report = ConformanceReport(fmt.name)
        self.writer_reports: list[LossReport] = []
        """Every report a writer filled, for the check of the rows' names."""

    def add(self, name: str, passed: bool, detail: str) -> bool:
        self.report.checks.append(Check(name, passed, detail))
        return passed

    def attempt(self, name: str, action: Callable[[], str]) -> bool:
        """Run ``action``; its return value is the detail of a pass, an exception a failure."""
        try:
            detail = action()
        except ConformanceError as exc:
            return self.add(name, False, str(exc))
        except NucleusConvertError as exc:
            return self.add(name, False, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a plugin's bug is a failed check, reported like any other
            return self.add(name, False, f"crashed with {type(exc).__name__}: {exc}")
        return self.add(name, True, detail)

    def path(self, name: str) -> Path:
        target = self.workdir / name
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        return target

    def read(self, path: Path) -> MaterializedDataset:
        return read(path, self.fmt.name, **self.read_options).materialize()


def _with_extension(path: Path, fmt: Format) -> Path:
    """A written file gets the format's first extension, as a user would name it (COCO's
    detection goes by the ``.json`` suffix); folders keep their name."""
    if path.is_file() and fmt.extensions and path.suffix.lower() not in fmt.extensions:
        return path.rename(path.with_name(path.name + fmt.extensions[0]))
    return path


def _check_registered(run: _Run, distribution: str | None) -> str:
    fmt = run.fmt
    fmt.validate()
    if not fmt.plugin:
        raise ConformanceError(f"format {fmt.name!r} carries no plugin name")
    info = next((p for p in list_plugins() if p.name == fmt.plugin), None)
    if info is None or fmt.name not in info.formats:
        raise ConformanceError(f"plugin {fmt.plugin!r} is not listed as registering {fmt.name!r}")
    if distribution is not None and info.distribution != distribution:
        raise ConformanceError(
            f"format {fmt.name!r} comes from distribution {info.distribution!r}, "
            f"expected {distribution!r}"
        )
    return f"plugin {info.name!r} from {info.distribution} {info.version}"


def _check_samples(run: _Run, samples: list[Path], loaded: list[MaterializedDataset]) -> str:
    if run.fmt.read is None:
        raise ConformanceError(f"format {run.fmt.name!r} has no reader")
    if not samples:
        raise ConformanceError("no sample dataset given")
    total: Counter[str] = Counter()
    for sample in samples:
        dataset = run.read(sample)
        loaded.append(dataset)
        total += record_counts(dataset)
    held = {k.removesuffix(" prediction") for k in total}
    missing = sorted(run.fmt.kinds - held)
    if missing:
        raise ConformanceError(
            f"the samples hold no {', '.join(missing)}, which the format declares; add a sample "
            "that does, or stop declaring the kind"
        )
    return ", ".join(f"{n} {k}" for k, n in sorted(total.items()))


def _check_writes(
    run: _Run,
    loaded: list[MaterializedDataset],
    written: list[Path],
    writer_reports: list[LossReport],
) -> str:
    summaries = []
    for n, dataset in enumerate(loaded, start=1):
        report = LossReport()
        out = run.path(f"sample-{n}-written")
        result = write(dataset.stream(), out, run.fmt.name, report=report, **run.write_options)
        written.append(_with_extension(out, run.fmt))
        writer_reports.append(report)
        run.writer_reports.append(report)
        summaries.append(result.summary.describe())
    return "; ".join(summaries)


def _check_detects(run: _Run, written: list[Path]) -> str:
    if run.fmt.detect is None:
        raise ConformanceError("the format declares no detect(), so --from is always needed")
    for path in written:
        found = get_registry().detect(path)
        if found.name != run.fmt.name:
            raise ConformanceError(f"{path} is detected as {found.name!r}")
    return f"{len(written)} outputs detected as {run.fmt.name!r} only"


def _check_reads_back(
    run: _Run,
    written: list[Path],
    loaded: list[MaterializedDataset],
    back: list[MaterializedDataset],
) -> str:
    for path, original in zip(written, loaded, strict=True):
        again = run.read(path)
        if len(again.items) != len(original.items):
            raise ConformanceError(
                f"{path}: {len(original.items)} items written, {len(again.items)} read back"
            )
        back.append(again)
    return f"{sum(len(b.items) for b in back)} items read back"


def _check_roundtrip(
    run: _Run,
    loaded: list[MaterializedDataset],
    back: list[MaterializedDataset],
    writer_reports: list[LossReport],
) -> str:
    problems: list[str] = []
    guarded = run.fmt.kinds | STRUCTURAL_KINDS
    kept = 0
    for n, (original, again, written) in enumerate(
        zip(loaded, back, writer_reports, strict=True), start=1
    ):
        cmp = compare(original, again, tolerance=run.tolerance)
        kept += sum(e.count("kept") for e in cmp if e.kind in guarded)
        lossy = LossReport()
        # Differences within the tolerance are what the author allowed; all else is loss.
        lossy.merge(cmp, ("dropped", "changed") if run.tolerance > 0 else LOSSY_STATUSES)
        lossy.merge(written, LOSSY_STATUSES)
        problems += [f"sample {n}: {line}" for line in _describe(lossy, guarded)]
    if problems:
        raise ConformanceError("lost in the round trip: " + "; ".join(problems))
    return f"{kept} fields kept of kinds {', '.join(sorted(run.fmt.kinds))}"


def _check_counts_losses(run: _Run) -> str:
    sink = kitchen_sink_dataset(run.path("kitchen-sink-media")).materialize()
    report = LossReport()
    run.writer_reports.append(report)
    out = run.path("kitchen-sink-out")
    write(sink.stream(), out, run.fmt.name, report=report, **run.write_options)
    again = run.read(_with_extension(out, run.fmt))
    before, after = record_counts(sink), record_counts(again)
    silent = []
    for key, n in sorted(before.items()):
        missing = n - after.get(key, 0)
        kind = key.removesuffix(" prediction")
        if missing > 0 and _lossy_count(report, kind) < missing:
            silent.append(f"{missing} {key} (reported: {_lossy_count(report, kind)})")
    if silent:
        raise ConformanceError(
            "records missing after writing and reading back, with no loss counted: "
            + ", ".join(silent)
        )
    counted = sorted({e.kind for e in report.lossy_entries()})
    return "every missing record counted" + (
        f" (losses under {', '.join(counted)})" if counted else ""
    )


def _check_row_names(run: _Run) -> str:
    problems: dict[tuple[str, str], str] = {}
    rows = 0
    for report in run.writer_reports:
        for entry in report:
            rows += 1
            problem = loss_row_problem(entry.kind, entry.field)
            if problem is not None:
                problems.setdefault((entry.kind, entry.field), problem)
    if problems:
        raise ConformanceError(
            "loss rows that do not name a model kind and field: "
            + "; ".join(f"{k}.{f}: {why}" for (k, f), why in sorted(problems.items()))
        )
    return f"{rows} loss rows, each naming a model kind and field"


def _check_payloads(run: _Run, loaded: list[MaterializedDataset]) -> str:
    totals: Counter[str] = Counter()
    for n, dataset in enumerate(loaded, start=1):
        out = run.path(f"sample-{n}-as-nucleus")
        write(dataset.stream(), out, "nucleus")
        totals.update(judge_nucleus_bundle(out))
    return "accepted: " + ", ".join(f"{v} {k}" for k, v in sorted(totals.items()))


def check_format(
    name: str,
    samples: Sequence[str | Path] | str | Path,
    *,
    workdir: str | Path,
    read_options: Mapping[str, Any] | None = None,
    write_options: Mapping[str, Any] | None = None,
    tolerance: float = 0.0,
    distribution: str | None = None,
    raise_on_failure: bool = True,
) -> ConformanceReport:
    """Run every conformance check (see the module docstring) on format ``name``.

    ``samples`` are datasets in that format which together hold every kind it declares.
    ``workdir`` is a folder the kit may fill (pytest's ``tmp_path``). ``tolerance`` is the
    largest coordinate difference (pixels, metres, radians) a round trip may show; the default
    demands exact equality. Raises :class:`ConformanceError` listing every failed check unless
    ``raise_on_failure`` is false.
    """
    if isinstance(samples, str | Path):
        samples = [samples]
    sample_paths = [Path(s) for s in samples]
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        fmt = get_registry().get(name)
    except NucleusConvertError as exc:
        report = ConformanceReport(name, [Check("registers", False, str(exc))])
        if raise_on_failure:
            raise ConformanceError(str(report)) from None
        return report
    run = _Run(fmt, workdir, read_options or {}, write_options or {}, tolerance)
    run.attempt("registers", lambda: _check_registered(run, distribution))

    loaded: list[MaterializedDataset] = []
    if run.attempt("reads the samples", lambda: _check_samples(run, sample_paths, loaded)):
        if fmt.write is None:
            run.add("writes the samples", True, "read-only format: nothing written")
        else:
            written: list[Path] = []
            writer_reports: list[LossReport] = []
            if run.attempt(
                "writes the samples", lambda: _check_writes(run, loaded, written, writer_reports)
            ):
                run.attempt("detects its own output", lambda: _check_detects(run, written))
                back: list[MaterializedDataset] = []
                if run.attempt(
                    "reads what it writes", lambda: _check_reads_back(run, written, loaded, back)
                ):
                    run.attempt(
                        "round-trips declared kinds",
                        lambda: _check_roundtrip(run, loaded, back, writer_reports),
                    )
                run.attempt("counts what it cannot carry", lambda: _check_counts_losses(run))
                run.attempt("names model kinds and fields", lambda: _check_row_names(run))
        run.attempt("nucleus payloads", lambda: _check_payloads(run, loaded))
    if raise_on_failure and not run.report.passed:
        raise ConformanceError(str(run.report))
    return run.report
