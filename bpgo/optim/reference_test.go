package optim_test

import "math"

// Plain Go float64 versions of BrainPy's update rules, run on the toy problem; lrAt(k, e)
// is the schedule's value at update k during epoch e.

type handConfig struct {
	epochs, steps int
	stepEpoch     bool
	lrAt          func(k, e int) float64
	wd            float64
}

func (c handConfig) run(update func(p, g []float64, lr float64, k, e int)) [][]float64 {
	p := append([]float64(nil), toyP0...)
	var out [][]float64
	k, e := 0, 0
	for ep := range c.epochs {
		for range c.steps {
			update(p, toyGrad(p), c.lrAt(k, e), k, e)
			out = append(out, append([]float64(nil), p...))
			k++
		}
		if c.stepEpoch {
			e = ep + 1
		}
	}
	return out
}

func (c handConfig) decay(p, update float64) float64 {
	if c.wd == 0 {
		return p - update
	}
	return (1-c.wd)*p - update
}

// handAdam: during epoch e (e = number of StepEpoch calls so far) last_epoch = e-1, so
// BrainPy's exponent last_epoch+2 is e+1; textbook Adam uses k+1 after k updates.
func handAdam(c handConfig, b1, b2, eps float64, textbook bool) [][]float64 {
	m := make([]float64, len(toyP0))
	v := make([]float64, len(toyP0))
	return c.run(func(p, g []float64, lr float64, k, e int) {
		n := float64(e + 1)
		if textbook {
			n = float64(k + 1)
		}
		lr /= 1 - math.Pow(b1, n)
		lr *= math.Sqrt(1 - math.Pow(b2, n))
		for i := range p {
			m[i] = b1*m[i] + (1-b1)*g[i]
			v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
			p[i] = c.decay(p[i], lr*m[i]/(math.Sqrt(v[i])+eps))
		}
	})
}

func handSGD(c handConfig) [][]float64 {
	return c.run(func(p, g []float64, lr float64, _, _ int) {
		for i := range p {
			p[i] = c.decay(p[i], lr*g[i])
		}
	})
}

func handMomentum(c handConfig, mom float64) [][]float64 {
	v := make([]float64, len(toyP0))
	return c.run(func(p, g []float64, lr float64, _, _ int) {
		for i := range p {
			v[i] = mom*v[i] - lr*g[i]
			if c.wd == 0 {
				p[i] += v[i]
			} else {
				p[i] = (1-c.wd)*p[i] + v[i]
			}
		}
	})
}

func handRMSProp(c handConfig, rho, eps float64) [][]float64 {
	cache := make([]float64, len(toyP0))
	return c.run(func(p, g []float64, lr float64, _, _ int) {
		for i := range p {
			cache[i] = rho*cache[i] + (1-rho)*g[i]*g[i]
			p[i] = c.decay(p[i], lr*g[i]/math.Sqrt(cache[i]+eps))
		}
	})
}

func constLR(lr float64) func(k, e int) float64 { return func(int, int) float64 { return lr } }

func expDecayLR(lr, steps, rate float64) func(k, e int) float64 {
	return func(k, _ int) float64 { return lr * math.Pow(rate, float64(k)/steps) }
}
