#!/usr/bin/env bash
# tests/docker/steps_test.sh: builds the classroom image's contents for real, without Docker: runs the build steps
# that docker/Dockerfile RUNs (read from the Dockerfile, in its order) on this host, in a fresh HOME with fresh Go
# and pip caches and no Go on PATH, into a temporary directory laid out like the image. Then checks the result:
# the kernel is installed, notebooks execute headless with no network (the image's offline use) and the first
# cell is fast (the build cache is warm), the notebooks are in HOME, the dataset hook fetches and verifies files,
# and the image's start command serves HOME with a token and passes the image's HEALTHCHECK.
#
# Usage: tests/docker/steps_test.sh        (make docker-steps-test)
# Environment: BPGO_KEEP_STEPS=1 keeps the temporary directory; BPGO_WARM_NOTEBOOKS (default: notebook 01 only,
# to bound CI time; `make test` runs every notebook anyway) and BPGO_FIRST_CELL_MAX_S go to the build steps.
# Needs: git, python3 (>= 3.10, with venv), gcc, network access to the Go module proxy and PyPI. As root it also
# runs the steps after 'datasets' in a network namespace without network (unshare --net).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
DOCKERFILE="$ROOT/docker/Dockerfile"
T0=$SECONDS

log() { printf '[steps-test] %s\n' "$*"; }
die() {
	printf '[steps-test] FAIL: %s\n' "$*" >&2
	exit 1
}

# --- The stages, as the Dockerfile's default target runs them. -------------------------------------------------
# Lines "RUN /opt/bpgo/docker/build-step.sh STAGE..." of the first build stage (up to the next FROM).
mapfile -t STAGES < <(awk '
	/^FROM / { n++ }
	n == 1 && $1 == "RUN" && $2 == "/opt/bpgo/docker/build-step.sh" { for (i = 3; i <= NF; i++) print $i }
' "$DOCKERFILE")
[[ ${#STAGES[@]} -gt 0 && "${STAGES[0]}" == system ]] ||
	die "cannot read the build steps from $DOCKERFILE (want RUN /opt/bpgo/docker/build-step.sh system ... first)"
STAGES=("${STAGES[@]:1}") # 'system' installs Debian packages and creates the user: the host has its own
log "stages from $DOCKERFILE: ${STAGES[*]} (after 'system', which is for the image only)"

for cmd in git python3 gcc sha256sum; do
	command -v "$cmd" >/dev/null || die "'$cmd' is needed (the image's 'system' stage installs its counterpart)"
done
# The image's Python is its base image's (FROM python:X.Y.Z-...); the steps here run with this host's.
IMAGE_PY="$(sed -n 's/^FROM python:\([0-9][0-9.]*\)-.* AS base$/\1/p' "$DOCKERFILE")"
[[ -n "$IMAGE_PY" ]] || die "cannot read the Python version from $DOCKERFILE (want FROM python:X.Y.Z-... AS base)"
HOST_PY="$(python3 -c 'import platform; print(platform.python_version())')"
[[ "$HOST_PY" == "$IMAGE_PY" ]] ||
	log "NOTE: this host's python3 is $HOST_PY, the image's $IMAGE_PY: the steps run with $HOST_PY here"

# --- A fresh machine in a temporary directory. -------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bpgo-steps.XXXXXX")"
finish() {
	local rc=$?
	if [[ "${BPGO_KEEP_STEPS:-0}" == 1 ]]; then
		log "kept $WORK"
	else
		chmod -R u+w "$WORK" 2>/dev/null || true # Go's module cache is read-only
		rm -rf "$WORK"
	fi
	if [[ $rc == 0 ]]; then
		log "PASS in $((SECONDS - T0)) s"
	else
		log "FAILED (status $rc) after $((SECONDS - T0)) s; BPGO_KEEP_STEPS=1 keeps the directory"
	fi
}
trap finish EXIT

# The image's layout: checkout in src (as /opt/bpgo), Go in go (as /usr/local/go), GOPATH and GOCACHE outside HOME.
export BPGO_SRC="$WORK/src" BPGO_GOROOT="$WORK/go"
export HOME="$WORK/home" GOPATH="$WORK/gopath" GOCACHE="$WORK/gopath/cache" PIP_CACHE_DIR="$WORK/pip-cache"
export GOTOOLCHAIN=local BPGO_UMASK=0002
export BPGO_WARM_NOTEBOOKS="${BPGO_WARM_NOTEBOOKS:-notebooks/01_training_brain_dynamics_model.ipynb}"
unset GOMODCACHE GOENV GOROOT GOBIN GOFLAGS GOEXPERIMENT XDG_CONFIG_HOME XDG_CACHE_HOME XDG_DATA_HOME \
	JUPYTER_DATA_DIR JUPYTER_CONFIG_DIR JUPYTER_RUNTIME_DIR JUPYTER_PATH PIP_NO_CACHE_DIR PYTHONUSERBASE VIRTUAL_ENV
mkdir -p "$HOME"
# No Go on PATH but the one the 'go' stage installs: drop every directory that has a go binary.
path=""
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
	[[ -n "$d" && ! -x "$d/go" ]] && path="${path:+$path:}$d"
done
export PATH="$path"
command -v go >/dev/null && die "a go binary is still on PATH: $(command -v go)"

# The build context: tracked and untracked files, less what git ignores (a superset of .dockerignore's list).
git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "$ROOT is not a git checkout"
mkdir -p "$BPGO_SRC"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
	tar --null -T - -cf -) | tar -C "$BPGO_SRC" -xf -
log "fresh HOME $HOME, source copied to $BPGO_SRC ($(du -sh "$BPGO_SRC" | cut -f1))"

# --- The build steps. --------------------------------------------------------------------------------------------
STEP="$BPGO_SRC/docker/build-step.sh"

# offline CMD...: runs CMD in a new network namespace with only loopback (the kernel talks to Jupyter over it).
OFFLINE=0
if [[ "$(id -u)" == 0 ]] && command -v unshare >/dev/null && command -v ip >/dev/null &&
	unshare --net -- sh -c 'ip link set lo up' 2>/dev/null; then
	OFFLINE=1
fi
offline() { unshare --net -- bash -c 'ip link set lo up && exec "$@"' offline "$@"; }

# Everything after 'datasets' (the last download) runs without network, as a classroom without internet would.
online=1
for stage in "${STAGES[@]}"; do
	if [[ $online == 0 && $OFFLINE == 1 ]]; then
		log "stage $stage: without network"
		offline bash "$STEP" "$stage" || die "stage '$stage' failed (without network)"
	else
		bash "$STEP" "$stage" || die "stage '$stage' failed"
	fi
	[[ "$stage" != datasets ]] || online=0
done
[[ $online == 0 ]] || die "the Dockerfile has no 'datasets' step"
for want in warm check home; do
	[[ " ${STAGES[*]} " == *" $want "* ]] || die "the Dockerfile does not run the '$want' step"
done
if [[ $OFFLINE == 0 ]]; then
	log "NOTE: offline use not checked: needs root with unshare and ip (iproute2); the stages ran with network"
else
	offline python3 -c 'import socket; socket.create_connection(("proxy.golang.org", 443), 5)' 2>/dev/null &&
		die "the network namespace still reaches the network: the offline check proved nothing"
	log "offline: the stages after 'datasets' ran without network"
fi

# --- Checks of the result. ---------------------------------------------------------------------------------------
VENV="$BPGO_SRC/.bpgo/venv"

# The pins install on the image's Python too (Requires-Python of a pin can exclude an older 3.11.x).
grep -v '^#' "$BPGO_SRC/kernel/requirements.lock" >"$WORK/lock.txt"
"$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
	--python-version "$IMAGE_PY" --dest "$WORK/wheels-$IMAGE_PY" -r "$WORK/lock.txt" ||
	die "kernel/requirements.lock does not install on the image's Python $IMAGE_PY (see pip's message above)"
log "python: kernel/requirements.lock installs on the image's Python $IMAGE_PY"
JUPYTER_DATA_DIR="$BPGO_SRC/.bpgo/jupyter" JUPYTER_PLATFORM_DIRS=1 "$VENV/bin/jupyter" kernelspec list --json |
	"$VENV/bin/python" -c '
import json, sys
specs = json.load(sys.stdin)["kernelspecs"]
assert "bpgo" in specs, f"no bpgo kernel in {sorted(specs)}"
print("[steps-test] jupyter kernelspec list: bpgo at", specs["bpgo"]["resource_dir"])
' || die "the bpgo kernel is not installed"

for nb in "$BPGO_SRC"/notebooks/*.ipynb; do
	[[ -f "$HOME/$(basename "$nb")" ]] || die "$(basename "$nb") was not copied into HOME"
done
[[ -d "$HOME/work" ]] || die "no work directory in HOME"
log "home: notebooks and work/ in place"

# The dataset hook on a real file: fetched, verified, kept on a re-run; a wrong checksum fails.
data="$WORK/data-fixture"
mkdir -p "$data"
head -c 4096 /dev/urandom >"$data/blob.bin"
sum="$(sha256sum "$data/blob.bin" | cut -d' ' -f1)"
printf '# fixture\nfixture/blob.bin %s file://%s/blob.bin\n' "$sum" "$data" >"$data/manifest.txt"
BPGO_DATASETS="$data/manifest.txt" bash "$STEP" datasets >/dev/null || die "the dataset hook failed on a valid manifest"
cmp -s "$data/blob.bin" "$BPGO_SRC/.bpgo/data/fixture/blob.bin" || die "the dataset hook did not place the file"
again="$(BPGO_DATASETS="$data/manifest.txt" bash "$STEP" datasets)" || die "the dataset hook failed on a re-run"
[[ "$again" == *"fixture/blob.bin up to date"* ]] || die "the dataset hook re-fetched a file it had: $again"
printf 'fixture/other.bin %064d file://%s/blob.bin\n' 0 "$data" >"$data/bad.txt"
if BPGO_DATASETS="$data/bad.txt" bash "$STEP" datasets >/dev/null 2>&1; then
	die "the dataset hook accepted a file with the wrong checksum"
fi
[[ ! -e "$BPGO_SRC/.bpgo/data/fixture/other.bin" ]] || die "the dataset hook kept a file with the wrong checksum"
log "datasets: the hook fetches, verifies and keeps files"

# The image's start command and HEALTHCHECK, with the image's environment, in the namespace without network
# (its own loopback, so port 8888 on all interfaces clashes with nothing on this host).
if [[ $OFFLINE == 1 ]]; then
	# shellcheck disable=SC2016 # expanded by the inner bash (BPGO_SRC is exported)
	JUPYTER_DATA_DIR="$BPGO_SRC/.bpgo/jupyter" JUPYTER_PLATFORM_DIRS=1 offline bash -c '
		"$BPGO_SRC/docker/start-notebook.sh" >"$1" 2>&1 &
		pid=$!
		ok=0
		for _ in $(seq 90); do
			if "$BPGO_SRC/.bpgo/venv/bin/python" "$BPGO_SRC/docker/healthcheck.py" >/dev/null 2>&1; then ok=1; break; fi
			sleep 1
		done
		kill "$pid" && wait "$pid"
		[[ $ok == 1 ]]' start "$WORK/lab.log" ||
		{ tail -n 20 "$WORK/lab.log" >&2; die "start-notebook.sh did not start a server that healthcheck.py finds"; }
	grep -q "Serving notebooks from local directory: $HOME\$" "$WORK/lab.log" ||
		die "start-notebook.sh does not serve HOME ($HOME): $(grep -m1 Serving "$WORK/lab.log")"
	grep -q ":8888/lab?token=[0-9a-f]" "$WORK/lab.log" || die "start-notebook.sh printed no token URL on port 8888"
	log "start-notebook.sh: JupyterLab on port 8888 serving HOME with a token; healthcheck.py finds it"
fi

# What the image would weigh (the parts the steps made).
log "sizes: $(du -sh "$BPGO_GOROOT" "$BPGO_SRC/.bpgo" "$GOPATH/pkg/mod" "$GOCACHE" 2>/dev/null | awk '{printf "%s %s; ", $2, $1}')"
