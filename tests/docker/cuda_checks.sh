#!/usr/bin/env bash
# tests/docker/cuda_checks.sh: run by `tests/docker/docker_test.sh --target cuda` (make docker-test-cuda) inside the
# GPU image, without a GPU and without network. Checks that the XLA CUDA plugin and NVIDIA's libraries are where
# the image's environment says, that the plugin links (everything but the driver, which the host brings), and that
# a notebook's first cell, run through the bpgo kernel with the image's default backend, fails with an error that
# names the missing GPU driver and says what to do.
set -euo pipefail
log() { printf '[cuda] %s\n' "$*"; }
die() {
	printf '[cuda] FAIL: %s\n' "$*" >&2
	exit 1
}
STATE="$BPGO_SRC/.bpgo"

plugin="${BPGO_BACKEND#xla:}"
[[ "$BPGO_BACKEND" == xla:/* && -f "$plugin" ]] || die "BPGO_BACKEND=$BPGO_BACKEND names no plugin file"
log "plugin: $plugin ($(du -h "$plugin" | cut -f1))"
for lib in cublas/lib/libcublas.so.12 cudnn/lib/libcudnn.so.9 cuda_runtime/lib/libcudart.so.12 \
	cufft/lib/libcufft.so.11 cusolver/lib/libcusolver.so.11 cusparse/lib/libcusparse.so.12 nccl/lib/libnccl.so.2 \
	cuda_nvcc/bin/ptxas cuda_nvcc/nvvm/libdevice/libdevice.10.bc bin/ptxas; do
	[[ -e "$STATE/nvidia/$lib" ]] || die "NVIDIA library missing: $STATE/nvidia/$lib"
done
[[ "$XLA_FLAGS" == *"--xla_gpu_cuda_data_dir=$STATE/nvidia/cuda_nvcc"* ]] || die "XLA_FLAGS=$XLA_FLAGS"
"$STATE/nvidia/bin/ptxas" --version >/dev/null || die "ptxas does not run"
log "NVIDIA libraries: $(du -sh "$STATE/nvidia" | cut -f1) in $STATE/nvidia; ptxas runs"
missing="$(ldd "$plugin" | awk '/not found/ { print $1 }' | grep -v '^libcuda\.so' || true)"
[[ -z "$missing" ]] || die "the plugin's libraries are not found: $missing"
log "plugin links: every library resolves (the driver, libcuda, comes from the host with --gpus all)"
"$STATE/venv/bin/python" -c '
import ctypes, sys
try:
    ctypes.CDLL("libcuda.so.1")
except OSError:
    sys.exit(0)
sys.exit("a libcuda.so.1 is in the image: the driver must come from the host")' || die "driver in the image"

# The first code cell of the first notebook through the bpgo kernel, as a student without a GPU would run it.
nbs=("$HOME"/*.ipynb)
nb="${nbs[0]}"
[[ -f "$nb" ]] || die "no notebook in $HOME"
out="$("$STATE/venv/bin/python" - "$nb" <<'EOF'
import sys
import nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
first = next(c for c in nb.cells if c.cell_type == "code")
first.outputs = []
nb.cells = [first]
client = NotebookClient(nb, kernel_name="bpgo", timeout=600, allow_errors=True)
client.execute()
for o in first.outputs:
    if o.output_type == "stream":
        print(o.text)
    elif o.output_type == "error":
        print(o.ename, o.evalue, "\n".join(o.traceback))
    else:
        print(o.get("data", {}).get("text/plain", ""))
EOF
)" || die "the kernel did not run the cell"
printf '%s\n' "$out" | grep -m 3 -iE 'gpu|cuda|driver' | sed 's/^/    /' || true
grep -q 'NVIDIA GPU and driver' <<<"$out" || die "the first cell's error does not name the missing NVIDIA driver:
$out"
grep -q -- '--gpus all' <<<"$out" || die "the first cell's error does not say to start with --gpus all"
log "no GPU: the first cell fails with the CUDA plugin's hint (NVIDIA GPU and driver, --gpus all, BPGO_BACKEND=go)"
