#!/usr/bin/env bash
# kill -9 checks of `delve train`: starts a small run, kills it with SIGKILL at many moments — after fixed
# fractions of an uninterrupted run's duration, right after the N-th epoch row appears in statistics.csv,
# a resumed run after its first new epoch, and at the k-th file write for k spread over every write of
# the run (DELVE_KILL_AT_WRITE, see Sources/Delve/Durability/WriteFaults.swift: inside checkpoint saves,
# output rewrites and appends, cut records included) — validates every output file
# (scripts/crash_check.py), then resumes with `delve train --resume` (a run killed before its first
# checkpoint starts over) and requires CSV, JSONL and TensorBoard scalars identical to the uninterrupted
# run. Called by `make test`.
#   scripts/crash-tests.sh BIN_DIR
set -euo pipefail
bin="${1:?usage: scripts/crash-tests.sh BIN_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
d="$bin/delve"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pass=0; fail=0
args=(train --model mlp --model-options hidden=32 --epochs 4 --writers csv,jsonl,npy,plot,report,tensorboard)

start=$(date +%s%N)
DELVE_WRITE_LOG="$work/writes.log" "$d" "${args[@]}" --out "$work/reference" >/dev/null
duration_ms=$(( ($(date +%s%N) - start) / 1000000 ))
writes=$(wc -l <"$work/writes.log")

survived=""
kill_and_check() { # kill_and_check NAME [RESUME-OPTION...] — $work/NAME was just killed; validate, resume, compare
  local name="$1" run="$work/$1" completed status=0
  shift
  if ! completed=$(python3 "$here/crash_check.py" "$run" "$work/reference" 2>"$work/err"); then
    echo "FAIL: $name: files invalid after kill -9"; sed 's/^/  | /' "$work/err"; fail=$((fail+1)); return
  fi
  survived="$survived $completed"
  "$d" train --resume "$run" "$@" >"$work/out" 2>&1 || status=$?
  if [ "$completed" -eq 0 ] && [ ! -e "$run/checkpoint/checkpoint.json" ] && [ ! -e "$run/checkpoint/configuration.json" ]; then
    # Killed before the run recorded its configuration: resuming must fail cleanly (exit 1), naming the missing checkpoint.
    if [ "$status" -eq 1 ] && grep -q "no checkpoint" "$work/out"; then pass=$((pass+1)); else
      echo "FAIL: $name: resume without a checkpoint gave exit $status"; fail=$((fail+1)); fi
    return
  fi
  if [ "$status" -ne 0 ]; then echo "FAIL: $name: resume exited $status"; sed 's/^/  | /' "$work/out" | tail -3; fail=$((fail+1)); return; fi
  if [ "$completed" -eq 0 ] && ! grep -q "starting the run over" "$work/out"; then
    echo "FAIL: $name: a run without a checkpoint was not started over"; fail=$((fail+1)); return; fi
  if cmp -s "$run/statistics.csv" "$work/reference/statistics.csv" && cmp -s "$run/statistics.jsonl" "$work/reference/statistics.jsonl" \
     && python3 "$here/crash_check.py" "$run" "$work/reference" >/dev/null; then
    pass=$((pass+1)); else echo "FAIL: $name: resumed statistics differ from the uninterrupted run"; fail=$((fail+1)); fi
}

# Kill after fixed fractions of the uninterrupted duration (process start-up included).
for percent in 10 25 40 55 70 85; do
  "$d" "${args[@]}" --out "$work/t$percent" >/dev/null 2>&1 & pid=$!
  sleep "$(python3 -c "print($duration_ms * $percent / 100000)")"
  kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  kill_and_check "t$percent"
done
wait_rows() { # wait_rows RUN N PID — until RUN/statistics.csv has N epoch rows or PID has ended
  for _ in $(seq 1 2000); do
    rows=$( [ -f "$1/statistics.csv" ] && wc -l <"$1/statistics.csv" || echo 0)
    [ "$rows" -gt "$2" ] && return
    kill -0 "$3" 2>/dev/null || return
    sleep 0.002
  done
}
# Kill right after the N-th epoch row is in statistics.csv (before or during that epoch's checkpoint).
for n in 1 3; do
  "$d" "${args[@]}" --out "$work/e$n" >/dev/null 2>&1 & pid=$!
  wait_rows "$work/e$n" "$n" "$pid"
  kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  kill_and_check "e$n"
done
# Kill a resumed run (2 epochs, then --resume --epochs 4 killed after its first new epoch row), resume again.
"$d" "${args[@]}" --epochs 2 --out "$work/again" >/dev/null 2>&1
"$d" train --resume "$work/again" --epochs 4 >/dev/null 2>&1 & pid=$!
wait_rows "$work/again" 3 "$pid"
kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
kill_and_check again --epochs 4

# Kill at the k-th file write: 16 points spread over the run's $writes writes (the first and the last
# included), then at every write of the second checkpoint (weights, optimizer, tracker, history,
# manifest), then twice inside a resumed run.
second=$(grep -n -e "checkpoint/epoch-000002/" -e "checkpoint/history.jsonl" -e "checkpoint/checkpoint.json" "$work/writes.log" \
  | awk -F: '/epoch-000002/ { seen = 1 } seen && n < 5 { print $1; n++ }')
for k in $(for i in $(seq 0 15); do echo $(( 1 + i * (writes - 1) / 15 )); done) $second; do
  status=$( (DELVE_KILL_AT_WRITE=$k "$d" "${args[@]}" --out "$work/w$k" >/dev/null 2>&1; echo $?) 2>/dev/null )
  if [ "$status" -ne 137 ]; then echo "FAIL: w$k: expected the write hook to kill the run (exit 137), got $status"; fail=$((fail+1)); continue; fi
  kill_and_check "w$k"
done
for k in 3 $(( writes / 3 )); do
  "$d" "${args[@]}" --epochs 2 --out "$work/rw$k" >/dev/null 2>&1
  status=$( (DELVE_KILL_AT_WRITE=$k "$d" train --resume "$work/rw$k" --epochs 4 >/dev/null 2>&1; echo $?) 2>/dev/null )
  if [ "$status" -ne 137 ]; then echo "FAIL: rw$k: expected the write hook to kill the resumed run, got $status"; fail=$((fail+1)); continue; fi
  kill_and_check "rw$k" --epochs 4
done

echo "crash: $pass passed, $fail failed of $((pass + fail)) kill instants (uninterrupted run ${duration_ms} ms, $writes file writes; completed epochs at the kills:$survived)"
[ "$fail" -eq 0 ]
