package dialog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// TestServiceQuestionAboutTheWait (issue 13.5): while a conversation waits
// for a person, "Wie lange dauert das noch?" gets the queue position, not
// a clarifying question about a service.
func TestServiceQuestionAboutTheWait(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct{ lang, ask, want string }{
		{"de", "Wie lange dauert das noch?", "Position 1"},
		{"de", "Wann bin ich dran", "Position 1"},
		{"en", "How long do I have to wait?", "number 1 in the queue"},
	} {
		t.Run(tt.ask, func(t *testing.T) {
			f := newFixture(t, conversation.NewMemory(conversation.Options{}), true)
			in := web("w1", "p1", "")
			in.Language = tt.lang
			if _, err := f.svc.RequestPerson(ctx, in); err != nil {
				t.Fatal(err)
			}
			q := web("w1", "q1", tt.ask)
			q.Language = tt.lang
			out, err := f.svc.Handle(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Replies) != 1 || !strings.Contains(out.Replies[0].Text, tt.want) {
				t.Fatalf("replies = %+v, want one with %q", out.Replies, tt.want)
			}
			if d := out.Replies[0].Decision; d.Kind != dialog.KindSmallTalk || d.Intent != "queue_status" {
				t.Errorf("decision = %+v", d)
			}
			if out.Queue == nil || out.Queue.Position != 1 || out.Conversation.Status != conversation.StatusWaiting {
				t.Errorf("queue = %+v, status %s", out.Queue, out.Conversation.Status)
			}
		})
	}
	// Another question while waiting is answered by the engine as usual.
	f := newFixture(t, conversation.NewMemory(conversation.Options{}), true)
	if _, err := f.svc.RequestPerson(ctx, web("w2", "p1", "")); err != nil {
		t.Fatal(err)
	}
	out, err := f.svc.Handle(ctx, web("w2", "q1", "Wie lange dauert ein Personalausweis?"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Replies) != 1 || out.Replies[0].Decision.Intent == "queue_status" {
		t.Errorf("an ordinary question while waiting got %+v", out.Replies)
	}
}
