package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/civibot/civibot/knowledge"
)

// hamburgLike is a service page as the Hamburg CMS exports it to Markdown:
// a keyword block, an update stamp and a "not found yet?" box at the end.
const hamburgLike = `Personalausweis beantragen
==========================

Sie können einen Personalausweis beantragen.

Online-Service nutzen
---------------------

[Jetzt einen Termin buchen](https://example.test/termin)

Sie können auch telefonisch einen Termin buchen.

### Altona Einwohnerangelegenheiten

* Ottenser Marktplatz 10
* [Kontakt speichern](#)
* [Details anzeigen](#) [Jetzt einen Termin buchen](#)

### Lurup Einwohnerangelegenheiten

* Luruper Hauptstraße 158
* [115 (+4940115)](tel:+4940115)
[Kontakt speichern](#) [Details anzeigen](#) [Jetzt einen Termin buchen](#)

### Gebühren

* 37,00 EUR

#### Links im Internet

* [Fotomustertafel](https://example.test/foto)

#### Weitere Dienstleistungen

* [Reisepass, Neuantrag nach Verlust](https://example.test/pass)
* [Vorläufigen Personalausweis beantragen](https://example.test/vorl)

Das Foto darf nicht älter als sechs Monate sein.

Seite drucken

Noch nicht das passende gefunden?
---------------------------------

 [Zur Hamburg Service Startseite](/service/)

Suchwörter: Perso, Ausweis beantragen, ePA

Letzte Aktualisierung: 28.04.2025
`

func importOne(t *testing.T, files fstest.MapFS, opts Options) ([]knowledge.Page, []Problem) {
	t.Helper()
	pages, problems, err := ImportFS(context.Background(), files, ".", opts)
	if err != nil {
		t.Fatal(err)
	}
	return pages, problems
}

func pageText(p knowledge.Page) string {
	var b strings.Builder
	for _, s := range p.Sections {
		b.WriteString(s.Heading + "\n" + s.Text + "\n")
	}
	return b.String()
}

func TestBoilerplateStripped(t *testing.T) {
	rec, _ := json.Marshal(map[string]string{"id": "11", "title": "Personalausweis beantragen", "markdown": hamburgLike})
	html := `<html lang="de"><head><title>Hundesteuer</title></head><body><main><h1>Hundesteuer</h1>
<p>Wer einen Hund hält, zahlt Hundesteuer.</p><p>Nach oben</p><p>Stand: 01.02.2025</p>
<h2>War diese Seite hilfreich?</h2><p>Ja Nein</p><p>Schlagwörter: Hund; Steuer</p></main></body></html>`
	for _, tc := range []struct {
		name     string
		files    fstest.MapFS
		opts     Options
		keep     []string // text that must stay
		gone     []string // text that must go
		keywords []string
	}{
		{"markdown in JSONL", fstest.MapFS{"hh.jsonl": {Data: rec}}, Options{BodyFields: []string{"markdown"}},
			[]string{"Sie können einen Personalausweis beantragen.", "37,00 EUR", "Sie können auch telefonisch einen Termin buchen.", "Ottenser Marktplatz 10", "115 (+4940115)",
				"Das Foto darf nicht älter als sechs Monate sein."},
			[]string{"===", "Letzte Aktualisierung", "Suchwörter", "Noch nicht das passende", "Startseite", "Seite drucken", "Kontakt speichern", "Details anzeigen", "Jetzt einen Termin buchen",
				// link lists under navigation headings, kept as text lines of their section
				"Links im Internet", "Fotomustertafel", "Weitere Dienstleistungen", "Neuantrag nach Verlust", "Vorläufigen Personalausweis"},
			[]string{"Perso", "Ausweis beantragen", "ePA"}},
		{"HTML", fstest.MapFS{"hund.html": {Data: []byte(html)}}, Options{},
			[]string{"Wer einen Hund hält, zahlt Hundesteuer."},
			[]string{"Nach oben", "Stand:", "hilfreich", "Ja Nein", "Schlagwörter"},
			[]string{"Hund", "Steuer"}},
		{"the city's own pattern", fstest.MapFS{"hh.jsonl": {Data: rec}}, Options{BodyFields: []string{"markdown"}, Boilerplate: []string{`sie können auch telefonisch einen termin buchen\.`, `gebühren`}},
			[]string{"Sie können einen Personalausweis beantragen."},
			[]string{"telefonisch", "37,00 EUR", "Letzte Aktualisierung"},
			nil},
		{"defaults off", fstest.MapFS{"hh.jsonl": {Data: rec}}, Options{BodyFields: []string{"markdown"}, Boilerplate: []string{"none"}},
			[]string{"Letzte Aktualisierung: 28.04.2025", "Seite drucken", "Noch nicht das passende gefunden?"},
			[]string{"Suchwörter"}, // keyword blocks still become keywords
			[]string{"Perso"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages, problems := importOne(t, tc.files, tc.opts)
			if len(pages) != 1 || len(problems) != 0 {
				t.Fatalf("pages %d, problems %v", len(pages), problems)
			}
			text := pageText(pages[0])
			for _, k := range tc.keep {
				if !strings.Contains(text, k) {
					t.Errorf("%q was dropped:\n%s", k, text)
				}
			}
			for _, g := range tc.gone {
				if strings.Contains(text, g) {
					t.Errorf("%q is still there:\n%s", g, text)
				}
			}
			for _, k := range tc.keywords {
				found := false
				for _, have := range pages[0].Keywords {
					found = found || have == k
				}
				if !found {
					t.Errorf("keyword %q missing: %q", k, pages[0].Keywords)
				}
			}
		})
	}
}

func TestBoilerplateOnlyPageIsAProblem(t *testing.T) {
	rec, _ := json.Marshal(map[string]string{"id": "1", "title": "Leer", "body": "Seite drucken\nLetzte Aktualisierung: 1.1.2025"})
	pages, problems := importOne(t, fstest.MapFS{"p.jsonl": {Data: rec}}, Options{})
	if len(pages) != 0 || len(problems) != 1 || !strings.Contains(problems[0].Err, "only boilerplate") {
		t.Fatalf("pages %v, problems %v", pages, problems)
	}
}

func TestBoilerplateBadPattern(t *testing.T) {
	if _, _, err := ImportFS(context.Background(), fstest.MapFS{}, ".", Options{Boilerplate: []string{"("}}); err == nil || !strings.Contains(err.Error(), "boilerplate pattern") {
		t.Fatalf("err = %v", err)
	}
}

// TestRepeatedTextDropped: a notice the site puts on most pages goes; an
// office's opening hours, repeated in contact sections, stay; so does a
// sentence only a few pages share.
func TestRepeatedTextDropped(t *testing.T) {
	const notice = "Für Fischereischeine und Führerscheinanträge ist das Terminal nicht nutzbar."
	const shared = "Die Gebühr zahlen Sie bei der Antragstellung in bar oder mit Karte."
	var recs []byte
	for i := range 20 {
		md := fmt.Sprintf("Leistung %d beschreibt einen eigenen Dienst mit Nummer %d.\n\n## Infos zur Einrichtung\n\n%s\n\n## Öffnungszeiten\n\nMo-Fr 8-16 Uhr, ein Besuch ist nur mit Termin möglich.\n", i, i, notice)
		if i < 3 {
			md += "\n## Gebühren\n\n" + shared + "\n"
		}
		rec, _ := json.Marshal(map[string]string{"id": fmt.Sprint(i), "title": fmt.Sprintf("Leistung %d", i), "markdown": md})
		recs = append(append(recs, rec...), '\n')
	}
	for _, tc := range []struct {
		name        string
		boilerplate []string
		noticeKept  bool
	}{
		{"defaults", nil, false},
		{"defaults off", []string{"none"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages, problems := importOne(t, fstest.MapFS{"p.jsonl": {Data: recs}}, Options{BodyFields: []string{"markdown"}, Boilerplate: tc.boilerplate})
			if len(pages) != 20 || len(problems) != 0 {
				t.Fatalf("pages %d, problems %v", len(pages), problems)
			}
			for i, p := range pages {
				text := pageText(p)
				if strings.Contains(text, "Führerscheinanträge") != tc.noticeKept {
					t.Errorf("page %d: notice kept = %v, want %v:\n%s", i, !tc.noticeKept, tc.noticeKept, text)
				}
				if !strings.Contains(text, "Mo-Fr 8-16 Uhr") || !strings.Contains(text, fmt.Sprintf("Nummer %d", i)) {
					t.Errorf("page %d lost its own text or opening hours:\n%s", i, text)
				}
				if i < 3 && !strings.Contains(text, shared) {
					t.Errorf("page %d lost a sentence three pages share", i)
				}
			}
		})
	}
}
