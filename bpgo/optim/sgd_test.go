package optim_test

import (
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/optim"
)

// BrainPy 2.4.3 reference trajectories, produced as described in adam_test.go.

// SGD(lr=0.1), 5 updates.
var bpSGD = [][]float64{
	{0.86, -1.58, 0.31999999999999995},
	{0.748, -1.244, 0.17599999999999996},
	{0.6584, -0.9752, 0.060799999999999965},
	{0.58672, -0.76016, -0.03136000000000004},
	{0.5293760000000001, -0.588128, -0.10508800000000004},
}

// SGD(lr=StepLR(0.1, 2, 0.5), weight_decay=0.01): 4 epochs × 2 updates, step_epoch between.
var bpSGDStepLR = [][]float64{
	{0.85, -1.56, 0.31499999999999995},
	{0.7315, -1.2124, 0.16884999999999997},
	{0.637885, -0.9377959999999999, 0.05339149999999997},
	{0.56392915, -0.7208588399999998, -0.03782071500000004},
	{0.5318969435, -0.6315643675999998, -0.07366043635000002},
	{0.5033882797150001, -0.5520922871639998, -0.10555778835150004},
	{0.4780155689463501, -0.48136213557595986, -0.13394643163283504},
	{0.4554338563622516, -0.41841230066260426, -0.15921232415322317},
}

// Momentum(lr=0.05, momentum=0.9), 6 updates.
var bpMomentum = [][]float64{
	{0.93, -1.79, 0.41},
	{0.804, -1.412, 0.24799999999999994},
	{0.6402000000000001, -0.9205999999999999, 0.037399999999999906},
	{0.45876000000000006, -0.37627999999999984, -0.19588000000000014},
	{0.27958800000000006, 0.16123600000000016, -0.4262440000000002},
	{0.12037440000000002, 0.6388768000000001, -0.6309472000000002},
}

// Momentum(lr=0.05, momentum=0.8, weight_decay=0.02), 4 updates.
var bpMomentumWD = [][]float64{
	{0.91, -1.75, 0.39999999999999997},
	{0.7748, -1.3619999999999997, 0.23999999999999994},
	{0.6182239999999999, -0.9061599999999996, 0.04959999999999992},
	{0.4611731199999999, -0.44454079999999957, -0.1448320000000001},
}

// RMSProp(lr=0.01) (epsilon 1e-6, rho 0.9), 6 updates.
var bpRMSProp = [][]float64{
	{0.968377304068356, -1.9683772323616844, 0.4683772721987844},
	{0.9459446287997065, -1.9456012650467844, 0.4458283428026154},
	{0.9274224372992923, -1.9266140236816376, 0.42714802772198973},
	{0.9111585869082678, -1.9098148284465726, 0.41070133880429976},
	{0.8963918741327699, -1.8944621864341038, 0.39573359401001645},
	{0.8827000555444974, -1.8801433625877197, 0.38182565640359056},
}

// RMSProp(lr=InverseTimeDecay(0.02, 2, 0.5), epsilon=1e-3, rho=0.8, weight_decay=0.01),
// 5 updates.
var bpRMSPropOpts = [][]float64{
	{0.9453355740944113, -1.935284977164106, 0.4503131077842575},
	{0.9102240071831299, -1.8896423900197863, 0.4198405647938925},
	{0.8831110922418074, -1.852077052635033, 0.3972708459927173},
	{0.8604239023662353, -1.8190878196659366, 0.37907525724628244},
	{0.8405642161068969, -1.7890828284482638, 0.3636677883911965},
}

func TestSGD(t *testing.T) {
	opt := bpgo.Must1(optim.NewSGD(optim.Constant(0.1), optim.SGDDefaults()))
	got := runToy(t, opt, 1, 5, false)
	checkTrajectory(t, "vs BrainPy", got, bpSGD)
	checkTrajectory(t, "vs hand", got, handSGD(handConfig{epochs: 1, steps: 5, lrAt: constLR(0.1)}))
	if len(opt.Slots()) != 0 {
		t.Errorf("SGD has %d slots, want 0", len(opt.Slots()))
	}
}

func TestSGDStepLRWeightDecay(t *testing.T) {
	opt := bpgo.Must1(optim.NewSGD(optim.StepLR{LR: 0.1, StepSize: 2, Gamma: 0.5}, optim.SGDOptions{WeightDecay: 0.01}))
	got := runToy(t, opt, 4, 2, true)
	checkTrajectory(t, "vs BrainPy", got, bpSGDStepLR)
	lr := func(_, e int) float64 { return []float64{0.1, 0.1, 0.05, 0.05}[e] }
	checkTrajectory(t, "vs hand", got, handSGD(handConfig{epochs: 4, steps: 2, stepEpoch: true, lrAt: lr, wd: 0.01}))
}

func TestMomentum(t *testing.T) {
	opt := bpgo.Must1(optim.NewMomentum(optim.Constant(0.05), optim.MomentumDefaults()))
	got := runToy(t, opt, 1, 6, false)
	checkTrajectory(t, "vs BrainPy", got, bpMomentum)
	checkTrajectory(t, "vs hand", got, handMomentum(handConfig{epochs: 1, steps: 6, lrAt: constLR(0.05)}, 0.9))
}

func TestMomentumWeightDecay(t *testing.T) {
	opt := bpgo.Must1(optim.NewMomentum(optim.Constant(0.05), optim.MomentumOptions{Momentum: 0.8, WeightDecay: 0.02}))
	got := runToy(t, opt, 1, 4, false)
	checkTrajectory(t, "vs BrainPy", got, bpMomentumWD)
	checkTrajectory(t, "vs hand", got, handMomentum(handConfig{epochs: 1, steps: 4, lrAt: constLR(0.05), wd: 0.02}, 0.8))
}

func TestMomentumZeroIsSGD(t *testing.T) {
	opt := bpgo.Must1(optim.NewMomentum(optim.Constant(0.1), optim.MomentumOptions{Momentum: 0}))
	checkTrajectory(t, "momentum 0 vs SGD", runToy(t, opt, 1, 5, false), bpSGD)
}

func TestRMSProp(t *testing.T) {
	opt := bpgo.Must1(optim.NewRMSProp(optim.Constant(0.01), optim.RMSPropDefaults()))
	got := runToy(t, opt, 1, 6, false)
	checkTrajectory(t, "vs BrainPy", got, bpRMSProp)
	checkTrajectory(t, "vs hand", got, handRMSProp(handConfig{epochs: 1, steps: 6, lrAt: constLR(0.01)}, 0.9, 1e-6))
}

func TestRMSPropOptions(t *testing.T) {
	sched := optim.InverseTimeDecay{LR: 0.02, DecaySteps: 2, DecayRate: 0.5, Staircase: false}
	opt := bpgo.Must1(optim.NewRMSProp(sched, optim.RMSPropOptions{Rho: 0.8, Eps: 1e-3, WeightDecay: 0.01}))
	got := runToy(t, opt, 1, 5, false)
	checkTrajectory(t, "vs BrainPy", got, bpRMSPropOpts)
	lr := func(k, _ int) float64 { return 0.02 / (1 + 0.5*float64(k)/2) }
	checkTrajectory(t, "vs hand", got, handRMSProp(handConfig{epochs: 1, steps: 5, lrAt: lr, wd: 0.01}, 0.8, 1e-3))
}
