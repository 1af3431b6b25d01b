package dialog

import (
	"errors"
	"fmt"
	"math"

	"github.com/civibot/civibot/knowledge"
)

// Evidence is the retrieval evidence of a turn's best page, the inputs of
// the Calibration.
type Evidence struct {
	// Coverage is the share of the question the page holds (0..1).
	Coverage float64 `json:"coverage"`
	// Vector is the page's cosine to the question.
	Vector float64 `json:"vector"`
	// Unknown is the share of the question's words no page knows (0..1).
	Unknown float64 `json:"unknown"`
	// Margin is min(1, 3 × the relative lead over the second page).
	Margin float64 `json:"margin"`
}

// evidenceOf reads the evidence of hits[0]; hits must not be empty.
func evidenceOf(hits []knowledge.Hit) Evidence {
	top := hits[0]
	margin := 1.0
	if len(hits) > 1 && top.Score > 0 {
		margin = (top.Score - hits[1].Score) / top.Score
	}
	words := len(top.Matched) + len(top.Missing)
	unknown := 0.0
	if words > 0 {
		unknown = float64(len(top.Unknown)) / float64(words)
	}
	return Evidence{Coverage: top.Coverage, Vector: top.Vector, Unknown: unknown, Margin: clamp01(3 * margin)}
}

// Confidence is the logistic model's probability for the evidence.
func (cal Calibration) Confidence(ev Evidence) float64 {
	z := cal.Bias + cal.Coverage*ev.Coverage + cal.Vector*ev.Vector + cal.Unknown*ev.Unknown + cal.Margin*ev.Margin
	return 1 / (1 + math.Exp(-z))
}

// Sample is one question's evidence and whether the bot should answer it
// (an answerable question) or not (out of scope).
type Sample struct {
	Evidence Evidence
	Answer   bool
}

// FitCalibration fits the logistic model to samples by Newton's method,
// with an L2 penalty of l2 on the weights (not the bias) that keeps them
// finite when the samples separate perfectly. The two kinds weigh the same
// in total, however many of each there are: case sets hold far more
// answerable questions than ones to hand off, and a handoff missed costs
// as much as many answered. It needs samples of both kinds.
func FitCalibration(samples []Sample, l2 float64) (Calibration, error) {
	var pos, neg int
	for _, s := range samples {
		if s.Answer {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return Calibration{}, fmt.Errorf("dialog: fit calibration: need answerable and out-of-scope questions (have %d and %d)", pos, neg)
	}
	n := float64(len(samples))
	weightOf := map[bool]float64{true: n / (2 * float64(pos)), false: n / (2 * float64(neg))}
	const dims = 5 // bias, coverage, vector, unknown, margin
	x := func(ev Evidence) [dims]float64 {
		return [dims]float64{1, ev.Coverage, ev.Vector, ev.Unknown, ev.Margin}
	}
	var w [dims]float64
	for iter := 0; iter < 100; iter++ {
		var grad [dims]float64
		var hess [dims][dims]float64
		for _, s := range samples {
			xi := x(s.Evidence)
			var z float64
			for j := range dims {
				z += w[j] * xi[j]
			}
			p := 1 / (1 + math.Exp(-z))
			y := 0.0
			if s.Answer {
				y = 1
			}
			sw := weightOf[s.Answer]
			for j := range dims {
				grad[j] += sw * (p - y) * xi[j]
				for k := range dims {
					hess[j][k] += sw * p * (1 - p) * xi[j] * xi[k]
				}
			}
		}
		for j := 1; j < dims; j++ {
			grad[j] += l2 * w[j]
			hess[j][j] += l2
		}
		hess[0][0] += 1e-9 // the bias is free; keep the system solvable
		step, err := solve(hess, grad)
		if err != nil {
			return Calibration{}, fmt.Errorf("dialog: fit calibration: %w", err)
		}
		var size float64
		for j := range dims {
			w[j] -= step[j]
			size = math.Max(size, math.Abs(step[j]))
		}
		if size < 1e-9 {
			break
		}
	}
	round := func(f float64) float64 { return math.Round(f*100) / 100 }
	return Calibration{Bias: round(w[0]), Coverage: round(w[1]), Vector: round(w[2]), Unknown: round(w[3]), Margin: round(w[4])}, nil
}

// solve solves a·x = b by Gaussian elimination with partial pivoting.
func solve(a [5][5]float64, b [5]float64) ([5]float64, error) {
	const n = 5
	for col := range n {
		piv := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		if math.Abs(a[piv][col]) < 1e-12 {
			return [5]float64{}, errors.New("the evidence does not vary enough to fit")
		}
		a[col], a[piv] = a[piv], a[col]
		b[col], b[piv] = b[piv], b[col]
		for r := col + 1; r < n; r++ {
			f := a[r][col] / a[col][col]
			for k := col; k < n; k++ {
				a[r][k] -= f * a[col][k]
			}
			b[r] -= f * b[col]
		}
	}
	var x [5]float64
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, nil
}
