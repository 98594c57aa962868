package models_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/models"
)

// A Lif neuron with BrainPy's defaults (V_rest 0, V_th 20, V_reset −5, τ = 10 ms) driven by a
// constant R·I = 30 at dt = 0.1 ms. By hand: V reaches 20 after −10·ln(1/3) = 11.0 ms, and from the
// reset −5 after −10·ln(10/35) = 12.5 ms, each rounded to whole steps.
func ExampleLif() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	n := bpgo.Must1(models.NewLif(1, models.LifDefaults()))
	runner := bpgo.Must1(bpgo.NewRunner(n, bpgo.RunnerOptions{Dt: 0.1, Monitors: []string{"Spike", "V"}}))
	current := make([]float64, 1000) // 100 ms of a 30 (R·I) drive
	for i := range current {
		current[i] = 30
	}
	bpgo.Must1(runner.Run(bpgo.Must1(bpgo.Sequence(current)), bpgo.RunOptions{ResetState: true}))
	var spikeTimes []float64
	ts := bpgo.ToFloat64s(runner.Mon["ts"])
	for i, s := range bpgo.ToFloat64s(runner.Mon["Spike"]) {
		if s == 1 {
			spikeTimes = append(spikeTimes, ts[i])
		}
	}
	fmt.Printf("%d spikes, the first at t = %.1f ms, then every %.1f ms\n",
		len(spikeTimes), spikeTimes[0], spikeTimes[1]-spikeTimes[0])
	// Output:
	// 8 spikes, the first at t = 10.9 ms, then every 12.6 ms
}
