package evaluation

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/testcity"
	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
	"github.com/civibot/civibot/knowledge/samplecity"
)

// The development sets behind the ranking weights and the confidence
// model: the team's own case files (sample city, Berlin) and the Integreat
// QA development split, in both languages and across languages. They need
// the shared data beside the repository (../shared/data) and the
// dictionary (/usr/share/trans/de-en).

// devSet is one case file asked over one knowledge base (per city for
// Integreat).
type devSet struct {
	name  string
	cases []Case
	kbs   map[string]*knowledge.KB // city → KB ("" for all)
}

func (s devSet) close() {
	for _, kb := range s.kbs {
		kb.Close()
	}
}

// devSets loads the development sets; it skips the test without the data.
func devSets(t *testing.T, opts knowledge.Options) []devSet {
	t.Helper()
	ctx := context.Background()
	if opts.Dictionary == "" {
		if _, err := os.Stat(knowledge.DefaultDictionary); err == nil {
			opts.Dictionary = knowledge.DefaultDictionary
		}
	}
	root := filepath.Join("..", "..", "testdata", "eval")
	read := func(path string) []Case {
		cs, err := ReadCases(path)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	build := func(pages []knowledge.Page) *knowledge.KB {
		kb, err := knowledge.Build(ctx, pages, opts)
		if err != nil {
			t.Fatal(err)
		}
		return kb
	}
	var sets []devSet
	sample, _, err := importer.ImportFS(ctx, samplecity.FS(), ".", importer.Options{Format: "markdown"})
	if err != nil {
		t.Fatal(err)
	}
	skb := build(sample)
	sets = append(sets,
		devSet{"sample_de", read(filepath.Join(root, "sample_de.jsonl")), map[string]*knowledge.KB{"": skb}},
		devSet{"sample_en", read(filepath.Join(root, "sample_en.jsonl")), map[string]*knowledge.KB{"": skb}})
	berlin, err := testcity.BerlinPages(ctx, "")
	if err != nil {
		t.Skip(err)
	}
	sets = append(sets, devSet{"berlin", read(filepath.Join(root, "berlin_colloquial.jsonl")), map[string]*knowledge.KB{"": build(berlin)}})
	ig := func(lang string) map[string]*knowledge.KB {
		p, err := testcity.SharedData("integreat-qa/pages_" + lang + ".jsonl")
		if err != nil {
			t.Skip(err)
		}
		kbs := map[string]*knowledge.KB{}
		for _, city := range []string{"muenchen", "lkaugsburg", "rems-murr-kreis"} {
			pages, _, err := importer.Import(ctx, []string{p}, importer.Options{Where: map[string]string{"city": city}})
			if err != nil {
				t.Fatal(err)
			}
			kbs[city] = build(pages)
		}
		return kbs
	}
	de, en := ig("de"), ig("en")
	qs := func(lang string) []Case {
		p, err := testcity.SharedData("integreat-qa/dev_" + lang + ".jsonl")
		if err != nil {
			t.Skip(err)
		}
		return read(p)
	}
	qde, qen := qs("de"), qs("en")
	sets = append(sets,
		devSet{"ig_de_de", qde, de}, devSet{"ig_en_en", qen, en},
		devSet{"ig_en_de", qen, de}, devSet{"ig_de_en", qde, en})
	return sets
}

// rankingQueries searches every case with expected pages and records its
// candidates' features.
func rankingQueries(t *testing.T, s devSet, limit int) []RankingQuery {
	t.Helper()
	ctx := context.Background()
	var out []RankingQuery
	for _, c := range s.cases {
		if len(c.Expect) == 0 {
			continue
		}
		kb := s.kbs[c.City]
		if kb == nil {
			kb = s.kbs[""]
		}
		hits, err := kb.Search(ctx, knowledge.Query{Text: c.Q, Language: c.Lang, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		q := RankingQuery{Set: s.name}
		for _, h := range hits {
			q.Features = append(q.Features, h.Features.Values())
			right := false
			for _, e := range c.Expect {
				right = right || h.Page.ID == e
			}
			q.Right = append(q.Right, right)
		}
		out = append(out, q)
	}
	return out
}

// TestFitRanking fits the ranking weights on the development sets and
// prints them with hit@1 per set: with the current weights, fitted on all
// sets, and fitted without the set (held out).
//
//	CIVIBOT_FIT=1 go test ./internal/evaluation -run TestFitRanking -v -timeout 30m
func TestFitRanking(t *testing.T) {
	if os.Getenv("CIVIBOT_FIT") == "" {
		t.Skip("set CIVIBOT_FIT=1 to fit the ranking weights on the development sets")
	}
	sets := devSets(t, knowledge.Options{})
	var all []RankingQuery
	bySet := map[string][]RankingQuery{}
	var names []string
	for _, s := range sets {
		qs := rankingQueries(t, s, 20)
		bySet[s.name] = qs
		names = append(names, s.name)
		all = append(all, qs...)
	}
	for _, s := range sets {
		s.close()
	}
	cur := knowledge.DefaultRanking()
	curVec := rankingValues(cur)
	l2 := 1.0
	fit := FitRanking
	if os.Getenv("CIVIBOT_FIT") == "listwise" {
		fit = FitRankingListwise
	}
	fitted, err := fit(all, l2)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %5s %8s %8s %8s\n", "set", "n", "current", "fitted", "held-out")
	for _, name := range names {
		var rest []RankingQuery
		for _, other := range names {
			if other != name {
				rest = append(rest, bySet[other]...)
			}
		}
		held, err := fit(rest, l2)
		if err != nil {
			t.Fatal(err)
		}
		qs := bySet[name]
		fmt.Fprintf(&b, "%-10s %5d %8.3f %8.3f %8.3f\n", name, len(qs), Hit1(qs, curVec), Hit1(qs, fitted), Hit1(qs, held))
	}
	t.Logf("hit@1 over the top 20 candidates:\n%s", b.String())
	r := knowledge.RankingFrom(normalise(fitted))
	t.Logf("fitted ranking (lexical = 1): %+v", r)
}

// rankingValues is a Ranking as a weight vector in the order of Values.
func rankingValues(r knowledge.Ranking) []float64 {
	return []float64{r.Lexical, r.Chunk, r.Vector, r.TitleNamed, r.TitleCovered, r.RareCoverage, r.SiblingNamed, r.SiblingMissing, r.Language, r.Alias}
}

// normalise scales weights so the lexical weight is 1 (the scale of a
// ranking does not change the order).
func normalise(w []float64) []float64 {
	out := make([]float64, len(w))
	for i := range w {
		out[i] = w[i] / w[0]
		out[i] = float64(int(out[i]*1000+0.5*sign(out[i]))) / 1000
	}
	return out
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

// engineOn adapts a dialog engine and its knowledge base to Engine.
type engineOn struct {
	*dialog.Engine
	kb *knowledge.KB
}

func (e engineOn) Page(id string) (*knowledge.Page, bool) { return e.kb.Page(id) }

// runSet asks every case of a development set (and the generic hand-off
// cases, on KBs of the team's own sets) with cfg.
func runSet(t *testing.T, s devSet, cfg dialog.Config) []Result {
	t.Helper()
	engines := map[string]Engine{}
	for city, kb := range s.kbs {
		e, err := dialog.NewEngine(cfg, kb, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		engines[city] = engineOn{e, kb}
	}
	cases := s.cases
	if _, own := s.kbs[""]; own {
		hc, err := ReadCases(filepath.Join("..", "..", "testdata", "eval", "handoff_generic.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		cases = append(append([]Case(nil), cases...), hc...)
	}
	rs, err := Run(context.Background(), cases, func(city string) Engine {
		if e, ok := engines[city]; ok {
			return e
		}
		return engines[""]
	}, dialog.StyleFull)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestFitConfidence fits the confidence model on the development sets and
// prints, per set, the ROC AUC and the confident-wrong rate of the current
// weights, of weights fitted on all sets and of weights fitted without the
// set (held out), and the current weights' offset (CalibrationOffset:
// how far their confidence is too low on the set, in logits).
//
//	CIVIBOT_FIT=1 go test ./internal/evaluation -run TestFitConfidence -v -timeout 30m
func TestFitConfidence(t *testing.T) {
	if os.Getenv("CIVIBOT_FIT") == "" {
		t.Skip("set CIVIBOT_FIT=1 to fit the confidence model on the development sets")
	}
	cfg := dialog.Config{}
	sets := devSets(t, knowledge.Options{})
	bySet := map[string][]Sample{}
	var names []string
	var all []Sample
	for _, s := range sets {
		ss := CalibrationSamples(runSet(t, s, cfg), s.name)
		bySet[s.name] = ss
		names = append(names, s.name)
		all = append(all, ss...)
	}
	for _, s := range sets {
		s.close()
	}
	def := dialog.DefaultCalibration()
	answerAt, handoffBelow := dialog.DefaultAnswerThreshold, dialog.DefaultHandoffThreshold
	fitted, err := FitCalibration(all, calibrationL2)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %5s %5s | %-28s | %-22s | %-22s\n", "set", "right", "wrong", "current AUC cw rho offset", "fitted AUC cw rho", "held-out AUC cw rho")
	for _, name := range names {
		var rest []Sample
		for _, other := range names {
			if other != name {
				rest = append(rest, bySet[other]...)
			}
		}
		held, err := FitCalibration(rest, calibrationL2)
		if err != nil {
			t.Fatal(err)
		}
		ss := bySet[name]
		c, f, h := Figures(def, ss, answerAt, handoffBelow), Figures(fitted, ss, answerAt, handoffBelow), Figures(held, ss, answerAt, handoffBelow)
		fmt.Fprintf(&b, "%-10s %5d %5d | %.3f %.3f %.3f %+6.2f  | %.3f %.3f %.3f    | %.3f %.3f %.3f\n", name, c.Right, c.Wrong,
			c.AUC, c.ConfidentWrong, c.RightHandedOff, CalibrationOffset(def, ss), f.AUC, f.ConfidentWrong, f.RightHandedOff, h.AUC, h.ConfidentWrong, h.RightHandedOff)
	}
	t.Logf("cw: wrong best page at or above %.2f among all turns; rho: right best page below %.2f among right ones\n%s", answerAt, handoffBelow, b.String())
	t.Logf("fitted on all sets:\n%s", CalibrationYAML(fitted))
}
