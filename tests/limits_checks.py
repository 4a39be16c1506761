"""Helpers for the read-limit tests: hostile inputs made in ``tmp_path`` and the CLI run under a
memory cap, with the one check every refusal must pass."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from cli_runner import run_cli
from paths import ROOT

ADVERSARIAL_INPUTS = ROOT.parent / "shared" / "adversarial" / "inputs"
"""PNGs found by fuzzing (read at test time; tests using them skip when absent)."""

MEMORY_CAP = 1 << 30
"""Address-space cap for a run that must be refused small (1 GiB)."""


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with its CRC."""
    crc = zlib.crc32(data, zlib.crc32(kind)) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


SIGNATURE = b"\x89PNG\r\n\x1a\n"

BAD_IHDR = (
    SIGNATURE
    + chunk(b"IHDR", struct.pack(">IIBBBB", 4, 4, 8, 0, 0, 0))  # 12 bytes instead of 13
    + chunk(b"IDAT", zlib.compress(b"\0\0\0\0\0" * 4))
    + chunk(b"IEND", b"")
)
"""Pillow: ``ValueError: Truncated IHDR chunk``."""


def broken_chunk_png(depth: int = 8, width: int = 4, height: int = 4) -> bytes:
    """A grayscale PNG of ``depth`` bits whose pixels end in a chunk whose type is not four
    letters: Pillow raises ``SyntaxError: broken PNG file`` when it decodes them."""
    return (
        SIGNATURE
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\0" * 40)[:5])
        + b"\x00\x00\x00\x05\x00IENxxxxxxxxx"
    )


BROKEN_CHUNK = broken_chunk_png()
"""Pillow: ``SyntaxError: broken PNG file`` when the pixels are decoded."""


def one_colour_png(width: int, height: int, *, mode: int = 0, depth: int = 8) -> bytes:
    """A real PNG of ``width x height`` zero pixels (grayscale ``mode`` 0, or 2 for RGB),
    compressed as it streams (a 13000x13000 one is about 0.2 MB)."""
    channels = 3 if mode == 2 else 1
    row = bytes(1 + width * channels * depth // 8)
    deflate = zlib.compressobj(9)
    parts = [deflate.compress(row) for _ in range(height)]
    idat = b"".join(parts) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, mode, 0, 0, 0)
    return SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def copy_input(name: str, to: Path) -> None:
    """Copy a fuzz-found PNG from ``../shared/adversarial/inputs`` (caller skips when absent)."""
    shutil.copy(ADVERSARIAL_INPUTS / name, to)


def run_capped(*args: str, cap: int = MEMORY_CAP) -> subprocess.CompletedProcess[str]:
    """The CLI under an address-space cap (``prlimit``), as :func:`run_cli` runs it."""
    if shutil.which("prlimit") is None:
        return run_cli(*args)
    return subprocess.run(
        ["prlimit", f"--as={cap}", sys.executable, "-m", "nucleus_convert.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env={"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )


def assert_refused(result: subprocess.CompletedProcess[str], dst: Path, *fragments: str) -> str:
    """Exit 2, one ``error:`` line holding every fragment, no traceback, nothing at ``dst``;
    returns the line."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert not dst.exists()
    return lines[0]
