package evaluation

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/logistic"
)

// The confidence model (dialog.Calibration) says how likely a turn's best
// page is the right one. It is fitted on turns a search decided: a case
// whose best page is an expected one is right; one whose best page is not,
// or a question that should not be answered from a page at all (hand-off
// and out-of-scope cases), is wrong.

// calibrationFolds is the k of the k-fold check of a fitted calibration.
const calibrationFolds = 5

// calibrationL2 keeps the fitted weights finite when the cases separate
// perfectly; small against the hundreds of turns a fit needs.
const calibrationL2 = 0.5

// Sample is one turn's evidence, whether its best page was right, and the
// case set it comes from (sets weigh the same in a fit).
type Sample struct {
	Evidence dialog.Evidence
	Right    bool
	Set      string
}

// CalibrationSamples labels the turns a search decided.
func CalibrationSamples(results []Result, set string) []Sample {
	var out []Sample
	for _, r := range results {
		if r.Evidence == nil {
			continue
		}
		switch {
		case r.Case.ExpectHandoff || r.Case.ExpectScope:
			out = append(out, Sample{Evidence: *r.Evidence, Right: false, Set: set})
		case len(r.Case.Expect) > 0:
			out = append(out, Sample{Evidence: *r.Evidence, Right: r.Rank() == 1, Set: set})
		}
	}
	return out
}

// FitCalibration fits the confidence model to samples (logistic
// regression; every set weighs the same in total; the bias is free, the
// weights have an L2 penalty l2). It needs right and wrong samples.
func FitCalibration(samples []Sample, l2 float64) (dialog.Calibration, error) {
	var right, wrong int
	perSet := map[string]int{}
	for _, s := range samples {
		perSet[s.Set]++
		if s.Right {
			right++
		} else {
			wrong++
		}
	}
	if right == 0 || wrong == 0 {
		return dialog.Calibration{}, fmt.Errorf("evaluation: fit calibration: need turns whose best page is right and turns whose best page is wrong or that should not be answered (have %d and %d)", right, wrong)
	}
	xs := make([][]float64, len(samples))
	ys := make([]bool, len(samples))
	ws := make([]float64, len(samples))
	for i, s := range samples {
		xs[i] = s.Evidence.Values()
		ys[i] = s.Right
		ws[i] = float64(len(samples)) / float64(len(perSet)) / float64(perSet[s.Set])
	}
	w, err := logistic.Fit(xs, ys, ws, l2, map[int]bool{0: true})
	if err != nil {
		return dialog.Calibration{}, fmt.Errorf("evaluation: fit calibration: %w", err)
	}
	for i := range w {
		w[i] = math.Round(w[i]*100) / 100
	}
	return dialog.CalibrationFrom(w), nil
}

// CalibrationOffset is the shift of the model's confidence, in logits,
// that best fits the samples (maximum likelihood): 0 when the confidence
// means what it says on them, above 0 when it is too low, below 0 when it
// is too high. It is a fit of one shift with every confidence fixed, which
// logistic.Fit (weights over features, no fixed offsets) does not model.
func CalibrationOffset(cal dialog.Calibration, samples []Sample) float64 {
	scored := make([]scoredCase, len(samples))
	for i, s := range samples {
		scored[i] = scoredCase{cal.Confidence(s.Evidence), s.Right}
	}
	return logitOffset(scored)
}

// logitOffset is CalibrationOffset of confidences already scored.
func logitOffset(scored []scoredCase) float64 {
	zs := make([]float64, len(scored))
	for i, s := range scored {
		c := math.Min(math.Max(s.score, 1e-9), 1-1e-9)
		zs[i] = math.Log(c / (1 - c))
	}
	// Newton's method on the log-likelihood, which is concave in the
	// shift; the shift stays within ±maxOffset when the samples are all
	// right or all wrong.
	d := 0.0
	for range 100 {
		var g, h float64
		for i, z := range zs {
			p := 1 / (1 + math.Exp(-(z + d)))
			if scored[i].right {
				g += 1 - p
			} else {
				g -= p
			}
			h += p * (1 - p)
		}
		if h == 0 {
			break
		}
		step := g / h
		d = math.Max(-maxOffset, math.Min(maxOffset, d+step))
		if math.Abs(step) < 1e-9 {
			break
		}
	}
	return math.Round(d*100) / 100
}

// maxOffset bounds CalibrationOffset, in logits.
const maxOffset = 10

// CalibrationFigures are what a model does on samples: how well its
// confidence separates right from wrong best pages, and at the engine's
// thresholds how many wrong pages it would answer outright and how many
// right ones it would hand off.
type CalibrationFigures struct {
	AUC            float64
	ConfidentWrong float64 // wrong best pages at or above the answer threshold, among all samples
	RightHandedOff float64 // right best pages below the handoff threshold, among right ones
	Right, Wrong   int
}

// Figures computes CalibrationFigures of cal on samples.
func Figures(cal dialog.Calibration, samples []Sample, answerAt, handoffBelow float64) CalibrationFigures {
	var f CalibrationFigures
	var scored []scoredCase
	var cw, rh int
	for _, s := range samples {
		c := cal.Confidence(s.Evidence)
		scored = append(scored, scoredCase{c, s.Right})
		if s.Right {
			f.Right++
			if c < handoffBelow {
				rh++
			}
		} else {
			f.Wrong++
			if c >= answerAt {
				cw++
			}
		}
	}
	if a := rocAUC(scored); a != nil {
		f.AUC = *a
	}
	if n := len(samples); n > 0 {
		f.ConfidentWrong = float64(cw) / float64(n)
	}
	if f.Right > 0 {
		f.RightHandedOff = float64(rh) / float64(f.Right)
	}
	return f
}

// crossValidated fits on all folds but one and scores that one, for each
// fold: every sample is scored by a model fitted without it.
func crossValidated(samples []Sample, answerAt, handoffBelow float64) (CalibrationFigures, error) {
	var scored []scoredCase
	var f CalibrationFigures
	var cw, rh int
	for k := range calibrationFolds {
		var train, test []Sample
		for i, s := range samples {
			if i%calibrationFolds == k {
				test = append(test, s)
			} else {
				train = append(train, s)
			}
		}
		cal, err := FitCalibration(train, calibrationL2)
		if err != nil {
			return f, fmt.Errorf("fold %d of %d: %w", k+1, calibrationFolds, err)
		}
		for _, s := range test {
			c := cal.Confidence(s.Evidence)
			scored = append(scored, scoredCase{c, s.Right})
			if s.Right {
				f.Right++
				if c < handoffBelow {
					rh++
				}
			} else {
				f.Wrong++
				if c >= answerAt {
					cw++
				}
			}
		}
	}
	a := rocAUC(scored)
	if a == nil {
		return f, errors.New("held out: need right and wrong samples")
	}
	f.AUC = *a
	f.ConfidentWrong = float64(cw) / float64(len(samples))
	if f.Right > 0 {
		f.RightHandedOff = float64(rh) / float64(f.Right)
	}
	return f, nil
}

// PrintCalibrationFit fits dialog.calibration to the results and prints
// the fitted weights as config, with what the current and the fitted
// weights do (in sample and held out).
func PrintCalibrationFit(w io.Writer, results []Result, cfg dialog.Config) error {
	samples := CalibrationSamples(results, "")
	fitted, err := FitCalibration(samples, calibrationL2)
	if err != nil {
		return err
	}
	cur := Figures(cfg.Calibration, samples, cfg.AnswerThreshold, cfg.HandoffThreshold)
	in := Figures(fitted, samples, cfg.AnswerThreshold, cfg.HandoffThreshold)
	fmt.Fprintf(w, "calibration fitted on %d turns decided by search: best page right %d, wrong or not to be answered %d\n", len(samples), cur.Right, cur.Wrong)
	fmt.Fprintf(w, "at dialog.answer_threshold %.2f and dialog.handoff_threshold %.2f:\n\n", cfg.AnswerThreshold, cfg.HandoffThreshold)
	fmt.Fprintf(w, "%-32s %8s %15s %17s\n", "", "ROC AUC", "confident wrong", "right handed off")
	row := func(name string, f CalibrationFigures) {
		fmt.Fprintf(w, "%-32s %8.3f %15.3f %17.3f\n", name, f.AUC, f.ConfidentWrong, f.RightHandedOff)
	}
	row("current weights", cur)
	row("fitted weights, on these cases", in)
	if cv, err := crossValidated(samples, cfg.AnswerThreshold, cfg.HandoffThreshold); err != nil {
		fmt.Fprintf(w, "%-32s %s\n", fmt.Sprintf("fitted, %d-fold held out", calibrationFolds), "not enough cases: "+err.Error())
	} else {
		row(fmt.Sprintf("fitted, %d-fold held out", calibrationFolds), cv)
	}
	fmt.Fprintf(w, "\nTo use the fitted weights, put this in the config (held-out figures are the honest ones;\nfit on several case sets of your own city, with the embedder you serve with):\n\n")
	fmt.Fprint(w, CalibrationYAML(fitted))
	return nil
}

// CalibrationYAML is the config block of a model.
func CalibrationYAML(c dialog.Calibration) string {
	return fmt.Sprintf("dialog:\n  calibration:\n    bias: %g\n    coverage: %g\n    rare_coverage: %g\n    vector: %g\n    unknown: %g\n    margin: %g\n    title_named: %g\n    title_covered: %g\n    sibling_missing: %g\n    agreement: %g\n    cross_language: %g\n    short: %g\n    alias: %g\n    passage: %g\n    sentence: %g\n",
		c.Bias, c.Coverage, c.RareCoverage, c.Vector, c.Unknown, c.Margin, c.TitleNamed, c.TitleCovered, c.SiblingMissing, c.Agreement, c.CrossLanguage, c.Short, c.Alias,
		c.Passage, c.Sentence)
}
