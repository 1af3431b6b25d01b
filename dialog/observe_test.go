package dialog_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu       sync.Mutex
	received []string
	turns    []dialog.TurnRecord
	rated    []dialog.FeedbackRecord
}

func (r *recorder) Received(_ context.Context, channel string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.received = append(r.received, channel)
}

func (r *recorder) Turned(_ context.Context, t dialog.TurnRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.turns = append(r.turns, t)
}

func (r *recorder) Rated(_ context.Context, f dialog.FeedbackRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rated = append(r.rated, f)
}

func TestServiceObserver(t *testing.T) {
	ctx := context.Background()
	kb, err := sampleKB()
	if err != nil {
		t.Fatal(err)
	}
	var searches []time.Duration
	var mu sync.Mutex
	engine, err := dialog.NewObservedEngine(dialog.Config{CityName: "Musterstadt"}, kb, nil, nil, func(d time.Duration) {
		mu.Lock()
		searches = append(searches, d)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	store := conversation.NewMemory(conversation.Options{})
	acfg := accounts.Config{BcryptCost: 10}
	accts, err := accounts.NewMemory(acfg, filepath.Join(t.TempDir(), "accounts.json"), accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	desk, err := handoff.New(handoff.Config{Accounts: acfg}, handoff.Options{State: store, Queue: handoff.NewMemoryQueue(), Registry: channels.NewRegistry(), Users: accts})
	if err != nil {
		t.Fatal(err)
	}
	if err := desk.Heartbeat(ctx, "anna"); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	svc, err := dialog.NewService(dialog.ServiceConfig{}, dialog.ServiceOptions{Engine: engine, Store: store, Bus: store, Desk: desk, Observers: []dialog.Observer{rec, nil}})
	if err != nil {
		t.Fatal(err)
	}

	out, err := svc.Handle(ctx, web("w1", "c1", "Was kostet ein Personalausweis?"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Handle(ctx, web("w1", "c1", "Was kostet ein Personalausweis?")); err != nil { // a resend
		t.Fatal(err)
	}
	if _, err := svc.RequestPerson(ctx, dialog.Inbound{ConversationID: "w1", Channel: conversation.ChannelWeb, ClientID: "c2"}); err != nil {
		t.Fatal(err)
	}
	// Asking again while waiting is no second handoff.
	if _, err := svc.RequestPerson(ctx, dialog.Inbound{ConversationID: "w1", Channel: conversation.ChannelWeb, ClientID: "c3"}); err != nil {
		t.Fatal(err)
	}
	seq := out.Replies[0].Seq
	if err := svc.Feedback(ctx, "w1", seq, 1); err != nil {
		t.Fatal(err)
	}
	if err := svc.Feedback(ctx, "w1", seq, 1); err != nil { // unchanged: not reported
		t.Fatal(err)
	}
	if err := svc.Feedback(ctx, "w1", seq, -1); err != nil {
		t.Fatal(err)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.received) != 3 || rec.received[0] != conversation.ChannelWeb {
		t.Errorf("received = %v, want 3 web messages (the resend not counted)", rec.received)
	}
	if len(rec.turns) != 3 {
		t.Fatalf("turns = %+v", rec.turns)
	}
	first, person, again := rec.turns[0], rec.turns[1], rec.turns[2]
	if first.Question != "Was kostet ein Personalausweis?" || first.Decision.Kind != dialog.KindAnswer || first.Handoff ||
		len(first.Sources) != 1 || first.Sources[0].PageID != "personalausweis-de" || first.Took <= 0 || first.Conversation.Channel != conversation.ChannelWeb {
		t.Errorf("first turn = %+v", first)
	}
	if person.Question != "" || !person.Handoff || person.Ticket || person.Decision.Reason != dialog.ReasonButton || person.Conversation.Handoff != nil {
		t.Errorf("handoff turn = %+v", person)
	}
	if again.Handoff || again.Conversation.Handoff == nil {
		t.Errorf("a second press while waiting = %+v", again)
	}
	if len(rec.rated) != 2 || rec.rated[0].Old != 0 || rec.rated[0].New != 1 || rec.rated[1].Old != 1 || rec.rated[1].New != -1 ||
		rec.rated[1].Sources[0].PageID != "personalausweis-de" || rec.rated[1].At.IsZero() {
		t.Errorf("rated = %+v", rec.rated)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(searches) == 0 {
		t.Error("no search was timed")
	}
}
