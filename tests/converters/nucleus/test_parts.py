"""JSONL files split into numbered parts below a size limit, read back in order (issue 17)."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from judge import nucleus
from paths import FIXTURES

import nucleus_convert as nc
from nucleus_convert.converters.nucleus.parts import (
    CLIENT_MAX_PAYLOAD_SIZE,
    DEFAULT_MAX_FILE_BYTES,
    part_paths,
)
from nucleus_convert.errors import OutputError
from nucleus_convert.roundtrip import compare

FIXTURE = FIXTURES / "nucleus"


def test_default_limit_is_under_the_clients_request_cap() -> None:
    from nucleus.constants import MAX_PAYLOAD_SIZE

    assert nucleus is not None
    assert CLIENT_MAX_PAYLOAD_SIZE == MAX_PAYLOAD_SIZE
    assert 0 < DEFAULT_MAX_FILE_BYTES < MAX_PAYLOAD_SIZE


def test_unsplit_bundle_is_byte_identical_and_has_no_parts_key(tmp_path: Path) -> None:
    out = nc.convert(FIXTURE, tmp_path / "out", to="nucleus").path
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert "parts" not in manifest
    assert not list(out.glob("*-0000*.jsonl"))


def test_split_parts_are_below_the_limit_listed_in_order_and_join_to_the_whole(
    tmp_path: Path,
) -> None:
    whole = nc.convert(FIXTURE, tmp_path / "whole", to="nucleus").path
    split = nc.convert(
        FIXTURE, tmp_path / "split", to="nucleus", write_options={"max_file_bytes": 1500}
    ).path
    parts = orjson.loads((split / "manifest.json").read_bytes())["parts"]
    names = parts["annotations.jsonl"]
    assert names[:3] == ["annotations.jsonl", "annotations-00002.jsonl", "annotations-00003.jsonl"]
    for file_parts in parts.values():
        assert all((split / p).stat().st_size <= 1500 for p in file_parts)
    for name, file_parts in parts.items():
        joined = b"".join((split / p).read_bytes() for p in file_parts)
        assert joined == (whole / name).read_bytes(), name


@pytest.mark.parametrize("keep_manifest", [True, False])
def test_split_bundle_reads_back_like_the_whole(tmp_path: Path, keep_manifest: bool) -> None:
    split = nc.convert(
        FIXTURE, tmp_path / "split", to="nucleus", write_options={"max_file_bytes": 1500}
    ).path
    if not keep_manifest:
        (split / "manifest.json").unlink()
        whole = tmp_path / "whole"
        shutil.copytree(nc.convert(FIXTURE, tmp_path / "w", to="nucleus").path, whole)
        (whole / "manifest.json").unlink()
    else:
        whole = FIXTURE
    a = nc.read(whole).materialize()
    b = nc.read(split).materialize()
    assert [i.reference_id for i in a.items] == [i.reference_id for i in b.items]
    report = compare(a, b)
    assert not any(e.count("changed") for e in report.entries.values())


def test_without_a_manifest_parts_are_taken_in_numeric_order(tmp_path: Path) -> None:
    for name in ("a.jsonl", "a-00010.jsonl", "a-00002.jsonl", "a-x.jsonl", "ab-00003.jsonl"):
        (tmp_path / name).write_text("")
    assert [p.name for p in part_paths(tmp_path, "a.jsonl", None)] == [
        "a.jsonl",
        "a-00002.jsonl",
        "a-00010.jsonl",
    ]


def test_a_line_over_the_limit_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="over the part limit"):
        nc.convert(FIXTURE, tmp_path / "o", to="nucleus", write_options={"max_file_bytes": 100})


@pytest.mark.parametrize("kernel", ["whole", "refused after a block", "missing"])
def test_a_part_file_is_appended_whole_however_the_kernel_copy_goes(
    kernel: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The merge appends part files with copy_file_range; a refusal part way (another file
    system) or no such call leaves the rest to a buffered copy, from where it stopped."""
    from nucleus_convert.converters.nucleus import parts

    source = tmp_path / "part.jsonl"
    source.write_bytes(b"".join(b'{"n":%d}\n' % i for i in range(50_000)))
    real = parts.os.copy_file_range
    if kernel == "refused after a block":

        def once_then_refuse(src: int, dst: int, count: int) -> int:
            if once_then_refuse.done:  # type: ignore[attr-defined]
                raise OSError(18, "Invalid cross-device link")
            once_then_refuse.done = True  # type: ignore[attr-defined]
            return real(src, dst, min(count, 4096))

        once_then_refuse.done = False  # type: ignore[attr-defined]
        monkeypatch.setattr(parts.os, "copy_file_range", once_then_refuse)
    elif kernel == "missing":
        monkeypatch.delattr(parts.os, "copy_file_range")
    writer = parts.PartedJsonlWriter(tmp_path, "out.jsonl", DEFAULT_MAX_FILE_BYTES)
    writer.write({"first": True})
    writer.write_lines_of(source, 50_000)
    writer.write({"last": True})
    writer.close()
    expected = b'{"first":true}\n' + source.read_bytes() + b'{"last":true}\n'
    assert (tmp_path / "out.jsonl").read_bytes() == expected
    assert writer.count == 50_002
