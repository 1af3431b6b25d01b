package analytics

import (
	"slices"
	"testing"
	"time"
)

func TestGroupQuestions(t *testing.T) {
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	q := func(text, kind, page string, min int) Question {
		return Question{Text: text, Language: "de", Kind: kind, Confidence: 0.3, PageID: page, PageTitle: "Title " + page, At: day.Add(time.Duration(min) * time.Minute)}
	}
	qs := []Question{
		q("Wo kann ich mein Boot anmelden?", KindUnanswered, "", 1),
		q("Boot anmelden wo?", KindUnanswered, "", 2),
		q("wo kann ich mein boot anmelden", KindClarify, "kfz-zulassung", 3),
		q("Wo kann ich mein Boot anmelden?", KindUnanswered, "", 4),
		q("Bootsführerschein Kosten", KindLowConfidence, "fuehrerschein", 5),
		q("Gibt es einen Zuschuss für Lastenräder?", KindUnanswered, "", 6),
		q("Zuschuss Lastenrad", KindUnanswered, "", 7),
		q("Lastenräder Zuschuss beantragen", KindUnanswered, "", 8),
		q("  ", KindUnanswered, "", 9),
		q("Mein Name ist [name]", KindUnanswered, "", 10),
	}
	// A terms function standing in for the analyser: stems by prefix.
	stems := func(text, _ string) []string {
		var out []string
		for _, w := range plainTerms(text, "") {
			switch {
			case len(w) > 7 && w[:7] == "lastenr":
				w = "lastenrad"
			case w == "kann", w == "mein", w == "gibt", w == "einen", w == "für", w == "wo":
				continue
			}
			out = append(out, w)
		}
		return out
	}
	groups := GroupQuestions(qs, stems, 0)
	if len(groups) != 4 {
		t.Fatalf("groups = %+v", groups)
	}
	boat, bike := groups[0], groups[1]
	if boat.Count != 4 || boat.Example != "Wo kann ich mein Boot anmelden?" || !slices.Equal(boat.Variants, []string{"Boot anmelden wo?"}) {
		t.Errorf("boat group = %+v", boat)
	}
	if boat.Kinds[KindUnanswered] != 3 || boat.Kinds[KindClarify] != 1 || boat.PageID != "kfz-zulassung" || boat.PageTitle != "Title kfz-zulassung" ||
		!boat.Last.Equal(day.Add(4*time.Minute)) || !slices.Equal(boat.Languages, []string{"de"}) || boat.AvgConfidence != 0.3 {
		t.Errorf("boat group details = %+v", boat)
	}
	if bike.Count != 3 || bike.Example != "Lastenräder Zuschuss beantragen" {
		t.Errorf("bike group = %+v (ties: the latest wording is the example)", bike)
	}
	for _, g := range groups[2:] {
		if g.Count != 1 {
			t.Errorf("singleton = %+v", g)
		}
	}
	// Singletons: the latest first.
	if groups[2].Example != "Mein Name ist [name]" || groups[3].Example != "Bootsführerschein Kosten" {
		t.Errorf("order of singletons: %q, %q", groups[2].Example, groups[3].Example)
	}
	if got := GroupQuestions(qs, stems, 2); len(got) != 2 {
		t.Errorf("limit 2: %d groups", len(got))
	}
	// Without a terms function, plain words are compared.
	if got := GroupQuestions(qs[:4], nil, 0); len(got) != 1 || got[0].Count != 4 {
		t.Errorf("plain terms: %+v", got)
	}
	if got := GroupQuestions(nil, nil, 0); len(got) != 0 {
		t.Errorf("no questions: %+v", got)
	}
}
