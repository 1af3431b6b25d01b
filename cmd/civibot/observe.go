package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/analytics"
	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/metrics"
	"github.com/civibot/civibot/web/console"
)

// operations is what serve adds for the people who run civibot:
// Prometheus metrics and the city's analytics. Both watch from the
// boundaries — the dialog service's Observer, wrappers around the
// conversation store (new conversations) and the handoff queue (claim
// waits), a go-redis hook, the webhook routes and gauges read at scrape
// time — so the domain packages stay free of them.
type operations struct {
	cfg     config.Config
	log     *slog.Logger
	metrics *metrics.Metrics // always built; served at /metrics when metrics.enabled

	// Analytics (nil when analytics.enabled is false).
	recorder *analytics.Recorder
	reporter *analytics.Reporter
}

func newOperations(cfg config.Config, log *slog.Logger) *operations {
	return &operations{cfg: cfg, log: log, metrics: metrics.New()}
}

// watchRedis counts the client's failed calls, and routes go-redis's own
// log lines (pool and Sentinel messages during an outage) through slog so
// that JSON logs stay JSON.
func (o *operations) watchRedis(rdb redis.UniversalClient) {
	rdb.AddHook(o.metrics.RedisHook())
	redis.SetLogger(redisLogger{o.log})
	o.metrics.TrackRedisMemory(func(ctx context.Context) (int64, int64, error) { return redisMemory(ctx, rdb) })
}

// redisMemory reads used_memory and maxmemory from INFO memory (summed over
// a Cluster's masters).
func redisMemory(ctx context.Context, rdb redis.UniversalClient) (int64, int64, error) {
	read := func(ctx context.Context, c redis.Cmdable) (int64, int64, error) {
		info, err := c.Info(ctx, "memory").Result()
		if err != nil {
			return 0, 0, err
		}
		var used, limit int64
		for _, line := range strings.Split(info, "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
			if !ok {
				continue
			}
			switch k {
			case "used_memory":
				used, _ = strconv.ParseInt(v, 10, 64)
			case "maxmemory":
				limit, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		return used, limit, nil
	}
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return read(ctx, rdb)
	}
	var mu sync.Mutex
	var used, limit int64
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		u, l, err := read(ctx, c)
		mu.Lock()
		defer mu.Unlock()
		used, limit = used+u, limit+l
		return err
	})
	return used, limit, err
}

// redisLogger is go-redis's logger interface on slog.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, args ...any) {
	l.log.WarnContext(ctx, "redis client", "detail", strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// startAnalytics builds the analytics recorder and reporter on Redis (rdb
// set) or in memory. terms groups similar questions.
func (o *operations) startAnalytics(rdb redis.UniversalClient, prefix string, terms analytics.TermsFunc) error {
	if !o.cfg.Analytics.Enabled {
		return nil
	}
	var st analytics.Store
	if rdb != nil {
		st = analytics.NewRedis(rdb, prefix, o.cfg.Analytics)
	} else {
		m, err := analytics.NewMemory(o.cfg.Analytics, nil)
		if err != nil {
			return err
		}
		st = m
	}
	rec, err := analytics.NewRecorder(o.cfg.Analytics, st, analytics.RecorderOptions{Log: o.log, Dropped: o.metrics.Dropped})
	if err != nil {
		return err
	}
	rep, err := analytics.NewReporter(o.cfg.Analytics, st, terms, nil)
	if err != nil {
		return err
	}
	o.recorder, o.reporter = rec, rep
	return nil
}

// run writes analytics in the background until ctx ends.
func (o *operations) run(ctx context.Context, background *sync.WaitGroup) {
	if o.recorder == nil {
		return
	}
	background.Add(1)
	go func() {
		defer background.Done()
		if err := o.recorder.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			o.log.ErrorContext(ctx, "analytics recorder stopped", "error", err)
		}
	}()
}

// accountsOptions count console logins in metrics.
func (o *operations) accountsOptions() accounts.Options {
	return accounts.Options{OnLogin: func(e accounts.LoginEvent) { o.metrics.Login(e.Outcome) }}
}

// observers are the dialog service's observers: metrics and analytics.
func (o *operations) observers() []dialog.Observer {
	obs := []dialog.Observer{o.metrics}
	if o.recorder != nil {
		obs = append(obs, o.recorder)
	}
	return obs
}

// consoleAnalytics is the reporter for the console's dashboard (nil
// interface when analytics are off).
func (o *operations) consoleAnalytics() console.Analytics {
	if o.reporter == nil {
		return nil
	}
	return o.reporter
}

// observedStore tells analytics about every new conversation, whichever
// channel opens it (the dialog service, or the phone channel itself).
type observedStore struct {
	backend
	started func(ctx context.Context, c conversation.Conversation)
}

func (s observedStore) Create(ctx context.Context, c conversation.Conversation) (conversation.Conversation, error) {
	out, err := s.backend.Create(ctx, c)
	if err == nil {
		s.started(ctx, out)
	}
	return out, err
}

// wrapStore returns the store every channel and the dialog service use.
func (o *operations) wrapStore(st backend) backend {
	if o.recorder == nil {
		return st
	}
	return observedStore{backend: st, started: o.recorder.Started}
}

// observedQueue times the conversations caseworkers claim (the desk
// records each wait in the queue for its own estimate).
type observedQueue struct {
	handoff.Queue
	waited func(ctx context.Context, d time.Duration)
}

func (q observedQueue) RecordWait(ctx context.Context, d time.Duration, keep int) error {
	q.waited(ctx, d)
	return q.Queue.RecordWait(ctx, d, keep)
}

// wrapQueue returns the queue the desk uses.
func (o *operations) wrapQueue(q handoff.Queue) handoff.Queue {
	return observedQueue{Queue: q, waited: func(ctx context.Context, d time.Duration) {
		o.metrics.Waited(d)
		if o.recorder != nil {
			o.recorder.Waited(ctx, d)
		}
	}}
}

// mux is where routes are mounted (*web.Server).
type mux interface {
	Handle(pattern string, h http.Handler)
}

// webhookMux counts a channel's webhook errors.
type webhookMux struct {
	mux
	m       *metrics.Metrics
	channel string
	auth    string
}

func (w webhookMux) Handle(pattern string, h http.Handler) {
	w.mux.Handle(pattern, w.m.Webhook(w.channel, w.auth, h))
}

// webhooks wraps m so that every webhook mounted on it counts its errors
// for channel; auth names a refused signature or secret.
func (o *operations) webhooks(m mux, channel, auth string) mux {
	return webhookMux{mux: m, m: o.metrics, channel: channel, auth: auth}
}

// gauges are read at scrape time.
type gauges struct {
	webchat, console func() int
	queue            handoff.Queue
	pages            func() int
}

// mount serves /metrics (when enabled: on metrics.addr, else on m, with
// token when it is set) and registers the gauges.
func (o *operations) mount(ctx context.Context, m mux, g gauges, token string, background *sync.WaitGroup) error {
	o.metrics.TrackConnections("webchat", g.webchat)
	o.metrics.TrackConnections("console", g.console)
	o.metrics.TrackKnowledge(g.pages)
	o.metrics.TrackQueue(func(ctx context.Context) (int, int, error) {
		w, err := g.queue.Waiting(ctx)
		if err != nil {
			return 0, 0, err
		}
		t, err := g.queue.Tickets(ctx)
		if err != nil {
			return 0, 0, err
		}
		return len(w), len(t), nil
	})
	switch {
	case !o.cfg.Metrics.Enabled:
	case o.cfg.Metrics.Addr != "":
		return serveMetricsOn(ctx, o.cfg.Metrics.Addr, o.metrics.Handler(token), o.log, background)
	default:
		m.Handle("GET "+metrics.Path, o.metrics.Handler(token))
	}
	return nil
}
