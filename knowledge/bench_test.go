package knowledge

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// benchQueries are citizen questions as people type them (written for the
// benchmarks): short and long, German and English, colloquial, misspelt.
var benchQueries = []string{
	"Perso verlängern",
	"Wie beantrage ich einen neuen Personalausweis?",
	"Was kostet ein Reisepass?",
	"Wohnung anmelden nach Umzug",
	"Ich muss mich ummelden, welche Unterlagen brauche ich?",
	"Hund anmelden",
	"Wo bekomme ich einen Anwohnerparkausweis?",
	"Führerschein umtauschen",
	"Sperrmüll abholen lassen",
	"Knöllchen bezahlen",
	"Kita Platz finden",
	"Kindergeld beantragen",
	"Elterngeld Antrag",
	"Wohngeld wer hat Anspruch",
	"Gewerbe anmelden Kosten",
	"Führungszeugnis beantragen online",
	"Meldebescheinigung",
	"Einbürgerung Voraussetzungen",
	"Aufenthaltstitel verlängern",
	"Geburtsurkunde bestellen",
	"Eheschließung anmelden Standesamt",
	"Baugenehmigung Unterlagen",
	"Schwerbehindertenausweis",
	"Fundbüro Öffnungszeiten",
	"Personalausweiss",
	"Hundesteur",
	"Rundfunkbeitrag Befreiung",
	"GEZ",
	"How do I register my address?",
	"Where can I get an ID card?",
	"driving licence exchange",
	"child benefit application",
	"bulky waste collection",
	"lost property office",
	"residence permit extension",
	"How much does a passport cost?",
	"Wie wird das Wetter morgen?",
	"Who won the football match?",
	"Termin Bürgeramt",
	"Wunschkennzeichen reservieren",
}

// benchPages returns at least target chunks' worth of pages: the Berlin,
// Hamburg and Integreat pages when ../shared/data is there, synthetic pages
// otherwise.
func benchPages(b *testing.B, target int) ([]Page, string) {
	b.Helper()
	ctx := context.Background()
	dir := os.Getenv("CIVIBOT_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	type source struct {
		path string
		opts ImportOptions
	}
	sources := []source{
		{"berlin/berlin_services.jsonl", ImportOptions{IDField: "service_id", BodyFields: []string{"description", "voraussetzungen", "unterlagen"}, IDPrefix: "berlin-"}},
		{"hamburg/hamburg_service_pages.jsonl", ImportOptions{IDField: "source_path", BodyFields: []string{"markdown"}, IDPrefix: "hamburg-"}},
		{"integreat-qa/pages_de.jsonl", ImportOptions{IDPrefix: "de-"}},
		{"integreat-qa/pages_en.jsonl", ImportOptions{IDPrefix: "en-"}},
	}
	var pages []Page
	chunks := 0
	for _, s := range sources {
		if chunks >= target {
			break
		}
		ps, _, err := Import(ctx, []string{filepath.Join(dir, s.path)}, s.opts)
		if err != nil {
			break
		}
		for i := range ps {
			if chunks >= target {
				break
			}
			chunks += len(chunkPage(0, &ps[i]))
			pages = append(pages, ps[i])
		}
	}
	if chunks >= target {
		return pages, "shared data"
	}
	return syntheticPages(target), "synthetic"
}

// syntheticPages makes pages of German service vocabulary, about four
// chunks each, for benchmarks without the shared data.
func syntheticPages(target int) []Page {
	r := rand.New(rand.NewSource(1))
	var words []string
	for _, p := range fixturePages() {
		for _, w := range splitWords(p.Title + " " + p.Sections[0].Text) {
			words = append(words, w.lower)
		}
	}
	for _, w := range tables().compoundBase {
		words = append(words, w)
	}
	sentence := func() string {
		n := 8 + r.Intn(10)
		ws := make([]string, n)
		for i := range ws {
			ws[i] = words[r.Intn(len(words))]
		}
		return strings.Join(ws, " ") + "."
	}
	text := func(sentences int) string {
		s := make([]string, sentences)
		for i := range s {
			s[i] = sentence()
		}
		return strings.Join(s, " ")
	}
	var pages []Page
	for i := 0; len(pages)*4 < target; i++ {
		pages = append(pages, Page{
			ID: fmt.Sprintf("p%d", i), Title: words[r.Intn(len(words))] + " " + words[r.Intn(len(words))], Language: "de",
			Sections: []Section{
				{Kind: SectionDescription, Text: text(6)},
				{Kind: SectionPrerequisites, Heading: "Voraussetzungen", Text: text(4)},
				{Kind: SectionDocuments, Heading: "Unterlagen", Text: text(4)},
				{Kind: SectionFees, Heading: "Gebühren", Text: text(2)},
			},
		})
	}
	return pages
}

// reportLatency reports the 50th and 99th percentile of durations.
func reportLatency(b *testing.B, d []time.Duration) {
	b.Helper()
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	pct := func(p float64) float64 {
		i := int(p * float64(len(d)-1))
		return float64(d[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkSearch10kChunks measures one search — what a dialog turn does —
// over a knowledge base of at least 10,000 chunks.
//
//	go test ./knowledge -run '^$' -bench Search10kChunks -benchtime 2000x
func BenchmarkSearch10kChunks(b *testing.B) {
	ctx := context.Background()
	pages, src := benchPages(b, 10000)
	kb, err := Build(ctx, pages, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer kb.Close()
	b.ReportMetric(float64(len(kb.chunks)), "chunks")
	b.Logf("%d pages, %d chunks (%s)", kb.Len(), len(kb.chunks), src)
	for _, q := range benchQueries { // warm up
		if _, err := kb.Search(ctx, Query{Text: q}); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := Query{Text: benchQueries[i%len(benchQueries)], Limit: 5}
		start := time.Now()
		if _, err := kb.Search(ctx, q); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// BenchmarkOpenBerlin measures Open of the ingested Berlin services.
//
//	go test ./knowledge -run '^$' -bench OpenBerlin -benchtime 20x
func BenchmarkOpenBerlin(b *testing.B) {
	ctx := context.Background()
	path := evalData(b, "berlin/berlin_services.jsonl")
	pages, _, err := Import(ctx, []string{path}, ImportOptions{IDField: "service_id", BodyFields: []string{"description", "voraussetzungen", "unterlagen"}, IDPrefix: "berlin-"})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	start := time.Now()
	sum, err := Ingest(ctx, dir, pages, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("ingest of %d pages, %d chunks: %s", len(pages), sum.Chunks, time.Since(start))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		kb, err := Open(ctx, dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		kb.Close()
	}
	b.StopTimer()
	reportLatency(b, lat)
}
