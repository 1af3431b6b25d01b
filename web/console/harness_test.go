package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/aliases"
	"github.com/civibot/civibot/internal/testcity"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/testtime"
	"github.com/civibot/civibot/web"
	"github.com/civibot/civibot/web/console"
)

var bg = context.Background()

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer = testcity.LogBuffer

// harness is the console mounted on civibot's web server (memory
// backends), as serve wires it, on a real HTTP server.
type harness struct {
	t        *testing.T
	clock    *testtime.Clock
	store    *conversation.Memory
	desk     *handoff.Desk
	accounts *accounts.Store
	console  *console.Handler
	srv      *httptest.Server
	logs     *syncBuffer
	aliases  *aliases.Store // with harnessOpts.teach
}

type harnessOpts struct {
	cfg     console.Config
	desk    handoff.Config
	tls     bool
	public  string
	refresh time.Duration
	logins  int
	// analytics serves the dashboard (nil: off).
	analytics console.Analytics
	// registry delivers to the channels (nil: none registered).
	registry *channels.Registry
	// trustProxy takes the client address from X-Forwarded-For.
	trustProxy bool
	// inMemory is Options.Ephemeral.
	inMemory bool
	// accounts replaces the memory accounts with the test users (e.g. a
	// Redis store); built with the harness's clock.
	accounts func(now func() time.Time) *accounts.Store
	// teach: learning from caseworkers is on (aliases in memory, the
	// sample city's pages).
	teach bool
}

// Test users; every password is "correct horse battery".
const password = "correct horse battery"

var accountsConfig = accounts.Config{BcryptCost: accounts.MinBcryptCost, MaxFailures: 3}

// accountsFile returns the content of an accounts file with the test
// users: anna and ben (caseworkers), rita (admin), dora (disabled).
var accountsFile = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "console-test")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, accounts.FileName)
	a, err := accounts.NewMemory(accountsConfig, path, accounts.Options{})
	if err != nil {
		return nil, err
	}
	for _, u := range []struct {
		name, display string
		role          accounts.Role
	}{
		{"anna", "Anna Schmidt", accounts.RoleCaseworker},
		{"ben", "Ben Braun", accounts.RoleCaseworker},
		{"rita", "Rita Admin", accounts.RoleAdmin},
		{"dora", "Dora Gesperrt", accounts.RoleCaseworker},
	} {
		if _, err := a.AddUser(bg, u.name, u.display, u.role, password); err != nil {
			return nil, err
		}
	}
	if err := a.SetDisabled(bg, "dora", true); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, clock: testtime.NewClock(time.Now()), store: conversation.NewMemory(conversation.Options{}), logs: &syncBuffer{}}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// The accounts file is written once per test binary (bcrypt is slow
	// under the race detector) and copied for each test.
	file, err := accountsFile()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), accounts.FileName)
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	h.accounts, err = accounts.NewMemory(accountsConfig, path, accounts.Options{Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if o.accounts != nil {
		h.accounts = o.accounts(h.clock.Now)
	}
	dcfg := o.desk
	if dcfg.WatchInterval == 0 {
		dcfg.WatchInterval, dcfg.ReclaimAfter = 100*time.Millisecond, time.Second
	}
	if o.registry == nil {
		o.registry = channels.NewRegistry()
	}
	h.desk, err = handoff.New(dcfg, handoff.Options{State: h.store, Queue: handoff.NewMemoryQueue(), Registry: o.registry, Users: h.accounts, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { defer close(done); _ = h.desk.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	srv, err := web.New(web.Config{PublicURL: o.public, TrustProxy: o.trustProxy}, web.DefaultBranding(), log)
	if err != nil {
		t.Fatal(err)
	}
	opts := console.Options{
		Desk: h.desk, Accounts: h.accounts, Store: h.store, Bus: h.store, PublicURL: o.public, Log: log,
		RefreshInterval: o.refresh, LoginsPerMinute: o.logins, Now: h.clock.Now, Analytics: o.analytics,
		Ephemeral: o.inMemory,
	}
	if o.teach {
		h.aliases = aliases.NewFile("", aliases.Options{})
		opts.Teacher, opts.Aliases = newTeacher(t, h.aliases, h.store), h.aliases
	}
	h.console, err = console.New(o.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("/console/", h.console)
	srv.Handle("GET /console", h.console)
	if o.tls {
		h.srv = httptest.NewTLSServer(srv.Handler())
	} else {
		h.srv = httptest.NewServer(srv.Handler())
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(bg, 5*time.Second)
		defer scancel()
		_ = h.console.Shutdown(sctx)
		h.srv.Close()
	})
	return h
}

// waiting creates a conversation with one citizen message and queues it
// for a caseworker (someone is online, so it waits rather than becoming a
// ticket).
func (h *harness) waiting(id, channel, lang, text string) conversation.Conversation {
	h.t.Helper()
	if err := h.desk.Heartbeat(bg, "rita"); err != nil {
		h.t.Fatal(err)
	}
	addr := ""
	if channel != conversation.ChannelWeb {
		addr = "+4930123456"
	}
	if _, err := h.store.Create(bg, conversation.Conversation{ID: id, Channel: channel, Address: addr, Language: lang}); err != nil {
		h.t.Fatal(err)
	}
	if _, _, err := h.store.Append(bg, id, conversation.Message{Role: conversation.RoleCitizen, Text: text, Language: lang}); err != nil {
		h.t.Fatal(err)
	}
	if _, _, err := h.store.Append(bg, id, conversation.Message{Role: conversation.RoleBot, Text: "Dazu bin ich mir nicht sicher.", Language: lang,
		Decision: &conversation.Decision{Kind: "handoff", Reason: "low_confidence", Confidence: 0.31,
			Candidates: []conversation.PageRef{{ID: "personalausweis", Title: "Personalausweis beantragen", URL: "https://www.musterstadt.example/personalausweis", Score: 0.42}}}}); err != nil {
		h.t.Fatal(err)
	}
	q, err := h.desk.Request(bg, id, conversation.HandoffRequest{Reason: "low_confidence", Language: lang, Channel: channel, Question: text,
		Candidates: []conversation.PageRef{{ID: "personalausweis", Title: "Personalausweis beantragen", URL: "https://www.musterstadt.example/personalausweis", Score: 0.42}}})
	if err != nil || !q.Queued {
		h.t.Fatalf("request %s: %+v %v", id, q, err)
	}
	c, err := h.store.Get(bg, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// client is one browser: a cookie jar, the CSRF token from login, and the
// console's Origin on every request.
type client struct {
	t    *testing.T
	h    *harness
	http *http.Client
	csrf string
	user string
}

func (h *harness) newClient() *client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Transport: h.srv.Client().Transport, Jar: jar, Timeout: 20 * time.Second}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client{t: h.t, h: h, http: hc}
}

// login logs user in and fails the test if that does not work.
func (h *harness) login(user string) *client {
	h.t.Helper()
	c := h.newClient()
	code, body := c.do("POST", "/console/api/login", map[string]string{"username": user, "password": password})
	if code != http.StatusOK {
		h.t.Fatalf("login %s: %d %v", user, code, body)
	}
	c.csrf, _ = body["csrf"].(string)
	c.user = user
	return c
}

type reqOpt func(*http.Request)

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

func noHeader(k string) reqOpt { return func(r *http.Request) { r.Header.Del(k) } }

// do sends a request as the console page would (JSON, Origin, CSRF) and
// decodes the JSON answer. body may be a string (sent as is) or a value.
func (c *client) do(method, path string, body any, opts ...reqOpt) (int, map[string]any) {
	c.t.Helper()
	resp := c.raw(method, path, body, opts...)
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: %d, not JSON: %q", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

func (c *client) raw(method, path string, body any, opts ...reqOpt) *http.Response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.h.srv.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", c.h.srv.URL)
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

func (c *client) cookie() *http.Cookie {
	u, _ := url.Parse(c.h.srv.URL + "/console/")
	for _, k := range c.http.Jar.Cookies(u) {
		return k
	}
	return nil
}

// live is a console's live socket.
type live struct {
	t       *testing.T
	ws      *websocket.Conn
	welcome frame
}

// frame is any live frame.
type frame map[string]any

func (c *client) dialLive(opts ...reqOpt) (*websocket.Conn, *http.Response, error) {
	c.t.Helper()
	u := "ws" + strings.TrimPrefix(c.h.srv.URL, "http") + "/console/api/live"
	req, _ := http.NewRequest("GET", c.h.srv.URL, nil)
	req.Header.Set("Origin", c.h.srv.URL)
	for _, o := range opts {
		o(req)
	}
	if ck := c.cookie(); ck != nil {
		req.AddCookie(ck)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, TLSClientConfig: c.http.Transport.(*http.Transport).TLSClientConfig}
	return d.Dial(u, req.Header)
}

func (c *client) live() *live {
	c.t.Helper()
	ws, resp, err := c.dialLive()
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		c.t.Fatalf("live socket: %v (%d)", err, code)
	}
	c.t.Cleanup(func() { ws.Close() })
	l := &live{t: c.t, ws: ws}
	l.welcome = l.next("welcome")
	return l
}

// next reads frames until one of type typ (10 s at most).
func (l *live) next(typ string) frame {
	l.t.Helper()
	return l.until(typ, func(frame) bool { return true })
}

// until reads frames until one of type typ satisfies ok.
func (l *live) until(typ string, ok func(frame) bool) frame {
	l.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = l.ws.SetReadDeadline(deadline)
		var f frame
		if err := l.ws.ReadJSON(&f); err != nil {
			l.t.Fatalf("live: waiting for %s: %v", typ, err)
		}
		if f["type"] == typ && ok(f) {
			return f
		}
	}
}

func (l *live) send(v any) {
	l.t.Helper()
	if err := l.ws.WriteJSON(v); err != nil {
		l.t.Fatal(err)
	}
}

// list returns the conversation ids of one list of a queue frame.
func list(f frame, name string) []string {
	var ids []string
	items, _ := f[name].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		id, _ := m["conversation_id"].(string)
		ids = append(ids, id)
	}
	return ids
}

func has(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// online returns the user names in a queue frame's presence list.
func online(f frame) []string {
	var out []string
	ps, _ := f["online"].([]any)
	for _, p := range ps {
		m, _ := p.(map[string]any)
		n, _ := m["name"].(string)
		out = append(out, n)
	}
	return out
}

// isClose reports whether err is a close frame with code.
func isClose(err error, code int) bool {
	return websocket.IsCloseError(err, code)
}
