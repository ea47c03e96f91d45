#!/usr/bin/env bash
# Fuzzes every file parser with libFuzzer for a fixed number of runs (`make fuzz`).
#
# Builds the separate package Fuzz/ (one executable per parser, depending on the main package by
# path) with `-sanitize=fuzzer,address`, seeds each corpus with small valid files
# (scripts/fuzz_seeds.py), then runs each target for FUZZ_RUNS inputs (default 30000) with memory
# limits, so a header that makes the parser allocate a huge buffer fails too. A target may have a
# libFuzzer dictionary of format tokens in Fuzz/Dictionaries/<target>.dict. Exits non-zero when a
# target crashes; the crashing input is left in $FUZZ_WORK/crashes/<target>/ (add it as a regression
# test, then fix the parser).
#
# Environment: FUZZ_RUNS (inputs per target), FUZZ_TARGETS (space-separated subset),
# FUZZ_WORK (work directory, default .build/fuzz), FUZZ_MALLOC_MB (largest single allocation, 512),
# FUZZ_CONFIG (debug or release, default debug: it compiles faster).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${FUZZ_RUNS:-30000}"
TARGETS="${FUZZ_TARGETS:-FuzzNPY FuzzCovarianceState FuzzSafetensors FuzzIDX FuzzCIFAR10 FuzzCSV FuzzEpochRecord FuzzGzipDataset FuzzCheckpoint}"
WORK="${FUZZ_WORK:-$ROOT/.build/fuzz}"
CONFIG="${FUZZ_CONFIG:-debug}"
MALLOC_MB="${FUZZ_MALLOC_MB:-512}"
SWIFT="${SWIFT:-swift}"
FLAGS=(--package-path "$ROOT/Fuzz" --scratch-path "$WORK/build" -c "$CONFIG"
       -Xswiftc -sanitize=fuzzer,address)

mkdir -p "$WORK"
echo "fuzz: building the fuzz targets ($CONFIG, -sanitize=fuzzer,address)"
if ! "$SWIFT" build "${FLAGS[@]}" >"$WORK/build.log" 2>&1; then
    tail -40 "$WORK/build.log"
    echo "fuzz: build failed (full log: $WORK/build.log)"
    exit 2
fi
BIN="$("$SWIFT" build "${FLAGS[@]}" --show-bin-path)"
python3 "$ROOT/scripts/fuzz_seeds.py" "$WORK/seeds"

failed=()
for target in $TARGETS; do
    corpus="$WORK/corpus/$target"
    crashes="$WORK/crashes/$target"
    mkdir -p "$corpus" "$crashes"
    start=$SECONDS
    dict=()
    [ -f "$ROOT/Fuzz/Dictionaries/$target.dict" ] && dict=(-dict="$ROOT/Fuzz/Dictionaries/$target.dict")
    # The corpus directory grows across runs (new coverage); the seeds are read but not modified.
    "$BIN/$target" -runs="$RUNS" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb="$MALLOC_MB" \
        -print_final_stats=1 "${dict[@]}" -artifact_prefix="$crashes/" "$corpus" "$WORK/seeds/$target" \
        >"$WORK/$target.log" 2>&1
    status=$?
    stats="$(grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$WORK/$target.log" | awk '{printf "%s ", $2}')"
    if [ $status -eq 0 ]; then
        echo "fuzz: $target ok ($((SECONDS - start)) s; executed, new units: $stats)"
    else
        failed+=("$target")
        echo "fuzz: $target FAILED (exit $status) — log $WORK/$target.log, input in $crashes/"
        grep -E 'ERROR: |Fatal error|SUMMARY|==[0-9]+==' "$WORK/$target.log" | head -8
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${#failed[@]} target(s) crashed: ${failed[*]}"
    exit 1
fi
echo "fuzz: all targets passed $RUNS runs"
