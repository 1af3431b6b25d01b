package dialog

import (
	"math"

	"github.com/civibot/civibot/knowledge"
)

// Evidence is what a turn's search says about its best page: the inputs
// of the confidence model (Calibration). Each is 0..1.
type Evidence struct {
	// Coverage is the share of the question's words the page holds.
	Coverage float64 `json:"coverage"`
	// RareCoverage is the same with each word weighed by its rarity: the
	// page without the question's rarest word is rarely the answer.
	RareCoverage float64 `json:"rare_coverage"`
	// Vector is the page's cosine to the question.
	Vector float64 `json:"vector"`
	// Unknown is the share of the question's words no page knows.
	Unknown float64 `json:"unknown"`
	// Margin is min(1, 3 × the relative lead over the next page of a
	// different service).
	Margin float64 `json:"margin"`
	// TitleNamed and TitleCovered: how much of the question the page's
	// title names, and how much of the title the question holds.
	TitleNamed   float64 `json:"title_named"`
	TitleCovered float64 `json:"title_covered"`
	// SiblingMissing: what tells the page from its siblings that the
	// question does not name (a sibling's title words the question lacks).
	SiblingMissing float64 `json:"sibling_missing"`
	// Agreement is 1 when the page is also the best by BM25 and the best by
	// the vector, ½ when one of them.
	Agreement float64 `json:"agreement"`
	// CrossLanguage is 1 when the page is in another language than the
	// question (found through translations).
	CrossLanguage float64 `json:"cross_language"`
	// Short is 1 for a question of one content word.
	Short float64 `json:"short"`
	// Alias is the question's match with an alias of the page.
	Alias float64 `json:"alias"`
	// Passage is the share of the question's telling words (besides the
	// page's topic) that the page's best passage holds together; Sentence
	// is how likely its best sentence answers the question.
	Passage  float64 `json:"passage"`
	Sentence float64 `json:"sentence"`
}

// Values returns the evidence in the order of Calibration's weights.
func (ev Evidence) Values() []float64 {
	return []float64{1, ev.Coverage, ev.RareCoverage, ev.Vector, ev.Unknown, ev.Margin, ev.TitleNamed, ev.TitleCovered,
		ev.SiblingMissing, ev.Agreement, ev.CrossLanguage, ev.Short, ev.Alias, ev.Passage, ev.Sentence}
}

// Calibration is a logistic model of "the best page is the right page":
// confidence = 1/(1+e^-z), z = Bias + Σ weight × evidence. The defaults
// were fitted on the development sets (sample city, Berlin, Integreat in
// and across languages; docs/benchmarks.md) with the local embedder; a
// remote embedder's cosines have another scale: refit with
// `civibot eval --fit-calibration`.
type Calibration struct {
	Bias           float64 `yaml:"bias"`
	Coverage       float64 `yaml:"coverage"`
	RareCoverage   float64 `yaml:"rare_coverage"`
	Vector         float64 `yaml:"vector"`
	Unknown        float64 `yaml:"unknown"`
	Margin         float64 `yaml:"margin"`
	TitleNamed     float64 `yaml:"title_named"`
	TitleCovered   float64 `yaml:"title_covered"`
	SiblingMissing float64 `yaml:"sibling_missing"`
	Agreement      float64 `yaml:"agreement"`
	CrossLanguage  float64 `yaml:"cross_language"`
	Short          float64 `yaml:"short"`
	Alias          float64 `yaml:"alias"`
	Passage        float64 `yaml:"passage"`
	Sentence       float64 `yaml:"sentence"`
}

// Weights returns the model's weights in the order of Evidence.Values.
func (cal Calibration) Weights() []float64 {
	return []float64{cal.Bias, cal.Coverage, cal.RareCoverage, cal.Vector, cal.Unknown, cal.Margin, cal.TitleNamed,
		cal.TitleCovered, cal.SiblingMissing, cal.Agreement, cal.CrossLanguage, cal.Short, cal.Alias, cal.Passage, cal.Sentence}
}

// CalibrationFrom builds a model from weights in the order of
// Evidence.Values.
func CalibrationFrom(w []float64) Calibration {
	return Calibration{Bias: w[0], Coverage: w[1], RareCoverage: w[2], Vector: w[3], Unknown: w[4], Margin: w[5],
		TitleNamed: w[6], TitleCovered: w[7], SiblingMissing: w[8], Agreement: w[9], CrossLanguage: w[10], Short: w[11], Alias: w[12],
		Passage: w[13], Sentence: w[14]}
}

// DefaultCalibration is fitted for the local embedder. The development
// sets hold no aliases, so the fit cannot weigh them: Alias is set by hand
// instead. An alias is a question an administrator accepted as asking for
// the page, and only a near-restatement matches it (from 0.8, see
// knowledge.aliasMinMatch), so a match lifts the confidence by 2.4 to 3
// logits: from the handoff band into the answer band for a question the
// page's own words could not decide (0.23 → 0.86 for the sample city's
// dog page asked "Bei uns wohnt seit gestern ein Vierbeiner …").
//
// CrossLanguage is refitted alone, the other weights held: with -0.72
// the confidence a decision is made with (after an answer's caps) was too
// low by 0.32 logits on English questions over German pages and by 0.52
// on German questions over English pages ("too low by" in civibot eval's
// report; the same questions in one language are off by -0.04 and
// -0.13), so the handoff threshold declined answerable questions asked
// across languages that it answered in one. The model's raw confidence
// shows the gap less clearly (TestFitConfidence, docs/benchmarks.md).
// -0.40 is the fit on English over German pages; over the sets that mix
// both (Berlin, Hamburg) the confidence separates right from wrong pages
// better with it (docs/benchmarks.md).
func DefaultCalibration() Calibration {
	return Calibration{Bias: -3.79, Coverage: 0.94, RareCoverage: 0.75, Vector: 1.05, Unknown: -1.6, Margin: 2.09,
		TitleNamed: 0.67, TitleCovered: 0.03, SiblingMissing: -0.23, Agreement: 0.89, CrossLanguage: -0.4, Short: -0.12,
		Alias: 3, Passage: 0.01, Sentence: 1.61}
}

// Confidence is the model's probability for the evidence.
func (cal Calibration) Confidence(ev Evidence) float64 {
	var z float64
	w := cal.Weights()
	for i, x := range ev.Values() {
		z += w[i] * x
	}
	return 1 / (1 + math.Exp(-z))
}

// evidenceOf reads the evidence of hits[0] in a question of lang; hits
// must not be empty.
func evidenceOf(hits []knowledge.Hit, lang string) Evidence {
	top := hits[0]
	f := top.Features
	ev := Evidence{Coverage: top.Coverage, RareCoverage: f.RareCoverage, Vector: top.Vector, TitleNamed: f.TitleNamed,
		TitleCovered: f.TitleCovered, SiblingMissing: math.Min(1, f.SiblingMissing), Alias: f.Alias, Margin: 1}
	if words := len(top.Matched) + len(top.Missing); words > 0 {
		ev.Unknown = float64(len(top.Unknown)) / float64(words)
		if words == 1 {
			ev.Short = 1
		}
	}
	for _, h := range hits[1:] {
		if sameService(top.Page, h.Page) {
			continue
		}
		if top.Score > 0 {
			ev.Margin = clamp01(3 * (top.Score - h.Score) / top.Score)
		}
		break
	}
	lexTop, vecTop := true, true
	for _, h := range hits[1:] {
		if h.Features.Lexical > f.Lexical {
			lexTop = false
		}
		if h.Vector > top.Vector {
			vecTop = false
		}
	}
	if lexTop {
		ev.Agreement += 0.5
	}
	if vecTop {
		ev.Agreement += 0.5
	}
	if lang != "" && top.Page.Language != "" && top.Page.Language != lang {
		ev.CrossLanguage = 1
	}
	return ev
}
