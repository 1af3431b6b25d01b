// Package metrics is civibot's Prometheus instrumentation: the collectors
// on a registry of their own (never the global default one), served at
// /metrics, and the small adapters that feed them from the boundaries —
// a dialog.Observer for messages, decisions and turn latency, a retrieval
// timer for the engine, a middleware for webhook errors, a go-redis hook
// for Redis errors, and gauges read at scrape time (open sockets, the
// handoff queue). The domain packages know nothing of Prometheus.
//
// Label values are bounded: channels, decision kinds and handoff reasons
// are the dialog package's constants; no conversation id, user name or
// text ever becomes a label.
package metrics

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/dialog"
)

// Config is the "metrics" section of civibot's config.
type Config struct {
	// Enabled serves the metrics at /metrics (default true).
	Enabled bool `yaml:"enabled"`
	// Token, when set, must be sent as "Authorization: Bearer <token>"
	// (Prometheus: authorization.credentials_file). Give it through
	// CIVIBOT_METRICS_TOKEN_FILE. Empty and no Addr: serve generates one on
	// first start, prints it once and keeps it (in Redis, or in the data
	// directory) — /metrics on the public address is never open by
	// default. Empty with Addr: /metrics on Addr is open.
	Token string `yaml:"token"`
	// Addr is a separate listen address for /metrics (e.g. 127.0.0.1:9090,
	// or an internal interface the monitoring host reaches). Set, /metrics
	// is served only there, not on server.addr.
	Addr string `yaml:"addr"`
}

// MinTokenChars is the shortest metrics token accepted.
const MinTokenChars = 16

// DefaultConfig returns the settings used when nothing is set.
func DefaultConfig() Config { return Config{Enabled: true} }

// Validate checks the settings; the messages say how to fix them.
func (c Config) Validate() error {
	var errs []error
	if c.Token != "" && len(c.Token) < MinTokenChars {
		errs = append(errs, fmt.Errorf("metrics.token must have at least %d characters (generate one with: openssl rand -hex 32)", MinTokenChars))
	}
	if c.Addr != "" {
		if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("metrics.addr %q is not host:port (example: 127.0.0.1:9090)", c.Addr))
		}
	}
	return errors.Join(errs...)
}

// Path is where the metrics are served.
const Path = "/metrics"

// Metrics holds the collectors. Build it with New; the zero value is not
// usable. All methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	messages      *prometheus.CounterVec
	decisions     *prometheus.CounterVec
	handoffs      *prometheus.CounterVec
	feedback      *prometheus.CounterVec
	retrieval     prometheus.Histogram
	turn          *prometheus.HistogramVec
	wait          prometheus.Histogram
	webhookErrors *prometheus.CounterVec
	redisErrors   *prometheus.CounterVec
	reloads       *prometheus.CounterVec
	dropped       prometheus.Counter
	mails         *prometheus.CounterVec
	logins        *prometheus.CounterVec
}

var _ dialog.Observer = (*Metrics)(nil)

// New builds the collectors on a new registry, with the Go runtime,
// process and build-info collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.messages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "civibot_messages_total",
		Help: "Messages by channel: direction=in are citizens' messages (and 'talk to a person' presses), out are the bot's answers.",
	}, []string{"channel", "direction"})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "civibot_dialog_decisions_total",
		Help: "The dialog engine's decision on each turn (answer, clarify, handoff, smalltalk, emergency, contact, error) and the handoff reason (none for other kinds).",
	}, []string{"kind", "reason"})
	m.handoffs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "civibot_handoffs_total",
		Help: "Conversations put in the handoff queue (outcome=queued) or made callback tickets (outcome=ticket), by channel and reason.",
	}, []string{"channel", "reason", "outcome"})
	m.feedback = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "civibot_feedback_total",
		Help: "Citizens' ratings of answers (value=up or down) as they are given.",
	}, []string{"value"})
	m.retrieval = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "civibot_retrieval_duration_seconds",
		Help:    "Time of one knowledge-base search (BM25 + vectors + fusion).",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1},
	})
	m.turn = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "civibot_turn_duration_seconds",
		Help:    "Time from receiving a citizen's message to the stored answer, by channel.",
		Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"channel"})
	m.wait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "civibot_handoff_wait_seconds",
		Help:    "How long a conversation waited in the queue until a caseworker claimed it (callback tickets not included).",
		Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200},
	})
	m.webhookErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "civibot_webhook_errors_total",
		Help: "Webhook requests refused or failed, by channel and reason (bad_signature, bad_secret, bad_request, too_large, unavailable, server_error, …).",
	}, []string{"channel", "reason"})
	m.redisErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "civibot_redis_errors_total",
		Help: "Failed Redis calls: kind=network (cannot connect, timeout, connection lost) or reply (an error answer such as OOM, READONLY, LOADING).",
	}, []string{"kind"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "civibot_knowledge_reloads_total",
		Help: "Knowledge-base reloads after an ingest, by result (ok, error).",
	}, []string{"result"})
	m.mails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "civibot_email_mails_total",
		Help: "Mails read from the e-mail channel's mailbox, by outcome: answered, forwarded (a caseworker has the conversation), limit (the sender's daily answers used up), notice (empty or unreadable), failed (tried again later), ignored_<reason> (auto-replies, bounces, lists, noreply senders, …: never answered).",
	}, []string{"outcome"})
	m.logins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "civibot_console_logins_total",
		Help: "Console password logins by outcome: ok, bad_credentials (unknown user or wrong password), disabled (right password, disabled account; answered like a wrong password), locked (name+address locked out), slowed (the account's logins from unknown addresses must wait).",
	}, []string{"outcome"})
	m.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "civibot_analytics_dropped_total",
		Help: "Analytics events dropped because the recorder fell behind or could not write.",
	})
	m.reg.MustRegister(m.messages, m.decisions, m.handoffs, m.feedback, m.retrieval, m.turn, m.wait,
		m.webhookErrors, m.redisErrors, m.reloads, m.dropped, m.mails, m.logins,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector())
	// Series that should read 0 rather than be absent before the first event.
	for _, k := range []string{"network", "reply"} {
		m.redisErrors.WithLabelValues(k)
	}
	for _, r := range []string{"ok", "error"} {
		m.reloads.WithLabelValues(r)
	}
	for _, o := range []string{"ok", "bad_credentials", "disabled", "locked", "slowed"} {
		m.logins.WithLabelValues(o)
	}
	return m
}

// Mail counts one mail of the e-mail channel by its outcome.
func (m *Metrics) Mail(outcome string) { m.mails.WithLabelValues(label(outcome)).Inc() }

// Login counts one console password login by its outcome.
func (m *Metrics) Login(outcome string) { m.logins.WithLabelValues(label(outcome)).Inc() }

// Registry is the metrics' own registry.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format. With a token,
// requests without "Authorization: Bearer <token>" get 401.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Timeout: 10 * time.Second})
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="civibot metrics"`)
			http.Error(w, "metrics need the bearer token (metrics.token)", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Received counts a citizen's message (dialog.Observer).
func (m *Metrics) Received(_ context.Context, channel string) {
	m.messages.WithLabelValues(label(channel), "in").Inc()
}

// Turned counts the bot's answer, its decision and a handoff, and times
// the turn (dialog.Observer).
func (m *Metrics) Turned(_ context.Context, t dialog.TurnRecord) {
	ch := label(t.Conversation.Channel)
	m.messages.WithLabelValues(ch, "out").Inc()
	reason := "none"
	if t.Decision.Kind == dialog.KindHandoff {
		reason = label(t.Decision.Reason)
	}
	m.decisions.WithLabelValues(label(t.Decision.Kind), reason).Inc()
	if t.Handoff {
		outcome := "queued"
		if t.Ticket {
			outcome = "ticket"
		}
		m.handoffs.WithLabelValues(ch, label(t.Decision.Reason), outcome).Inc()
	}
	m.turn.WithLabelValues(ch).Observe(t.Took.Seconds())
}

// Rated counts a new rating (dialog.Observer).
func (m *Metrics) Rated(_ context.Context, f dialog.FeedbackRecord) {
	switch f.New {
	case 1:
		m.feedback.WithLabelValues("up").Inc()
	case -1:
		m.feedback.WithLabelValues("down").Inc()
	}
}

// Retrieval observes one knowledge-base search (for
// dialog.NewObservedEngine).
func (m *Metrics) Retrieval(d time.Duration) { m.retrieval.Observe(d.Seconds()) }

// Waited observes how long a claimed conversation waited.
func (m *Metrics) Waited(d time.Duration) { m.wait.Observe(d.Seconds()) }

// Reloaded counts a knowledge-base reload.
func (m *Metrics) Reloaded(err error) {
	if err != nil {
		m.reloads.WithLabelValues("error").Inc()
		return
	}
	m.reloads.WithLabelValues("ok").Inc()
}

// Dropped counts an analytics event that was not recorded.
func (m *Metrics) Dropped() { m.dropped.Inc() }

// TrackConnections exports open() as civibot_connections{kind=kind}, read
// at scrape time (kind: webchat, console).
func (m *Metrics) TrackConnections(kind string, open func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "civibot_connections",
		Help:        "Open WebSocket connections on this instance: kind=webchat (citizens) or console (caseworkers' live sockets).",
		ConstLabels: prometheus.Labels{"kind": kind},
	}, func() float64 { return float64(open()) }))
}

// TrackKnowledge exports pages() as civibot_knowledge_pages.
func (m *Metrics) TrackKnowledge(pages func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "civibot_knowledge_pages",
		Help: "Pages in the knowledge base this instance answers from.",
	}, func() float64 { return float64(pages()) }))
}

// RedisMemory reads Redis's memory use and its maxmemory (0: no limit).
type RedisMemory func(ctx context.Context) (used, limit int64, err error)

// TrackRedisMemory exports civibot_redis_memory_bytes{kind=used|max}, read
// at scrape time (bounded to 2 s; left out of a scrape when Redis does not
// answer). The same Redis seen from every instance: aggregate with max().
func (m *Metrics) TrackRedisMemory(read RedisMemory) {
	m.reg.MustRegister(&redisMemoryCollector{read: read, desc: prometheus.NewDesc("civibot_redis_memory_bytes",
		"Redis memory: kind=used (used_memory, summed over a Cluster's masters) and kind=max (maxmemory; 0: no limit). With noeviction, writes fail for everyone once used reaches max.",
		[]string{"kind"}, nil)})
}

type redisMemoryCollector struct {
	read RedisMemory
	desc *prometheus.Desc
}

func (c *redisMemoryCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *redisMemoryCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	used, limit, err := c.read(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(used), "used")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(limit), "max")
}

// QueueLengths reads the handoff queue's lengths (waiting conversations,
// open callback tickets).
type QueueLengths func(ctx context.Context) (waiting, tickets int, err error)

// TrackQueue exports the handoff queue as civibot_handoff_queue_length
// {list=waiting|tickets}, read at scrape time (bounded to 2 s). With Redis
// every instance reports the same shared queue: aggregate with max(), not
// sum(). When the queue cannot be read the series are left out of that
// scrape.
func (m *Metrics) TrackQueue(read QueueLengths) {
	m.reg.MustRegister(&queueCollector{read: read, desc: prometheus.NewDesc("civibot_handoff_queue_length",
		"Conversations waiting for a caseworker (list=waiting) and open callback tickets (list=tickets). Shared by all instances on one Redis.",
		[]string{"list"}, nil)})
}

type queueCollector struct {
	read QueueLengths
	desc *prometheus.Desc
}

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- q.desc }

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	waiting, tickets, err := q.read(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(q.desc, prometheus.GaugeValue, float64(waiting), "waiting")
	ch <- prometheus.MustNewConstMetric(q.desc, prometheus.GaugeValue, float64(tickets), "tickets")
}

// Webhook wraps a channel's webhook handler and counts answers of 400 and
// above in civibot_webhook_errors_total{channel, reason}; a 401 or 403 is
// counted with authReason (bad_signature for Twilio, bad_secret for
// Telegram).
func (m *Metrics) Webhook(channel, authReason string, next http.Handler) http.Handler {
	for _, r := range []string{authReason, "bad_request", "too_large", "unavailable", "server_error"} {
		m.webhookErrors.WithLabelValues(channel, r) // present at 0 from the start
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		if reason := webhookReason(sw.status, authReason); reason != "" {
			m.webhookErrors.WithLabelValues(channel, reason).Inc()
		}
	})
}

func webhookReason(status int, authReason string) string {
	switch {
	case status < 400:
		return ""
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return authReason
	case status == http.StatusRequestEntityTooLarge:
		return "too_large"
	case status == http.StatusMethodNotAllowed:
		return "bad_method"
	case status == http.StatusServiceUnavailable:
		return "unavailable"
	case status >= 500:
		return "server_error"
	}
	return "bad_request"
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// RedisHook counts failed Redis calls; add it with client.AddHook.
func (m *Metrics) RedisHook() redis.Hook { return redisHook{m.redisErrors} }

type redisHook struct{ errs *prometheus.CounterVec }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		h.count(err)
		return c, err
	}
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.count(err)
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.count(err)
		return err
	}
}

// count classifies err. Not errors: success, a missing key (redis.Nil), a
// lost WATCH race (redis.TxFailedErr), a canceled call, the consumer group
// that already exists (BUSYGROUP, expected at start), a script not in the
// server's cache (NOSCRIPT: go-redis sends it again with EVAL), a consumer
// group gone after a Redis restart (NOGROUP: the desk creates it again and
// retries) and the connection handshake's optional commands an older
// server does not know (CLIENT SETINFO on Redis 7.0: go-redis carries on
// without them). A retry that fails again is counted then.
func (h redisHook) count(err error) {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, redis.TxFailedErr) || errors.Is(err, context.Canceled) {
		return
	}
	var reply redis.Error
	if errors.As(err, &reply) {
		msg := err.Error()
		for _, expected := range []string{"BUSYGROUP", "NOSCRIPT", "NOGROUP", "ERR unknown subcommand", "ERR unknown command"} {
			if strings.HasPrefix(msg, expected) {
				return
			}
		}
		h.errs.WithLabelValues("reply").Inc()
		return
	}
	h.errs.WithLabelValues("network").Inc()
}

// label keeps a label value printable and bounded in length.
func label(s string) string {
	if s == "" {
		return "unknown"
	}
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}
