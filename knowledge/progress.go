package knowledge

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress reports the phases of a build: a redrawn bar on a terminal,
// a line every few seconds (and at the end of a phase) otherwise. A nil
// *progress or one without a writer reports nothing.
type progress struct {
	w     io.Writer
	tty   bool
	phase string
	total int
	count int
	began time.Time
	last  time.Time
}

const (
	progressTTYEvery  = 100 * time.Millisecond
	progressLineEvery = 5 * time.Second
	progressBarWidth  = 30
)

func newProgress(w io.Writer) *progress {
	if w == nil {
		return nil
	}
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) start(phase string, total int) {
	if p == nil {
		return
	}
	p.phase, p.total, p.count = phase, total, 0
	p.began = time.Now()
	p.last = time.Time{}
	p.draw(true)
}

func (p *progress) step(n int) {
	if p == nil {
		return
	}
	p.count += n
	p.draw(false)
}

func (p *progress) done() {
	if p == nil {
		return
	}
	p.count = p.total
	p.draw(true)
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) draw(force bool) {
	now := time.Now()
	every := progressLineEvery
	if p.tty {
		every = progressTTYEvery
	}
	if !force && now.Sub(p.last) < every {
		return
	}
	p.last = now
	if !p.tty {
		// Lines: the start and the end of a phase, and every few seconds.
		if p.count == 0 || p.count == p.total || !force {
			fmt.Fprintf(p.w, "%s: %d/%d (%s)\n", p.phase, p.count, p.total, now.Sub(p.began).Round(time.Millisecond))
		}
		return
	}
	frac := 1.0
	if p.total > 0 {
		frac = float64(p.count) / float64(p.total)
	}
	fill := int(frac * progressBarWidth)
	fmt.Fprintf(p.w, "\r%-10s [%s%s] %3.0f%% %d/%d", p.phase,
		strings.Repeat("=", fill), strings.Repeat(" ", progressBarWidth-fill), frac*100, p.count, p.total)
}
