"""Run the ``nucleus-convert`` CLI in a subprocess, as a user would, with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


def run_cli(
    *args: str, pythonpath: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the CLI with ``args``; plugin variables are cleared, then ``env`` is applied."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("NUCLEUS_CONVERT_")}
    if pythonpath is not None:
        full["PYTHONPATH"] = os.pathsep.join([str(pythonpath), full.get("PYTHONPATH", "")])
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "nucleus_convert.cli", *args],
        capture_output=True,
        text=True,
        env=full,
        check=False,
    )


@dataclass(frozen=True)
class Bad:
    """What a bad-input error must say: the culprit file, its line (None: no line) and
    fragments of the message."""

    file: Path
    line: int | None
    fragments: tuple[str, ...]

    def where(self) -> str:
        return f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
