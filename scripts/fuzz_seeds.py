#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets (small valid files, standard library only).

usage: fuzz_seeds.py DIR — creates DIR/<Target>/seed-* for FuzzNPY, FuzzCovarianceState,
FuzzSafetensors, FuzzIDX, FuzzCIFAR10, FuzzCSV, FuzzEpochRecord, FuzzGzipDataset and FuzzCheckpoint. The IDX, CSV,
gzip and checkpoint targets take one selector byte before the file (see their sources).
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


# The first line of statistics.jsonl from `delve train --model mlp --model-options hidden=8 --epochs 1
# --stats lsat,idim,trc`.
TRAIN_RECORD = b'{"epoch":0,"threshold":0.99,"values":{"train-saturation_features.0":1,"train-intrinsic-dimensionality_features.0":8,"train-covariance-trace_features.0":9.291835579122889,"eval-saturation_features.0":0.75,"eval-intrinsic-dimensionality_features.0":6,"eval-covariance-trace_features.0":25.05832054698035,"train-saturation_classifier":0.6,"train-intrinsic-dimensionality_classifier":6,"train-covariance-trace_classifier":4.946530733849929,"eval-saturation_classifier":0.4,"eval-intrinsic-dimensionality_classifier":4,"eval-covariance-trace_classifier":24.4621738742296,"average-train-sat":0.8,"average-eval-sat":0.575,"train-loss":1.8286907436447566,"train-accuracy":0.3654646324549237,"test-loss":1.051547391649703,"test-accuracy":0.6450704225352113},"layers":[{"layer":"features.0","phase":"train","features":8,"samples":1442,"statistics":{"lsat":1,"idim":8,"trc":9.291835579122889},"eigenvalues":[3.87544568073126,2.276291224573884,1.1605017607874806,0.8136457839358753,0.7053694370642615,0.2440646978538411,0.11343411532223517,0.10308287885405132],"notes":[]},{"layer":"features.0","phase":"eval","features":8,"samples":355,"statistics":{"lsat":0.75,"idim":6,"trc":25.05832054698035},"eigenvalues":[11.826648821983579,6.605491678762918,3.4715161386696454,2.3994034490205007,0.39055249868352915,0.2062068390989577,0.09728568056919591,0.06121544019203591],"notes":[]},{"layer":"classifier","phase":"train","features":10,"samples":1442,"statistics":{"lsat":0.6,"idim":6,"trc":4.946530733849929},"eigenvalues":[2.6084609189242958,0.9326595916781486,0.7167605534584006,0.48472220666414934,0.15325558012276308,0.030061695886722178,0.01265447678567729,0.004223529321036691,0.003186221702680803,0.0005459593060545002],"notes":[]},{"layer":"classifier","phase":"eval","features":10,"samples":355,"statistics":{"lsat":0.4,"idim":4,"trc":24.4621738742296},"eigenvalues":[14.679171689771543,4.377394431257528,3.019984050048065,2.2297061072062476,0.12365429816490077,0.022717519216904885,0.00954566402665633,1.1453773545909364e-07,1.1907536740414288e-14,1.0241270033944009e-14],"notes":[]}],"scalars":[{"name":"average-train-sat","value":0.8},{"name":"average-eval-sat","value":0.575},{"name":"train-loss","value":1.8286907436447566},{"name":"train-accuracy","value":0.3654646324549237},{"name":"test-loss","value":1.051547391649703},{"name":"test-accuracy","value":0.6450704225352113}]}'


# The checkpoint files of `delve train --model mlp --model-options hidden=32 --epochs 4 --writers csv,jsonl,tensorboard`.
CONFIGURATION = b'{"model":"mlp","model-options":"hidden=32","dataset":"digits","data":null,"epochs":4,"batch-size":64,"lr":"0.05","optimizer":"sgd","seed":"0","stats":["lsat","idim"],"threshold":"4607092346807469998","conv-method":"channelwise","timeseries-method":"last","downsample":null,"compat":"paper","precision":"float64","log-interval":1,"max-samples":null,"reset-covariance":true,"initial-epoch":0,"average-saturation":true,"keep-spectra":true,"bad-batch-policy":"fail","writers":["csv","jsonl","tensorboard"]}'
MANIFEST = (b'{"format":"delve-train-checkpoint","version":2,"next-epoch":1,"completed-epochs":1,"folder":"epoch-000001","configuration":'
            + CONFIGURATION + b',"random-generators":{},"files":[{"path":"tracker/tracker.json","size":80,"crc32c":4238885127}],'
            b'"append-only-outputs":[{"name":"statistics.jsonl","size":12157}],"history":{"records":1,"size":12157,"crc32c":3033626689}}')
TRACKER = b'{"epoch":4,"layers":["features.0","classifier"],"scalars":[],"accumulators":[]}'


def gzip_bytes(data):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


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
        "FuzzGzipDataset": {
            "images": b"\x00" + gzip_bytes(struct.pack(">IIII", 0x803, 2, 2, 3) + bytes(range(12))),
            "labels": b"\x01" + gzip_bytes(struct.pack(">II", 0x801, 3) + bytes([0, 9, 4])),
            "plain": b"\x01" + struct.pack(">II", 0x801, 2) + bytes([1, 2]),
        },
        "FuzzCheckpoint": {
            "manifest": b"\x00" + MANIFEST,
            "configuration": b"\x01" + CONFIGURATION,
            "tracker": b"\x02" + TRACKER,
        },
        "FuzzEpochRecord": {
            "minimal": b'{"epoch":0,"threshold":0.99,"values":{},"layers":[]}',
            "train": TRAIN_RECORD,
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
