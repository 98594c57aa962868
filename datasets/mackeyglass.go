package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Conventions of MackeyGlassOptions.Convention: how the delay buffer is initialised and read,
// and which points are recorded.
const (
	// MackeyGlassBrainPy follows brainpy_datasets' MackeyGlassEq (bd 0.0.0.6, BrainPy 2.4.3).
	MackeyGlassBrainPy = "brainpy"
	// MackeyGlassReservoirPy follows ReservoirPy's datasets.mackey_glass.
	MackeyGlassReservoirPy = "reservoirpy"
)

// Integration methods of MackeyGlassOptions.Method.
const (
	MackeyGlassRK4   = "rk4"
	MackeyGlassEuler = "euler"
)

// MackeyGlassOptions configure MackeyGlassEq, the delay differential equation
//
//	dx/dt = Beta·x(t−Tau) / (1 + x(t−Tau)^N) − Gamma·x(t).
type MackeyGlassOptions struct {
	// Dt is the integration step (ReservoirPy's h).
	Dt float64
	// Beta, Gamma, N are the equation's parameters (ReservoirPy's a, b, n); Tau is the delay.
	Beta, Gamma, Tau, N float64
	// X0 is the initial value x(0), and the centre of the random history.
	X0 float64
	// Method is MackeyGlassRK4 (both originals) or MackeyGlassEuler (BrainPy's method='euler').
	// The delayed value is looked up per stage in the BrainPy convention and held fixed over
	// the four stages in the ReservoirPy one.
	Method string
	// Convention is MackeyGlassBrainPy or MackeyGlassReservoirPy (see MackeyGlassEq).
	Convention string
	// History gives the values before t = 0, oldest first. nil draws X0 + 0.2·(U[0,1) − 0.5)
	// per entry from Seed, as both originals do (with their own generators). BrainPy: exactly
	// ceil(Tau/Dt) + 1 values; ReservoirPy: at least floor(Tau/Dt), of which the last
	// floor(Tau/Dt) are used.
	History []float64
	// Seed selects the random history.
	Seed uint64
	// Subsample keeps every Subsample-th point (those whose time is a multiple of
	// Subsample·Dt), e.g. 10 with Dt = 0.1 gives one point per time unit; 1 keeps all.
	Subsample int
}

// MackeyGlassDefaults returns brainpy_datasets' MackeyGlassEq defaults: Dt 0.1, Beta 2,
// Gamma 1, Tau 2, N 9.65, X0 1.2, RK4, the BrainPy convention, seed 0, every point. (Its
// docstring quotes the classic chaotic set Tau 17, Beta 0.2, Gamma 0.1, N 10, but those are
// not its defaults; MackeyGlassReservoirPyDefaults has them.)
func MackeyGlassDefaults() MackeyGlassOptions {
	return MackeyGlassOptions{Dt: 0.1, Beta: 2, Gamma: 1, Tau: 2, N: 9.65, X0: 1.2,
		Method: MackeyGlassRK4, Convention: MackeyGlassBrainPy, Subsample: 1}
}

// MackeyGlassReservoirPyDefaults returns ReservoirPy's mackey_glass defaults, the classic
// chaotic series of reservoir-computing benchmarks: Tau 17, Beta (a) 0.2, Gamma (b) 0.1,
// N 10, X0 1.2, Dt (h) 1, RK4, the ReservoirPy convention, seed 0, every point.
func MackeyGlassReservoirPyDefaults() MackeyGlassOptions {
	return MackeyGlassOptions{Dt: 1, Beta: 0.2, Gamma: 0.1, Tau: 17, N: 10, X0: 1.2,
		Method: MackeyGlassRK4, Convention: MackeyGlassReservoirPy, Subsample: 1}
}

// MackeyGlass is a Mackey-Glass series: Xs[i] = x(Ts[i]) and XTaus[i] = x(Ts[i] − Tau) as the
// integrator's delay buffer holds it (brainpy_datasets' ys), one trajectory.
type MackeyGlass struct {
	// Dt is the spacing of the kept points (Options.Dt · Options.Subsample).
	Dt            float64
	Ts, Xs, XTaus []float64
	// History is the history the integration started from, oldest first.
	History []float64
}

// Len is the number of points.
func (m *MackeyGlass) Len() int { return len(m.Ts) }

// MackeyGlassEq integrates the Mackey-Glass equation for ceil(duration/Dt) steps of a fixed
// step and returns the series.
//
// MackeyGlassBrainPy reproduces bd.chaos.MackeyGlassEq: the delay is a ring buffer of
// L = ceil(Tau/Dt) + 1 values (BrainPy's TimeDelay with interp_method='round'), all of them
// drawn as X0 + 0.2·(U − 0.5), while the state itself starts at exactly X0. Each step of size
// dt from time t evaluates the derivative at the stage times t, t + dt/2, t + dt/2, t + dt
// (RK4; Euler only t), each looking the delayed value up at buffer slot
// idx + round((Tau − (now − (stage − Tau)))/dt), where idx is the oldest slot, now the
// buffer's clock (advanced by dt per step) and round is half-to-even: the first stage reads
// x(t − (L−1)·dt), the last stage the next-newer slot, and the half-step stages either,
// depending on how the float arithmetic rounds a value within an ulp of 0.5 (at Dt = 0.1: the
// newer slot in 80 % of the first 3000 steps, the older in 77 % over 200000 steps, as the
// clock's rounding error grows). The arithmetic is the one XLA compiles BrainPy's lookup into, so the
// slots chosen are BrainPy's. Two BrainPy quirks are kept: the slot index is not wrapped
// around the ring but clamped to L−1 (JAX indexing), so once every L steps the later stages
// reuse the oldest value; and the delay is (L−1)·dt, which is Tau only when Tau is a multiple
// of Dt. After the step the new x goes into the oldest slot. Points are recorded after each
// step (x(0) is not in the series), Ts[i] = (i+1)·Dt, and XTaus[i] is the oldest slot after
// step i. With BrainPy's history (History), the series agrees with bd.chaos.MackeyGlassEq to
// rounding (1.8e-15 over 3000 steps at Tau 17, Dt 0.1); BrainPy's own history comes from
// JAX's generator, which this package does not reproduce.
//
// MackeyGlassReservoirPy reproduces reservoirpy.datasets.mackey_glass: the history holds
// floor(Tau/Dt) values X0 + 0.2·(U − 0.5); each step pops the oldest value as x(t − Tau),
// pushes x(t), and takes one RK4 (or Euler) step with that delayed value held fixed over all
// stages. Points are recorded before each step, so Xs[0] = X0, Ts[i] = i·Dt, and XTaus[i] is
// the value popped at step i.
//
// The random histories differ from the originals' (JAX's and NumPy's generators).
func MackeyGlassEq(duration float64, o MackeyGlassOptions) (*MackeyGlass, error) {
	const fn = "datasets.MackeyGlassEq"
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !(o.Dt > 0) || !finite(o.Dt) {
		return nil, fmt.Errorf("%s: MackeyGlassOptions.Dt: want a positive finite step, got %v", fn, o.Dt)
	}
	if !(duration > 0) || !finite(duration) {
		return nil, fmt.Errorf("%s: duration: want a positive finite time, got %v", fn, duration)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"Beta", o.Beta}, {"Gamma", o.Gamma}, {"N", o.N}, {"X0", o.X0}} {
		if !finite(f.v) {
			return nil, fmt.Errorf("%s: MackeyGlassOptions.%s: want a finite number, got %v", fn, f.name, f.v)
		}
	}
	if !(o.Tau > 0) || !finite(o.Tau) {
		return nil, fmt.Errorf("%s: MackeyGlassOptions.Tau: want a positive finite delay, got %v", fn, o.Tau)
	}
	if o.Method != MackeyGlassRK4 && o.Method != MackeyGlassEuler {
		return nil, fmt.Errorf("%s: MackeyGlassOptions.Method: want %q or %q, got %q (start from MackeyGlassDefaults())", fn, MackeyGlassRK4, MackeyGlassEuler, o.Method)
	}
	if o.Subsample < 1 {
		return nil, fmt.Errorf("%s: MackeyGlassOptions.Subsample: want >= 1 (1 keeps every point), got %d", fn, o.Subsample)
	}
	steps := int(math.Ceil(duration / o.Dt))
	if steps > 1<<28 {
		return nil, fmt.Errorf("%s: duration/Dt = %d steps is too many", fn, steps)
	}
	var histLen int
	switch o.Convention {
	case MackeyGlassBrainPy:
		histLen = int(math.Ceil(o.Tau/o.Dt)) + 1
	case MackeyGlassReservoirPy:
		histLen = int(math.Floor(o.Tau / o.Dt))
		if histLen < 1 {
			return nil, fmt.Errorf("%s: MackeyGlassOptions.Tau: the ReservoirPy convention needs Tau >= Dt (%v), got %v", fn, o.Dt, o.Tau)
		}
	default:
		return nil, fmt.Errorf("%s: MackeyGlassOptions.Convention: want %q or %q, got %q (start from MackeyGlassDefaults())", fn, MackeyGlassBrainPy, MackeyGlassReservoirPy, o.Convention)
	}
	if histLen > 1<<26 {
		return nil, fmt.Errorf("%s: MackeyGlassOptions.Tau/Dt = %d history steps is too many", fn, histLen)
	}
	hist := make([]float64, histLen)
	switch {
	case o.History == nil:
		rng := rand.New(rand.NewPCG(o.Seed, 0x6d67)) // a stream of its own for this series
		for i := range hist {
			hist[i] = o.X0 + 0.2*(rng.Float64()-0.5)
		}
	case o.Convention == MackeyGlassBrainPy && len(o.History) != histLen:
		return nil, fmt.Errorf("%s: MackeyGlassOptions.History: the BrainPy convention needs exactly ceil(Tau/Dt)+1 = %d values, got %d", fn, histLen, len(o.History))
	case len(o.History) < histLen:
		return nil, fmt.Errorf("%s: MackeyGlassOptions.History: the ReservoirPy convention needs at least floor(Tau/Dt) = %d values, got %d", fn, histLen, len(o.History))
	default:
		copy(hist, o.History[len(o.History)-histLen:])
		for i, v := range hist {
			if !finite(v) {
				return nil, fmt.Errorf("%s: MackeyGlassOptions.History: value %d is %v, want finite values", fn, i, v)
			}
		}
	}
	m := &MackeyGlass{Dt: o.Dt * float64(o.Subsample), History: append([]float64(nil), hist...)}
	deriv := func(x, xtau float64) float64 {
		return o.Beta*xtau/(1+math.Pow(xtau, o.N)) - o.Gamma*x
	}
	dt := o.Dt
	keep := func(t, x, xtau float64, k int) {
		if k%o.Subsample == 0 {
			m.Ts = append(m.Ts, t)
			m.Xs = append(m.Xs, x)
			m.XTaus = append(m.XTaus, xtau)
		}
	}
	x := o.X0
	if o.Convention == MackeyGlassBrainPy {
		L := histLen
		data := hist
		now := 0.0 // TimeDelay.current_time
		for i := range steps {
			t := float64(i) * dt // np.arange(0, duration, dt)[i]
			idx := i % L
			// delayed looks the buffer up for the stage at t + c·dt, in the arithmetic XLA
			// compiles BrainPy's lookup into (checked against its optimised HLO): the constants
			// c·dt − Tau and 1/dt are folded, so prev = t + (c·dt − Tau) and
			// slot = idx + round((Tau − (now − prev))·(1/dt)).
			delayed := func(c float64) float64 {
				prev := t + (float64(dt*c) - o.Tau)
				j := idx + int(math.RoundToEven((o.Tau-(now-prev))*(1/dt)))
				if j < 0 {
					j += L // negative indices count from the end
				}
				return data[min(max(j, 0), L-1)] // and out-of-range ones are clamped
			}
			var next float64
			if o.Method == MackeyGlassEuler {
				next = x + float64(deriv(x, delayed(0))*dt)
			} else {
				k1 := deriv(x, delayed(0))
				k2 := deriv(x+float64(float64(dt*k1)*0.5), delayed(0.5))
				k3 := deriv(x+float64(float64(dt*k2)*0.5), delayed(0.5))
				k4 := deriv(x+float64(dt*k3), delayed(1))
				next = x + float64(float64(k1*dt)/6) + float64(float64(k2*dt)/3) + float64(float64(k3*dt)/3) + float64(float64(k4*dt)/6)
			}
			data[idx] = next
			now += dt
			x = next
			keep(t+dt, x, data[(i+1)%L], i+1)
		}
	} else {
		queue := hist // oldest first; a ring with head pointer
		head := 0
		for i := range steps {
			xtau := queue[head]
			queue[head] = x
			head = (head + 1) % len(queue)
			keep(float64(i)*dt, x, xtau, i)
			if o.Method == MackeyGlassEuler {
				x += float64(dt * deriv(x, xtau))
			} else {
				k1 := dt * deriv(x, xtau)
				k2 := dt * deriv(x+0.5*k1, xtau)
				k3 := dt * deriv(x+0.5*k2, xtau)
				k4 := dt * deriv(x+k3, xtau)
				x = x + k1/6 + k2/3 + k3/3 + k4/6
			}
		}
	}
	for i, v := range m.Xs {
		if !finite(v) {
			return nil, fmt.Errorf("%s: the series became %v at point %d (Dt %v too large, or x(t−Tau) < 0 with a non-integer N)", fn, v, i, o.Dt)
		}
	}
	return m, nil
}
