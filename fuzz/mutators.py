"""Which mutator a file gets, by its name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from fuzz.bytes_ops import mutate_bytes
from fuzz.mutate_binary import mutate_bin, mutate_pcd, mutate_ply, mutate_png
from fuzz.mutate_json import mutate_json, mutate_jsonl
from fuzz.mutate_text import mutate_text, mutate_yaml
from fuzz.mutate_xml import mutate_xml
from fuzz.rng import Rng

__all__ = ["Mutator", "mutator_for"]

Mutator = Callable[[bytes, Rng], bytes]

_BY_SUFFIX: dict[str, Mutator] = {
    ".json": mutate_json,
    ".jsonl": mutate_jsonl,
    ".xml": mutate_xml,
    ".txt": mutate_text,
    ".names": mutate_text,
    ".data": mutate_text,
    ".yaml": mutate_yaml,
    ".yml": mutate_yaml,
    ".png": mutate_png,
    ".pcd": mutate_pcd,
    ".ply": mutate_ply,
    ".bin": mutate_bin,
}


def mutator_for(relpath: str) -> Mutator:
    """The structure-aware mutator for a file (byte mutations for unknown kinds, e.g. JPEG)."""
    return _BY_SUFFIX.get(PurePath(relpath).suffix.lower(), mutate_bytes)
