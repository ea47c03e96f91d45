#!/usr/bin/env bash
# Renders the report of a synthetic sample run with headless Chromium to a PNG.
#   scripts/report-screenshot.sh [BIN_DIR] [OUTPUT_PNG]
# BIN_DIR holds the `delve` executable (default: the release build, built when missing);
# OUTPUT_PNG defaults to docs/images/report.png. Also copies the sample's saturation plot to
# docs/images/saturation.svg. Installs the Debian package `chromium` with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-}"
out="${2:-docs/images/report.png}"
if [ -z "$bin" ]; then
  swift build -c release --product delve >/dev/null
  bin="$(swift build -c release --show-bin-path)"
fi
browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then browser="$candidate"; break; fi
done
if [ -z "$browser" ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "report-screenshot: installing chromium with apt-get" >&2
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null
  browser=chromium
fi
run="$(mktemp -d)/sample-run"
"$bin/delve" report --sample "$run" --epochs 12 --writers csv,jsonl,plot,report
mkdir -p "$(dirname "$out")" docs/images
# A tall window: the whole one-page report in one picture.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
  --window-size=1240,3650 --screenshot="$PWD/$out" "file://$run/report.html" >/dev/null 2>&1
cp "$run/plots/saturation.svg" docs/images/saturation.svg
[ -s "$out" ] || { echo "report-screenshot: no screenshot written" >&2; exit 1; }
echo "report-screenshot: wrote $out and docs/images/saturation.svg (from $run)"
