package ops

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestBpgoInterleave: the typed interleave gives the bytes of upstream's block copy (one
// element per input and outer block), for 4- and 8-byte elements, and declines every other case.
func TestBpgoInterleave(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, elem := range []int{4, 8} {
		for _, outer := range []int{1, 3, 17, 1000} {
			for _, k := range []int{2, 3, 100} {
				ins := make([][]byte, k)
				for i := range ins {
					ins[i] = make([]byte, outer*elem)
					for j := range ins[i] {
						ins[i][j] = byte(rng.IntN(256))
					}
				}
				want := make([]byte, outer*k*elem)
				for i, in := range ins { // upstream's loop, block = one element
					for o := range outer {
						copy(want[(o*k+i)*elem:(o*k+i+1)*elem], in[o*elem:(o+1)*elem])
					}
				}
				got := make([]byte, len(want))
				if !bpgoInterleave(got, ins, outer, elem) {
					t.Fatalf("elem=%d outer=%d k=%d: not handled", elem, outer, k)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("elem=%d outer=%d k=%d: bytes differ", elem, outer, k)
				}
			}
		}
	}
	two := [][]byte{make([]byte, 8), make([]byte, 8)}
	for _, c := range []struct {
		name        string
		ins         [][]byte
		outer, elem int
	}{
		{"2-byte elements", two, 4, 2},
		{"one input", two[:1], 2, 4},
		{"two elements per block", two, 1, 4},
	} {
		if bpgoInterleave(make([]byte, 16), c.ins, c.outer, c.elem) {
			t.Errorf("%s: handled, want upstream's path", c.name)
		}
	}
}

func BenchmarkBpgoInterleave(b *testing.B) {
	const outer, k, elem = 128 * 100, 100, 4 // e-prop's (B, N) values stacked over a 100-step chunk
	ins := make([][]byte, k)
	for i := range ins {
		ins[i] = make([]byte, outer*elem)
	}
	out := make([]byte, outer*k*elem)
	for _, patched := range []bool{true, false} {
		name := "upstream"
		if patched {
			name = "patched"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if patched && bpgoInterleave(out, ins, outer, elem) {
					continue
				}
				for i, in := range ins {
					for o := range outer {
						copy(out[(o*k+i)*elem:(o*k+i+1)*elem], in[o*elem:(o+1)*elem])
					}
				}
			}
		})
	}
}
