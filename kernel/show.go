package kernel

import (
	"bytes"
	"fmt"
	"image"
	"image/png"

	"github.com/bpgo/bpgo/bpgo/visualize"
	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// InNotebook reports whether the program runs as a GoNB cell.
func InNotebook() bool { return gonbui.IsNotebook }

// Show displays a figure inline in the notebook: a *visualize.Figure, a *plot.Plot (drawn at
// 6×4 in), an image.Image, or PNG bytes. Outside a notebook it only checks that the figure
// renders, so scripts and tests can call it too.
func Show(fig any) error {
	data, err := toPNG(fig)
	if err != nil {
		return fmt.Errorf("kernel.Show: %w", err)
	}
	if gonbui.IsNotebook {
		gonbui.DisplayPng(data)
		// Wait until GoNB has taken the image: a cell that exits right after showing a figure
		// could otherwise end before the kernel reads it, and the figure would be missing.
		gonbui.Sync()
	}
	return nil
}

func toPNG(fig any) ([]byte, error) {
	switch f := fig.(type) {
	case *visualize.Figure:
		if f == nil {
			return nil, fmt.Errorf("figure is nil")
		}
		return f.PNG()
	case *plot.Plot:
		if f == nil {
			return nil, fmt.Errorf("plot is nil")
		}
		wt, err := f.WriterTo(6*vg.Inch, 4*vg.Inch, "png")
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		_, err = wt.WriteTo(&buf)
		return buf.Bytes(), err
	case image.Image:
		var buf bytes.Buffer
		err := png.Encode(&buf, f)
		return buf.Bytes(), err
	case []byte:
		if _, err := png.DecodeConfig(bytes.NewReader(f)); err != nil {
			return nil, fmt.Errorf("bytes are not a PNG image: %w", err)
		}
		return f, nil
	case nil:
		return nil, fmt.Errorf("figure is nil")
	}
	return nil, fmt.Errorf("cannot show a %T: want *visualize.Figure, *plot.Plot, image.Image or PNG bytes", fig)
}
