package trainers_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/graph"
)

// snn is a recurrent spiking network in the form e-prop trains: ALIF neurons driven by the
// input and by their own spikes of the previous step, and a leaky readout.
type snn struct {
	R             *models.ALIFBellec2020
	I2R, R2R, R2O *models.Dense
	O             *models.Leaky
}

func (m *snn) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	i := graph.Add(m.R2R.Update(ctx, ctx.Value(m.R.Spike)), m.I2R.Update(ctx, x))
	return m.O.Update(ctx, m.R2O.Update(ctx, m.R.Update(ctx, i)))
}

// An EProp trainer computes the e-prop update of a trial online, inside the compiled time loop,
// and applies it with its optimizer (Step) or returns it (Compute). Targets are per step: here
// a one-hot label over the last 5 steps of each 20-step trial.
func ExampleNewEProp() {
	defer bpgo.UseMode(bpgo.TrainingMode)()
	bpgo.SetSeed(1)
	o := models.ALIFDefaults()
	o.VRest, o.VTh, o.TauRef, o.NoInputVar = 0, 0.6, 2, true
	o.VInit, o.AInit = initializers.Zero{}, initializers.Zero{}
	dense := func(in, out int) *models.Dense {
		return bpgo.Must1(models.NewDense(in, out, models.DenseOptions{WInit: initializers.KaimingNormal{Scale: 2}, NoBias: true}))
	}
	m := &snn{R: bpgo.Must1(models.NewALIFBellec2020(8, o)), I2R: dense(3, 8), R2R: dense(8, 8), R2O: dense(8, 2),
		O: bpgo.Must1(models.NewLeaky(2, models.LeakyDefaults()))}
	net := trainers.EPropNetwork{Neurons: m.R, In: m.I2R, Rec: m.R2R, Out: m.R2O, Readout: m.O}

	opts := trainers.EPropDefaults()
	opts.Feedback, opts.Dt = trainers.RandomFeedback, 1
	tr := bpgo.Must1(trainers.NewEProp(m, net, opts))

	xs := bpgo.Zeros(2, 20, 3) // (batch, steps, channels)
	ys := bpgo.Must1(trainers.EvidenceTargets([]int{0, 1}, 20, 5, 2))
	res := bpgo.Must1(tr.Compute(xs, ys))
	fmt.Println("update shapes:", res.Grads[m.I2R.W].Shape().Dimensions, res.Grads[m.R2R.W].Shape().Dimensions, res.Grads[m.R2O.W].Shape().Dimensions)
	fmt.Printf("cross-entropy of a silent network: %.4f (ln 2)\n", res.CrossEntropy)

	_, err := tr.Compute(bpgo.Zeros(2, 20, 4), ys)
	fmt.Println(err)
	opts.FeedbackWeights = bpgo.Zeros(2, 8)
	_, err = trainers.NewEProp(m, net, opts)
	fmt.Println(err)
	// Output:
	// update shapes: [3 8] [8 8] [8 2]
	// cross-entropy of a silent network: 0.6931 (ln 2)
	// trainers.EProp.Compute: inputs: shape [2 20 4], want (batch, steps, 3): the network has 3 input channels
	// trainers.NewEProp: EPropOptions.FeedbackWeights: shape [2 8], want (8, 2) (recurrent neurons, readout units)
}
