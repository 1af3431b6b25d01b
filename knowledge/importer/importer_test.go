package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/civibot/civibot/knowledge"

	"github.com/civibot/civibot/knowledge/samplecity"
)

const fixtures = "testdata"

func fixture(parts ...string) string {
	return filepath.Join(append([]string{fixtures}, parts...)...)
}

// mustImport imports paths and fails the test on an error.
func mustImport(t *testing.T, opts Options, paths ...string) ([]knowledge.Page, []Problem) {
	t.Helper()
	pages, problems, err := Import(context.Background(), paths, opts)
	if err != nil {
		t.Fatalf("Import(%v): %v", paths, err)
	}
	return pages, problems
}

func pageByID(t *testing.T, pages []knowledge.Page, id string) knowledge.Page {
	t.Helper()
	for _, p := range pages {
		if p.ID == id {
			return p
		}
	}
	ids := make([]string, len(pages))
	for i, p := range pages {
		ids[i] = p.ID
	}
	t.Fatalf("no page %q among %v", id, ids)
	return knowledge.Page{}
}

// sectionsOf renders a page's sections as "kind|heading|text" for comparison.
func sectionsOf(p knowledge.Page) []string {
	out := make([]string, len(p.Sections))
	for i, s := range p.Sections {
		out[i] = string(s.Kind) + "|" + s.Heading + "|" + s.Text
	}
	return out
}

func wantNoProblems(t *testing.T, problems []Problem) {
	t.Helper()
	for _, p := range problems {
		t.Errorf("unexpected problem: %s", p)
	}
}

// allText is everything a page says, for "must never appear" checks.
func allText(p knowledge.Page) string {
	var b strings.Builder
	b.WriteString(p.ID + "\n" + p.Title + "\n" + p.URL + "\n" + strings.Join(p.Keywords, "\n") + "\n")
	for _, s := range p.Sections {
		b.WriteString(s.Heading + "\n" + s.Text + "\n")
	}
	for k, v := range p.Meta {
		b.WriteString(k + "=" + v + "\n")
	}
	return b.String()
}

var berlinLikeOpts = Options{
	IDField:    "service_id",
	TitleField: "title",
	URLField:   "url",
	BodyFields: []string{"description,voraussetzungen,unterlagen"},
}

func TestImportJSONLScrapedFields(t *testing.T) {
	pages, problems := mustImport(t, berlinLikeOpts, fixture("jsonl", "services.jsonl"))
	wantNoProblems(t, problems)
	if len(pages) != 3 {
		t.Fatalf("got %d pages, want 3", len(pages))
	}
	tests := []struct {
		id       string
		sections []string
		meta     map[string]string
	}{
		{
			id: "100001",
			sections: []string{
				"description||Wer in Musterstadt einen Hund hält, muss ihn innerhalb eines Monats zur Hundesteuer anmelden.\nDie Anmeldung ist online oder schriftlich möglich.",
				// A heading line inside the description starts a section.
				"procedure|Verfahrensablauf|Sie füllen das Formular aus und senden es an das Steueramt.\nDanach erhalten Sie eine Hundemarke.\nDie Marke tragen Sie sichtbar am Halsband.",
				// The glued leading heading is gone, glued items are lines.
				"prerequisites|Voraussetzungen|Hauptwohnsitz in Musterstadt\nDer Hund lebt in Ihrem Haushalt.\nAlter des Hundes\nDer Hund ist älter als drei Monate.",
				// "oderSie" continues the sentence: a space, not a line break.
				// "eIDZum" is left alone: "eID" must survive.
				"documents|Erforderliche Unterlagen|Anmeldeformular\nFormular zur Anmeldung eines Hundes\nNachweis über die Herkunft\nKaufvertrag oder Sie legen eine Bescheinigung des Tierheims vor.\nPersonalausweis mit eIDZum Beispiel für die Online-Anmeldung.",
			},
		},
		{
			id: "100002",
			sections: []string{
				"description||Schülerinnen und Schüler können Förderung nach dem BAföG erhalten.\nDer Antrag geht an das Amt für Ausbildungsförderung.",
				"prerequisites|Voraussetzungen|keine",
				"documents|Erforderliche Unterlagen|BAföG-Bescheid\nKopie des letzten Bescheids\nSmartphone\nZum Beispiel ein iPhone mit NFC für die Online-Ausweisfunktion der GmbH (siehe Hinweise).\nWeitere Nachweise\nDie Schule bestätigt den Besuch.",
			},
		},
		{
			// A numeric id, an empty body field, unmapped fields in Meta.
			id: "100003",
			sections: []string{
				"description||Die Stadtreinigung holt Sperrmüll nach Termin ab.",
				"fees|Kosten|Die Abholung kostet 50 Euro.",
				"prerequisites|Voraussetzungen|Termin vereinbart\nSie haben einen Termin bei der Stadtreinigung.",
			},
			meta: map[string]string{"zustaendig": "Stadtreinigung", "tags": "Müll, Abfall"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p := pageByID(t, pages, tt.id)
			if got := sectionsOf(p); !reflect.DeepEqual(got, tt.sections) {
				t.Errorf("sections:\n got %q\nwant %q", got, tt.sections)
			}
			if p.Language != "de" || !strings.HasPrefix(p.URL, "https://example.org/dienstleistung/") {
				t.Errorf("language %q, url %q", p.Language, p.URL)
			}
			if !reflect.DeepEqual(p.Meta, tt.meta) {
				t.Errorf("meta = %v, want %v", p.Meta, tt.meta)
			}
		})
	}
}

func TestImportJSONLRepairGluedOff(t *testing.T) {
	opts := berlinLikeOpts
	opts.RepairGlued = "off"
	pages, problems := mustImport(t, opts, fixture("jsonl", "services.jsonl"))
	wantNoProblems(t, problems)
	p := pageByID(t, pages, "100001")
	docs, _ := p.Section(knowledge.SectionDocuments)
	// The leading heading is still recognised; the glue stays.
	if docs.Heading != "Erforderliche Unterlagen" || !strings.HasPrefix(docs.Text, "AnmeldeformularFormular zur") {
		t.Errorf("documents = %+v", docs)
	}
}

func TestImportJSONLWhereAndMeta(t *testing.T) {
	pages, problems := mustImport(t, Options{Where: map[string]string{"city": "musterstadt"}}, fixture("jsonl", "pages.jsonl"))
	wantNoProblems(t, problems)
	if len(pages) != 2 {
		t.Fatalf("got %d pages, want 2 (filtered by city)", len(pages))
	}
	de := pageByID(t, pages, "musterstadt-1")
	want := []string{
		// Both leading lines that repeat the title are gone.
		"description||Die Volkshochschule bietet Deutschkurse für alle Niveaus an.",
		"fees|Kosten|Ein Kurs kostet 120 Euro.",
		"contact|Kontakt|Volkshochschule, Marktplatz 3",
	}
	if got := sectionsOf(de); !reflect.DeepEqual(got, want) {
		t.Errorf("sections:\n got %q\nwant %q", got, want)
	}
	if de.Meta["city"] != "musterstadt" || de.Language != "de" {
		t.Errorf("meta %v, language %q", de.Meta, de.Language)
	}
	en := pageByID(t, pages, "musterstadt-2")
	if en.Language != "en" {
		t.Errorf("language %q, want en (from en-GB)", en.Language)
	}
	wantMeta := map[string]string{"city": "musterstadt", "tags": "books, reading", "rank": "3", "open": "true", "extra": `{"floor":2}`}
	if !reflect.DeepEqual(en.Meta, wantMeta) {
		t.Errorf("meta = %v, want %v", en.Meta, wantMeta)
	}

	// A keywords field: a list (or a comma-separated string) becomes
	// Keywords and leaves Meta.
	pages, _ = mustImport(t, Options{KeywordsField: "tags", Where: map[string]string{"city": "musterstadt"}}, fixture("jsonl", "pages.jsonl"))
	en = pageByID(t, pages, "musterstadt-2")
	if !reflect.DeepEqual(en.Keywords, []string{"books", "reading"}) || en.Meta["tags"] != "" {
		t.Errorf("keywords %q, meta %v", en.Keywords, en.Meta)
	}

	// Without the filter all three come in, and the clean file is not
	// "repaired": brand names stay whole.
	pages, _ = mustImport(t, Options{}, fixture("jsonl", "pages.jsonl"))
	if len(pages) != 3 {
		t.Fatalf("got %d pages, want 3", len(pages))
	}
	lib := pageByID(t, pages, "andersdorf-1")
	if !strings.Contains(lib.Sections[0].Text, "LeseApp gibt es im PlayStore") {
		t.Errorf("clean text was changed: %q", lib.Sections[0].Text)
	}
}

func TestImportJSONLMarkdownField(t *testing.T) {
	opts := Options{IDField: "source_path", BodyFields: []string{"markdown"}}
	pages, problems := mustImport(t, opts, fixture("jsonl", "markdown.jsonl"))
	wantNoProblems(t, problems)
	p := pageByID(t, pages, "dataset/gewerbe/Imbiss_anmelden.md")
	want := []string{
		"description||Kurzbeschreibung des Dienstes.",
		"description|Beschreibung der Leistung|Wenn Sie einen Imbiss eröffnen, melden Sie ihn beim Bezirksamt an. Die Anmeldung gilt unbefristet.",
		"prerequisites|Voraussetzungen|- Sie sind zuverlässig.\n- Sie haben eine Gewerbeanmeldung für Bürger*innen.\n- Unterpunkt mit Betonung Fortsetzung des Punktes.",
		"documents|Benötigte Unterlagen|- Personalausweis\n- Antrag (PDF)",
		"fees|Gebühren|50 EUR & Porto",
		"other|Rechtsgrundlage|Gaststättengesetz\nVerordnung über Imbisse\nFormulare\n- Antrag (PDF)",
		"contact|Kontakt|E-Mail schreiben (imbiss@example.org)",
	}
	if got := sectionsOf(p); !reflect.DeepEqual(got, want) {
		t.Errorf("sections:\n got %q\nwant %q", got, want)
	}
	if p.URL != "" || p.Meta["category"] != "gewerbe" || p.Title != "Imbiss anmelden" {
		t.Errorf("url %q (null must give none), meta %v, title %q", p.URL, p.Meta, p.Title)
	}
	m := pageByID(t, pages, "dataset/gewerbe/Leer.md")
	want = []string{"description||Sie melden einen Marktstand an.", "fees|Kosten|20 EUR am Tag"}
	if got := sectionsOf(m); !reflect.DeepEqual(got, want) {
		t.Errorf("sections:\n got %q\nwant %q", got, want)
	}
}

func TestImportJSONLBadRecords(t *testing.T) {
	pages, problems := mustImport(t, Options{}, fixture("jsonl", "bad.jsonl"))
	var ids []string
	for _, p := range pages {
		ids = append(ids, p.ID)
	}
	if want := []string{"a", "g"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("pages %v, want %v", ids, want)
	}
	if a := pageByID(t, pages, "a"); a.Title != "A" {
		t.Errorf("duplicate replaced the first page: %+v", a)
	}
	want := []struct {
		line int
		msg  string
	}{
		{2, "malformed JSON"},
		{3, `has no title`},
		{4, `has no id`},
		{5, `duplicate id "a"`},
		{6, "not a JSON object"},
		{8, "more than one value"},
		{9, "has no text"},
	}
	if len(problems) != len(want) {
		t.Fatalf("got %d problems, want %d: %v", len(problems), len(want), problems)
	}
	for i, w := range want {
		p := problems[i]
		if p.Line != w.line || !strings.Contains(p.Err, w.msg) || p.Path != fixture("jsonl", "bad.jsonl") {
			t.Errorf("problem %d = %s; want line %d with %q", i, p, w.line, w.msg)
		}
	}
}

func TestImportJSONLBinaryAndHugeLines(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	b.WriteString(`{"id": "1", "title": "Eins", "body": "Erste Seite"}` + "\n")
	b.Write([]byte{0x00, 0xff, 0xfe, 0x89, 'P', 'N', 'G', 0x0d, 0x1a, 0x00, '\n'})
	b.WriteString(`{"id": "2", "title": "Zwei", "body": "` + strings.Repeat("x", MaxImportLine+10) + `"}` + "\n")
	b.WriteString(`{"id": "3", "title": "Drei", "body": "Dritte Seite"}`) // no final newline
	path := filepath.Join(dir, "junk.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	pages, problems := mustImport(t, Options{}, path)
	if len(pages) != 2 || pages[0].ID != "1" || pages[1].ID != "3" {
		t.Errorf("pages = %+v", pages)
	}
	if len(problems) != 2 || problems[0].Line != 2 || !strings.Contains(problems[0].Err, "binary") ||
		problems[1].Line != 3 || !strings.Contains(problems[1].Err, "longer than 4 MiB") {
		t.Errorf("problems = %v", problems)
	}
}

func TestImportJSONLBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"unknown id field", Options{IDField: "nope"}, `no record has the id field "nope"`},
		{"unknown title field", Options{TitleField: "name"}, `no record has the title field "name"`},
		{"unknown body field", Options{BodyFields: []string{"body", "text"}}, `no record has the body field "text"`},
		{"unknown url field", Options{URLField: "link"}, `no record has the url field "link"`},
		{"unknown filter field", Options{Where: map[string]string{"stadt": "x"}}, `no record has the filter field "stadt"`},
		{"unknown format", Options{Format: "xml"}, `unknown format "xml"`},
		{"bad repair option", Options{RepairGlued: "maybe"}, `repair_glued is "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, problems, err := Import(context.Background(), []string{fixture("jsonl", "pages.jsonl")}, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "importer: import: ") {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if pages != nil || problems != nil {
				t.Errorf("pages/problems returned with an error: %d, %d", len(pages), len(problems))
			}
		})
	}
}

func TestImportPaths(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "pages.txt")
	if err := os.WriteFile(txt, []byte(`{"id":"x","title":"X","body":"Text"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if _, _, err := Import(ctx, []string{filepath.Join(dir, "missing.jsonl")}, Options{}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing path: err = %v", err)
	}
	if _, _, err := Import(ctx, nil, Options{}); err == nil {
		t.Error("no paths: no error")
	}
	if _, _, err := Import(ctx, []string{txt}, Options{}); err == nil || !strings.Contains(err.Error(), "cannot tell the format") {
		t.Errorf("unknown extension: err = %v", err)
	}
	pages, _, err := Import(ctx, []string{txt}, Options{Format: "jsonl"})
	if err != nil || len(pages) != 1 {
		t.Errorf("explicit format: %d pages, err %v", len(pages), err)
	}
	if _, _, err := Import(ctx, []string{empty}, Options{}); err == nil || !strings.Contains(err.Error(), "no .jsonl, .md or .html files") {
		t.Errorf("empty folder: err = %v", err)
	}

	// Several paths, formats by extension, one id space with a prefix.
	pages, problems, err := Import(ctx, []string{fixture("markdown"), fixture("html"), fixture("jsonl", "pages.jsonl")}, Options{IDPrefix: "t-"})
	if err != nil {
		t.Fatal(err)
	}
	wantNoProblems(t, problems)
	if len(pages) != 3+3+3 {
		t.Errorf("got %d pages, want 9", len(pages))
	}
	for _, p := range pages {
		if !strings.HasPrefix(p.ID, "t-") {
			t.Errorf("id %q without prefix", p.ID)
		}
	}

	// The same file twice: every page of the second copy is a duplicate.
	pages, problems = mustImport(t, Options{}, fixture("jsonl", "pages.jsonl"), fixture("jsonl", "pages.jsonl"))
	if len(pages) != 3 || len(problems) != 3 || !strings.Contains(problems[0].Err, "duplicate id") {
		t.Errorf("%d pages, problems %v", len(pages), problems)
	}

	// A cancelled context stops the import.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := Import(cctx, []string{fixture("markdown")}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestImportMarkdownFolder(t *testing.T) {
	pages, problems := mustImport(t, Options{}, fixture("markdown"))
	wantNoProblems(t, problems)
	if len(pages) != 3 {
		t.Fatalf("got %d pages, want 3", len(pages))
	}
	tests := []struct {
		id, title, url, lang string
		keywords             []string
		meta                 map[string]string
		sections             []string
	}{
		{
			id: "hundesteuer-de", title: "Hund anmelden (Hundesteuer)", lang: "de",
			url:      "https://www.musterstadt.example/service/hundesteuer",
			keywords: []string{"Hundesteuer", "Hund anmelden", "Hundemarke"},
			meta:     map[string]string{"service": "hundesteuer", "category": "Steuern"},
			sections: []string{
				// The "# " heading is dropped (the title comes from the front
				// matter); lines of a paragraph are joined; emphasis goes.
				"description||Wer in Musterstadt einen Hund hält, meldet ihn beim Steueramt an. Diese Zeile gehört zum selben Absatz.\nEin zweiter Absatz mit Betonung und Fettschrift.",
				"prerequisites|Voraussetzungen|Der Hund lebt in Ihrem Haushalt in Musterstadt.",
				"documents|Benötigte Unterlagen|- Anmeldeformular\n- Nachweis über die Herkunft des Hundes",
				// "###" stays inside its section as a line of text.
				"fees|Gebühren|Die Hundesteuer kostet 96 Euro im Jahr.\nErmäßigung\nFür Assistenzhunde zahlen Sie nichts.",
				"contact|Kontakt und Öffnungszeiten|Steueramt, Rathausplatz 1, steueramt@musterstadt.example",
			},
		},
		{
			// No id or language in the front matter: both from the path;
			// the title from a setext heading; keywords as a string.
			id: "en-dog-tax", title: "Dog tax", lang: "en",
			keywords: []string{"dog tax", "register a dog"},
			meta:     map[string]string{"service": "hundesteuer"},
			sections: []string{
				"description||If you keep a dog in Musterstadt, register it with the tax office.",
				"prerequisites|Requirements|The dog lives in your household.",
				"documents|Documents you need|1. Registration form\n2. Proof of where the dog came from",
				"fees|Fees|The dog tax is 96 euros a year.",
				"procedure|How it works|Fill in the form\nSend the form to the tax office.",
				"contact|Contact and opening hours|Tax office, Rathausplatz 1.",
			},
		},
		{
			// No front matter at all.
			id: "de-ohne-frontmatter", title: "Sperrmüll anmelden", lang: "de",
			sections: []string{
				"description||Die Stadtreinigung holt Sperrmüll ab.",
				"procedure|Ablauf|Sie buchen einen Termin.",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p := pageByID(t, pages, tt.id)
			if p.Title != tt.title || p.URL != tt.url || p.Language != tt.lang {
				t.Errorf("title %q url %q language %q; want %q %q %q", p.Title, p.URL, p.Language, tt.title, tt.url, tt.lang)
			}
			if !reflect.DeepEqual(p.Keywords, tt.keywords) || !reflect.DeepEqual(p.Meta, tt.meta) {
				t.Errorf("keywords %q meta %v; want %q %v", p.Keywords, p.Meta, tt.keywords, tt.meta)
			}
			if got := sectionsOf(p); !reflect.DeepEqual(got, tt.sections) {
				t.Errorf("sections:\n got %q\nwant %q", got, tt.sections)
			}
		})
	}
}

func TestImportMarkdownBadFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "binary.md"), []byte("---\x00\x01\x02\xff"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "latin1.md"), []byte("# Geb\xfchren\n\nText"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "huge.md"), bytes.Repeat([]byte("a"), MaxImportFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	pages, problems := mustImport(t, Options{}, fixture("markdown-bad"), dir)
	if len(pages) != 1 || pages[0].ID != "good" {
		t.Errorf("pages = %+v", pages)
	}
	want := map[string]string{
		"badyaml.md":  "not valid YAML",
		"notitle.md":  "no title",
		"unclosed.md": "no closing",
		"binary.md":   "not a text file",
		"latin1.md":   "not valid UTF-8",
		"huge.md":     "larger than 8 MiB",
	}
	if len(problems) != len(want) {
		t.Errorf("got %d problems, want %d: %v", len(problems), len(want), problems)
	}
	for _, p := range problems {
		w, ok := want[filepath.Base(p.Path)]
		if !ok || !strings.Contains(p.Err, w) {
			t.Errorf("problem %s; want %q", p, w)
		}
	}
}

func TestImportHTML(t *testing.T) {
	pages, problems := mustImport(t, Options{}, fixture("html"))
	wantNoProblems(t, problems)
	if len(pages) != 3 {
		t.Fatalf("got %d pages, want 3", len(pages))
	}
	tests := []struct {
		id, title, url, lang string
		keywords             []string
		sections             []string
	}{
		{
			id: "de-sperrmuell", title: "Sperrmüll & Möbel entsorgen", lang: "de",
			url:      "https://www.musterstadt.example/sperrmuell",
			keywords: []string{"Sperrmüll", "Möbel entsorgen"},
			sections: []string{
				"description||Die Stadtreinigung holt Sperrmüll nach Termin ab.\nBis zu 5 m³ pro Termin.",
				"prerequisites|Voraussetzungen|- Sie wohnen in Musterstadt.\n- Sie haben einen Termin.",
				"fees|Gebühren|Menge | Preis\nbis 2 m³ | 30 €",
				"other|Ermäßigung|Mit Sozialpass zahlen Sie die Hälfte.",
				"contact|Kontakt|E-Mail (sperrmuell@musterstadt.example), Telefon (+491234567)",
			},
		},
		{
			// role=main, no <h1>: the title from <title>, the URL from the path.
			id: "en-parking", title: "Residents' parking permit", lang: "en", url: "en/parking.htm",
			sections: []string{
				"description||Residents can apply for a parking permit.",
				"documents|Documents you need|Vehicle registration certificate.",
				"procedure|How to apply|- Fill in the form.\n- Pay the fee.",
			},
		},
		{
			// No main, role=main or article: the body; no lang: the default.
			id: "body-only", title: "Fundbüro", lang: "de", url: "body-only.html",
			sections: []string{
				"description||Das Fundbüro nimmt Fundsachen an.",
				"contact|Öffnungszeiten|Montag bis Freitag 8 bis 12 Uhr",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p := pageByID(t, pages, tt.id)
			if p.Title != tt.title || p.URL != tt.url || p.Language != tt.lang {
				t.Errorf("title %q url %q language %q; want %q %q %q", p.Title, p.URL, p.Language, tt.title, tt.url, tt.lang)
			}
			if !reflect.DeepEqual(p.Keywords, tt.keywords) {
				t.Errorf("keywords %q, want %q", p.Keywords, tt.keywords)
			}
			if got := sectionsOf(p); !reflect.DeepEqual(got, tt.sections) {
				t.Errorf("sections:\n got %q\nwant %q", got, tt.sections)
			}
		})
	}
	// Nothing from scripts, styles, navigation, forms or hidden elements.
	for _, p := range pages {
		text := allText(p)
		for _, bad := range []string{"alert", "tracking", "color: red", "JavaScript", "Versteckt", "Auch versteckt",
			"Icon", "Start", "Newsletter", "Logo", "Suchfeld", "Suchen", "Vorlage", "SVG-Text", "Karte", "Impressum",
			"Menu", "Outside the main", "document.write", "<", ">"} {
			if strings.Contains(text, bad) {
				t.Errorf("page %s contains %q:\n%s", p.ID, bad, text)
			}
		}
	}
}

func TestImportHTMLScriptOnly(t *testing.T) {
	dir := t.TempDir()
	page := `<html><head><title>X</title></head><body><main><script>alert(1)</script>` +
		`<p>Hallo<script>alert("in p")</script> Welt</p><img src=x onerror="alert(1)"></main></body></html>`
	if err := os.WriteFile(filepath.Join(dir, "x.html"), []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	pages, problems := mustImport(t, Options{}, dir)
	wantNoProblems(t, problems)
	if len(pages) != 1 || len(pages[0].Sections) != 1 || pages[0].Sections[0].Text != "Hallo Welt" {
		t.Fatalf("pages = %+v", pages)
	}
}

func TestImportHTMLBadFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "junk.html"), []byte{0x00, 0x01, 0xff, 0xfe}, 0o600); err != nil {
		t.Fatal(err)
	}
	pages, problems := mustImport(t, Options{}, fixture("html-bad"), dir)
	if len(pages) != 1 || pages[0].ID != "good" {
		t.Errorf("pages = %+v", pages)
	}
	want := map[string]string{"notitle.html": "no title", "empty.html": "no text", "junk.html": "not a text file"}
	if len(problems) != len(want) {
		t.Errorf("problems = %v", problems)
	}
	for _, p := range problems {
		if w := want[filepath.Base(p.Path)]; w == "" || !strings.Contains(p.Err, w) {
			t.Errorf("problem %s", p)
		}
	}
}

func TestImportFS(t *testing.T) {
	fsys := fstest.MapFS{
		"pages/de/a.md":        {Data: []byte("---\nid: a-de\ntitle: A\nlanguage: de\n---\nText A.\n\n## Gebühren\nKeine.\n")},
		"pages/en/a.md":        {Data: []byte("---\nid: a-en\ntitle: A\n---\nText A.\n\n## Fees\nNone.\n")},
		"pages/.hidden/x.md":   {Data: []byte("# Hidden\n\nNot imported.")},
		"pages/en/.draft.md":   {Data: []byte("# Draft\n\nNot imported.")},
		"pages/README.txt":     {Data: []byte("not a page")},
		"pages/de/broken.html": {Data: []byte("<html><body><p>no title</p></body></html>")},
	}
	pages, problems, err := ImportFS(context.Background(), fsys, "pages", Options{Format: "markdown"})
	if err != nil {
		t.Fatal(err)
	}
	wantNoProblems(t, problems) // broken.html is not markdown: not read
	if len(pages) != 2 || pages[0].ID != "a-de" || pages[1].ID != "a-en" || pages[1].Language != "en" {
		t.Fatalf("pages = %+v", pages)
	}
	if f, ok := pages[1].Section(knowledge.SectionFees); !ok || f.Text != "None." {
		t.Errorf("fees = %+v", f)
	}

	// All formats: the HTML page is read and reported, with its fs path.
	_, problems, err = ImportFS(context.Background(), fsys, ".", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].Path != "pages/de/broken.html" {
		t.Errorf("problems = %v", problems)
	}

	// A single file as root.
	pages, _, err = ImportFS(context.Background(), fsys, "pages/de/a.md", Options{})
	if err != nil || len(pages) != 1 {
		t.Errorf("single file: %d pages, %v", len(pages), err)
	}
	if _, _, err := ImportFS(context.Background(), fsys, "nope", Options{}); err == nil {
		t.Error("missing root: no error")
	}
}

func TestImportRepairGlued(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// glued list items and headings become lines
		{"UnterlagenAntrag", "Unterlagen\nAntrag"},
		{"FormularFormular für den Antrag", "Formular\nFormular für den Antrag"},
		{"SchornsteinfegerAugenoptikerHörakustiker", "Schornsteinfeger\nAugenoptiker\nHörakustiker"},
		// after a function word the sentence goes on
		{"Mietvertrag oderSie legen", "Mietvertrag oder Sie legen"},
		{"desStudienlandes", "des Studienlandes"},
		// punctuation glued to the next sentence
		{"vorlegen.Die Behörde", "vorlegen.\nDie Behörde"},
		{"(siehe Unterlagen).Gewerbeanmeldung", "(siehe Unterlagen).\nGewerbeanmeldung"},
		{"(eVB)Die Bestätigung", "(eVB)\nDie Bestätigung"},
		{"Hinweis:Bitte beachten", "Hinweis: Bitte beachten"},
		{"Vereinbarung,Änderung", "Vereinbarung, Änderung"},
		{"VoraussetzungenEs gibt", "Voraussetzungen\nEs gibt"},
		// must survive
		{"eID", "eID"},
		{"BAföG", "BAföG"},
		{"iPhone", "iPhone"},
		{"GmbH", "GmbH"},
		{"BauPrüfV", "BauPrüfV"},
		{"LAGeSo", "LAGeSo"},
		{"TestDaF", "TestDaF"},
		{"AusweisApp", "AusweisApp"},
		{"AusweisAppZum Beispiel", "AusweisApp\nZum Beispiel"},
		{"mit der AusweisApp.Die", "mit der AusweisApp.\nDie"},
		{"PayPal", "PayPal"},
		{"z.B.Die", "z.B.Die"},
		{"u.a.Die", "u.a.Die"},
		{"1.Januar", "1.Januar"},
		{"https://service.example/FormularAntrag", "https://service.example/FormularAntrag"},
		{"www.Service.example", "www.Service.example"},
		{"info@Amt.example", "info@Amt.example"},
		{"siehe amt.Berlin.de", "siehe amt.Berlin.de"},
		{"Bürger*innen", "Bürger*innen"},
		{"3,5 Prozent", "3,5 Prozent"},
		{"imAuftrag", "imAuftrag"}, // left part too short to be sure
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, n := repairGlued(tt.in)
			if got != tt.want {
				t.Errorf("repairGlued(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if (n == 0) != (tt.in == tt.want) {
				t.Errorf("repair count %d", n)
			}
		})
	}
}

func TestImportStripLeadingHeading(t *testing.T) {
	tests := []struct {
		text          string
		kind          knowledge.SectionKind
		heading, rest string
	}{
		{"VoraussetzungenFachliche Eignung", knowledge.SectionPrerequisites, "Voraussetzungen", "Fachliche Eignung"},
		{"Voraussetzungenkeine", knowledge.SectionPrerequisites, "Voraussetzungen", "keine"},
		{"Erforderliche UnterlagenAntrag: Formular", knowledge.SectionDocuments, "Erforderliche Unterlagen", "Antrag: Formular"},
		{"Erforderliche Unterlagenkeine", knowledge.SectionDocuments, "Erforderliche Unterlagen", "keine"},
		{"Kosten: 20 Euro", knowledge.SectionFees, "Kosten", "20 Euro"},
		{"Kostenlos für alle", knowledge.SectionFees, "", "Kostenlos für alle"},            // a word, not a heading
		{"Unterlagenliste anbei", knowledge.SectionDocuments, "", "Unterlagenliste anbei"}, // likewise
		{"Voraussetzungen", knowledge.SectionDocuments, "", "Voraussetzungen"},             // another kind's heading stays
		{"Der Antrag", knowledge.SectionOther, "", "Der Antrag"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			h, rest := stripLeadingHeading(tt.text, tt.kind)
			if h != tt.heading || rest != tt.rest {
				t.Errorf("stripLeadingHeading(%q) = %q, %q; want %q, %q", tt.text, h, rest, tt.heading, tt.rest)
			}
		})
	}
}

func TestImportMarkdownInline(t *testing.T) {
	tests := []struct{ in, want string }{
		{"[Antrag](https://example.org/a.pdf) stellen", "Antrag stellen"},
		{"[E-Mail](mailto:a@b.example)", "E-Mail (a@b.example)"},
		{"[a@b.example](mailto:a@b.example)", "a@b.example"},
		{"[Anrufen](tel:+49301234)", "Anrufen (+49301234)"},
		{"[Anfahrt](https://x.example/?to=Holstenwall 12, 20355 Hamburg)", "Anfahrt"},
		{"[Gesetz](https://x.example/a_(b).html) gilt", "Gesetz gilt"},
		{`[Seite](https://x.example "Titel")`, "Seite"},
		{"**fett über\nzwei Zeilen**", "fett über\nzwei Zeilen"},
		{"<https://example.org>", "https://example.org"},
		{"![Foto](x.png) Bild", "Foto Bild"},
		{"**fett** und __auch__", "fett und auch"},
		{"*kursiv* und _auch_", "kursiv und auch"},
		{"Bürger*innen und Nutzer*innen", "Bürger*innen und Nutzer*innen"},
		{"snake_case_name", "snake_case_name"},
		{"`code`", "code"},
		{"a &amp; b &euro;", "a & b €"},
		{"Zeile<br>Zeile", "Zeile\nZeile"},
		{`\*kein\* Stern`, "*kein* Stern"},
		{"~~alt~~ neu", "alt neu"},
		{"<span class=\"x\">Text</span>", "Text"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := inlineMarkdown(tt.in); got != tt.want {
				t.Errorf("inlineMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// The bundled sample city imports cleanly, and every heading its pages use
// is recognised (no "other" sections).
func TestImportSampleCity(t *testing.T) {
	pages, problems, err := ImportFS(context.Background(), samplecity.FS(), ".", Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantNoProblems(t, problems)
	if len(pages) == 0 {
		t.Fatal("no pages")
	}
	langs := map[string]int{}
	for _, p := range pages {
		langs[p.Language]++
		if _, ok := p.Section(knowledge.SectionDescription); !ok {
			t.Errorf("page %s has no description", p.ID)
		}
		for _, s := range p.Sections {
			if s.Kind == knowledge.SectionOther {
				t.Errorf("page %s: heading %q is not recognised", p.ID, s.Heading)
			}
		}
		if p.Meta["service"] == "" {
			t.Errorf("page %s has no service in Meta", p.ID)
		}
	}
	if langs["de"] == 0 || langs["de"] != langs["en"] {
		t.Errorf("pages per language: %v", langs)
	}
}

func TestImportLooksLikeMarkdown(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"## Kosten\n20 Euro", true},
		{"Text\n### Kosten\n20 Euro", true},
		{"Text ## nicht am Zeilenanfang", false},
		{"#### zu tief", false},
		{"# nur ein Titel\nText", false},
		{"Kein Markdown", false},
	}
	for _, tt := range tests {
		if got := looksLikeMarkdown(tt.in); got != tt.want {
			t.Errorf("looksLikeMarkdown(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestImportListingPages: a page that only lists other pages (a CMS's
// search results, an overview of services) is not imported, with a
// problem that says why, from a JSONL Markdown field and from a Markdown
// file; a service page with a few linked headings among its own is kept.
func TestImportListingPages(t *testing.T) {
	listing := "Suchen\n\n3 Dienstleistungen gefunden für \"Vaterschaft\"\n===\n\n" +
		"### [Vaterschaft anerkennen](/service/info/1/)\n\nSie erkennen die Vaterschaft an.\n\n---\n\n" +
		"### [Gemeinsame Sorge erklären](/service/info/2/)\n\nSie erklären die gemeinsame Sorge.\n\n---\n\n" +
		"### [Anzeige einer Geburt](/service/info/3/)\n\nSie zeigen die Geburt an.\n"
	service := "# Vaterschaft anerkennen\n\nSie erkennen die Vaterschaft beim Standesamt an.\n\n" +
		"### Voraussetzungen\n\n* Sie sind volljährig.\n\n### Gebühren\n\n* keine\n\n" +
		"### [Standesamt Altona](/amt/1)\n\n### [Standesamt Mitte](/amt/2)\n\n### [Standesamt Nord](/amt/3)\n"
	dir := t.TempDir()
	var jsonl bytes.Buffer
	for _, r := range []map[string]string{
		{"source_path": "liste", "title": "3 Dienstleistungen für Vaterschaft", "markdown": listing},
		{"source_path": "vaterschaft", "title": "Vaterschaft anerkennen", "markdown": service},
	} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		jsonl.Write(append(b, '\n'))
	}
	if err := os.WriteFile(filepath.Join(dir, "pages.jsonl"), jsonl.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "uebersicht.md"), []byte("# Übersicht\n\n"+listing), 0o600); err != nil {
		t.Fatal(err)
	}
	pages, problems := mustImport(t, Options{IDField: "source_path", BodyFields: []string{"markdown"}}, dir)
	if len(pages) != 1 || pages[0].ID != "vaterschaft" {
		t.Errorf("pages = %+v, want only the service page", pages)
	}
	if len(problems) != 2 {
		t.Fatalf("problems = %v, want one per listing page", problems)
	}
	for _, p := range problems {
		if !strings.Contains(p.Err, "only lists 3 other pages") {
			t.Errorf("problem %s does not say the page only lists others", p)
		}
	}
}
