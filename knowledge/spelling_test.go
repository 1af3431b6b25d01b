package knowledge

import (
	"slices"
	"testing"
)

func TestSpellingVariants(t *testing.T) {
	tests := []struct {
		word string
		want []string // each must be proposed
		not  []string // none may be
	}{
		{"labor", []string{"labour"}, nil},
		{"labour", []string{"labor"}, nil},
		{"neighbourhood", []string{"neighborhood"}, nil},
		{"centers", []string{"centres"}, nil},
		{"theatre", []string{"theater"}, nil},
		{"counseling", []string{"counselling"}, nil},
		{"counsellor", []string{"counselor"}, nil},
		{"enrolment", []string{"enrollment"}, nil},
		{"organization", []string{"organisation"}, nil},
		{"recognised", []string{"recognized"}, nil},
		{"licence", []string{"license"}, nil},
		{"programmes", []string{"programs"}, nil},
		{"catalog", []string{"catalogue"}, nil},
		{"paediatrician", []string{"pediatrician"}, nil},
		{"mold", []string{"mould"}, nil},
		// Too short before the ending, or no such correspondence.
		{"hour", nil, []string{"hor"}},
		{"your", nil, []string{"yor"}},
		{"four", nil, []string{"for"}},
		{"counselling", []string{"counseling"}, []string{"counsellling"}},
	}
	for _, tt := range tests {
		got := spellingVariants(tt.word)
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("spellingVariants(%q) = %v, want %q among them", tt.word, got, w)
			}
		}
		for _, w := range tt.not {
			if slices.Contains(got, w) {
				t.Errorf("spellingVariants(%q) = %v, must not hold %q", tt.word, got, w)
			}
		}
	}
}

// An American spelling finds the page written in British English, and the
// other way round, also where another page holds the question's own
// spelling (then it is no misspelling the near spellings would find); a
// spelling the pages do not hold adds nothing.
func TestSpellingFindsOtherVariety(t *testing.T) {
	kb := buildPages(t, []Page{
		{ID: "jobcentre", Title: "Job centre", Language: "en",
			Sections: []Section{{Kind: SectionDescription, Text: "The job centre advises on the labor market. Applications may be printed in color. Ask about the license for forklift trucks and the programme of job fairs."}}},
		{ID: "labour", Title: "Labour exploitation", Language: "en",
			Sections: []Section{{Kind: SectionDescription, Text: "Labour exploitation is a crime. As an EU citizen, you can get help from the Fair Mobility Advice Centre."}}},
		{ID: "colour", Title: "Colour copies at the library", Language: "en",
			Sections: []Section{{Kind: SectionDescription, Text: "The library makes colour copies for 50 cents a page."}}},
		{ID: "licence", Title: "Driving licence", Language: "en",
			Sections: []Section{{Kind: SectionDescription, Text: "You need a driving licence to drive a car. Book an appointment at the licence office."}}},
		{ID: "program", Title: "Holiday program for children", Language: "en",
			Sections: []Section{{Kind: SectionDescription, Text: "The holiday program offers trips and games for children during the school holidays."}}},
	})
	tests := []struct{ q, want string }{
		{"Who helps with labor exploitation?", "labour"},
		{"Can I make color copies?", "colour"},
		{"How do I get a driver's license?", "licence"},
		{"Is there a holiday programme for children?", "program"},
	}
	for _, tt := range tests {
		hits := search(t, kb, Query{Text: tt.q, Language: "en"})
		if len(hits) == 0 || hits[0].Page.ID != tt.want {
			t.Errorf("Search(%q) = %v, want %s first", tt.q, hitIDs(hits), tt.want)
			continue
		}
		if len(hits[0].Missing) > 0 {
			t.Errorf("Search(%q): %v not found in the page, want every word found", tt.q, hits[0].Missing)
		}
	}
	concepts, _ := kb.an.analyzeQuery("labor hour", "en")
	for _, c := range concepts {
		if c.text == "hour" && len(c.options) != 1 {
			t.Errorf("hour: %d options, want 1 (no spelling the pages hold)", len(c.options))
		}
	}
}
