// Package console is the caseworker console at /console: login with
// caseworker accounts (or a trusted SSO proxy), a JSON API for the handoff
// desk's operations, a live WebSocket with the queue and the open
// conversation, and the embedded page (plain HTML, CSS and JavaScript, no
// build step).
//
// Security: the session lives in an HttpOnly, SameSite=Strict cookie
// (Secure and __Host- prefixed over HTTPS) whose token only the accounts
// store can map to a session; every state-changing request carries the
// session's CSRF secret in the X-CSRF-Token header and must come from the
// console's own origin; the live socket checks the origin and the cookie.
// Citizen text reaches the page as JSON and is rendered as text. Logs carry
// conversation ids and caseworker names, never message text or contact
// details.
//
// Routes (all under /console):
//
//	GET    /console/                          the page
//	GET    /console/console.js, console.css   its assets
//	GET    /console/api/me                    who is logged in (+ CSRF token); SSO login
//	POST   /console/api/login                 {username, password}
//	GET    /console/api/login-events          recent login attempts (admins)
//	POST   /console/api/logout
//	POST   /console/api/leave                 mark me offline (page closed)
//	GET    /console/api/queue                 waiting, tickets, mine, claimed, online
//	GET    /console/api/colleagues            online colleagues (transfer targets)
//	GET    /console/api/conversations/{id}    full transcript
//	POST   /console/api/conversations/{id}/claim
//	POST   /console/api/conversations/{id}/reply     {text}
//	POST   /console/api/conversations/{id}/note      {text}
//	POST   /console/api/conversations/{id}/transfer  {to}
//	POST   /console/api/conversations/{id}/giveback
//	POST   /console/api/conversations/{id}/close     {outcome}
//	DELETE /console/api/conversations/{id}    forget (admin)
//	GET    /console/api/canned                canned replies
//	PUT    /console/api/canned                replace them (admin)
//	GET    /console/api/live                  the live WebSocket
//	GET    /console/analytics                 the city's dashboard (admin; see analytics.go)
//	GET    /console/aliases                   the review of what caseworkers taught (admin; see aliases.go)
package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/sockets"
)

// Accounts is what the console needs of *accounts.Store.
type Accounts interface {
	Authenticate(ctx context.Context, name, password, ip string) (accounts.User, error)
	NewSession(ctx context.Context, u accounts.User) (string, accounts.Session, error)
	Session(ctx context.Context, token string) (accounts.Session, error)
	EndSession(ctx context.Context, token string) error
	User(ctx context.Context, name string) (accounts.User, error)
	CannedReplies(ctx context.Context) ([]accounts.CannedReply, error)
	SetCannedReplies(ctx context.Context, actor string, list []accounts.CannedReply) error
	LoginEvents(ctx context.Context, limit int) ([]accounts.LoginEvent, error)
}

var _ Accounts = (*accounts.Store)(nil)

// Store is what the live socket reads of the conversation store.
type Store interface {
	Get(ctx context.Context, id string) (conversation.Conversation, error)
	Messages(ctx context.Context, id string, after int64, limit int) ([]conversation.Message, error)
}

// Bus is the event bus the live socket follows (conversation.TopicQueue,
// conversation.TopicPresence, conversation.Topic(id)).
type Bus interface {
	Subscribe(ctx context.Context, topic string) (<-chan []byte, func(), error)
	// Publish is used for conversation.TopicTyping (the caseworker types).
	Publish(ctx context.Context, topic string, payload []byte) error
}

// Options are the console's collaborators and server facts.
type Options struct {
	// Desk is the handoff desk (the one implementation: the console's
	// tests use it too, over a memory or Redis backend).
	Desk     *handoff.Desk
	Accounts Accounts
	Store    Store
	Bus      Bus
	// PublicURL is server.public_url: its origin is the console's own, and
	// an https URL makes the session cookie Secure.
	PublicURL string
	// TrustProxy is server.trust_proxy: X-Forwarded-Proto then counts for
	// the cookie's Secure flag.
	TrustProxy bool
	Log        *slog.Logger
	// RefreshInterval: the live socket re-reads the queue this often even
	// without events (default 15s), to notice an unreachable store and to
	// repair anything the bus missed.
	RefreshInterval time.Duration
	// PingInterval and PongTimeout keep the live socket alive (defaults 25s
	// and 15s).
	PingInterval time.Duration
	PongTimeout  time.Duration
	// MaxTextChars is handoff.max_text_chars, shown in the reply box (0:
	// handoff.DefaultMaxTextChars).
	MaxTextChars int
	// SessionMax is handoff.accounts.session_max, the session cookie's
	// lifetime (0: accounts.DefaultSessionMax).
	SessionMax time.Duration
	// LoginsPerMinute limits login attempts per client address on this
	// instance, on top of the accounts' per-name lockout (0: 30).
	LoginsPerMinute int
	// Now is the clock of the login limit (default time.Now).
	Now func() time.Time
	// Analytics serves the dashboard at /console/analytics (nil: analytics
	// are off).
	Analytics Analytics
	// Ephemeral says that state lives in memory (no Redis): the console
	// tells caseworkers that a restart loses conversations, callback
	// requests and sessions (issue 21.12).
	Ephemeral bool
	// Teacher turns caseworkers' answers with the city's pages into
	// suggested aliases, Aliases is their review (nil: learning is off).
	Teacher Teacher
	Aliases AliasReview
}

// Handler serves the console. Mount it at "/console/" and "GET /console".
type Handler struct {
	cfg        Config
	desk       *handoff.Desk
	accounts   Accounts
	store      Store
	bus        Bus
	log        *slog.Logger
	publicURL  *url.URL
	trust      bool
	assets     *assets
	mux        *http.ServeMux
	up         websocket.Upgrader
	refresh    time.Duration
	ping       time.Duration
	pong       time.Duration
	names      *nameCache
	maxChars   int
	sessionMax time.Duration
	logins     *loginLimit
	now        func() time.Time
	analytics  Analytics
	ephemeral  bool
	teacher    Teacher
	aliases    AliasReview

	socks sockets.Set[*liveConn]
}

// Request body limits: actions are small; the canned replies list may be
// long (the server's own limit, server.max_body_bytes, applies on top).
const (
	maxActionBody = 64 << 10
	maxCannedBody = 1 << 20
)

// New builds the console.
func New(cfg Config, opts Options) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("console: config: %w", err)
	}
	if opts.Desk == nil || opts.Accounts == nil || opts.Store == nil || opts.Bus == nil {
		return nil, errors.New("console: new: desk, accounts, store and bus are required")
	}
	h := &Handler{
		cfg: cfg.withDefaults(), desk: opts.Desk, accounts: opts.Accounts, store: opts.Store, bus: opts.Bus,
		log: opts.Log, trust: opts.TrustProxy, mux: http.NewServeMux(),
		refresh: opts.RefreshInterval, ping: opts.PingInterval, pong: opts.PongTimeout, maxChars: opts.MaxTextChars,
		analytics: opts.Analytics, ephemeral: opts.Ephemeral, teacher: opts.Teacher, aliases: opts.Aliases,
	}
	if h.maxChars <= 0 {
		h.maxChars = handoff.DefaultMaxTextChars
	}
	if h.sessionMax = opts.SessionMax; h.sessionMax <= 0 {
		h.sessionMax = accounts.DefaultSessionMax
	}
	perMinute := opts.LoginsPerMinute
	if perMinute <= 0 {
		perMinute = defaultLoginsPerMinute
	}
	h.logins = newLoginLimit(perMinute)
	if h.now = opts.Now; h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.refresh <= 0 {
		h.refresh = 15 * time.Second
	}
	if h.ping <= 0 {
		h.ping = 25 * time.Second
	}
	if h.pong <= 0 {
		h.pong = 15 * time.Second
	}
	if opts.PublicURL != "" {
		u, err := url.Parse(opts.PublicURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("console: public url %q is not an http(s) URL", opts.PublicURL)
		}
		h.publicURL = u
	}
	a, err := newAssets()
	if err != nil {
		return nil, err
	}
	h.assets = a
	h.names = newNameCache(opts.Accounts, time.Minute)
	h.up = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		// The origin is checked before Upgrade (sameOrigin), with a JSON answer.
		CheckOrigin: func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, &apiError{status: status, code: "bad_handshake", msg: reason.Error()})
		},
	}
	h.routes()
	return h, nil
}

func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusMovedPermanently)
	})
	h.assets.mount(m)

	m.Handle("GET /console/api/me", h.api(h.me, apiOpts{public: true}))
	m.Handle("POST /console/api/login", h.api(h.login, apiOpts{public: true, body: maxActionBody}))
	m.Handle("GET /console/api/login-events", h.api(h.loginEvents, apiOpts{admin: true}))
	m.Handle("POST /console/api/logout", h.api(h.logout, apiOpts{body: maxActionBody}))
	m.Handle("POST /console/api/leave", h.api(h.leave, apiOpts{body: maxActionBody}))
	m.Handle("GET /console/api/queue", h.api(h.queue, apiOpts{}))
	m.Handle("GET /console/api/colleagues", h.api(h.colleagues, apiOpts{}))
	m.Handle("GET /console/api/conversations/{id}", h.api(h.transcript, apiOpts{}))
	m.Handle("POST /console/api/conversations/{id}/claim", h.api(h.claim, apiOpts{body: maxActionBody}))
	m.Handle("POST /console/api/conversations/{id}/reply", h.api(h.reply, apiOpts{body: maxActionBody}))
	m.Handle("POST /console/api/conversations/{id}/note", h.api(h.note, apiOpts{body: maxActionBody}))
	m.Handle("POST /console/api/conversations/{id}/template", h.api(h.template, apiOpts{body: maxActionBody}))
	m.Handle("POST /console/api/conversations/{id}/transfer", h.api(onConversation(h, h.transfer), apiOpts{body: maxActionBody}))
	m.Handle("POST /console/api/conversations/{id}/giveback", h.api(onConversation(h, h.giveBack), apiOpts{body: maxActionBody}))
	m.Handle("POST /console/api/conversations/{id}/close", h.api(onConversation(h, h.close), apiOpts{body: maxActionBody}))
	m.Handle("DELETE /console/api/conversations/{id}", h.api(h.forget, apiOpts{body: maxActionBody, admin: true}))
	m.Handle("GET /console/api/canned", h.api(h.canned, apiOpts{}))
	m.Handle("PUT /console/api/canned", h.api(h.setCanned, apiOpts{body: maxCannedBody, admin: true}))
	m.HandleFunc("GET /console/api/live", h.live)
	h.analyticsRoutes(m)
	h.aliasRoutes(m)
	m.HandleFunc("/console/api/", func(w http.ResponseWriter, r *http.Request) {
		setAPIHeaders(w)
		writeError(w, &apiError{status: http.StatusNotFound, code: "no_such_route", msg: "no such console API route: " + r.Method + " " + r.URL.Path})
	})
}

// ServeHTTP serves the console's routes with its own security headers: a
// CSP stricter than the widget's (no framing at all).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self' "+wsSource(r)+"; font-src 'self'; manifest-src 'self'; "+
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

// wsSource names the server's own WebSocket origin for connect-src.
func wsSource(r *http.Request) string {
	host := r.Host
	if host == "" || strings.ContainsAny(host, " ;,'\"") {
		return ""
	}
	if r.TLS != nil {
		return "wss://" + host
	}
	return "ws://" + host + " wss://" + host
}

// Open returns the number of open live sockets.
func (h *Handler) Open() int { return h.socks.Len() }

// Shutdown refuses new live sockets and tells open ones that the server is
// going away (server_shutdown, close 1012), so consoles reconnect to
// another instance. Sockets still open when ctx ends are cut.
func (h *Handler) Shutdown(ctx context.Context) error {
	if n, err := h.socks.Shutdown(ctx); err != nil {
		return fmt.Errorf("console: shutdown: %d live sockets cut: %w", n, err)
	}
	return nil
}

// nameCache maps user names to display names for a short while.
type nameCache struct {
	accounts Accounts
	ttl      time.Duration
	mu       sync.Mutex
	m        map[string]cachedName
}

type cachedName struct {
	name string
	at   time.Time
}

func newNameCache(a Accounts, ttl time.Duration) *nameCache {
	return &nameCache{accounts: a, ttl: ttl, m: map[string]cachedName{}}
}

// get returns the display name of user, or user itself when there is none
// (or the account cannot be read).
func (n *nameCache) get(ctx context.Context, user string) string {
	if user == "" {
		return ""
	}
	n.mu.Lock()
	c, ok := n.m[user]
	n.mu.Unlock()
	if ok && time.Since(c.at) < n.ttl {
		return c.name
	}
	name := user
	u, err := n.accounts.User(ctx, user)
	if err == nil && u.DisplayName != "" {
		name = u.DisplayName
	}
	if err != nil && !errors.Is(err, accounts.ErrUserNotFound) {
		return name // do not cache a store failure
	}
	n.mu.Lock()
	if len(n.m) > 1000 {
		clear(n.m)
	}
	n.m[user] = cachedName{name: name, at: time.Now()}
	n.mu.Unlock()
	return name
}

// people maps every user name in names to its display name.
func (n *nameCache) people(ctx context.Context, names ...string) map[string]string {
	out := map[string]string{}
	for _, u := range names {
		if u != "" && u != "bot" && u != "system" && u != "citizen" {
			if _, ok := out[u]; !ok {
				out[u] = n.get(ctx, u)
			}
		}
	}
	return out
}

// defaultLoginsPerMinute bounds password checks (bcrypt) per address.
const defaultLoginsPerMinute = 30

// loginLimit counts login attempts per address in fixed one-minute
// windows: bcrypt is expensive, and the accounts' lockout is per user
// name, so an address trying many names is stopped here.
type loginLimit struct {
	perMinute int
	mu        sync.Mutex
	window    time.Time
	counts    map[string]int
}

func newLoginLimit(perMinute int) *loginLimit {
	return &loginLimit{perMinute: perMinute, counts: map[string]int{}}
}

// take counts an attempt from ip at now; it returns how long to wait when
// the address is over its limit (0: go ahead).
func (l *loginLimit) take(ip string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := now.Truncate(time.Minute); !w.Equal(l.window) {
		l.window = w
		clear(l.counts)
	}
	if l.counts[ip] >= l.perMinute {
		return l.window.Add(time.Minute).Sub(now)
	}
	l.counts[ip]++
	return 0
}
