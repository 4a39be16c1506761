"""Column-aware mutation of text label files (KITTI labels and calibration, YOLO labels,
VOC image sets, YAML and Darknet files): whitespace-separated columns and whole lines are
replaced, dropped, duplicated or added, with hostile tokens."""

from __future__ import annotations

from fuzz.bytes_ops import mutate_bytes
from fuzz.rng import Rng, pick
from fuzz.values import TOKENS

__all__ = ["mutate_text", "mutate_yaml"]

_YAML_LINES = (
    "nc: 1000000000",
    "nc: -1",
    "nc: 1e309",
    "names: {0: [1, 2], 1: {a: b}}",
    "names: [" + "[" * 5000 + "]" * 5000 + "]",
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "names: [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
    "path: /",
    "path: ../../..",
    "train: /dev/zero",
    "names: !!python/object/apply:os.system ['true']",
    "\t- broken",
)


def _mutate_line(cols: list[str], rng: Rng) -> list[str]:
    if not cols:
        return [pick(rng, TOKENS)]
    at = rng.randrange(len(cols))
    op = rng.randrange(5)
    if op == 0:
        del cols[at]
    elif op == 1:
        cols.insert(at, pick(rng, TOKENS))
    elif op == 2:
        cols.extend(cols * rng.randrange(1, 20))
    else:
        cols[at] = pick(rng, TOKENS)
    return cols


def mutate_text(data: bytes, rng: Rng) -> bytes:
    """A text file with a line's columns or whole lines changed."""
    if rng.randrange(10) == 0:
        return mutate_bytes(data, rng)
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    for _ in range(1 + rng.randrange(3)):
        at = rng.randrange(len(lines))
        op = rng.randrange(6)
        if op == 0:
            lines.insert(at, lines[at])
        elif op == 1 and len(lines) > 1:
            del lines[at]
        elif op == 2:
            lines.insert(at, " ".join(pick(rng, TOKENS) for _ in range(rng.randrange(1, 20))))
        else:
            lines[at] = " ".join(_mutate_line(lines[at].split(), rng))
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def mutate_yaml(data: bytes, rng: Rng) -> bytes:
    """A YAML file: a hostile line added (huge counts, alias bombs, deep nesting) or text
    mutations."""
    if rng.randrange(3) == 0:
        lines = data.decode("utf-8", "surrogateescape").split("\n")
        lines.insert(rng.randrange(len(lines) + 1), pick(rng, _YAML_LINES))
        return "\n".join(lines).encode("utf-8", "surrogateescape")
    return mutate_text(data, rng)
