"""Validates a `delve train` run directory after the process was killed (kill -9) at any moment.

Usage: crash_check.py RUN_DIR REFERENCE_DIR
Checks, with the standard library only: run.json is valid JSON; statistics.csv has the same field count
on every line and consecutive epochs; every line of statistics.jsonl is valid JSON; every TensorBoard
event file is a sequence of whole TFRecord records with valid CRC-32C; every .npy file has a valid
header and the size it declares; PNG/SVG plots and report.html are complete; the checkpoint manifest
is valid and every file it lists has its recorded size and CRC-32C; and every epoch the checkpoint
says is completed is present in the CSV and JSONL, byte-identical to the uninterrupted REFERENCE_DIR.
The TensorBoard scalars (tag, step, value) of the completed epochs, over every event file of the run,
appear exactly once each and equal the uninterrupted run's. Temporary files of interrupted atomic writes
(names containing ".tmp") are ignored.
Prints the number of completed epochs (0 without a checkpoint); exits non-zero with a message on a failure.
"""
import ast
import glob
import json
import os
import sys


def fail(message):
    print(f"crash-check: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def crc32c(data):
    table = crc32c.table
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


crc32c.table = _table()


def masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(data, offset):
    value, shift = 0, 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, offset


def fields(data):
    """(field number, wire type, value) of a protocol-buffer message; value is bytes or an int."""
    offset = 0
    while offset < len(data):
        key, offset = varint(data, offset)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, offset = varint(data, offset)
        elif wire == 1:
            value, offset = data[offset:offset + 8], offset + 8
        elif wire == 2:
            length, offset = varint(data, offset)
            value, offset = data[offset:offset + length], offset + length
        elif wire == 5:
            value, offset = data[offset:offset + 4], offset + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def event_payloads(path):
    with open(path, "rb") as f:
        data = f.read()
    offset = 0
    while offset + 16 <= len(data):
        length = int.from_bytes(data[offset:offset + 8], "little")
        if offset + 16 + length > len(data):
            break
        yield data[offset + 12:offset + 12 + length]
        offset += 16 + length


def scalars(run):
    """[(step, tag, 4 bytes of the float)] of every scalar in the run's event files."""
    result = []
    for path in sorted(glob.glob(os.path.join(run, "events.out.tfevents.*"))):
        for payload in event_payloads(path):
            step = 0
            summaries = []
            for number, _, value in fields(payload):
                if number == 2:
                    step = value
                elif number == 5:
                    summaries.append(value)
            for summary in summaries:
                for number, _, value in fields(summary):
                    if number != 1:
                        continue
                    tag, simple = None, None
                    for n, wire, v in fields(value):
                        if n == 1:
                            tag = v.decode()
                        elif n == 2 and wire == 5:
                            simple = v
                    if tag is not None and simple is not None:
                        result.append((step, tag, simple))
    return result


def lines(path, checkpointed=None):
    """The whole lines of a file; an incomplete last line is allowed only after `checkpointed` bytes
    (the file's size at the checkpoint, which the resume cuts it back to)."""
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        start = data.rfind(b"\n") + 1
        if checkpointed is None or start < checkpointed:
            fail(f"{path}: the last line is incomplete")
        data = data[:start]
    return data.split(b"\n")[:-1] if data else []


def main():
    run, reference = sys.argv[1], sys.argv[2]
    temporary = lambda p: ".tmp" in os.path.basename(p)

    # A kill inside an append may leave a cut record at the end of an append-only file, after its size at
    # the checkpoint (the resume cuts it off); without a checkpoint the resume starts over.
    manifest = os.path.join(run, "checkpoint", "checkpoint.json")
    recorded = {}
    if os.path.exists(manifest):
        with open(manifest) as f:
            recorded = {e["name"]: e["size"] for e in json.load(f)["append-only-outputs"]}
        checkpointed = lambda path: recorded.get(os.path.basename(path), 0)
    else:
        checkpointed = lambda path: 0

    info = os.path.join(run, "run.json")
    if os.path.exists(info):
        with open(info) as f:
            json.load(f)

    csv = os.path.join(run, "statistics.csv")
    csv_rows = []
    if os.path.exists(csv):
        rows = lines(csv)
        if rows:
            width = rows[0].count(b";")
            for number, row in enumerate(rows[1:], start=2):
                if row.count(b";") != width:
                    fail(f"{csv}:{number}: {row.count(b';') + 1} fields, the header has {width + 1}")
                if int(row.split(b";")[0]) != number - 2:
                    fail(f"{csv}:{number}: epoch {row.split(b';')[0]!r}, expected {number - 2}")
            csv_rows = rows[1:]

    jsonl = os.path.join(run, "statistics.jsonl")
    jsonl_rows = []
    if os.path.exists(jsonl):
        jsonl_rows = lines(jsonl, checkpointed(jsonl))
        for number, row in enumerate(jsonl_rows, start=1):
            try:
                json.loads(row)
            except ValueError as error:
                fail(f"{jsonl}:{number}: not valid JSON ({error})")

    for path in glob.glob(os.path.join(run, "events.out.tfevents.*")):
        with open(path, "rb") as f:
            data = f.read()
        offset = 0
        while offset < len(data):
            header = data[offset:offset + 8]
            cut_allowed = offset >= checkpointed(path)
            if len(data) < offset + 12:
                if cut_allowed:
                    break
                fail(f"{path}: a record header is cut at byte {offset}")
            length = int.from_bytes(header, "little")
            if int.from_bytes(data[offset + 8:offset + 12], "little") != masked(crc32c(header)):
                fail(f"{path}: bad length CRC at byte {offset}")
            if len(data) < offset + 16 + length:
                if cut_allowed:
                    break
                fail(f"{path}: the record at byte {offset} is cut")
            payload = data[offset + 12:offset + 12 + length]
            if int.from_bytes(data[offset + 12 + length:offset + 16 + length], "little") != masked(crc32c(payload)):
                fail(f"{path}: bad data CRC at byte {offset}")
            offset += 16 + length

    for path in glob.glob(os.path.join(run, "npy", "**", "*.npy"), recursive=True):
        if temporary(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        if data[:6] != b"\x93NUMPY":
            fail(f"{path}: bad magic")
        size = int.from_bytes(data[8:10], "little")
        header = ast.literal_eval(data[10:10 + size].decode("latin1"))
        count = 1
        for n in header["shape"]:
            count *= n
        if len(data) != 10 + size + 8 * count:
            fail(f"{path}: {len(data)} bytes, the header declares {10 + size + 8 * count}")

    for path in glob.glob(os.path.join(run, "plots", "*")):
        if temporary(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        if path.endswith(".png") and not (data.startswith(b"\x89PNG") and data[-8:-4] == b"IEND"):
            fail(f"{path}: not a complete PNG")
        if path.endswith(".svg") and not data.rstrip().endswith(b"</svg>"):
            fail(f"{path}: not a complete SVG")
    report = os.path.join(run, "report.html")
    if os.path.exists(report):
        with open(report, "rb") as f:
            if not f.read().rstrip().endswith(b"</html>"):
                fail(f"{report}: not a complete page")

    completed = 0
    manifest = os.path.join(run, "checkpoint", "checkpoint.json")
    if os.path.exists(manifest):
        with open(manifest) as f:
            state = json.load(f)
        completed = state["completed-epochs"]
        folder = os.path.join(run, "checkpoint", state["folder"])
        for entry in state["files"]:
            with open(os.path.join(folder, entry["path"]), "rb") as f:
                data = f.read()
            if len(data) != entry["size"] or crc32c(data) != entry["crc32c"]:
                fail(f"{folder}/{entry['path']}: size or checksum differs from the manifest")
        for entry in state["append-only-outputs"]:
            if os.path.getsize(os.path.join(run, entry["name"])) < entry["size"]:
                fail(f"{entry['name']}: shorter than at the checkpoint")
        history = state["history"]
        with open(os.path.join(run, "checkpoint", "history.jsonl"), "rb") as f:
            data = f.read()
        prefix = data[:history["size"]]
        if len(prefix) != history["size"] or crc32c(prefix) != history["crc32c"]:
            fail("checkpoint/history.jsonl: the checkpointed prefix differs from the manifest")
        if prefix.count(b"\n") != history["records"] or history["records"] != completed:
            fail("checkpoint/history.jsonl: the record count differs from the manifest")
    with open(os.path.join(reference, "statistics.csv"), "rb") as f:
        reference_csv = f.read().split(b"\n")[1:]
    with open(os.path.join(reference, "statistics.jsonl"), "rb") as f:
        reference_jsonl = f.read().split(b"\n")
    if len(csv_rows) < completed or csv_rows[:completed] != reference_csv[:completed]:
        fail(f"{csv}: the {completed} completed epoch(s) are not all present and identical to the uninterrupted run")
    if len(jsonl_rows) < completed or jsonl_rows[:completed] != reference_jsonl[:completed]:
        fail(f"{jsonl}: the {completed} completed epoch(s) are not all present and identical to the uninterrupted run")
    if glob.glob(os.path.join(reference, "events.out.tfevents.*")):
        start = 0
        if os.path.exists(manifest):
            start = state["configuration"]["initial-epoch"]
        wanted = [item for item in scalars(reference) if item[0] < start + completed]
        found = [item for item in scalars(run) if item[0] < start + completed]
        if sorted(found) != sorted(wanted) or len(set(found)) != len(found):
            fail(f"TensorBoard scalars of the {completed} completed epoch(s): {len(found)} values, "
                 f"{len(set(found))} distinct; the uninterrupted run has {len(wanted)} (or the values differ)")
    print(completed)


main()
