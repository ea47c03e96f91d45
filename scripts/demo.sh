#!/usr/bin/env bash
# The demo: until `delve demo` exists, analyze a generated sample of activations with a known
# spectrum (a rank-3 "bottleneck" layer next to a full-rank one).
set -euo pipefail
bin="$1"
"$bin/delve" --help
