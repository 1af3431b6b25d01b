package knowledge

import (
	"strings"
	"testing"
)

func TestParticleWord(t *testing.T) {
	for _, tc := range []struct{ word, particle, base string }{
		{"anmeldung", "an", "meld"},
		{"abmelden", "ab", "meld"},
		{"ummelden", "", ""}, // no opposite: the Anmeldung at a new address
		{"einreise", "ein", "reis"},
		{"ausreise", "aus", "reis"},
		{"meldung", "", ""},
		{"antrag", "an", "trag"}, // and "Auftrag" is another thing
		{"amt", "", ""},          // too short to tell
	} {
		p, b, ok := particleWord(tc.word)
		if ok != (tc.particle != "") || p != tc.particle || b != tc.base {
			t.Errorf("particleWord(%q) = %q, %q, %v; want %q, %q", tc.word, p, b, ok, tc.particle, tc.base)
		}
	}
}

// TestOppositeService: a page whose title names the question's particle
// word with another particle ("Wohnung abmelden" for the Anmeldung) is not
// taken for the answer — another page goes first or it is marked as the
// possible opposite — unless its text covers the question's word too.
func TestOppositeService(t *testing.T) {
	pages := []Page{
		{ID: "abmelden", Title: "Wohnung abmelden", Language: "de", Sections: desc(
			"Wenn Sie ins Ausland ziehen, müssen Sie Ihre Wohnung abmelden. Zum Abmelden brauchen Sie Ihren Personalausweis. " +
				"Abmelden können Sie sich persönlich oder schriftlich. Für das Abmelden einer Nebenwohnung gilt dasselbe. " +
				"Ziehen Sie innerhalb Deutschlands um, genügt es, sich am neuen Wohnort anzumelden.")},
		{ID: "umzug", Title: "Umzug innerhalb der Stadt melden", Language: "de", Sections: desc(
			"Wenn Sie innerhalb der Stadt umziehen, melden Sie Ihre neue Wohnung innerhalb von zwei Wochen beim Bürgeramt an. Bringen Sie Ihren Personalausweis und die Wohnungsgeberbestätigung mit.")},
		{ID: "hund", Title: "Hund anmelden und Hundesteuer", Language: "de", Sections: desc(
			"Melden Sie Ihren Hund beim Steueramt an. Stirbt der Hund oder geben Sie ihn ab, müssen Sie ihn abmelden. Zum Abmelden schicken Sie das Formular und die Steuermarke.")},
	}
	kb := buildPages(t, pages)
	hits := search(t, kb, Query{Text: "Welche Unterlagen brauche ich für die Anmeldung einer Wohnung?", Language: "de"})
	if len(hits) == 0 {
		t.Fatal("no hits")
	}
	if hits[0].Page.ID == "abmelden" && hits[0].Opposite == "" {
		t.Errorf("the Anmeldung: %v first without being marked as the opposite service", hitIDs(hits))
	}
	if hits[0].Page.ID == "abmelden" && !strings.EqualFold(hits[0].Opposite, "abmelden") {
		t.Errorf("Opposite = %q, want the title's word \"abmelden\"", hits[0].Opposite)
	}
	// The dog page says how to deregister: it is the answer, not an opposite.
	hits = search(t, kb, Query{Text: "Mein Hund ist gestorben, muss ich ihn abmelden?", Language: "de"})
	if len(hits) == 0 || hits[0].Page.ID != "hund" || hits[0].Opposite != "" {
		t.Errorf("deregistering the dog: %v (opposite %q), want the dog page unmarked", hitIDs(hits), func() string {
			if len(hits) > 0 {
				return hits[0].Opposite
			}
			return ""
		}())
	}
}
