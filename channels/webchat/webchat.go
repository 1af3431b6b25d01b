// Package webchat is the web chat channel: the WebSocket protocol at /ws
// that the widget speaks (docs/webchat-protocol.md).
//
// A connection says hello with its conversation token (the only key to the
// conversation; the conversation id is conversation.WebID(token)) and the
// last message seq it has; the server answers with the token to keep and
// every message after that seq. Citizen messages carry a client id and are
// answered once however often they are resent. Each connection has one
// writer goroutine; it follows the conversation through Service.Watch and
// Service.Messages, so messages reach the browser in seq order, never twice
// and never lost, whichever instance or caseworker wrote them.
//
// The package knows nothing of retrieval: it calls the dialog Service.
package webchat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/sockets"
)

// service is what the channel needs of dialog.Service.
type service interface {
	Handle(ctx context.Context, in dialog.Inbound) (dialog.Outcome, error)
	RequestPerson(ctx context.Context, in dialog.Inbound) (dialog.Outcome, error)
	Messages(ctx context.Context, conversationID string, after int64) ([]conversation.Message, error)
	Conversation(ctx context.Context, conversationID string) (conversation.Conversation, error)
	Watch(ctx context.Context, conversationID string) (<-chan struct{}, func(), error)
	WatchQueue(ctx context.Context) (<-chan struct{}, func(), error)
	WatchTyping(ctx context.Context, conversationID string) (<-chan struct{}, func(), error)
	QueueStatus(ctx context.Context, conversationID string) (conversation.QueueStatus, error)
	Feedback(ctx context.Context, conversationID string, seq int64, value int) error
	Rate(ctx context.Context, conversationID string, value int, comment string) error
	Forget(ctx context.Context, conversationID string) error
}

var _ service = (*dialog.Service)(nil)

// Names turns a caseworker's username into the name shown to citizens.
// Without it, caseworker messages are shown as from "a city staff member".
type Names interface {
	DisplayName(ctx context.Context, username string) (string, error)
}

// Config tunes the channel (the "webchat" section of civibot's config).
// Zero values take the defaults.
type Config struct {
	// MessagesPerMinute and MessageBurst limit frames per connection.
	MessagesPerMinute int `yaml:"messages_per_minute"`
	MessageBurst      int `yaml:"message_burst"`
	// IPMessagesPerMinute and IPMessageBurst limit frames per client
	// address (IPv6: per /64), over all its connections.
	IPMessagesPerMinute int `yaml:"ip_messages_per_minute"`
	IPMessageBurst      int `yaml:"ip_message_burst"`
	// IPConnections is how many sockets one address may hold open.
	IPConnections int `yaml:"ip_connections"`
	// IPConnectsPerMinute and IPConnectBurst limit new sockets per address.
	IPConnectsPerMinute int `yaml:"ip_connects_per_minute"`
	IPConnectBurst      int `yaml:"ip_connect_burst"`
	// MaxRejections: a connection that goes on sending after this many
	// rate-limited or malformed frames in a row is closed (1008).
	MaxRejections int `yaml:"max_rejections"`
	// MaxFrameBytes is the largest frame read (larger: close 1009).
	MaxFrameBytes int64 `yaml:"max_frame_bytes"`
	// PingInterval is how often the server pings; a client that has not
	// answered within PongTimeout after that is dropped.
	PingInterval time.Duration `yaml:"ping_interval"`
	PongTimeout  time.Duration `yaml:"pong_timeout"`
	// HelloTimeout is how long a new socket may take to say hello.
	HelloTimeout time.Duration `yaml:"hello_timeout"`
	// WriteTimeout bounds one frame write.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// TurnTimeout bounds one message's handling (store, engine, desk).
	TurnTimeout time.Duration `yaml:"turn_timeout"`
	// TypingDelay: a turn that takes longer shows a typing indicator.
	TypingDelay time.Duration `yaml:"typing_delay"`
	// AddressBytesPerDay and ConversationBytesPerDay bound what one client
	// address (IPv6: its /64) and one conversation may have stored per UTC
	// day: the citizen's text and the answers to it. Over the quota,
	// messages are refused (quota_exceeded) until the next day. Counted in
	// Redis when civibot uses it, so the quotas hold across instances.
	AddressBytesPerDay      int64 `yaml:"address_bytes_per_day"`
	ConversationBytesPerDay int64 `yaml:"conversation_bytes_per_day"`
	// ResumeWithin: a conversation quiet for longer is not resumed from its
	// token; the client gets a new conversation (on a shared library or
	// kiosk computer the next person does not see the previous citizen's
	// chat). The welcome frame tells the widget, which forgets the token.
	ResumeWithin time.Duration `yaml:"resume_within"`
}

// DefaultConfig returns the defaults: generous for a person typing, tight
// for a script.
func DefaultConfig() Config {
	return Config{
		MessagesPerMinute:   30,
		MessageBurst:        10,
		IPMessagesPerMinute: 300,
		IPMessageBurst:      60,
		IPConnections:       30,
		IPConnectsPerMinute: 60,
		IPConnectBurst:      20,
		MaxRejections:       10,
		MaxFrameBytes:       16 << 10,
		PingInterval:        25 * time.Second,
		PongTimeout:         15 * time.Second,
		HelloTimeout:        10 * time.Second,
		WriteTimeout:        10 * time.Second,
		TurnTimeout:         30 * time.Second,
		TypingDelay:         300 * time.Millisecond,

		ResumeWithin:            4 * time.Hour,
		AddressBytesPerDay:      4 << 20,
		ConversationBytesPerDay: 512 << 10,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&c.MessagesPerMinute, d.MessagesPerMinute)
	set(&c.MessageBurst, d.MessageBurst)
	set(&c.IPMessagesPerMinute, d.IPMessagesPerMinute)
	set(&c.IPMessageBurst, d.IPMessageBurst)
	set(&c.IPConnections, d.IPConnections)
	set(&c.IPConnectsPerMinute, d.IPConnectsPerMinute)
	set(&c.IPConnectBurst, d.IPConnectBurst)
	set(&c.MaxRejections, d.MaxRejections)
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = d.MaxFrameBytes
	}
	if c.AddressBytesPerDay <= 0 {
		c.AddressBytesPerDay = d.AddressBytesPerDay
	}
	if c.ConversationBytesPerDay <= 0 {
		c.ConversationBytesPerDay = d.ConversationBytesPerDay
	}
	setD(&c.PingInterval, d.PingInterval)
	setD(&c.PongTimeout, d.PongTimeout)
	setD(&c.HelloTimeout, d.HelloTimeout)
	setD(&c.WriteTimeout, d.WriteTimeout)
	setD(&c.TurnTimeout, d.TurnTimeout)
	setD(&c.TypingDelay, d.TypingDelay)
	setD(&c.ResumeWithin, d.ResumeWithin)
	return c
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.MaxFrameBytes != 0 && c.MaxFrameBytes < 1024 {
		errs = append(errs, fmt.Errorf("webchat.max_frame_bytes must be at least 1024 (got %d); messages of %d characters need about 16384",
			c.MaxFrameBytes, dialog.DefaultMaxMessageChars))
	}
	if c.MessageBurst < 0 || c.MessagesPerMinute < 0 || c.IPMessagesPerMinute < 0 || c.IPConnections < 0 ||
		c.AddressBytesPerDay < 0 || c.ConversationBytesPerDay < 0 {
		errs = append(errs, errors.New("webchat: rate limits must not be negative (0 takes the default)"))
	}
	return errors.Join(errs...)
}

// Options are the channel's collaborators.
type Options struct {
	// AllowedOrigins may open the socket (server.allowed_origins), in
	// addition to the server's own origin and PublicURL's.
	AllowedOrigins []string
	// PublicURL is the server's public URL (server.public_url); its origin
	// is always allowed.
	PublicURL string
	// Names shows caseworkers' display names (optional).
	Names Names
	Log   *slog.Logger
	// Now is the clock for rate limits (default time.Now).
	Now func() time.Time
	// Usage counts the byte quotas (conversation.NewRedisUsage with Redis,
	// so that they hold across instances; nil: a conversation.MemoryUsage).
	Usage Usage
}

// Usage counts bytes per key and window (conversation.MemoryUsage,
// conversation.RedisUsage).
type Usage interface {
	Add(ctx context.Context, key string, n int64, now time.Time, window time.Duration) (int64, error)
}

// Handler serves the chat WebSocket. Mount it at /ws.
type Handler struct {
	cfg     Config
	svc     service
	names   Names
	log     *slog.Logger
	now     func() time.Time
	origins map[string]bool
	ips     *ipTable
	up      websocket.Upgrader
	usage   Usage

	conns sockets.Set[*conn]
}

// Socket buffer sizes: small, so that idle connections are cheap; frames
// larger than a buffer are read and written in several steps. Write buffers
// are pooled and only held while a frame is being written.
const (
	readBufferSize  = 512
	writeBufferSize = 2048
)

// New builds the handler.
func New(cfg Config, svc service, opts Options) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if svc == nil {
		return nil, errors.New("webchat: new: a dialog service is required")
	}
	cfg = cfg.withDefaults()
	h := &Handler{
		cfg: cfg, svc: svc, names: opts.Names, log: opts.Log, now: opts.Now,
		origins: map[string]bool{}, ips: newIPTable(cfg), usage: opts.Usage,
	}
	if h.usage == nil {
		h.usage = conversation.NewMemoryUsage()
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	list := append([]string(nil), opts.AllowedOrigins...)
	if opts.PublicURL != "" {
		list = append(list, opts.PublicURL)
	}
	for _, o := range list {
		n, err := normalizeOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("webchat: allowed origin: %w", err)
		}
		h.origins[n] = true
	}
	h.up = websocket.Upgrader{
		ReadBufferSize:  readBufferSize,
		WriteBufferSize: writeBufferSize,
		WriteBufferPool: &sync.Pool{},
		// The origin was checked before Upgrade (checkOrigin), with a
		// clearer answer than the upgrader's.
		CheckOrigin: func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			httpError(w, status, "bad_handshake", reason.Error(), 0)
		},
	}
	return h, nil
}

func normalizeOrigin(o string) (string, error) {
	o = strings.TrimRight(strings.ToLower(strings.TrimSpace(o)), "/")
	if !httpURL(o) || strings.Count(o, "/") != 2 {
		return "", fmt.Errorf("%q is not an origin like https://www.city.example", o)
	}
	return o, nil
}

// checkOrigin allows requests without an Origin (not a browser), from the
// server's own host, and from the configured origins.
func (h *Handler) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	o := strings.ToLower(origin)
	if h.origins[o] {
		return true
	}
	if i := strings.Index(o, "://"); i >= 0 && strings.EqualFold(o[i+3:], r.Host) {
		return true
	}
	return false
}

// ServeHTTP upgrades the request and serves the connection until it ends.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.checkOrigin(r) {
		h.log.InfoContext(r.Context(), "webchat origin refused", "origin", r.Header.Get("Origin"))
		httpError(w, http.StatusForbidden, "origin_not_allowed",
			"this site may not open the chat; add it to server.allowed_origins", 0)
		return
	}
	ip := clientKey(r.RemoteAddr)
	if reason, wait := h.ips.admit(ip, h.now()); reason != "" {
		httpError(w, http.StatusTooManyRequests, reason, "too many chat connections from this address", wait)
		return
	}
	c, ok := h.register(ip)
	if !ok {
		h.ips.release(ip)
		httpError(w, http.StatusServiceUnavailable, "shutting_down", "the server is restarting; connect again", time.Second)
		return
	}
	ws, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		h.unregister(c)
		return // the upgrader has answered
	}
	// The connection gets goroutines of its own, and this one returns: the
	// HTTP server's per-request buffers (8 KB) and its deep stack are freed
	// for as long as the socket stays open.
	go func() {
		defer h.unregister(c)
		c.serve(ws)
	}()
}

func (h *Handler) register(ip string) (*conn, bool) {
	return h.conns.Add(func() *conn { return newConn(h, ip) })
}

func (h *Handler) unregister(c *conn) {
	h.conns.Remove(c)
	h.ips.release(c.ip)
}

// Open returns the number of open chat connections.
func (h *Handler) Open() int { return h.conns.Len() }

// Shutdown refuses new connections and tells open ones the server is going
// away: each finishes its in-flight turn, delivers what is left, sends a
// server_shutdown frame and closes with 1012 (service restart), so the
// widget reconnects, to another instance if there is one. Connections
// still open when ctx ends are cut.
func (h *Handler) Shutdown(ctx context.Context) error {
	if n, err := h.conns.Shutdown(ctx); err != nil {
		return fmt.Errorf("webchat: shutdown: %d connections cut: %w", n, err)
	}
	return nil
}

type httpErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func httpError(w http.ResponseWriter, status int, code, msg string, retry time.Duration) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, retry).Round(time.Second).Seconds())))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(httpErrorBody{Error: code, Message: msg})
}
