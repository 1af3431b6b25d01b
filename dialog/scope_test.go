package dialog_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

func sampleEngine(t *testing.T) *dialog.Engine {
	t.Helper()
	kb, err := sampleKB()
	if err != nil {
		t.Fatal(err)
	}
	e, err := dialog.NewEngine(dialog.Config{CityName: "Musterstadt"}, kb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func labels(qr []conversation.QuickReply) []string {
	var out []string
	for _, q := range qr {
		out = append(out, q.Label)
	}
	return out
}

// TestScopeReply: questions outside the city's services get the scope
// reply — what civibot helps with and a person offered — and go to nobody;
// city questions that share a word with such questions are still answered.
func TestScopeReply(t *testing.T) {
	e := sampleEngine(t)
	ctx := context.Background()
	for _, tt := range []struct {
		q, lang, want string
	}{
		{"Wer wird dieses Jahr Fußballmeister?", "de", "nur Fragen zu Leistungen der Stadt"},
		{"Wie wird das Wetter am Wochenende?", "de", "nur Fragen zu Leistungen der Stadt"},
		{"Schreib mir ein Gedicht über den Herbst", "de", "nur Fragen zu Leistungen der Stadt"},
		{"who painted the mona lisa", "en", "only answer questions about the city's services"},
		{"give me a recipe for pancakes", "en", "only answer questions about the city's services"},
		{"Fasse mir bitte das Buch Der Process von Kafka zusammen", "de", "nur Fragen zu Leistungen der Stadt"},
		{"Was hilft gegen Kopfschmerzen?", "de", "nur Fragen zu Leistungen der Stadt"},
		{"how can I repair a flat tyre on my bicycle", "en", "only answer questions about the city's services"},
		{"which club has the best techno music", "en", "only answer questions about the city's services"},
		{"Wer steigt dieses Jahr aus der Bundesliga ab?", "de", "nur Fragen zu Leistungen der Stadt"},
		{"xqzv blorf wibble", "en", "found nothing about this"},
	} {
		t.Run(tt.q, func(t *testing.T) {
			r, err := e.Respond(ctx, dialog.Turn{Text: tt.q, Language: tt.lang, Context: conversation.Context{Turns: 1}})
			if err != nil {
				t.Fatal(err)
			}
			if r.Decision.Kind != dialog.KindScope || r.Handoff != "" || len(r.Sources) != 0 {
				t.Fatalf("decision %+v, handoff %q, sources %v: want a scope reply without handoff or page", r.Decision, r.Handoff, r.Sources)
			}
			if !strings.Contains(r.Text, tt.want) {
				t.Errorf("text %q lacks %q", r.Text, tt.want)
			}
			person := map[string]string{"de": "Ich möchte mit einer Person sprechen", "en": "I'd like to talk to a person"}[tt.lang]
			if !slices.Contains(labels(r.QuickReplies), person) {
				t.Errorf("quick replies %v do not offer a person", labels(r.QuickReplies))
			}
		})
	}
	// City matters are answered even where they share a word with the
	// kinds above.
	for _, q := range []string{"Was kostet ein Personalausweis?", "Wie melde ich meinen Hund an?"} {
		r, err := e.Respond(ctx, dialog.Turn{Text: q, Context: conversation.Context{Turns: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Decision.Kind != dialog.KindAnswer {
			t.Errorf("%q: decision %+v, want an answer", q, r.Decision)
		}
	}
	// A permit, a licence, a registration or a fee is a city matter
	// whatever it concerns: no scope reply, even when no page is sure.
	for _, q := range []string{"What do I need to open a restaurant?", "Brauche ich eine Genehmigung für einen Burgerstand auf dem Markt?",
		"Genehmigung für ein Fußballturnier im Park", "do I need a licence to sell pizza at the street festival"} {
		r, err := e.Respond(ctx, dialog.Turn{Text: q, Context: conversation.Context{Turns: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Decision.Kind == dialog.KindScope {
			t.Errorf("%q: a scope reply, want the city's answer, a choice or a person", q)
		}
	}
}

// TestHedgedAnswer: below the answer threshold the answer says the engine
// is not sure, offers the next services found and a person, and choosing
// one of them answers from that page.
func TestHedgedAnswer(t *testing.T) {
	e := sampleEngine(t)
	ctx := context.Background()
	q := "bin grad nach musterstadt gezogen was muss ich erledigen"
	r, err := e.Respond(ctx, dialog.Turn{Text: q, Language: "de", Context: conversation.Context{Turns: 1}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.Config()
	if r.Decision.Kind != dialog.KindAnswer || r.Decision.Confidence >= cfg.AnswerThreshold || r.Decision.Confidence < cfg.HandoffThreshold {
		t.Fatalf("decision %+v: want an answer between the thresholds %.2f and %.2f", r.Decision, cfg.HandoffThreshold, cfg.AnswerThreshold)
	}
	if !strings.HasPrefix(r.Text, "Ich bin nicht ganz sicher") {
		t.Errorf("hedged answer does not say so: %q", r.Text)
	}
	if len(r.Context.Candidates) == 0 {
		t.Fatalf("no alternatives remembered: %+v", r.Context)
	}
	kb, err := sampleKB()
	if err != nil {
		t.Fatal(err)
	}
	alt, ok := kb.Page(r.Context.Candidates[0])
	if !ok {
		t.Fatalf("alternative %q is no page", r.Context.Candidates[0])
	}
	got := labels(r.QuickReplies)
	if !slices.Contains(got, alt.Title) || !slices.Contains(got, "Ich möchte mit einer Person sprechen") {
		t.Fatalf("quick replies %v do not offer %q and a person", got, alt.Title)
	}
	next, err := e.Respond(ctx, dialog.Turn{Text: alt.Title, Language: "de", Context: r.Context})
	if err != nil {
		t.Fatal(err)
	}
	if next.Decision.Kind != dialog.KindAnswer || len(next.Sources) != 1 || next.Sources[0].PageID != alt.ID {
		t.Errorf("choosing %q: decision %+v, sources %+v", alt.Title, next.Decision, next.Sources)
	}

	// A clear question is answered without the hedge.
	r, err = e.Respond(ctx, dialog.Turn{Text: "Was kostet ein Personalausweis?", Context: conversation.Context{Turns: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Decision.Confidence < cfg.AnswerThreshold || strings.Contains(r.Text, "nicht ganz sicher") {
		t.Errorf("clear question hedged: confidence %.2f, %q", r.Decision.Confidence, r.Text)
	}
}

// TestUnknownWordNotConfident: a question whose word no page of the city
// knows is not answered with confidence from the page its other words find
// ("Genehmigung" in "Baugenehmigung"); it is offered hedged.
func TestUnknownWordNotConfident(t *testing.T) {
	e := sampleEngine(t)
	r, err := e.Respond(context.Background(), dialog.Turn{Text: "Wie beantrage ich eine Genehmigung für meinen Quadrokopter?", Language: "de", Context: conversation.Context{Turns: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Decision.Confidence >= e.Config().AnswerThreshold {
		t.Fatalf("confidence %.2f at or above the answer threshold: %+v", r.Decision.Confidence, r.Decision)
	}
	if !slices.ContainsFunc(r.Decision.Reasons, func(s string) bool { return strings.Contains(s, "quadrokopter") }) {
		t.Errorf("reasons %q do not name the unknown word", r.Decision.Reasons)
	}
	if r.Decision.Kind == dialog.KindAnswer && !strings.HasPrefix(r.Text, "Ich bin nicht ganz sicher") {
		t.Errorf("answer not hedged: %q", r.Text)
	}
}
