package dialog_test

import (
	"context"
	"testing"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge"
)

// TestBadInputReplies (issue 12, bad input): a question of one word, a
// question in a third language, and a page with only a title each get a
// defined reply.
func TestBadInputReplies(t *testing.T) {
	ctx := context.Background()
	e := sampleEngine(t)
	ask := func(e *dialog.Engine, q string) dialog.Reply {
		t.Helper()
		r, err := e.Respond(ctx, dialog.Turn{Text: q, Context: conversation.Context{Turns: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Text == "" {
			t.Fatalf("%q: empty reply", q)
		}
		return r
	}
	if r := ask(e, "Hundesteuer"); r.Decision.Kind != dialog.KindAnswer || len(r.Sources) == 0 || r.Sources[0].PageID != "hundesteuer-de" {
		t.Errorf("one word: %s %v, want an answer from the dog page", r.Decision.Kind, r.Sources)
	}
	for _, q := range []string{"Où puis-je déclarer mon chien ?", "¿Cuánto cuesta el pasaporte?"} {
		if r := ask(e, q); r.Decision.Kind == dialog.KindAnswer && r.Decision.Confidence >= 0.8 {
			t.Errorf("%q (a third language): a confident answer %v; want a person, a clarification or a hedged answer", q, r.Sources)
		}
	}

	kb, err := knowledge.Build(ctx, []knowledge.Page{
		{ID: "sperrmuell", Title: "Sperrmüll abholen lassen", Language: "de", URL: "https://www.musterstadt.example/sperrmuell"},
		{ID: "hund", Title: "Hundesteuer", Language: "de", Sections: []knowledge.Section{{Kind: knowledge.SectionDescription, Text: "Wer einen Hund hält, zahlt Hundesteuer."}}},
	}, knowledge.Options{})
	if err != nil {
		t.Fatalf("a page with only a title: %v", err)
	}
	defer kb.Close()
	te, err := dialog.NewEngine(dialog.Config{}, kb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := ask(te, "Wie kann ich Sperrmüll abholen lassen?")
	// It says the page does not describe it, with the page's link.
	if r.Decision.Kind != dialog.KindNotCovered || len(r.Sources) == 0 || r.Sources[0].PageID != "sperrmuell" || len(r.Quotes) > 0 {
		t.Errorf("a page with only a title: %s %v %q, want not covered with its link", r.Decision.Kind, r.Sources, r.Quotes)
	}
}
