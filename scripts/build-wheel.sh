#!/usr/bin/env bash
# Builds the Python package's wheel into dist/ with the C interface library inside
# (delve_swift/lib/libDelveC.so). Usage: scripts/build-wheel.sh BIN  (BIN: the bin path of a release
# build of the DelveC product).
#
# SwiftPM links a dynamic library against the Swift runtime's shared libraries (it ignores
# --static-swift-stdlib for the link, but compiles for it), so on Linux this script links libDelveC.so
# again from the same objects
# with `swiftc -static-stdlib` (the toolchain's static runtime and Foundation), strips it, and checks
# that it loads no Swift library: the wheel then needs no Swift toolchain, only OpenBLAS, LAPACKE and zlib.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:?usage: $0 <swift build bin path>}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -r python/pyproject.toml python/setup.py python/README-python.md python/delve_swift "$stage/"
rm -rf "$stage/delve_swift/__pycache__" "$stage/delve_swift/lib"
mkdir -p "$stage/delve_swift/lib" dist
lib="$stage/delve_swift/lib/libDelveC.so"
if [ "$(uname)" = Darwin ]; then
  cp "$bin/libDelveC.dylib" "$stage/delve_swift/lib/"
else
  objects="$bin/DelveC.product/Objects.LinkFileList"
  [ -f "$objects" ] || { echo "build-wheel: $objects is missing (swift build -c release --product DelveC)" >&2; exit 1; }
  swiftc="$(command -v swiftc)"
  static="$(dirname "$(dirname "$(readlink -f "$swiftc")")")/lib/swift_static/linux"
  # shellcheck disable=SC2046
  "$swiftc" -emit-library -static-stdlib -module-name DelveC -target "$(uname -m)-unknown-linux-gnu" \
    -o "$lib" @"$objects" -L "$static" $(pkg-config --libs openblas zlib) \
    -Xlinker --gc-sections -Xlinker --no-undefined -Xlinker '-rpath=$ORIGIN' 2> "$stage/link.log" \
    || { cat "$stage/link.log" >&2; exit 1; }
  strip --strip-unneeded "$lib"
  if ldd "$lib" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|/swift/' >&2; then
    echo "build-wheel: $lib still loads the Swift runtime (above)" >&2
    exit 1
  fi
fi
isolation=()
python3 -c 'import setuptools, wheel' 2>/dev/null && isolation=(--no-build-isolation)
python3 -m pip wheel -q --no-deps "${isolation[@]}" -w dist "$stage"
ls -l dist/delve_swift-*.whl
