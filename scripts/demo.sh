#!/usr/bin/env bash
# The interim demo (until `delve demo` trains a network): write synthetic layer activations with
# exactly known spectra (`delve sample`), then analyze them with `delve analyze`.
set -euo pipefail
bin="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== Writing synthetic activations with known spectra (delve sample) =="
"$bin/delve" sample "$work/activations"
echo
echo "== delve analyze $work/activations/*.npy =="
"$bin/delve" analyze --stats lsat,idim,erank,trc "$work/activations"/*.npy
echo
echo "What you see: for each layer, idim is the number of eigen-directions that explain 99 % of the"
echo "variance and lsat = idim / features; they match the spectra the files were built with (listed above)."
