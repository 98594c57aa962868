package trainers

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/datasets"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// EvidenceTrial is one batch of the click task as an EPropTrial, drawn window by window from s:
// each window's spikes are written straight into an input tensor kept for the next window
// (datasets.EvidenceStream.WindowInto), and its targets (EvidenceTargetsWindow with the given
// recall window and classes) into a kept target tensor, one pair per window length. A streamed
// trial then allocates nothing per window, which keeps the collector from running more often
// the longer the trial. Hand the trial to one StepTrial or ComputeTrial at a time: each window
// overwrites the last one's tensors (EProp is done with a window before it asks for the next).
func EvidenceTrial(s *datasets.EvidenceStream, window, classes int) (EPropTrial, error) {
	if s == nil {
		return EPropTrial{}, fmt.Errorf("trainers.EvidenceTrial: the stream is nil")
	}
	steps := s.Steps()
	if window < 1 || window > steps {
		return EPropTrial{}, fmt.Errorf("trainers.EvidenceTrial: window: want 1..%d (the trial's steps), got %d", steps, window)
	}
	if classes < 1 {
		return EPropTrial{}, fmt.Errorf("trainers.EvidenceTrial: classes: want >= 1, got %d", classes)
	}
	labels := s.Labels()
	for b, l := range labels {
		if l < 0 || l >= classes {
			return EPropTrial{}, fmt.Errorf("trainers.EvidenceTrial: the stream's label %d (trial %d) is not below classes = %d", l, b, classes)
		}
	}
	var w datasets.EvidenceBatch
	kept := map[int][2]*tensors.Tensor{} // by window length: inputs, targets
	return EPropTrial{Batch: s.Batch(), Steps: steps, TargetRows: float64(len(labels) * window),
		Window: func(start, k int) (*tensors.Tensor, *tensors.Tensor, error) {
			if start < 0 || k < 1 || start+k > steps {
				return nil, nil, fmt.Errorf("trainers.EvidenceTrial: steps [%d, %d) of a %d-step trial", start, start+k, steps)
			}
			pair, ok := kept[k]
			if !ok {
				o := s.Options()
				dt := dtypes.Float32
				if o.Float64 {
					dt = dtypes.Float64
				}
				pair = [2]*tensors.Tensor{tensors.FromShape(shapes.Make(dt, s.Batch(), k, o.Channels)),
					tensors.FromShape(shapes.Make(bpgo.FloatDType(), s.Batch(), k, classes))}
				kept[k] = pair
			}
			var err error
			pair[0].MustMutableFlatData(func(flat any) {
				switch f := flat.(type) {
				case []float32:
					w.Float32, w.Float64 = f, nil
				case []float64:
					w.Float32, w.Float64 = nil, f
				}
				err = s.WindowInto(&w, start, k)
			})
			if err != nil {
				return nil, nil, err
			}
			pair[1].MustMutableFlatData(func(flat any) {
				switch f := flat.(type) {
				case []float32:
					writeTargets(f, labels, steps, window, classes, start, k)
				case []float64:
					writeTargets(f, labels, steps, window, classes, start, k)
				}
			})
			w.Float32, w.Float64 = nil, nil // the tensor's memory is not the batch's to keep
			return pair[0], pair[1], nil
		}}, nil
}

// writeTargets writes steps [start, start+k) of EvidenceTargets' one-hot targets (a row at each
// trial's label over its last window steps, zeros elsewhere) into out (B, k, classes).
func writeTargets[F float32 | float64](out []F, labels []int, steps, window, classes, start, k int) {
	clear(out)
	for b, l := range labels {
		for t := max(start, steps-window); t < start+k; t++ {
			out[(b*k+t-start)*classes+l] = 1
		}
	}
}
