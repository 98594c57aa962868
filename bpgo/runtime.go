package bpgo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/gomlx/compute/dtypes"
)

// Mode says how a module is built, like BrainPy's bm.Mode: in TrainingMode layer weights are
// trainable parameters and trainers fit them; in BatchingMode they are fixed.
type Mode int

const (
	// DefaultMode means "use the global mode" (see SetMode) in option structs.
	DefaultMode Mode = iota
	// BatchingMode: variables have a leading batch axis; weights are not trained.
	BatchingMode
	// TrainingMode: like BatchingMode, and weights are trainable (BrainPy's TrainVar).
	TrainingMode
)

func (m Mode) String() string {
	switch m {
	case DefaultMode:
		return "default"
	case BatchingMode:
		return "batching"
	case TrainingMode:
		return "training"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// runtime is the process-wide environment, like BrainPy's global bm settings.
type runtimeState struct {
	mu    sync.Mutex
	x64   bool
	dt    float64
	mode  Mode
	seed  uint64
	rng   *rand.Rand
	drawn uint64
}

var rt = newRuntime()

func newRuntime() *runtimeState {
	r := &runtimeState{dt: 0.1, mode: BatchingMode}
	r.reseed(0)
	return r
}

func (r *runtimeState) reseed(seed uint64) {
	r.seed = seed
	r.drawn = 0
	r.rng = rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// EnableX64 makes float64 the float type of every variable and data tensor created afterwards,
// like bm.enable_x64(). Call it before building models.
func EnableX64() { rt.mu.Lock(); rt.x64 = true; rt.mu.Unlock() }

// DisableX64 reverts to float32 (the default).
func DisableX64() { rt.mu.Lock(); rt.x64 = false; rt.mu.Unlock() }

// X64 reports whether float64 is enabled.
func X64() bool { rt.mu.Lock(); defer rt.mu.Unlock(); return rt.x64 }

// FloatDType is the current float type: Float32, or Float64 after EnableX64.
func FloatDType() dtypes.DType {
	if X64() {
		return dtypes.Float64
	}
	return dtypes.Float32
}

// SetDt sets the global integration step in ms (BrainPy's default is 0.1). It returns an error
// for a step that is not a positive finite number.
func SetDt(dt float64) error {
	if !(dt > 0) || math.IsInf(dt, 0) {
		return fmt.Errorf("bpgo.SetDt: dt must be a positive finite number of ms, got %v", dt)
	}
	rt.mu.Lock()
	rt.dt = dt
	rt.mu.Unlock()
	return nil
}

// Dt returns the global integration step in ms.
func Dt() float64 { rt.mu.Lock(); defer rt.mu.Unlock(); return rt.dt }

// SetMode sets the global default mode used by modules whose options leave Mode as DefaultMode,
// like bm.set_mode. Prefer the scoped UseMode in code that should leave the global mode as it
// found it.
func SetMode(m Mode) error {
	if m != BatchingMode && m != TrainingMode {
		return fmt.Errorf("bpgo.SetMode: mode must be BatchingMode or TrainingMode, got %v", m)
	}
	rt.mu.Lock()
	rt.mode = m
	rt.mu.Unlock()
	return nil
}

// UseMode sets the global mode and returns a function that restores the previous one, like
// BrainPy's `with bm.environment(mode=...)`:
//
//	defer bpgo.UseMode(bpgo.TrainingMode)()
//
// The deferred call restores the mode on every way out of the function, panics included. It
// panics for a mode other than BatchingMode or TrainingMode (a programming error).
func UseMode(m Mode) (restore func()) {
	rt.mu.Lock()
	prev := rt.mode
	rt.mu.Unlock()
	if err := SetMode(m); err != nil {
		panic(fmt.Sprintf("bpgo.UseMode: %v", err))
	}
	return func() {
		rt.mu.Lock()
		rt.mode = prev
		rt.mu.Unlock()
	}
}

// GlobalMode returns the global default mode (BatchingMode unless SetMode changed it).
func GlobalMode() Mode { rt.mu.Lock(); defer rt.mu.Unlock(); return rt.mode }

// ResolveMode turns DefaultMode into the global mode and validates the others.
func ResolveMode(m Mode) (Mode, error) {
	switch m {
	case DefaultMode:
		return GlobalMode(), nil
	case BatchingMode, TrainingMode:
		return m, nil
	}
	return m, fmt.Errorf("unknown mode %v: use bpgo.BatchingMode or bpgo.TrainingMode", m)
}

// SetSeed re-seeds the global random generator used by initializers and data generators that
// take no generator of their own. The same seed gives the same run. The default seed is 0.
func SetSeed(seed uint64) { rt.mu.Lock(); rt.reseed(seed); rt.mu.Unlock() }

// Seed returns the seed last given to SetSeed (0 by default).
func Seed() uint64 { rt.mu.Lock(); defer rt.mu.Unlock(); return rt.seed }

// NewRNG derives a fresh generator from the global one: each call returns a different but
// reproducible stream for a given seed and call order.
func NewRNG() *rand.Rand {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.drawn++
	return rand.New(rand.NewPCG(rt.rng.Uint64(), rt.drawn))
}
