#!/usr/bin/env bash
# Checks that SaturationTracker.record allocates nothing per batch in steady state, for every layout:
# preloads a malloc counter (alloc-count.c) into `delve-bench allocations` and requires 0 per batch.
# Usage: scripts/alloc-check.sh BIN_DIR   (called by `make test` with the release bin path)
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
compiler="$(command -v cc || command -v clang)"
"$compiler" -O2 -shared -fPIC "$here/alloc-count.c" -o "$work/liballoccount.so"
# Sanity: without the counter the numbers must be unavailable, with it they must be numbers.
"$bin/delve-bench" allocations --batches 2 --json >"$work/none.json"
LD_PRELOAD="$work/liballoccount.so" "$bin/delve-bench" allocations --json >"$work/counted.json"
python3 - "$work/none.json" "$work/counted.json" <<'PY'
import json, sys
none, counted = (json.load(open(p)) for p in sys.argv[1:3])
assert all(v is None for v in none.values()), f"counts without the counter: {none}"
bad = {k: v for k, v in counted.items() if v is None or v != 0}
print("alloc-check: %d layouts, allocations per batch: %s" % (len(counted), "all 0" if not bad else bad))
sys.exit(1 if bad else 0)
PY
