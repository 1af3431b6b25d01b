package dialog_test

import (
	"context"
	"slices"
	"testing"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge"
)

// TestFamilyNamedAsksWhich: a question the engine is unsure of, that names
// the family two services share but not which of them ("gefährlicher Hund"
// and a move, over "… Gefährlicher Hund - Anmeldung / Ummeldung /
// Abmeldung"), gets the choice between the two best with a person offered,
// not a handoff; a question as unsure that names no family still goes to a
// person.
func TestFamilyNamedAsksWhich(t *testing.T) {
	ctx := context.Background()
	page := func(id, title, text string) knowledge.Page {
		return knowledge.Page{ID: id, Title: title, Language: "de", URL: "https://www.musterstadt.example/" + id,
			Sections: []knowledge.Section{{Kind: knowledge.SectionDescription, Text: text}}}
	}
	kb, err := knowledge.Build(ctx, []knowledge.Page{
		page("an", "Tiere - Hundehaltung - Gefährlicher Hund - Anmeldung",
			"Einen gefährlichen Hund melden Sie beim Ordnungsamt an. Sie brauchen einen Sachkundenachweis und eine Haftpflichtversicherung."),
		page("um", "Tiere - Hundehaltung - Gefährlicher Hund - Ummeldung",
			"Halten Sie einen gefährlichen Hund und wechseln Sie den Bezirk, melden Sie den Hund beim neuen Ordnungsamt um."),
		page("ab", "Tiere - Hundehaltung - Gefährlicher Hund - Abmeldung",
			"Geben Sie die Haltung eines gefährlichen Hundes auf, melden Sie den Hund beim Ordnungsamt ab."),
		page("steuer", "Hundesteuer", "Wer einen Hund hält, zahlt Hundesteuer beim Finanzamt."),
		page("wohnung", "Wohnung anmelden", "Nach einem Umzug melden Sie Ihre Wohnung innerhalb von zwei Wochen im Bürgeramt an."),
		page("baum", "Baumfällung beantragen", "Wer einen Baum fällen will, braucht eine Genehmigung des Grünflächenamts."),
	}, knowledge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	e, err := dialog.NewEngine(dialog.Config{}, kb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ask := func(q string) dialog.Reply {
		r, err := e.Respond(ctx, dialog.Turn{Text: q, Language: "de", Context: conversation.Context{Turns: 1}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := ask("Was gilt für meinen gefährlichen Hund, wir ziehen nächsten Monat nach Kreuzberg?")
	if r.Decision.Kind != dialog.KindClarify || r.Handoff != "" {
		t.Fatalf("family named: %s (handoff %q), want a choice", r.Decision.Kind, r.Handoff)
	}
	if len(r.Context.Candidates) != 2 || !slices.Contains([]string{"an", "um", "ab"}, r.Context.Candidates[0]) ||
		!slices.Contains([]string{"an", "um", "ab"}, r.Context.Candidates[1]) {
		t.Errorf("choice between %v, want two of the dangerous-dog pages", r.Context.Candidates)
	}
	if l := labels(r.QuickReplies); len(l) != 3 || l[2] != "Ich möchte mit einer Person sprechen" {
		t.Errorf("quick replies %v, want the two pages and a person", l)
	}
	// As unsure, but the words it names are only the pages' text, no
	// family's title: a person.
	r = ask("Was muss ich nächsten Monat beim Ordnungsamt erledigen?")
	if r.Decision.Kind != dialog.KindHandoff {
		t.Errorf("no family named: %s %.2f %v, want a handoff", r.Decision.Kind, r.Decision.Confidence, r.Decision.Reasons)
	}
}
