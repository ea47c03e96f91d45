#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets (small valid files, standard library only).

usage: fuzz_seeds.py DIR — creates DIR/<Target>/seed-* for FuzzNPY, FuzzCovarianceState,
FuzzSafetensors, FuzzIDX, FuzzCIFAR10 and FuzzCSV. The IDX and CSV targets take one selector byte
before the file (see their sources).
"""
import json
import os
import struct
import sys
import zlib


def npy(shape, values, descr="<f4", major=1):
    shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    prefix = 10 if major == 1 else 12
    pad = (64 - (prefix + len(header) + 1) % 64) % 64
    header = (header + " " * pad + "\n").encode("latin1")
    length = struct.pack("<H", len(header)) if major == 1 else struct.pack("<I", len(header))
    code = "f" if descr == "<f4" else "d"
    return b"\x93NUMPY" + bytes([major, 0]) + length + header + struct.pack("<%d%s" % (len(values), code), *values)


def covariance_state(name, rows):
    d = len(rows[0])
    n = len(rows)
    mean = [sum(r[j] for r in rows) / n for j in range(d)]
    upper = []
    for i in range(d):
        for j in range(i, d):
            upper.append(sum((r[i] - mean[i]) * (r[j] - mean[j]) for r in rows))
    name_bytes = name.encode()
    body = b"DELVECOV" + struct.pack("<I", 1) + bytes([0, 0, 0, 0]) + struct.pack("<qqqI", n, 1, d, len(name_bytes))
    body += name_bytes + struct.pack("<%dd" % d, *mean) + struct.pack("<%dd" % len(upper), *upper)
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def safetensors(tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    data = b""
    for name, (dtype, shape, payload) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def main():
    out = sys.argv[1]
    seeds = {
        "FuzzNPY": {
            "dense": npy((3, 4), [float(i % 5) - 1.5 for i in range(12)]),
            "dense64": npy((4, 2), [0.5 * i for i in range(8)], descr="<f8"),
            "sequence": npy((2, 3, 2), [float((i * 7) % 5) for i in range(12)]),
            "conv": npy((2, 2, 2, 2), [float(i % 3) for i in range(16)]),
            "vector": npy((5,), [1, 2, 3, 4, 5]),
            "scalar": npy((), [2.5]),
            "v2": npy((2, 2), [1, 0, 0, 1], major=2),
        },
        "FuzzCovarianceState": {
            "small": covariance_state("fc1", [[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]]),
            "three": covariance_state("conv", [[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]),
            "empty": covariance_state("", [[0.0]]),
        },
        "FuzzSafetensors": {
            "f32": safetensors({"w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
                                "b": ("F32", [2], struct.pack("<2f", 0.5, -0.5))}, {"format": "pt"}),
            "mixed": safetensors({"h": ("F16", [2], struct.pack("<2H", 0x3C00, 0xC000)),
                                  "i": ("I64", [1], struct.pack("<q", 7)),
                                  "u": ("U8", [3], bytes([1, 2, 3])),
                                  "bf": ("BF16", [1], struct.pack("<H", 0x3F80)),
                                  "d": ("F64", [1], struct.pack("<d", 0.25))}),
        },
        "FuzzIDX": {
            "images": b"\x00" + struct.pack(">IIII", 0x803, 2, 2, 3) + bytes(range(12)),
            "labels": b"\x01" + struct.pack(">II", 0x801, 3) + bytes([0, 9, 4]),
        },
        "FuzzCIFAR10": {
            "two": bytes([3] + [i % 256 for i in range(3072)] + [9] + [255 - i % 256 for i in range(3072)]),
        },
        "FuzzCSV": {
            "plain": b"\x00" + b"a,b,label\n1,2,0\n3.5,-4,1\n0,0,2\n",
            "named": b"\x0f" + b"x;label;y\n1;cat;2\n2;dog;3\r\n",
            "first": b"\x05" + b"1,2,3\n0,4,5\n",
            "quoted": b"\x0c" + b"\"1\";\"2\";\"yes\"\n3;4;no\n",
        },
    }
    for target, files in seeds.items():
        directory = os.path.join(out, target)
        os.makedirs(directory, exist_ok=True)
        for name, content in files.items():
            with open(os.path.join(directory, "seed-" + name), "wb") as f:
                f.write(content)


if __name__ == "__main__":
    main()
