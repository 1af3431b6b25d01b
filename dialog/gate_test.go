package dialog

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestPatternGateNeverChangesAResult runs every intent and aspect pattern
// with and without its literal gate over every question of the team's case
// sets: the gate may only save time.
func TestPatternGateNeverChangesAResult(t *testing.T) {
	var texts []string
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "eval", "*.jsonl"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var c struct{ Q string }
			if json.Unmarshal(sc.Bytes(), &c) == nil && c.Q != "" {
				texts = append(texts, fold(c.Q))
			}
		}
		fh.Close()
	}
	if len(texts) < 300 {
		t.Fatalf("only %d case questions found", len(texts))
	}
	m := newIntentMatcher()
	var pats []pattern
	for _, r := range m.rules {
		pats = append(pats, r.patterns...)
	}
	pats = append(pats, m.greeting, m.caseNoun, m.caseStatus, m.caseOwner, m.caseID, m.caseStrong, anaphora)
	for _, a := range newAspectRules() {
		pats = append(pats, a.question, a.cue)
	}
	gated := 0
	for _, p := range pats {
		if p.gate != nil {
			gated++
		}
		for _, s := range texts {
			if p.MatchString(s) != p.re.MatchString(s) {
				t.Errorf("pattern %s with gate %q disagrees on %q", p.re, p.gate, s)
			}
		}
	}
	if gated < len(pats)/2 {
		t.Errorf("only %d of %d patterns have a gate", gated, len(pats))
	}
}

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		expr string
		want []string // nil: no gate
	}{
		{`\b(hallo|hi)\b`, []string{"hallo", "hi"}},
		{`\bmein\b[^.?!]{0,40}\babgelehnt\b`, []string{"abgelehnt"}},
		{`^\s*(system|admin)\b`, []string{"system", "admin"}},
		{`\d{3,}`, nil},
		{`(a|b*)`, nil},
	}
	for _, tt := range tests {
		p := newPattern(tt.expr)
		if len(p.gate) != len(tt.want) {
			t.Errorf("%s: gate %q, want %q", tt.expr, p.gate, tt.want)
			continue
		}
		for i := range tt.want {
			if p.gate[i] != tt.want[i] {
				t.Errorf("%s: gate %q, want %q", tt.expr, p.gate, tt.want)
			}
		}
	}
}

// BenchmarkClassify measures the intent rules on typical questions.
//
//	go test ./dialog -run '^$' -bench Classify
func BenchmarkClassify(b *testing.B) {
	m := newIntentMatcher()
	qs := []string{"Was kostet ein Personalausweis?", "perso abgelaufen was tun",
		"Welche Unterlagen brauche ich für die Anmeldung meiner neuen Wohnung in Musterstadt?",
		"What does a residents' parking permit cost?"}
	for i := 0; i < b.N; i++ {
		m.classify(qs[i%len(qs)])
	}
}
