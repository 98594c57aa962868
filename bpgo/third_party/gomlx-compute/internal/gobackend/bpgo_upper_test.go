//go:build amd64 && goexperiment.simd

package gobackend_test

import (
	"fmt"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/internal/gobackend"
)

// TestBpgoTailAndCopy: the kernels' results do not depend on where the vector loop ends (every
// length from 0 to 70, each value checked), nor the vector copy's.
func TestBpgoTailAndCopy(t *testing.T) {
	for n := range 71 {
		a, b, dst, cp := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = float32(i)+0.5, float32(2*i)-3
		}
		gobackend.BpgoBin32(compute.OpTypeMul, dst, a, b)
		gobackend.BpgoCopy32Fn(cp, a)
		for i := range dst {
			if dst[i] != a[i]*b[i] || cp[i] != a[i] {
				t.Fatalf("n = %d, value %d: product %v (want %v), copy %v (want %v)", n, i, dst[i], a[i]*b[i], cp[i], a[i])
			}
		}
	}
}

// BenchmarkBpgoTail: one fused-program product over n values; 500 leaves 4 to the scalar loop.
// With BPGO_COMPUTE_UPSTREAM=1 (no VZEROUPPER before it) the 4 cost about six times the 496
// before them; with bpgo's patch, a few nanoseconds.
func BenchmarkBpgoTail(b *testing.B) {
	for _, n := range []int{496, 500} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x, y, z := make([]float32, n), make([]float32, n), make([]float32, n)
			for range b.N {
				gobackend.BpgoBin32(compute.OpTypeMul, z, x, y)
			}
		})
	}
}
