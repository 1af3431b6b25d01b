package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge"
)

// liveKB is the knowledge base serve answers from and the engine over it.
// After an ingest into knowledge.dir, Reload opens the new generation and
// swaps it in; turns in flight finish on the old one, which is closed
// after them. It implements the dialog service's responder.
type liveKB struct {
	cfg       config.Config
	src       kbSource
	retrieval func(time.Duration)
	reloaded  func(error)
	log       *slog.Logger

	cur atomic.Pointer[kbGeneration]
	mu  sync.Mutex // one reload at a time
}

// kbGeneration is one opened knowledge base. Turns hold mu for reading;
// closing takes it for writing, so it waits for them.
type kbGeneration struct {
	kb         *knowledge.KB
	engine     *dialog.Engine
	generation string // the manifest's generation; "" for the sample city

	mu     sync.RWMutex
	closed bool
}

// openLiveKB opens the configured knowledge base. retrieval times every
// search; reloaded is told about every reload attempt (both may be nil).
func openLiveKB(ctx context.Context, cfg config.Config, src kbSource, retrieval func(time.Duration), reloaded func(error), log *slog.Logger, warn io.Writer) (*liveKB, error) {
	l := &liveKB{cfg: cfg, src: src, retrieval: retrieval, reloaded: reloaded, log: log}
	if l.reloaded == nil {
		l.reloaded = func(error) {}
	}
	gen := ""
	if src.dir != "" {
		g, err := knowledge.CurrentGeneration(src.dir)
		if err != nil {
			return nil, err
		}
		gen = g
	}
	g, err := l.open(ctx, gen, warn)
	if err != nil {
		return nil, err
	}
	l.cur.Store(g)
	return l, nil
}

func (l *liveKB) open(ctx context.Context, gen string, warn io.Writer) (*kbGeneration, error) {
	kb, err := l.src.open(ctx, warn)
	if err != nil {
		return nil, err
	}
	var phraser dialog.Phraser
	if l.cfg.LLM.Enabled() {
		p, err := dialog.NewOpenAIPhraser(l.cfg.LLM, nil)
		if err != nil {
			kb.Close()
			return nil, err
		}
		phraser = p
	}
	engine, err := dialog.NewObservedEngine(l.cfg.Dialog, kb, phraser, l.log, l.retrieval)
	if err != nil {
		kb.Close()
		return nil, err
	}
	return &kbGeneration{kb: kb, engine: engine, generation: gen}, nil
}

// Respond answers a turn with the current knowledge base.
func (l *liveKB) Respond(ctx context.Context, t dialog.Turn) (dialog.Reply, error) {
	for {
		g := l.cur.Load()
		g.mu.RLock()
		if g.closed { // swapped and closed meanwhile: take the new one
			g.mu.RUnlock()
			continue
		}
		r, err := g.engine.Respond(ctx, t)
		g.mu.RUnlock()
		return r, err
	}
}

// Pages is the number of pages of the current knowledge base.
func (l *liveKB) Pages() int { return l.cur.Load().kb.Len() }

// Terms analyses text with the current knowledge base's analyser (for
// grouping questions in the analytics).
func (l *liveKB) Terms(text, lang string) []string {
	return l.cur.Load().kb.Analyzer().Terms(text, lang)
}

// Generation is the manifest generation being served ("" for the sample
// city).
func (l *liveKB) Generation() string { return l.cur.Load().generation }

// Reload opens knowledge.dir again if an ingest wrote a new generation
// since, and switches to it. It reports whether it switched. On an error
// the current knowledge base stays in service.
func (l *liveKB) Reload(ctx context.Context) (bool, error) {
	if l.src.dir == "" {
		return false, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	gen, err := knowledge.CurrentGeneration(l.src.dir)
	if err != nil {
		l.reloaded(err)
		return false, fmt.Errorf("knowledge: reload: %w", err)
	}
	old := l.cur.Load()
	if gen == old.generation {
		return false, nil
	}
	g, err := l.open(ctx, gen, io.Discard)
	if err != nil {
		l.reloaded(err)
		return false, fmt.Errorf("knowledge: reload %s: %w", gen, err)
	}
	l.cur.Store(g)
	old.close()
	l.reloaded(nil)
	return true, nil
}

// Close closes the current knowledge base.
func (l *liveKB) Close() error { return l.cur.Load().close() }

func (g *kbGeneration) close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	return g.kb.Close()
}

// watch reloads on every tick of interval (0: never) and on every signal
// from hup (SIGHUP), until ctx ends.
func (l *liveKB) watch(ctx context.Context, interval time.Duration, hup <-chan os.Signal) {
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		var why string
		select {
		case <-ctx.Done():
			return
		case <-tick:
			why = "new ingest"
		case <-hup:
			why = "SIGHUP"
		}
		switched, err := l.Reload(ctx)
		switch {
		case err != nil:
			l.log.ErrorContext(ctx, "knowledge reload failed; still serving the previous knowledge base", "trigger", why,
				"generation", l.Generation(), "error", err)
		case switched:
			l.log.InfoContext(ctx, "knowledge reloaded", "trigger", why, "generation", l.Generation(), "pages", l.Pages())
		case why == "SIGHUP":
			l.log.InfoContext(ctx, "knowledge unchanged", "generation", l.Generation())
		}
	}
}
