package importer

import (
	"testing"

	"github.com/civibot/civibot/knowledge"
)

func TestSectionClassifyHeading(t *testing.T) {
	tests := []struct {
		heading string
		want    knowledge.SectionKind
	}{
		// description
		{"Beschreibung", knowledge.SectionDescription},
		{"Leistungsbeschreibung", knowledge.SectionDescription},
		{"Beschreibung der Leistung", knowledge.SectionDescription},
		{"Description", knowledge.SectionDescription},
		{"description", knowledge.SectionDescription},
		{"body", knowledge.SectionDescription},
		{"markdown", knowledge.SectionDescription},
		// prerequisites
		{"Voraussetzungen", knowledge.SectionPrerequisites},
		{"voraussetzungen", knowledge.SectionPrerequisites},
		{"Anspruchsvoraussetzungen", knowledge.SectionPrerequisites},
		{"Requirements", knowledge.SectionPrerequisites},
		{"Prerequisites", knowledge.SectionPrerequisites},
		{"Who can apply?", knowledge.SectionPrerequisites},
		{"Wer kann den Antrag stellen?", knowledge.SectionPrerequisites},
		// documents
		{"Unterlagen", knowledge.SectionDocuments},
		{"unterlagen", knowledge.SectionDocuments},
		{"Benötigte Unterlagen", knowledge.SectionDocuments},
		{"Erforderliche Unterlagen", knowledge.SectionDocuments},
		{"Documents", knowledge.SectionDocuments},
		{"Documents you need", knowledge.SectionDocuments},
		{"What to bring", knowledge.SectionDocuments},
		// fees
		{"Gebühren", knowledge.SectionFees},
		{"Kosten", knowledge.SectionFees},
		{"Kosten und Gebühren", knowledge.SectionFees},
		{"Fees", knowledge.SectionFees},
		{"Costs", knowledge.SectionFees},
		{"Was kostet das?", knowledge.SectionFees},
		{"Hinweise zur Zahlungsart", knowledge.SectionFees},
		// deadlines
		{"Fristen", knowledge.SectionDeadlines},
		{"Deadlines", knowledge.SectionDeadlines},
		{"Bearbeitungsdauer", knowledge.SectionDeadlines},
		{"Dauer", knowledge.SectionDeadlines},
		{"Processing time", knowledge.SectionDeadlines},
		{"Antragsfrist", knowledge.SectionDeadlines},
		// procedure
		{"Ablauf", knowledge.SectionProcedure},
		{"Verfahrensablauf", knowledge.SectionProcedure},
		{"Verfahren", knowledge.SectionProcedure},
		{"Procedure", knowledge.SectionProcedure},
		{"How it works", knowledge.SectionProcedure},
		{"How to apply", knowledge.SectionProcedure},
		{"Ablauf, Dauer & Gebühren", knowledge.SectionProcedure},
		// contact
		{"Kontakt", knowledge.SectionContact},
		{"Öffnungszeiten", knowledge.SectionContact},
		{"Kontakt und Öffnungszeiten", knowledge.SectionContact},
		{"Zuständige Stelle", knowledge.SectionContact},
		{"Contact", knowledge.SectionContact},
		{"Opening hours", knowledge.SectionContact},
		{"opening_hours", knowledge.SectionContact},
		{"Contact and opening hours", knowledge.SectionContact},
		{"Where to go", knowledge.SectionContact},
		{"Adresse und Kontakt", knowledge.SectionContact},
		// other
		{"Rechtsgrundlage", knowledge.SectionOther},
		{"Zu Beachten", knowledge.SectionOther},
		{"Wichtige Hinweise", knowledge.SectionOther},
		{"Formulare, Services & Links", knowledge.SectionOther},
		{"Noch nicht das passende gefunden?", knowledge.SectionOther},
		{"Lebenslauf", knowledge.SectionOther},
		{"service_id", knowledge.SectionOther},
		{"", knowledge.SectionOther},
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
		want   knowledge.SectionKind
		isHead bool
	}{
		{"Verfahrensablauf", knowledge.SectionProcedure, true},
		{"Verfahrensablauf:", knowledge.SectionProcedure, true},
		{"  Kosten ", knowledge.SectionFees, true},
		{"Kontakt und Öffnungszeiten", knowledge.SectionContact, true},
		{"Erforderliche Unterlagen", knowledge.SectionDocuments, true},
		{"Opening hours", knowledge.SectionContact, true},
		{"Costs:", knowledge.SectionFees, true},
		{"Beschreibung der Leistung", knowledge.SectionDescription, true},
		{"Fristen", knowledge.SectionDeadlines, true},
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
