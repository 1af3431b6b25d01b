package dialog_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/redistest"
)

// settable is a clock tests move.
type settable struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settable) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *settable) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type storeBus interface {
	conversation.Store
	conversation.Bus
	conversation.Idempotency
}

// backends runs a test on the memory and the Redis store.
func backends(t *testing.T, test func(t *testing.T, store storeBus)) {
	t.Run("memory", func(t *testing.T) { test(t, conversation.NewMemory(conversation.Options{})) })
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		test(t, conversation.NewRedis(srv.Client(t), conversation.Options{}))
	})
}

// TestServiceOpen: a channel that speaks first opens its conversation
// with its greeting (stored once), the engine does not disclose again, and
// a later opening on another channel of the same number moves it there.
func TestServiceOpen(t *testing.T) {
	backends(t, func(t *testing.T, store storeBus) {
		ctx := context.Background()
		f := newFixture(t, store, true)
		open := dialog.Opening{ConversationID: "p1", Channel: conversation.ChannelVoice, Address: "+491701234567",
			Greeting: "Hallo, hier ist die KI der Stadt.", GreetingID: "call-1-greeting"}
		for range 2 { // Twilio retries the webhook: one greeting
			c, err := f.svc.Open(ctx, open)
			if err != nil {
				t.Fatal(err)
			}
			if c.Channel != conversation.ChannelVoice || c.Address != "+491701234567" || c.Context.Turns != 1 || c.Status != conversation.StatusBot {
				t.Fatalf("opened = %+v", c)
			}
		}
		msgs, err := f.svc.Messages(ctx, "p1", 0)
		if err != nil || len(msgs) != 1 || msgs[0].Role != conversation.RoleBot || msgs[0].Text != open.Greeting {
			t.Fatalf("after two openings: %+v, %v", msgs, err)
		}
		// The caller chose English.
		if c, err := f.svc.Open(ctx, dialog.Opening{ConversationID: "p1", Channel: conversation.ChannelVoice, Language: "en"}); err != nil ||
			c.Language != "en" || c.Address != "+491701234567" {
			t.Fatalf("language chosen: %+v, %v", c, err)
		}
		// Then texts: the conversation moves to SMS, and the first answer
		// carries no second disclosure (the channel gave it).
		if c, err := f.svc.Open(ctx, dialog.Opening{ConversationID: "p1", Channel: conversation.ChannelSMS, Address: "+491701234567"}); err != nil ||
			c.Channel != conversation.ChannelSMS {
			t.Fatalf("moved to sms: %+v, %v", c, err)
		}
		out, err := f.svc.Handle(ctx, dialog.Inbound{ConversationID: "p1", Channel: conversation.ChannelSMS, ClientID: "sms-1",
			Text: "Was kostet ein Personalausweis?", Style: dialog.StyleShort})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.Replies[0].Text, "KI, kein Mensch") || strings.Contains(out.Replies[0].Text, "an AI") {
			t.Errorf("the engine disclosed again: %q", out.Replies[0].Text)
		}
		// A web conversation the service opens itself does disclose.
		web, err := f.svc.Handle(ctx, web("w1", "c1", "Was kostet ein Personalausweis?"))
		if err != nil || !strings.Contains(web.Replies[0].Text, "KI, kein Mensch") {
			t.Errorf("web first answer without the disclosure: %+v, %v", web.Replies, err)
		}

		for _, bad := range []dialog.Opening{{Channel: conversation.ChannelSMS}, {ConversationID: "p2"}, {ConversationID: "p2", Channel: "sms", Greeting: "Hallo"}} {
			if _, err := f.svc.Open(ctx, bad); err == nil {
				t.Errorf("Open(%+v) accepted", bad)
			}
		}
	})
}

// TestServiceRecord: a message the bot does not answer is cleaned, stored
// once per client id, counted by the observers, and not answered.
func TestServiceRecord(t *testing.T) {
	backends(t, func(t *testing.T, store storeBus) {
		ctx := context.Background()
		rec := &recorder{}
		f := newFixture(t, store, true, func(o *dialog.ServiceOptions) { o.Observers = append(o.Observers, rec) })
		in := dialog.Inbound{ConversationID: "p1", Channel: conversation.ChannelSMS, Address: "+491701234567", ClientID: "sms-1", Text: "  STOP \xff"}
		out, err := f.svc.Record(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if out.Duplicate || out.Citizen.Text != "STOP" || out.Citizen.Role != conversation.RoleCitizen || len(out.Replies) != 0 || out.Conversation.Address != "+491701234567" {
			t.Fatalf("recorded = %+v", out)
		}
		if again, err := f.svc.Record(ctx, in); err != nil || !again.Duplicate || again.Citizen.Seq != out.Citizen.Seq {
			t.Fatalf("resent: %+v, %v", again, err)
		}
		for _, bad := range []struct {
			text string
			want error
		}{{" \t", dialog.ErrEmptyMessage}, {strings.Repeat("x", 501), dialog.ErrMessageTooLong}} {
			b := in
			b.ClientID, b.Text = "sms-bad", bad.text
			if _, err := f.svc.Record(ctx, b); !errors.Is(err, bad.want) {
				t.Errorf("Record(%q): %v, want %v", bad.text, err, bad.want)
			}
		}
		msgs, err := f.svc.Messages(ctx, "p1", 0)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("transcript = %+v, %v; want the one message, no answer", msgs, err)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.received) != 1 || rec.received[0] != conversation.ChannelSMS || len(rec.turns) != 0 {
			t.Errorf("observed received %v, turns %d; want one sms message, no turn", rec.received, len(rec.turns))
		}
	})
}

// TestServiceSayNoteTicketOptOut: what a channel stores beside the turns.
func TestServiceSayNoteTicketOptOut(t *testing.T) {
	backends(t, func(t *testing.T, store storeBus) {
		ctx := context.Background()
		f := newFixture(t, store, false)
		if _, err := f.svc.Open(ctx, dialog.Opening{ConversationID: "p1", Channel: conversation.ChannelVoice, Address: "+491701234567"}); err != nil {
			t.Fatal(err)
		}
		link := conversation.Message{Role: conversation.RoleCitizen, ClientID: "call-1-link-3", Text: "Personalausweis: https://example.org/pa",
			Sources: []conversation.Source{{PageID: "pa", URL: "https://example.org/pa"}}}
		said, dup, err := f.svc.Say(ctx, "p1", link)
		if err != nil || dup || said.Role != conversation.RoleBot || said.Sources[0].PageID != "pa" {
			t.Fatalf("say: %+v %v %v", said, dup, err)
		}
		if again, dup, err := f.svc.Say(ctx, "p1", link); err != nil || !dup || again.Seq != said.Seq {
			t.Fatalf("say again: %+v %v %v", again, dup, err)
		}
		if err := f.svc.Note(ctx, "p1", "twilio", "SMS not delivered."); err != nil {
			t.Fatal(err)
		}
		visible, err := f.svc.Messages(ctx, "p1", 0)
		if err != nil || len(visible) != 1 {
			t.Fatalf("the citizen sees %+v, %v; want the link only (the note is private)", visible, err)
		}
		all, err := store.Messages(ctx, "p1", 0, 0)
		if err != nil || len(all) != 2 || all[1].Role != conversation.RoleNote || all[1].Author != "twilio" {
			t.Fatalf("stored = %+v, %v", all, err)
		}

		if err := f.svc.Ticket(ctx, "p1", conversation.Contact{Phone: "+491701234567", Note: "phone call: callback requested"}); err != nil {
			t.Fatal(err)
		}
		tickets, err := f.desk.Tickets(ctx)
		if err != nil || len(tickets) != 1 || tickets[0].Contact == nil || tickets[0].Contact.Phone != "+491701234567" || tickets[0].Contact.Given.IsZero() {
			t.Fatalf("tickets = %+v, %v", tickets, err)
		}

		c, err := f.svc.SetOptOut(ctx, "p1", true)
		if err != nil || !c.OptedOut {
			t.Fatalf("opt out: %+v, %v", c, err)
		}
		if c, err = f.svc.SetOptOut(ctx, "p1", false); err != nil || c.OptedOut {
			t.Fatalf("opt in: %+v, %v", c, err)
		}
		if _, err := f.svc.SetOptOut(ctx, "nobody", true); !errors.Is(err, conversation.ErrNotFound) {
			t.Errorf("opt-out of no conversation: %v", err)
		}
	})
}

// TestServiceTakeAnswer: a daily limit of two answers allows two, gives
// one notice, then nothing, and starts again 24 hours after the first.
func TestServiceTakeAnswer(t *testing.T) {
	backends(t, func(t *testing.T, store storeBus) {
		ctx := context.Background()
		clock := &settable{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
		f := newFixture(t, store, true, func(o *dialog.ServiceOptions) { o.Now = clock.Now })
		if _, err := f.svc.Open(ctx, dialog.Opening{ConversationID: "p1", Channel: conversation.ChannelSMS, Address: "+491701234567"}); err != nil {
			t.Fatal(err)
		}
		take := func() dialog.Allowance {
			t.Helper()
			a, err := f.svc.TakeAnswer(ctx, "p1", 2)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		want := []dialog.Allowance{dialog.AnswerAllowed, dialog.AnswerAllowed, dialog.AnswerLimitNotice, dialog.AnswerOverLimit, dialog.AnswerOverLimit}
		for i, w := range want {
			if got := take(); got != w {
				t.Fatalf("answer %d: %v, want %v", i+1, got, w)
			}
			clock.Set(clock.Now().Add(time.Hour))
		}
		clock.Set(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
		if got := take(); got != dialog.AnswerAllowed {
			t.Errorf("a day later: %v, want allowed", got)
		}
		if a, err := f.svc.TakeAnswer(ctx, "p1", -1); err != nil || a != dialog.AnswerAllowed {
			t.Errorf("no limit: %v, %v", a, err)
		}
		if _, err := f.svc.TakeAnswer(ctx, "nobody", 2); !errors.Is(err, conversation.ErrNotFound) {
			t.Errorf("no conversation: %v", err)
		}
	})
}
