#!/usr/bin/env bash
# Bounded memory on a big .npy (`make rss`): writes a ~2 GB float32 activation file (N×D, of exact
# rank 16) in /tmp, runs `delve analyze` on it, measures the peak resident set size (the child's
# ru_maxrss) and asserts it stays under 200 MB + 4·8·D² bytes — bounded by the chunk and the
# covariance, not the file. The file is deleted afterwards.
#
# usage: rss-check.sh [BIN_DIR]   (default: the release bin path; build with `swift build -c release`)
# Environment: RSS_D (features, 256), RSS_SIZE_MB (file size, 2048), RSS_CHUNK (--batch-size rows, 1024),
# RSS_DIR (where the file goes, /tmp).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-$(cd "$ROOT" && swift build -c release --show-bin-path)}"
D="${RSS_D:-256}"
SIZE_MB="${RSS_SIZE_MB:-2048}"
CHUNK="${RSS_CHUNK:-1024}"
FILE="${RSS_DIR:-/tmp}/delve-rss-$$.npy"
trap 'rm -f "$FILE"' EXIT

[ -x "$BIN/delve" ] || { echo "rss: $BIN/delve not found (build it first)"; exit 2; }

start=$SECONDS
# N×D float32 rows x = z·A (z ~ N(0, I_16), A fixed 16×D), written in blocks: numpy when available,
# else a repeated block from the standard library (same rank, same size).
python3 - "$FILE" "$D" "$SIZE_MB" <<'PY'
import random, struct, sys
path, d, size_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = size_mb * (1 << 20) // (4 * d)
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, d)
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
block = 4096
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
    try:
        import numpy as np
        rng = np.random.default_rng(7)
        a = rng.standard_normal((16, d))
        done = 0
        while done < rows:
            n = min(block, rows - done)
            f.write((rng.standard_normal((n, 16)) @ a).astype("<f4").tobytes())
            done += n
    except ImportError:
        rnd = random.Random(7)
        a = [[rnd.gauss(0, 1) for _ in range(d)] for _ in range(16)]
        values = []
        for _ in range(block):
            z = [rnd.gauss(0, 1) for _ in range(16)]
            values.extend(sum(z[k] * a[k][j] for k in range(16)) for j in range(d))
        chunk = struct.pack("<%df" % len(values), *values)
        done = 0
        while done < rows:
            n = min(block, rows - done)
            f.write(chunk[: n * d * 4])
            done += n
print("rss: wrote %s: %d x %d float32" % (path, rows, d))
PY
written=$((SECONDS - start))
bytes=$(stat -c %s "$FILE")

# Peak RSS of the child in KiB (Linux ru_maxrss), and its wall time.
out="$(python3 - "$BIN/delve" analyze --batch-size "$CHUNK" --stats lsat,idim,trc --format csv "$FILE" <<'PY'
import resource, subprocess, sys, time
t = time.time()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
elapsed = time.time() - t
sys.stderr.write(r.stderr)
print(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "")
print("exit=%d peak_kib=%d seconds=%.1f" % (r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, elapsed))
PY
)"
echo "$out" | sed 's/^/rss: /'
result="$(echo "$out" | head -1)"
stats="$(echo "$out" | tail -1)"
status=$(echo "$stats" | sed -E 's/.*exit=([0-9]+).*/\1/')
peak=$(echo "$stats" | sed -E 's/.*peak_kib=([0-9]+).*/\1/')
seconds=$(echo "$stats" | sed -E 's/.*seconds=([0-9.]+).*/\1/')
bound=$(( 200 * 1024 + 4 * 8 * D * D / 1024 ))
idim=$(echo "$result" | cut -d, -f5)
echo "rss: file $((bytes / 1048576)) MiB (generated in ${written} s), D = $D, chunk $CHUNK rows; analyze ${seconds} s, peak RSS $((peak / 1024)) MiB (bound $((bound / 1024)) MiB)"
[ "$status" = 0 ] || { echo "rss: FAILED: delve analyze exited with $status"; exit 1; }
[ "$peak" -le "$bound" ] || { echo "rss: FAILED: peak RSS $peak KiB exceeds $bound KiB"; exit 1; }
case "$idim" in ''|*[!0-9]*) echo "rss: FAILED: no idim in '$result'"; exit 1;; esac
[ "$idim" -le 16 ] || { echo "rss: FAILED: idim $idim > 16 for rank-16 data"; exit 1; }
echo "rss: ok"
