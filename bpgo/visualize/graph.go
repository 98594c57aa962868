package visualize

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Graph is a network of named nodes joined by feedforward and feedback edges, the input of
// NodeGraph (a model's node graph, described without importing the model).
type Graph struct {
	Nodes []GraphNode
	Edges []GraphEdge
}

// GraphNode is one node of a Graph.
type GraphNode struct {
	// Name labels the node and is how edges refer to it; names are unique.
	Name string
	// Trainable nodes are drawn orange, the others sky blue (BrainPy's colours).
	Trainable bool
	// Recurrent nodes (Reservoir, VanillaRNN, GRU, LSTM, NVAR) get a purple self-loop.
	Recurrent bool
}

// GraphEdge goes From one node To another, both by name. Feedforward edges must form no cycle
// (they set the left-to-right layout); feedback edges may go anywhere.
type GraphEdge struct {
	From, To string
	Feedback bool
}

// NodeGraphOptions configure NodeGraph; start from NodeGraphDefaults().
type NodeGraphOptions struct {
	// NodeSize is a node circle's area in points², as networkx's node_size.
	NodeSize float64
	// ArrowSize scales the arrow heads like networkx's arrowsize: a head is 0.4·ArrowSize
	// points long and 0.4·ArrowSize wide.
	ArrowSize float64
	// FontSize of the node labels, in points.
	FontSize float64
	// Legend lists the node kinds and edge kinds present (BrainPy's legend).
	Legend bool
}

// NodeGraphDefaults are model.plot_node_graph()'s: node_size=1000, arrow_size=20, networkx's
// 12-point labels, with a legend.
func NodeGraphDefaults() NodeGraphOptions {
	return NodeGraphOptions{NodeSize: 1000, ArrowSize: 20, FontSize: 12, Legend: true}
}

// BrainPy's plot_node_graph colours (matplotlib named colours).
var (
	graphTrainable    = color.NRGBA{0xff, 0xa5, 0x00, 0xff} // orange
	graphNontrainable = color.NRGBA{0x87, 0xce, 0xeb, 0xff} // skyblue
	graphFeedforward  = color.NRGBA{0x00, 0x80, 0x00, 0xff} // green
	graphFeedback     = color.NRGBA{0xff, 0x00, 0x00, 0xff} // red
	graphRecurrent    = color.NRGBA{0x80, 0x00, 0x80, 0xff} // purple
)

// NodeGraph draws g on ax, the counterpart of BrainPy's model.plot_node_graph(): nodes are
// labelled circles, trainable ones orange and the others sky blue; feedforward edges are straight
// green arrows, feedback edges red arrows bent to the side with fewer nodes in the way
// (matplotlib's arc3, rad=±0.3), and a
// recurrent node has a purple self-loop. Names are written in the circles, or below them all
// when one does not fit. Nodes are laid out left to right in layers by their
// longest feedforward path from a source (BrainPy uses networkx layouts instead); the nodes of
// one layer stack top to bottom in the order of g.Nodes. The axes are hidden. Readable at 5×5
// inches for up to about 5 layers of 4 nodes. An error is also kept by the figure.
func NodeGraph(ax *Axes, g Graph, opts NodeGraphOptions) error {
	const fn = "visualize.NodeGraph"
	if ax == nil {
		return fmt.Errorf("%s: ax is nil", fn)
	}
	switch {
	case !(opts.NodeSize > 0) || math.IsInf(opts.NodeSize, 0):
		return ax.fail(fmt.Errorf("%s: NodeGraphOptions.NodeSize: want a positive area in points², got %v", fn, opts.NodeSize))
	case !(opts.ArrowSize >= 0) || math.IsInf(opts.ArrowSize, 0):
		return ax.fail(fmt.Errorf("%s: NodeGraphOptions.ArrowSize: want >= 0, got %v", fn, opts.ArrowSize))
	case !(opts.FontSize > 0) || math.IsInf(opts.FontSize, 0):
		return ax.fail(fmt.Errorf("%s: NodeGraphOptions.FontSize: want a positive number of points, got %v", fn, opts.FontSize))
	case len(g.Nodes) == 0:
		return ax.fail(fmt.Errorf("%s: Graph.Nodes is empty", fn))
	}
	index := map[string]int{}
	for i, n := range g.Nodes {
		if n.Name == "" {
			return ax.fail(fmt.Errorf("%s: Graph.Nodes[%d].Name is empty", fn, i))
		}
		if j, dup := index[n.Name]; dup {
			return ax.fail(fmt.Errorf("%s: Graph.Nodes[%d] and [%d] are both named %q", fn, j, i, n.Name))
		}
		index[n.Name] = i
	}
	type edge struct {
		from, to int
		feedback bool
	}
	edges := make([]edge, len(g.Edges))
	for k, e := range g.Edges {
		from, ok1 := index[e.From]
		to, ok2 := index[e.To]
		switch {
		case !ok1:
			return ax.fail(fmt.Errorf("%s: Graph.Edges[%d].From: no node named %q", fn, k, e.From))
		case !ok2:
			return ax.fail(fmt.Errorf("%s: Graph.Edges[%d].To: no node named %q", fn, k, e.To))
		case from == to:
			return ax.fail(fmt.Errorf("%s: Graph.Edges[%d] joins %q to itself; mark the node Recurrent instead", fn, k, e.From))
		}
		edges[k] = edge{from, to, e.Feedback}
	}

	// Layers: longest feedforward path from a source (Bellman-Ford style relaxation; more than
	// len(Nodes) rounds of change means a feedforward cycle).
	layer := make([]int, len(g.Nodes))
	for round := 0; ; round++ {
		changed := false
		for _, e := range edges {
			if !e.feedback && layer[e.to] < layer[e.from]+1 {
				layer[e.to] = layer[e.from] + 1
				changed = true
			}
		}
		if !changed {
			break
		}
		if round >= len(g.Nodes) {
			return ax.fail(fmt.Errorf("%s: Graph.Edges: the feedforward edges form a cycle; mark the edge that closes it Feedback", fn))
		}
	}
	nLayers, perLayer := 0, map[int]int{}
	for _, l := range layer {
		nLayers = max(nLayers, l+1)
		perLayer[l]++
	}
	pos := make([]plotter.XY, len(g.Nodes))
	seen := map[int]int{}
	tallest := 0
	for i, l := range layer {
		m := perLayer[l]
		tallest = max(tallest, m)
		pos[i] = plotter.XY{X: float64(l), Y: float64(m-1)/2 - float64(seen[l])}
		seen[l]++
	}
	gp := &graphPlotter{pos: pos, radius: vg.Points(math.Sqrt(opts.NodeSize / math.Pi)), arrow: vg.Points(opts.ArrowSize)}
	gp.label = ax.P.Legend.TextStyle
	gp.label.Font.Size = vg.Points(opts.FontSize)
	gp.label.XAlign, gp.label.YAlign = draw.XCenter, draw.YCenter
	gp.label.Color = color.Black
	kinds := map[string]bool{}
	for _, n := range g.Nodes {
		gp.names = append(gp.names, n.Name)
		gp.fill = append(gp.fill, map[bool]color.Color{true: graphTrainable, false: graphNontrainable}[n.Trainable])
		gp.loop = append(gp.loop, n.Recurrent)
		kinds[map[bool]string{true: "Trainable", false: "Nontrainable"}[n.Trainable]] = true
		if n.Recurrent {
			kinds["Recurrent"] = true
		}
	}
	for _, e := range edges {
		gp.edges = append(gp.edges, [2]int{e.from, e.to})
		gp.feedback = append(gp.feedback, e.feedback)
		kinds[map[bool]string{true: "Feedback", false: "Feedforward"}[e.feedback]] = true
	}
	ax.P.Add(gp)
	ax.P.HideAxes()
	// Room around the nodes for labels, loops and arcs, and at the top for the legend.
	half := float64(tallest-1) / 2
	ax.P.X.Min, ax.P.X.Max = -0.6, float64(nLayers-1)+0.6
	ax.P.Y.Min, ax.P.Y.Max = -half-0.8, half+1.1
	if opts.Legend {
		ax.LegendLoc("upper right")
		for _, k := range []struct {
			name string
			c    color.Color
			node bool
		}{{"Trainable", graphTrainable, true}, {"Nontrainable", graphNontrainable, true},
			{"Feedforward", graphFeedforward, false}, {"Feedback", graphFeedback, false}, {"Recurrent", graphRecurrent, false}} {
			if !kinds[k.name] {
				continue
			}
			if k.node {
				ax.P.Legend.Add(k.name, legendDot{c: k.c})
			} else {
				ax.P.Legend.Add(k.name, legendLine{c: k.c})
			}
		}
	}
	return nil
}

type legendDot struct{ c color.Color }

func (d legendDot) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(draw.GlyphStyle{Color: d.c, Radius: vg.Points(5), Shape: draw.CircleGlyph{}}, c.Center())
}

type legendLine struct{ c color.Color }

func (l legendLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle{Color: l.c, Width: vg.Points(1.5)}, c.Min.X, y, c.Max.X, y)
}

// graphPlotter draws the nodes, edges and labels of a laid-out graph.
type graphPlotter struct {
	pos      []plotter.XY
	names    []string
	fill     []color.Color
	loop     []bool
	edges    [][2]int
	feedback []bool
	radius   vg.Length
	arrow    vg.Length
	label    draw.TextStyle
}

func (gp *graphPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	at := func(i int) vg.Point { return vg.Point{X: trX(gp.pos[i].X), Y: trY(gp.pos[i].Y)} }
	width := vg.Points(1.5)
	for k, e := range gp.edges {
		a, b := at(e[0]), at(e[1])
		var path []vg.Point
		col := graphFeedforward
		if gp.feedback[k] {
			// matplotlib's arc3: a quadratic curve whose control point is off the midpoint by
			// rad·(dy, −dx), rad = 0.3; of the two sides, the one passing fewer other nodes
			// (networkx always takes +0.3, and may run through a node in between).
			col = graphFeedback
			path = nil
			best := -1
			for _, rad := range []vg.Length{0.3, -0.3} {
				d := b.Sub(a)
				ctl := vg.Point{X: (a.X+b.X)/2 + rad*d.Y, Y: (a.Y+b.Y)/2 - rad*d.X}
				// The same curve as a cubic: its control points are 2/3 of the way to ctl.
				cand := bezier(a, a.Add(ctl.Sub(a).Scale(2.0/3)), b.Add(ctl.Sub(b).Scale(2.0/3)), b)
				hits := 0
				for i := range gp.pos {
					if i == e[0] || i == e[1] {
						continue
					}
					for _, p := range cand {
						if q := p.Sub(at(i)); math.Hypot(float64(q.X), float64(q.Y)) < 1.3*float64(gp.radius) {
							hits++
						}
					}
				}
				if best < 0 || hits < best {
					path, best = cand, hits
				}
			}
		} else {
			path = []vg.Point{a, b}
		}
		gp.arrowPath(&c, trim(path, a, b, gp.radius), col, width)
	}
	for i := range gp.pos {
		if !gp.loop[i] {
			continue
		}
		o, r := at(i), gp.radius
		dir := func(deg float64) vg.Point {
			rad := deg * math.Pi / 180
			return vg.Point{X: o.X + r*vg.Length(math.Cos(rad)), Y: o.Y + r*vg.Length(math.Sin(rad))}
		}
		path := bezier(dir(60), vg.Point{X: o.X + 1.5*r, Y: o.Y + 2.6*r}, vg.Point{X: o.X - 1.5*r, Y: o.Y + 2.6*r}, dir(120))
		gp.arrowPath(&c, path, graphRecurrent, width)
	}
	// Names go in the circles, or, if one does not fit, all below them, clear of the arrows.
	below := false
	for _, name := range gp.names {
		below = below || gp.label.Width(name) > 1.8*gp.radius
	}
	for i := range gp.pos {
		o := at(i)
		c.DrawGlyph(draw.GlyphStyle{Color: gp.fill[i], Radius: gp.radius, Shape: draw.CircleGlyph{}}, o)
		sty, pt := gp.label, o
		if below {
			sty.YAlign = draw.YTop
			pt.Y -= gp.radius + vg.Points(2)
		}
		c.FillText(sty, pt, gp.names[i])
	}
}

// arrowPath strokes path and puts an arrow head at its end.
func (gp *graphPlotter) arrowPath(c *draw.Canvas, path []vg.Point, col color.Color, width vg.Length) {
	if len(path) < 2 {
		return
	}
	end := path[len(path)-1]
	prev := path[len(path)-2]
	d := end.Sub(prev)
	n := vg.Length(math.Hypot(float64(d.X), float64(d.Y)))
	if n == 0 || gp.arrow == 0 {
		c.StrokeLines(draw.LineStyle{Color: col, Width: width}, path)
		return
	}
	ux, uy := d.X/n, d.Y/n
	hl, hw := 0.4*gp.arrow, 0.2*gp.arrow
	base := vg.Point{X: end.X - ux*hl, Y: end.Y - uy*hl}
	// Stop the line at the head's base so its end does not poke through the tip.
	line := append(append([]vg.Point(nil), path[:len(path)-1]...), base)
	c.StrokeLines(draw.LineStyle{Color: col, Width: width}, line)
	c.FillPolygon(col, []vg.Point{end, {X: base.X - uy*hw, Y: base.Y + ux*hw}, {X: base.X + uy*hw, Y: base.Y - ux*hw}})
}

// bezier samples a cubic Bézier curve.
func bezier(p0, p1, p2, p3 vg.Point) []vg.Point {
	const n = 40
	out := make([]vg.Point, n+1)
	for i := range out {
		t := vg.Length(float64(i) / n)
		u := 1 - t
		out[i] = vg.Point{
			X: u*u*u*p0.X + 3*u*u*t*p1.X + 3*u*t*t*p2.X + t*t*t*p3.X,
			Y: u*u*u*p0.Y + 3*u*u*t*p1.Y + 3*u*t*t*p2.Y + t*t*t*p3.Y,
		}
	}
	return out
}

// trim drops the parts of path inside the circles of radius r around a and b, ending exactly
// on the circles for straight segments.
func trim(path []vg.Point, a, b vg.Point, r vg.Length) []vg.Point {
	dist := func(p, q vg.Point) vg.Length { d := p.Sub(q); return vg.Length(math.Hypot(float64(d.X), float64(d.Y))) }
	if len(path) == 2 {
		d := dist(a, b)
		if d <= 2*r {
			return nil
		}
		u := b.Sub(a).Scale(1 / d)
		return []vg.Point{a.Add(u.Scale(r)), b.Sub(u.Scale(r))}
	}
	var out []vg.Point
	for _, p := range path {
		if dist(p, a) >= r && dist(p, b) >= r {
			out = append(out, p)
		}
	}
	return out
}
