#!/usr/bin/env bash
# kernel/lab.sh: starts JupyterLab with the bpgo kernel as the default kernel. One launcher for `make lab`, the
# classroom image (docker/start-notebook.sh) and the browser test (tests/browser), so all three start the same
# server. kernel/setup.sh must have run. Arguments go to `jupyter lab` and replace the defaults here, e.g.
#   kernel/lab.sh --ServerApp.root_dir=DIR --no-browser --ip=127.0.0.1 --port=8888
# Token authentication stays Jupyter's default (a random token, printed in the log; JUPYTER_TOKEN sets one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck source=env.sh
source "$ROOT/kernel/env.sh"

# The same environment as the Makefile's: the kernel spec lives in .bpgo/jupyter.
export GOTOOLCHAIN="$BPGO_GOTOOLCHAIN"
export GOEXPERIMENT="${GOEXPERIMENT-$BPGO_GOEXPERIMENT}"
export JUPYTER_DATA_DIR="$ROOT/.bpgo/jupyter"
export JUPYTER_PLATFORM_DIRS=1

PY="$ROOT/.bpgo/venv/bin/python"
[[ -x "$PY" && -f "$JUPYTER_DATA_DIR/kernels/bpgo/kernel.json" ]] ||
	{ echo "lab.sh: no bpgo kernel in $ROOT/.bpgo: run 'make setup' (kernel/setup.sh) first" >&2; exit 1; }

# Defaults only for what the arguments leave unset: traitlets rejects an option given twice.
args=()
[[ " $* " == *" --ServerApp.root_dir"* || " $* " == *" --notebook-dir"* ]] || args+=(--ServerApp.root_dir="$ROOT/notebooks")
[[ " $* " == *" --MappingKernelManager.default_kernel_name"* ]] || args+=(--MappingKernelManager.default_kernel_name=bpgo)
# Jupyter refuses to run as root (containers, CI machines) without --allow-root.
[[ "$(id -u)" != 0 ]] || args+=(--allow-root)
exec "$PY" -m jupyter lab "${args[@]}" "$@"
