"""The parent's side of the fork server: start it, send a job, restart it if it died."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from fuzz.outcome import Outcome
from fuzz.seeds import REPO

__all__ = ["Server"]

# The server forks: a thread pool (OpenBLAS, OpenMP in open3d) made before a fork is gone in
# the child, which may then wait for it forever (a false hang) or deadlock on its locks.
_ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class Server:
    """A :mod:`fuzz.server` process (with the ``preload`` modules imported); ``run`` sends one
    job and returns its outcome."""

    def __init__(self, preload: tuple[str, ...] = (), python: str = sys.executable) -> None:
        self._python = python
        self._preload = preload
        self._proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [self._python, "-m", "fuzz.server", *self._preload],
            cwd=REPO,
            env={**os.environ, **_ONE_THREAD},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        if "ready" not in ready:
            raise RuntimeError(f"fuzz server did not start: {ready!r}")
        return proc

    def run(
        self,
        root: Path,
        entry: str,
        fmt: str,
        options: dict[str, str],
        *,
        timeout: float,
        memory: int,
    ) -> Outcome:
        """Read ``root / entry`` with format ``fmt`` in a fresh child; how it ended."""
        job: dict[str, Any] = {
            "root": str(root),
            "entry": entry,
            "fmt": fmt,
            "options": options,
            "timeout": timeout,
            "memory": memory,
        }
        for _attempt in range(2):
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start()
            assert self._proc.stdin is not None and self._proc.stdout is not None
            try:
                self._proc.stdin.write(json.dumps(job) + "\n")
                self._proc.stdin.flush()
                line = self._proc.stdout.readline()
            except BrokenPipeError:
                line = ""
            if line:
                return Outcome.from_json(json.loads(line))
            self.close()
        return Outcome("signal", "server died", "fuzz.server")

    def close(self) -> None:
        """Stop the server (it exits when its stdin closes)."""
        if self._proc is not None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
