package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/testtime"
)

func TestLiveHandshake(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	anna := h.login("anna")
	tests := []struct {
		name string
		c    *client
		opts []reqOpt
		code int
	}{
		{"no origin", anna, []reqOpt{noHeader("Origin")}, http.StatusForbidden},
		{"other origin", anna, []reqOpt{header("Origin", "https://evil.example")}, http.StatusForbidden},
		{"no session", h.newClient(), nil, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, resp, err := tt.c.dialLive(tt.opts...)
			if err == nil {
				ws.Close()
				t.Fatal("the socket opened")
			}
			if resp == nil || resp.StatusCode != tt.code {
				t.Fatalf("handshake: %v %v, want %d", err, resp, tt.code)
			}
		})
	}
	if l := anna.live(); l.welcome["sid"] == "" || l.welcome["user"].(map[string]any)["display_name"] != "Anna Schmidt" {
		t.Errorf("welcome = %v", l.welcome)
	}
	testtime.WaitFor(t, 10*time.Second, "anna online after connecting", func() bool { return isOnline(h, "anna") })
}

// seqs checks that messages frames carry each seq once, in order.
type seqCheck struct {
	t    *testing.T
	last int64
}

func (s *seqCheck) add(f frame) []map[string]any {
	s.t.Helper()
	var out []map[string]any
	for _, m := range f["messages"].([]any) {
		mm := m.(map[string]any)
		seq := int64(mm["seq"].(float64))
		if seq != s.last+1 {
			s.t.Errorf("message seq %d after %d: lost or duplicated", seq, s.last)
		}
		s.last = seq
		out = append(out, mm)
	}
	return out
}

func TestLiveQueueAndConversation(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	anna, ben := h.login("anna"), h.login("ben")
	la := anna.live()
	q := la.next("queue")
	if len(list(q, "waiting")) != 0 || !has(online(q), "anna") {
		t.Fatalf("first queue frame = %v", q)
	}

	// A handoff anywhere shows up in the queue frame, with its details.
	start := time.Now()
	h.waiting("w1", conversation.ChannelWeb, "de", "Ich möchte mit jemandem sprechen")
	q = la.until("queue", func(f frame) bool { return has(list(f, "waiting"), "w1") })
	t.Logf("handoff visible in the console after %v", time.Since(start))
	e := q["waiting"].([]any)[0].(map[string]any)
	if e["position"] != float64(1) || e["channel"] != "web" || e["language"] != "de" || e["reason"] != "low_confidence" || e["since"] == nil {
		t.Errorf("waiting entry = %v", e)
	}
	if ev, _ := q["event"].(map[string]any); ev == nil || ev["type"] != "requested" || ev["conversation_id"] != "w1" {
		t.Errorf("event = %v", q["event"])
	}
	if q["now"] == nil {
		t.Error("the queue frame has no server time")
	}

	// Presence: ben comes online.
	lb := ben.live()
	la.until("queue", func(f frame) bool { return has(online(f), "ben") })

	// Follow the conversation: the record, then the history.
	la.send(map[string]any{"type": "open", "id": "w1", "after": 0})
	c := la.next("conversation")["conversation"].(map[string]any)
	if c["id"] != "w1" || c["status"] != "waiting" || c["handoff"].(map[string]any)["reason"] != "low_confidence" {
		t.Errorf("conversation = %v", c)
	}
	seqs := &seqCheck{t: t}
	hist := la.next("messages")
	if hist["replay"] != true || len(seqs.add(hist)) != 2 {
		t.Errorf("history = %v", hist)
	}

	// Ben claims on his console: anna sees the status and the notice.
	if code, body := ben.do("POST", "/console/api/conversations/w1/claim", nil); code != 200 {
		t.Fatalf("claim = %d %v", code, body)
	}
	la.until("conversation", func(f frame) bool {
		cv := f["conversation"].(map[string]any)
		return cv["status"] == "claimed" && cv["assignee"] == "ben" && cv["people"].(map[string]any)["ben"] == "Ben Braun"
	})
	f := la.next("messages")
	if ms := seqs.add(f); len(ms) != 1 || ms[0]["role"] != "system" || f["replay"] == true {
		t.Errorf("after the claim: %v", f)
	}
	lb.until("queue", func(f frame) bool { return has(list(f, "mine"), "w1") })
	la.until("queue", func(f frame) bool { return has(list(f, "others"), "w1") && !has(list(f, "waiting"), "w1") })

	// New messages of the open conversation, whoever writes them.
	if _, _, err := h.store.Append(bg, "w1", conversation.Message{Role: conversation.RoleCitizen, Text: "Sind Sie da?"}); err != nil {
		t.Fatal(err)
	}
	ben.do("POST", "/console/api/conversations/w1/reply", map[string]string{"text": "Ja, ich bin da."})
	anna.do("POST", "/console/api/conversations/w1/note", map[string]string{"text": "Kenne den Fall"})
	var got []string
	for len(got) < 3 {
		for _, m := range seqs.add(la.next("messages")) {
			got = append(got, m["role"].(string)+":"+m["text"].(string))
		}
	}
	if strings.Join(got, "|") != "citizen:Sind Sie da?|caseworker:Ja, ich bin da.|note:Kenne den Fall" {
		t.Errorf("live messages = %q", got)
	}

	// Re-open after a reconnect: only what came after.
	la.send(map[string]any{"type": "close"})
	la.send(map[string]any{"type": "open", "id": "w1", "after": 4})
	la.next("conversation")
	if ms := la.next("messages")["messages"].([]any); len(ms) != 2 || ms[0].(map[string]any)["seq"] != float64(5) {
		t.Errorf("messages after 4 = %v", ms)
	}

	// Deleted while open.
	rita := h.login("rita")
	rita.do("DELETE", "/console/api/conversations/w1", nil)
	if g := la.next("gone"); g["conversation_id"] != "w1" {
		t.Errorf("gone = %v", g)
	}
}

func TestLiveBadFrames(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	l := h.login("anna").live()
	for _, tt := range []struct {
		send string
		code string
	}{
		{`not json`, "bad_json"},
		{`{"type": "dance"}`, "unknown_type"},
		{`{"type": "open", "id": "{bad}"}`, "bad_id"},
		{`{"type": "open", "id": "w1", "after": -1}`, "bad_id"},
	} {
		if err := l.ws.WriteMessage(websocket.TextMessage, []byte(tt.send)); err != nil {
			t.Fatal(err)
		}
		if f := l.next("error"); f["code"] != tt.code {
			t.Errorf("%s: error %v, want %s", tt.send, f, tt.code)
		}
	}
	if err := l.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if f := l.next("error"); f["code"] != "bad_frame" {
		t.Errorf("binary frame: %v", f)
	}
	// Opening an unknown conversation says it is gone.
	l.send(map[string]any{"type": "open", "id": "w0123456789abcdef0123456789abcdef"})
	l.next("gone")
	// An oversized frame closes the socket (1009).
	if err := l.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"open","id":"`+strings.Repeat("x", 5000)+`"}`)); err != nil {
		t.Fatal(err)
	}
	_ = l.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := l.ws.ReadMessage(); err != nil {
			if !isClose(err, websocket.CloseMessageTooBig) {
				t.Errorf("after an oversized frame: %v, want close 1009", err)
			}
			break
		}
	}
}

// TestBrowserClosed: a caseworker who closes the browser (no logout, no
// leave) keeps the session until it expires, goes offline after the
// presence timeout, and finds their claimed conversation under "mine" at
// the next login.
func TestBrowserClosed(t *testing.T) {
	h := newHarness(t, harnessOpts{desk: handoff.Config{PresenceTimeout: 1500 * time.Millisecond, WatchInterval: 100 * time.Millisecond, ReclaimAfter: time.Second}})
	h.waiting("w1", conversation.ChannelWeb, "de", "Ich brauche Hilfe beim Antrag")
	anna, ben := h.login("anna"), h.login("ben")
	la := anna.live()
	lb := ben.live()
	lb.until("queue", func(f frame) bool { return has(online(f), "anna") })
	if code, _ := anna.do("POST", "/console/api/conversations/w1/claim", nil); code != 200 {
		t.Fatal("claim failed")
	}
	la.until("queue", func(f frame) bool { return has(list(f, "mine"), "w1") })

	// The browser goes away: the TCP connection drops without a close frame.
	var seen time.Time
	ps, _ := h.desk.Online(bg)
	for _, p := range ps {
		if p.Caseworker == "anna" {
			seen = p.Seen
		}
	}
	la.ws.NetConn().Close()
	testtime.WaitFor(t, 10*time.Second, "the socket to be gone on the server", func() bool { return h.console.Open() == 1 })

	// Presence: offline after the timeout, and colleagues see it.
	if !isOnline(h, "anna") {
		t.Error("anna went offline at once; she should stay until the presence timeout")
	}
	lb.until("queue", func(f frame) bool { return !has(online(f), "anna") })
	if after := time.Since(seen); after < 1500*time.Millisecond {
		t.Errorf("anna went offline %v after her last heartbeat, before the presence timeout", after)
	}
	// The claim stays.
	if c, _ := h.store.Get(bg, "w1"); c.Status != conversation.StatusClaimed || c.Assignee != "anna" {
		t.Errorf("conversation after the browser closed: %s %s", c.Status, c.Assignee)
	}
	_, q := ben.do("GET", "/console/api/queue", nil)
	if !has(list(q, "others"), "w1") || has(list(q, "waiting"), "w1") {
		t.Errorf("ben's lists: %v", q)
	}
	// The session stays until it expires.
	if code, _ := anna.do("GET", "/console/api/me", nil); code != 200 {
		t.Errorf("anna's session ended with the browser: %d", code)
	}
	// Next login: the conversation is under "mine", and she is online again.
	again := h.login("anna")
	q2 := again.live().next("queue")
	if !has(list(q2, "mine"), "w1") || !has(online(q2), "anna") {
		t.Errorf("after logging in again: %v", q2)
	}
	if code, body := again.do("POST", "/console/api/conversations/w1/reply", map[string]string{"text": "Ich bin zurück."}); code != 200 {
		t.Errorf("reply after logging in again = %d %v", code, body)
	}
	// And the old session still expires.
	h.clock.Advance(accounts.DefaultSessionIdle + time.Second)
	if code, _ := anna.do("GET", "/console/api/me", nil); code != 401 {
		t.Errorf("the old session after the idle time = %d", code)
	}
}

func TestLeave(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	anna := h.login("anna")
	l1, l2 := anna.live(), anna.live()
	testtime.WaitFor(t, 10*time.Second, "anna online", func() bool { return isOnline(h, "anna") })
	// One of two tabs closes: she stays online.
	leave := map[string]any{"sid": l1.welcome["sid"]}
	if code, body := anna.do("POST", "/console/api/leave", leave); code != 200 || !isOnline(h, "anna") {
		t.Errorf("leave with another tab open = %d %v, online %v", code, body, isOnline(h, "anna"))
	}
	// The last one closes: offline at once.
	l2.ws.Close()
	testtime.WaitFor(t, 10*time.Second, "the second socket closed", func() bool { return h.console.Open() == 1 })
	if code, _ := anna.do("POST", "/console/api/leave", leave, noHeader("X-CSRF-Token")); code != 403 {
		t.Errorf("leave without CSRF = %d", code)
	}
	if code, body := anna.do("POST", "/console/api/leave", leave); code != 200 || isOnline(h, "anna") {
		t.Errorf("leave = %d %v, still online %v", code, body, isOnline(h, "anna"))
	}
}

func TestLiveShutdown(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	l := h.login("anna").live()
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.console.Shutdown(ctx) }()
	l.next("server_shutdown")
	if _, _, err := l.ws.ReadMessage(); !isClose(err, 1012) {
		t.Errorf("close after shutdown: %v, want 1012", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if _, resp, err := h.login("anna").dialLive(); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a new socket during shutdown: %v %v", err, resp)
	}
}

// TestLiveShutdownCut: a console that does not answer the close is cut
// when the shutdown deadline passes.
func TestLiveShutdownCut(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.login("anna").live() // never read again
	ctx, cancel := context.WithTimeout(bg, 200*time.Millisecond)
	defer cancel()
	err := h.console.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "1 live sockets cut") {
		t.Errorf("Shutdown = %v", err)
	}
	testtime.WaitFor(t, 10*time.Second, "the socket to be gone", func() bool { return h.console.Open() == 0 })
}
