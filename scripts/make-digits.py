#!/usr/bin/env python3
"""Convert the UCI optical-digits CSV (digits.csv.gz) into DelveData's compact binary resource.

Run once:  python3 scripts/make-digits.py DIGITS_CSV_GZ Sources/DelveData/Resources/digits.bin
(DIGITS_CSV_GZ: the data set as a gzip-compressed CSV in the layout below; it is not kept in the
repository, since digits.bin holds all of it.)

Input: one row per image, 64 integers 0..16 (an 8x8 image, row-major) followed by the label 0..9.
Data: UCI ML "Optical Recognition of Handwritten Digits" (test part, 1797 images),
E. Alpaydin and C. Kaynak, CC BY 4.0.

Output layout (all integers little-endian):
  offset 0   8 bytes  magic b"DLVDIGT1"
  offset 8   u32      number of images N
  offset 12  u16      image height (8)
  offset 14  u16      image width (8)
  offset 16  u8       maximum pixel value (16)
  offset 17  u8       number of classes (10)
  offset 18  u16      reserved (0)
  offset 20  u32      CRC-32 of the uncompressed payload
  offset 24  u32      length of the uncompressed payload (N*32 + N*8 + N)
  offset 28  u32      length of the compressed payload
  offset 32  ...      zlib stream of the payload
Payload (deflated as one zlib stream):
  N*32 bytes  pixels, two per byte, row-major, the first pixel in the high nibble; a value of 16
              (which does not fit a nibble) is stored as 15 and flagged in the mask below
  N*8 bytes   "value is 16" bit mask, one bit per pixel, row-major, most significant bit first
  N bytes     labels 0..9
"""
import gzip
import struct
import sys
import zlib


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    images, labels = [], []
    with gzip.open(src, "rt") as f:
        for line_no, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            cells = [int(c) for c in line.split(",")]
            if len(cells) != 65:
                sys.exit(f"{src}:{line_no}: expected 65 values, got {len(cells)}")
            pixels, label = cells[:64], cells[64]
            if not all(0 <= p <= 16 for p in pixels) or not 0 <= label <= 9:
                sys.exit(f"{src}:{line_no}: value out of range")
            images.append(pixels)
            labels.append(label)
    n = len(images)
    nibbles = bytearray()
    mask = bytearray()
    for pixels in images:
        for i in range(0, 64, 2):
            a, b = min(pixels[i], 15), min(pixels[i + 1], 15)
            nibbles.append((a << 4) | b)
        for i in range(0, 64, 8):
            byte = 0
            for j in range(8):
                if pixels[i + j] == 16:
                    byte |= 0x80 >> j
            mask.append(byte)
    payload = bytes(nibbles) + bytes(mask) + bytes(labels)
    packed = zlib.compress(payload, 9)
    header = b"DLVDIGT1" + struct.pack(
        "<IHHBBHIII", n, 8, 8, 16, 10, 0, zlib.crc32(payload) & 0xFFFFFFFF, len(payload), len(packed)
    )
    assert len(header) == 32
    with open(dst, "wb") as f:
        f.write(header + packed)
    print(f"{dst}: {n} images, payload {len(payload)} bytes, file {len(header) + len(packed)} bytes")


if __name__ == "__main__":
    main()
