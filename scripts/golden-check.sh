#!/usr/bin/env bash
# The fixed-seed golden run: trains `delve train --model cnn --dataset digits --epochs 3 --seed 11
# --writers csv,jsonl` and compares its statistics.csv with Tests/Golden/cnn-digits-seed11.statistics.csv
# byte for byte (see Tests/Golden/README.md).
#   scripts/golden-check.sh BIN_DIR            check (part of `make test`)
#   scripts/golden-check.sh --record BIN_DIR   rewrite the golden file and its conditions (a change that
#                                              means to change the numbers; say why in the commit)
# BLAS kernels, vector code paths and BLAS thread counts differ between machines, and with them the last
# bits. When this machine's conditions (CPU level as the Makefile picks it, nproc, OpenBLAS version)
# differ from those recorded in Tests/Golden/cnn-digits-seed11.conditions, the comparison is numeric,
# within 1e-9 relative, and the output says so.
set -euo pipefail
cd "$(dirname "$0")/.."
record=false
if [ "${1:-}" = "--record" ]; then record=true; shift; fi
bin="${1:?usage: scripts/golden-check.sh [--record] BIN_DIR (the directory holding the delve executable)}"
golden="Tests/Golden/cnn-digits-seed11.statistics.csv"
sidecar="Tests/Golden/cnn-digits-seed11.conditions"

# The conditions the numbers depend on, one `key=value` a line.
conditions() {
  local level=baseline flags="" f
  if [ "$(uname -m)" = x86_64 ] && [ -r /proc/cpuinfo ]; then
    flags=$(grep -m1 '^flags' /proc/cpuinfo)
    has() { for f in "$@"; do [[ " $flags " == *" $f "* ]] || return 1; done; }
    if has avx2 fma bmi1 bmi2 f16c movbe abm; then
      level=x86-64-v3
      if has avx512f avx512cd avx512bw avx512dq avx512vl; then level=x86-64-v4; fi
    fi
  fi
  echo "arch=$(uname -m)"
  echo "cpu-level=$level"
  echo "nproc=$(nproc)"
  echo "openblas=$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo unknown)"
}

run="$(mktemp -d)"
trap 'rm -rf "$run"' EXIT
if ! "$bin/delve" train --model cnn --dataset digits --epochs 3 --seed 11 --writers csv,jsonl --out "$run/out" \
     >"$run/log" 2>&1; then
  cat "$run/log" >&2
  echo "golden-check: FAIL: delve train exited with an error" >&2
  exit 1
fi
actual="$run/out/statistics.csv"

if $record; then
  mkdir -p "$(dirname "$golden")"
  cp "$actual" "$golden"
  conditions >"$sidecar"
  echo "golden-check: recorded $golden ($(wc -l <"$golden") lines) under:"
  sed 's/^/  /' "$sidecar"
  exit 0
fi

if cmp -s "$golden" "$actual"; then
  echo "golden-check: ok: statistics.csv identical byte for byte to $golden"
  exit 0
fi
if [ "$(conditions)" = "$(cat "$sidecar")" ]; then
  echo "golden-check: FAIL: statistics.csv differs from $golden on a machine with the recorded conditions:" >&2
  diff "$golden" "$actual" | head -20 >&2 || true
  echo "(a change that means to change the numbers re-records with: scripts/golden-check.sh --record BIN_DIR)" >&2
  exit 1
fi
echo "golden-check: this machine differs from the one the golden file was made on:"
{ diff <(cat "$sidecar") <(conditions) || true; } | sed -n 's/^< /  recorded: /p; s/^> /  here:     /p'
python3 - "$golden" "$actual" <<'EOF'
import csv, math, sys
golden, actual = (list(csv.reader(open(p, newline=""), delimiter=";")) for p in sys.argv[1:3])
if len(golden) != len(actual):
    sys.exit(f"golden-check: FAIL: {len(actual)} rows, the golden file has {len(golden)}")
worst = 0.0
for i, (g_row, a_row) in enumerate(zip(golden, actual), 1):
    if len(g_row) != len(a_row):
        sys.exit(f"golden-check: FAIL: row {i}: {len(a_row)} fields, the golden file has {len(g_row)}")
    for g, a in zip(g_row, a_row):
        if g == a:
            continue
        try:
            x, y = float(g), float(a)
        except ValueError:
            sys.exit(f"golden-check: FAIL: row {i}: {a!r}, the golden file has {g!r}")
        if x == y or (math.isnan(x) and math.isnan(y)):
            continue
        relative = abs(x - y) / max(abs(x), abs(y))
        worst = max(worst, relative)
        if not relative <= 1e-9:
            sys.exit(f"golden-check: FAIL: row {i}: {a}, the golden file has {g} (relative difference {relative:.3g} > 1e-9)")
print(f"golden-check: ok within 1e-9 relative (not byte for byte; largest relative difference {worst:.3g})")
EOF
