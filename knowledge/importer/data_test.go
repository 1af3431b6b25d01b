package importer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/civibot/civibot/knowledge"
)

// These tests import the real municipal data from ../shared/data (next to
// the repository; see its README for sources and licences). The data is not
// part of the repository, so the tests skip when it is absent (e.g. in CI).

func sharedData(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "data", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data %s not found (%v); skipping the real-data test", p, err)
	}
	return p
}

func kindCounts(pages []knowledge.Page) map[knowledge.SectionKind]int {
	n := map[knowledge.SectionKind]int{}
	for _, p := range pages {
		seen := map[knowledge.SectionKind]bool{}
		for _, s := range p.Sections {
			if !seen[s.Kind] {
				n[s.Kind]++
				seen[s.Kind] = true
			}
		}
	}
	return n
}

func TestImportDataBerlin(t *testing.T) {
	path := sharedData(t, "berlin/berlin_services.jsonl")
	pages, problems := mustImport(t, berlinLikeOpts, path)
	wantNoProblems(t, problems)
	if len(pages) != 1062 {
		t.Errorf("got %d pages, want 1,062", len(pages))
	}
	kinds := kindCounts(pages)
	t.Logf("pages with a section of each kind: %v", kinds)
	for kind, min := range map[knowledge.SectionKind]int{
		knowledge.SectionDescription: 1061, knowledge.SectionDocuments: 1062, // one description is empty SectionPrerequisites: 1050, SectionProcedure: 200,
	} {
		if kinds[kind] < min {
			t.Errorf("%d pages with %s, want at least %d", kinds[kind], kind, min)
		}
	}
	glued := regexp.MustCompile(`^(Voraussetzungen|Erforderliche Unterlagen)\pL`)
	for _, p := range pages {
		if p.URL == "" || p.Language != "de" || p.Title == "" {
			t.Errorf("page %s: url %q language %q title %q", p.ID, p.URL, p.Language, p.Title)
		}
		for _, s := range p.Sections {
			// The field's own glued heading is gone ("VoraussetzungenFachliche
			// …"); a sub-heading that starts with the same word may stay
			// ("Voraussetzungen zur Befreiung …").
			if glued.MatchString(s.Text) {
				t.Errorf("page %s: the glued heading is still in the text: %.60q", p.ID, s.Text)
			}
			if strings.Contains(s.Text, "UnterlagenAntrag") {
				t.Errorf("page %s: glued words left: %.60q", p.ID, s.Text)
			}
		}
	}
	p := pageByID(t, pages, "326690")
	if s, _ := p.Section(knowledge.SectionPrerequisites); !strings.HasPrefix(s.Text, "Fachliche Eignung\nDie verantwortliche Person") || s.Heading != "Voraussetzungen" {
		t.Errorf("326690 prerequisites = %+v", s)
	}
}

func TestImportDataHamburg(t *testing.T) {
	path := sharedData(t, "hamburg/hamburg_service_pages_curated.jsonl")
	opts := Options{IDField: "source_path", TitleField: "title", BodyFields: []string{"markdown"}}
	pages, problems := mustImport(t, opts, path)
	wantNoProblems(t, problems)
	if len(pages) != 73 {
		t.Errorf("got %d pages, want 73", len(pages))
	}
	kinds := kindCounts(pages)
	t.Logf("pages with a section of each kind: %v", kinds)
	for kind, min := range map[knowledge.SectionKind]int{
		knowledge.SectionDescription: 70, knowledge.SectionPrerequisites: 60, knowledge.SectionDocuments: 65, knowledge.SectionFees: 65,
		knowledge.SectionDeadlines: 60, knowledge.SectionProcedure: 55, knowledge.SectionContact: 5,
	} {
		if kinds[kind] < min {
			t.Errorf("%d pages with %s, want at least %d", kinds[kind], kind, min)
		}
	}
	links := 0
	for _, p := range pages {
		if p.Meta["category"] == "" {
			t.Errorf("page %s has no category", p.ID)
		}
		text := allText(p)
		for _, bad := range []string{"\n#", "**"} {
			if strings.Contains(text, bad) {
				t.Errorf("page %s still has Markdown %q", p.ID, bad)
			}
		}
		if strings.Contains(text, "](http") {
			links++
		}
	}
	// One page has a "link" whose text runs over blank lines; that is no
	// link in Markdown either, so its brackets stay.
	if links > 1 {
		t.Errorf("%d pages still have Markdown links", links)
	}

	// The full file: 613 records; one has an empty markdown field.
	pages, problems = mustImport(t, Options{IDField: "source_path", BodyFields: []string{"markdown"}},
		sharedData(t, "hamburg/hamburg_service_pages.jsonl"))
	if len(pages) != 612 || len(problems) != 1 || !strings.Contains(problems[0].Err, "no text") {
		t.Errorf("full file: %d pages, problems %v", len(pages), problems)
	}
}

func TestImportDataIntegreat(t *testing.T) {
	for _, lang := range []string{"de", "en"} {
		t.Run(lang, func(t *testing.T) {
			path := sharedData(t, "integreat-qa/pages_"+lang+".jsonl")
			pages, problems := mustImport(t, Options{Where: map[string]string{"city": "muenchen"}}, path)
			wantNoProblems(t, problems)
			if len(pages) != 237 {
				t.Errorf("got %d pages for München, want 237", len(pages))
			}
			for _, p := range pages {
				if p.Language != lang || p.Meta["city"] != "muenchen" || !strings.HasPrefix(p.ID, "muenchen-") {
					t.Errorf("page %s: language %q meta %v", p.ID, p.Language, p.Meta)
				}
				if len(p.Sections) == 0 {
					t.Fatalf("page %s has no sections", p.ID)
				}
				first := strings.SplitN(p.Sections[0].Text, "\n", 2)[0]
				if first == p.Title {
					t.Errorf("page %s: the body still starts with the title", p.ID)
				}
			}
			all, problems := mustImport(t, Options{}, path)
			wantNoProblems(t, problems)
			if len(all) != 617 {
				t.Errorf("got %d pages without a filter, want 617", len(all))
			}
		})
	}
}

// letterRuns splits text into maximal runs of letters.
func letterRuns(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
}

func hasCaseGlue(w string) bool {
	rs := []rune(w)
	for i := 1; i < len(rs); i++ {
		if unicode.IsLower(rs[i-1]) && unicode.IsUpper(rs[i]) {
			return true
		}
	}
	return false
}

// readFields reads the string values of the given fields from a JSONL file.
func readFields(t *testing.T, path string, fields ...string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, MaxImportLine)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		for _, k := range fields {
			if s, ok := rec[k].(string); ok {
				out[k] = append(out[k], s)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportDataGluedWords measures the glued-word repair on the Berlin
// export. The vocabulary is every word of the export that is not itself
// glued (no lowercase letter followed by an uppercase one). The repair helps
// when fewer words fall outside that vocabulary afterwards, and is accurate
// when the parts it creates are mostly known words. Words that must not be
// split are counted before and after. On clean data (Hamburg, Integreat) the
// "auto" rule must not switch the repair on.
//
//	go test ./knowledge/ -run TestImportDataGluedWords -v
func TestImportDataGluedWords(t *testing.T) {
	berlin := readFields(t, sharedData(t, "berlin/berlin_services.jsonl"), "description", "voraussetzungen", "unterlagen")
	vocab := map[string]bool{}
	for _, texts := range berlin {
		for _, s := range texts {
			for _, w := range letterRuns(s) {
				if !hasCaseGlue(w) {
					vocab[strings.ToLower(w)] = true
				}
			}
		}
	}
	protected := []string{"eID", "BAföG", "GmbH", "iPhone", "BundID", "TestDaF", "AusweisApp", "LAGeSo", "BauPrüfV"}
	var (
		words, oovBefore, oovAfter int
		repairs, parts, knownParts int
		before, after              = map[string]int{}, map[string]int{}
	)
	for field, texts := range berlin {
		var cands, fieldWords int
		for _, s := range texts {
			fixed, n := repairGlued(s)
			cands += n
			fieldWords += len(strings.Fields(s))
			repairs += n
			for _, w := range letterRuns(s) {
				words++
				if !vocab[strings.ToLower(w)] {
					oovBefore++
				}
			}
			for _, w := range letterRuns(fixed) {
				if !vocab[strings.ToLower(w)] {
					oovAfter++
				}
			}
			for _, tok := range strings.Fields(s) {
				if r, n := repairToken(tok); n > 0 {
					for _, w := range letterRuns(r) {
						parts++
						if vocab[strings.ToLower(w)] {
							knownParts++
						}
					}
				}
			}
			for _, p := range protected {
				before[p] += strings.Count(s, p)
				after[p] += strings.Count(fixed, p)
			}
		}
		t.Logf("berlin %-15s %5d glue spots in %6d words (%.1f per 1,000): repair=%v",
			field, cands, fieldWords, 1000*float64(cands)/float64(fieldWords), gluedOften(cands, fieldWords))
		if !gluedOften(cands, fieldWords) {
			t.Errorf("auto rule would not repair berlin %s", field)
		}
	}
	before1 := 100 * float64(oovBefore) / float64(words)
	after1 := 100 * float64(oovAfter) / float64(words)
	precision := 100 * float64(knownParts) / float64(parts)
	t.Logf("berlin: %d repairs; words outside the vocabulary %.2f%% before, %.2f%% after; %.1f%% of the parts made are known words",
		repairs, before1, after1, precision)
	if after1 >= before1 {
		t.Errorf("the repair does not help: %.2f%% → %.2f%% unknown words", before1, after1)
	}
	if precision < 80 {
		t.Errorf("only %.1f%% of the parts made by the repair are known words", precision)
	}
	for _, p := range protected {
		if before[p] != after[p] {
			t.Errorf("%q: %d before, %d after the repair", p, before[p], after[p])
		}
	}

	clean := []struct{ file, field string }{
		{"hamburg/hamburg_service_pages_curated.jsonl", "markdown"},
		{"hamburg/hamburg_service_pages.jsonl", "markdown"},
		{"integreat-qa/pages_de.jsonl", "body"},
		{"integreat-qa/pages_en.jsonl", "body"},
	}
	for _, c := range clean {
		texts := readFields(t, sharedData(t, c.file), c.field)[c.field]
		var cands, n int
		for _, s := range texts {
			_, k := repairGlued(s)
			cands += k
			n += len(strings.Fields(s))
		}
		t.Logf("%-45s %4d glue spots in %6d words (%.2f per 1,000): repair=%v",
			c.file, cands, n, 1000*float64(cands)/float64(n), gluedOften(cands, n))
		if gluedOften(cands, n) {
			t.Errorf("auto rule would repair clean data %s", c.file)
		}
	}
}

// Import speed on the real files (bytes are the file size).
//
//	go test ./knowledge/ -run XXX -bench BenchmarkImport -benchmem
func BenchmarkImportBerlin(b *testing.B) {
	benchmarkImport(b, "berlin/berlin_services.jsonl", berlinLikeOpts)
}

func BenchmarkImportHamburg(b *testing.B) {
	benchmarkImport(b, "hamburg/hamburg_service_pages.jsonl", Options{IDField: "source_path", BodyFields: []string{"markdown"}})
}

func benchmarkImport(b *testing.B, rel string, opts Options) {
	p := filepath.Join("..", "..", "shared", "data", filepath.FromSlash(rel))
	info, err := os.Stat(p)
	if err != nil {
		b.Skipf("shared data %s not found; skipping", p)
	}
	b.SetBytes(info.Size())
	for b.Loop() {
		pages, _, err := Import(b.Context(), []string{p}, opts)
		if err != nil || len(pages) == 0 {
			b.Fatalf("%d pages, %v", len(pages), err)
		}
	}
}
