package knowledge

import (
	"context"
	"math"
	"testing"
)

func TestLocalEmbedder(t *testing.T) {
	ctx := context.Background()
	e := NewLocalEmbedder(0)
	if e.Name() != "local-v1-256" {
		t.Errorf("Name() = %q", e.Name())
	}
	if n := NewLocalEmbedder(384).Name(); n != "local-v1-384" {
		t.Errorf("Name() of 384 dims = %q", n)
	}
	embed := func(s string) []float32 {
		t.Helper()
		v, err := e.Embed(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	texts := []string{"Personalausweis beantragen", "Hundesteuer", "", "?!", "a", "Bulky waste collection", "ÄÖÜß äöü"}
	for _, s := range texts {
		v := embed(s)
		if len(v) != DefaultLocalDims {
			t.Fatalf("Embed(%q) has %d dims", s, len(v))
		}
		var norm float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("Embed(%q) holds %v", s, x)
			}
			norm += float64(x) * float64(x)
		}
		if math.Abs(norm-1) > 1e-5 {
			t.Errorf("Embed(%q) has norm² %.6f, want 1", s, norm)
		}
		// Deterministic: the same text gives the same vector, also from a
		// new embedder.
		w, _ := NewLocalEmbedder(0).Embed(ctx, s)
		for i := range v {
			if v[i] != w[i] {
				t.Fatalf("Embed(%q) differs between calls at %d", s, i)
			}
		}
	}
	cos := func(a, b string) float64 { return float64(dot(embed(a), embed(b))) }
	// Related texts are closer than unrelated ones; spelling variants and
	// inflections are close.
	if a, b := cos("Personalausweis beantragen", "Antrag auf einen Personalausweis"), cos("Personalausweis beantragen", "Sperrmüll abholen lassen"); a <= b {
		t.Errorf("cos(related) %.3f ≤ cos(unrelated) %.3f", a, b)
	}
	if c := cos("Personalausweiss", "Personalausweis"); c < 0.7 {
		t.Errorf("cos(typo) = %.3f, want ≥ 0.7", c)
	}
	if c := cos("Führerscheine", "Führerschein"); c < 0.8 {
		t.Errorf("cos(plural) = %.3f, want ≥ 0.8", c)
	}
	ctxDone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Embed(ctxDone, "x"); err == nil {
		t.Error("Embed with a cancelled context succeeded")
	}
}

func TestVectorIndex(t *testing.T) {
	vecs := [][]float32{{3, 4}, {1, 0}, {0, 2}}
	vi, err := newVectorIndex(vecs)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, 3)
	vi.scores([]float32{1, 0}, out)
	want := []float32{0.6, 1, 0}
	for i := range want {
		if math.Abs(float64(out[i]-want[i])) > 1e-6 {
			t.Errorf("cos[%d] = %v, want %v", i, out[i], want[i])
		}
	}
	if _, err := newVectorIndex([][]float32{{1, 0}, {1, 0, 0}}); err == nil {
		t.Error("vectors of different dimensions accepted")
	}
	if _, err := newVectorIndex([][]float32{{}}); err == nil {
		t.Error("empty vector accepted")
	}
	// The parallel scan gives the same as the sequential one; a sparse
	// question ("Hundesteuer") is scanned by columns, which adds in another
	// order: equal up to rounding.
	n, d := 5000, 256
	big := make([][]float32, n)
	e := NewLocalEmbedder(d)
	for i := range big {
		big[i] = e.embed("Seite " + itoa(i) + " über Hundesteuer und Parkausweise Nummer " + itoa(i*7))
	}
	vi, err = newVectorIndex(big)
	if err != nil {
		t.Fatal(err)
	}
	q := e.embed("Hundesteuer")
	par := make([]float32, n)
	vi.scores(q, par)
	seq := make([]float32, n)
	vi.scan(q, seq, 0, n)
	for i := range par {
		if math.Abs(float64(par[i]-seq[i])) > 1e-5 {
			t.Fatalf("parallel column scan differs at %d: %v vs %v", i, par[i], seq[i])
		}
	}
	// A dense question takes the row scan and must agree exactly.
	dense := make([]float32, d)
	for i := range dense {
		dense[i] = 1 / float32(math.Sqrt(float64(d)))
	}
	vi.scores(dense, par)
	vi.scan(dense, seq, 0, n)
	for i := range par {
		if par[i] != seq[i] {
			t.Fatalf("dense scan differs at %d", i)
		}
	}
}

func TestNewEmbedder(t *testing.T) {
	for _, kind := range []string{"", "local", " Local "} {
		e, err := NewEmbedder(EmbedderConfig{Kind: kind}, nil)
		if err != nil {
			t.Fatalf("kind %q: %v", kind, err)
		}
		if _, ok := e.(*LocalEmbedder); !ok {
			t.Errorf("kind %q gave %T", kind, e)
		}
	}
	e, err := NewEmbedder(EmbedderConfig{Kind: "ollama", URL: "http://127.0.0.1:11434", Model: "nomic-embed-text"}, nil)
	if err != nil || e.Name() != "ollama:nomic-embed-text" {
		t.Errorf("ollama: %v, %v", e, err)
	}
	e, err = NewEmbedder(EmbedderConfig{Kind: "openai", URL: "http://127.0.0.1:8080/v1", Model: "m"}, nil)
	if err != nil || e.Name() != "openai:m" {
		t.Errorf("openai: %v, %v", e, err)
	}
	if _, err := NewEmbedder(EmbedderConfig{Kind: "word2vec"}, nil); err == nil {
		t.Error("unknown kind accepted")
	}
}
