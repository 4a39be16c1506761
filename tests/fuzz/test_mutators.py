"""The mutators: deterministic for a seed, total (bytes out for any choices, drawn by
Hypothesis), and structure-keeping (a JSON document stays JSON with its structure changed)."""

from __future__ import annotations

import json
import random
import struct
import zlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import FIXTURES

from fuzz.mutate_binary import mutate_png
from fuzz.mutate_json import mutate_document
from fuzz.mutators import mutator_for
from fuzz.rng import HypothesisRng

SAMPLES = {
    "a.json": (FIXTURES / "coco" / "instances_demo.json").read_bytes(),
    "a.jsonl": (FIXTURES / "nucleus" / "annotations.jsonl").read_bytes(),
    "a.xml": (FIXTURES / "voc" / "VOC2012" / "Annotations" / "2012_000001.xml").read_bytes(),
    "a.txt": (FIXTURES / "kitti" / "object" / "training" / "label_2" / "000000.txt").read_bytes(),
    "a.png": (FIXTURES / "kitti" / "object" / "training" / "image_2" / "000000.png").read_bytes(),
    "a.bin": (FIXTURES / "kitti" / "object" / "training" / "velodyne" / "000000.bin").read_bytes(),
    "a.yaml": b"path: .\nnc: 2\nnames:\n  0: a\n  1: b\n",
    "a.pcd": b"VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 1\n"
    b"HEIGHT 1\nPOINTS 1\nDATA ascii\n1 2 3\n",
    "a.ply": b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n1\n",
    "a.jpg": b"\xff\xd8\xff\xe0" + b"\x00" * 20,
}


def test_a_mutation_is_reproducible_from_its_seed() -> None:
    for name, data in SAMPLES.items():
        mutate = mutator_for(name)
        runs = {mutate(data, random.Random(f"7:{name}")) for _ in range(2)}
        assert len(runs) == 1, name


def test_mutations_change_the_input_for_most_seeds() -> None:
    for name, data in SAMPLES.items():
        changed = sum(mutator_for(name)(data, random.Random(i)) != data for i in range(50))
        assert changed >= 35, name


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_every_mutator_returns_bytes_for_any_choices(name: str, data: st.DataObject) -> None:
    out = mutator_for(name)(SAMPLES[name], HypothesisRng(data))
    assert isinstance(out, bytes)


def test_mutations_apply_to_their_own_output_again() -> None:
    # a fuzz input is 1-2 stacked mutations: the second sees a cut PNG, a bare signature...
    for name, data in SAMPLES.items():
        mutate = mutator_for(name)
        for i in range(150):
            rng = random.Random(i)
            out = data
            for _ in range(4):
                out = mutate(out, rng)
            assert isinstance(out, bytes), name
    for i in range(20):  # a bare signature: no chunk to pick
        assert isinstance(mutator_for("a.png")(b"\x89PNG\r\n\x1a\n", random.Random(i)), bytes)


def test_a_json_mutation_keeps_a_json_document_with_a_change() -> None:
    doc = json.loads(SAMPLES["a.json"])
    kept = 0
    for i in range(40):
        text = mutate_document(json.loads(SAMPLES["a.json"]), random.Random(i))
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            continue  # raw text spliced in: NaN, 5,001 digits, deep nesting
        kept += parsed != doc
    assert kept >= 20


def test_a_png_mutation_keeps_the_chunk_layout_with_valid_crcs_mostly(tmp_path: Path) -> None:
    good = 0
    for i in range(40):
        out = mutate_png(SAMPLES["a.png"], random.Random(i))
        if not out.startswith(b"\x89PNG\r\n\x1a\n"):
            continue
        length, kind = struct.unpack(">I4s", out[8:16])
        crc = struct.unpack(">I", out[16 + length : 20 + length])[0]
        good += kind == b"IHDR" and crc == zlib.crc32(out[12 : 16 + length])
    assert good >= 20
