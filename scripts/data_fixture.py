#!/usr/bin/env python3
"""Writes tiny dataset files (standard library only) for the CLI checks of the dataset readers.

Usage: data_fixture.py DIR — creates DIR/mnist (IDX, gzip-compressed), DIR/mnist-truncated,
DIR/cifar (CIFAR-10 binary batches), DIR/table.csv and DIR/bad.csv (a non-numeric cell on line 3).
"""
import gzip
import os
import struct
import sys


def idx_images(count, rows, cols, seed):
    pixels = bytes(((i * 31 + k * 7 + seed) % 256) for i in range(count) for k in range(rows * cols))
    return struct.pack(">IIII", 0x803, count, rows, cols) + pixels


def idx_labels(count):
    return struct.pack(">II", 0x801, count) + bytes(i % 10 for i in range(count))


def main():
    root = sys.argv[1]
    mnist = os.path.join(root, "mnist")
    os.makedirs(mnist, exist_ok=True)
    for prefix, count in (("train", 40), ("t10k", 20)):
        with gzip.open(os.path.join(mnist, f"{prefix}-images-idx3-ubyte.gz"), "wb") as f:
            f.write(idx_images(count, 6, 6, len(prefix)))
        with gzip.open(os.path.join(mnist, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
            f.write(idx_labels(count))
    broken = os.path.join(root, "mnist-truncated")
    os.makedirs(broken, exist_ok=True)
    for prefix in ("train", "t10k"):
        with open(os.path.join(broken, f"{prefix}-images-idx3-ubyte"), "wb") as f:
            f.write(idx_images(40, 6, 6, 0)[:-10])
        with open(os.path.join(broken, f"{prefix}-labels-idx1-ubyte"), "wb") as f:
            f.write(idx_labels(40))
    cifar = os.path.join(root, "cifar")
    os.makedirs(cifar, exist_ok=True)
    for name, count in (("data_batch_1.bin", 30), ("test_batch.bin", 10)):
        with open(os.path.join(cifar, name), "wb") as f:
            for r in range(count):
                f.write(bytes([r % 10]) + bytes(((r * 13 + k) % 256) for k in range(3072)))
    with open(os.path.join(root, "table.csv"), "w") as f:
        f.write("x1,x2,x3,label\n")
        for i in range(50):
            f.write(f"{i % 7},{(i * 3) % 5},{i / 10},{i % 3}\n")
    with open(os.path.join(root, "bad.csv"), "w") as f:
        f.write("x1,x2,label\n1,2,0\n3,oops,1\n")


if __name__ == "__main__":
    main()
