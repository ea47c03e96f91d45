#!/usr/bin/env bash
# Checks the native TensorBoard writer against TensorBoard itself: writes a small synthetic run with
# `delve report --sample` and reads its event file back with TensorBoard's EventAccumulator
# (scripts/tensorboard_check.py), comparing tags, steps and values with the run's statistics.jsonl.
#   scripts/tensorboard-check.sh BIN_DIR
# TensorBoard is installed with pip into .build-venv/ when missing; if that fails, this script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:?usage: scripts/tensorboard-check.sh BIN_DIR (the directory holding the delve executable)}"
venv=".build-venv"
if ! "$venv/bin/python" -c "import tensorboard" >/dev/null 2>&1; then
  echo "tensorboard-check: installing tensorboard into $venv (pip)"
  python3 -m venv "$venv" || { echo "tensorboard-check: FAIL: cannot create a Python venv in $venv" >&2; exit 1; }
  "$venv/bin/pip" install -q tensorboard || { echo "tensorboard-check: FAIL: pip install tensorboard failed" >&2; exit 1; }
fi
run="$(mktemp -d)/tensorboard-run"
trap 'rm -rf "$(dirname "$run")"' EXIT
"$bin/delve" report --sample "$run" --epochs 3 --writers jsonl,tensorboard >/dev/null
"$venv/bin/python" scripts/tensorboard_check.py "$run" 3
