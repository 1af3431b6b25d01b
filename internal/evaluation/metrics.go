package evaluation

import (
	"math"
	"sort"

	"github.com/civibot/civibot/dialog"
)

// Metrics are the figures of a set of results. Retrieval (hit@k, MRR) is
// over cases with expected pages; handoff recall over expect_handoff
// cases; wrong handoff over answerable cases.
type Metrics struct {
	N             int      `json:"n"`
	Hit1          *float64 `json:"hit@1"`
	Hit3          *float64 `json:"hit@3"`
	MRR           *float64 `json:"mrr"`
	HandoffRecall *float64 `json:"handoff_recall"`
	WrongHandoff  *float64 `json:"wrong_handoff"`
	// Clarify is the share of cases with expected pages the bot answered
	// with a clarifying question.
	Clarify *float64 `json:"clarify_rate"`
	// Confident is the share of cases with expected pages answered outright
	// (decision answer at or above the answer threshold).
	Confident  *float64           `json:"confident_answer_rate,omitempty"`
	Confidence *ConfidenceFigures `json:"confidence,omitempty"`
	Answers    *AnswerFigures     `json:"answers,omitempty"`
	Scope      *ScopeFigures      `json:"scope,omitempty"`
	Latency    *LatencyFigures    `json:"latency_ms,omitempty"`
	Decisions  map[string]int     `json:"decisions"`
	ByKind     map[string]Metrics `json:"by_kind,omitempty"`
}

// ConfidenceFigures say how far the confidence can be trusted, over the
// cases with expected pages that a search decided.
type ConfidenceFigures struct {
	// AUC is the ROC AUC of the confidence for "the best page is an
	// expected one" against "it is not".
	AUC *float64 `json:"roc_auc"`
	// ConfidentWrong is the share of cases with expected pages answered
	// outright from a page that is not expected.
	ConfidentWrong *float64 `json:"confident_wrong"`
	// Offset is how far the confidence is too low, in logits (see
	// CalibrationOffset): 0 when a case answered with confidence c has
	// the right page about c of the time.
	Offset float64 `json:"offset"`
	Right  int     `json:"right"`
	Wrong  int     `json:"wrong"`
}

// AnswerFigures are about the text shown, on cases that say which
// sentences of their page answer them (Integreat's `context` + `answers`).
type AnswerFigures struct {
	// Share is the mean share of annotated answer sentences the text shows,
	// over answerable cases answered from their page.
	Share  *float64 `json:"answer_share"`
	ShareN int      `json:"answer_share_n"`
	// MedianChars is the median length of those answers (characters).
	MedianChars *float64 `json:"median_chars"`
	// UnanswerableHandled is the share of questions their page does not
	// answer that the bot did not present as answered (it said the page
	// does not say, asked, or offered a person).
	UnanswerableHandled *float64 `json:"unanswerable_not_answered"`
	UnanswerableN       int      `json:"unanswerable_n"`
	// AnswerableDeclined is the share of answerable questions the bot
	// declined (the pages do not say) or handed off.
	AnswerableDeclined *float64 `json:"answerable_declined"`
	AnswerableN        int      `json:"answerable_n"`
	// Ungrounded counts quoted sentences that are not verbatim in the page
	// they cite (over every case); it must be 0.
	Ungrounded int `json:"ungrounded_sentences"`
}

// ScopeFigures are about questions outside the city's services.
type ScopeFigures struct {
	N int `json:"n"`
	// ScopeReply is the share answered with the scope reply: no page, no
	// handoff, no ticket.
	ScopeReply *float64 `json:"scope_reply"`
	// NotAnswered is the share not answered from a page (scope reply or
	// handoff).
	NotAnswered *float64 `json:"not_answered"`
}

// LatencyFigures are turn latencies in milliseconds.
type LatencyFigures struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// Options tell Summarize what counts as a confident answer.
type Options struct {
	AnswerThreshold float64
}

func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	f := round4(float64(num) / float64(den))
	return &f
}

func round4(f float64) float64 { return math.Round(f*10000) / 10000 }

// confident reports whether r is an outright answer.
func (o Options) confident(r Result) bool {
	return r.Answered() && r.Confidence >= o.AnswerThreshold
}

// Summarize computes the figures of results, by kind when byKind.
func Summarize(results []Result, o Options, byKind bool) Metrics {
	m := Metrics{N: len(results), Decisions: map[string]int{}}
	var retrieval, hit1, hit3, handoffCases, handedOff, answerable, wrong, confident, clarify int
	var rr float64
	var conf ConfidenceFigures
	var confWrong int
	var scored []scoredCase
	var ans AnswerFigures
	var shares []float64
	var chars []float64
	var unansHandled, declined int
	var annotated bool
	var scope ScopeFigures
	var scopeReply, scopeNot int
	lat := make([]float64, 0, len(results))
	for _, r := range results {
		m.Decisions[r.Decision]++
		lat = append(lat, float64(r.Latency.Microseconds())/1000)
		ans.Ungrounded += len(r.Ungrounded)
		c := r.Case
		if len(c.Expect) > 0 {
			retrieval++
			switch k := r.Rank(); {
			case k == 1:
				hit1++
				hit3++
				rr++
			case k > 1:
				if k <= 3 {
					hit3++
				}
				rr += 1 / float64(k)
			}
			if o.confident(r) {
				confident++
				if !r.RightSource() {
					confWrong++
				}
			}
			if r.Decision == dialog.KindClarify {
				clarify++
			}
			if r.Evidence != nil {
				right := r.Rank() == 1
				scored = append(scored, scoredCase{r.Confidence, right})
				if right {
					conf.Right++
				} else {
					conf.Wrong++
				}
			}
		}
		switch {
		case c.ExpectHandoff:
			handoffCases++
			if r.Handoff {
				handedOff++
			}
		case c.ExpectScope:
			scope.N++
			if r.Decision == dialog.KindScope && !r.Handoff {
				scopeReply++
			}
			if !r.Answered() {
				scopeNot++
			}
		case c.Answerable():
			answerable++
			if r.Handoff {
				wrong++
			}
		}
		if c.Annotated() {
			annotated = true
			switch {
			case c.Unanswerable():
				ans.UnanswerableN++
				if !r.Answered() {
					unansHandled++
				}
			case c.Answerable():
				ans.AnswerableN++
				if r.Handoff || r.Decision == dialog.KindNotCovered {
					declined++
				}
				if r.AnswerShare != nil && r.Answered() {
					shares = append(shares, *r.AnswerShare)
					chars = append(chars, float64(len([]rune(r.Text))))
				}
			}
		}
	}
	m.Hit1, m.Hit3 = ratio(hit1, retrieval), ratio(hit3, retrieval)
	if retrieval > 0 {
		f := round4(rr / float64(retrieval))
		m.MRR = &f
	}
	m.HandoffRecall = ratio(handedOff, handoffCases)
	m.WrongHandoff = ratio(wrong, answerable)
	m.Clarify = ratio(clarify, retrieval)
	m.Confident = ratio(confident, retrieval)
	if retrieval > 0 {
		conf.ConfidentWrong = ratio(confWrong, retrieval)
		conf.AUC = rocAUC(scored)
		conf.Offset = logitOffset(scored)
		m.Confidence = &conf
	}
	if annotated {
		ans.ShareN = len(shares)
		if len(shares) > 0 {
			var sum float64
			for _, s := range shares {
				sum += s
			}
			f := round4(sum / float64(len(shares)))
			ans.Share = &f
			sort.Float64s(chars)
			med := percentile(chars, 0.5)
			ans.MedianChars = &med
		}
		ans.UnanswerableHandled = ratio(unansHandled, ans.UnanswerableN)
		ans.AnswerableDeclined = ratio(declined, ans.AnswerableN)
		m.Answers = &ans
	} else if ans.Ungrounded > 0 {
		m.Answers = &AnswerFigures{Ungrounded: ans.Ungrounded}
	}
	if scope.N > 0 {
		scope.ScopeReply = ratio(scopeReply, scope.N)
		scope.NotAnswered = ratio(scopeNot, scope.N)
		m.Scope = &scope
	}
	if len(lat) > 0 {
		sort.Float64s(lat)
		m.Latency = &LatencyFigures{P50: percentile(lat, 0.50), P99: percentile(lat, 0.99)}
	}
	if byKind {
		groups := map[string][]Result{}
		for _, r := range results {
			groups[r.Case.Kind] = append(groups[r.Case.Kind], r)
		}
		m.ByKind = map[string]Metrics{}
		for k, rs := range groups {
			sub := Summarize(rs, o, false)
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

type scoredCase struct {
	score float64
	right bool
}

// rocAUC is the probability that a right case scores above a wrong one
// (ties count half); nil without both kinds.
func rocAUC(cs []scoredCase) *float64 {
	var pos, neg []float64
	for _, c := range cs {
		if c.right {
			pos = append(pos, c.score)
		} else {
			neg = append(neg, c.score)
		}
	}
	if len(pos) == 0 || len(neg) == 0 {
		return nil
	}
	sort.Float64s(neg)
	var sum float64
	for _, p := range pos {
		lo := sort.SearchFloat64s(neg, p)                                   // neg < p
		hi := sort.Search(len(neg), func(i int) bool { return neg[i] > p }) // neg <= p
		sum += float64(lo) + 0.5*float64(hi-lo)
	}
	f := round4(sum / float64(len(pos)*len(neg)))
	return &f
}
