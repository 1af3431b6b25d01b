package dialog_test

import (
	"context"
	"strings"
	"testing"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge"
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

// TestLegalSectionAndNumbers: a passage does not run on into the legal
// basis, the legal remedy or the forms of a service page unless the
// question names them; and a number the citizen gives ("Mein Kind ist 10")
// is not a word the answer must hold ("Marktplatz 10", "10,00 EUR").
func TestLegalSectionAndNumbers(t *testing.T) {
	page := knowledge.Page{ID: "ausweis", Title: "Personalausweis beantragen", Language: "de", URL: "https://www.musterstadt.example/ausweis", Sections: []knowledge.Section{
		{Kind: knowledge.SectionDescription, Text: "Wer in Musterstadt wohnt, beantragt den Personalausweis im Bürgeramt."},
		{Kind: knowledge.SectionPrerequisites, Heading: "Voraussetzungen", Text: "Ab dem 16. Geburtstag müssen Sie einen Personalausweis besitzen.\nKinder unter 16 Jahren brauchen keinen Ausweis, können aber einen bekommen."},
		{Kind: knowledge.SectionFees, Heading: "Gebühren", Text: "- 37,00 EUR ab 24 Jahren\n- 10,00 EUR für den vorläufigen Personalausweis"},
		{Kind: knowledge.SectionOther, Heading: "Rechtsgrundlage", Text: "Personalausweisgesetz (PAuswG)\nPersonalausweisverordnung (PAuswV)"},
		{Kind: knowledge.SectionContact, Heading: "Bürgeramt Mitte", Text: "Marktplatz 10\n12345 Musterstadt"},
	}}
	e := pagesEngine(t, []knowledge.Page{page})
	for _, tc := range []struct{ q, want, notWant string }{
		{"Was kostet der vorläufige Personalausweis?", "10,00 EUR", "Personalausweisgesetz"},
		{"Mein Kind ist 10, braucht es einen Personalausweis?", "Kinder unter 16 Jahren", "Marktplatz 10"},
		{"Was ist die Rechtsgrundlage für den Personalausweis?", "Personalausweisgesetz", ""},
	} {
		r := askDE(t, e, tc.q)
		if !strings.Contains(r.Text, tc.want) || (tc.notWant != "" && strings.Contains(r.Text, tc.notWant)) {
			t.Errorf("%q:\n%s\nwant %q and not %q", tc.q, r.Text, tc.want, tc.notWant)
		}
	}
}
