#!/usr/bin/env bash
# Compiles Tests/CInterface/delve_c_test.c with cc against the built C interface (libDelveC, header
# include/delve.h) and runs it: no Swift and no Python involved. Usage: scripts/c-interface-check.sh BIN
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:?usage: $0 <swift build bin path>}"
lib="$bin/libDelveC.so"
[ "$(uname)" = Darwin ] && lib="$bin/libDelveC.dylib"
if [ ! -f "$lib" ]; then
  echo "c-interface-check: $lib is missing (build it with: swift build -c release --product DelveC)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I include Tests/CInterface/delve_c_test.c \
   -L "$bin" -lDelveC -Wl,-rpath,"$bin" -lm -o "$work/delve_c_test"
echo "C interface: $work/delve_c_test"
"$work/delve_c_test" "$work"
