package evaluation

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/civibot/civibot/dialog"
)

// samplesFrom draws n turns whose rightness follows cal exactly.
func samplesFrom(cal dialog.Calibration, n int, seed uint64) []Sample {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]Sample, n)
	for i := range out {
		ev := dialog.Evidence{Coverage: rng.Float64(), Vector: rng.Float64() * 0.8, Unknown: rng.Float64() * 0.5, Margin: rng.Float64(),
			TitleNamed: rng.Float64()}
		out[i] = Sample{Evidence: ev, Right: rng.Float64() < cal.Confidence(ev), Set: []string{"a", "b"}[i%2]}
	}
	return out
}

func TestFitCalibration(t *testing.T) {
	truth := dialog.Calibration{Bias: -4, Coverage: 5, Vector: 3, Unknown: -2, Margin: 1.5, TitleNamed: 1}
	got, err := FitCalibration(samplesFrom(truth, 20000, 7), 0.1)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		name      string
		got, want float64
	}{
		{"bias", got.Bias, truth.Bias}, {"coverage", got.Coverage, truth.Coverage}, {"vector", got.Vector, truth.Vector},
		{"unknown", got.Unknown, truth.Unknown}, {"margin", got.Margin, truth.Margin}, {"title named", got.TitleNamed, truth.TitleNamed},
	} {
		if math.Abs(w.got-w.want) > 0.4 {
			t.Errorf("%s = %.2f, want %.2f ± 0.4 (fitted %+v)", w.name, w.got, w.want, got)
		}
	}
	f := Figures(got, samplesFrom(truth, 2000, 8), 0.5, 0.3)
	if f.AUC < 0.8 || f.Right == 0 || f.Wrong == 0 {
		t.Errorf("figures of the fitted model on fresh samples: %+v", f)
	}
}

func TestCalibrationOffset(t *testing.T) {
	truth := dialog.Calibration{Bias: -4, Coverage: 5, Vector: 3, Unknown: -2, Margin: 1.5, TitleNamed: 1}
	samples := samplesFrom(truth, 20000, 9)
	tests := []struct {
		name string
		cal  dialog.Calibration
		want float64
	}{
		{"the model the samples follow", truth, 0},
		{"a model 0.8 logits too low", func() dialog.Calibration { c := truth; c.Bias -= 0.8; return c }(), 0.8},
		{"a model 0.5 logits too high", func() dialog.Calibration { c := truth; c.Bias += 0.5; return c }(), -0.5},
	}
	for _, tt := range tests {
		if got := CalibrationOffset(tt.cal, samples); math.Abs(got-tt.want) > 0.1 {
			t.Errorf("%s: offset %.2f, want %.2f ± 0.1", tt.name, got, tt.want)
		}
	}
	right := Sample{Evidence: dialog.Evidence{Coverage: 1}, Right: true}
	if got := CalibrationOffset(truth, []Sample{right, right}); got != maxOffset {
		t.Errorf("only right samples: offset %.2f, want the bound %v", got, float64(maxOffset))
	}
	if got := CalibrationOffset(truth, nil); got != 0 {
		t.Errorf("no samples: offset %.2f, want 0", got)
	}
}

func TestFitCalibrationEdges(t *testing.T) {
	right := Sample{Evidence: dialog.Evidence{Coverage: 0.9, Vector: 0.6, Margin: 1}, Right: true}
	wrong := Sample{Evidence: dialog.Evidence{Coverage: 0.1, Vector: 0.1, Unknown: 0.5}}
	tests := []struct {
		name    string
		samples []Sample
		err     string
	}{
		{"no samples", nil, "need turns whose best page is right"},
		{"only right", []Sample{right, right}, "need turns whose best page is right"},
		{"only wrong", []Sample{wrong}, "need turns whose best page is right"},
		// Perfectly separable: the penalty keeps the weights finite, and
		// the fitted model still tells the two apart.
		{"separable", []Sample{right, right, wrong, wrong}, ""},
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
			for _, w := range cal.Weights() {
				if math.IsNaN(w) || math.IsInf(w, 0) || math.Abs(w) > 100 {
					t.Fatalf("weights not finite: %+v", cal)
				}
			}
			if a, o := cal.Confidence(right.Evidence), cal.Confidence(wrong.Evidence); a <= 0.5 || o >= 0.5 {
				t.Errorf("fitted %+v: right %.2f, wrong %.2f", cal, a, o)
			}
		})
	}
}
