#!/usr/bin/env bash
# Renders the report of a synthetic sample run with headless Chromium to a PNG.
#   scripts/report-screenshot.sh [BIN_DIR] [OUTPUT_PNG]
#   scripts/report-screenshot.sh --page PAGE.html OUTPUT_PNG [TEXT...]
#       checks a page (the demo's comparison page in `make test`): takes the screenshot, requires that
#       Chromium logs no console error and that the rendered page contains every TEXT; exits 2 with a
#       message, without installing anything, when Chromium is missing.
# BIN_DIR holds the `delve` executable (default: the release build, built when missing);
# OUTPUT_PNG defaults to docs/images/report.png. Also copies the sample's saturation plot to
# docs/images/saturation.svg. Installs the Debian package `chromium` with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
find_browser() {
  for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then echo "$candidate"; return; fi
  done
}
if [ "${1:-}" = "--page" ]; then
  page="$(realpath "${2:?--page needs PAGE.html}")"; shot="${3:?--page needs OUTPUT_PNG}"; shift 3
  browser="$(find_browser)"
  if [ -z "$browser" ]; then
    echo "report-screenshot: SKIPPED the check of $page: Chromium is not installed (apt-get install chromium)"
    exit 2
  fi
  tmp="$(mktemp -d)"
  flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 --user-data-dir="$tmp/profile")
  "$browser" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$page" >"$tmp/dom.html" 2>"$tmp/log" || true
  "$browser" "${flags[@]}" --window-size=1500,1400 --screenshot="$(realpath -m "$shot")" "file://$page" >/dev/null 2>&1 || true
  status=0
  [ -s "$shot" ] || { echo "report-screenshot: no screenshot of $page written"; status=1; }
  [ -s "$tmp/dom.html" ] || { echo "report-screenshot: Chromium rendered nothing for $page"; status=1; }
  if grep -E 'CONSOLE|Uncaught|ERROR:.*(file|net::)' "$tmp/log" | grep -v 'dbus\|gpu\|sandbox' >"$tmp/errors"; then
    echo "report-screenshot: console errors on $page:"; sed 's/^/  | /' "$tmp/errors" | head -5; status=1
  fi
  for text in "$@"; do
    grep -q -- "$text" "$tmp/dom.html" || { echo "report-screenshot: '$text' not on the rendered page"; status=1; }
  done
  rm -rf "$tmp"
  [ "$status" -eq 0 ] && echo "report-screenshot: $page rendered in headless Chromium without console errors ($shot)"
  exit "$status"
fi
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
