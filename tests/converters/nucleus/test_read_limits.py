"""Free-form values of a Nucleus bundle (metadata) are checked while reading: nested past 64
levels they stop with one line naming the file, line, record and field, and nothing is written.
(orjson reads integers past 64 bits as floats, which write back, and refuses 5,001 digits.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from cli_runner import run_cli
from paths import FIXTURES


def _deep(levels: int) -> bytes:
    """JSON text of a value nested ``levels`` objects deep (orjson would refuse to write it)."""
    return b'{"k":' * levels + b"1" + b"}" * levels


def _bundle_with(tmp_path: Path, file: str, metadata: bytes) -> tuple[Path, int]:
    """The fixture bundle with the first line of ``file`` given ``metadata`` (JSON text)."""
    bundle = tmp_path / "bundle"
    shutil.copytree(FIXTURES / "nucleus", bundle)
    path = bundle / file
    lines = path.read_bytes().splitlines()
    first = orjson.loads(lines[0])
    first["metadata"] = "@METADATA@"
    lines[0] = orjson.dumps(first).replace(b'"@METADATA@"', metadata)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return bundle, 1


@pytest.mark.parametrize("file", ["items.jsonl", "annotations.jsonl", "scenes.jsonl"])
def test_metadata_nested_1000_deep_stops_with_one_line_and_writes_nothing(
    tmp_path: Path, file: str
) -> None:
    bundle, line = _bundle_with(tmp_path, file, _deep(1000))
    proc = run_cli("convert", str(bundle), str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert f"{file}:{line}" in lines[0] and "metadata" in lines[0]
    assert "nested more than 64 levels deep" in lines[0]
    assert not (tmp_path / "out").exists()


def test_an_integer_of_5001_digits_is_not_json_and_is_named_by_line(tmp_path: Path) -> None:
    bundle, line = _bundle_with(tmp_path, "items.jsonl", b'{"n": ' + b"9" * 5001 + b"}")
    proc = run_cli("convert", str(bundle), str(tmp_path / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"items.jsonl:{line}: not valid JSON" in proc.stderr.strip()


def test_metadata_nested_64_levels_is_read(tmp_path: Path) -> None:
    bundle, _ = _bundle_with(tmp_path, "items.jsonl", b'{"deep": ' + _deep(63) + b"}")
    proc = run_cli("convert", str(bundle), str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
