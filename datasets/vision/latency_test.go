package vision

import (
	"math"
	"testing"
)

func defaultEncoder(t testing.TB) *LatencyEncoder {
	e, err := NewLatencyEncoder(LatencyDefaults())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Hand-computed: x/(x − 0.2) = p/(p − 51) for x = p/255, T = floor(20·ln(p/(p − 51))):
// 52 → 20·ln 52 = 79.02, 53 → 20·ln 26.5 = 65.54, 60 → 20·ln(60/9) = 37.94, 77 → 20·ln(77/26) = 21.71,
// 128 → 20·ln(128/77) = 10.16, 255 → 20·ln 1.25 = 4.46, 200 → 20·ln(200/149) = 5.89.
func TestLatencyHandValues(t *testing.T) {
	e := defaultEncoder(t)
	for _, c := range []struct {
		p    uint8
		step int
	}{{52, 79}, {53, 65}, {60, 37}, {77, 21}, {128, 10}, {200, 5}, {255, 4}} {
		if s, ok := e.PixelStep(c.p); !ok || s != c.step {
			t.Errorf("pixel %d: step %d, %v; want %d", c.p, s, ok, c.step)
		}
	}
	for _, p := range []uint8{0, 1, 50, 51} {
		if s, ok := e.PixelStep(p); ok {
			t.Errorf("pixel %d fires at %d", p, s)
		}
	}
}

// The rule derived in LatencyEncoder's doc: a pixel fires iff p ≥ 52; later for dimmer pixels.
func TestLatencyFiresFrom52(t *testing.T) {
	e := defaultEncoder(t)
	last := math.MaxInt
	for p := range 256 {
		s, ok := e.PixelStep(uint8(p))
		if ok != (p >= 52) {
			t.Errorf("pixel %d fires: %v", p, ok)
		}
		if ok {
			if s > last || s < 0 || s >= 100 {
				t.Errorf("pixel %d: step %d after %d for a dimmer pixel", p, s, last)
			}
			last = s
		}
	}
	// Pixel 51 is clipped to 0.2 + 1e-7: 20·ln(0.2000001/1e-7) ≈ 290 (float64; the tutorial's
	// float32 lands at 286), far beyond 100 steps.
	x := 51.0 / 255
	x = max(x, 0.2+1e-7)
	if got := 20 * math.Log(x/(x-0.2)); got < 280 || got > 300 {
		t.Errorf("pixel 51's unclipped time %v", got)
	}
}

// The tutorial computes in float32 (pixel arrays are float32): same steps for every pixel value.
func TestLatencyFloat32MatchesFloat64(t *testing.T) {
	e := defaultEncoder(t)
	for p := range 256 {
		x := float32(p) / 255
		x = min(max(x, float32(0.2+1e-7)), 1e9)
		ratio := x / (x - float32(0.2))
		tt := float32(20) * float32(math.Log(float64(ratio)))
		s32, ok32 := int(tt), tt < 100
		s, ok := e.PixelStep(uint8(p))
		if ok != ok32 || (ok && s != s32) {
			t.Errorf("pixel %d: float64 step %d %v, float32 %d %v (T=%v)", p, s, ok, s32, ok32, tt)
		}
	}
}

func TestFiringStep(t *testing.T) {
	e := defaultEncoder(t)
	for _, x := range []float64{math.NaN(), -1, 0, 0.2, 0.2013} {
		if s, ok := e.FiringStep(x); ok {
			t.Errorf("x=%v fires at %d", x, s)
		}
	}
	// x ≥ 1e9 is clipped to 1e9: T = 20·ln(1/(1 − 2e-10)) ≈ 4e-9 → step 0.
	if s, ok := e.FiringStep(math.Inf(1)); !ok || s != 0 {
		t.Errorf("x=+Inf: %d, %v", s, ok)
	}
	if s, ok := e.FiringStep(1); !ok || s != 4 {
		t.Errorf("x=1: %d, %v", s, ok)
	}
	// Other settings: tau 2/dt at dt = 1 → 2; 1 → 2·ln(1.25) = 0.446 → step 0.
	o := LatencyDefaults()
	o.Tau, o.Steps = 2, 10
	e2, err := NewLatencyEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := e2.PixelStep(255); !ok || s != 0 {
		t.Errorf("tau 2, pixel 255: %d %v", s, ok)
	}
	if s, ok := e2.PixelStep(52); !ok || s != 7 { // 2·ln 52 = 7.9
		t.Errorf("tau 2, pixel 52: %d %v", s, ok)
	}
	if e2.Options() != o {
		t.Errorf("Options() = %+v", e2.Options())
	}
}

func TestLatencyOptionsValidation(t *testing.T) {
	for _, c := range []struct {
		f    func(*LatencyOptions)
		want string
	}{
		{func(o *LatencyOptions) { o.Tau = 0 }, "LatencyOptions.Tau: want a positive finite number of steps, got 0"},
		{func(o *LatencyOptions) { o.Threshold = math.NaN() }, "LatencyOptions.Threshold: want a finite number, got NaN"},
		{func(o *LatencyOptions) { o.Epsilon = 0 }, "LatencyOptions.Epsilon: want a small positive number, got 0"},
		{func(o *LatencyOptions) { o.Steps = 0 }, "LatencyOptions.Steps: want >= 1, got 0"},
	} {
		o := LatencyDefaults()
		c.f(&o)
		_, err := NewLatencyEncoder(o)
		wantErr(t, err, "vision.NewLatencyEncoder: "+c.want)
	}
}

func TestEncode(t *testing.T) {
	o := LatencyDefaults()
	o.Steps = 10
	e, err := NewLatencyEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	// Two images of 3 units: steps 255 → 4, 128 → 10 (not < 10: silent), 0 silent, 200 → 5.
	imgs := []uint8{255, 128, 0, 0, 200, 255}
	dst := make([]float32, 2*10*3)
	for i := range dst {
		dst[i] = 7 // Encode clears
	}
	if err := Encode(e, dst, imgs, 3); err != nil {
		t.Fatal(err)
	}
	want := map[int]bool{0*30 + 4*3 + 0: true, 1*30 + 5*3 + 1: true, 1*30 + 4*3 + 2: true}
	for i, v := range dst {
		if (v == 1) != want[i] || (v != 0 && v != 1) {
			t.Errorf("dst[%d] (b %d, t %d, u %d) = %v", i, i/30, i%30/3, i%3, v)
		}
	}
	wantErr(t, Encode(e, dst, imgs, 4), "vision.Encode: units: want a divisor of len(images) = 6, got 4")
	wantErr(t, Encode(e, make([]float64, 5), imgs, 3), "vision.Encode: dst: want 2·10·3 = 60 values, got 5")
}
