#!/usr/bin/env bash
# `make demo`: train a too-deep and a right-sized CNN on the embedded UCI digits with saturation
# tracking (`delve demo`), then point at the run directories and reports.
set -euo pipefail
bin="$1"
out="${DEMO_OUT:-runs/demo}"
"$bin/delve" demo --out "$out"
echo
echo "Open $out/index.html in a browser (it links $out/deep-cnn/report.html and $out/small-cnn/report.html),"
echo "or run: tensorboard --logdir $out"
