package kernel

import (
	"fmt"
	"html"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// Progress is a live progress line in a notebook cell: one HTML output that is updated in place
// (at most every MinInterval), so long training runs show where they are without flooding the
// cell. Outside a notebook it does nothing. It satisfies trainers.Progress.
type Progress struct {
	// MinInterval is the least time between two redraws (default 250 ms).
	MinInterval time.Duration

	title string
	id    string
	last  time.Time
	start time.Time
}

// NewProgress starts a progress line with a title, e.g. kernel.NewProgress("training").
func NewProgress(title string) *Progress {
	p := &Progress{MinInterval: 250 * time.Millisecond, title: title, start: time.Now()}
	if gonbui.IsNotebook {
		p.id = "bpgo-progress-" + gonbui.UniqueID()
		gonbui.UpdateHTML(p.id, p.html(0, -1, "starting"))
	}
	return p
}

// Update redraws the line: done steps of total (-1 if unknown) and a short status text.
func (p *Progress) Update(done, total int, text string) {
	if p.id == "" {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < p.MinInterval && (total < 0 || done < total) {
		return
	}
	p.last = now
	gonbui.UpdateHTML(p.id, p.html(done, total, text))
}

// Done replaces the line with a final text.
func (p *Progress) Done(text string) {
	if p.id == "" {
		return
	}
	gonbui.UpdateHTML(p.id, fmt.Sprintf(`<div style="font-family:monospace">%s: %s (%.1f s)</div>`,
		html.EscapeString(p.title), html.EscapeString(text), time.Since(p.start).Seconds()))
	gonbui.Sync() // the final line must reach the notebook even if the cell ends right after
}

func (p *Progress) html(done, total int, text string) string {
	bar := ""
	if total > 0 {
		pct := 100 * float64(done) / float64(total)
		bar = fmt.Sprintf(`<progress value="%d" max="%d" style="width:12em"></progress> %.0f%% `, done, total, pct)
	} else {
		bar = fmt.Sprintf("step %d ", done)
	}
	return fmt.Sprintf(`<div style="font-family:monospace">%s: %s· %s · %.1f s</div>`,
		html.EscapeString(p.title), bar, html.EscapeString(text), time.Since(p.start).Seconds())
}
