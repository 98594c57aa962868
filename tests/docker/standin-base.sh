#!/usr/bin/env bash
# tests/docker/standin-base.sh: makes a stand-in for the classroom image's base image, python:3.11.7-slim-bookworm,
# from parts this machine can reach when no container registry can (CI): Debian 12 by debootstrap from Debian's
# package mirror, the runtime libraries Python links, the host's Python (which must be the tag's version, 3.11.7)
# copied to /usr/local as in the official image, pip from Python's own ensurepip, and the host's CA bundle (HTTPS
# here passes through a proxy whose CA only that bundle has). The result is `docker import`ed under the exact name
# the Dockerfile's FROM names, so the Dockerfile users build stays unchanged. docker/README.md lists how the
# stand-in differs from the real image.
#
# Usage: DOCKER_HOST=unix://... tests/docker/standin-base.sh [DOCKER]   (DOCKER: the docker client [docker])
# Does nothing when the engine already has the image with this script's stamp; a real python image of that name
# (pulled by a teacher) is left alone. Needs root, debootstrap and network access to deb.debian.org.
# Environment: BPGO_STANDIN_CACHE  a directory for the root file system tarball, reused by the next run
#              [.bpgo/docker at the repository root]; DEBIAN_MIRROR [http://deb.debian.org/debian].
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
DOCKER="${1:-docker}"
DOCKERFILE="$ROOT/docker/Dockerfile"
CACHE="${BPGO_STANDIN_CACHE:-$ROOT/.bpgo/docker}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
HOST_CA=/etc/ssl/certs/ca-certificates.crt

log() { printf '[standin-base] %s\n' "$*"; }
die() {
	printf '[standin-base] FAIL: %s\n' "$*" >&2
	exit 1
}

# The base image's name and its Python version, from the Dockerfile's FROM line.
IMAGE="$(sed -n 's/^FROM \(python:[^ ]*\) AS base$/\1/p' "$DOCKERFILE")"
[[ "$IMAGE" =~ ^python:([0-9]+\.[0-9]+\.[0-9]+)-slim-bookworm$ ]] ||
	die "cannot read the base image from $DOCKERFILE (want FROM python:X.Y.Z-slim-bookworm AS base, got '$IMAGE')"
PYVER="${BASH_REMATCH[1]}"
PYMM="${PYVER%.*}"

# What this stand-in is made of: a change to this script or to the host's Python or CA bundle makes a new one.
PY="$(command -v "python$PYMM" || command -v python3)" || die "no python3 on this host"
PREFIX="$("$PY" -c 'import sys; print(sys.base_prefix)')"
HOSTVER="$("$PY" -c 'import platform; print(platform.python_version())')"
[[ "$HOSTVER" == "$PYVER" ]] ||
	die "the stand-in carries this host's Python, $HOSTVER, but $DOCKERFILE wants $PYVER (install $PYVER, e.g. with pyenv)"
STAMP="$(cat "${BASH_SOURCE[0]}" "$HOST_CA" | sha256sum | cut -c1-16)-$PYVER"

have="$("$DOCKER" image inspect -f '{{index .Config.Labels "org.bpgo.standin"}}' "$IMAGE" 2>/dev/null || true)"
if [[ "$have" == "$STAMP" ]]; then
	log "$IMAGE: the stand-in is up to date ($STAMP)"
	exit 0
elif "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 && [[ -z "$have" || "$have" == "<no value>" ]]; then
	log "$IMAGE: a real image of that name is present; keeping it"
	exit 0
fi

[[ "$(id -u)" == 0 ]] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
[[ -f "$HOST_CA" ]] || die "no CA bundle at $HOST_CA"
[[ -f "$PREFIX/lib/libpython$PYMM.so.1.0" ]] ||
	die "$PY ($PREFIX) has no shared libpython$PYMM: the stand-in copies a --enable-shared build like the real image"

mkdir -p "$CACHE"
TARBALL="$CACHE/standin-$STAMP.tar"
if [[ ! -f "$TARBALL" ]]; then
	rm -f "$CACHE"/standin-*.tar
	WORK="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
	trap 'rm -rf "$WORK"' EXIT
	R="$WORK/rootfs"
	# The official slim image's run-time packages: CA certificates, netbase, tzdata and the libraries its Python's
	# extension modules link (ssl, sqlite3, ctypes, readline, curses, bz2, lzma, uuid, zlib, expat, nis).
	log "debootstrap bookworm from $MIRROR"
	debootstrap --variant=minbase --components=main \
		--include=ca-certificates,netbase,tzdata,libssl3,libsqlite3-0,libffi8,libncursesw6,libreadline8,libbz2-1.0,liblzma5,libuuid1,zlib1g,libexpat1,libnsl2,libtirpc3 \
		bookworm "$R" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }

	# Python at /usr/local, as the official image has it: the interpreter, libpython, headers and the standard
	# library, less what slim leaves out (tkinter, the test suite) and the host's site-packages.
	log "Python $PYVER from $PREFIX"
	mkdir -p "$R/usr/local/bin" "$R/usr/local/lib" "$R/usr/local/include"
	cp -a "$PREFIX/bin/python$PYMM" "$R/usr/local/bin/"
	cp -a "$PREFIX"/lib/libpython* "$R/usr/local/lib/"
	cp -a "$PREFIX/include/python$PYMM" "$R/usr/local/include/"
	tar -C "$PREFIX/lib" --exclude="python$PYMM/site-packages/*" --exclude="python$PYMM/test" \
		--exclude="python$PYMM/tkinter" --exclude="python$PYMM/idlelib" --exclude="_tkinter*.so" \
		--exclude='__pycache__' -cf - "python$PYMM" | tar -C "$R/usr/local/lib" -xf -
	for name in python3 python; do ln -sf "python$PYMM" "$R/usr/local/bin/$name"; done
	# The host's CA bundle: as the bundle itself, and as a local CA file, so that update-ca-certificates (run when
	# the image's build installs ca-certificates) keeps the proxy's CA in the bundle it rewrites.
	mkdir -p "$R/usr/local/share/ca-certificates"
	cp "$HOST_CA" "$R/usr/local/share/ca-certificates/bpgo-host-bundle.crt"
	cp "$HOST_CA" "$R/etc/ssl/certs/ca-certificates.crt"
	chroot "$R" /sbin/ldconfig
	chroot "$R" /usr/local/bin/python3 -m ensurepip --default-pip >/dev/null || die "ensurepip failed in the stand-in"
	ln -sf pip3 "$R/usr/local/bin/pip"
	chroot "$R" /usr/local/bin/python3 -c 'import ssl, sqlite3, ctypes, readline, bz2, lzma, uuid, zlib, venv, ensurepip' ||
		die "the stand-in's Python lacks a module the real image has"
	rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb
	tar --numeric-owner -C "$R" -cf "$TARBALL.part" .
	mv "$TARBALL.part" "$TARBALL"
	log "root file system: $TARBALL ($(du -h "$TARBALL" | cut -f1))"
fi

# The official image's environment, plus where Python's ssl and pip find the CA bundle.
"$DOCKER" import \
	--change "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin" \
	--change "ENV LANG=C.UTF-8" \
	--change "ENV PYTHON_VERSION=$PYVER" \
	--change "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
	--change "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt" \
	--change "LABEL org.bpgo.standin=$STAMP" \
	--change 'CMD ["python3"]' \
	"$TARBALL" "$IMAGE" >/dev/null
log "$IMAGE: stand-in imported ($("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
