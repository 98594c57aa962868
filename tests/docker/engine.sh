#!/usr/bin/env bash
# tests/docker/engine.sh: sourced by the docker tests. A private Docker engine (Debian's docker.io, installed here
# if missing) with its own data root, socket and containerd, overlay2 storage and no bridge network: containers
# run with --network host (all traffic on loopback) or --network none, so the engine creates no interfaces and
# takes no addresses. The data root persists between runs (.bpgo/docker/engine), so layers are reused. The engine
# runs niced (its containers, the build's included, inherit that); engine_down (call it from an EXIT trap) removes
# its containers and volumes and stops it.
# shellcheck shell=bash

DOCKER_BIN=/usr/bin/docker # Debian's client, matched to its engine (another `docker` may come first on PATH)
ENGINE_DIR="${BPGO_ENGINE_DIR:-$ROOT/.bpgo/docker/engine}"
ENGINE_RUN=""
ENGINE_PID=""

# dk ARGS...: the docker client, talking to this engine only.
dk() { DOCKER_CONFIG="$ENGINE_RUN/config" "$DOCKER_BIN" -H "unix://$ENGINE_RUN/docker.sock" "$@"; }

# engine_install: Debian's docker.io and debootstrap (the stand-in base), when missing.
engine_install() {
	[[ -x /usr/sbin/dockerd && -x "$DOCKER_BIN" && -x /usr/sbin/debootstrap ]] && return 0
	[[ "$(id -u)" == 0 ]] || die "Docker's engine is missing: run 'sudo apt-get install -y docker.io debootstrap'"
	log "installing Debian's docker.io and debootstrap"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends docker.io debootstrap >/dev/null
}

engine_up() {
	[[ "$(id -u)" == 0 ]] || die "the Docker engine runs as root here: run as root"
	engine_install
	mkdir -p "$ENGINE_DIR"
	# Sockets need a short path (108 bytes): the runtime state goes to /tmp, the layers to the data root.
	ENGINE_RUN="$(mktemp -d /tmp/bpgo-engine.XXXXXX)"
	mkdir -p "$ENGINE_RUN/config"
	nice -n 10 /usr/sbin/dockerd --data-root "$ENGINE_DIR" --exec-root "$ENGINE_RUN/exec" --pidfile "$ENGINE_RUN/dockerd.pid" \
		--host "unix://$ENGINE_RUN/docker.sock" --storage-driver=overlay2 \
		--bridge=none --iptables=false --ip-masq=false --ip-forward=false \
		--containerd-namespace "bpgo-test" --containerd-plugins-namespace "bpgo-test-plugins" \
		>"$ENGINE_RUN/dockerd.log" 2>&1 &
	ENGINE_PID=$!
	local _
	for _ in $(seq 60); do
		dk version >/dev/null 2>&1 && break
		kill -0 "$ENGINE_PID" 2>/dev/null || { tail -n 20 "$ENGINE_RUN/dockerd.log" >&2; die "dockerd exited"; }
		sleep 1
	done
	dk version >/dev/null 2>&1 || { tail -n 20 "$ENGINE_RUN/dockerd.log" >&2; die "dockerd did not answer in 60 s"; }
	log "engine: Docker $(dk version -f '{{.Server.Version}}'), $(dk info -f '{{.Driver}}') storage, data root $ENGINE_DIR"
}

# engine_down: removes every container and volume of this engine and stops it. Images stay: a failed build's
# intermediate images are the layer cache of the next run.
engine_down() {
	[[ -n "$ENGINE_PID" ]] || return 0
	if kill -0 "$ENGINE_PID" 2>/dev/null; then
		local ids
		mapfile -t ids < <(dk ps -aq 2>/dev/null || true)
		[[ ${#ids[@]} -eq 0 ]] || dk rm -f -v "${ids[@]}" >/dev/null 2>&1 || true
		dk volume prune -f >/dev/null 2>&1 || true
		kill "$ENGINE_PID" 2>/dev/null || true
		local _
		for _ in $(seq 30); do
			kill -0 "$ENGINE_PID" 2>/dev/null || break
			sleep 1
		done
		kill -0 "$ENGINE_PID" 2>/dev/null && kill -9 "$ENGINE_PID" 2>/dev/null
		wait "$ENGINE_PID" 2>/dev/null || true
	fi
	ENGINE_PID=""
	# dockerd leaves its default network namespace mounted under the exec root.
	local m
	for m in $(findmnt -rn -o TARGET | grep -F "$ENGINE_RUN/" | sort -r); do umount "$m" 2>/dev/null || true; done
	rm -rf "$ENGINE_RUN"
	log "engine: stopped"
}
