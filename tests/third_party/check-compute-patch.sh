#!/usr/bin/env bash
# tests/third_party/check-compute-patch.sh: bpgo/third_party/gomlx-compute and bpgo/third_party/go-xla are GoMLX's
# compute (Go backend) and go-xla (XLA backend) modules at the versions go.mod's replaces name, plus bpgo's patches
# and nothing else (bpgo/third_party/README.md). For each it checks:
#   1. go.mod's replace points at the copy, and the copy differs from the upstream module (fetched from the Go
#      module proxy) in exactly the files listed below, so an upgrade or a stray edit cannot pass unnoticed;
#   2. the patched code's tests pass (the Go backend's with upstream's own matmul and ops tests; go-xla's with the
#      XLA CPU plugin that kernel/setup.sh installs, skipped without it).
# The timing that shows why the patches exist is a benchmark, not part of this check: `make bench-compute-patch`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
COMPUTE_PATCHED=(
	internal/gobackend/bpgo_fuse.go
	internal/gobackend/bpgo_fuse_export_test.go
	internal/gobackend/bpgo_fuse_other.go
	internal/gobackend/bpgo_fuse_test.go
	internal/gobackend/bpgo_lazy.go
	internal/gobackend/bpgo_tiny.go
	internal/gobackend/bpgo_tiny_test.go
	internal/gobackend/bpgo_upper.go
	internal/gobackend/bpgo_upper_test.go
	internal/gobackend/bpgo_writes.go
	internal/gobackend/buffers.go
	internal/gobackend/dot/bpgo_contract_first.go
	internal/gobackend/dot/bpgo_lazy.go
	internal/gobackend/dot/bpgo_lazy_test.go
	internal/gobackend/dot/bpgo_sparse.go
	internal/gobackend/dot/bpgo_sparse_export_test.go
	internal/gobackend/dot/bpgo_sparse_other.go
	internal/gobackend/dot/bpgo_sparse_test.go
	internal/gobackend/dot/dot.go
	internal/gobackend/dot/matmul/avx2/bpgo_tails.go
	internal/gobackend/dot/matmul/avx2/bpgo_tails_test.go
	internal/gobackend/dot/matmul/avx2/gen_small_nontransposed_f64.go
	internal/gobackend/dot/matmul/avx2/gen_small_transposed_f64.go
	internal/gobackend/dot/matmul/avx2/small_nontransposed.go
	internal/gobackend/dot/matmul/avx2/small_transposed.go
	internal/gobackend/dot/matmul/avx512/bpgo_tails.go
	internal/gobackend/dot/matmul/avx512/bpgo_tails_amd64.s
	internal/gobackend/dot/matmul/avx512/bpgo_tails_test.go
	internal/gobackend/dot/matmul/avx512/gen_small_nontransposed_f64.go
	internal/gobackend/dot/matmul/avx512/gen_small_transposed_f64.go
	internal/gobackend/dot/matmul/avx512/small_nontransposed.go
	internal/gobackend/dot/matmul/avx512/small_transposed.go
	internal/gobackend/executable.go
	internal/gobackend/ops/bpgo_compare.go
	internal/gobackend/ops/bpgo_compare_test.go
	internal/gobackend/ops/bpgo_concat.go
	internal/gobackend/ops/bpgo_concat_test.go
	internal/gobackend/ops/bpgo_movement.go
	internal/gobackend/ops/bpgo_movement_test.go
	internal/gobackend/ops/bpgo_reduce.go
	internal/gobackend/ops/broadcastindim.go
	internal/gobackend/ops/concatenate.go
	internal/gobackend/ops/slice.go
	internal/gobackend/ops/transpose.go
)
XLA_PATCHED=(
	compute/xla/bpgo_alias.go
	compute/xla/bpgo_alias_test.go
	compute/xla/executable.go
)

die() {
	echo "check-compute-patch: $*" >&2
	exit 1
}

# check_copy DIR MODULE VERSION FILES...: the copy in bpgo/third_party/DIR is MODULE@VERSION plus FILES.
check_copy() {
	local dir="$1" MODULE="$2" VERSION="$3"
	shift 3
	local COPY="$ROOT/bpgo/third_party/$dir" PATCHED=("$@") replaced required upstream differ want
	replaced="$(cd "$ROOT" && go list -m -f '{{with .Replace}}{{.Path}}{{end}}' "$MODULE")"
	[[ "$replaced" == "./bpgo/third_party/$dir" ]] ||
		die "go.mod does not replace $MODULE with ./bpgo/third_party/$dir (it names '${replaced:-nothing}')"
	required="$(cd "$ROOT" && go list -m -f '{{.Version}}' "$MODULE")"
	[[ "$required" == "$VERSION" ]] ||
		die "go.mod requires $MODULE $required but the patched copy is of $VERSION: re-apply the patch to $required (bpgo/third_party/README.md) or drop it"

	# Outside any module, so that go.mod's replace does not redirect the download.
	upstream="$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	[[ -d "$upstream" ]] || die "could not download $MODULE@$VERSION from the module proxy"

	differ="$({ diff -rq "$upstream" "$COPY" || true; } |
		sed -e "s|^Files $upstream/\([^ ]*\) and .* differ$|\1|" -e "s|^Only in $COPY/\(.*\): \(.*\)$|\1/\2|" | sort)"
	want="$(printf '%s\n' "${PATCHED[@]}" | sort)"
	if [[ "$differ" != "$want" ]]; then
		echo "check-compute-patch: the copy differs from $MODULE@$VERSION in:" >&2
		while read -r path; do echo "  $path"; done <<<"$differ" >&2
		echo "check-compute-patch: expected exactly:" >&2
		printf '  %s\n' "$want" >&2
		exit 1
	fi
	echo "check-compute-patch: $MODULE@$VERSION plus ${#PATCHED[@]} patched files, as listed"
}

check_copy gomlx-compute github.com/gomlx/compute v0.1.14 "${COMPUTE_PATCHED[@]}"
check_copy go-xla github.com/gomlx/go-xla v0.4.13 "${XLA_PATCHED[@]}"

(cd "$ROOT/bpgo/third_party/gomlx-compute" &&
	go test -count=1 ./internal/gobackend/ ./internal/gobackend/dot/... ./internal/gobackend/ops/)
if [[ -z "${PJRT_PLUGIN_LIBRARY_PATH:-}" ]] && ls "$ROOT"/.bpgo/pjrt/*.so >/dev/null 2>&1; then
	export PJRT_PLUGIN_LIBRARY_PATH="$ROOT/.bpgo/pjrt"
fi
(cd "$ROOT/bpgo/third_party/go-xla" && go test -count=1 -run Bpgo ./compute/xla/)
