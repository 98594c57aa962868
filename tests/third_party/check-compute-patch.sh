#!/usr/bin/env bash
# tests/third_party/check-compute-patch.sh: bpgo/third_party/gomlx-compute is GoMLX's compute module at the
# version go.mod's replace names, plus bpgo's patch and nothing else (bpgo/third_party/README.md). It checks:
#   1. go.mod's replace points at the copy, and the copy differs from the upstream module (fetched from the Go
#      module proxy) in exactly the files listed below, so an upgrade or a stray edit cannot pass unnoticed;
#   2. the patched code's tests and upstream's own matmul and ops tests pass.
# The timing that shows why the patch exists is a benchmark, not part of this check: `make bench-compute-patch`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
COPY="$ROOT/bpgo/third_party/gomlx-compute"
MODULE=github.com/gomlx/compute
VERSION=v0.1.14
PATCHED=(
	internal/gobackend/bpgo_fuse.go
	internal/gobackend/bpgo_fuse_export_test.go
	internal/gobackend/bpgo_fuse_other.go
	internal/gobackend/bpgo_fuse_test.go
	internal/gobackend/bpgo_tiny.go
	internal/gobackend/bpgo_tiny_test.go
	internal/gobackend/bpgo_writes.go
	internal/gobackend/buffers.go
	internal/gobackend/dot/bpgo_contract_first.go
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

die() {
	echo "check-compute-patch: $*" >&2
	exit 1
}

replaced="$(cd "$ROOT" && go list -m -f '{{with .Replace}}{{.Path}}{{end}}' "$MODULE")"
[[ "$replaced" == ./bpgo/third_party/gomlx-compute ]] ||
	die "go.mod does not replace $MODULE with ./bpgo/third_party/gomlx-compute (it names '${replaced:-nothing}')"
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

cd "$COPY"
go test -count=1 ./internal/gobackend/ ./internal/gobackend/dot/... ./internal/gobackend/ops/
