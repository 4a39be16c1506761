"""Mutation of binary files by their structure: PNG chunks and header fields, PCD and PLY
headers (field order, sizes, counts, data kind, long lines) and bodies, KITTI ``.bin`` scans."""

from __future__ import annotations

import struct
import zlib

from fuzz.bytes_ops import mutate_bytes, truncate
from fuzz.mutate_text import mutate_text
from fuzz.rng import Rng, pick

__all__ = ["mutate_bin", "mutate_pcd", "mutate_ply", "mutate_png"]

_SIG = b"\x89PNG\r\n\x1a\n"
_DIMS = (0, 1, 13000, 65535, 100_000, 2**31 - 1, 2**32 - 1)


def _chunks(data: bytes) -> list[tuple[bytes, bytes]] | None:
    """(type, payload) of every chunk, or None when ``data`` is not a well-formed PNG."""
    if not data.startswith(_SIG):
        return None
    out, at = [], len(_SIG)
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        out.append((kind, data[at + 8 : at + 8 + length]))
        at += 12 + length
    return out


def _png(chunks: list[tuple[bytes, bytes]], good_crc: bool = True) -> bytes:
    parts = [_SIG]
    for kind, payload in chunks:
        crc = zlib.crc32(kind + payload) if good_crc else 0
        parts.append(struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc))
    return b"".join(parts)


def _ihdr(payload: bytes, rng: Rng) -> bytes:
    w, h, depth, colour, comp, filt, lace = struct.unpack(">IIBBBBB", payload[:13])
    field = rng.randrange(5)
    if field == 0:
        w = pick(rng, _DIMS)
    elif field == 1:
        h = pick(rng, _DIMS)
    elif field == 2:
        depth = pick(rng, (1, 2, 4, 8, 16, 3, 0, 255))
    elif field == 3:
        colour = pick(rng, (0, 2, 3, 4, 6, 1, 7))
    else:
        w, h = pick(rng, ((13000, 13000), (100_000, 100_000), (1, 2**31 - 1)))
    return struct.pack(">IIBBBBB", w, h, depth, colour, comp, filt, lace & 1)


def mutate_png(data: bytes, rng: Rng) -> bytes:
    """A PNG with a header field, a chunk or its bytes changed (CRCs fixed up mostly)."""
    chunks = _chunks(data)
    if not chunks or rng.randrange(6) == 0:  # not a PNG, or nothing after the signature
        return mutate_bytes(data, rng) if rng.randrange(2) else truncate(data, rng)
    at = rng.randrange(len(chunks))
    kind, payload = chunks[at]
    op = rng.randrange(6)
    if op <= 1 and chunks[0][0] == b"IHDR" and len(chunks[0][1]) >= 13:
        chunks[0] = (b"IHDR", _ihdr(chunks[0][1], rng))
    elif op == 2:
        del chunks[at]
    elif op == 3:
        chunks.insert(at, (kind, payload))
    elif op == 4:
        idat = zlib.compress(b"\x00" * rng.randrange(1, 1 << 20), 9)
        chunks = [c for c in chunks if c[0] != b"IDAT"]
        chunks.insert(max(1, len(chunks) - 1), (b"IDAT", idat))
    else:
        chunks[at] = (kind, mutate_bytes(payload, rng))
    return _png(chunks, good_crc=rng.randrange(8) != 0)


def _split_header(data: bytes, last: bytes) -> tuple[bytes, bytes] | None:
    """(header through the line starting with ``last``, body), or None."""
    at = data.find(b"\n" + last)
    if at < 0:
        return None
    end = data.find(b"\n", at + 1)
    end = len(data) if end < 0 else end + 1
    return data[:end], data[end:]


def _header_lines(header: bytes, rng: Rng, extra: tuple[bytes, ...]) -> bytes:
    lines = header.rstrip(b"\n").split(b"\n")
    op = rng.randrange(4)
    if op == 0 and len(lines) > 2:
        i, j = rng.randrange(1, len(lines) - 1), rng.randrange(1, len(lines) - 1)
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 1:
        lines.insert(rng.randrange(1, len(lines)), pick(rng, extra))
    else:
        return mutate_text(header, rng)
    return b"\n".join(lines) + b"\n"


def mutate_pcd(data: bytes, rng: Rng) -> bytes:
    """A PCD with its header (order, counts, sizes, DATA kind) or its body changed."""
    parts = _split_header(data, b"DATA")
    if parts is None or rng.randrange(5) == 0:
        return mutate_bytes(data, rng)
    header, body = parts
    if rng.randrange(3) == 0:
        return header + (truncate(body, rng) if rng.randrange(2) else mutate_bytes(body, rng))
    extra = (
        b"DATA binary_compressed",
        b"DATA binary",
        b"POINTS 2147483647",
        b"WIDTH 4294967295",
        b"SIZE 8 8 8 8",
        b"COUNT 1000000 1 1 1",
        b"# " + b"c" * 100_000,
        b"FIELDS z y x intensity",
    )
    return _header_lines(header, rng, extra) + body


def mutate_ply(data: bytes, rng: Rng) -> bytes:
    """A PLY with its header (element counts, property types, long comment) or body changed."""
    parts = _split_header(data, b"end_header")
    if parts is None or rng.randrange(5) == 0:
        return mutate_bytes(data, rng)
    header, body = parts
    if rng.randrange(3) == 0:
        return header + (truncate(body, rng) if rng.randrange(2) else mutate_bytes(body, rng))
    extra = (
        b"comment " + b"c" * 100_000,
        b"element vertex 4294967295",
        b"element face 1000000000",
        b"property list uchar int vertex_indices",
        b"property double x",
        b"format binary_big_endian 1.0",
        b"format binary_little_endian 1.0",
        b"obj_info " + b"o" * 5000,
    )
    return _header_lines(header, rng, extra) + body


def mutate_bin(data: bytes, rng: Rng) -> bytes:
    """A KITTI velodyne scan (float32 x, y, z, reflectance): NaN/inf values, a length that is
    not a multiple of 16, empty, or byte mutations."""
    op = rng.randrange(4)
    if op == 0 and len(data) >= 4:
        at = rng.randrange(len(data) // 4) * 4
        value = pick(rng, (float("nan"), float("inf"), -float("inf"), 3.4e38, -0.0))
        return data[:at] + struct.pack("<f", value) + data[at + 4 :]
    if op == 1:
        return truncate(data, rng)
    if op == 2:
        return data + b"\x00" * rng.randrange(1, 16)
    return mutate_bytes(data, rng)
