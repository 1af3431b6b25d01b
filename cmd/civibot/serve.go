package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/aliases"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/channels/webchat"
	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/web"
	"github.com/civibot/civibot/web/console"
)

// stringList is a repeatable string flag (--set a=b --set c=d).
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ", ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// runServe serves the web chat (and, as they are wired in, the other
// channels and the console) until SIGTERM or SIGINT.
func runServe(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "serve", "[flags]")
	cfgPath := fs.String("config", c.getenv("CIVIBOT_CONFIG"), "config file (YAML); also CIVIBOT_CONFIG")
	addr := fs.String("addr", "", "listen address, e.g. :8080 (default: server.addr from config, 127.0.0.1:8080)")
	kbDir := fs.String("kb", "", "knowledge `dir` written by civibot ingest (default: knowledge.dir from config, else the sample city)")
	var sets stringList
	fs.Var(&sets, "set", "override one option, e.g. --set redis.url=redis://localhost:6379/0 (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	cfg, err := config.Load(*cfgPath, c.getenv)
	if err != nil {
		return err
	}
	for _, s := range sets {
		if err := cfg.Set(s); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	if *kbDir != "" {
		cfg.Knowledge.Dir = *kbDir
	}
	cfg.Dialog.CityName = cfg.City.Name
	if err := cfg.Validate(); err != nil {
		return err
	}
	log, err := newLogger(cfg.Log, c.stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log, c.stdout, c.stderr)
}

// serve wires civibot together and serves on server.addr until ctx ends.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout, stderr io.Writer) error {
	return serveWith(ctx, cfg, log, stdout, stderr, func() (net.Listener, error) { return net.Listen("tcp", cfg.Server.Addr) })
}

// serveWith is serve on the listener listen returns once everything is
// wired (tests run several instances on listeners of their own).
func serveWith(ctx context.Context, cfg config.Config, log *slog.Logger, stdout, stderr io.Writer, listen func() (net.Listener, error)) (err error) {
	// Background work (the handoff watcher, …) stops with ctx and is waited for.
	ctx, stop := context.WithCancel(ctx)
	var background sync.WaitGroup
	defer background.Wait()
	defer stop()

	c := &core{cfg: cfg, log: log, stdout: stdout, background: &background, ops: newOperations(cfg, log)}
	defer c.close()
	if err := c.openState(ctx, stderr); err != nil {
		return err
	}
	if err := c.build(ctx); err != nil {
		return err
	}
	srv, err := c.mount(ctx)
	if err != nil {
		return err
	}

	// The handoff watcher may deliver to any channel (a reclaimed entry's
	// notice): start it once every channel has registered its sender.
	background.Add(1)
	go func() {
		defer background.Done()
		if err := c.desk.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.ErrorContext(ctx, "handoff watcher stopped", "error", err)
		}
	}()

	ln, err := listen()
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on %s: %w (another program uses the port: stop it, or choose another with --addr, CIVIBOT_SERVER_ADDR or make run ADDR=127.0.0.1:9000)", cfg.Server.Addr, err)
	}
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Addr, err)
	}
	log.InfoContext(ctx, "listening", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "civibot is running: open %s\n", localURL(ln.Addr()))
	fmt.Fprintf(stdout, "caseworker console: %sconsole/\n", localURL(ln.Addr()))
	return srv.Serve(ctx, ln)
}

// core is what serve wires: the state, the dialog service and the handoff
// desk, and what every channel is given.
type core struct {
	cfg        config.Config
	log        *slog.Logger
	stdout     io.Writer
	background *sync.WaitGroup // background work, stopped with serve's ctx
	ops        *operations     // metrics and analytics (observe.go)
	closers    []func() error  // run by close, last opened first

	// openState
	engine *dialog.Live // knowledge and the dialog engine, reloaded after an ingest
	store  backend
	queue  handoff.Queue
	accts  *accounts.Store
	alias  *aliases.Store        // what caseworkers taught
	rdb    redis.UniversalClient // nil without Redis

	// build
	registry *channels.Registry
	desk     *handoff.Desk
	svc      *dialog.Service
}

// close closes what openState opened.
func (c *core) close() {
	for i := len(c.closers) - 1; i >= 0; i-- {
		c.closers[i]()
	}
}

// openState opens the knowledge base (reloaded after an ingest) and the
// conversations, the handoff queue and caseworker accounts: in memory for
// one instance, in Redis for several.
func (c *core) openState(ctx context.Context, stderr io.Writer) (err error) {
	cfg, log := c.cfg, c.log
	src := kbSource{dir: cfg.Knowledge.Dir, embedder: cfg.Knowledge.Embedder, lexicon: cfg.Knowledge.Lexicon, dictionary: cfg.Knowledge.DictionaryPath()}
	log.InfoContext(ctx, "loading knowledge", "source", src.describe())
	if c.engine, err = openLiveKB(ctx, cfg, src, c.ops.metrics.Retrieval, c.ops.metrics.Reloaded, log, stderr); err != nil {
		return fmt.Errorf("load %s: %w", src.describe(), err) // err names the package once
	}
	c.closers = append(c.closers, c.engine.Close)
	if src.dir != "" {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		c.closers = append(c.closers, func() error { signal.Stop(hup); return nil })
		c.background.Add(1)
		go func() {
			defer c.background.Done()
			c.engine.Watch(ctx, cfg.Knowledge.ReloadInterval, hup)
		}()
	}

	if cfg.Redis.URL != "" || len(cfg.Redis.Addrs) > 0 {
		if c.rdb, err = conversation.NewRedisClient(cfg.Redis); err != nil {
			return err
		}
		c.closers = append(c.closers, c.rdb.Close)
		c.ops.watchRedis(c.rdb)
		prefix := cfg.Redis.KeyPrefix()
		c.store = conversation.NewRedis(c.rdb, cfg.StoreOptions())
		if err := c.ops.startAnalytics(c.rdb, prefix, c.engine.Terms); err != nil {
			return err
		}
		if c.queue, err = handoff.NewRedisQueue(c.rdb, prefix); err != nil {
			return err
		}
		if c.accts, err = accounts.NewRedis(cfg.Handoff.Accounts, c.rdb, prefix, c.ops.accountsOptions()); err != nil {
			return err
		}
		if c.alias, err = aliases.NewRedis(c.rdb, prefix, aliases.Options{}); err != nil {
			return err
		}
		log.InfoContext(ctx, "state in redis", "prefix", prefix)
		return nil
	}
	c.store = conversation.NewMemory(cfg.StoreOptions())
	c.queue = handoff.NewMemoryQueue()
	if err := c.ops.startAnalytics(nil, "", c.engine.Terms); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Security.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if c.accts, err = accounts.NewMemory(cfg.Handoff.Accounts, filepath.Join(cfg.Security.DataDir, accounts.FileName), c.ops.accountsOptions()); err != nil {
		return err
	}
	c.alias = aliases.NewFile(filepath.Join(cfg.Security.DataDir, aliases.FileName), aliases.Options{})
	log.WarnContext(ctx, "state in memory (one instance; set redis.url for several): "+memoryStateLost)
	c.closers = append(c.closers, func() error { log.Warn("shutting down with state in memory: " + memoryStateLost); return nil })
	return nil
}

// build makes the outbound delivery per channel (Telegram and Twilio
// register here), the handoff desk and the dialog service every channel
// calls.
func (c *core) build(ctx context.Context) (err error) {
	c.store, c.queue = c.ops.wrapStore(c.store), c.ops.wrapQueue(c.queue)
	c.ops.run(ctx, c.background)
	c.registry = channels.NewRegistry()
	if c.desk, err = handoff.New(c.cfg.Handoff, handoff.Options{State: c.store, Queue: c.queue, Registry: c.registry, Users: c.accts, Log: c.log}); err != nil {
		return err
	}
	// What caseworkers taught: the accepted aliases now, and those accepted
	// or imported later (on any instance) within aliasSyncEvery.
	as := &aliasSync{store: c.alias, live: c.engine, log: c.log}
	if err := as.sync(ctx); err != nil {
		c.log.WarnContext(ctx, "aliases: cannot read the accepted aliases yet; retrying", "error", err)
	}
	c.background.Add(1)
	go func() {
		defer c.background.Done()
		as.run(ctx, aliasSyncEvery)
	}()
	c.svc, err = dialog.NewService(dialog.ServiceConfig{DefaultLanguage: c.cfg.Dialog.DefaultLanguage},
		dialog.ServiceOptions{Engine: c.engine, Store: c.store, Bus: c.store, Desk: c.desk, Log: c.log, Observers: c.ops.observers()})
	return err
}

// mount builds the HTTP server with the web chat, the other channels, the
// console and the metrics on it.
func (c *core) mount(ctx context.Context) (*web.Server, error) {
	cfg, log := c.cfg, c.log
	srv, err := web.New(cfg.Server, cfg.City, log)
	if err != nil {
		return nil, err
	}
	srv.AddReadiness("store", storeReady(c.store))

	chat, err := webchat.New(cfg.Webchat, c.svc, webchat.Options{
		AllowedOrigins: cfg.Server.AllowedOrigins, PublicURL: cfg.Server.PublicURL,
		Names: accountNames{c.accts}, Log: log, Usage: webchatUsage(c.rdb, cfg.Redis.KeyPrefix()),
	})
	if err != nil {
		return nil, err
	}
	srv.Handle("GET /ws", chat)
	srv.OnShutdown("webchat", chat.Shutdown)
	// The key that turns chat ids, phone numbers and mail threads into
	// conversation ids.
	var idKey []byte
	if cfg.Telegram.Enabled || cfg.Twilio.Enabled || cfg.Email.Enabled {
		if idKey, err = installationKey(ctx, cfg.Security, c.rdb, cfg.Redis.KeyPrefix()); err != nil {
			return nil, err
		}
		if c.rdb != nil && cfg.Security.IDKey == "" {
			keepInstallationKey(ctx, c.rdb, cfg.Redis.KeyPrefix(), idKey, idKeyCheckEvery, c.background, log)
		}
	}
	if err := serveTwilio(ctx, c, c.ops.webhooks(srv, "twilio", "bad_signature"), idKey); err != nil {
		return nil, err
	}
	if err := serveEmail(ctx, c, idKey); err != nil {
		return nil, err
	}
	if err := serveTelegram(ctx, c, c.ops.webhooks(srv, conversation.ChannelTelegram, "bad_secret"), idKey); err != nil {
		return nil, err
	}

	// The caseworker console.
	con, err := console.New(cfg.Console, console.Options{
		Desk: c.desk, Accounts: c.accts, Store: c.store, Bus: c.store,
		PublicURL: cfg.Server.PublicURL, TrustProxy: cfg.Server.TrustProxy, Log: log,
		MaxTextChars: cfg.Handoff.MaxTextChars, SessionMax: cfg.Handoff.Accounts.SessionMax,
		Analytics: c.ops.consoleAnalytics(), Ephemeral: !usesRedis(cfg),
		Teacher: aliases.NewTeacher(c.alias, c.engine, c.store), Aliases: c.alias,
	})
	if err != nil {
		return nil, err
	}
	srv.Handle("/console/", con)
	srv.Handle("GET /console", con)
	srv.OnShutdown("console", con.Shutdown)
	mtoken, err := metricsToken(ctx, cfg, c.rdb, cfg.Redis.KeyPrefix(), c.stdout)
	if err != nil {
		return nil, err
	}
	if err := c.ops.mount(ctx, srv, gauges{webchat: chat.Open, console: con.Open, queue: c.queue, pages: c.engine.Pages}, mtoken, c.background); err != nil {
		return nil, err
	}
	if users, err := c.accts.Users(ctx); err == nil && len(users) == 0 {
		fmt.Fprintln(c.stdout, "No caseworker accounts yet: create one with `civibot user add NAME --admin` to log in to /console/")
	}
	return srv, nil
}

// memoryStateLost says what a restart loses without Redis.
const memoryStateLost = "a restart loses conversations, waiting citizens, callback tickets, console sessions and idempotency keys"

// webchatUsage counts the web chat's byte quotas in Redis (shared by all
// instances) when there is one, else in memory.
func webchatUsage(rdb redis.UniversalClient, prefix string) webchat.Usage {
	if rdb == nil {
		return conversation.NewMemoryUsage()
	}
	return conversation.NewRedisUsage(rdb, prefix)
}

// backend is the conversation backend serve wires once for every role:
// store, event bus and idempotency keys (conversation.Memory and
// conversation.Redis).
type backend interface {
	conversation.Store
	conversation.Bus
	conversation.Idempotency
}

// storeReady is the /readyz check of the conversation store: a read that
// finds nothing is fine, a store that does not answer is not.
func storeReady(st conversation.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := st.Get(ctx, "readyz-probe")
		if err != nil && !errors.Is(err, conversation.ErrNotFound) {
			return err
		}
		return nil
	}
}

// accountNames shows caseworkers to citizens by their display name.
type accountNames struct{ a *accounts.Store }

func (n accountNames) DisplayName(ctx context.Context, username string) (string, error) {
	u, err := n.a.User(ctx, username)
	if err != nil {
		return "", err
	}
	return u.DisplayName, nil
}

// localURL is the URL to open in a browser on this machine.
func localURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// newLogger builds the one logger: JSON unless stderr is a terminal (or
// log.format says otherwise), at log.level.
func newLogger(cfg config.Log, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Level)); err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.Format
	if format == "" || format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
