package dialog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civibot/civibot/knowledge"
)

// Live is the knowledge base a server answers from and the engine over
// it. After an ingest wrote a new generation into its directory, Reload
// opens that and swaps it in; turns in flight finish on the old one, which
// is closed after them. Service calls it like an Engine.
type Live struct {
	opts LiveOptions

	cur atomic.Pointer[liveGeneration]
	mu  sync.Mutex // one reload at a time
	// aliases are the accepted aliases (SetAliases), set on every
	// generation opened after them too.
	aliases atomic.Pointer[[]knowledge.Alias]
}

// LiveOptions says how Live opens a knowledge base and builds its engine.
type LiveOptions struct {
	// Dir is the knowledge base's directory (knowledge.dir); "" for one
	// built in memory (the sample city, imported pages): never reloaded.
	Dir string
	// Open opens the knowledge base (for Dir, its current generation);
	// import warnings go to warn.
	Open func(ctx context.Context, warn io.Writer) (*knowledge.KB, error)
	// Engine builds the engine over an opened knowledge base.
	Engine func(kb *knowledge.KB) (*Engine, error)
	// Fallback, when set, opens the knowledge base served while Dir holds
	// none yet (knowledge.ErrNoKB; the sample city): Live serves it and
	// switches to Dir's at the first reload after an ingest wrote one.
	Fallback func(ctx context.Context, warn io.Writer) (*knowledge.KB, error)
	// Reloaded is told about every reload attempt (nil: nobody).
	Reloaded func(error)
	// Log gets what Watch did (nil: discarded).
	Log *slog.Logger
}

// liveGeneration is one opened knowledge base. Turns hold mu for reading;
// closing takes it for writing, so it waits for them.
type liveGeneration struct {
	kb         *knowledge.KB
	engine     *Engine
	generation string // the manifest's generation; "" without Dir
	fallback   bool   // the fallback, served while Dir holds no knowledge base

	mu     sync.RWMutex
	closed bool
}

// OpenLive opens the knowledge base and builds its engine. Import warnings
// go to warn.
func OpenLive(ctx context.Context, opts LiveOptions, warn io.Writer) (*Live, error) {
	if opts.Open == nil || opts.Engine == nil {
		return nil, fmt.Errorf("dialog: open live knowledge: Open and Engine are required")
	}
	if opts.Reloaded == nil {
		opts.Reloaded = func(error) {}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	l := &Live{opts: opts}
	gen := ""
	if opts.Dir != "" {
		g, err := knowledge.CurrentGeneration(opts.Dir)
		if errors.Is(err, knowledge.ErrNoKB) && opts.Fallback != nil {
			opts.Log.WarnContext(ctx, "no knowledge base in knowledge.dir yet: serving the fallback (the bundled sample city) until civibot ingest writes one",
				"dir", opts.Dir)
			fb, err := l.openWith(ctx, opts.Fallback, "", warn)
			if err != nil {
				return nil, err
			}
			fb.fallback = true
			l.cur.Store(fb)
			return l, nil
		}
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

func (l *Live) open(ctx context.Context, gen string, warn io.Writer) (*liveGeneration, error) {
	return l.openWith(ctx, l.opts.Open, gen, warn)
}

func (l *Live) openWith(ctx context.Context, open func(context.Context, io.Writer) (*knowledge.KB, error), gen string, warn io.Writer) (*liveGeneration, error) {
	kb, err := open(ctx, warn)
	if err != nil {
		return nil, err
	}
	engine, err := l.opts.Engine(kb)
	if err != nil {
		kb.Close()
		return nil, err
	}
	if a := l.aliases.Load(); a != nil {
		if unknown := kb.SetAliases(*a); len(unknown) > 0 {
			l.opts.Log.WarnContext(ctx, "aliases of pages this knowledge base does not have are not used", "aliases", len(unknown))
		}
	}
	return &liveGeneration{kb: kb, engine: engine, generation: gen}, nil
}

// Respond answers a turn with the current knowledge base.
func (l *Live) Respond(ctx context.Context, t Turn) (Reply, error) {
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
func (l *Live) Pages() int { return l.cur.Load().kb.Len() }

// Terms analyses text with the current knowledge base's analyser (for
// grouping questions in the analytics).
func (l *Live) Terms(text, lang string) []string {
	return l.cur.Load().kb.Analyzer().Terms(text, lang)
}

// SetAliases makes aliases searchable in the current knowledge base and
// in every one a reload opens after it. It returns the aliases of pages
// the current knowledge base does not have (an ingest removed them).
func (l *Live) SetAliases(aliases []knowledge.Alias) (unknown []knowledge.Alias) {
	a := slices.Clone(aliases)
	l.mu.Lock() // no reload opens a generation meanwhile with the old list
	defer l.mu.Unlock()
	l.aliases.Store(&a)
	return l.cur.Load().kb.SetAliases(a)
}

// Page returns the page a caseworker names by its id or its address.
func (l *Live) Page(ref string) (knowledge.Page, bool) {
	kb := l.cur.Load().kb
	p, ok := kb.Page(ref)
	if !ok {
		p, ok = kb.PageByURL(ref)
	}
	if !ok {
		return knowledge.Page{}, false
	}
	return *p, true
}

// Fallback reports whether the fallback is served (knowledge.dir holds no
// knowledge base yet).
func (l *Live) Fallback() bool { return l.cur.Load().fallback }

// Generation is the manifest generation being served ("" without Dir).
func (l *Live) Generation() string { return l.cur.Load().generation }

// Reload opens Dir again if an ingest wrote a new generation since, and
// switches to it. It reports whether it switched. On an error the current
// knowledge base stays in service.
func (l *Live) Reload(ctx context.Context) (bool, error) {
	if l.opts.Dir == "" {
		return false, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	gen, err := knowledge.CurrentGeneration(l.opts.Dir)
	old := l.cur.Load()
	if errors.Is(err, knowledge.ErrNoKB) && old.fallback {
		return false, nil // still waiting for the first ingest
	}
	if err != nil {
		l.opts.Reloaded(err)
		return false, fmt.Errorf("knowledge: reload: %w", err)
	}
	if gen == old.generation && !old.fallback {
		return false, nil
	}
	g, err := l.open(ctx, gen, io.Discard)
	if err != nil {
		l.opts.Reloaded(err)
		return false, fmt.Errorf("knowledge: reload %s: %w", gen, err)
	}
	l.cur.Store(g)
	old.close()
	l.opts.Reloaded(nil)
	return true, nil
}

// Close closes the current knowledge base.
func (l *Live) Close() error { return l.cur.Load().close() }

func (g *liveGeneration) close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	return g.kb.Close()
}

// Watch reloads on every tick of interval (0: never) and on every signal
// from hup (SIGHUP), until ctx ends.
func (l *Live) Watch(ctx context.Context, interval time.Duration, hup <-chan os.Signal) {
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	log := l.opts.Log
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
			log.ErrorContext(ctx, "knowledge reload failed; still serving the previous knowledge base", "trigger", why,
				"generation", l.Generation(), "error", err)
		case switched:
			log.InfoContext(ctx, "knowledge reloaded", "trigger", why, "generation", l.Generation(), "pages", l.Pages())
		case why == "SIGHUP":
			log.InfoContext(ctx, "knowledge unchanged", "generation", l.Generation())
		}
	}
}
