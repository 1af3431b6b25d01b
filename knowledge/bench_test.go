package knowledge_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/testcity"
	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
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
func benchPages(b *testing.B, target int) ([]knowledge.Page, string) {
	b.Helper()
	ctx := context.Background()
	type source struct {
		path string
		opts importer.Options
	}
	berlin, hamburg := testcity.BerlinOptions, testcity.HamburgOptions
	berlin.IDPrefix, hamburg.IDPrefix = "berlin-", "hamburg-"
	sources := []source{
		{"berlin/berlin_services.jsonl", berlin},
		{"hamburg/hamburg_service_pages.jsonl", hamburg},
		{"integreat-qa/pages_de.jsonl", importer.Options{IDPrefix: "de-"}},
		{"integreat-qa/pages_en.jsonl", importer.Options{IDPrefix: "en-"}},
	}
	var pages []knowledge.Page
	chunks := 0
	for _, s := range sources {
		if chunks >= target {
			break
		}
		ps, err := testcity.SharedPages(ctx, s.path, s.opts)
		if err != nil {
			break
		}
		for i := range ps {
			if chunks >= target {
				break
			}
			chunks += knowledge.ChunkCount(&ps[i])
			pages = append(pages, ps[i])
		}
	}
	if chunks >= target {
		return pages, "shared data"
	}
	return knowledge.SyntheticPages(target), "synthetic"
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
	kb, err := knowledge.Build(ctx, pages, knowledge.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer kb.Close()
	b.ReportMetric(float64(kb.NumChunks()), "chunks")
	b.Logf("%d pages, %d chunks (%s)", kb.Len(), kb.NumChunks(), src)
	for _, q := range benchQueries { // warm up
		if _, err := kb.Search(ctx, knowledge.Query{Text: q}); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := knowledge.Query{Text: benchQueries[i%len(benchQueries)], Limit: 5}
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
	pages, err := testcity.BerlinPages(ctx, "berlin-")
	if err != nil {
		b.Skip(err)
	}
	dir := b.TempDir()
	start := time.Now()
	sum, err := knowledge.Ingest(ctx, dir, pages, knowledge.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("ingest of %d pages, %d chunks: %s", len(pages), sum.Chunks, time.Since(start))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		kb, err := knowledge.Open(ctx, dir, knowledge.Options{})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		kb.Close()
	}
	b.StopTimer()
	reportLatency(b, lat)
}
