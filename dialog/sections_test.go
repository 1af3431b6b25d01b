package dialog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// TestAnswerFromAspectSection: a question about the fee, the documents or
// the deadline of a page that has a section for it is answered from that
// section alone, under its heading.
func TestAnswerFromAspectSection(t *testing.T) {
	e := sampleEngine(t)
	for _, tc := range []struct {
		q, lang, want, notWant string
	}{
		{"Was kostet ein Personalausweis?", "de", "37,00 Euro", "Passfoto in digitaler Form"},
		{"What does a residents' parking permit cost?", "en", "120.00 euros", "vehicle registration certificate"},
		{"Welche Unterlagen brauche ich für den Personalausweis?", "de", "biometrisches Passfoto", "37,00 Euro"},
	} {
		r, err := e.Respond(context.Background(), dialog.Turn{Text: tc.q, Language: tc.lang, Context: conversation.Context{Turns: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, tc.want) || strings.Contains(r.Text, tc.notWant) {
			t.Errorf("%q:\n%s\nwant %q and not %q", tc.q, r.Text, tc.want, tc.notWant)
		}
	}
}

// TestObligationGetsTheDeadline: "what do I have to do" is answered with
// the page's deadline too, and the deadline is then not offered as a
// follow-up.
func TestObligationGetsTheDeadline(t *testing.T) {
	e := sampleEngine(t)
	for _, tc := range []struct{ q, lang, want, followUp string }{
		{"Ich bin umgezogen, was muss ich tun?", "de", "innerhalb von zwei Wochen", "Gibt es eine Frist?"},
		{"I moved to Musterstadt, do I need to register?", "en", "within two weeks", "Is there a deadline?"},
	} {
		r, err := e.Respond(context.Background(), dialog.Turn{Text: tc.q, Language: tc.lang, Context: conversation.Context{Turns: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, tc.want) {
			t.Errorf("%q:\n%s\nwant the deadline %q", tc.q, r.Text, tc.want)
		}
		for _, qr := range r.QuickReplies {
			if qr.Label == tc.followUp {
				t.Errorf("%q: offers %q though the answer gives the deadline", tc.q, qr.Label)
			}
		}
	}
}
