package datasets

import (
	"fmt"
	"math"
)

// LorenzOptions configure LorenzEq. Fields are used as given (Sigma: 0 is σ = 0); start from
// LorenzDefaults() for brainpy_datasets' defaults.
type LorenzOptions struct {
	Dt    float64 // integration step, > 0; default 0.001
	Sigma float64 // default 10
	Beta  float64 // default 8/3
	Rho   float64 // default 28
	// Inits are the initial x, y, z; default 8, 1, 1, which nil also means.
	Inits []float64
	// TextbookArithmetic evaluates RK4 in the order BrainPy's generated Python code writes it.
	// By default LorenzEq instead rounds exactly as that code does once JAX compiles it with XLA
	// for an x86-64 CPU (constants folded, multiply-adds fused), so the series is BrainPy's bit
	// for bit. The system is chaotic: any rounding difference grows into a different trajectory
	// within a few hundred steps, and the tutorials' numbers depend on which one you get.
	TextbookArithmetic bool
}

// LorenzDefaults returns brainpy_datasets' LorenzEq defaults: dt 0.001, σ 10, β 8/3, ρ 28,
// initial state (8, 1, 1), BrainPy's XLA rounding.
func LorenzDefaults() LorenzOptions {
	return LorenzOptions{Dt: 0.001, Sigma: 10, Beta: 8.0 / 3.0, Rho: 28, Inits: []float64{8, 1, 1}}
}

// Lorenz is a Lorenz trajectory: the state after each RK4 step (the initial condition itself is
// not in the series), like bd.chaos.LorenzEq's xs, ys, zs; Ts[i] = (i+1)·dt.
type Lorenz struct {
	Dt             float64
	Ts, Xs, Ys, Zs []float64
}

// Len is the number of time steps.
func (l *Lorenz) Len() int { return len(l.Ts) }

// LorenzEq integrates dx = σ(y − x), dy = x(ρ − z) − y, dz = xy − βz with classical RK4 at a
// fixed step for ceil(duration/dt) steps (NumPy's arange length), as brainpy_datasets'
// LorenzEq(duration, dt=0.001, sigma=10, beta=8/3, rho=28, method='rk4', inits=None) does,
// reproducing its float64 series exactly (see LorenzOptions.TextbookArithmetic).
func LorenzEq(duration float64, opts LorenzOptions) (*Lorenz, error) {
	dt := opts.Dt
	if !(dt > 0) || math.IsInf(dt, 0) {
		return nil, fmt.Errorf("datasets.LorenzEq: LorenzOptions.Dt: want a positive finite step, got %v (brainpy_datasets' default is 0.001: start from datasets.LorenzDefaults())", opts.Dt)
	}
	if !(duration > 0) || math.IsInf(duration, 0) {
		return nil, fmt.Errorf("datasets.LorenzEq: duration must be positive and finite, got %v", duration)
	}
	sigma, beta, rho := opts.Sigma, opts.Beta, opts.Rho
	for _, f := range []struct {
		name string
		v    float64
	}{{"Sigma", sigma}, {"Beta", beta}, {"Rho", rho}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return nil, fmt.Errorf("datasets.LorenzEq: LorenzOptions.%s must be finite, got %v", f.name, f.v)
		}
	}
	x, y, z := 8.0, 1.0, 1.0
	if opts.Inits != nil {
		if len(opts.Inits) != 3 {
			return nil, fmt.Errorf("datasets.LorenzEq: LorenzOptions.Inits must hold 3 values (x, y, z), got %d", len(opts.Inits))
		}
		x, y, z = opts.Inits[0], opts.Inits[1], opts.Inits[2]
		for _, v := range opts.Inits {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("datasets.LorenzEq: LorenzOptions.Inits must be finite, got %v", opts.Inits)
			}
		}
	}
	n := int(math.Ceil(duration / dt))
	if n > 1<<28 {
		return nil, fmt.Errorf("datasets.LorenzEq: duration/dt = %d steps is too many", n)
	}
	l := &Lorenz{Dt: dt, Ts: make([]float64, n), Xs: make([]float64, n), Ys: make([]float64, n), Zs: make([]float64, n)}
	step := rk4XLA
	if opts.TextbookArithmetic {
		step = rk4Textbook
	}
	p := lorenzParams{sigma: sigma, beta: beta, rho: rho, dt: dt}
	for i := range n {
		x, y, z = step(p, x, y, z)
		l.Ts[i] = float64(float64(i)*dt) + dt // the conversion forbids an FMA (GOAMD64=v3): NumPy rounds twice
		l.Xs[i], l.Ys[i], l.Zs[i] = x, y, z
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, fmt.Errorf("datasets.LorenzEq: the integration diverged (dt %v too large?)", dt)
	}
	return l, nil
}

type lorenzParams struct{ sigma, beta, rho, dt float64 }

// rk4Textbook is one RK4 step in the operation order of BrainPy's generated code:
// stage arguments y + dt*k*0.5, update y + k1*dt*1/6 + k2*dt*1/3 + k3*dt*1/3 + k4*dt*1/6.
func rk4Textbook(p lorenzParams, x, y, z float64) (float64, float64, float64) {
	dt := p.dt
	f := func(x, y, z float64) (float64, float64, float64) {
		return p.sigma * (y - x), x*(p.rho-z) - y, x*y - p.beta*z
	}
	upd := func(v, k1, k2, k3, k4 float64) float64 {
		return v + k1*dt*1/6 + k2*dt*1/3 + k3*dt*1/3 + k4*dt*1/6
	}
	k1x, k1y, k1z := f(x, y, z)
	k2x, k2y, k2z := f(x+dt*k1x*0.5, y+dt*k1y*0.5, z+dt*k1z*0.5)
	k3x, k3y, k3z := f(x+dt*k2x*0.5, y+dt*k2y*0.5, z+dt*k2z*0.5)
	k4x, k4y, k4z := f(x+dt*k3x, y+dt*k3y, z+dt*k3z)
	return upd(x, k1x, k2x, k3x, k4x), upd(y, k1y, k2y, k3y, k4y), upd(z, k1z, k2z, k3z, k4z)
}

// rk4XLA is the same step rounded as XLA compiles it for an x86-64 CPU with FMA (checked
// against the optimised HLO of brainpy_datasets' integrator and its output): XLA's algebraic
// simplifier folds chains of constant factors (σ·dt·0.5, dt·(1/6), division becomes
// multiplication by the reciprocal), and LLVM fuses every a + b·c into one fused multiply-add.
func rk4XLA(p lorenzParams, x, y, z float64) (float64, float64, float64) {
	dt := p.dt
	h, sh, sdt := dt*0.5, p.sigma*dt*0.5, p.sigma*dt
	c6, c3 := dt*(1.0/6), dt*(1.0/3)
	s6, s3 := p.sigma*dt*(1.0/6), p.sigma*dt*(1.0/3)
	// The derivative with σ folded out of dx (it is folded into the step constants above).
	der := func(x, y, z float64) (d, e, g float64) {
		return y - x, math.FMA(x, p.rho-z, -y), math.FMA(x, y, -(z * p.beta))
	}
	d1, e1, g1 := der(x, y, z)
	d2, e2, g2 := der(math.FMA(d1, sh, x), math.FMA(e1, h, y), math.FMA(g1, h, z))
	d3, e3, g3 := der(math.FMA(d2, sh, x), math.FMA(e2, h, y), math.FMA(g2, h, z))
	d4, e4, g4 := der(math.FMA(d3, sdt, x), math.FMA(e3, dt, y), math.FMA(g3, dt, z))
	x = math.FMA(d4, s6, math.FMA(d3, s3, math.FMA(d2, s3, math.FMA(d1, s6, x))))
	y = math.FMA(e4, c6, math.FMA(e3, c3, math.FMA(e2, c3, math.FMA(e1, c6, y))))
	z = math.FMA(g4, c6, math.FMA(g3, c3, math.FMA(g2, c3, math.FMA(g1, c6, z))))
	return x, y, z
}
