#!/usr/bin/env python3
"""Draws the package icon, docs/icon.png (128x128 RGBA), with nothing but the standard library.

Deterministic: the same bytes on every run (no timestamps, fixed zlib level), so the committed file can be
checked by running this again: `python3 docs/make-icon.py && git diff --exit-code docs/icon.png`.
The picture: a disk platter (qcow2 is a disk image format) on a rounded square, with a "copy on write"
notch: a light sector cut out of the platter.
"""
import math
import struct
import zlib
from pathlib import Path

SIZE = 128
BACKGROUND = (32, 86, 160)  # blue
PLATTER = (236, 240, 246)
HUB = (32, 86, 160)
SECTOR = (255, 176, 32)  # amber


def inside_rounded_square(x: float, y: float, radius: float = 22.0) -> bool:
    cx = min(max(x, radius), SIZE - radius)
    cy = min(max(y, radius), SIZE - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def colour(x: float, y: float):
    if not inside_rounded_square(x, y):
        return None
    dx, dy = x - SIZE / 2, y - SIZE / 2
    r = math.hypot(dx, dy)
    angle = math.degrees(math.atan2(-dy, dx)) % 360
    if r <= 12:
        return HUB if r > 6 else PLATTER
    if r <= 48:
        if 20 <= angle <= 65 and r >= 18:
            return SECTOR
        return PLATTER
    return BACKGROUND


def pixel(px: int, py: int) -> bytes:
    # 4x4 supersampling for smooth edges.
    samples = [colour(px + (i + 0.5) / 4, py + (j + 0.5) / 4) for i in range(4) for j in range(4)]
    painted = [s for s in samples if s is not None]
    if not painted:
        return bytes(4)
    rgb = [round(sum(c[k] for c in painted) / len(painted)) for k in range(3)]
    alpha = round(255 * len(painted) / len(samples))
    return bytes(rgb + [alpha])


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def main() -> None:
    rows = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(SIZE)) for y in range(SIZE))
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows, 9))
           + chunk(b"IEND", b""))
    Path(__file__).with_name("icon.png").write_bytes(png)


if __name__ == "__main__":
    main()
