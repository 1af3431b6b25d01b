package dialog

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// samplesFrom draws n questions whose answerability follows cal exactly.
func samplesFrom(cal Calibration, n int, seed uint64) []Sample {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]Sample, n)
	for i := range out {
		ev := Evidence{Coverage: rng.Float64(), Vector: rng.Float64() * 0.8, Unknown: rng.Float64() * 0.5, Margin: rng.Float64()}
		out[i] = Sample{Evidence: ev, Answer: rng.Float64() < cal.Confidence(ev)}
	}
	return out
}

func TestFitCalibration(t *testing.T) {
	truth := Calibration{Bias: -4, Coverage: 5, Vector: 3, Unknown: -2, Margin: 1.5}
	got, err := FitCalibration(samplesFrom(truth, 20000, 7), 0.1)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		name      string
		got, want float64
	}{
		{"bias", got.Bias, truth.Bias}, {"coverage", got.Coverage, truth.Coverage}, {"vector", got.Vector, truth.Vector},
		{"unknown", got.Unknown, truth.Unknown}, {"margin", got.Margin, truth.Margin},
	} {
		if math.Abs(w.got-w.want) > 0.4 {
			t.Errorf("%s = %.2f, want %.2f ± 0.4 (fitted %+v)", w.name, w.got, w.want, got)
		}
	}
}

func TestFitCalibrationEdges(t *testing.T) {
	answerable := Sample{Evidence: Evidence{Coverage: 0.9, Vector: 0.6, Margin: 1}, Answer: true}
	outOfScope := Sample{Evidence: Evidence{Coverage: 0.1, Vector: 0.1, Unknown: 0.5}}
	tests := []struct {
		name    string
		samples []Sample
		err     string
	}{
		{"no samples", nil, "need answerable and out-of-scope"},
		{"only answerable", []Sample{answerable, answerable}, "need answerable and out-of-scope"},
		{"only out of scope", []Sample{outOfScope}, "need answerable and out-of-scope"},
		// Perfectly separable: the penalty keeps the weights finite, and
		// the fitted model still tells the two apart.
		{"separable", []Sample{answerable, answerable, outOfScope, outOfScope}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal, err := FitCalibration(tt.samples, 1)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range []float64{cal.Bias, cal.Coverage, cal.Vector, cal.Unknown, cal.Margin} {
				if math.IsNaN(w) || math.IsInf(w, 0) || math.Abs(w) > 100 {
					t.Fatalf("weights not finite: %+v", cal)
				}
			}
			if a, o := cal.Confidence(answerable.Evidence), cal.Confidence(outOfScope.Evidence); a <= 0.5 || o >= 0.5 {
				t.Errorf("fitted %+v: answerable %.2f, out of scope %.2f", cal, a, o)
			}
		})
	}
}
