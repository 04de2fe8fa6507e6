#!/usr/bin/env python3
"""Writes build/icon.png, the packages' 128x128 icon: a disc that emerges from noise, left to right.

Standard library only (zlib + struct), deterministic (a fixed LCG), so the PNG is reproducible:
    python3 build/make-icon.py
"""
import math, os, struct, zlib

SIZE, GRID = 128, 16
CELL = SIZE // GRID

state = 2024
def rand():
    """Uniform in [0, 1) from a 32-bit LCG (Numerical Recipes constants)."""
    global state
    state = (1664525 * state + 1013904223) & 0xFFFFFFFF
    return state / 2**32

def signal(gx, gy):
    """The clean image: a ring (a '0'), 1 on the ring, 0 elsewhere."""
    cx = cy = (GRID - 1) / 2
    r = math.hypot(gx - cx, (gy - cy) * 0.8)
    return 1.0 if 3.6 <= r <= 5.6 else 0.0

cells = []
for gy in range(GRID):
    row = []
    for gx in range(GRID):
        t = min(1.0, max(0.0, (gx - 1) / (GRID - 5)))                     # 0 = pure noise (left), 1 = clean (right)
        v = t * signal(gx, gy) + (1 - t) * rand()
        row.append(max(0.0, min(1.0, v)))
    cells.append(row)

BG = (23, 28, 56)
LO, HI = (40, 170, 200), (255, 170, 60)       # teal to amber with brightness

def radius_mask(x, y, r=22):
    """Rounded-square outline of the whole icon (transparent corners)."""
    dx = max(r - x, x - (SIZE - 1 - r), 0)
    dy = max(r - y, y - (SIZE - 1 - r), 0)
    return dx * dx + dy * dy <= r * r

rows = []
for y in range(SIZE):
    line = bytearray([0])                        # PNG filter type 0 per scanline
    for x in range(SIZE):
        if not radius_mask(x, y):
            line += bytes((0, 0, 0, 0))
            continue
        gx, gy, ix, iy = x // CELL, y // CELL, x % CELL, y % CELL
        inside = 1 <= ix < CELL - 1 and 1 <= iy < CELL - 1 and 1 <= gx < GRID - 1 and 1 <= gy < GRID - 1
        if inside:
            v = cells[gy][gx]
            c = tuple(int(BG[k] + v * ((LO[k] if v < 0.6 else HI[k]) - BG[k])) for k in range(3))
        else:
            c = BG
        line += bytes(c + (255,))
    rows.append(bytes(line))

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

png = b"\x89PNG\r\n\x1a\n"
png += chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
png += chunk(b"IEND", b"")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icon.png")
with open(out, "wb") as f:
    f.write(png)
print(f"wrote {out} ({len(png)} bytes)")
