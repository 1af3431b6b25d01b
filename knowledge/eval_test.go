package knowledge

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/civibot/civibot/knowledge/samplecity"
)

// Evaluation on third-party data from ../shared/data (see its README). The
// tests skip when the data is absent; they log figures and assert only
// sanity so that a regression cannot pass silently.

// evalData returns the path of a file under the shared data directory
// (CIVIBOT_DATA or ../../shared/data), skipping the test when it is absent.
func evalData(t testing.TB, rel string) string {
	t.Helper()
	dir := os.Getenv("CIVIBOT_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("evaluation data %s not available: %v", p, err)
	}
	return p
}

// readJSONL decodes every line of a JSONL file into a new T.
func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type integreatQuestion struct {
	ID       int    `json:"id"`
	Question string `json:"question"`
	Answers  []int  `json:"answers"`
	City     string `json:"city"`
	PageID   int    `json:"pageId"`
}

// integreatPages imports pages_<lang>.jsonl with Import, as `civibot
// ingest` does.
func integreatPages(t testing.TB, lang string) []Page {
	t.Helper()
	pages, problems, err := Import(context.Background(), []string{evalData(t, "integreat-qa/pages_"+lang+".jsonl")}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("import problems: %v", problems)
	}
	return pages
}

// retrievalFigures are hit rates of one evaluation.
type retrievalFigures struct {
	n, hit1, hit3, hit5 int
	rr                  float64
}

func (f *retrievalFigures) add(rank int) {
	f.n++
	if rank == 1 {
		f.hit1++
	}
	if rank >= 1 && rank <= 3 {
		f.hit3++
	}
	if rank >= 1 && rank <= 5 {
		f.hit5++
	}
	if rank >= 1 {
		f.rr += 1 / float64(rank)
	}
}

func (f retrievalFigures) rates() (hit1, hit3, hit5, mrr float64) {
	n := float64(max(f.n, 1))
	return float64(f.hit1) / n, float64(f.hit3) / n, float64(f.hit5) / n, f.rr / n
}

// evalIntegreat builds one KB per city and searches every question of the
// dev set in its city's KB. It returns the figures for all questions and
// for the answerable ones.
func evalIntegreat(t testing.TB, lang string, tune func(*KB), miss func(q integreatQuestion, hits []Hit)) (all, answerable retrievalFigures) {
	return evalIntegreatOpts(t, lang, Options{}, tune, miss)
}

func evalIntegreatOpts(t testing.TB, lang string, opts Options, tune func(*KB), miss func(q integreatQuestion, hits []Hit)) (all, answerable retrievalFigures) {
	t.Helper()
	ctx := context.Background()
	pages := integreatPages(t, lang)
	questions := readJSONL[integreatQuestion](t, evalData(t, "integreat-qa/dev_"+lang+".jsonl"))
	byCity := make(map[string][]Page)
	for _, p := range pages {
		byCity[p.Meta["city"]] = append(byCity[p.Meta["city"]], p)
	}
	kbs := make(map[string]*KB)
	for city, ps := range byCity {
		kb, err := Build(ctx, ps, opts)
		if err != nil {
			t.Fatal(err)
		}
		if tune != nil {
			tune(kb)
		}
		kbs[city] = kb
		defer kb.Close()
	}
	for _, q := range questions {
		kb := kbs[q.City]
		if kb == nil {
			t.Fatalf("question %d: no pages for city %q", q.ID, q.City)
		}
		hits, err := kb.Search(ctx, Query{Text: q.Question, Language: lang, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		want := q.City + "-" + itoa(q.PageID)
		rank := 0
		for i, h := range hits {
			if h.Page.ID == want {
				rank = i + 1
				break
			}
		}
		all.add(rank)
		if len(q.Answers) > 0 {
			answerable.add(rank)
		}
		if rank != 1 && miss != nil {
			miss(q, hits)
		}
	}
	return all, answerable
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestIntegreatRetrieval measures retrieval on the Integreat QA development
// set (654 questions per language): each question is searched in its
// city's KB; the expected page is the one the question was written from.
//
//	go test ./knowledge -run TestIntegreatRetrieval -v
func TestIntegreatRetrieval(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluation skipped in -short mode")
	}
	for _, lang := range []string{"de", "en"} {
		t.Run(lang, func(t *testing.T) {
			var misses []string
			all, ans := evalIntegreat(t, lang, nil, func(q integreatQuestion, hits []Hit) {
				if os.Getenv("CIVIBOT_EVAL_MISSES") == "" {
					return
				}
				got := ""
				if len(hits) > 0 {
					got = hits[0].Page.ID + " " + hits[0].Page.Title
				}
				misses = append(misses, q.Question+" → "+got)
			})
			for _, m := range misses {
				t.Log("miss:", m)
			}
			for _, f := range []struct {
				name string
				f    retrievalFigures
			}{{"all", all}, {"answerable", ans}} {
				h1, h3, h5, mrr := f.f.rates()
				t.Logf("%s %s: n=%d hit@1=%.3f hit@3=%.3f hit@5=%.3f MRR=%.3f", lang, f.name, f.f.n, h1, h3, h5, mrr)
			}
			if _, h3, _, _ := all.rates(); h3 < 0.5 {
				t.Errorf("hit@3 = %.3f, want > 0.5 (retrieval broke)", h3)
			}
		})
	}
}

// evalCase is one line of testdata/eval/*.jsonl (see its README).
type evalCase struct {
	Q             string   `json:"q"`
	Lang          string   `json:"lang"`
	Expect        []string `json:"expect"`
	ExpectHandoff bool     `json:"expect_handoff"`
	Kind          string   `json:"kind"`
}

// colloquialSet is a case file with the knowledge base it runs against.
type colloquialSet struct {
	name  string
	cases string // under ../testdata/eval
	pages func(t testing.TB) []Page
}

func colloquialSets() []colloquialSet {
	berlin := func(t testing.TB) []Page {
		pages, _, err := Import(context.Background(), []string{evalData(t, "berlin/berlin_services.jsonl")},
			ImportOptions{IDField: "service_id", BodyFields: []string{"description", "voraussetzungen", "unterlagen"}})
		if err != nil {
			t.Fatal(err)
		}
		return pages
	}
	sample := func(t testing.TB) []Page {
		pages, _, err := ImportFS(context.Background(), samplecity.FS(), ".", ImportOptions{Format: "markdown"})
		if err != nil {
			t.Fatal(err)
		}
		return pages
	}
	return []colloquialSet{
		{"sample_de", "sample_de.jsonl", sample},
		{"sample_en", "sample_en.jsonl", sample},
		{"berlin", "berlin_colloquial.jsonl", berlin},
	}
}

// colloquialFigures are the results of one case set.
type colloquialFigures struct {
	all    retrievalFigures
	byKind map[string]*retrievalFigures
	// Evidence of the first hit: for answerable cases and for cases that
	// must go to a person (plus the generic handoff cases).
	answerCov, answerVec, handoffCov, handoffVec []float64
	outCov, outVec                               []float64 // out_of_scope cases only
	misses                                       []string
}

// evalColloquial searches every case of a set in its KB.
func evalColloquial(t testing.TB, set colloquialSet, kb *KB) colloquialFigures {
	t.Helper()
	ctx := context.Background()
	cases := readJSONL[evalCase](t, filepath.Join("..", "testdata", "eval", set.cases))
	cases = append(cases, readJSONL[evalCase](t, filepath.Join("..", "testdata", "eval", "handoff_generic.jsonl"))...)
	f := colloquialFigures{byKind: make(map[string]*retrievalFigures)}
	for _, c := range cases {
		hits, err := kb.Search(ctx, Query{Text: c.Q, Language: c.Lang, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var cov, vec float64
		if len(hits) > 0 {
			cov, vec = hits[0].Coverage, hits[0].Vector
		}
		if c.ExpectHandoff {
			f.handoffCov = append(f.handoffCov, cov)
			f.handoffVec = append(f.handoffVec, vec)
			if c.Kind == "out_of_scope" {
				f.outCov = append(f.outCov, cov)
				f.outVec = append(f.outVec, vec)
			}
			continue
		}
		f.answerCov = append(f.answerCov, cov)
		f.answerVec = append(f.answerVec, vec)
		rank := 0
		for i, h := range hits {
			if slices.Contains(c.Expect, h.Page.ID) {
				rank = i + 1
				break
			}
		}
		f.all.add(rank)
		k := f.byKind[c.Kind]
		if k == nil {
			k = &retrievalFigures{}
			f.byKind[c.Kind] = k
		}
		k.add(rank)
		if rank != 1 {
			got := "-"
			if len(hits) > 0 {
				got = hits[0].Page.ID + " " + hits[0].Page.Title
			}
			f.misses = append(f.misses, fmt.Sprintf("[%s] %q rank %d, first %s", c.Kind, c.Q, rank, got))
		}
	}
	return f
}

// mean returns the average of xs.
func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(max(len(xs), 1))
}

// shareAtLeast returns the share of xs that are at least min.
func shareAtLeast(xs []float64, min float64) float64 {
	n := 0
	for _, x := range xs {
		if x >= min {
			n++
		}
	}
	return float64(n) / float64(max(len(xs), 1))
}

// TestColloquialRetrieval measures retrieval on the team's hand-written
// case sets (testdata/eval): the sample city in German and English and the
// Berlin services (when ../shared/data is there). It logs hit rates by kind
// and the evidence (coverage, cosine) of the first hit for answerable cases
// against cases that must go to a person.
//
//	go test ./knowledge -run TestColloquialRetrieval -v
func TestColloquialRetrieval(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluation skipped in -short mode")
	}
	for _, set := range colloquialSets() {
		t.Run(set.name, func(t *testing.T) {
			kb, err := Build(context.Background(), set.pages(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer kb.Close()
			f := evalColloquial(t, set, kb)
			if os.Getenv("CIVIBOT_EVAL_MISSES") != "" {
				for _, m := range f.misses {
					t.Log("miss:", m)
				}
			}
			h1, h3, h5, mrr := f.all.rates()
			t.Logf("%s: n=%d hit@1=%.3f hit@3=%.3f hit@5=%.3f MRR=%.3f", set.name, f.all.n, h1, h3, h5, mrr)
			kinds := make([]string, 0, len(f.byKind))
			for k := range f.byKind {
				kinds = append(kinds, k)
			}
			slices.Sort(kinds)
			for _, k := range kinds {
				h1, h3, _, _ := f.byKind[k].rates()
				t.Logf("  %-20s n=%3d hit@1=%.3f hit@3=%.3f", k, f.byKind[k].n, h1, h3)
			}
			t.Logf("  first-hit evidence (mean, share ≥ 0.5 / ≥ 0.3): answerable coverage %.2f %.2f, cosine %.2f %.2f; handoff coverage %.2f %.2f, cosine %.2f %.2f",
				mean(f.answerCov), shareAtLeast(f.answerCov, 0.5), mean(f.answerVec), shareAtLeast(f.answerVec, 0.3),
				mean(f.handoffCov), shareAtLeast(f.handoffCov, 0.5), mean(f.handoffVec), shareAtLeast(f.handoffVec, 0.3))
			t.Logf("  out of scope only (n=%d): coverage %.2f %.2f, cosine %.2f %.2f", len(f.outCov),
				mean(f.outCov), shareAtLeast(f.outCov, 0.5), mean(f.outVec), shareAtLeast(f.outVec, 0.3))
			if _, h3, _, _ := f.all.rates(); h3 < 0.5 {
				t.Errorf("hit@3 = %.3f, want > 0.5 (retrieval broke)", h3)
			}
			if mean(f.answerCov) <= mean(f.handoffCov) {
				t.Errorf("answerable questions have no more coverage than handoff ones")
			}
		})
	}
}
