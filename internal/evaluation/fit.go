package evaluation

import (
	"errors"
	"fmt"
	"math"

	"github.com/civibot/civibot/internal/logistic"
)

// Logistic models are fitted here by Newton's method with an L2 penalty:
// the ranking of candidate pages (pairwise: the right page against each
// wrong one) and the confidence that the best page is right.

// RankingQuery is one question's candidate pages for fitting the ranking:
// their features (knowledge.RankFeatures.Values) and which are right.
type RankingQuery struct {
	Set      string // the case set it comes from (sets weigh the same)
	Features [][]float64
	Right    []bool
}

// best is the index of the best-scored candidate under w.
func (q RankingQuery) best(w []float64) int {
	best, bestScore := -1, math.Inf(-1)
	for i, f := range q.Features {
		var s float64
		for j := range f {
			s += w[j] * f[j]
		}
		if s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}

// Hit1 is the share of queries whose best candidate under w is right.
func Hit1(qs []RankingQuery, w []float64) float64 {
	n := 0
	for _, q := range qs {
		if b := q.best(w); b >= 0 && q.Right[b] {
			n++
		}
	}
	if len(qs) == 0 {
		return 0
	}
	return float64(n) / float64(len(qs))
}

// FitRanking fits ranking weights to queries: pairwise logistic regression
// of the right candidate against each wrong one, every query weighing the
// same within its set and every set the same in total. Queries without a
// right candidate teach nothing and are skipped.
func FitRanking(qs []RankingQuery, l2 float64) ([]float64, error) {
	perSet := map[string]int{}
	for _, q := range qs {
		if hasRight(q) {
			perSet[q.Set]++
		}
	}
	var xs [][]float64
	var ys []bool
	var ws []float64
	for _, q := range qs {
		if !hasRight(q) {
			continue
		}
		var pairs [][2]int
		for i, ri := range q.Right {
			if !ri {
				continue
			}
			for j, rj := range q.Right {
				if !rj {
					pairs = append(pairs, [2]int{i, j})
				}
			}
		}
		if len(pairs) == 0 {
			continue
		}
		qw := 1 / float64(perSet[q.Set]) / float64(len(pairs)) * float64(len(qs)) / float64(len(perSet))
		for k, p := range pairs {
			a, b := q.Features[p[0]], q.Features[p[1]]
			x := make([]float64, len(a))
			// Alternate the order so both labels occur (no bias to fit).
			sign := 1.0
			if k%2 == 1 {
				sign = -1
			}
			for j := range a {
				x[j] = sign * (a[j] - b[j])
			}
			xs = append(xs, x)
			ys = append(ys, sign > 0)
			ws = append(ws, qw)
		}
	}
	if len(xs) == 0 {
		return nil, errors.New("evaluation: fit ranking: no question has its right page among the candidates")
	}
	w, err := logistic.Fit(xs, ys, ws, l2, nil)
	if err != nil {
		return nil, fmt.Errorf("evaluation: fit ranking: %w", err)
	}
	return w, nil
}

func hasRight(q RankingQuery) bool {
	for _, r := range q.Right {
		if r {
			return true
		}
	}
	return false
}

// FitRankingListwise fits ranking weights to queries by maximising the
// probability that a softmax over each question's candidates picks a right
// one (a conditional logit: it aims at the first place, where pairwise
// fitting weighs every pair the same). Sets weigh the same in total; l2
// keeps the weights finite.
func FitRankingListwise(qs []RankingQuery, l2 float64) ([]float64, error) {
	perSet := map[string]int{}
	var use []RankingQuery
	for _, q := range qs {
		if hasRight(q) && len(q.Features) > 1 {
			perSet[q.Set]++
			use = append(use, q)
		}
	}
	if len(use) == 0 {
		return nil, errors.New("evaluation: fit ranking: no question has its right page among several candidates")
	}
	d := len(use[0].Features[0])
	qweight := func(q RankingQuery) float64 {
		return 1 / float64(perSet[q.Set]) * float64(len(use)) / float64(len(perSet))
	}
	// loss is the weighted negative log-likelihood plus the penalty.
	loss := func(w []float64) float64 {
		var l float64
		for _, q := range use {
			s := scores(q.Features, w)
			l -= qweight(q) * (logSumExp(s, q.Right, true) - logSumExp(s, q.Right, false))
		}
		for _, x := range w {
			l += l2 / 2 * x * x
		}
		return l
	}
	w := make([]float64, d)
	cur := loss(w)
	for iter := 0; iter < 100; iter++ {
		grad := make([]float64, d)
		hess := make([][]float64, d)
		for j := range hess {
			hess[j] = make([]float64, d)
		}
		for _, q := range use {
			qw := qweight(q)
			s := scores(q.Features, w)
			all := softmax(s, nil)
			right := softmax(s, q.Right)
			mean, meanR := make([]float64, d), make([]float64, d)
			for i, x := range q.Features {
				for j := range d {
					mean[j] += all[i] * x[j]
					meanR[j] += right[i] * x[j]
				}
			}
			for i, x := range q.Features {
				for j := range d {
					for k := range d {
						hess[j][k] += qw * all[i] * (x[j] - mean[j]) * (x[k] - mean[k])
					}
				}
			}
			for j := range d {
				grad[j] += qw * (mean[j] - meanR[j])
			}
		}
		for j := range d {
			grad[j] += l2 * w[j]
			hess[j][j] += l2
		}
		step, err := logistic.Solve(hess, grad)
		if err != nil {
			return nil, fmt.Errorf("evaluation: fit ranking: %w", err)
		}
		// Backtrack until the loss falls.
		t := 1.0
		var next []float64
		var nl float64
		for ; t > 1e-6; t /= 2 {
			next = make([]float64, d)
			for j := range d {
				next[j] = w[j] - t*step[j]
			}
			if nl = loss(next); nl <= cur {
				break
			}
		}
		if t <= 1e-6 {
			break
		}
		w = next
		done := cur-nl < 1e-9
		cur = nl
		if done {
			break
		}
	}
	return w, nil
}

func scores(fs [][]float64, w []float64) []float64 {
	out := make([]float64, len(fs))
	for i, x := range fs {
		for j := range x {
			out[i] += w[j] * x[j]
		}
	}
	return out
}

// logSumExp over s (only where mask is true, when onlyMasked).
func logSumExp(s []float64, mask []bool, onlyMasked bool) float64 {
	mx := math.Inf(-1)
	for i, v := range s {
		if !onlyMasked || mask[i] {
			mx = math.Max(mx, v)
		}
	}
	var z float64
	for i, v := range s {
		if !onlyMasked || mask[i] {
			z += math.Exp(v - mx)
		}
	}
	return mx + math.Log(z)
}

// softmax of s, restricted to where mask is true (nil: everywhere).
func softmax(s []float64, mask []bool) []float64 {
	lse := logSumExp(s, mask, mask != nil)
	out := make([]float64, len(s))
	for i, v := range s {
		if mask == nil || mask[i] {
			out[i] = math.Exp(v - lse)
		}
	}
	return out
}
