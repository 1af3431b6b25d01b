package dialog_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/testcity"
	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
	"github.com/civibot/civibot/knowledge/samplecity"
)

// benchQuestions mix what citizens ask: answers, aspects, small talk,
// handoffs and out-of-scope questions, German and English.
var benchQuestions = []string{
	"Was kostet ein Personalausweis?",
	"perso abgelaufen was tun",
	"Wo melde ich meinen Hund an?",
	"What does a residents' parking permit cost?",
	"Welche Unterlagen brauche ich für die Anmeldung?",
	"Sperrmüll abholen lassen kosten",
	"How do I register my address?",
	"Ich möchte mit einem Menschen sprechen",
	"Wie wird das Wetter morgen?",
	"Hallo",
	"Führungszeugnis beantragen",
	"wie lange dauert ein reisepass",
}

// benchEnglishQuestions are asked over German pages: every turn searches
// through the dictionary's translations, the slowest kind of turn.
var benchEnglishQuestions = []string{
	"What does a residents' parking permit cost?",
	"How do I register my address?",
	"I lost my passport, what do I do?",
	"Where can I register my dog?",
}

func benchTurns(b *testing.B, kb *knowledge.KB, questions []string) {
	b.Helper()
	ctx := context.Background()
	e, err := dialog.NewEngine(dialog.Config{}, kb, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	turn := func(i int) {
		if _, err := e.Respond(ctx, dialog.Turn{Text: questions[i%len(questions)], Context: conversation.Context{Turns: 1}}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range questions { // warm up
		turn(i)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		turn(i)
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "turns/s")
}

// BenchmarkTurnSampleCity measures one dialog turn on the bundled sample city.
//
//	go test ./dialog -run '^$' -bench TurnSampleCity -benchtime 3000x
func BenchmarkTurnSampleCity(b *testing.B) {
	kb, err := sampleKB()
	if err != nil {
		b.Fatal(err)
	}
	benchTurns(b, kb, benchQuestions)
}

// BenchmarkTurn10kChunks measures one dialog turn over a knowledge base of
// at least 10,000 chunks: the Berlin and Hamburg pages from ../shared/data
// when present, else the sample city copied until it is that large.
//
//	go test ./dialog -run '^$' -bench 'Turn10kChunks$' -benchtime 3000x
func BenchmarkTurn10kChunks(b *testing.B) {
	ctx := context.Background()
	pages := sharedPages(ctx)
	src := "shared data (Berlin, Hamburg)"
	if pages == nil {
		src = "sample city, copied"
		base, _, err := importer.ImportFS(ctx, samplecity.FS(), ".", importer.Options{Format: "markdown"})
		if err != nil {
			b.Fatal(err)
		}
		for copyN := 0; len(pages) < 1500; copyN++ {
			for _, p := range base {
				p.ID = fmt.Sprintf("%s-%d", p.ID, copyN)
				pages = append(pages, p)
			}
		}
	}
	// With the German–English dictionary when it is installed (make deps):
	// the English questions then search through their translations.
	opts, translation := knowledge.Options{}, "off"
	if _, err := os.Stat(dictionaryPath); err == nil {
		opts.Dictionary, translation = dictionaryPath, "on"
	}
	kb, err := knowledge.Build(ctx, pages, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer kb.Close()
	b.Logf("%d pages (%s), translation %s (%s)", kb.Len(), src, translation, kb.Translations())
	benchTurns(b, kb, benchQuestions)
}

// BenchmarkTurn10kChunksEnglish is BenchmarkTurn10kChunks with English
// questions only, each searched through its German translations (skipped
// without the dictionary).
//
//	go test ./dialog -run '^$' -bench Turn10kChunksEnglish -benchtime 2000x
func BenchmarkTurn10kChunksEnglish(b *testing.B) {
	ctx := context.Background()
	if _, err := os.Stat(dictionaryPath); err != nil {
		b.Skip("no German–English dictionary at " + dictionaryPath + " (make deps installs it)")
	}
	pages := sharedPages(ctx)
	if pages == nil {
		b.Skip("shared data (Berlin, Hamburg) not found")
	}
	kb, err := knowledge.Build(ctx, pages, knowledge.Options{Dictionary: dictionaryPath})
	if err != nil {
		b.Fatal(err)
	}
	defer kb.Close()
	benchTurns(b, kb, benchEnglishQuestions)
}

// dictionaryPath is where Debian's trans-de-en installs the dictionary.
const dictionaryPath = "/usr/share/trans/de-en"

func sharedPages(ctx context.Context) []knowledge.Page {
	berlin, err := testcity.BerlinPages(ctx, "berlin-")
	if err != nil {
		return nil
	}
	hamburg, err := testcity.HamburgPages(ctx, "hamburg-")
	if err != nil {
		return nil
	}
	return append(berlin, hamburg...)
}
