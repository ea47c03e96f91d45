#!/usr/bin/env bash
# End-to-end checks of the built executables (exit codes, output files). Called by `make test`.
set -euo pipefail
bin="$1"
pass=0; fail=0
check() { # check NAME COMMAND... — the command must succeed
  local name="$1"; shift
  if "$@" >/dev/null 2>&1; then pass=$((pass+1)); else echo "FAIL: $name"; fail=$((fail+1)); fi
}
check "delve --help" "$bin/delve" --help
check "delve --version" "$bin/delve" --version
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
