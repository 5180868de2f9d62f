"""Count the colours of a PNG (8-bit RGB or RGBA, not interlaced), stdlib only.

Enough to tell a rendered page from a blank one in the browser test without Pillow:
the chunks are read with ``struct``, the pixels inflated with ``zlib`` and each
scanline's filter (PNG specification, section 9) undone.
"""

from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunks(data: bytes) -> tuple[tuple[int, ...], bytes]:
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG")
    pos, header, idat = len(SIGNATURE), (), []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    return header, zlib.decompress(b"".join(idat))


def _unfilter(kind: int, line: bytearray, previous: bytearray, step: int) -> None:
    for i in range(len(line)):
        a = line[i - step] if i >= step else 0
        b = previous[i]
        if kind == 1:
            line[i] = (line[i] + a) & 255
        elif kind == 2:
            line[i] = (line[i] + b) & 255
        elif kind == 3:
            line[i] = (line[i] + ((a + b) >> 1)) & 255
        elif kind == 4:
            c = previous[i - step] if i >= step else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (
                line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)
            ) & 255


def colours(data: bytes) -> int:
    """The number of distinct pixel values of a PNG.

    Raises:
        ValueError: not a PNG, or not 8-bit RGB/RGBA without interlacing.
    """
    header, raw = _chunks(data)
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or interlace or colour_type not in (2, 6):
        raise ValueError(f"unsupported PNG: {header}")
    step = 3 if colour_type == 2 else 4
    stride = width * step
    previous = bytearray(stride)
    seen: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if raw[start]:
            _unfilter(raw[start], line, previous, step)
        seen.update(bytes(line[i : i + step]) for i in range(0, stride, step))
        previous = line
    return len(seen)
