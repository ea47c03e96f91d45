#!/usr/bin/env bash
# The fixed-seed golden run: trains `delve train --model cnn --dataset digits --epochs 3 --seed 11
# --writers csv,jsonl` and compares its statistics.csv byte for byte with the golden file recorded under
# this machine's conditions (see Tests/Golden/README.md).
#   scripts/golden-check.sh BIN_DIR            check (part of `make test`)
#   scripts/golden-check.sh --record BIN_DIR   rewrite the golden file of this machine's conditions (a
#                                              change that means to change the numbers; say why in the
#                                              commit, and re-record the other conditions' files too)
# BLAS kernels, vector code paths and BLAS thread counts differ between machines, and with them the last
# bits — over three epochs of training, whole saturation counts. Each golden file
# Tests/Golden/cnn-digits-seed11[.TAG].statistics.csv has a sidecar .conditions (CPU level as the
# Makefile picks it, nproc, OpenBLAS version, the kernel family OpenBLAS runs: OPENBLAS_CORETYPE or its
# own choice). The file whose conditions match this machine's is compared byte for byte; when none
# matches, the comparison is numeric, within 1e-9 relative, with the first file, and the output says so.
set -euo pipefail
cd "$(dirname "$0")/.."
record=false
if [ "${1:-}" = "--record" ]; then record=true; shift; fi
bin="${1:?usage: scripts/golden-check.sh [--record] BIN_DIR (the directory holding the delve executable)}"
stem="Tests/Golden/cnn-digits-seed11"

# The kernel family OpenBLAS runs in `delve` (after its own restart with OPENBLAS_CORETYPE, if any).
openblas_core() {
  { OPENBLAS_VERBOSE=2 "$bin/delve" --version 2>&1 || true; } | sed -n 's/.*Core: \([A-Za-z0-9_]*\).*/\1/p' | tail -1
}

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
  echo "openblas-core=$(openblas_core)"
}

here="$(conditions)"
# The recorded file whose conditions are this machine's, if any; the first recorded one otherwise.
match="" first=""
for sidecar in "$stem".conditions "$stem".*.conditions; do
  [ -f "$sidecar" ] || continue
  [ -n "$first" ] || first="${sidecar%.conditions}.statistics.csv"
  if [ -z "$match" ] && [ "$here" = "$(cat "$sidecar")" ]; then match="${sidecar%.conditions}.statistics.csv"; fi
done

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
  golden="$match"
  if [ -z "$golden" ]; then
    core="$(sed -n 's/^openblas-core=//p' <<<"$here")"
    golden="$stem.${core,,}.statistics.csv"
    [ -n "$first" ] || golden="$stem.statistics.csv"
  fi
  mkdir -p "$(dirname "$golden")"
  cp "$actual" "$golden"
  echo "$here" >"${golden%.statistics.csv}.conditions"
  echo "golden-check: recorded $golden ($(wc -l <"$golden") lines) under:"
  sed 's/^/  /' "${golden%.statistics.csv}.conditions"
  echo "golden-check: re-record the other conditions' files (Tests/Golden/*.conditions) on their machines or kernels"
  exit 0
fi

if [ -n "$match" ]; then
  if cmp -s "$match" "$actual"; then
    echo "golden-check: ok: statistics.csv identical byte for byte to $match"
    exit 0
  fi
  echo "golden-check: FAIL: statistics.csv differs from $match, recorded under this machine's conditions:" >&2
  diff "$match" "$actual" | head -20 >&2 || true
  echo "(a change that means to change the numbers re-records with: scripts/golden-check.sh --record BIN_DIR)" >&2
  exit 1
fi
golden="$first"
[ -n "$golden" ] || { echo "golden-check: FAIL: no golden file $stem*.statistics.csv" >&2; exit 1; }
echo "golden-check: no golden file was recorded under this machine's conditions; comparing with $golden:"
{ diff <(cat "${golden%.statistics.csv}.conditions") <(echo "$here") || true; } | sed -n 's/^< /  recorded: /p; s/^> /  here:     /p'
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
