package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/civibot/civibot/dialog"
)

// evalCase is one line of a case file. Two formats are read: civibot's own
// ({"q", "lang", "expect" | "expect_handoff", "kind"}) and the Integreat QA
// format ({"question", "pageId", "city", "answers", "language"}).
type evalCase struct {
	Q             string   `json:"q"`
	Lang          string   `json:"lang"`
	Expect        []string `json:"expect"`
	ExpectHandoff bool     `json:"expect_handoff"`
	Kind          string   `json:"kind"`

	Question string `json:"question"`
	PageID   any    `json:"pageId"`
	City     string `json:"city"`
	Answers  []int  `json:"answers"`
	Language string `json:"language"`

	line int
}

// integreat reports whether the case is in the Integreat QA format.
func (c *evalCase) integreat() bool { return c.Question != "" && c.PageID != nil }

// normalize turns an Integreat case into civibot's form. A question whose
// answers are empty is "unanswerable": its page does not answer it.
func (c *evalCase) normalize() error {
	if c.integreat() {
		c.Q = c.Question
		c.Lang = c.Language
		id := fmt.Sprint(c.PageID)
		if f, ok := c.PageID.(float64); ok {
			id = fmt.Sprintf("%d", int64(f))
		}
		c.Expect = []string{c.City + "-" + id}
		c.Kind = "answerable"
		if len(c.Answers) == 0 {
			c.Kind = "unanswerable"
		}
	}
	if strings.TrimSpace(c.Q) == "" {
		return fmt.Errorf("line %d: no question (\"q\")", c.line)
	}
	if len(c.Expect) == 0 && !c.ExpectHandoff {
		return fmt.Errorf("line %d: a case needs \"expect\" page ids or \"expect_handoff\": true", c.line)
	}
	if c.Kind == "" {
		c.Kind = "default"
		if c.ExpectHandoff {
			c.Kind = "handoff"
		}
	}
	return nil
}

// caseResult is what the engine did with one case.
type caseResult struct {
	c          evalCase
	decision   string
	reason     string
	handoff    bool
	confidence float64
	evidence   *dialog.Evidence // nil when no search decided the turn
	considered []string         // page ids the engine considered, best first
	latency    time.Duration
}

// rank is the 1-based rank of the first expected page among the considered
// pages, or 0.
func (r caseResult) rank() int {
	for i, id := range r.considered {
		for _, want := range r.c.Expect {
			if id == want {
				return i + 1
			}
		}
	}
	return 0
}

// evalMetrics are the figures for a set of cases. hit@k and MRR are over
// cases with expected pages; handoff recall over expect_handoff cases;
// wrong handoff over answerable (expected-page, not expect_handoff) cases.
type evalMetrics struct {
	N             int                    `json:"n"`
	Hit1          *float64               `json:"hit@1"`
	Hit3          *float64               `json:"hit@3"`
	MRR           *float64               `json:"mrr"`
	HandoffRecall *float64               `json:"handoff_recall"`
	WrongHandoff  *float64               `json:"wrong_handoff"`
	Confident     *float64               `json:"confident_answer_rate,omitempty"` // answered outright, among cases with expected pages
	Latency       *latencyFigures        `json:"latency_ms,omitempty"`
	Decisions     map[string]int         `json:"decisions"`
	ByKind        map[string]evalMetrics `json:"by_kind,omitempty"`
}

type latencyFigures struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	f := math.Round(float64(num)/float64(den)*10000) / 10000
	return &f
}

func summarize(results []caseResult, byKind bool) evalMetrics {
	m := evalMetrics{N: len(results), Decisions: map[string]int{}}
	var retrieval, hit1, hit3, handoffCases, handedOff, answerable, wrong, confident int
	var rr float64
	lat := make([]float64, 0, len(results))
	for _, r := range results {
		m.Decisions[r.decision]++
		lat = append(lat, float64(r.latency.Microseconds())/1000)
		if len(r.c.Expect) > 0 {
			retrieval++
			switch k := r.rank(); {
			case k == 1:
				hit1++
				hit3++
				rr += 1
			case k > 1:
				if k <= 3 {
					hit3++
				}
				rr += 1 / float64(k)
			}
			if r.decision == "answer" {
				confident++
			}
		}
		if r.c.ExpectHandoff {
			handoffCases++
			if r.handoff {
				handedOff++
			}
		} else if len(r.c.Expect) > 0 && r.c.Kind != "unanswerable" {
			answerable++
			if r.handoff {
				wrong++
			}
		}
	}
	m.Hit1, m.Hit3 = ratio(hit1, retrieval), ratio(hit3, retrieval)
	if retrieval > 0 {
		f := math.Round(rr/float64(retrieval)*10000) / 10000
		m.MRR = &f
	}
	m.HandoffRecall = ratio(handedOff, handoffCases)
	m.WrongHandoff = ratio(wrong, answerable)
	m.Confident = ratio(confident, retrieval)
	if len(lat) > 0 {
		sort.Float64s(lat)
		m.Latency = &latencyFigures{P50: percentile(lat, 0.50), P99: percentile(lat, 0.99)}
	}
	if byKind {
		groups := map[string][]caseResult{}
		for _, r := range results {
			groups[r.c.Kind] = append(groups[r.c.Kind], r)
		}
		m.ByKind = map[string]evalMetrics{}
		for k, rs := range groups {
			sub := summarize(rs, false)
			sub.Latency = nil
			m.ByKind[k] = sub
		}
	}
	return m
}

// percentile of sorted values (nearest rank).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return math.Round(sorted[i]*1000) / 1000
}

func fmtRatio(f *float64) string {
	if f == nil {
		return "   –  "
	}
	return fmt.Sprintf("%6.3f", *f)
}

// printReport writes the figures for people.
func printReport(w io.Writer, m evalMetrics) {
	fmt.Fprintf(w, "cases          %d\n", m.N)
	fmt.Fprintf(w, "hit@1          %s\n", fmtRatio(m.Hit1))
	fmt.Fprintf(w, "hit@3          %s\n", fmtRatio(m.Hit3))
	fmt.Fprintf(w, "MRR            %s\n", fmtRatio(m.MRR))
	fmt.Fprintf(w, "handoff recall %s   (expect_handoff cases handed off)\n", fmtRatio(m.HandoffRecall))
	fmt.Fprintf(w, "wrong handoff  %s   (answerable cases handed off)\n", fmtRatio(m.WrongHandoff))
	if m.Latency != nil {
		fmt.Fprintf(w, "turn latency   p50 %.2f ms, p99 %.2f ms\n", m.Latency.P50, m.Latency.P99)
	}
	var ds []string
	for d, n := range m.Decisions {
		ds = append(ds, fmt.Sprintf("%s %d", d, n))
	}
	sort.Strings(ds)
	fmt.Fprintf(w, "decisions      %s\n", strings.Join(ds, ", "))
	if len(m.ByKind) == 0 {
		return
	}
	kinds := make([]string, 0, len(m.ByKind))
	for k := range m.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "\n%-22s %5s %6s %6s %6s %8s %6s\n", "kind", "n", "hit@1", "hit@3", "MRR", "handoff", "wrong")
	for _, k := range kinds {
		s := m.ByKind[k]
		fmt.Fprintf(w, "%-22s %5d %s %s %s %s   %s\n", k, s.N, fmtRatio(s.Hit1), fmtRatio(s.Hit3), fmtRatio(s.MRR), fmtRatio(s.HandoffRecall), fmtRatio(s.WrongHandoff))
	}
}
