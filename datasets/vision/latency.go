package vision

import (
	"fmt"
	"math"
)

// LatencyOptions configure the latency (time-to-first-spike) encoder of the BrainPy 2.5.0
// back-propagation tutorial, its current2firing_time(x, tau, thr, tmax, epsilon).
type LatencyOptions struct {
	// Tau is the effective time constant in steps: the tutorial's tau_eff = 2/dt, 20 at
	// BrainPy's default dt = 0.1 ms (which that tutorial never changes).
	Tau float64
	// Threshold is the input below which a unit never fires (thr, 0.2).
	Threshold float64
	// Steps is the number of time steps (nb_steps = tmax, 100); a unit whose firing step is
	// Steps or later stays silent.
	Steps int
	// Epsilon keeps x − Threshold positive: inputs are clipped to Threshold + Epsilon (1e-7).
	Epsilon float64
}

// LatencyDefaults are the tutorial's values: Tau 20 (2/dt at dt 0.1), Threshold 0.2, 100 steps,
// Epsilon 1e-7.
func LatencyDefaults() LatencyOptions {
	return LatencyOptions{Tau: 20, Threshold: 0.2, Steps: 100, Epsilon: 1e-7}
}

// LatencyEncoder turns intensities x in [0, 1] into one spike each, at step
// floor(Tau·ln(x / (x − Threshold))) after clipping x to at least Threshold + Epsilon; units
// whose step is not below Steps do not fire. Brighter pixels fire earlier.
//
// For 8-bit pixels p (x = p/255) at the defaults, x/(x − 0.2) = p/(p − 51), so a pixel fires iff
// 20·ln(p/(p − 51)) < 100, i.e. p/(p − 51) < e⁵, i.e. p > 51·e⁵/(e⁵ − 1) ≈ 51.35: pixels ≥ 52
// fire (52 at step 79, 60 at 37, 77 at 21, 128 at 10, 255 at 4); pixel 51 is clipped to
// 0.2 + 1e-7 (step ≈ 290) and pixels below it likewise, so none of them fires. The tutorial
// computes in float32; its steps are the same as float64's for all 256 pixel values.
type LatencyEncoder struct {
	o     LatencyOptions
	pixel [256]int32 // firing step of pixel value p, or -1
}

// NewLatencyEncoder validates o and tabulates the firing step of every 8-bit pixel value.
func NewLatencyEncoder(o LatencyOptions) (*LatencyEncoder, error) {
	const fn = "vision.NewLatencyEncoder"
	switch {
	case !(o.Tau > 0) || math.IsInf(o.Tau, 0):
		return nil, fmt.Errorf("%s: LatencyOptions.Tau: want a positive finite number of steps, got %v", fn, o.Tau)
	case math.IsNaN(o.Threshold) || math.IsInf(o.Threshold, 0):
		return nil, fmt.Errorf("%s: LatencyOptions.Threshold: want a finite number, got %v", fn, o.Threshold)
	case !(o.Epsilon > 0) || math.IsInf(o.Epsilon, 0):
		return nil, fmt.Errorf("%s: LatencyOptions.Epsilon: want a small positive number, got %v", fn, o.Epsilon)
	case o.Steps < 1 || o.Steps > math.MaxInt32:
		return nil, fmt.Errorf("%s: LatencyOptions.Steps: want >= 1, got %d", fn, o.Steps)
	}
	e := &LatencyEncoder{o: o}
	for p := range e.pixel {
		e.pixel[p] = -1
		if s, ok := e.FiringStep(float64(p) / 255); ok {
			e.pixel[p] = int32(s)
		}
	}
	return e, nil
}

// Options returns the encoder's options.
func (e *LatencyEncoder) Options() LatencyOptions { return e.o }

// FiringStep is the step at which intensity x fires, and whether it fires within Steps.
// NaN never fires.
func (e *LatencyEncoder) FiringStep(x float64) (int, bool) {
	if math.IsNaN(x) {
		return 0, false
	}
	x = min(max(x, e.o.Threshold+e.o.Epsilon), 1e9) // the tutorial's np.clip(x, thr+eps, 1e9)
	t := e.o.Tau * math.Log(x/(x-e.o.Threshold))
	if !(t < float64(e.o.Steps)) { // also catches +Inf
		return 0, false
	}
	return int(t), true // NumPy's astype(int) truncates; t > 0 here
}

// PixelStep is FiringStep(p/255) for an 8-bit pixel value.
func (e *LatencyEncoder) PixelStep(p uint8) (int, bool) {
	s := e.pixel[p]
	if s < 0 {
		return 0, false
	}
	return int(s), true
}

// Encode writes the spikes of images (B images of `units` 8-bit pixels each, back to back) into
// dst, a (B, Steps, units) array: 1 at (b, step, unit) for each pixel that fires, 0 elsewhere.
// dst is cleared first.
func Encode[T Float](e *LatencyEncoder, dst []T, images []uint8, units int) error {
	if units < 1 || len(images)%units != 0 {
		return fmt.Errorf("vision.Encode: units: want a divisor of len(images) = %d, got %d", len(images), units)
	}
	b := len(images) / units
	if want := b * e.o.Steps * units; len(dst) != want {
		return fmt.Errorf("vision.Encode: dst: want %d·%d·%d = %d values, got %d", b, e.o.Steps, units, want, len(dst))
	}
	clear(dst)
	encodeInto(e, dst, images, units, nil)
	return nil
}

// encodeInto sets the ones of a cleared dst; if set is not nil, the flat positions are
// appended to it so that a reused buffer can be cleared sparsely.
func encodeInto[T Float](e *LatencyEncoder, dst []T, images []uint8, units int, set *[]int) {
	per := e.o.Steps * units
	for b := 0; b*units < len(images); b++ {
		img, out := images[b*units:(b+1)*units], dst[b*per:(b+1)*per]
		for u, p := range img {
			s := e.pixel[p]
			if s < 0 {
				continue
			}
			at := int(s)*units + u
			out[at] = 1
			if set != nil {
				*set = append(*set, b*per+at)
			}
		}
	}
}
