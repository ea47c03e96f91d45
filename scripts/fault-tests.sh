#!/usr/bin/env bash
# Faults a real run meets, end to end: Ctrl-C (SIGINT) and SIGTERM during `delve train`, a second Ctrl-C,
# a file-size limit (`ulimit -f`, EFBIG) at several sizes, a run directory the process may not write
# (EACCES), empty .npy files for `delve analyze`, a model option the model does not take. Each stop must
# exit with the documented status and a message naming the file, leave the completed epochs intact
# (scripts/crash_check.py) and resume to outputs identical to an uninterrupted run. Called by `make test`.
#   scripts/fault-tests.sh BIN_DIR
set -euo pipefail
bin="${1:?usage: scripts/fault-tests.sh BIN_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
d="$bin/delve"
work="$(mktemp -d)"
chmod 755 "$work"   # the read-only test runs delve as another user when this script runs as root
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $1"; [ -n "${2:-}" ] && sed 's/^/  | /' "$2" | tail -4; fail=$((fail+1)); }
args=(train --model mlp --model-options hidden=32 --epochs 4 --writers csv,jsonl,npy,plot,report,tensorboard)
"$d" "${args[@]}" --out "$work/reference" >/dev/null

resume_matches() { # resume_matches NAME RUN [RESUME-OPTION...] — RUN resumes to the outputs of $work/${ref:-reference}
  local name="$1" run="$2" reference="$work/${ref:-reference}"; shift 2
  if ! python3 "$here/crash_check.py" "$run" "$reference" >/dev/null 2>"$work/check"; then
    bad "$name: outputs invalid after the stop" "$work/check"; return; fi
  if ! "$d" train --resume "$run" "$@" >"$work/resume" 2>&1; then bad "$name: resume failed" "$work/resume"; return; fi
  if cmp -s "$run/statistics.csv" "$reference/statistics.csv" && cmp -s "$run/statistics.jsonl" "$reference/statistics.jsonl" \
     && python3 "$here/crash_check.py" "$run" "$reference" >/dev/null 2>"$work/check"; then ok
  else bad "$name: the resumed outputs differ from the uninterrupted run" "$work/check"; fi
}
wait_rows() { # wait_rows RUN N PID — until RUN/statistics.csv has N epoch rows or PID has ended
  for _ in $(seq 1 20000); do
    rows=$( [ -f "$1/statistics.csv" ] && wc -l <"$1/statistics.csv" || echo 0)
    [ "$rows" -gt "$2" ] && return
    kill -0 "$3" 2>/dev/null || return
    sleep 0.002
  done
}

# Ctrl-C and SIGTERM: the epoch in progress is abandoned, exit 128 + signal, the message says how to resume.
for signal in INT TERM; do
  run="$work/sig$signal"
  "$d" "${args[@]}" --out "$run" >/dev/null 2>"$work/err" & pid=$!
  wait_rows "$run" 1 "$pid"
  kill -s "$signal" "$pid" 2>/dev/null || true
  status=0; wait "$pid" || status=$?
  expected=$([ "$signal" = INT ] && echo 130 || echo 143)
  if [ "$status" -eq "$expected" ] && grep -q "^error: interrupted by SIG$signal" "$work/err" \
     && grep -q "resume with: delve train --resume $run" "$work/err"; then ok
  elif [ "$status" -eq 0 ]; then echo "note: SIG$signal arrived after the run finished; not counted"
  else bad "SIG$signal: exit $status (expected $expected) or no resume hint" "$work/err"; fi
  resume_matches "SIG$signal" "$run"
done
# A second Ctrl-C exits at once (130), the last checkpoint still complete.
run="$work/twice"
"$d" "${args[@]}" --out "$run" >/dev/null 2>"$work/err" & pid=$!
wait_rows "$run" 2 "$pid"
kill -s INT "$pid" 2>/dev/null || true
for _ in $(seq 1 2000); do grep -q "interrupt again" "$work/err" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.001; done
kill -s INT "$pid" 2>/dev/null || true
status=0; wait "$pid" || status=$?
if [ "$status" -eq 130 ]; then ok
  # The first Ctrl-C's orderly stop may win the race with the second; both leave a complete checkpoint.
  grep -q "resume with" "$work/err" && echo "note: the first Ctrl-C's orderly stop finished before the second arrived"
elif [ "$status" -eq 0 ]; then echo "note: the run finished before the Ctrl-Cs; not counted"
else bad "second Ctrl-C: exit $status, expected 130" "$work/err"; fi
resume_matches "second Ctrl-C" "$run"

# A file-size limit (ulimit -f, in KiB): the write fails with EFBIG; exit 1 naming the file and the reason.
for limit in 8 16 64 200; do
  run="$work/limit$limit"
  status=0
  (ulimit -f "$limit"; exec "$d" "${args[@]}" --out "$run") >/dev/null 2>"$work/err" || status=$?
  if [ "$status" -eq 1 ] && grep -q "^error: .*$run/[^ ]*.*File too large" "$work/err"; then ok
  else bad "ulimit -f $limit: exit $status, expected 1 with the file and 'File too large'" "$work/err"; fi
  resume_matches "ulimit -f $limit" "$run"
done

# Without the large outputs, the limit hits the checkpoint's weight file (the previous checkpoint stays).
small=(train --model mlp --model-options hidden=32 --epochs 4 --writers csv,jsonl)
"$d" "${small[@]}" --out "$work/small-reference" >/dev/null
run="$work/limit-checkpoint"
status=0
(ulimit -f 8; exec "$d" "${small[@]}" --out "$run") >/dev/null 2>"$work/err" || status=$?
if [ "$status" -eq 1 ] && grep -q "^error: .*$run/checkpoint/.*model.safetensors.*File too large" "$work/err"; then ok
else bad "ulimit -f 8 on a checkpoint: exit $status, expected 1 with the file and 'File too large'" "$work/err"; fi
ref=small-reference resume_matches "ulimit -f 8 on a checkpoint" "$run"

# A run directory this process may not write (EACCES): exit 1 naming the file, nothing changed, resumable.
run="$work/readonly"
"$d" "${args[@]}" --epochs 2 --out "$run" >/dev/null
before=$(cd "$run" && find . -type f -exec md5sum {} + | sort)
as_other=()
if [ "$(id -u)" -eq 0 ]; then
  if command -v setpriv >/dev/null; then as_other=(setpriv --reuid=65534 --regid=65534 --clear-groups); else as_other=(skip); fi
else
  chmod -R a-w "$run"
fi
if [ "${as_other[0]:-}" = skip ]; then echo "note: read-only test skipped (root without setpriv)"; else
  status=0
  "${as_other[@]}" "$d" train --resume "$run" --epochs 4 >/dev/null 2>"$work/err" || status=$?
  chmod -R u+w "$run"
  after=$(cd "$run" && find . -type f -exec md5sum {} + | sort)
  if [ "$status" -eq 1 ] && grep -q "^error: $run/.*Permission denied" "$work/err" && [ "$before" = "$after" ]; then ok
  else bad "read-only run directory: exit $status, expected 1 naming the file, files unchanged" "$work/err"; fi
  resume_matches "read-only run directory" "$run" --epochs 4
fi

# A read-only filesystem (EROFS): the run directory bind-mounted read-only in a private mount namespace
# (unshare; skipped where user namespaces are not allowed): exit 1 naming the file, nothing changed, resumable.
run="$work/erofs"
"$d" "${args[@]}" --epochs 2 --out "$run" >/dev/null
if unshare -rm true 2>/dev/null; then
  before=$(cd "$run" && find . -type f -exec md5sum {} + | sort)
  status=0
  unshare -rm sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" train --resume "$1" --epochs 4' \
    sh "$run" "$d" >/dev/null 2>"$work/err" || status=$?
  after=$(cd "$run" && find . -type f -exec md5sum {} + | sort)
  if [ "$status" -eq 1 ] && grep -q "^error: $run/.*Read-only file system" "$work/err" && [ "$before" = "$after" ]; then ok
  else bad "read-only filesystem: exit $status, expected 1 naming the file and 'Read-only file system', files unchanged" "$work/err"; fi
  resume_matches "read-only filesystem" "$run" --epochs 4
else
  echo "note: read-only filesystem test skipped (no user namespaces for unshare -rm)"
fi

# Empty checkpoint files (a disk that lost them): exit 1 naming the file.
for file in checkpoint.json configuration.json; do
  run="$work/empty-$file"
  cp -r "$work/reference" "$run"
  [ "$file" = configuration.json ] && rm "$run/checkpoint/checkpoint.json"
  : >"$run/checkpoint/$file"
  status=0
  "$d" train --resume "$run" >/dev/null 2>"$work/err" || status=$?
  if [ "$status" -eq 1 ] && grep -q "^error: corrupt .*$run/checkpoint/$file:1: invalid JSON" "$work/err"; then ok
  else bad "an empty $file: exit $status, expected 1 naming the file" "$work/err"; fi
done

# delve analyze: files without data fail one by one, naming the file; the others are still reported.
python3 - "$work" <<'PY'
import struct, sys
def save(path, shape, values=()):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join(f"{n}, " for n in shape)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack(f"<{len(values)}f", *values))
save(sys.argv[1] + "/rows0.npy", (0, 8))
save(sys.argv[1] + "/conv0.npy", (0, 3, 4, 4))
save(sys.argv[1] + "/features0.npy", (5, 0))
save(sys.argv[1] + "/good.npy", (6, 2), [1, 2, 3, 5, 2, 1, 0, 4, 5, 5, 1, 0])
PY
status=0
"$d" analyze "$work/rows0.npy" "$work/good.npy" "$work/conv0.npy" "$work/features0.npy" >"$work/out" 2>"$work/err" || status=$?
if [ "$status" -eq 1 ] && grep -q "^error: $work/rows0.npy: no data: no samples" "$work/err" \
   && grep -q "^error: $work/conv0.npy: no data: no samples" "$work/err" && grep -q "^error: $work/features0.npy: " "$work/err" \
   && grep -q "^good " "$work/out" && ! grep -q "rows0\|conv0\|features0" "$work/out"; then ok
else bad "analyze of empty files: exit $status" "$work/err"; fi

# delve merge of states without samples: exit 1 naming them, no numbers.
status=0
"$d" analyze --save-state "$work/states" "$work/rows0.npy" >/dev/null 2>&1 || true
"$d" merge "$work/states/rows0.state" "$work/states/rows0.state" >"$work/out" 2>"$work/err" || status=$?
if [ "$status" -eq 1 ] && grep -q "^error: $work/states/rows0.state + $work/states/rows0.state: no data: no samples" "$work/err" \
   && ! grep -q "rows0" "$work/out"; then ok
else bad "merge of empty states: exit $status" "$work/err"; fi

# A model option the model does not take: a usage error naming the option and the model's options.
status=0
"$d" train --model mlp --model-options depth=3 --epochs 1 --out "$work/option" >/dev/null 2>"$work/err" || status=$?
if [ "$status" -eq 64 ] && grep -q "model option 'depth' does not apply to model 'mlp'; its options: hidden" "$work/err" \
   && [ ! -e "$work/option" ]; then ok
else bad "inapplicable model option: exit $status" "$work/err"; fi

echo "faults: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
