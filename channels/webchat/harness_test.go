package webchat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/testcity"
)

// sampleKB is the sample city, built once per test binary.
var sampleKB = testcity.KB

// backend is a conversation store that is also the bus (memory or Redis).
type backend interface {
	conversation.Store
	conversation.Bus
	conversation.Idempotency
}

type harness struct {
	t        testing.TB
	store    backend
	desk     *handoff.Desk
	accounts *accounts.Store
	svc      *dialog.Service
	h        *Handler
	srv      *httptest.Server
	url      string // ws://…/ws
}

type harnessOptions struct {
	cfg     Config
	store   backend                         // default: memory
	phraser dialog.Phraser                  // default: none
	opts    func(*Options)                  // adjust Options
	server  func(http.Handler) http.Handler // wrap the handler (default: as is)
}

func newHarness(t testing.TB, ho harnessOptions) *harness {
	t.Helper()
	kb, err := sampleKB()
	if err != nil {
		t.Fatalf("sample city: %v", err)
	}
	engine, err := dialog.NewEngine(dialog.Config{CityName: "Musterstadt"}, kb, ho.phraser, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := ho.store
	if st == nil {
		st = conversation.NewMemory(conversation.Options{})
	}
	accts, err := accounts.NewMemory(accounts.Config{BcryptCost: accounts.MinBcryptCost}, "", accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	desk, err := handoff.New(handoff.Config{}, handoff.Options{State: st, Queue: handoff.NewMemoryQueue(), Registry: channels.NewRegistry(), Users: accts})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	deskDone := make(chan struct{})
	go func() { defer close(deskDone); _ = desk.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-deskDone })

	svc, err := dialog.NewService(dialog.ServiceConfig{}, dialog.ServiceOptions{Engine: engine, Store: st, Bus: st, Desk: desk})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Names: accountNames{accts}}
	if ho.opts != nil {
		ho.opts(&opts)
	}
	h, err := New(ho.cfg, svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /ws", h)
	var handler http.Handler = mux
	if ho.server != nil {
		handler = ho.server(handler)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = h.Shutdown(sctx)
		srv.Close()
	})
	return &harness{t: t, store: st, desk: desk, accounts: accts, svc: svc, h: h, srv: srv,
		url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"}
}

// accountNames shows caseworkers' display names (what serve wires up).
type accountNames struct{ a *accounts.Store }

func (n accountNames) DisplayName(ctx context.Context, username string) (string, error) {
	u, err := n.a.User(ctx, username)
	if err != nil {
		return "", err
	}
	return u.DisplayName, nil
}

// client is a test WebSocket client that records every frame it gets.
type client struct {
	t      testing.TB
	ws     *websocket.Conn
	frames chan frame
	closed chan error // the read error that ended the connection
	token  string
}

// frame is any server frame, decoded loosely.
type frame struct {
	Type         string          `json:"type"`
	Token        string          `json:"token"`
	Resumed      bool            `json:"resumed"`
	Reset        bool            `json:"reset"`
	ResumeWithin int64           `json:"resume_within_ms"`
	LastSeq      int64           `json:"last_seq"`
	Status       string          `json:"status"`
	Message      wireMessage     `json:"message"`
	Replay       bool            `json:"replay"`
	On           bool            `json:"on"`
	Position     int             `json:"position"`
	WaitSeconds  int             `json:"wait_seconds"`
	Ref          string          `json:"ref"`
	Code         string          `json:"code"`
	Detail       string          `json:"detail"`
	Retry        bool            `json:"retry"`
	RetryAfterMS int             `json:"retry_after_ms"`
	Raw          json.RawMessage `json:"-"`
}

func (h *harness) dial(hdr http.Header) *client {
	h.t.Helper()
	c, resp, err := h.tryDial(hdr)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		h.t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	return c
}

func (h *harness) tryDial(hdr http.Header) (*client, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial(h.url, hdr)
	if err != nil {
		return nil, resp, err
	}
	c := &client{t: h.t, ws: ws, frames: make(chan frame, 256), closed: make(chan error, 1)}
	go func() {
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				c.closed <- err
				close(c.frames)
				return
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				c.closed <- fmt.Errorf("server sent bad JSON %q: %w", data, err)
				close(c.frames)
				return
			}
			f.Raw = data
			c.frames <- f
		}
	}()
	h.t.Cleanup(func() { _ = ws.Close() })
	return c, resp, nil
}

func (c *client) send(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *client) sendRaw(typ int, data []byte) {
	c.t.Helper()
	if err := c.ws.WriteMessage(typ, data); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// next returns the next frame, skipping typing indicators.
func (c *client) next() frame {
	c.t.Helper()
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("connection ended while waiting for a frame: %v", <-c.closed)
			}
			if f.Type == "typing" {
				continue
			}
			return f
		case <-time.After(10 * time.Second):
			c.t.Fatal("timed out waiting for a frame")
		}
	}
}

// expect returns the next frame and checks its type.
func (c *client) expect(typ string) frame {
	c.t.Helper()
	f := c.next()
	if f.Type != typ {
		c.t.Fatalf("got %s frame %s, want %s", f.Type, f.Raw, typ)
	}
	return f
}

// quiet checks that no frame (other than typing) arrives for d.
func (c *client) quiet(d time.Duration) {
	c.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				return
			}
			if f.Type != "typing" {
				c.t.Fatalf("unexpected frame %s", f.Raw)
			}
		case <-deadline:
			return
		}
	}
}

// closeCode waits for the server to close the connection and returns the code.
func (c *client) closeCode() int {
	c.t.Helper()
	for {
		select {
		case _, ok := <-c.frames:
			if ok {
				continue
			}
			err := <-c.closed
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			c.t.Fatalf("connection ended without a close frame: %v", err)
		case <-time.After(10 * time.Second):
			c.t.Fatal("timed out waiting for the close")
		}
	}
}

// hello says hello and reads the welcome, the backlog and synced.
func (c *client) hello(token string, lastSeq int64) (frame, []wireMessage) {
	c.t.Helper()
	c.send(map[string]any{"type": "hello", "v": 1, "token": token, "last_seq": lastSeq, "lang": "de"})
	w := c.expect("welcome")
	c.token = w.Token
	var backlog []wireMessage
	for {
		f := c.next()
		switch f.Type {
		case "message":
			if !f.Replay {
				c.t.Fatalf("backlog message without replay: %s", f.Raw)
			}
			backlog = append(backlog, f.Message)
		case "synced":
			return w, backlog
		default:
			c.t.Fatalf("unexpected frame before synced: %s", f.Raw)
		}
	}
}

// ask sends a message and returns the echo and the bot's reply.
func (c *client) ask(id, text string) (wireMessage, wireMessage) {
	c.t.Helper()
	c.send(map[string]any{"type": "message", "id": id, "text": text})
	echo := c.expect("message").Message
	if echo.Role != conversation.RoleCitizen || echo.ClientID != id || echo.Text != text {
		c.t.Fatalf("echo = %+v, want the citizen message %s", echo, id)
	}
	reply := c.expect("message").Message
	if reply.Role != conversation.RoleBot || reply.Seq != echo.Seq+1 {
		c.t.Fatalf("reply = %+v, want the bot's answer after seq %d", reply, echo.Seq)
	}
	return echo, reply
}
