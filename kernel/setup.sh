#!/usr/bin/env bash
# kernel/setup.sh: the one idempotent set-up of everything bpgo needs on a machine with go, python3 and gcc.
# Used by `make setup`, by `make test` (and so CI), and by the Docker image. Safe to re-run: each step checks
# a stamp (inputs' hash) or the tool's own incremental behaviour and skips itself when already done.
#
# Everything goes to .bpgo/ at the repository root (gitignored):
#   .bpgo/venv      Python venv (kernel/requirements.txt, constrained by kernel/requirements.lock)
#   .bpgo/bin       gonb, goimports, gopls (kernel/tools module) and bpgo-kernel (kernel/cmd/bpgo-kernel)
#   .bpgo/pjrt      XLA CPU PJRT plugin (pjrt_c_api_cpu_plugin.so), see install_pjrt_plugin
#   .bpgo/jupyter   JUPYTER_DATA_DIR with kernels/bpgo/kernel.json
#   .bpgo/logs      GoNB's log;  .bpgo/stamps  step stamps
#
# Usage: kernel/setup.sh [--no-warm]
#   --no-warm  skip warming the Go build cache (go build/vet ./... of the main module, and go build -tags xla)
# Environment: GOEXPERIMENT (default from kernel/env.sh, even empty wins), PYTHON (default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck source=env.sh
source "$ROOT/kernel/env.sh"

export GOTOOLCHAIN="$BPGO_GOTOOLCHAIN"
export GOEXPERIMENT="${GOEXPERIMENT-$BPGO_GOEXPERIMENT}"

STATE="$ROOT/.bpgo"
BIN="$STATE/bin"
VENV="$STATE/venv"
PJRT_DIR="$STATE/pjrt"
export JUPYTER_DATA_DIR="$STATE/jupyter"
STAMPS="$STATE/stamps"
TOOLS_MOD="$ROOT/kernel/tools"
PYTHON="${PYTHON:-python3}"

WARM=1
for arg in "$@"; do
	case "$arg" in
	--no-warm) WARM=0 ;;
	-h | --help)
		sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "setup.sh: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

log() { printf '[setup] %s\n' "$*"; }
die() {
	printf '[setup] ERROR: %s\n' "$*" >&2
	exit 1
}

# hash_files FILE...: short hash of the files' contents.
hash_files() { cat "$@" | sha256sum | cut -c1-16; }

# stamp_ok NAME KEY: whether step NAME was completed with inputs KEY.
stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp_set() {
	mkdir -p "$STAMPS"
	printf '%s\n' "$2" >"$STAMPS/$1"
}

# timed NAME FUNCTION: runs FUNCTION and logs its wall time.
timed() {
	local t0=$SECONDS
	"$2"
	log "$1: done in $((SECONDS - t0)) s"
}

step_go() {
	command -v go >/dev/null || die "no 'go' command on PATH (install Go >= 1.21; it fetches $GOTOOLCHAIN itself)"
	local v
	v="$(go env GOVERSION)" || die "cannot run Go toolchain $GOTOOLCHAIN (it is fetched through the module proxy on first use)"
	[[ "$v" == "$GOTOOLCHAIN" ]] || die "GOTOOLCHAIN=$GOTOOLCHAIN but go reports $v"
	log "go: $v at $(go env GOROOT), GOEXPERIMENT='$GOEXPERIMENT'"
	# Cheap when the module cache is complete; downloads what the notebooks need (the kernel runs GOPROXY=off).
	(cd "$ROOT" && go mod download) || die "go mod download failed for the main module"
	(cd "$TOOLS_MOD" && go mod download) || die "go mod download failed for kernel/tools"
}

step_venv() {
	command -v "$PYTHON" >/dev/null || die "no '$PYTHON' on PATH (Python >= 3.10 needed; set PYTHON=...)"
	"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
		die "$PYTHON is $("$PYTHON" --version 2>&1); need >= 3.10"
	local pyver key
	pyver="$("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
	key="python=$pyver root=$ROOT req=$(hash_files "$ROOT/kernel/requirements.txt" "$ROOT/kernel/requirements.lock")"
	if stamp_ok venv "$key" && [[ -x "$VENV/bin/jupyter-lab" ]] && "$VENV/bin/python" -c '' 2>/dev/null; then
		log "python venv: up to date ($VENV, python $pyver)"
		return
	fi
	log "python venv: creating $VENV (python $pyver) and installing kernel/requirements.txt"
	"$PYTHON" -m venv --clear "$VENV" ||
		die "python -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
		-r "$ROOT/kernel/requirements.txt" -c "$ROOT/kernel/requirements.lock" ||
		die "pip install failed"
	stamp_set venv "$key"
}

step_tools() {
	local key tool ok=1
	key="go=$GOTOOLCHAIN goexperiment=$GOEXPERIMENT mod=$(hash_files "$TOOLS_MOD/go.mod" "$TOOLS_MOD/go.sum")"
	for tool in gonb goimports gopls; do
		[[ -x "$BIN/$tool" ]] || ok=0
	done
	if [[ $ok == 1 ]] && stamp_ok tools "$key"; then
		log "go tools: up to date ($BIN: gonb, goimports, gopls)"
	else
		log "go tools: building gonb, goimports, gopls into $BIN (about 90 s on 2 cores)"
		mkdir -p "$BIN"
		(cd "$TOOLS_MOD" && go build -buildvcs=false -o "$BIN/" \
			github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports golang.org/x/tools/gopls) ||
			die "building the kernel tools failed"
		stamp_set tools "$key"
	fi
	log "go tools: $("$BIN/gonb" --version | head -n1), $("$BIN/gopls" version | head -n1)"
	# Incremental: cheap when nothing changed.
	(cd "$ROOT" && go build -buildvcs=false -o "$BIN/bpgo-kernel" ./kernel/cmd/bpgo-kernel) ||
		die "building kernel/cmd/bpgo-kernel failed"
}

# install_pjrt_plugin: puts the XLA CPU PJRT plugin at $PJRT_DIR/pjrt_c_api_cpu_plugin.so.
# The plugin comes from a pinned, hash-checked PyPI wheel (kernel/pjrt-requirements.txt), so set-up needs
# no GitHub download. It never fails the set-up: without a plugin bpgo uses the pure-Go backend (and
# online users still get GoMLX's own auto-install). BPGO_SKIP_PJRT=1 skips the step.
# ---------------------------------------------------------------------------------------------------
PJRT_SO_SHA256=ad1309ac822b1b24d51b7f9947c7c9fa9ef5d67f390584cbc3d1fa2428fed9c2
install_pjrt_plugin() {
	local so="$PJRT_DIR/pjrt_c_api_cpu_plugin.so" req="$ROOT/kernel/pjrt-requirements.txt" tmp key
	if [[ "${BPGO_SKIP_PJRT:-}" == 1 ]]; then
		log "XLA plugin: skipped (BPGO_SKIP_PJRT=1)"
		return
	fi
	if [[ "$(uname -s)/$(uname -m)" != Linux/x86_64 ]]; then
		log "XLA plugin: no pinned plugin for $(uname -s)/$(uname -m); bpgo will use GoMLX's auto-install when online, else the Go backend"
		return
	fi
	key="req=$(hash_files "$req")"
	if stamp_ok pjrt "$key" && [[ -f "$so" ]] && [[ "$(sha256sum "$so" | cut -d' ' -f1)" == "$PJRT_SO_SHA256" ]]; then
		log "XLA plugin: up to date ($so)"
		return
	fi
	log "XLA plugin: installing $(grep -v '^#' "$req" | cut -d' ' -f1) from PyPI (about 63 MB)"
	mkdir -p "$PJRT_DIR"
	tmp="$(mktemp -d "$STATE/pjrt-wheel.XXXXXX")"
	if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
		--target "$tmp" -r "$req"; then
		rm -rf "$tmp"
		log "XLA plugin: WARNING: pip could not install the plugin; bpgo will use the Go backend"
		return
	fi
	local got
	got="$(sha256sum "$tmp/lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so" 2>/dev/null | cut -d' ' -f1 || true)"
	if [[ "$got" != "$PJRT_SO_SHA256" ]]; then
		rm -rf "$tmp"
		log "XLA plugin: WARNING: plugin checksum mismatch (got '${got:-missing}'); not installed"
		return
	fi
	# Same filesystem: the rename is atomic, so a reader never sees half a plugin.
	mv -f "$tmp/lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so" "$so"
	rm -rf "$tmp"
	stamp_set pjrt "$key"
	log "XLA plugin: installed $so"
}

step_kernel() {
	"$BIN/bpgo-kernel" install --repo "$ROOT" --jupyter-data "$JUPYTER_DATA_DIR" \
		--gotoolchain "$GOTOOLCHAIN" --goexperiment "$GOEXPERIMENT" | sed 's/^/[setup] kernel: /'
}

step_warm() {
	if [[ $WARM == 0 ]]; then
		log "go build cache: skipped (--no-warm)"
		return
	fi
	log "go build cache: go build ./... && go vet ./... (GOEXPERIMENT='$GOEXPERIMENT'), go build -tags xla ./..."
	(cd "$ROOT" && go build ./... && go vet ./...) || die "go build/vet of the main module failed"
	# The packages again with XLA linked (the build tag xla: "%goflags -tags=xla" in a notebook, or a kernel
	# started with BPGO_BACKEND=xla), so that switching to XLA does not recompile the library first.
	(cd "$ROOT" && go build -tags xla ./...) || die "go build -tags xla of the main module failed"
}

main() {
	local t0=$SECONDS
	log "bpgo set-up in $ROOT"
	mkdir -p "$STATE"
	timed "go toolchain + modules" step_go
	timed "python venv" step_venv
	timed "go tools" step_tools
	timed "XLA plugin" install_pjrt_plugin
	timed "kernel spec" step_kernel
	timed "go build cache" step_warm
	log "all done in $((SECONDS - t0)) s"
}

main
