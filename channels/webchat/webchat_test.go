package webchat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

func TestHappyPath(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	c := h.dial(nil)
	w, backlog := c.hello("", 0)
	if !validToken(w.Token) || w.Resumed || len(backlog) != 0 || w.Status != "bot" {
		t.Fatalf("welcome = %s, backlog %d", w.Raw, len(backlog))
	}

	echo, first := c.ask("c1", "Was kostet ein Personalausweis?")
	if echo.Seq != 1 || first.Seq != 2 {
		t.Errorf("first turn seqs = %d, %d", echo.Seq, first.Seq)
	}
	if !strings.Contains(first.Text, "KI") {
		t.Errorf("first reply lacks the AI disclosure: %q", first.Text)
	}
	if len(first.QuickReplies) == 0 {
		t.Fatalf("reply has no quick replies: %+v", first)
	}
	// The engine answers or asks which service is meant; either way a quick
	// reply (sent as a message with its payload) leads on.
	_, second := c.ask("c2", first.QuickReplies[0].Payload)
	if second.Seq != 4 {
		t.Errorf("second reply seq = %d", second.Seq)
	}
	reply := first
	if reply.Kind != "answer" {
		reply = second
	}
	if reply.Kind != "answer" || len(reply.Sources) == 0 || !strings.HasPrefix(reply.Sources[0].URL, "http") {
		t.Fatalf("no answer with a source link: %+v / %+v", first, second)
	}

	// Feedback is stored and acknowledged.
	c.send(map[string]any{"type": "feedback", "id": "f1", "seq": reply.Seq, "value": 1})
	if ack := c.expect("ack"); ack.Ref != "f1" {
		t.Errorf("ack ref = %q", ack.Ref)
	}
	msgs, err := h.store.Messages(context.Background(), conversation.WebID(w.Token), reply.Seq-1, 1)
	if err != nil || len(msgs) != 1 || msgs[0].Feedback != 1 {
		t.Errorf("stored feedback: %v %+v", err, msgs)
	}
	// Feedback on a citizen message is refused.
	c.send(map[string]any{"type": "feedback", "id": "f2", "seq": echo.Seq, "value": -1})
	if e := c.expect("error"); e.Code != CodeNotFound || e.Ref != "f2" {
		t.Errorf("feedback on citizen message: %s", e.Raw)
	}
	c.quiet(100 * time.Millisecond)
}

// caseworker adds an online caseworker to the harness's desk.
func (h *harness) caseworker(name, display string) {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.accounts.AddUser(ctx, name, display, "caseworker", "correct horse battery"); err != nil {
		h.t.Fatal(err)
	}
	if err := h.desk.Heartbeat(ctx, name); err != nil {
		h.t.Fatal(err)
	}
}

// seqs collects message frames until n have arrived and checks that each
// seq comes once, in order.
func (c *client) messages(n int) []wireMessage {
	c.t.Helper()
	var out []wireMessage
	for len(out) < n {
		f := c.next()
		if f.Type != "message" {
			continue
		}
		if len(out) > 0 && f.Message.Seq <= out[len(out)-1].Seq {
			c.t.Fatalf("message seq %d after %d: out of order or twice", f.Message.Seq, out[len(out)-1].Seq)
		}
		out = append(out, f.Message)
	}
	return out
}

func TestIdempotentResend(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	c := h.dial(nil)
	w, _ := c.hello("", 0)
	id := conversation.WebID(w.Token)
	_, reply := c.ask("c1", "Wie melde ich meinen Hund an?")

	// The same id again on the same connection: stored and answered once,
	// and nothing is sent again.
	c.send(map[string]any{"type": "message", "id": "c1", "text": "Wie melde ich meinen Hund an?"})
	c.quiet(300 * time.Millisecond)

	// After a reconnect (the echo may have been lost): the backlog has the
	// message and its answer once; the resend adds nothing.
	c2 := h.dial(nil)
	_, backlog := c2.hello(w.Token, 0)
	if len(backlog) != 2 || backlog[0].ClientID != "c1" || backlog[1].Seq != reply.Seq {
		t.Fatalf("backlog = %+v", backlog)
	}
	c2.send(map[string]any{"type": "message", "id": "c1", "text": "Wie melde ich meinen Hund an?"})
	c2.quiet(300 * time.Millisecond)

	// Two tabs send the same id at once: one stored message, one answer,
	// each tab sees it once.
	c.send(map[string]any{"type": "message", "id": "c3", "text": "Was kostet die Hundesteuer?"})
	c2.send(map[string]any{"type": "message", "id": "c3", "text": "Was kostet die Hundesteuer?"})
	for _, cl := range []*client{c, c2} {
		got := cl.messages(2)
		if got[0].Seq != 3 || got[0].ClientID != "c3" || got[1].Seq != 4 || got[1].Role != conversation.RoleBot {
			t.Errorf("tab got %+v", got)
		}
		cl.quiet(200 * time.Millisecond)
	}
	msgs, err := h.store.Messages(ctx, id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 {
		t.Errorf("stored %d messages, want 4 (two questions, two answers)", len(msgs))
	}
}

func TestResumeAfterDrop(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	h.caseworker("anna", "Anna Schmidt")

	a := h.dial(nil)
	w, _ := a.hello("", 0)
	token, id := w.Token, conversation.WebID(w.Token)
	a.ask("c1", "Wo kann ich Sperrmüll anmelden?")
	_ = a.ws.NetConn().Close() // the network drops; no close frame

	// While the citizen is away: another tab asks for a person, a
	// caseworker claims, writes a private note and replies.
	b := h.dial(nil)
	b.hello(token, 2)
	b.send(map[string]any{"type": "person", "id": "p1"})
	b.messages(2)
	if _, err := h.desk.Claim(ctx, id, "anna"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.desk.Note(ctx, id, "anna", "private: check the address"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.desk.Reply(ctx, id, "anna", "Guten Tag, ich helfe Ihnen gern."); err != nil {
		t.Fatal(err)
	}
	_ = b.ws.Close()

	all, err := h.store.Messages(ctx, id, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, m := range all {
		if m.Role != conversation.RoleNote {
			want = append(want, m.Seq)
		}
	}

	a2 := h.dial(nil)
	w2, backlog := a2.hello(token, 2)
	if !w2.Resumed || w2.Token != token || w2.Reset || w2.Status != "claimed" {
		t.Fatalf("welcome = %s", w2.Raw)
	}
	var got []int64
	for _, m := range backlog {
		got = append(got, m.Seq)
		if strings.Contains(m.Text, "private") {
			t.Errorf("a private note reached the citizen: %+v", m)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("backlog seqs %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("backlog seqs %v, want %v", got, want)
		}
	}
	last := backlog[len(backlog)-1]
	if last.Role != conversation.RoleCaseworker || last.Author != "Anna Schmidt" {
		t.Errorf("caseworker message = %+v, want it marked with Anna's display name", last)
	}
	if f := a2.expect("handoff"); f.Status != "claimed" {
		t.Errorf("handoff status after resume = %s", f.Raw)
	}

	// Live: the next caseworker message arrives once, after the others.
	if _, err := h.desk.Reply(ctx, id, "anna", "Sind Sie noch da?"); err != nil {
		t.Fatal(err)
	}
	live := a2.messages(1)[0]
	if live.Seq <= last.Seq || live.Author != "Anna Schmidt" || live.Text != "Sind Sie noch da?" {
		t.Errorf("live caseworker message = %+v", live)
	}
	// While claimed the bot stays silent: the citizen's message is echoed,
	// nothing else.
	a2.send(map[string]any{"type": "message", "id": "c9", "text": "Ja, danke!"})
	if m := a2.messages(1)[0]; m.ClientID != "c9" {
		t.Errorf("echo = %+v", m)
	}
	a2.quiet(300 * time.Millisecond)

	// A token the server does not know gets a new one and a reset.
	c := h.dial(nil)
	w3, backlog3 := c.hello("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 7)
	if w3.Token == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" || w3.Resumed || !w3.Reset || len(backlog3) != 0 {
		t.Errorf("unknown token: welcome %s backlog %d", w3.Raw, len(backlog3))
	}
	// last_seq beyond the conversation: everything again, with a reset.
	d := h.dial(nil)
	w4, backlog4 := d.hello(token, 999)
	if !w4.Resumed || !w4.Reset || len(backlog4) == 0 || backlog4[0].Seq != 1 {
		t.Errorf("last_seq too high: welcome %s, backlog from %v", w4.Raw, backlog4)
	}
}

func TestHandoffStatus(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	h.caseworker("ben", "Ben Weber")

	first := h.dial(nil)
	w1, _ := first.hello("", 0)
	first.send(map[string]any{"type": "person", "id": "p1"})
	msgs := first.messages(2)
	if msgs[0].ClientID != "p1" || msgs[1].Kind != "handoff" {
		t.Errorf("person: %+v", msgs)
	}
	if f := first.expect("handoff"); f.Status != "waiting" || f.Position != 1 {
		t.Fatalf("first handoff = %s", f.Raw)
	}

	second := h.dial(nil)
	second.hello("", 0)
	second.send(map[string]any{"type": "person", "id": "p1"})
	second.messages(2)
	if f := second.expect("handoff"); f.Status != "waiting" || f.Position != 2 {
		t.Fatalf("second handoff = %s", f.Raw)
	}

	// Ben claims the first: the first sees "claimed", the second moves up.
	if _, err := h.desk.Claim(ctx, conversation.WebID(w1.Token), "ben"); err != nil {
		t.Fatal(err)
	}
	var claimed bool
	for !claimed {
		f := first.next()
		switch f.Type {
		case "handoff":
			if f.Status != "claimed" {
				t.Fatalf("first after claim: %s", f.Raw)
			}
			claimed = true
		case "message":
			if f.Message.Role != conversation.RoleSystem {
				t.Fatalf("first after claim: %s", f.Raw)
			}
		default:
			t.Fatalf("first after claim: %s", f.Raw)
		}
	}
	if f := second.expect("handoff"); f.Status != "waiting" || f.Position != 1 {
		t.Errorf("second after claim = %s", f.Raw)
	}
}

func TestForget(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	a := h.dial(nil)
	w, _ := a.hello("", 0)
	id := conversation.WebID(w.Token)
	a.ask("c1", "Wie melde ich meinen Hund an?")
	other := h.dial(nil) // the same chat in another tab
	other.hello(w.Token, 2)

	a.send(map[string]any{"type": "forget", "id": "x1"})
	a.expect("forgotten")
	if code := a.closeCode(); code != websocket.CloseNormalClosure {
		t.Errorf("close after forget = %d, want 1000", code)
	}
	other.expect("forgotten")
	if code := other.closeCode(); code != websocket.CloseNormalClosure {
		t.Errorf("other tab close = %d, want 1000", code)
	}
	if _, err := h.store.Get(ctx, id); !errors.Is(err, conversation.ErrNotFound) {
		t.Errorf("conversation after forget: %v", err)
	}
	// The old token now starts afresh.
	c := h.dial(nil)
	w2, backlog := c.hello(w.Token, 2)
	if w2.Token == w.Token || w2.Resumed || !w2.Reset || len(backlog) != 0 {
		t.Errorf("hello with a forgotten token: %s", w2.Raw)
	}
}

func TestTypingIndicator(t *testing.T) {
	called := make(chan struct{}, 1)
	llm := slowLLM(t, 600*time.Millisecond, called)
	phraser, err := dialog.NewOpenAIPhraser(dialog.LLMConfig{URL: llm.URL, Model: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{phraser: phraser, cfg: Config{TypingDelay: 100 * time.Millisecond}})
	c := h.dial(nil)
	c.hello("", 0)
	c.ask("c1", "Hallo") // fast: no typing frames (c.ask skips them; check below)
	c.send(map[string]any{"type": "message", "id": "c2", "text": "Personalausweis beantragen"})
	var order []string
	for len(order) < 4 {
		select {
		case f := <-c.frames:
			switch f.Type {
			case "typing":
				order = append(order, fmt.Sprintf("typing:%v", f.On))
			case "message":
				order = append(order, f.Message.Role)
			default:
				t.Fatalf("unexpected %s", f.Raw)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out; got %v", order)
		}
	}
	// The echo comes as soon as the message is stored (it may beat the
	// typing indicator); the answer comes while "typing", which ends after it.
	pos := map[string]int{}
	for i, o := range order {
		pos[o] = i
	}
	if len(pos) != 4 || pos["typing:true"] > pos["bot"] || pos["citizen"] > pos["bot"] || pos["bot"] > pos["typing:false"] {
		t.Errorf("frames in order %v", order)
	}
}

// TestResumeWithin: a token whose conversation has been quiet longer than
// webchat.resume_within starts a new conversation (issue 21.9).
func TestResumeWithin(t *testing.T) {
	var offset atomic.Int64
	h := newHarness(t, harnessOptions{cfg: Config{ResumeWithin: time.Hour}, opts: func(o *Options) {
		o.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	}})
	a := h.dial(nil)
	w, _ := a.hello("", 0)
	if w.ResumeWithin != time.Hour.Milliseconds() {
		t.Errorf("welcome resume_within_ms = %d", w.ResumeWithin)
	}
	a.ask("m1", "Hallo")
	token := a.token
	_ = a.ws.Close()

	b := h.dial(nil)
	if w, _ := b.hello(token, 2); !w.Resumed || w.Token != token {
		t.Fatalf("within the hour: %s", w.Raw)
	}
	_ = b.ws.Close()

	offset.Store(int64(time.Hour + time.Minute))
	c := h.dial(nil)
	w, backlog := c.hello(token, 2)
	if w.Resumed || !w.Reset || w.Token == token || len(backlog) != 0 {
		t.Errorf("after an hour and a minute: %s, backlog %d", w.Raw, len(backlog))
	}
}
