package dialog_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testcity"
)

// sampleKB is the sample city, built once per test binary.
var sampleKB = testcity.KB

type fixture struct {
	svc   *dialog.Service
	desk  *handoff.Desk
	store conversation.Store
}

// newFixture wires the real engine, a store and the real handoff desk.
// A caseworker "anna" exists; online says whether she is at her desk.
func newFixture(t *testing.T, store interface {
	conversation.Store
	conversation.Bus
	conversation.Idempotency
}, online bool, opts ...func(*dialog.ServiceOptions)) fixture {
	t.Helper()
	kb, err := sampleKB()
	if err != nil {
		t.Fatal(err)
	}
	engine, err := dialog.NewEngine(dialog.Config{CityName: "Musterstadt"}, kb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return newFixtureWith(t, store, engine, online, opts...)
}

// newFixtureWith is newFixture with the given engine.
func newFixtureWith(t *testing.T, store interface {
	conversation.Store
	conversation.Bus
	conversation.Idempotency
}, engine *dialog.Engine, online bool, opts ...func(*dialog.ServiceOptions)) fixture {
	t.Helper()
	ctx := context.Background()
	acfg := accounts.Config{BcryptCost: 10}
	accts, err := accounts.NewMemory(acfg, filepath.Join(t.TempDir(), "accounts.json"), accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accts.AddUser(ctx, "anna", "Anna Berger", accounts.RoleCaseworker, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	desk, err := handoff.New(handoff.Config{Accounts: acfg}, handoff.Options{State: store, Queue: handoff.NewMemoryQueue(), Registry: channels.NewRegistry(), Users: accts})
	if err != nil {
		t.Fatal(err)
	}
	if online {
		if err := desk.Heartbeat(ctx, "anna"); err != nil {
			t.Fatal(err)
		}
	}
	so := dialog.ServiceOptions{Engine: engine, Store: store, Bus: store, Desk: desk}
	for _, o := range opts {
		o(&so)
	}
	svc, err := dialog.NewService(dialog.ServiceConfig{MaxMessageChars: 500}, so)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{svc: svc, desk: desk, store: store}
}

func web(id, clientID, text string) dialog.Inbound {
	return dialog.Inbound{ConversationID: id, Channel: conversation.ChannelWeb, ClientID: clientID, Text: text}
}

func TestServiceAnswersAndRemembers(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, conversation.NewMemory(conversation.Options{}), true)

	out, err := f.svc.Handle(ctx, web("w1", "c1", "Was kostet ein Personalausweis?"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Replies) != 1 {
		t.Fatalf("replies = %d", len(out.Replies))
	}
	first := out.Replies[0]
	if !strings.Contains(first.Text, "KI") || !strings.Contains(first.Text, "37,00 Euro") {
		t.Errorf("first reply must disclose the AI and answer the fee:\n%s", first.Text)
	}
	if len(first.Sources) != 1 || first.Sources[0].PageID != "personalausweis-de" || first.Decision == nil || first.Decision.Kind != dialog.KindAnswer {
		t.Fatalf("reply = %+v", first)
	}
	if out.Conversation.Language != "de" || out.Conversation.Context.LastPageID != "personalausweis-de" {
		t.Errorf("conversation = %+v", out.Conversation)
	}

	// A follow-up uses the conversation's context, and there is no second disclosure.
	out, err = f.svc.Handle(ctx, web("w1", "c2", "Und welche Unterlagen brauche ich dafür?"))
	if err != nil {
		t.Fatal(err)
	}
	reply := out.Replies[0]
	if strings.Contains(reply.Text, "KI") || reply.Sources[0].PageID != "personalausweis-de" || !strings.Contains(reply.Text, "•") {
		t.Errorf("follow-up reply = %q from %v", reply.Text, reply.Sources)
	}

	// A resent message (same client id) is answered once, with the same reply.
	dup, err := f.svc.Handle(ctx, web("w1", "c2", "Und welche Unterlagen brauche ich dafür?"))
	if err != nil {
		t.Fatal(err)
	}
	if !dup.Duplicate || len(dup.Replies) != 1 || dup.Replies[0].Seq != reply.Seq {
		t.Fatalf("duplicate = %+v", dup)
	}
	msgs, err := f.svc.Messages(ctx, "w1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 {
		t.Fatalf("stored %d messages, want 4 (2 citizen, 2 bot)", len(msgs))
	}

	// Feedback on a bot answer is stored; on a citizen message it is refused.
	if err := f.svc.Feedback(ctx, "w1", reply.Seq, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Feedback(ctx, "w1", out.Citizen.Seq, 1); !errors.Is(err, conversation.ErrNotFound) {
		t.Errorf("feedback on a citizen message: %v", err)
	}
	if err := f.svc.Feedback(ctx, "w1", reply.Seq, 5); err == nil {
		t.Error("feedback 5 accepted")
	}
	msgs, _ = f.svc.Messages(ctx, "w1", reply.Seq-1)
	if msgs[0].Feedback != 1 {
		t.Errorf("feedback not stored: %+v", msgs[0])
	}

	// Forget deletes everything.
	if err := f.svc.Forget(ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Conversation(ctx, "w1"); !errors.Is(err, conversation.ErrNotFound) {
		t.Errorf("after Forget: %v", err)
	}
}

func TestServiceRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, conversation.NewMemory(conversation.Options{}), true)
	tests := []struct {
		name string
		in   dialog.Inbound
		want error
	}{
		{"empty", web("w2", "a", "   "), dialog.ErrEmptyMessage},
		{"too long", web("w2", "b", strings.Repeat("a", 501)), dialog.ErrMessageTooLong},
		{"invalid utf-8 only", web("w2", "c", "\xff\xfe"), dialog.ErrEmptyMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.svc.Handle(ctx, tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := f.svc.Conversation(ctx, "w2"); !errors.Is(err, conversation.ErrNotFound) {
		t.Errorf("bad input created a conversation: %v", err)
	}
	if _, err := f.svc.Handle(ctx, dialog.Inbound{Text: "hallo"}); err == nil {
		t.Error("inbound without conversation id accepted")
	}
}

func TestServiceHandoffClaimGiveBack(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, conversation.NewMemory(conversation.Options{}), true)

	out, err := f.svc.Handle(ctx, web("w3", "1", "Ich möchte bitte mit einem Menschen sprechen"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Queue == nil || !out.Queue.Queued || out.Queue.Position != 1 || out.Conversation.Status != conversation.StatusWaiting {
		t.Fatalf("handoff: queue %+v status %s", out.Queue, out.Conversation.Status)
	}
	if !strings.Contains(out.Replies[0].Text, "Position 1") {
		t.Errorf("reply does not tell the position: %q", out.Replies[0].Text)
	}

	// While waiting the bot still answers general questions, without queueing again.
	out, err = f.svc.Handle(ctx, web("w3", "2", "Was kostet ein Reisepass?"))
	if err != nil || out.Replies[0].Sources[0].PageID != "reisepass-de" {
		t.Fatalf("answer while waiting: %v %+v", err, out.Replies)
	}
	out, err = f.svc.Handle(ctx, web("w3", "3", "Mitarbeiter bitte"))
	if err != nil || !strings.Contains(out.Replies[0].Text, "bereits") {
		t.Fatalf("second request: %v %q", err, out.Replies[0].Text)
	}
	waiting, err := f.desk.Waiting(ctx)
	if err != nil || len(waiting) != 1 {
		t.Fatalf("waiting = %v, %v", waiting, err)
	}

	// Claimed: the bot is silent; the citizen's message is stored for the caseworker.
	if _, err := f.desk.Claim(ctx, "w3", "anna"); err != nil {
		t.Fatal(err)
	}
	out, err = f.svc.Handle(ctx, web("w3", "4", "Hallo, sind Sie da?"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Replies) != 0 || out.Citizen.Text != "Hallo, sind Sie da?" {
		t.Fatalf("bot spoke while claimed: %+v", out.Replies)
	}

	// Given back: the bot answers again, and the same unanswerable question
	// does not loop into another handoff.
	if _, err := f.desk.GiveBack(ctx, "w3", "anna"); err != nil {
		t.Fatal(err)
	}
	q := "Mein Vermieter repariert die Heizung nicht, was kann ich tun?"
	out, err = f.svc.Handle(ctx, web("w3", "5", q))
	if err != nil {
		t.Fatal(err)
	}
	if out.Queue == nil || out.Conversation.Status != conversation.StatusWaiting {
		t.Fatalf("question the pages do not answer not handed off: %+v", out.Replies[0].Decision)
	}
	if _, err := f.desk.Claim(ctx, "w3", "anna"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.GiveBack(ctx, "w3", "anna"); err != nil {
		t.Fatal(err)
	}
	out, err = f.svc.Handle(ctx, web("w3", "6", q))
	if err != nil {
		t.Fatal(err)
	}
	if out.Queue != nil || out.Conversation.Status != conversation.StatusBot {
		t.Fatalf("given-back question handed off again: status %s", out.Conversation.Status)
	}
	if !strings.Contains(out.Replies[0].Text, "schon angesehen") {
		t.Errorf("reply = %q", out.Replies[0].Text)
	}

	// Closed conversations re-open with the bot on the next message.
	if _, err := f.desk.Close(ctx, "w3", "anna", handoff.OutcomeResolved); err == nil {
		t.Log("closed a bot conversation") // allowed or not, the next step must work
	}
	out, err = f.svc.Handle(ctx, web("w3", "7", "Danke!"))
	if err != nil || out.Conversation.Status != conversation.StatusBot || len(out.Replies) != 1 {
		t.Fatalf("after close: %v status %s replies %d", err, out.Conversation.Status, len(out.Replies))
	}
}

func TestServiceButtonAndTicket(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, conversation.NewMemory(conversation.Options{}), false) // nobody online

	in := web("w4", "btn-1", "")
	in.Language = "en"
	out, err := f.svc.RequestPerson(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Queue == nil || !out.Queue.Ticket || out.Conversation.Status != conversation.StatusTicket {
		t.Fatalf("no caseworker online: want a ticket, got %+v status %s", out.Queue, out.Conversation.Status)
	}
	if out.Citizen.Text != "I'd like to talk to a person" || !strings.Contains(out.Replies[0].Text, "phone number or e-mail") {
		t.Fatalf("citizen %q reply %q", out.Citizen.Text, out.Replies[0].Text)
	}
	// Pressing the button twice (same client id) does nothing more.
	again, err := f.svc.RequestPerson(ctx, in)
	if err != nil || !again.Duplicate {
		t.Fatalf("repeated button: %v %+v", err, again)
	}

	out, err = f.svc.Handle(ctx, dialog.Inbound{ConversationID: "w4", Channel: conversation.ChannelWeb, ClientID: "2",
		Text: "Please call me on 0171 2345678 in the morning"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Replies[0].Decision.Kind != dialog.KindContact || !strings.Contains(out.Replies[0].Text, "callback") {
		t.Fatalf("contact reply = %+v", out.Replies[0])
	}
	c, err := f.svc.Conversation(ctx, "w4")
	if err != nil {
		t.Fatal(err)
	}
	if c.Contact == nil || c.Contact.Phone != "0171 2345678" || c.Context.AwaitingContact {
		t.Fatalf("contact not stored: %+v awaiting=%v", c.Contact, c.Context.AwaitingContact)
	}
	tickets, err := f.desk.Tickets(ctx)
	if err != nil || len(tickets) != 1 || tickets[0].Contact == nil {
		t.Fatalf("tickets = %+v, %v", tickets, err)
	}

	// Asking again while still nobody is online keeps the ticket.
	out, err = f.svc.Handle(ctx, web("w4", "3", "I want to talk to a person"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Conversation.Status != conversation.StatusTicket || !strings.Contains(out.Replies[0].Text, "already saved") {
		t.Fatalf("asked again, nobody online: status %s, reply %q", out.Conversation.Status, out.Replies[0].Text)
	}

	// A caseworker comes online: the citizen who asks again joins the live
	// line instead of hearing that the request is saved; the callback
	// details stay.
	if err := f.desk.Heartbeat(ctx, "anna"); err != nil {
		t.Fatal(err)
	}
	out, err = f.svc.Handle(ctx, web("w4", "4", "I want to talk to a person"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Queue == nil || !out.Queue.Queued || out.Queue.Position != 1 || out.Conversation.Status != conversation.StatusWaiting {
		t.Fatalf("asked again, caseworker online: queue %+v, status %s, reply %q", out.Queue, out.Conversation.Status, out.Replies[0].Text)
	}
	if strings.Contains(out.Replies[0].Text, "already saved") {
		t.Errorf("reply still says the request is saved: %q", out.Replies[0].Text)
	}
	waiting, err := f.desk.Waiting(ctx)
	if err != nil || len(waiting) != 1 || waiting[0].Contact == nil {
		t.Fatalf("waiting = %+v, %v", waiting, err)
	}
	if tickets, err := f.desk.Tickets(ctx); err != nil || len(tickets) != 0 {
		t.Fatalf("tickets after joining the line = %+v, %v", tickets, err)
	}
}

func TestServiceWatchNudgesOnReply(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := newFixture(t, conversation.NewMemory(conversation.Options{}), true)
	if _, err := f.svc.Handle(ctx, web("w5", "1", "Mitarbeiter bitte")); err != nil {
		t.Fatal(err)
	}
	nudges, stop, err := f.svc.Watch(ctx, "w5")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if _, err := f.desk.Claim(ctx, "w5", "anna"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Reply(ctx, "w5", "anna", "Guten Tag, hier ist Anna."); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Note(ctx, "w5", "anna", "intern: Rückruf prüfen"); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case <-nudges:
		case <-deadline:
			t.Fatal("no caseworker reply seen through Watch")
		}
		msgs, err := f.svc.Messages(ctx, "w5", 2)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range msgs {
			if m.Role == conversation.RoleNote {
				t.Fatalf("citizen transcript contains a private note: %+v", m)
			}
			if m.Role == conversation.RoleCaseworker {
				got = append(got, m.Author+": "+m.Text)
			}
		}
		if len(got) == 1 && got[0] == "anna: Guten Tag, hier ist Anna." {
			return
		}
	}
}

func TestServiceRedisDownAndBack(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	store := conversation.NewRedis(srv.Client(t), conversation.Options{})
	f := newFixture(t, store, true)

	if _, err := f.svc.Handle(ctx, web("w6", "1", "Was kostet ein Reisepass?")); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	_, err := f.svc.Handle(ctx, web("w6", "2", "Und ein Personalausweis?"))
	if !errors.Is(err, conversation.ErrUnavailable) {
		t.Fatalf("store down: err = %v, want ErrUnavailable", err)
	}
	srv.Restart(t)
	// The channel resends with the same client id: answered once.
	var out dialog.Outcome
	for i := 0; i < 50; i++ {
		out, err = f.svc.Handle(ctx, web("w6", "2", "Und ein Personalausweis?"))
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if len(out.Replies) != 1 {
		t.Fatalf("replies = %d", len(out.Replies))
	}
	msgs, err := f.svc.Messages(ctx, "w6", 0)
	if err != nil {
		t.Fatal(err)
	}
	var citizen int
	for _, m := range msgs {
		if m.Role == conversation.RoleCitizen {
			citizen++
		}
	}
	if citizen != 2 || len(msgs) != 4 {
		t.Fatalf("after outage: %d messages, %d from the citizen; want 4 and 2", len(msgs), citizen)
	}
}

func TestServiceForgetClearsTheQueue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, conversation.NewMemory(conversation.Options{}), true)
	if _, err := f.svc.Handle(ctx, web("w7", "1", "Mitarbeiter bitte")); err != nil {
		t.Fatal(err)
	}
	if waiting, err := f.desk.Waiting(ctx); err != nil || len(waiting) != 1 {
		t.Fatalf("waiting = %v, %v", waiting, err)
	}
	if err := f.svc.Forget(ctx, "w7"); err != nil {
		t.Fatal(err)
	}
	if waiting, err := f.desk.Waiting(ctx); err != nil || len(waiting) != 0 {
		t.Fatalf("after Forget: waiting = %v, %v", waiting, err)
	}
	if _, err := f.svc.Conversation(ctx, "w7"); !errors.Is(err, conversation.ErrNotFound) {
		t.Fatalf("after Forget: %v", err)
	}
	// Forgetting twice (or an unknown conversation) is not an error.
	if err := f.svc.Forget(ctx, "w7"); err != nil {
		t.Fatal(err)
	}
}

func TestServiceButtonIsMarkedAndQueueShowsTheConcern(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, conversation.NewMemory(conversation.Options{}), true)
	if _, err := f.svc.Handle(ctx, web("w8", "1", "Es geht um die Hundesteuer für meinen zweiten Hund")); err != nil {
		t.Fatal(err)
	}
	out, err := f.svc.RequestPerson(ctx, web("w8", "2", ""))
	if err != nil {
		t.Fatal(err)
	}
	if out.Citizen.Action != conversation.ActionPerson {
		t.Errorf("button press stored as %+v", out.Citizen)
	}
	waiting, err := f.desk.Waiting(ctx)
	if err != nil || len(waiting) != 1 {
		t.Fatalf("waiting = %v, %v", waiting, err)
	}
	if waiting[0].Excerpt != "Es geht um die Hundesteuer für meinen zweiten Hund" {
		t.Errorf("queue excerpt = %q, want the citizen's concern, not the button", waiting[0].Excerpt)
	}
}
