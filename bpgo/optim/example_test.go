package optim_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/gomlx/compute/dtypes"
)

// Example is a hand-written training loop on a toy parameter w, loss = Σ(w-3)², with the
// 2.4.3 quickstart's optimizer. The loop never calls StepEpoch, so (as in BrainPy) Adam's
// step keeps the factor sqrt(1-0.999)/(1-0.9) ≈ 0.3162.
func Example() {
	value, err := bpgo.FromFloat64s(dtypes.Float64, []float64{0, 1}, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := bpgo.NewParam(value, true)

	o := optim.AdamDefaults()
	o.Eps = 0.1
	opt, err := optim.NewAdam(optim.ExponentialDecay{LR: 0.025, DecaySteps: 1, DecayRate: 0.99975}, o)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := opt.Register([]*bpgo.Variable{w}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(opt)

	for step := range 3 {
		// The gradient of Σ(w-3)² is 2(w-3); a model would get it from graph.Gradient.
		cur := w.Float64s()
		grad := make([]float64, len(cur))
		for i, x := range cur {
			grad[i] = 2 * (x - 3)
		}
		g, err := bpgo.FromFloat64s(dtypes.Float64, grad, len(grad))
		if err != nil {
			fmt.Println(err)
			return
		}
		lrT := opt.EffectiveLR()
		if err := opt.Update(bpgo.Grads{w: g}); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("step %d: lr_t=%.6f w=%.6f\n", step, lrT, w.Float64s())
	}
	fmt.Println(opt.Counters())
	// Output:
	// Adam(lr=ExponentialDecay(lr=0.025, decay_steps=1, decay_rate=0.99975), beta1=0.9, beta2=0.999, eps=0.1)
	// step 0: lr_t=0.007906 w=[0.016371 1.013962]
	// step 1: lr_t=0.007904 w=[0.040817 1.035473]
	// step 2: lr_t=0.007902 w=[0.070744 1.062239]
	// map[last_call:2 last_epoch:-1 updates:3]
}

// ExampleSchedule shows schedules as plain values: the optimizer keeps BrainPy's counters
// (last_epoch, last_call) and asks Rate(last_epoch+1, last_call+1) before each update.
func ExampleSchedule() {
	s := optim.StepLR{LR: 0.1, StepSize: 2, Gamma: 0.5}
	var rates []float64
	for epoch := range 5 {
		rates = append(rates, s.Rate(epoch, 0))
	}
	fmt.Println(rates)
	fmt.Println(optim.ExponentialDecay{LR: 0.1, DecaySteps: 0, DecayRate: 0.9}.Validate())
	_, err := optim.NewSGD(optim.Constant(0), optim.SGDDefaults())
	fmt.Println(err)
	// Output:
	// [0.1 0.1 0.05 0.05 0.025]
	// optim.ExponentialDecay: DecaySteps: want a positive finite number, got 0
	// optim.NewSGD: lr: optim.Constant: LR: want a positive finite number, got 0
}
