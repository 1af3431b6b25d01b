package evaluation

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

func fmtRatio(f *float64) string {
	if f == nil {
		return "   –  "
	}
	return fmt.Sprintf("%6.3f", *f)
}

// PrintReport writes the figures for people.
func PrintReport(w io.Writer, m Metrics) {
	fmt.Fprintf(w, "cases          %d\n", m.N)
	fmt.Fprintf(w, "hit@1          %s\n", fmtRatio(m.Hit1))
	fmt.Fprintf(w, "hit@3          %s\n", fmtRatio(m.Hit3))
	fmt.Fprintf(w, "MRR            %s\n", fmtRatio(m.MRR))
	fmt.Fprintf(w, "handoff recall %s   (expect_handoff cases handed off)\n", fmtRatio(m.HandoffRecall))
	fmt.Fprintf(w, "wrong handoff  %s   (answerable cases handed off)\n", fmtRatio(m.WrongHandoff))
	fmt.Fprintf(w, "clarify        %s   (cases with expected pages answered with a clarifying question)\n", fmtRatio(m.Clarify))
	if c := m.Confidence; c != nil {
		fmt.Fprintf(w, "confidence     ROC AUC %s (right %d vs wrong %d best pages); confident wrong %s; too low by %+.2f logits\n",
			strings.TrimSpace(fmtRatio(c.AUC)), c.Right, c.Wrong, strings.TrimSpace(fmtRatio(c.ConfidentWrong)), c.Offset)
	}
	if a := m.Answers; a != nil {
		med := "–"
		if a.MedianChars != nil {
			med = fmt.Sprintf("%.0f", *a.MedianChars)
		}
		fmt.Fprintf(w, "answer text    %s of the annotated answer sentences shown (%d answers, median %s characters)\n",
			strings.TrimSpace(fmtRatio(a.Share)), a.ShareN, med)
		fmt.Fprintf(w, "unanswerable   %s not presented as answered (%d questions their page does not answer)\n",
			strings.TrimSpace(fmtRatio(a.UnanswerableHandled)), a.UnanswerableN)
		fmt.Fprintf(w, "declined       %s of %d answerable questions declined or handed off\n",
			strings.TrimSpace(fmtRatio(a.AnswerableDeclined)), a.AnswerableN)
		fmt.Fprintf(w, "grounding      %d quoted sentences not verbatim in their page\n", a.Ungrounded)
	}
	if s := m.Scope; s != nil {
		fmt.Fprintf(w, "out of scope   %s scope reply, %s not answered from a page (%d questions)\n",
			strings.TrimSpace(fmtRatio(s.ScopeReply)), strings.TrimSpace(fmtRatio(s.NotAnswered)), s.N)
	}
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
	fmt.Fprintf(w, "\n%-22s %5s %6s %6s %6s %8s %6s %7s\n", "kind", "n", "hit@1", "hit@3", "MRR", "handoff", "wrong", "clarify")
	for _, k := range kinds {
		s := m.ByKind[k]
		fmt.Fprintf(w, "%-22s %5d %s %s %s %s   %s %s\n", k, s.N, fmtRatio(s.Hit1), fmtRatio(s.Hit3), fmtRatio(s.MRR),
			fmtRatio(s.HandoffRecall), fmtRatio(s.WrongHandoff), fmtRatio(s.Clarify))
	}
}

// PrintFailures lists the cases the engine got wrong.
func PrintFailures(w io.Writer, results []Result) {
	fmt.Fprintln(w, "\nwrong:")
	for _, r := range results {
		c := r.Case
		var why string
		switch {
		case c.ExpectHandoff && !r.Handoff:
			why = "not handed off"
		case c.ExpectScope && r.Decision != "scope":
			why = "no scope reply"
		case c.Answerable() && r.Handoff:
			why = "handed off (" + r.Reason + ")"
		case len(c.Expect) > 0 && r.Rank() != 1:
			why = fmt.Sprintf("expected page at rank %d", r.Rank())
		default:
			continue
		}
		top := ""
		if len(r.Ranked) > 0 {
			top = r.Ranked[0]
		}
		fmt.Fprintf(w, "  line %d [%s] %q: %s; decision %s %.2f, top %s, want %s\n",
			c.Line, c.Kind, c.Q, why, r.Decision, r.Confidence, top, strings.Join(c.Expect, ","))
	}
}

// caseJSON is one case in the JSON report.
type caseJSON struct {
	Line        int      `json:"line"`
	Question    string   `json:"question"`
	Lang        string   `json:"lang,omitempty"`
	Kind        string   `json:"kind"`
	City        string   `json:"city,omitempty"`
	Expect      []string `json:"expect,omitempty"`
	Decision    string   `json:"decision"`
	Handoff     string   `json:"handoff,omitempty"`
	Confidence  float64  `json:"confidence"`
	Ranked      []string `json:"ranked"`
	Source      string   `json:"source,omitempty"`
	Text        string   `json:"text"`
	AnswerShare *float64 `json:"answer_share,omitempty"`
	LatencyMS   float64  `json:"latency_ms"`
	Reasons     []string `json:"reasons,omitempty"`
}

// WriteJSON writes the figures and every case as one JSON object: the
// figures at the top level, the cases under "cases".
func WriteJSON(w io.Writer, m Metrics, results []Result) error {
	cases := make([]caseJSON, len(results))
	for i, r := range results {
		ranked := r.Ranked
		if ranked == nil {
			ranked = []string{}
		}
		cases[i] = caseJSON{Line: r.Case.Line, Question: r.Case.Q, Lang: r.Case.Lang, Kind: r.Case.Kind, City: r.Case.City,
			Expect: r.Case.Expect, Decision: r.Decision, Handoff: r.Reason, Confidence: r.Confidence, Ranked: ranked,
			Source: r.Source, Text: r.Text, AnswerShare: r.AnswerShare, LatencyMS: float64(r.Latency.Microseconds()) / 1000,
			Reasons: r.Reasons}
	}
	out := struct {
		Metrics
		Cases []caseJSON `json:"cases"`
	}{m, cases}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
