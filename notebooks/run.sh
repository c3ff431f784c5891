#!/usr/bin/env bash
# Runs every lab notebook headlessly through the Flint kernel and prints one line per notebook (its answer, checked
# against datasets/reference/). Sets up what it needs first: the `flint` binary, the Python venv with Jupyter's
# client, and the kernel with its warm build slot (the first time: a long build of the engine's dependencies).
#   notebooks/run.sh [--inplace] [NOTEBOOK...]      --inplace saves the outputs into the notebooks
#   notebooks/run.sh --lab                          opens JupyterLab on notebooks/ instead
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
FLINT_PYTHON="$(.ci/setup-python)"
export FLINT_PYTHON
cargo build -p flint-kernel --locked --quiet
"$CARGO_TARGET_DIR/debug/flint" kernel install --sys-prefix >/dev/null
if [ "${1:-}" = "--lab" ]; then
  "$FLINT_PYTHON" -m pip install --quiet --disable-pip-version-check "jupyterlab==4.6.6" "plotly==7.1.0"
  # A spare kernel warms up in JupyterLab's environment while it starts: the first notebook opened is fast too.
  "$CARGO_TARGET_DIR/debug/flint" kernel spare --start
  root=()
  if [ "$(id -u)" = 0 ]; then root=(--allow-root); fi  # containers and CI machines run as root
  exec "$(dirname "$FLINT_PYTHON")/jupyter" lab "${root[@]}" notebooks
fi
# Each kernel starts a spare for the next one; the spare left after the last notebook need not wait 15 minutes.
export FLINT_KERNEL_SPARE_IDLE="${FLINT_KERNEL_SPARE_IDLE:-120}"
args=("$@")
if [ "${#args[@]}" -eq 0 ] || [ "${args[*]}" = "--inplace" ]; then
  args+=(notebooks/*.ipynb)
fi
exec "$FLINT_PYTHON" tests/notebooks/run_notebooks.py "${args[@]}"
