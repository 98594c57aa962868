#!/usr/bin/env bash
# tests/lint/lint.sh: hadolint on docker/Dockerfile and shellcheck on every shell script of the repository
# (*.sh and .ci/run, tracked or new), with the pinned linters of tests/lint/requirements.txt, which it installs
# into .bpgo/lint-venv first (once; again when that file changes). Run with `make lint`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
VENV="$ROOT/.bpgo/lint-venv"
REQ="$ROOT/tests/lint/requirements.txt"
PYTHON="${PYTHON:-python3}"

log() { printf '[lint] %s\n' "$*"; }
die() {
	printf '[lint] ERROR: %s\n' "$*" >&2
	exit 1
}

stamp="$VENV/.requirements-sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
	log "installing $(grep -v '^#' "$REQ" | cut -d' ' -f1 | xargs) into $VENV"
	"$PYTHON" -m venv --clear "$VENV" || die "python -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --only-binary=:all: \
		-r "$REQ" || die "pip could not install $REQ (the pins are linux x86_64 wheels)"
	printf '%s\n' "$want" >"$stamp"
fi

cd "$ROOT"
mapfile -t scripts < <({ git ls-files -co --exclude-standard -- '*.sh' 2>/dev/null; echo .ci/run; } |
	sort -u | while read -r f; do [[ -f "$f" ]] && echo "$f"; done)
[[ ${#scripts[@]} -gt 1 ]] || die "found no shell scripts to check (is this a git checkout?)"

status=0
log "hadolint $("$VENV/bin/hadolint" --version | awk '{print $NF}'): docker/Dockerfile"
"$VENV/bin/hadolint" docker/Dockerfile || status=1
log "shellcheck $("$VENV/bin/shellcheck" --version | awk '/^version:/ {print $2}'): ${scripts[*]}"
"$VENV/bin/shellcheck" --external-sources "${scripts[@]}" || status=1
if [[ $status == 0 ]]; then log "ok"; else log "FAILED"; fi
exit "$status"
