package telegram

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/telegramtest"
)

// TestHandoffRoundTrip: a citizen writes on Telegram, asks for a person; a
// caseworker claims and replies through the real handoff desk; the reply
// reaches Telegram marked as from a person; the citizen's next message
// lands in the conversation while the bot stays silent; after give-back
// the bot answers again.
func TestHandoffRoundTrip(t *testing.T) {
	for _, backendName := range []string{"memory", "redis"} {
		t.Run(backendName, func(t *testing.T) {
			ho := harnessOptions{online: true}
			if backendName == "redis" {
				rdb := redistest.Start(t).Client(t)
				ho.rdb = rdb
				ho.store = conversation.NewRedis(rdb, conversation.Options{})
			}
			h := newHarness(t, ho)
			ctx := context.Background()
			id := conversation.TelegramID([]byte(testIDKey), erika)
			sentSince := func(n int) []telegramtest.Sent { return h.fake.SentTo(erika)[n:] }

			h.deliver(textUpdate(2000, erika, "de", "Was kostet ein Personalausweis?"))
			if s := sentSince(0); len(s) != 1 || !strings.Contains(s[0].Plain, "37,00 Euro") {
				t.Fatalf("first answer: %+v", s)
			}
			h.deliver(textUpdate(2001, erika, "de", "/human"))
			if s := sentSince(1); len(s) != 1 || !strings.Contains(s[0].Plain, "übernimmt") {
				t.Fatalf("handoff answer: %+v", s)
			}

			// The caseworker claims: the citizen is told.
			if _, err := h.desk.Claim(ctx, id, "anna"); err != nil {
				t.Fatal(err)
			}
			if s := sentSince(2); len(s) != 1 || !strings.HasPrefix(s[0].Plain, "ℹ️") || !strings.Contains(s[0].Plain, "Menschen") {
				t.Fatalf("claim notice: %+v", s)
			}
			// The caseworker answers in the console.
			reply := "Guten Tag, ich bin Anna vom Bürgerbüro. Für <Kinder> & Jugendliche gilt: *kein* _Termin_ nötig."
			if _, err := h.desk.Reply(ctx, id, "anna", reply); err != nil {
				t.Fatal(err)
			}
			s := sentSince(3)
			if len(s) != 1 {
				t.Fatalf("caseworker reply: %+v", s)
			}
			want := "👤 Anna Berger (Stadt Musterstadt):\n" + reply
			if s[0].Plain != want {
				t.Fatalf("caseworker reply reads\n%q\nwant\n%q", s[0].Plain, want)
			}
			if !strings.Contains(s[0].Text, "<b>Anna Berger</b>") {
				t.Errorf("the caseworker's name is not marked: %s", s[0].Text)
			}
			// A private note never reaches the citizen.
			if _, err := h.desk.Note(ctx, id, "anna", "Bürgerin kennt ihre Ausweisnummer nicht"); err != nil {
				t.Fatal(err)
			}

			// The citizen writes while the caseworker has the chat: stored, the bot is silent.
			h.deliver(textUpdate(2002, erika, "de", "Danke! Und wie lange dauert das?"))
			if s := sentSince(4); len(s) != 0 {
				t.Fatalf("the bot spoke while a caseworker has the chat: %q", s[0].Plain)
			}
			tr, err := h.desk.Transcript(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			last := tr.Messages[len(tr.Messages)-1]
			if last.Role != conversation.RoleCitizen || last.Text != "Danke! Und wie lange dauert das?" {
				t.Fatalf("the console does not see the citizen's message: %+v", last)
			}

			// Give back: the citizen is told, and the bot answers again.
			if _, err := h.desk.GiveBack(ctx, id, "anna"); err != nil {
				t.Fatal(err)
			}
			if s := sentSince(4); len(s) != 1 || !strings.Contains(s[0].Plain, "digitalen Assistenten") {
				t.Fatalf("give-back notice: %+v", s)
			}
			h.deliver(textUpdate(2003, erika, "de", "Was kostet ein Reisepass?"))
			if s := sentSince(5); len(s) != 1 || !strings.Contains(s[0].Plain, "Reisepass") {
				t.Fatalf("after give-back: %+v", s)
			}
			c, _, err := h.conversation(erika)
			if err != nil || c.Status != conversation.StatusBot {
				t.Fatalf("status %s %v", c.Status, err)
			}
		})
	}
}

// TestCaseworkerReplyUndeliverable: a citizen who blocked the bot cannot be
// reached; the desk keeps the reply and says it was not delivered.
func TestCaseworkerReplyUndeliverable(t *testing.T) {
	h := newHarness(t, harnessOptions{online: true})
	ctx := context.Background()
	id := conversation.TelegramID([]byte(testIDKey), erika)
	h.deliver(textUpdate(2100, erika, "de", "/human"))
	if _, err := h.desk.Claim(ctx, id, "anna"); err != nil {
		t.Fatal(err)
	}
	h.fake.Block(erika)
	_, err := h.desk.Reply(ctx, id, "anna", "Guten Tag!")
	if !errors.Is(err, handoff.ErrNotDelivered) || !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "blocked") {
		t.Fatalf("reply to a blocked chat: %v", err)
	}
	tr, _ := h.desk.Transcript(ctx, id)
	if last := tr.Messages[len(tr.Messages)-1]; last.Role != conversation.RoleCaseworker {
		t.Fatalf("the reply was not kept: %+v", last)
	}
}
