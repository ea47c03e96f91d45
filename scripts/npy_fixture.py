#!/usr/bin/env python3
"""Writes small .npy files for the end-to-end tests with the standard library only (no numpy).

usage: npy_fixture.py DIR — writes rank3.npy (200×8 float32 of exact rank 3), conv.npy
(4×3×2×2 float32), sample3d.npy (4×3×2 float32), dense64.npy (50×4 float64), garbage.npy (not a .npy file), truncated.npy,
vector.npy (1-D), nan.npy (a NaN in a dense layer), and whole.npy (400×6 float32) with its four
consecutive quarters part0.npy … part3.npy (for delve merge), other.npy (400×3, a second layer of the same
samples) and cka/q<k>/{whole,other}.npy, both layers' quarters (for merging CKA states).
"""
import os
import struct
import sys


def npy(path, shape, values, descr="<f4"):
    shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    pad = (64 - (10 + len(header) + 1) % 64) % 64
    header = header + " " * pad + "\n"
    code = "f" if descr == "<f4" else "d"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), code), *values))
    return 10 + len(header)


def main():
    out = sys.argv[1]
    rows = []
    for r in range(200):
        a, b, c = r % 7 - 3, (r * 3) % 5 - 2, (r * 5) % 11 - 5
        rows += [a * (f % 3 + 1) + b * ((f * 2) % 5) - c * (f % 2) + 0.5 for f in range(8)]
    npy(out + "/rank3.npy", (200, 8), rows)
    npy(out + "/conv.npy", (4, 3, 2, 2), [float((i * 7) % 13) for i in range(48)])
    npy(out + "/sample3d.npy", (4, 3, 2), [float((i * 3) % 7) for i in range(24)])
    npy(out + "/dense64.npy", (50, 4), [float((i * 5) % 9) for i in range(200)], "<f8")
    with open(out + "/garbage.npy", "wb") as f:
        f.write(b"this is not a numpy file\n")
    header_size = npy(out + "/truncated.npy", (10, 4), [1.0] * 40)
    with open(out + "/truncated.npy", "r+b") as f:
        f.truncate(header_size + 4 * 30)
    npy(out + "/vector.npy", (3,), [1.0, 2.0, 3.0])
    npy(out + "/nan.npy", (3, 2), [1.0, 2.0, float("nan"), 4.0, 5.0, 6.0])
    whole = []
    for r in range(400):
        u, v, w = (r * 37) % 101 / 101.0 - 0.5, (r * 53) % 97 / 97.0 - 0.5, (r * 29) % 89 / 89.0 - 0.5
        whole += [100 + 4 * u, 3 * v - u, 2 * w, u * v + w * w, 0.5 * (r % 3), 0.1 * ((r * 7) % 5)]
    npy(out + "/whole.npy", (400, 6), whole)
    for k in range(4):
        npy(out + "/part%d.npy" % k, (100, 6), whole[k * 600:(k + 1) * 600])
    # A second layer of the same 400 samples (for delve analyze --cka and the merge of CKA states): other.npy
    # (400×3), and both layers' quarters under cka/q<k>/ with the same file names (the layers' names).
    other = []
    for r in range(400):
        row = whole[r * 6:(r + 1) * 6]
        other += [row[0] - 100 + row[1], row[2] * row[3], ((r * 13) % 11) / 11.0]
    npy(out + "/other.npy", (400, 3), other)
    for k in range(4):
        os.makedirs(out + "/cka/q%d" % k, exist_ok=True)
        npy(out + "/cka/q%d/whole.npy" % k, (100, 6), whole[k * 600:(k + 1) * 600])
        npy(out + "/cka/q%d/other.npy" % k, (100, 3), other[k * 300:(k + 1) * 300])


main()
