package visualize

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/tensors"
)

// Trace returns series[batch, :, feature] of a (B, T, F) float tensor as a []float64, the
// slice the tutorials plot (truths[0, :, 0]).
func Trace(series *tensors.Tensor, batch, feature int) ([]float64, error) {
	if series == nil {
		return nil, fmt.Errorf("visualize.Trace: series is nil")
	}
	d := series.Shape().Dimensions
	if len(d) != 3 {
		return nil, fmt.Errorf("visualize.Trace: series has shape %v, want (batch, time, features)", d)
	}
	if batch < 0 || batch >= d[0] || feature < 0 || feature >= d[2] {
		return nil, fmt.Errorf("visualize.Trace: index [%d, :, %d] is out of range for shape %v", batch, feature, d)
	}
	if !series.DType().IsFloat() {
		return nil, fmt.Errorf("visualize.Trace: dtype %s is not a float type", series.DType())
	}
	all := bpgo.ToFloat64s(series)
	out := make([]float64, d[1])
	for t := range out {
		out[t] = all[(batch*d[1]+t)*d[2]+feature]
	}
	return out, nil
}
