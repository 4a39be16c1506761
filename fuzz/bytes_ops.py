"""Format-blind byte mutations: flips, inserts, deletes, repeats, truncation."""

from __future__ import annotations

from fuzz.rng import Rng, pick

__all__ = ["mutate_bytes", "truncate"]

_INTERESTING = (b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff\xff\xff\x7f", b"\x00\x00\x80\x7f")


def truncate(data: bytes, rng: Rng) -> bytes:
    """A prefix of ``data`` (possibly empty)."""
    return data[: rng.randrange(len(data) + 1)]


def mutate_bytes(data: bytes, rng: Rng) -> bytes:
    """``data`` with one byte-level change."""
    if not data:
        return pick(rng, (b"", b"\x00", b"\n", b"{"))
    buf = bytearray(data)
    op = rng.randrange(6)
    at = rng.randrange(len(buf))
    if op == 0:
        buf[at] ^= 1 << rng.randrange(8)
    elif op == 1:
        buf[at : at + 1] = pick(rng, _INTERESTING)
    elif op == 2:
        del buf[at : at + 1 + rng.randrange(64)]
    elif op == 3:
        chunk = bytes(buf[at : at + 1 + rng.randrange(64)])
        buf[at:at] = chunk * rng.randrange(1, 100)
    elif op == 4:
        return truncate(data, rng)
    else:
        buf[at] = rng.randrange(256)
    return bytes(buf)
