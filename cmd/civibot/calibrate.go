package main

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
func calibrationSamples(results []caseResult) []dialog.Sample {
	var out []dialog.Sample
	for _, r := range results {
		if r.evidence == nil {
			continue
		}
		switch {
		case r.c.ExpectHandoff:
			out = append(out, dialog.Sample{Evidence: *r.evidence, Answer: false})
		case len(r.c.Expect) > 0 && r.c.Kind != "unanswerable":
			out = append(out, dialog.Sample{Evidence: *r.evidence, Answer: true})
		}
	}
	return out
}

// handoffRates are what a calibration does at the handoff threshold:
// the share of answerable questions it hands off (wrongly) and of the
// questions to hand off it does hand off.
type handoffRates struct {
	wrong, recall     float64
	answerable, other int
}

func ratesOf(cal dialog.Calibration, samples []dialog.Sample, threshold float64) handoffRates {
	var r handoffRates
	var wrong, caught int
	for _, s := range samples {
		off := cal.Confidence(s.Evidence) < threshold
		if s.Answer {
			r.answerable++
			if off {
				wrong++
			}
		} else {
			r.other++
			if off {
				caught++
			}
		}
	}
	if r.answerable > 0 {
		r.wrong = float64(wrong) / float64(r.answerable)
	}
	if r.other > 0 {
		r.recall = float64(caught) / float64(r.other)
	}
	return r
}

// crossValidated fits on all folds but one and measures on that one, for
// each fold, and adds up what the held-out questions saw.
func crossValidated(samples []dialog.Sample, threshold float64) (handoffRates, error) {
	var wrong, caught float64
	var total handoffRates
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
			return handoffRates{}, fmt.Errorf("fold %d of %d: %w", k+1, calibrationFolds, err)
		}
		r := ratesOf(cal, test, threshold)
		wrong += r.wrong * float64(r.answerable)
		caught += r.recall * float64(r.other)
		total.answerable += r.answerable
		total.other += r.other
	}
	if total.answerable > 0 {
		total.wrong = wrong / float64(total.answerable)
	}
	if total.other > 0 {
		total.recall = caught / float64(total.other)
	}
	return total, nil
}

// printCalibrationFit fits dialog.calibration to the cases and prints the
// fitted weights as config, with what the current and the fitted weights
// do at the handoff threshold (in sample and held out).
func printCalibrationFit(w io.Writer, results []caseResult, cfg dialog.Config) error {
	samples := calibrationSamples(results)
	fitted, err := dialog.FitCalibration(samples, calibrationL2)
	if err != nil {
		return err
	}
	cur := ratesOf(cfg.Calibration, samples, cfg.HandoffThreshold)
	in := ratesOf(fitted, samples, cfg.HandoffThreshold)
	fmt.Fprintf(w, "calibration fitted on %d turns decided by search: %d answerable, %d to hand off\n", len(samples), cur.answerable, cur.other)
	fmt.Fprintf(w, "at dialog.handoff_threshold %.2f:\n\n", cfg.HandoffThreshold)
	fmt.Fprintf(w, "%-32s %14s %14s\n", "", "wrong handoff", "handoff recall")
	row := func(name string, r handoffRates) {
		fmt.Fprintf(w, "%-32s %14.3f %14.3f\n", name, r.wrong, r.recall)
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
