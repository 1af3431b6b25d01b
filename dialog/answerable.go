package dialog

import "math"

// Answerability: the best page is about the question's topic, but does it
// say what was asked? A logistic model over what the chosen passage and
// the page hold of the question, fitted on the Integreat QA development
// set, where people marked for every question whether its page answers it
// (TestFitAnswerable, docs/benchmarks.md). Below answerableThreshold the
// bot says the page does not say it, with the link and a person offered,
// rather than quoting a paragraph that does not answer.

// Answerability features.
const (
	afBias = iota
	afAspectAsked
	afAspectMissing
	afSupport
	afPageSupport
	afBest
	afTopicOnly
	afCount
)

// answerWeights are the fitted weights of the answerability model.
var answerWeights = [afCount]float64{-2.4, 0.19, -0.49, 1.05, 1.76, 2.02, 0.27}

// answerableThreshold: a passage less likely than this to answer is not
// presented as the answer.
const answerableThreshold = 0.25

// crossThreshold is answerableThreshold for a question in another language
// than the page: its words reach the page through translations, which
// miss some, so the same evidence says more. At 0.15 English questions
// over German pages are declined about as often as German ones (Integreat
// dev: declined 0.226 → 0.179 against 0.155 in German, unanswerable not
// answered 0.487 → 0.445 against 0.479).
const crossThreshold = 0.15

// answerFeatures describes how far a passage answers a question.
func answerFeatures(q question, pass passage) [afCount]float64 {
	var x [afCount]float64
	x[afBias] = 1
	if q.aspect != aspectNone {
		x[afAspectAsked] = 1
		if !pass.aspectFound {
			x[afAspectMissing] = 1
		}
	}
	x[afSupport] = pass.support
	x[afPageSupport] = pass.pageSupport
	x[afBest] = pass.best
	if _, ok := q.shareOf(make([]bool, len(q.concepts))); !ok {
		x[afTopicOnly] = 1
	}
	return x
}

// answerable is the probability that the passage answers the question.
func answerable(x [afCount]float64) float64 {
	var z float64
	for i, w := range answerWeights {
		z += w * x[i]
	}
	return 1 / (1 + math.Exp(-z))
}
