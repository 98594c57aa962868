package initializers_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/bpgo/bpgo/bpgo/initializers"
)

// ExampleKaimingNormal draws a (784, 100) weight as BrainPy's KaimingNormal() would: a normal
// truncated to ±2σ with std sqrt(2/784).
func ExampleKaimingNormal() {
	w, err := initializers.NewWithRNG(initializers.KaimingNormal{}, rand.New(rand.NewPCG(1, 2)), 784, 100)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Shape().Dimensions, w.DType())

	_, err = initializers.New(initializers.KaimingNormal{}, 100)
	fmt.Println(err)
	// Output:
	// [784 100] Float32
	// fan-based initializers need a weight of rank >= 2, got shape [100]
}
