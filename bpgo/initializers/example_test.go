package initializers_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/bpgo/bpgo/bpgo/initializers"
)

// ExampleKaimingNormal draws a (784, 100) weight as BrainPy's KaimingNormal() would: a normal
// truncated to ±2σ with std sqrt(2/784).
func ExampleKaimingNormal() {
	w, err := initializers.NewWithRNG(initializers.KaimingNormal{Scale: 2}, rand.New(rand.NewPCG(1, 2)), 784, 100)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Shape().Dimensions, w.DType())

	_, err = initializers.New(initializers.KaimingNormal{Scale: 2}, 100)
	fmt.Println(err)
	// Output:
	// [784 100] Float32
	// fan-based initializers need a weight of rank >= 2, got shape [100]
}

// ExampleOrthogonal draws a (3, 5) recurrent weight: with in < out its three rows are
// orthonormal, so W·Wᵀ is the identity (times Scale²).
func ExampleOrthogonal() {
	w, err := initializers.OrthogonalDefaults().Init(rand.New(rand.NewPCG(1, 2)), 3, 5)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range 3 {
		row := make([]string, 3)
		for j := range 3 {
			dot := 0.0
			for k := range 5 {
				dot += w[i*5+k] * w[j*5+k]
			}
			if math.Abs(dot) < 1e-12 {
				dot = 0 // print rounding noise such as -1e-17 as 0
			}
			row[j] = fmt.Sprintf("%.2f", dot)
		}
		fmt.Println(strings.Join(row, " "))
	}
	_, err = initializers.Orthogonal{Scale: 1, Axis: 2}.Init(nil, 3, 5)
	fmt.Println(err)
	// Output:
	// 1.00 0.00 0.00
	// 0.00 1.00 0.00
	// 0.00 0.00 1.00
	// initializers.Orthogonal: Axis: want -2..1 for shape [3 5], got 2
}
