package models_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
)

// noisyUnit is a 1-unit reservoir whose state is its (noisy) input: leak 1, identity, Win = 1,
// no recurrence.
func noisyUnit(t *testing.T, noiseIn, noiseRec float64) *models.Reservoir {
	t.Helper()
	o := models.ReservoirDefaults()
	o.LeakyRate, o.Activation = 1, "identity"
	o.WinInit, o.WrecInit = initializers.Constant{Value: 1}, initializers.Zero{}
	o.InConnectivity, o.RecConnectivity = 1, 1
	o.NoiseIn, o.NoiseRec = noiseIn, noiseRec
	r, err := models.NewReservoir(1, 1, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReservoirNoise(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const steps, scale = 4000, 0.5
	run := func(r *models.Reservoir) []float64 {
		runner := bpgo.Must1(bpgo.NewRunner(r, bpgo.RunnerOptions{}))
		return bpgo.ToFloat64s(bpgo.Must1(runner.Run(bpgo.Zeros(1, steps, 1), bpgo.RunOptions{ResetState: true})))
	}
	bpgo.SetSeed(3)
	a := run(noisyUnit(t, scale, 0))
	mean, sq := 0.0, 0.0
	for _, v := range a {
		if v < -scale || v > scale {
			t.Fatalf("input noise %v outside [-%v, %v]", v, scale, scale)
		}
		mean += v / steps
		sq += v * v / steps
	}
	if math.Abs(mean) > 0.03 || math.Abs(math.Sqrt(sq)-scale/math.Sqrt(3)) > 0.02 {
		t.Errorf("input noise: mean %.3f, rms %.3f; want about 0 and %.3f (U(-1, 1)·%v)", mean, math.Sqrt(sq), scale/math.Sqrt(3), scale)
	}
	bpgo.SetSeed(3)
	if b := run(noisyUnit(t, scale, 0)); b[0] != a[0] || b[steps-1] != a[steps-1] {
		t.Errorf("same seed, different noise: %v %v vs %v %v", a[0], a[steps-1], b[0], b[steps-1])
	}
	// BrainPy's noise_rec is the constant -noise_rec.
	for _, v := range run(noisyUnit(t, 0, 0.2))[:5] {
		if v != -0.2 {
			t.Fatalf("noise_rec: state %v, want -0.2", v)
		}
	}
	o := models.ReservoirDefaults()
	o.NoiseIn = -1
	if _, err := models.NewReservoir(1, 5, o); err == nil || !strings.Contains(err.Error(), "ReservoirOptions.NoiseIn") {
		t.Errorf("negative NoiseIn: %v", err)
	}
}
