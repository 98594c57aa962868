#!/usr/bin/env bash
# tests/browser/install.sh: what the browser test needs on a fresh machine: Debian's Chromium (playwright-core
# downloads no browser) and the pinned npm packages (package-lock.json, npm ci). Idempotent and quick when done.
# Environment: CHROMIUM (default /usr/bin/chromium) names a browser to use instead of installing Debian's.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

log() { printf '[browser-install] %s\n' "$*"; }
die() {
	printf '[browser-install] ERROR: %s\n' "$*" >&2
	exit 1
}

{ command -v node && command -v npm; } >/dev/null || die "node and npm are needed (Node.js >= 20)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' || die "Node.js >= 20 needed, found $(node --version)"

if [[ ! -x "$CHROMIUM" ]]; then
	[[ "$CHROMIUM" == /usr/bin/chromium ]] || die "CHROMIUM=$CHROMIUM is not an executable"
	[[ "$(id -u)" == 0 ]] || die "Chromium is missing: run 'sudo apt-get install -y chromium' (or set CHROMIUM=...)"
	command -v apt-get >/dev/null || die "Chromium is missing and this is not a Debian-like system: set CHROMIUM=..."
	log "installing Debian's chromium"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
log "browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"

# npm ci reinstalls from scratch, so only when the lock file changed since the last install.
stamp="$HERE/node_modules/.bpgo-lock-sha256"
want="$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
	log "npm packages: up to date"
else
	log "npm packages: npm ci"
	(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
	printf '%s\n' "$want" >"$stamp"
fi
