#!/usr/bin/env bash
# tests/docker/docker_test.sh: the classroom image, built and run for real (make docker-test).
#
# Starts a private Docker engine (tests/docker/engine.sh), makes the stand-in base image when the registry's is out
# of reach (tests/docker/standin-base.sh), builds docker/Dockerfile's CPU target with the legacy builder, then
# checks the image as a classroom uses it:
#   1. the container turns healthy within the HEALTHCHECK's start period
#   2. it runs as jovyan (uid 1000), not root: the container's user and every process in it
#   3. token authentication: the lab page and the API refuse requests without the token and accept it
#   4. every notebooks/*.ipynb (the copies in the image's home) executes headless through the bpgo kernel in
#      reduced mode in a container started with --network none; the dataset hook works there too
#   5. the browser test (tests/browser) against the container's JupyterLab; screenshot in .bpgo/artifacts/
#   6. a file written in /home/jovyan/work survives `docker rm` and is there in a new container on the same volume
# The engine is stopped and its containers and volumes are removed at the end, pass or fail; the data root
# (.bpgo/docker/engine) keeps the layers, so a re-run rebuilds only what changed.
#
# Usage: tests/docker/docker_test.sh [--target cpu|cuda]    (make docker-test; make docker-test-cuda for cuda)
# With --target cuda it builds the GPU image and runs tests/docker/cuda_checks.sh in it instead (no GPU needed).
# Needs root (the engine), network access to Debian's mirror, the Go module proxy and PyPI.
# Environment: BPGO_FIRST_CELL_MAX_S, the build's first-cell limit [60]; BPGO_ARTIFACTS, the screenshot folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
T0=$SECONDS
TARGET=cpu
case "${1:-}" in
"") ;;
--target)
	TARGET="${2:-}"
	[[ "$TARGET" == cpu || "$TARGET" == cuda ]] || { echo "usage: $0 [--target cpu|cuda]" >&2; exit 2; }
	;;
*) echo "usage: $0 [--target cpu|cuda]" >&2; exit 2 ;;
esac
IMAGE="bpgo-classroom:test-$TARGET"
ARTIFACTS="${BPGO_ARTIFACTS:-$ROOT/.bpgo/artifacts}"
# Go module mirror for the build: this host's module cache over HTTP on loopback. A fixed port, because the
# value is part of the build's layer cache key.
MIRROR_PORT=38417

log() { printf '[docker-test] %s\n' "$*"; }
die() {
	printf '[docker-test] FAIL: %s\n' "$*" >&2
	exit 1
}
PHASES=()
phase_done() { PHASES+=("$1 $((SECONDS - $2)) s"); }

# shellcheck source=engine.sh
source "$ROOT/tests/docker/engine.sh"

MIRROR_PID=""
SCRATCH="$(mktemp -d /tmp/bpgo-docker-test.XXXXXX)"
finish() {
	local rc=$?
	[[ -z "$MIRROR_PID" ]] || kill "$MIRROR_PID" 2>/dev/null || true
	if [[ -n "$ENGINE_PID" && $rc != 0 ]]; then
		local c
		for c in $(dk ps -aq --filter name=bpgo-test 2>/dev/null); do
			log "log of container $(dk inspect -f '{{.Name}}' "$c"):"
			dk logs --tail 30 "$c" 2>&1 | sed 's/^/    /' >&2 || true
		done
	fi
	engine_down
	rm -rf "$SCRATCH"
	log "phases: ${PHASES[*]:-none}"
	if [[ $rc == 0 ]]; then
		log "PASS in $((SECONDS - T0)) s"
	else
		log "FAILED (status $rc) after $((SECONDS - T0)) s"
	fi
}
trap finish EXIT

# --- Engine, base image, build. ----------------------------------------------------------------------------------
t=$SECONDS
engine_up
export DOCKER_HOST="unix://$ENGINE_RUN/docker.sock"
phase_done engine "$t"

t=$SECONDS
nice bash "$ROOT/tests/docker/standin-base.sh" "$DOCKER_BIN"
phase_done base "$t"

build_args=()
modcache=""
if command -v go >/dev/null && modcache="$(go env GOMODCACHE 2>/dev/null)" && [[ -d "$modcache/cache/download" ]]; then
	if python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', $MIRROR_PORT))" 2>/dev/null; then
		python3 -m http.server --bind 127.0.0.1 --directory "$modcache/cache/download" "$MIRROR_PORT" \
			>"$SCRATCH/mirror.log" 2>&1 &
		MIRROR_PID=$!
		build_args+=(--build-arg "GOPROXY=http://127.0.0.1:$MIRROR_PORT,https://proxy.golang.org")
		log "build: Go modules from this host's cache ($modcache) at 127.0.0.1:$MIRROR_PORT, then proxy.golang.org"
	else
		log "build: port $MIRROR_PORT is taken: no local Go module mirror (modules come from proxy.golang.org)"
	fi
fi

# The build's first-cell time limit (docker/README.md): 20 s by default, 60 s here because CI machines are shared
# (21 s measured on 2 cores at load 28); a cold build cache takes minutes, so 60 s still catches one.
build_args+=(--build-arg "BPGO_FIRST_CELL_MAX_S=${BPGO_FIRST_CELL_MAX_S:-60}")

t=$SECONDS
log "build: docker build --target $TARGET (legacy builder), $IMAGE"
DOCKER_BUILDKIT=0 dk build --network host --target "$TARGET" -f "$ROOT/docker/Dockerfile" -t "$IMAGE" \
	"${build_args[@]}" "$ROOT" >"$SCRATCH/build.log" 2>&1 ||
	{ tail -n 60 "$SCRATCH/build.log" >&2; die "docker build failed (last lines above)"; }
grep -E '^Step [0-9]+/[0-9]+ :|Using cache|^\[build-step\] == [a-z]+: done|first code cell took' "$SCRATCH/build.log" |
	grep -v 'Using cache' | sed 's/^/    /' || true
cached="$(grep -c 'Using cache' "$SCRATCH/build.log" || true)"
[[ -z "$MIRROR_PID" ]] || kill "$MIRROR_PID" 2>/dev/null || true
MIRROR_PID=""
# Earlier builds' images, superseded by this one (their layers still in use stay).
dk image prune -f >/dev/null
size="$(dk image inspect -f '{{.Size}}' "$IMAGE")"
log "build: $IMAGE in $((SECONDS - t)) s ($cached steps from the layer cache), $(awk -v s="$size" 'BEGIN { printf "%.2f GB", s / 1e9 }')"
phase_done build "$t"

# run_image ARGS...: a container of the image, removed when it exits.
run_image() { dk run --rm "$@"; }

if [[ "$TARGET" == cuda ]]; then
	t=$SECONDS
	run_image --network none -v "$ROOT/tests/docker/cuda_checks.sh:/tmp/cuda_checks.sh:ro" "$IMAGE" \
		bash /tmp/cuda_checks.sh || die "the CUDA checks failed (output above)"
	phase_done cuda-checks "$t"
	exit 0
fi

# --- 1-3: the classroom container. -------------------------------------------------------------------------------
TOKEN="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT/"
VOLUME=bpgo-test-work
start_period_ns="$(dk image inspect -f '{{json .Config.Healthcheck.StartPeriod}}' "$IMAGE")"
[[ "$start_period_ns" =~ ^[0-9]+$ && "$start_period_ns" -gt 0 ]] || die "the image has no HEALTHCHECK start period"
START_PERIOD=$((start_period_ns / 1000000000))

t=$SECONDS
dk volume create "$VOLUME" >/dev/null
# The host's network (the engine has no bridge): JupyterLab on a free loopback port, by docker-stacks' JUPYTER_PORT.
dk run -d --name bpgo-test --network host -e JUPYTER_PORT="$PORT" -e JUPYTER_TOKEN="$TOKEN" \
	-v "$VOLUME:/home/jovyan/work" "$IMAGE" >/dev/null
health=""
while ((SECONDS - t <= START_PERIOD + 5)); do
	health="$(dk inspect -f '{{.State.Health.Status}}' bpgo-test)"
	[[ "$health" != healthy ]] || break
	[[ "$(dk inspect -f '{{.State.Running}}' bpgo-test)" == true ]] || die "the container exited"
	sleep 1
done
[[ "$health" == healthy ]] || die "the container is '$health' $((SECONDS - t)) s after start (start period ${START_PERIOD} s)"
((SECONDS - t <= START_PERIOD)) || die "healthy only after $((SECONDS - t)) s, past the start period of ${START_PERIOD} s"
log "1 health: healthy $((SECONDS - t)) s after start (start period ${START_PERIOD} s)"

user="$(dk exec bpgo-test id -un):$(dk exec bpgo-test id -u):$(dk exec bpgo-test id -g)"
[[ "$user" == jovyan:1000:100 ]] || die "the container runs as $user, want jovyan:1000:100"
# Every process in the container, seen from the engine (tini, JupyterLab and whatever they started).
procs="$(dk top bpgo-test -eo pid,uid,args | tail -n +2)" # docker top needs the pid column
bad="$(awk '$2 != 1000' <<<"$procs")"
[[ -z "$bad" ]] || die "processes not running as uid 1000: $bad"
log "2 user: jovyan (1000:100); all $(wc -l <<<"$procs") processes run as uid 1000"

# status URL [HEADER]: the HTTP status of a GET that does not follow redirects; "status location" for a redirect.
status() {
	python3 - "$@" <<'EOF'
import sys, urllib.error, urllib.request
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
req = urllib.request.Request(sys.argv[1], headers=dict([sys.argv[2].split(": ", 1)]) if len(sys.argv) > 2 else {})
try:
    with urllib.request.build_opener(NoRedirect).open(req, timeout=30) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code, e.headers.get("Location", ""))
EOF
}
s="$(status "${URL}api/contents")"
[[ "$s" == "403 " ]] || die "GET /api/contents without a token: $s, want 403"
s="$(status "${URL}api/contents" "Authorization: token $TOKEN")"
[[ "$s" == 200 ]] || die "GET /api/contents with the token: $s, want 200"
s="$(status "${URL}api/contents" "Authorization: token wrong$TOKEN")"
[[ "$s" == "403 " ]] || die "GET /api/contents with a wrong token: $s, want 403"
s="$(status "${URL}lab")"
[[ "$s" == 302\ */login* ]] || die "GET /lab without a token: $s, want a redirect to the login page"
s="$(status "${URL}lab?token=$TOKEN")"
[[ "$s" == 200 ]] || die "GET /lab?token=...: $s, want 200"
log "3 token: /lab and /api refuse requests without the token (302 to login, 403) and accept it (200)"
phase_done container "$t"

# --- 4: every notebook, offline. ---------------------------------------------------------------------------------
t=$SECONDS
mapfile -t repo_nbs < <(cd "$ROOT/notebooks" && ls -1 -- *.ipynb)
[[ ${#repo_nbs[@]} -gt 0 ]] || die "no notebooks in notebooks/"
out="$SCRATCH/notebooks"
mkdir -p "$out"
chmod 0777 "$out"
run_image --network none -e BPGO_NOTEBOOK_MODE=reduced -v "$out:/out" \
	-v "$ROOT/tests/docker/offline_checks.sh:/tmp/offline_checks.sh:ro" "$IMAGE" bash /tmp/offline_checks.sh /out ||
	die "the offline checks failed (output above)"
python3 - "$out/report.json" "${repo_nbs[@]}" <<'EOF' || die "the notebook report does not cover every notebook"
import json, os, sys
report = json.load(open(sys.argv[1]))
ran = sorted(os.path.basename(r["path"]) for r in report if r["passed"])
want = sorted(sys.argv[2:])
if ran != want:
    sys.exit(f"passed {ran}, want every notebook {want}")
print(f"[docker-test] 4 notebooks: {len(ran)} of {len(want)} passed offline in reduced mode: {', '.join(ran)}")
EOF
phase_done notebooks "$t"

# --- 5: the browser test against the container. ------------------------------------------------------------------
t=$SECONDS
bash "$ROOT/tests/browser/install.sh"
(cd "$ROOT/tests/browser" && BPGO_LAB_URL="$URL" BPGO_LAB_TOKEN="$TOKEN" BPGO_ARTIFACTS="$ARTIFACTS" \
	node --test classroom.test.mjs) || die "the browser test against the container failed"
[[ -s "$ARTIFACTS/browser-notebook01-container.png" ]] || die "no screenshot"
log "5 browser: notebook 01 ran in the container's JupyterLab; screenshot $ARTIFACTS/browser-notebook01-container.png"
phase_done browser "$t"

# --- 6: the students' work outlives the container. ---------------------------------------------------------------
t=$SECONDS
mark="bpgo $(date -u +%FT%TZ) $RANDOM"
# shellcheck disable=SC2016 # $1 is the inner shell's
dk exec bpgo-test bash -c 'printf "%s\n" "$1" >/home/jovyan/work/kept.txt' mark "$mark"
dk rm -f bpgo-test >/dev/null
got="$(run_image --network none -v "$VOLUME:/home/jovyan/work" "$IMAGE" \
	bash -c 'stat -c "%u:%g" /home/jovyan/work/kept.txt && cat /home/jovyan/work/kept.txt')" ||
	die "work/kept.txt is gone after docker rm"
[[ "$got" == "1000:100"$'\n'"$mark" ]] || die "work/kept.txt in a new container: '$got', want 1000:100 and '$mark'"
log "6 work volume: a file written in /home/jovyan/work is there, owned by jovyan, in a new container"
phase_done volume "$t"

log "image: $IMAGE $(awk -v s="$size" 'BEGIN { printf "%.2f GB", s / 1e9 }')"
