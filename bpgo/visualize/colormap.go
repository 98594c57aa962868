package visualize

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
)

// Colormap maps a value in [0, 1] to a colour, like a matplotlib colormap called on a
// normalised value; values outside [0, 1] are clipped.
type Colormap func(t float64) color.NRGBA

// Colormaps lists the names ColormapByName knows, each also with an "_r" suffix (reversed).
var Colormaps = []string{"bwr", "viridis", "gray", "RdBu"}

// ColormapByName returns matplotlib's colormap of that name: "bwr" (blue → white → red,
// linear), "viridis" (sequential, matplotlib's default), "gray" (black → white), "RdBu" (dark
// red → white → dark blue); a "_r" suffix reverses it, so "bwr_r" runs red → white → blue.
func ColormapByName(name string) (Colormap, error) {
	base, rev := strings.CutSuffix(name, "_r")
	var stops []color.NRGBA
	switch base {
	case "bwr":
		stops = []color.NRGBA{{0, 0, 255, 255}, {255, 255, 255, 255}, {255, 0, 0, 255}}
	case "gray":
		stops = []color.NRGBA{{0, 0, 0, 255}, {255, 255, 255, 255}}
	case "viridis":
		// Ten equally spaced samples of viridis; linear interpolation between them stays within
		// a few levels of the full 256-entry table.
		stops = hexStops("440154", "482878", "3e4989", "31688e", "26828e", "1f9e89", "35b779", "6ece58", "b5de2b", "fde725")
	case "RdBu":
		// ColorBrewer's 11-class RdBu, which matplotlib's RdBu interpolates.
		stops = hexStops("67001f", "b2182b", "d6604d", "f4a582", "fddbc7", "f7f7f7", "d1e5f0", "92c5de", "4393c3", "2166ac", "053061")
	default:
		return nil, fmt.Errorf("visualize.ColormapByName: unknown colormap %q; want one of %v, optionally with the suffix _r", name, Colormaps)
	}
	if rev {
		stops = slices.Clone(stops)
		slices.Reverse(stops)
	}
	return linearStops(stops), nil
}

func hexStops(hex ...string) []color.NRGBA {
	out := make([]color.NRGBA, len(hex))
	for i, h := range hex {
		var r, g, b uint8
		fmt.Sscanf(h, "%02x%02x%02x", &r, &g, &b)
		out[i] = color.NRGBA{r, g, b, 255}
	}
	return out
}

// linearStops interpolates linearly between equally spaced colour stops.
func linearStops(stops []color.NRGBA) Colormap {
	return func(t float64) color.NRGBA {
		if math.IsNaN(t) {
			t = 0
		}
		t = math.Max(0, math.Min(1, t)) * float64(len(stops)-1)
		i := min(int(t), len(stops)-2)
		f := t - float64(i)
		a, b := stops[i], stops[i+1]
		mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
		return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
	}
}
