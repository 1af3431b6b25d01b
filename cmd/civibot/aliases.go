package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/civibot/civibot/aliases"
	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/evaluation"
)

// openAliases opens the aliases `civibot serve` uses: in Redis when it is
// configured, else in aliases.json in the data directory.
func openAliases(cfg config.Config) (st *aliases.Store, where string, closeFn func(), err error) {
	if usesRedis(cfg) {
		rdb, prefix, err := redisState(cfg)
		if err != nil {
			return nil, "", nil, err
		}
		st, err := aliases.NewRedis(rdb, prefix, aliases.Options{})
		if err != nil {
			rdb.Close()
			return nil, "", nil, err
		}
		return st, "Redis", func() { rdb.Close() }, nil
	}
	if err := os.MkdirAll(cfg.Security.DataDir, 0o700); err != nil {
		return nil, "", nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(cfg.Security.DataDir, aliases.FileName)
	return aliases.NewFile(path, aliases.Options{}), path, func() {}, nil
}

// aliasSyncEvery is how often serve looks for aliases accepted on another
// instance (or imported) and for a reloaded knowledge base.
const aliasSyncEvery = 10 * time.Second

// aliasSync keeps the knowledge base's aliases those of the store.
type aliasSync struct {
	store *aliases.Store
	live  *dialog.Live
	log   *slog.Logger

	mu      sync.Mutex
	version int64
	gen     string
	synced  bool
}

// sync sets the accepted aliases on the knowledge base when they or the
// knowledge base changed since the last time. Aliases of pages the
// knowledge base no longer has (an ingest removed them) are dropped from
// the store and reported; not while the sample city stands in for a
// knowledge base not ingested yet.
func (a *aliasSync) sync(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	v, err := a.store.Version(ctx)
	if err != nil {
		return err
	}
	gen := a.live.Generation()
	if a.synced && v == a.version && gen == a.gen {
		return nil
	}
	list, err := a.store.Accepted(ctx)
	if err != nil {
		return err
	}
	unknown := a.live.SetAliases(list)
	if len(unknown) > 0 && !a.live.Fallback() {
		n, err := a.store.Drop(ctx, unknown)
		if err != nil {
			return err
		}
		if n > 0 {
			a.log.WarnContext(ctx, "aliases of pages the knowledge base no longer has were dropped", "dropped", n, "generation", gen)
		}
		if v, err = a.store.Version(ctx); err != nil {
			return err
		}
	}
	a.version, a.gen, a.synced = v, gen, true
	a.log.InfoContext(ctx, "aliases in use", "aliases", len(list)-len(unknown))
	return nil
}

// run syncs every interval until ctx ends. Errors (Redis away) are logged
// once per failure spell; the knowledge base keeps the aliases it has.
func (a *aliasSync) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := a.sync(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			a.log.WarnContext(ctx, "aliases: cannot read the accepted aliases; the bot keeps those it has", "error", err)
			failing = true
		case err == nil && failing:
			a.log.InfoContext(ctx, "aliases: readable again")
			failing = false
		}
	}
}

const aliasesSynopsis = `list [--status pending|accepted|rejected]
       civibot aliases export [--out FILE]
       civibot aliases import FILE

What caseworkers taught: questions they answered with one of the city's
pages, suggested as aliases of that page and reviewed by an administrator
in the console (/console/aliases). export writes the accepted aliases as
JSONL ({"page_id", "text", "language"} a line; - or no --out: stdout);
import accepts the aliases of such a file (scrubbed of personal data like
suggestions; those already there are kept). Without Redis they live in
aliases.json in the data directory, which a running civibot serve reads;
with Redis (--redis-url or redis.url) in Redis. A running serve uses
imported aliases within 10 seconds.`

// runAliases lists, exports and imports aliases.
func runAliases(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "aliases", aliasesSynopsis)
	state := addStateFlags(fs, c)
	status := fs.String("status", "", "list: only these (pending, accepted or rejected)")
	out := fs.String("out", "-", "export: the file to write (- for stdout)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: say what to do: list, export or import", errUsage)
	}
	verb, rest := pos[0], pos[1:]
	switch {
	case verb == "import" && len(rest) != 1:
		return fmt.Errorf("%w: aliases import takes one FILE", errUsage)
	case (verb == "list" || verb == "export") && len(rest) != 0:
		return fmt.Errorf("%w: aliases %s takes no arguments", errUsage, verb)
	case verb != "list" && verb != "export" && verb != "import":
		fs.Usage()
		return fmt.Errorf("%w: unknown action %q: say list, export or import", errUsage, verb)
	}
	switch *status {
	case "", aliases.StatusPending, aliases.StatusAccepted, aliases.StatusRejected:
	default:
		return fmt.Errorf("%w: --status must be pending, accepted or rejected", errUsage)
	}
	cfg, err := state.load(c)
	if err != nil {
		return err
	}
	st, where, closeStore, err := openAliases(cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	switch verb {
	case "list":
		list, err := st.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tPAGE\tLANG\tCOUNT\tTEXT")
		for _, s := range list {
			if *status == "" || s.Status == *status {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", s.ID, s.Status, s.PageID, s.Language, s.Count, s.Text)
			}
		}
		return tw.Flush()
	case "export":
		list, err := st.Accepted(ctx)
		if err != nil {
			return err
		}
		w, done := c.stdout, func() error { return nil }
		if *out != "-" {
			f, err := os.OpenFile(*out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			w, done = f, f.Close
		}
		enc := json.NewEncoder(w)
		for _, a := range list {
			if err := enc.Encode(a); err != nil {
				done()
				return err
			}
		}
		if err := done(); err != nil {
			return err
		}
		if *out != "-" {
			fmt.Fprintf(c.stderr, "%d aliases written to %s (from %s)\n", len(list), *out, where)
		}
		return nil
	}
	list, err := evaluation.ReadAliases(rest[0])
	if err != nil {
		return err
	}
	added, err := st.Import(ctx, list, "import")
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%d aliases read, %d new, kept in %s\n", len(list), added, where)
	return nil
}
