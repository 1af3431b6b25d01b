package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/config"
)

// killListener is a listener whose accepted connections can all be cut at
// once: an instance that crashes.
type killListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
	dead  bool
}

func (l *killListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dead {
		c.Close()
		return nil, net.ErrClosed
	}
	l.conns = append(l.conns, c)
	return c, nil
}

func (l *killListener) kill() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dead = true
	l.Listener.Close()
	for _, c := range l.conns {
		c.Close()
	}
}

// syncBuf collects an instance's log.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instance is one civibot serve, wired by serveWith, on its own listener.
type instance struct {
	t      testing.TB
	url    string
	ln     *killListener
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuf
	out    *syncBuf
	once   sync.Once
}

// testConfig is civibot's config for tests on Redis at url: a fast handoff
// watcher, cheap bcrypt, generous web chat limits (many sockets from one
// address).
func testConfig(t testing.TB, redisURL string) config.Config {
	t.Helper()
	cfg, err := config.Load("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Redis.URL = redisURL
	cfg.Security.DataDir = t.TempDir()
	cfg.Handoff.WatchInterval = 100 * time.Millisecond
	cfg.Handoff.ReclaimAfter = time.Second
	cfg.Handoff.Accounts.BcryptCost = 10
	cfg.Webchat.IPConnections = 10000
	cfg.Webchat.IPConnectsPerMinute, cfg.Webchat.IPConnectBurst = 100000, 10000
	cfg.Webchat.IPMessagesPerMinute, cfg.Webchat.IPMessageBurst = 100000, 10000
	cfg.Dialog.CityName = cfg.City.Name
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startInstance(t testing.TB, cfg config.Config) *instance {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{t: t, url: "http://" + raw.Addr().String(), ln: &killListener{Listener: raw}, done: make(chan error, 1), logs: &syncBuf{}, out: &syncBuf{}}
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	log := slog.New(slog.NewJSONHandler(in.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	go func() {
		in.done <- serveWith(ctx, cfg, log, in.out, io.Discard, func() (net.Listener, error) { return in.ln, nil })
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(in.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance did not become ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() { in.stop() })
	return in
}

// stop shuts the instance down gracefully.
func (in *instance) stop() {
	in.once.Do(func() {
		in.cancel()
		select {
		case <-in.done:
		case <-time.After(20 * time.Second):
			in.t.Error("instance did not stop")
		}
	})
}

// kill ends the instance abruptly: every connection is cut, then its
// context ends (its watcher stops renewing what it held).
func (in *instance) kill() {
	in.ln.kill()
	in.stop()
}

// ---- a citizen on the web chat (protocol v1) ----

type citizen struct {
	t       testing.TB
	ws      *websocket.Conn
	token   string
	lastSeq int64
	seen    []int64
	texts   map[int64]string
}

type chatFrame struct {
	Type    string `json:"type"`
	Token   string `json:"token"`
	Resumed bool   `json:"resumed"`
	Status  string `json:"status"`
	Code    string `json:"code"`
	Ref     string `json:"ref"`
	Retry   bool   `json:"retry"`
	LastSeq int64  `json:"last_seq"`
	Message struct {
		Seq      int64  `json:"seq"`
		Role     string `json:"role"`
		Author   string `json:"author"`
		Text     string `json:"text"`
		ClientID string `json:"client_id"`
	} `json:"message"`
}

// dialCitizen opens the chat on base and says hello (token "" starts a
// new conversation); it returns after the backlog (synced).
func dialCitizen(t testing.TB, base, token string, lastSeq int64, prev *citizen) *citizen {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		t.Fatalf("citizen dial: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	c := &citizen{t: t, ws: ws, texts: map[int64]string{}}
	if prev != nil {
		c.seen, c.texts = prev.seen, prev.texts
	}
	c.lastSeq = lastSeq
	c.send(map[string]any{"type": "hello", "v": 1, "token": token, "last_seq": lastSeq, "lang": "de"})
	w := c.until("welcome", nil)
	c.token = w.Token
	if token != "" && !w.Resumed {
		t.Fatalf("resume with the token: not resumed (%+v)", w)
	}
	c.until("synced", nil)
	return c
}

func (c *citizen) send(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("citizen send: %v", err)
	}
}

// until reads frames until one of type typ ("": any type) matches ok (nil: any). Every
// message frame is checked: seqs rise strictly, none twice.
func (c *citizen) until(typ string, ok func(chatFrame) bool) chatFrame {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_ = c.ws.SetReadDeadline(deadline)
		var f chatFrame
		if err := c.ws.ReadJSON(&f); err != nil {
			c.t.Fatalf("citizen: waiting for %s: %v", typ, err)
		}
		if f.Type == "message" {
			if f.Message.Seq <= c.lastSeq {
				c.t.Errorf("citizen got seq %d after %d: duplicated or out of order", f.Message.Seq, c.lastSeq)
			}
			c.lastSeq = f.Message.Seq
			c.seen = append(c.seen, f.Message.Seq)
			c.texts[f.Message.Seq] = f.Message.Role + ":" + f.Message.Text
		}
		if (typ == "" || f.Type == typ) && (ok == nil || ok(f)) {
			return f
		}
	}
}

// ---- a caseworker in the console ----

type caseworker struct {
	t    testing.TB
	base string
	http *http.Client
	csrf string
	live *websocket.Conn
	seq  int64 // last message seq seen on the live socket (open conversation)
}

func loginCaseworker(t testing.TB, base, user, pass string) *caseworker {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	cw := &caseworker{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
	code, body := cw.do("POST", "/console/api/login", map[string]string{"username": user, "password": pass})
	if code != 200 {
		t.Fatalf("login %s on %s: %d %v", user, base, code, body)
	}
	cw.csrf = body["csrf"].(string)
	return cw
}

func (cw *caseworker) do(method, path string, body any) (int, map[string]any) {
	cw.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, cw.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", cw.base)
	if cw.csrf != "" {
		req.Header.Set("X-CSRF-Token", cw.csrf)
	}
	resp, err := cw.http.Do(req)
	if err != nil {
		cw.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// connect opens the live socket (the console page's).
func (cw *caseworker) connect() {
	cw.t.Helper()
	h := http.Header{"Origin": {cw.base}}
	req, _ := http.NewRequest("GET", cw.base+"/console/api/live", nil)
	for _, c := range cw.http.Jar.Cookies(req.URL) {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(cw.base, "http")+"/console/api/live", h)
	if err != nil {
		cw.t.Fatalf("console live socket: %v", err)
	}
	cw.t.Cleanup(func() { ws.Close() })
	cw.live = ws
	cw.until("welcome", nil)
}

type liveFrame map[string]any

// until reads live frames until one of type typ matches ok (nil: any).
// Messages frames are checked: seqs rise by one, none lost or twice.
func (cw *caseworker) until(typ string, ok func(liveFrame) bool) liveFrame {
	cw.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_ = cw.live.SetReadDeadline(deadline)
		var f liveFrame
		if err := cw.live.ReadJSON(&f); err != nil {
			cw.t.Fatalf("console: waiting for %s: %v", typ, err)
		}
		if f["type"] == "messages" {
			for _, m := range f["messages"].([]any) {
				seq := int64(m.(map[string]any)["seq"].(float64))
				if seq != cw.seq+1 {
					cw.t.Errorf("console got seq %d after %d: lost or duplicated", seq, cw.seq)
				}
				cw.seq = seq
			}
		}
		if f["type"] == typ && (ok == nil || ok(f)) {
			return f
		}
	}
}

func (cw *caseworker) send(v any) {
	cw.t.Helper()
	if err := cw.live.WriteJSON(v); err != nil {
		cw.t.Fatal(err)
	}
}

func ids(f liveFrame, list string) []string {
	var out []string
	items, _ := f[list].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any)["conversation_id"].(string))
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// hasMessage says whether a messages frame holds a message with role and text.
func hasMessage(f liveFrame, role, text string) bool {
	for _, m := range f["messages"].([]any) {
		mm := m.(map[string]any)
		if mm["role"] == role && mm["text"] == text {
			return true
		}
	}
	return false
}

// casePassword is every test caseworker's password.
const casePassword = "correct horse battery"

// addUser runs `civibot user add NAME --name DISPLAY` against Redis, as an
// operator would.
func addUser(t testing.TB, redisURL, name, display string, admin bool) {
	t.Helper()
	args := []string{"user", "add", name, "--name", display, "--password-stdin", "--redis-url", redisURL}
	if admin {
		args = append(args, "--admin")
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &cli{
		stdin: strings.NewReader(casePassword + "\n"), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return cheapEnv[k] },
	})
	if code != 0 {
		t.Fatalf("user add %s: exit %d: %s", name, code, errOut.String())
	}
}

func getCode(t testing.TB, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeConsole is the newcomer's path without Redis: serve says how to
// create an account, `civibot user add` creates one while serve runs, and
// it logs in to /console.
func TestServeConsole(t *testing.T) {
	cfg := testConfig(t, "")
	in := startInstance(t, cfg)
	if out := in.out.String(); !strings.Contains(out, "No caseworker accounts yet: create one with `civibot user add NAME --admin`") ||
		!strings.Contains(out, "caseworker console: http://127.0.0.1:") {
		t.Errorf("serve printed %q", out)
	}
	resp, err := http.Get(in.url + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("GET /console/ = %d %v", resp.StatusCode, resp.Header)
	}

	code, _, errOut := runCmd(t, cheapEnv, casePassword+"\n", "user", "add", "erika", "--admin", "--name", "Erika Mustermann",
		"--password-stdin", "--data-dir", cfg.Security.DataDir)
	if code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	erika := loginCaseworker(t, in.url, "erika", casePassword)
	erika.connect()
	q := erika.until("queue", nil)
	if people := q["people"].(map[string]any); people["erika"] != "Erika Mustermann" {
		t.Errorf("queue frame = %v", q)
	}

	// With an account, the hint is gone.
	again := startInstance(t, cfg)
	if strings.Contains(again.out.String(), "No caseworker accounts") {
		t.Errorf("serve with an account printed %q", again.out.String())
	}
}

func TestServeConsoleConfig(t *testing.T) {
	for _, tt := range []struct {
		set, want string
	}{
		{"console.secure_cookie=never", "console.secure_cookie must be auto or always"},
		{"console.heartbeat_interval=50s", "console.heartbeat_interval (50s) must be at most half of handoff.presence_timeout"},
		{"console.sso.header=X-Proxy-Secret", "console.sso: set header, secret and user_header together"},
	} {
		code, _, errOut := runCmd(t, nil, "", "serve", "--set", tt.set)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("serve --set %s: exit %d, %q; want %q", tt.set, code, errOut, tt.want)
		}
	}
}
