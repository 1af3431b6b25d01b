package knowledge

import (
	"slices"
	"testing"
)

func TestSeparableVerbs(t *testing.T) {
	// The pages' German words: the verbs as the pages write them, and the
	// noun "Ablauf" that "läuft … ab" must not turn into.
	freq := map[string]int32{"abmelden": 4, "anmelden": 9, "ummelden": 2, "abgeben": 3, "ablauf": 7, "abmeldung": 5,
		"anmeldung": 6, "zurueckgeben": 2, "einmal": 1}
	an, err := newAnalyzer(nil, freq)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text   string
		has    []string
		hasNot []string
	}{
		{"Wie melde ich mein Auto ab?", []string{"abmeld", "auto"}, []string{"meld"}},
		{"Wie melden wir die Eheschließung an?", []string{"anmeld", "eheschliess"}, []string{"meld"}},
		{"Muss ich mich ummelden, wenn ich umziehe? Wo melde ich mich um?", []string{"ummeld"}, nil},
		{"Wo gebe ich den alten Führerschein ab", []string{"abgeb", "fuhrerschein"}, nil},
		{"Meldest du dein Auto ab?", []string{"abmeld"}, nil},
		// "läuft … ab": no verb the pages use; never the noun "Ablauf".
		{"Wann läuft mein Pass ab?", []string{"pass"}, []string{"ablauf"}},
		// The particle must end the clause.
		{"Ich melde ab morgen mein Gewerbe", []string{"meld", "gewerb"}, []string{"abmeld"}},
		// A particle after a noun the pages do not join stays a stop word.
		{"Was kostet der Hund an?", []string{"hund"}, []string{"anhund"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := an.Terms(tt.text, "de")
			for _, w := range tt.has {
				if !slices.Contains(got, w) {
					t.Errorf("Terms(%q) = %q, want %q", tt.text, got, w)
				}
			}
			for _, w := range tt.hasNot {
				if slices.Contains(got, w) {
					t.Errorf("Terms(%q) = %q, want no %q", tt.text, got, w)
				}
			}
		})
	}
	// English questions are left alone.
	if got := an.Terms("I want to sign up", "en"); slices.Contains(got, "upsign") {
		t.Errorf("English question joined: %q", got)
	}
}

func TestSeparableVerbsLexicon(t *testing.T) {
	// A verb the pages do not use but the lexicon names is joined too, so
	// the lexicon's phrase matches ("auto abmelden").
	an, err := newAnalyzer(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !an.lex.knowsWord("abmelden") {
		t.Skip("the built-in lexicon does not name abmelden")
	}
	if got := an.Terms("Wie melde ich mein Auto ab?", "de"); !slices.Contains(got, "abmeld") {
		t.Errorf("Terms = %q, want abmeld", got)
	}
}
