package trainers_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
)

// FORCE learning (RLS with P(0) = I) of a readout with 2 inputs: one step with x = (1, 2),
// target 1 and W = 0 gives k = (1, 2), c = 1/(1 + 5), W = (1/6, 1/3). The step's output is
// computed with the old weights.
func ExampleNewOnline() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	o := models.LinearReadoutDefaults()
	o.WInit, o.NoBias = initializers.Zero{}, true
	model := &readoutModel{O: bpgo.Must1(models.NewLinearReadout(2, 1, o))}
	tr := bpgo.Must1(trainers.NewOnline(model, trainers.ForceDefaults()))
	out := bpgo.Must1(tr.Fit(bpgo.Must1(bpgo.Sequence([]float64{1}, []float64{2})), bpgo.Must1(bpgo.Sequence([]float64{1}))))
	fmt.Println("output:", bpgo.ToFloat64s(out))
	fmt.Printf("W: %.4f\n", model.O.Dense.W.Float64s())
	fmt.Printf("P: %.4f\n", tr.Rule().P.Float64s())
	// Output:
	// output: [0]
	// W: [0.1667 0.3333]
	// P: [0.8333 -0.3333 -0.3333 0.3333]
}

// The RLS rule is a bpgo.StepHook: a plain runner runs it inside its compiled loop when the run
// is fitting (so the readout records its input) and has targets.
func ExampleNewRLS() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	o := models.LinearReadoutDefaults()
	o.WInit, o.NoBias = initializers.Zero{}, true
	model := &readoutModel{O: bpgo.Must1(models.NewLinearReadout(2, 1, o))}
	rule := bpgo.Must1(trainers.NewRLS(model.O.Dense, 1))
	runner := bpgo.Must1(bpgo.NewRunner(model, bpgo.RunnerOptions{Hook: rule}))
	x := bpgo.Must1(bpgo.Sequence([]float64{1, 1, 1}, []float64{2, 2, 2}))
	y := bpgo.Must1(bpgo.Sequence([]float64{1, 1, 1}))
	out := bpgo.Must1(runner.Run(x, bpgo.RunOptions{Fit: true, Targets: y}))
	fmt.Printf("outputs: %.4f\n", bpgo.ToFloat64s(out))
	// Output:
	// outputs: [0.0000 0.8333 0.9091]
}
