package dialog

import (
	"strings"
	"testing"

	"github.com/civibot/civibot/knowledge"
)

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"plain", "Der Ausweis kostet 37,00 Euro. Er gilt zehn Jahre.", []string{"Der Ausweis kostet 37,00 Euro.", "Er gilt zehn Jahre."}},
		{"abbreviations", "Bringen Sie z. B. Ihren Pass mit. Das Amt ist Mo. bis Fr. geöffnet.", []string{"Bringen Sie z. B. Ihren Pass mit.", "Das Amt ist Mo. bis Fr. geöffnet."}},
		{"dates and ordinals", "Ab dem 1. März gilt die Regel. Danach nicht.", []string{"Ab dem 1. März gilt die Regel.", "Danach nicht."}},
		{"lowercase after dot stays", "Gebühr: ca. 20 Euro. bitte bar.", []string{"Gebühr: ca. 20 Euro. bitte bar."}},
		{"question and exclamation", "Umgezogen? Melden Sie sich an! Das geht online.", []string{"Umgezogen?", "Melden Sie sich an!", "Das geht online."}},
		{"english", "The fee is EUR 37.00. Bring your old card, e.g. your ID. Done.", []string{"The fee is EUR 37.00.", "Bring your old card, e.g. your ID.", "Done."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range splitSentences(tt.text) {
				got = append(got, s.text)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSplitSentencesListItems(t *testing.T) {
	got := splitSentences("Bitte bringen Sie mit:\n- Ihren alten Ausweis\n- ein biometrisches Passfoto\n* die Geburtsurkunde\n1. Formular")
	if len(got) != 5 || got[0].item || !got[1].item || got[2].text != "ein biometrisches Passfoto" || !got[4].item || got[4].text != "Formular" {
		t.Fatalf("got %+v", got)
	}
}

func TestDetectAspect(t *testing.T) {
	rules := newAspectRules()
	tests := map[string]knowledge.SectionKind{
		"Was kostet ein Personalausweis?":         knowledge.SectionFees,
		"wie teuer ist der reisepass":             knowledge.SectionFees,
		"How much is a residents' parking permit": knowledge.SectionFees,
		"Welche Unterlagen brauche ich?":          knowledge.SectionDocuments,
		"what documents do I need":                knowledge.SectionDocuments,
		"Wie lange dauert das?":                   knowledge.SectionDeadlines,
		"Wo kann ich mich ummelden?":              knowledge.SectionContact,
		"opening hours of the citizens' office":   knowledge.SectionContact,
		"Wer darf Wohngeld bekommen?":             knowledge.SectionPrerequisites,
		"Wie beantrage ich Kindergeld?":           knowledge.SectionProcedure,
		"Hundesteuer":                             "",
	}
	for q, want := range tests {
		if got := detectAspect(rules, q); got != want {
			t.Errorf("detectAspect(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestRenderStyles(t *testing.T) {
	p := passage{sentences: []sentence{
		{text: "Bitte bringen Sie mit:"},
		{text: "Ihren alten Ausweis", item: true},
		{text: "ein Passfoto", item: true},
	}}
	full := render("Personalausweis", p, StyleFull, limitsFor(StyleFull))
	if full != "Personalausweis\nBitte bringen Sie mit:\n• Ihren alten Ausweis\n• ein Passfoto" {
		t.Errorf("full = %q", full)
	}
	spoken := render("Personalausweis", p, StyleSpoken, limitsFor(StyleSpoken))
	if spoken != "Bitte bringen Sie mit: Ihren alten Ausweis, ein Passfoto." {
		t.Errorf("spoken = %q", spoken)
	}
	long := passage{sentences: []sentence{{text: strings.Repeat("Sehr langer Satz mit vielen Wörtern ", 20) + "Ende."}}}
	short := render("T", long, StyleShort, limitsFor(StyleShort))
	if len(short) > limitsFor(StyleShort).chars+10 || !strings.HasSuffix(short, "…") {
		t.Errorf("short not bounded: %d chars %q", len(short), short)
	}
}
