"""A campaign: several readers fuzzed side by side, one fork server per worker thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fuzz.client import Server
from fuzz.runner import ReaderReport, Settings, fuzz_reader
from fuzz.seeds import READERS, reader_named

__all__ = ["format_report", "fuzz_all"]


def fuzz_all(
    names: list[str] | None, settings: Settings, jobs: int, *, echo: bool = False
) -> list[ReaderReport]:
    """Fuzz the named readers (all by default), ``jobs`` fork servers side by side; with
    ``echo``, print each reader's report as it is done."""
    specs = [reader_named(n) for n in names] if names else list(READERS)
    local = threading.local()
    servers: list[Server] = []

    def one(spec_index: int) -> ReaderReport:
        spec = specs[spec_index]
        if not hasattr(local, "servers"):
            local.servers = {}
        if spec.preload not in local.servers:
            local.servers[spec.preload] = Server(spec.preload)
            servers.append(local.servers[spec.preload])
        report = fuzz_reader(spec, settings, local.servers[spec.preload])
        if echo:
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
