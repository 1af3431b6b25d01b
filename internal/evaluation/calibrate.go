package evaluation

import (
	"fmt"
	"io"

	"github.com/civibot/civibot/dialog"
)

// calibrationFolds is the k of the k-fold check of a fitted calibration.
const calibrationFolds = 5

// calibrationL2 keeps the fitted weights finite when the cases separate
// perfectly; small against the dozens of cases a fit needs.
const calibrationL2 = 0.5

// calibrationSamples labels the turns a search decided: answerable cases
// (an expected page, not "unanswerable") should be answered, cases that
// expect a handoff should not. Turns decided by an intent (a greeting, "a
// person please") carry no evidence and do not count.
func calibrationSamples(results []Result) []dialog.Sample {
	var out []dialog.Sample
	for _, r := range results {
		if r.Evidence == nil {
			continue
		}
		switch {
		case r.Case.ExpectHandoff:
			out = append(out, dialog.Sample{Evidence: *r.Evidence, Answer: false})
		case len(r.Case.Expect) > 0 && r.Case.Kind != "unanswerable":
			out = append(out, dialog.Sample{Evidence: *r.Evidence, Answer: true})
		}
	}
	return out
}

// handoffCounts are what a calibration does at the handoff threshold: how
// many answerable questions it hands off (wrongly), how many of the
// questions to hand off it does hand off, out of how many of each.
type handoffCounts struct {
	wrongN, caughtN   int
	answerable, other int
}

func (h handoffCounts) wrong() float64  { return share(h.wrongN, h.answerable) }
func (h handoffCounts) recall() float64 { return share(h.caughtN, h.other) }

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// add counts samples under cal into h.
func (h *handoffCounts) add(cal dialog.Calibration, samples []dialog.Sample, threshold float64) {
	for _, s := range samples {
		off := cal.Confidence(s.Evidence) < threshold
		switch {
		case s.Answer:
			h.answerable++
			if off {
				h.wrongN++
			}
		default:
			h.other++
			if off {
				h.caughtN++
			}
		}
	}
}

func countsOf(cal dialog.Calibration, samples []dialog.Sample, threshold float64) handoffCounts {
	var h handoffCounts
	h.add(cal, samples, threshold)
	return h
}

// crossValidated fits on all folds but one and counts on that one, for
// each fold: every question is counted once, by a model fitted without it.
func crossValidated(samples []dialog.Sample, threshold float64) (handoffCounts, error) {
	var total handoffCounts
	for k := range calibrationFolds {
		var train, test []dialog.Sample
		for i, s := range samples {
			if i%calibrationFolds == k {
				test = append(test, s)
			} else {
				train = append(train, s)
			}
		}
		cal, err := dialog.FitCalibration(train, calibrationL2)
		if err != nil {
			return handoffCounts{}, fmt.Errorf("fold %d of %d: %w", k+1, calibrationFolds, err)
		}
		total.add(cal, test, threshold)
	}
	return total, nil
}

// PrintCalibrationFit fits dialog.calibration to the cases and prints the
// fitted weights as config, with what the current and the fitted weights
// do at the handoff threshold (in sample and held out).
func PrintCalibrationFit(w io.Writer, results []Result, cfg dialog.Config) error {
	samples := calibrationSamples(results)
	fitted, err := dialog.FitCalibration(samples, calibrationL2)
	if err != nil {
		return err
	}
	cur := countsOf(cfg.Calibration, samples, cfg.HandoffThreshold)
	in := countsOf(fitted, samples, cfg.HandoffThreshold)
	fmt.Fprintf(w, "calibration fitted on %d turns decided by search: %d answerable, %d to hand off\n", len(samples), cur.answerable, cur.other)
	fmt.Fprintf(w, "at dialog.handoff_threshold %.2f:\n\n", cfg.HandoffThreshold)
	fmt.Fprintf(w, "%-32s %14s %14s\n", "", "wrong handoff", "handoff recall")
	row := func(name string, h handoffCounts) {
		fmt.Fprintf(w, "%-32s %14.3f %14.3f\n", name, h.wrong(), h.recall())
	}
	row("current weights", cur)
	row("fitted weights, on these cases", in)
	if cv, err := crossValidated(samples, cfg.HandoffThreshold); err != nil {
		fmt.Fprintf(w, "%-32s %s\n", fmt.Sprintf("fitted, %d-fold held out", calibrationFolds), "not enough cases: "+err.Error())
	} else {
		row(fmt.Sprintf("fitted, %d-fold held out", calibrationFolds), cv)
	}
	fmt.Fprintf(w, "\nTo use the fitted weights, put this in the config (held-out figures are the honest ones;\nfit on several case sets of your own city, with the embedder you serve with):\n\n")
	fmt.Fprintf(w, "dialog:\n  calibration:\n    bias: %g\n    coverage: %g\n    vector: %g\n    unknown: %g\n    margin: %g\n",
		fitted.Bias, fitted.Coverage, fitted.Vector, fitted.Unknown, fitted.Margin)
	return nil
}
