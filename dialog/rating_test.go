package dialog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// TestServiceRate: a conversation can be rated once a caseworker took
// part; values outside 1 to 5 are refused.
func TestServiceRate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, conversation.NewMemory(conversation.Options{}), true)
	if _, err := f.svc.Handle(ctx, web("r1", "c1", "Hallo")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Rate(ctx, "r1", 5, ""); !errors.Is(err, dialog.ErrNotRateable) {
		t.Errorf("rating a bot-only conversation: %v", err)
	}
	if _, err := f.svc.RequestPerson(ctx, web("r1", "p1", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Claim(ctx, "r1", "anna"); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{0, 6, -1} {
		if err := f.svc.Rate(ctx, "r1", v, ""); !errors.Is(err, conversation.ErrInvalid) {
			t.Errorf("rating %d: %v", v, err)
		}
	}
	if err := f.svc.Rate(ctx, "r1", 4, "  freundlich  "); err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.Conversation(ctx, "r1")
	if err != nil || c.Handoff.Rating != 4 || c.Handoff.RatingComment != "freundlich" {
		t.Errorf("stored: %+v %v", c.Handoff, err)
	}
}
