#!/usr/bin/env bash
# tests/docker/offline_checks.sh OUT: run by tests/docker/docker_test.sh inside a classroom container started with
# --network none, as the image's user. Proves the image works without network: every tutorial notebook in the
# home directory (the students' copies) executes headless through the bpgo kernel in reduced mode, and the
# dataset hook (docker/build-step.sh datasets) fetches, verifies and keeps files and rejects a wrong checksum.
# Writes the notebook runner's JSON report to OUT/report.json.
set -euo pipefail
OUT="$1"
log() { printf '[offline] %s\n' "$*"; }
die() {
	printf '[offline] FAIL: %s\n' "$*" >&2
	exit 1
}

# No network but loopback: a check that reaches nothing proves nothing.
python3 - <<'EOF' || die "this container reaches the network: start it with --network none"
import socket
names = sorted(n for _, n in socket.if_nameindex())
assert names == ["lo"], f"network interfaces {names}, want only lo"
for addr in (("1.1.1.1", 443), ("proxy.golang.org", 443)):
    try:
        socket.create_connection(addr, 3).close()
    except OSError:
        continue
    raise SystemExit(f"connected to {addr}")
EOF
log "network: only loopback, nothing outside reachable; user $(id -un) ($(id -u):$(id -g))"

shopt -s nullglob
nbs=("$HOME"/*.ipynb)
[[ ${#nbs[@]} -gt 0 ]] || die "no notebooks in $HOME"
log "notebooks: ${#nbs[@]} in $HOME, reduced mode (BPGO_NOTEBOOK_MODE=${BPGO_NOTEBOOK_MODE:-unset})"
(cd "$BPGO_SRC" && python tests/notebooks/run_notebooks.py --mode reduced --kernel bpgo --out-dir /tmp/executed \
	--report "$OUT/report.json" "${nbs[@]}") || die "a notebook failed offline (output above)"

# The dataset hook on a real file (file:// works offline); the image's manifest itself ran during the build.
fix="$(mktemp -d)"
head -c 4096 /dev/urandom >"$fix/blob.bin"
sum="$(sha256sum "$fix/blob.bin" | cut -d' ' -f1)"
data="$BPGO_SRC/.bpgo/data"
printf '# fixture\nfixture-%s/blob.bin %s file://%s/blob.bin\n' "$$" "$sum" "$fix" >"$fix/good.txt"
step="$BPGO_SRC/docker/build-step.sh"
BPGO_DATASETS="$fix/good.txt" "$step" datasets >/dev/null || die "the dataset hook failed on a valid manifest"
cmp -s "$fix/blob.bin" "$data/fixture-$$/blob.bin" || die "the dataset hook did not place the file"
again="$(BPGO_DATASETS="$fix/good.txt" "$step" datasets)" || die "the dataset hook failed on a re-run"
[[ "$again" == *"fixture-$$/blob.bin up to date"* ]] || die "the dataset hook re-fetched a file it had: $again"
printf 'fixture-%s/other.bin %064d file://%s/blob.bin\n' "$$" 0 "$fix" >"$fix/bad.txt"
if BPGO_DATASETS="$fix/bad.txt" "$step" datasets >/dev/null 2>&1; then
	die "the dataset hook accepted a file with the wrong checksum"
fi
[[ ! -e "$data/fixture-$$/other.bin" ]] || die "the dataset hook kept a file with the wrong checksum"
log "datasets: the hook fetches, verifies and keeps files, and rejects a wrong checksum"
