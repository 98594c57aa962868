package trainers_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/trainers"
)

func emptyBatches(n int) trainers.Data {
	bs := make([]trainers.Batch, n)
	return trainers.Batches(bs...)
}

// TestLoopHooks: hooks run at their events in priority order, EveryNSteps filters steps, the
// state counts steps and epochs, and the epoch counter carries over between Runs.
func TestLoopHooks(t *testing.T) {
	l := trainers.NewLoop("test")
	var log []string
	l.OnStart("start", 0, func(ls *trainers.LoopState) error { log = append(log, "start"); return nil })
	l.OnStep("late", 10, func(ls *trainers.LoopState) error {
		log = append(log, fmt.Sprintf("late%d", ls.Step))
		return nil
	})
	l.OnStep("early", -10, trainers.EveryNSteps(2, func(ls *trainers.LoopState) error {
		log = append(log, fmt.Sprintf("early%d", ls.Step))
		return nil
	}))
	l.OnEpoch("epoch", 0, func(ls *trainers.LoopState) error {
		log = append(log, fmt.Sprintf("epoch%d/%d", ls.Epoch, ls.StepsPerEpoch))
		return nil
	})
	l.OnEnd("end", 0, func(ls *trainers.LoopState) error { log = append(log, "end"); return nil })
	step := func(ls *trainers.LoopState, b trainers.Batch) (*trainers.Metrics, error) {
		return &trainers.Metrics{Loss: float64(ls.Step)}, nil
	}
	if err := l.Run(emptyBatches(3), 2, step); err != nil {
		t.Fatal(err)
	}
	want := "start late1 early2 late2 late3 epoch0/3 early4 late4 late5 early6 late6 epoch1/3 end"
	if got := strings.Join(log, " "); got != want {
		t.Errorf("hook order:\n got %s\nwant %s", got, want)
	}
	if l.Epochs() != 2 {
		t.Errorf("epochs %d", l.Epochs())
	}
	log = nil
	if err := l.Run(emptyBatches(1), 1, step); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, " "); got != "start late1 epoch2/1 end" {
		t.Errorf("second run: %s", got)
	}
}

// TestLoopErrors: errors from data, steps and hooks, a NaN loss and empty data stop the loop
// with the epoch and batch named.
func TestLoopErrors(t *testing.T) {
	ok := func(*trainers.LoopState, trainers.Batch) (*trainers.Metrics, error) { return &trainers.Metrics{}, nil }
	cases := map[string]struct {
		data trainers.Data
		step trainers.StepFunc
		hook trainers.Hook
		want string
	}{
		"step": {emptyBatches(2), func(ls *trainers.LoopState, _ trainers.Batch) (*trainers.Metrics, error) {
			if ls.Step == 1 {
				return nil, errors.New("boom")
			}
			return &trainers.Metrics{}, nil
		}, nil, "epoch 0, batch 1: boom"},
		"nan": {emptyBatches(2), func(*trainers.LoopState, trainers.Batch) (*trainers.Metrics, error) {
			return &trainers.Metrics{Loss: math.NaN()}, nil
		}, nil, "the loss is NaN"},
		"empty": {emptyBatches(0), ok, nil, "no batches"},
		"data":  {func(yield func(trainers.Batch, error) bool) { yield(trainers.Batch{}, errors.New("disk")) }, ok, nil, "data: disk"},
		"hook":  {emptyBatches(2), ok, func(*trainers.LoopState) error { return errors.New("full") }, "save: full"},
	}
	for name, c := range cases {
		l := trainers.NewLoop("test")
		if c.hook != nil {
			l.OnStep("save", 0, c.hook)
		}
		if err := l.Run(c.data, 1, c.step); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, c.want)
		}
	}
	if err := trainers.NewLoop("test").Run(emptyBatches(1), 0, ok); err == nil {
		t.Error("0 epochs accepted")
	}
}

// ExampleLoop writes a hand-written training loop's reporting as hooks.
func ExampleLoop() {
	l := trainers.NewLoop("my loop")
	l.OnStep("print", 0, trainers.EveryNSteps(2, func(ls *trainers.LoopState) error {
		fmt.Printf("Step %d, Loss %.2f\n", ls.Step, ls.Metrics.Loss)
		return nil
	}))
	loss := 1.0
	_ = l.Run(emptyBatches(4), 1, func(*trainers.LoopState, trainers.Batch) (*trainers.Metrics, error) {
		loss /= 2 // a real step would call grad.Step(b.X, b.Y, opt)
		return &trainers.Metrics{Loss: loss}, nil
	})
	// Output:
	// Step 2, Loss 0.25
	// Step 4, Loss 0.06
}
