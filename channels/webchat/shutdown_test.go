package webchat

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/web"
)

func TestStoreDown(t *testing.T) {
	rs := redistest.Start(t)
	st := conversation.NewRedis(rs.Client(t), conversation.Options{})
	h := newHarness(t, harnessOptions{store: st})
	c := h.dial(nil)
	w, _ := c.hello("", 0)
	c.ask("c1", "Hallo")

	rs.Stop(t)
	question := "Wo melde ich meinen Wohnsitz an?"
	c.send(map[string]any{"type": "message", "id": "c2", "text": question})
	e := c.expect("error")
	if e.Code != CodeUnavailable || e.Ref != "c2" || !e.Retry || e.RetryAfterMS <= 0 {
		t.Fatalf("store down: %s", e.Raw)
	}
	// The server keeps running: a new chat is told to retry its hello.
	d := h.dial(nil)
	d.send(map[string]any{"type": "hello", "v": 1})
	if e := d.expect("error"); e.Code != CodeUnavailable || e.Ref != "hello" || !e.Retry {
		t.Fatalf("hello while store down: %s", e.Raw)
	}

	rs.Restart(t)
	// The widget resends with the same id: stored and answered once.
	c.send(map[string]any{"type": "message", "id": "c2", "text": question})
	got := c.messages(2)
	if got[0].ClientID != "c2" || got[0].Seq != 3 || got[1].Role != conversation.RoleBot || got[1].Seq != 4 {
		t.Fatalf("after restart: %+v", got)
	}
	c.send(map[string]any{"type": "message", "id": "c2", "text": question})
	c.quiet(300 * time.Millisecond)
	msgs, err := st.Messages(context.Background(), conversation.WebID(w.Token), 0, 0)
	if err != nil || len(msgs) != 4 {
		t.Fatalf("stored %d messages (%v), want 4", len(msgs), err)
	}
	d.send(map[string]any{"type": "hello", "v": 1})
	d.expect("welcome")
	d.expect("synced")
}

// slowLLM is a fake of the OpenAI chat completions wire protocol that
// answers after a delay, to keep a turn in flight.
func slowLLM(t *testing.T, delay time.Duration, called chan<- struct{}) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case called <- struct{}{}:
		default:
		}
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"choices": []map[string]any{{"message": map[string]string{"role": "assistant", "content": "NO_ANSWER"}}},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestGracefulShutdown(t *testing.T) {
	called := make(chan struct{}, 1)
	llm := slowLLM(t, 400*time.Millisecond, called)
	phraser, err := dialog.NewOpenAIPhraser(dialog.LLMConfig{URL: llm.URL, Model: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{phraser: phraser})

	srv, err := web.New(web.Config{ShutdownTimeout: 5 * time.Second}, web.DefaultBranding(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("GET /ws", h.h)
	srv.OnShutdown("webchat", h.h.Shutdown)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	h.url = "ws://" + ln.Addr().String() + "/ws"

	idle := h.dial(nil)
	idle.hello("", 0)
	busy := h.dial(nil)
	w, _ := busy.hello("", 0)
	busy.ask("c1", "Hallo")
	busy.send(map[string]any{"type": "message", "id": "c2", "text": "Personalausweis beantragen"})
	select {
	case <-called: // the turn is in flight, waiting for the model
	case <-time.After(10 * time.Second):
		t.Fatal("the question did not reach the LLM")
	}
	start := time.Now()
	cancel()

	// The in-flight turn finishes and is delivered, then the server says
	// it is going and closes with 1012.
	got := busy.messages(2)
	if got[0].ClientID != "c2" || got[1].Role != conversation.RoleBot || !strings.Contains(got[1].Text, "Personalausweis") {
		t.Errorf("in-flight turn: %+v", got)
	}
	for _, c := range []*client{busy, idle} {
		if f := c.expect("server_shutdown"); f.RetryAfterMS <= 0 {
			t.Errorf("server_shutdown = %s", f.Raw)
		}
		if code := c.closeCode(); code != websocket.CloseServiceRestart {
			t.Errorf("close = %d, want 1012", code)
		}
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	msgs, err := h.store.Messages(context.Background(), conversation.WebID(w.Token), 0, 0)
	if err != nil || len(msgs) != 4 {
		t.Errorf("stored %d messages (%v), want 4", len(msgs), err)
	}
	if _, _, err := (&websocket.Dialer{HandshakeTimeout: time.Second}).Dial(h.url, nil); err == nil {
		t.Error("new connection accepted after shutdown")
	}
}
