package models_test

import (
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
)

// leakyPost stands in for a neuron group: V ← 0.9·V + I, V reset to 0.5; Update returns V.
type leakyPost struct {
	Size int
	V    *bpgo.Variable
}

func newLeakyPost(n int) *leakyPost {
	return &leakyPost{Size: n, V: bpgo.NewState(bpgo.Zeros(1, n), 0)}
}

func (p *leakyPost) ResetState(batch int) {
	v := make([]float64, batch*p.Size)
	for i := range v {
		v[i] = 0.5
	}
	p.V.Reset(bpgo.Must1(bpgo.FromFloat64s(p.V.Value().DType(), v, batch, p.Size)))
}

func (p *leakyPost) Update(ctx *bpgo.Context, current *graph.Node) *graph.Node {
	v := graph.Add(graph.MulScalar(ctx.Value(p.V), 0.9), current)
	ctx.Set(p.V, v)
	return v
}

// noVPost has a size but no membrane potential.
type noVPost struct{ Size int }

func (*noVPost) Update(_ *bpgo.Context, x *graph.Node) *graph.Node { return x }

// projNet is pre spikes → HalfProjAlignPost → post, returning the projection's current. The
// projection comes first, so the post's variables would be reached through it first if the
// projection's post field were walked.
type projNet struct {
	P    *models.HalfProjAlignPost
	Post *leakyPost
}

func (m *projNet) Update(ctx *bpgo.Context, spikes *graph.Node) *graph.Node {
	i := m.P.Update(ctx, spikes)
	m.Post.Update(ctx, i)
	return i
}

// TestHalfProjAlignPost: CUBA current = g and COBA current = g·(E − V) with V the post's
// potential before its update, against a plain-Go loop.
func TestHalfProjAlignPost(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const T, B, in, out, dt, E = 9, 2, 5, 3, 1.0, 2.0
	xs := spikeSteps(4, T, B, in, 0.4)
	coba := bpgo.Must1(models.NewCOBA(E))
	for _, useCOBA := range []bool{false, true} {
		bpgo.SetSeed(12)
		lin := bpgo.Must1(models.NewLinear(in, out, models.DenseOptions{WInit: initializers.KaimingNormal{Scale: 2}}))
		syn := bpgo.Must1(models.NewExpon(out, models.ExponOptions{Tau: 5}))
		post := newLeakyPost(out)
		var so models.SynOut = models.NewCUBA()
		if useCOBA {
			so = coba
		}
		proj, err := models.NewHalfProjAlignPost(lin, syn, so, post)
		if err != nil {
			t.Fatal(err)
		}
		if proj.Post() != bpgo.Stepper(post) || proj.OutSize() != out {
			t.Errorf("Post()/OutSize() = %v/%d", proj.Post(), proj.OutSize())
		}
		net := &projNet{P: proj, Post: post}
		r := bpgo.Must1(bpgo.NewRunner(net, bpgo.RunnerOptions{Dt: dt, Monitors: []string{"Post.V"}}))
		got := unpack(bpgo.Must1(r.Run(seqTensor(t, xs), bpgo.RunOptions{ResetState: true})))
		mon := unpack(r.Mon["Post.V"])
		w := lin.W.Float64s()
		for b := range B {
			g := make([]float64, out)
			v := []float64{0.5, 0.5, 0.5}
			for ti := range T {
				for j := range out {
					y := 0.0
					for i := range in {
						y += xs[ti][b][i] * w[i*out+j]
					}
					g[j] = g[j]*0.8187307530779818 + y // e^{-1/5}
					cur := g[j]
					if useCOBA {
						cur = g[j] * (E - v[j])
					}
					v[j] = 0.9*v[j] + cur
					near(t, "current", got[ti][b][j], cur, 1e-12)
					near(t, "post V", mon[ti][b][j], v[j], 1e-12)
				}
			}
		}
	}
}

func TestHalfProjAlignPostErrors(t *testing.T) {
	lin := bpgo.Must1(models.NewLinear(4, 3, models.DenseOptions{}))
	syn3 := bpgo.Must1(models.NewExpon(3, models.ExponDefaults()))
	syn5 := bpgo.Must1(models.NewExpon(5, models.ExponDefaults()))
	cuba := models.NewCUBA()
	coba := bpgo.Must1(models.NewCOBA(0))
	var nilPost *leakyPost
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(models.NewHalfProjAlignPost(lin, syn5, cuba, newLeakyPost(5))), "comm outputs 3 values (*models.Dense) but syn has size 5"},
		{second(models.NewHalfProjAlignPost(lin, syn3, cuba, newLeakyPost(4))), "syn has size 3 (*models.Expon) but post has size 4"},
		{second(models.NewHalfProjAlignPost(nil, syn3, cuba, newLeakyPost(3))), "comm is nil"},
		{second(models.NewHalfProjAlignPost(lin, nil, cuba, newLeakyPost(3))), "syn is nil"},
		{second(models.NewHalfProjAlignPost(lin, syn3, nil, newLeakyPost(3))), "out is nil"},
		{second(models.NewHalfProjAlignPost(lin, syn3, cuba, nilPost)), "post is nil"},
		{second(models.NewHalfProjAlignPost(lin, syn3, coba, &noVPost{Size: 3})), "needs the post-synaptic membrane potential"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("got error %v, want one mentioning %q", c.err, c.want)
		}
	}
	// CUBA does not need V; a Sequential comm is sized by its last module.
	seq := bpgo.Must1(models.NewSequential(lin))
	if _, err := models.NewHalfProjAlignPost(seq, syn3, cuba, &noVPost{Size: 3}); err != nil {
		t.Errorf("CUBA onto a group without V: %v", err)
	}
}
