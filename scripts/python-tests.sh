#!/usr/bin/env bash
# The Python package's tests (python/tests, pytest) against the built C interface library.
# Usage: scripts/python-tests.sh BIN [TEST…]   (BIN: the swift build bin path holding libDelveC.so;
# TEST: pytest paths under python/, default tests)
#
# The test environment (numpy, pytest, the CPU build of torch, delve==0.1.50 as the reference) is a virtual
# environment outside the clone, ~/.cache/delve-swift-venv-<hash of python/requirements-test.txt>, made
# once per machine (a few minutes) and reused by later runs; DELVE_SWIFT_VENV overrides the location.
set -uo pipefail
cd "$(dirname "$0")/.."
bin="${1:?usage: $0 <swift build bin path> [pytest paths]}"
shift
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests)
lib="$bin/libDelveC.so"
[ "$(uname)" = Darwin ] && lib="$bin/libDelveC.dylib"
[ -f "$lib" ] || { echo "python-tests: $lib is missing (swift build -c release --product DelveC)" >&2; exit 1; }
requirements=python/requirements-test.txt
hash=$(sha256sum "$requirements" | cut -c1-16)
venv="${DELVE_SWIFT_VENV:-$HOME/.cache/delve-swift-venv-$hash}"
if [ ! -f "$venv/.complete" ]; then
  echo "python-tests: creating the test environment $venv (once per machine)"
  rm -rf "$venv"
  python3 -m venv "$venv" || exit 1
  "$venv/bin/pip" install -q -r "$requirements" || { echo "python-tests: installing $requirements failed" >&2; exit 1; }
  touch "$venv/.complete"
fi
export DELVE_SWIFT_LIBRARY="$PWD/$lib"
[ "${lib#/}" != "$lib" ] && export DELVE_SWIFT_LIBRARY="$lib"
cd python
"$venv/bin/python" -m pytest -q -p no:cacheprovider "${tests[@]}"
status=$?
case $status in
  0) ;;
  5) echo "python-tests: pytest collected no tests — that is a failure here" >&2; exit 1 ;;
  *) echo "python-tests: pytest exited with status $status" >&2; exit 1 ;;
esac
