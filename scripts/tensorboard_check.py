"""Reads a TensorBoard event file written by `delve` and checks tags, steps and values.

Usage: tensorboard_check.py RUN_DIR EPOCHS
RUN_DIR holds statistics.jsonl (the expected values) and one events.out.tfevents.* file.
Exits non-zero with a message on the first mismatch.
"""
import glob
import json
import math
import os
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c


def fail(message):
    print(f"tensorboard-check: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    run_dir, epochs = sys.argv[1], int(sys.argv[2])
    files = glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))
    if len(files) != 1:
        fail(f"expected one event file in {run_dir}, found {files}")

    # 1. Raw framing: every record's length and data CRCs, first event is the file version.
    with open(files[0], "rb") as f:
        data = f.read()
    offset, events = 0, []
    while offset < len(data):
        header = data[offset:offset + 8]
        length = int.from_bytes(header, "little")
        if int.from_bytes(data[offset + 8:offset + 12], "little") != masked_crc32c(header):
            fail(f"bad length CRC at byte {offset}")
        payload = data[offset + 12:offset + 12 + length]
        if int.from_bytes(data[offset + 12 + length:offset + 16 + length], "little") != masked_crc32c(payload):
            fail(f"bad data CRC at byte {offset}")
        event = event_pb2.Event()
        event.ParseFromString(payload)
        events.append(event)
        offset += 16 + length
    if offset != len(data):
        fail("trailing bytes after the last record")
    if events[0].file_version != "brain.Event:2":
        fail(f"first event is not the file version: {events[0]}")

    # 2. TensorBoard's own reader.
    acc = event_accumulator.EventAccumulator(run_dir, size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0, event_accumulator.IMAGES: 0})
    acc.Reload()
    tags = acc.Tags()

    with open(os.path.join(run_dir, "statistics.jsonl")) as f:
        records = [json.loads(line) for line in f if line.strip()]
    if len(records) != epochs:
        fail(f"expected {epochs} records in statistics.jsonl, found {len(records)}")
    expected_keys = list(records[0]["values"].keys())
    missing = [k for k in expected_keys if k not in tags["scalars"]]
    if missing:
        fail(f"scalar tags missing: {missing[:5]}")
    checked = 0
    for key in expected_keys:
        scalars = acc.Scalars(key)
        steps = [s.step for s in scalars]
        if steps != list(range(epochs)):
            fail(f"{key}: steps {steps}, expected 0..{epochs - 1}")
        for s, record in zip(scalars, records):
            want = record["values"][key]
            want = float(want) if isinstance(want, str) else want
            if math.isnan(want) and math.isnan(s.value):
                continue
            if abs(s.value - want) > 1e-6 * max(1.0, abs(want)):
                fail(f"{key} at step {s.step}: {s.value} != {want}")
            checked += 1

    histograms = [t for t in tags["histograms"] if "-eigenvalues_" in t]
    layer_count = sum(1 for layer in records[-1]["layers"] if "eigenvalues" in layer)
    if len(histograms) != layer_count:
        fail(f"expected {layer_count} eigenvalue histograms, found {histograms}")
    for tag in histograms:
        last = acc.Histograms(tag)[-1]
        phase, layer = tag.split("-eigenvalues_")
        entry = next(l for l in records[-1]["layers"] if l["layer"] == layer and l["phase"] == phase)
        if last.step != epochs - 1 or int(last.histogram_value.num) != len(entry["eigenvalues"]):
            fail(f"{tag}: step {last.step}, count {last.histogram_value.num}")
        if abs(last.histogram_value.max - max(entry["eigenvalues"])) > 1e-9:
            fail(f"{tag}: max {last.histogram_value.max}")

    images = tags["images"]
    for name in ["plots/saturation", "plots/saturation-over-epochs", "plots/saturation-heatmap", "plots/explained-variance"]:
        if name not in images:
            fail(f"image tag {name} missing (found {images})")
        image = acc.Images(name)[-1]
        if image.step != epochs - 1 or not image.encoded_image_string.startswith(b"\x89PNG\r\n\x1a\n"):
            fail(f"{name}: step {image.step} or not a PNG")
    print(f"tensorboard-check: OK ({len(events)} events, {len(expected_keys)} scalar tags x {epochs} steps = "
          f"{checked} values, {len(histograms)} histograms, {len(images)} images)")


if __name__ == "__main__":
    main()
