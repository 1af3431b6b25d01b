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
