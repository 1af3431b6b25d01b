package knowledge

import "testing"

func TestSectionClassifyHeading(t *testing.T) {
	tests := []struct {
		heading string
		want    SectionKind
	}{
		// description
		{"Beschreibung", SectionDescription},
		{"Leistungsbeschreibung", SectionDescription},
		{"Beschreibung der Leistung", SectionDescription},
		{"Description", SectionDescription},
		{"description", SectionDescription}, // a JSONL field name
		{"body", SectionDescription},
		{"markdown", SectionDescription},
		// prerequisites
		{"Voraussetzungen", SectionPrerequisites},
		{"voraussetzungen", SectionPrerequisites},
		{"Anspruchsvoraussetzungen", SectionPrerequisites},
		{"Requirements", SectionPrerequisites},
		{"Prerequisites", SectionPrerequisites},
		{"Who can apply?", SectionPrerequisites},
		{"Wer kann den Antrag stellen?", SectionPrerequisites},
		// documents
		{"Unterlagen", SectionDocuments},
		{"unterlagen", SectionDocuments},
		{"Benötigte Unterlagen", SectionDocuments},
		{"Erforderliche Unterlagen", SectionDocuments},
		{"Documents", SectionDocuments},
		{"Documents you need", SectionDocuments},
		{"What to bring", SectionDocuments},
		// fees
		{"Gebühren", SectionFees},
		{"Kosten", SectionFees},
		{"Kosten und Gebühren", SectionFees},
		{"Fees", SectionFees},
		{"Costs", SectionFees},
		{"Was kostet das?", SectionFees},
		{"Hinweise zur Zahlungsart", SectionFees},
		// deadlines
		{"Fristen", SectionDeadlines},
		{"Deadlines", SectionDeadlines},
		{"Bearbeitungsdauer", SectionDeadlines},
		{"Dauer", SectionDeadlines},
		{"Processing time", SectionDeadlines},
		{"Antragsfrist", SectionDeadlines},
		// procedure
		{"Ablauf", SectionProcedure},
		{"Verfahrensablauf", SectionProcedure},
		{"Verfahren", SectionProcedure},
		{"Procedure", SectionProcedure},
		{"How it works", SectionProcedure},
		{"How to apply", SectionProcedure},
		{"Ablauf, Dauer & Gebühren", SectionProcedure}, // the first wins
		// contact
		{"Kontakt", SectionContact},
		{"Öffnungszeiten", SectionContact},
		{"Kontakt und Öffnungszeiten", SectionContact},
		{"Zuständige Stelle", SectionContact},
		{"Contact", SectionContact},
		{"Opening hours", SectionContact},
		{"opening_hours", SectionContact},
		{"Contact and opening hours", SectionContact},
		{"Where to go", SectionContact},
		{"Adresse und Kontakt", SectionContact},
		// other
		{"Rechtsgrundlage", SectionOther},
		{"Zu Beachten", SectionOther},
		{"Wichtige Hinweise", SectionOther},
		{"Formulare, Services & Links", SectionOther},
		{"Noch nicht das passende gefunden?", SectionOther},
		{"Lebenslauf", SectionOther}, // ends in "lauf", not "ablauf"
		{"service_id", SectionOther},
		{"", SectionOther},
	}
	for _, tt := range tests {
		t.Run(tt.heading, func(t *testing.T) {
			if got := classifyHeading(tt.heading); got != tt.want {
				t.Errorf("classifyHeading(%q) = %q, want %q", tt.heading, got, tt.want)
			}
		})
	}
}

func TestSectionHeadingLine(t *testing.T) {
	tests := []struct {
		line   string
		want   SectionKind
		isHead bool
	}{
		{"Verfahrensablauf", SectionProcedure, true},
		{"Verfahrensablauf:", SectionProcedure, true},
		{"  Kosten ", SectionFees, true},
		{"Kontakt und Öffnungszeiten", SectionContact, true},
		{"Erforderliche Unterlagen", SectionDocuments, true},
		{"Opening hours", SectionContact, true},
		{"Costs:", SectionFees, true},
		{"Beschreibung der Leistung", SectionDescription, true},
		{"Fristen", SectionDeadlines, true},
		// sentences and list items are not headings
		{"Gebühren fallen keine an.", "", false},
		{"Die Kosten trägt das Amt", "", false},
		{"Frist: 6 Monate", "", false},
		{"Reisekosten", "", false},          // a list item in a documents field
		{"Bewerbungsunterlagen", "", false}, // likewise
		{"Hinweis:", "", false},
		{"Wichtige Hinweise", "", false},
		{"Kontakt und", "", false},
		{"1. Antragstellung", "", false},
		{"", "", false},
		{"Kosten Kosten Kosten Kosten Kosten Kosten Kosten", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, ok := headingLineKind(tt.line)
			if ok != tt.isHead || got != tt.want {
				t.Errorf("headingLineKind(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.isHead)
			}
		})
	}
}
