package dialog

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/knowledge"
)

// Answers are extractive: the citizen reads sentences of the city's page,
// verbatim, with its link. Which sentences depends on what was asked: the
// passage of the page — a few consecutive sentences or list items within
// one section — that holds most of the question's telling words and, when
// the question asks an aspect (a fee, a deadline, documents, …), the
// sentences that look like the answer to it.

// composeLimits depend on the channel's style.
type composeLimits struct {
	// chars is the budget of quoted text; a passage ends before the
	// sentence that would exceed it (one sentence is always shown).
	chars int
	// items is the most list items shown.
	items int
	// sentences is the most sentences (besides list items) shown; 0: as
	// many as fit.
	sentences int
	// spoken: the answer is read out, so a line that is only a web
	// address is not added to it.
	spoken bool
}

func limitsFor(style Style) composeLimits {
	switch style {
	case StyleShort:
		return composeLimits{chars: 280, items: 4, sentences: 3}
	case StyleSpoken:
		return composeLimits{chars: 320, items: 4, sentences: 3, spoken: true}
	}
	return composeLimits{chars: fullChars, items: 8}
}

// fullChars is the length of a full answer (title and quoted text), so
// that a citizen reads a short paragraph, not the page.
const fullChars = 585

// forTitle shortens the budget of a full answer by its title line.
func (l composeLimits) forTitle(title string, style Style) composeLimits {
	if style == StyleFull {
		l.chars = max(l.chars-len([]rune(title))-1, fullChars/2)
	}
	return l
}

// Sentence scoring: a logistic model of "this sentence answers the
// question" over the features below, fitted on the Integreat QA
// development set's annotated answer sentences (TestFitSentences,
// docs/benchmarks.md). A passage is the run of consecutive sentences
// within one section, inside the budget, with the most probability above
// passageFloor.
const (
	// topicFactor: a question word the page's title names says what the
	// page is about, not which of its sentences answers; it counts this
	// much in the question's weight.
	topicFactor = 0.35
	// passageFloor: a sentence adds its probability minus this to its
	// passage (0.15 before long answers could run on, see extraChars; at
	// 0.2 a run of unlikely sentences no longer outweighs the likeliest
	// one: Integreat answer share 0.710 → 0.724 German, 0.754 → 0.764
	// English at the same median length).
	passageFloor = 0.2
	// unionWeight: a passage scores this much for holding all the question's
	// telling words together (proportionally for a part): the answer is
	// where the question's words meet.
	unionWeight = 3.0
)

// sentenceFeature indexes the features of a sentence.
const (
	sfBias = iota
	sfOverlap
	sfTopic
	sfAspectSection
	sfAspectCue
	sfPosition
	sfEarly
	sfPrev
	sfNext
	sfItem
	sfLead
	sfShort
	sfBlock
	sfCount
)

// sentenceWeights are the fitted weights of the sentence model, in the
// order of the sf* features. The weight of sfAspectSection is set by hand:
// Integreat's pages have no typed sections, so its data cannot say how
// much a "Gebühren" section answers a fee question; city service pages
// (Berlin, Hamburg, the sample city) are built that way. So is the weight
// of sfBlock, chosen on the passages it picks (the logistic fit gives 0.5,
// which picks the same passages as none): at 1.0 the Integreat answer
// share of TestFitSentences' passages rose 0.741 → 0.746 (de), 0.748 →
// 0.752 (en); at 2.0 it falls again.
var sentenceWeights = [sfCount]float64{-0.87, 1.01, 0.22, aspectSectionWeight, 0.72, -0.26, 0.96, 0.57, 0.23, 0.31, 0, -0.2, 1.0}

// aspectSectionWeight: a sentence in the section the asked aspect has.
const aspectSectionWeight = 2.0

// question is what composition knows of a question.
type question struct {
	text     string
	lang     string
	aspect   aspect
	concepts []knowledge.Concept
	weights  []float64 // per concept: how telling it is (rarity), topic words damped
	topic    []bool    // per concept: the page's title names it
	// known: per concept, some page of the city holds it in some form. A
	// word none does ("wozu", "gelehrt") cannot be in an answer: its
	// absence says nothing of whether this page answers.
	known []bool
	// part: per concept, the title names it in one of the several
	// subjects it names ("Medikamente" of "Apotheke und Medikamente"; nil:
	// none). Such a word tells which part of the page answers, so passage
	// choice counts it as a telling word; the evidence of whether the page
	// answers counts it as the topic (see evidence).
	part []bool
	// cross: the question is in another language than the page.
	cross bool
	// own: per concept, the ways to find the word itself or its compound
	// parts, without its synonyms and related words.
	own []knowledge.Concept
	// credit: across languages, per concept and way, how fully a sentence
	// that holds the word that way holds it: the way's weight against the
	// surest way the city's pages know (see translationCredit); nil in
	// one language.
	credit [][]float64
}

// passage is what an answer quotes: consecutive sentences of one page.
type passage struct {
	sentences []sentence
	// support is the share of the question's telling words (besides the
	// page's topic) the passage holds, 0..1; pageSupport the same for the
	// whole page.
	support, pageSupport float64
	// aspectFound: the page has a section or a sentence for the asked
	// aspect (true when none was asked).
	aspectFound bool
	// best is the probability of the passage's likeliest answer sentence
	// (without sfBlock, see scored.plain).
	best float64
	// overlap is the largest share of the question's telling words one
	// sentence of the passage holds; aspectShown: a sentence of the passage
	// looks like the asked aspect's answer or is in its section.
	overlap     float64
	aspectShown bool
	// missing is the rarity of the most telling word of the question
	// (besides the page's topic) that the city's pages know but this page
	// lacks (0: none).
	missing float64
}

// newQuestion analyses a question against the page it will be answered
// from.
func (e *Engine) newQuestion(text, lang string, asked aspect, page *knowledge.Page) question {
	q := question{text: text, lang: lang, concepts: e.an.Concepts(text, lang), cross: page.Language != "" && lang != "" && page.Language != lang}
	title := map[string]bool{}
	for _, t := range e.an.Terms(page.Title, page.Language) {
		title[t] = true
	}
	asked = e.pageAspect(asked, text, q.concepts, title, page.Title, q.cross)
	q.aspect = asked
	var nouns map[string]bool
	if lang == "de" {
		nouns = germanNouns(text)
	}
	q.weights = make([]float64, len(q.concepts))
	q.topic = make([]bool, len(q.concepts))
	q.known = make([]bool, len(q.concepts))
	parts := e.titleParts(page)
	for i, c := range q.concepts {
		w := e.conceptRarity(c, q.cross)
		q.topic[i] = c.In(func(t string) bool { return title[t] })
		part := q.topic[i] && partOnly(c, parts)
		// A word that asks the aspect ("Unterlagen", "kostet") is rarely in
		// the sentences that answer it ("ein biometrisches Passfoto"): it
		// counts like the topic.
		if rule := ruleOf(e.aspects, asked); rule != nil && rule.question.MatchString(fold(c.Word)) && !namesMore(rule, c) {
			q.topic[i], part = true, false
		}
		// A number the citizen gives ("Mein Kind ist 10", "for 3 people")
		// is their case, not a word the answer repeats: a page that names
		// the number ("Ottenser Marktplatz 10", "10,00 EUR") says so by
		// chance.
		if isNumber(c.Word) {
			q.topic[i], part = true, false
		}
		if part {
			if q.part == nil {
				q.part = make([]bool, len(q.concepts))
			}
			q.part[i] = true
			q.topic[i] = false
			w *= partFactor
		}
		if q.topic[i] {
			w *= topicFactor
		}
		if len(nouns) > 0 && !nouns[c.Word] {
			w *= verbFactor
		}
		q.known[i] = e.knownConcept(c)
		q.weights[i] = w
	}
	q.own = make([]knowledge.Concept, len(q.concepts))
	for i, c := range q.concepts {
		q.own[i] = knowledge.Concept{Ways: c.OwnWays()}
	}
	if q.cross {
		q.credit = make([][]float64, len(q.concepts))
		for i, c := range q.concepts {
			q.credit[i] = e.translationCredit(c)
		}
	}
	return q
}

// titleSeparator splits a title that names several subjects ("Apotheke
// und Medikamente", "Münchens Bahnhöfe / ZOB / Flughafen", "Hausordnung,
// Mülltrennung und Energiesparen").
var titleSeparator = regexp.MustCompile(`\s+(?:und|and|&|sowie)\s+|\s*[/,;]\s*`)

// partFactor: a question word that names one of the several subjects a
// title names counts this much.
const partFactor = 0.6

// titleParts returns the terms of each subject a page's title names that
// a heading of the page names too ("Apotheke und Medikamente" over the
// headings "Apotheke" and "Medikamente"); nil when fewer than two are.
// Without the headings a title's "und" is as often inside one subject:
// "Strom und Energie sparen", "Office for Youth and Family".
func (e *Engine) titleParts(page *knowledge.Page) []map[string]bool {
	if v, ok := e.subjects.Load(page.ID); ok {
		return v.([]map[string]bool)
	}
	parts := e.findTitleParts(page)
	e.subjects.Store(page.ID, parts)
	return parts
}

// findTitleParts is titleParts without the cache.
func (e *Engine) findTitleParts(page *knowledge.Page) []map[string]bool {
	split := titleSeparator.Split(page.Title, -1)
	if len(split) < 2 {
		return nil
	}
	var parts []map[string]bool
	for _, s := range split {
		terms := map[string]bool{}
		for _, t := range e.an.Terms(s, page.Language) {
			terms[t] = true
		}
		if len(terms) > 0 {
			parts = append(parts, terms)
		}
	}
	if len(parts) < 2 {
		return nil
	}
	var headings [][]string
	for _, h := range e.headingSentences(page) {
		if h.text != "" {
			headings = append(headings, h.own)
		}
	}
	for _, sents := range e.sentences(page) {
		for _, s := range sents {
			if headingLike(s) {
				headings = append(headings, s.own)
			}
		}
	}
	// A heading names a subject when its own words (not their synonyms)
	// hold every term of it, its expansions too: a strict test, so a
	// subject whose word the lexicon expands is named only by a heading
	// that says the expansion as well. Read by concepts (each of the
	// subject's words in any of its forms) it confirmed more subjects and
	// answered worse: one right page declined, Integreat answer shares 3
	// down and 1 up (docs/benchmarks.md).
	holds := func(own []string, part map[string]bool) bool {
		n := 0
		for _, t := range own {
			if part[t] {
				n++
			}
		}
		return n == len(part)
	}
	confirmed := make([]map[string]bool, 0, len(parts))
	for _, part := range parts {
		if slices.ContainsFunc(headings, func(own []string) bool {
			// A heading that names every subject is the title again.
			return holds(own, part) && slices.ContainsFunc(parts, func(p map[string]bool) bool { return !holds(own, p) })
		}) {
			confirmed = append(confirmed, part)
		}
	}
	if len(confirmed) < 2 {
		return nil
	}
	return confirmed
}

// partOnly reports whether c is named by some but not all of a title's
// subjects: it says which part of the page the question asks about.
func partOnly(c knowledge.Concept, parts []map[string]bool) bool {
	in := 0
	for _, p := range parts {
		if c.In(func(t string) bool { return p[t] }) {
			in++
		}
	}
	return in > 0 && in < len(parts)
}

// evidence is the question as the confidence and answerability models
// read it: a word one of the title's subjects names is the page's topic.
func (q *question) evidence() *question {
	if q.part == nil {
		return q
	}
	ev := *q
	ev.topic = slices.Clone(q.topic)
	for i, p := range q.part {
		ev.topic[i] = ev.topic[i] || p
	}
	ev.part = nil
	return &ev
}

// translationCredit is, for each way of finding a question word in a page
// of another language, its weight against that of the surest way some
// page holds (nil: no way is held). A word's translations are many and
// unequal — "finances" is "Finanzen" and, less surely, "fördern" — and a
// sentence that holds only a less sure one holds the word less.
func (e *Engine) translationCredit(c knowledge.Concept) []float64 {
	if len(c.Weights) != len(c.Ways) {
		return nil
	}
	top := 0.0
	for wi, way := range c.Ways {
		if filled(way, e.an.Known) {
			top = math.Max(top, c.Weights[wi])
		}
	}
	if top == 0 {
		return nil
	}
	out := make([]float64, len(c.Ways))
	for wi, w := range c.Weights {
		out[wi] = math.Min(1, w/top)
	}
	return out
}

// wayCredit is the most credit (see translationCredit) of the ways of
// concept c that a sentence (has) holds whole.
func wayCredit(c knowledge.Concept, credit []float64, has func(string) bool) float64 {
	best := 0.0
	for wi, way := range c.Ways {
		if wi < len(credit) && credit[wi] > best && filled(way, has) {
			best = credit[wi]
		}
	}
	return best
}

// filled reports whether each slot of a way to find a word holds a term
// has accepts.
func filled(way [][]string, has func(string) bool) bool {
	return len(way) > 0 && !slices.ContainsFunc(way, func(slot []string) bool { return !slices.ContainsFunc(slot, has) })
}

// conceptRarity is how telling a question word is in the city's pages:
// the rarity of the word itself, or across languages of the translations
// the pages hold — an unknown word would count as the rarest of all, every
// word of a translated question alike, and a word the pages hold by chance
// in the question's language ("Handbook Germany") as rarer than what it
// means ("Deutschland").
func (e *Engine) conceptRarity(c knowledge.Concept, cross bool) float64 {
	if cross {
		var sum float64
		n := 0
		for _, t := range c.Terms {
			if !slices.Contains(c.Own, t) && e.an.Known(t) {
				sum += e.an.Rarity(t)
				n++
			}
		}
		if n > 0 {
			return sum / float64(n)
		}
	}
	w := 0.0
	for _, t := range c.Own {
		w = math.Max(w, e.an.Rarity(t))
	}
	if w == 0 {
		return 0.5
	}
	return w
}

// namesMore reports whether a question word that asks the aspect is a
// compound that also names what it is about: "Urlaubsanspruch" asks
// eligibility and names the holiday, "Fahrtkosten" the fare,
// "Bewerbungsunterlagen" the application; "Gebühren", "Unterlagen" and
// "kostenlos" name the aspect alone. Such a word is telling like any
// other: the sentences that hold its other part answer.
func namesMore(rule *aspectRule, c knowledge.Concept) bool {
	if !slices.ContainsFunc(c.Ways, func(way [][]string) bool { return len(way) > 1 }) {
		return false
	}
	rest := rule.question.re.ReplaceAllString(fold(c.Word), "")
	return len(rest) >= minNamedPart
}

// minNamedPart: what a compound holds beside its aspect word names
// something when it has this many letters ("urlaubs", "fahrt"; not the
// ending "en" of "Kosten").
const minNamedPart = 4

// knownConcept reports whether some page holds a term of the concept.
func (e *Engine) knownConcept(c knowledge.Concept) bool {
	for _, t := range c.Terms {
		if e.an.Known(t) {
			return true
		}
	}
	return false
}

// matched sets which concepts of q a sentence holds: in any of their
// terms (a part of a compound is enough). It returns the reduced credit of
// those the sentence holds only in part — some terms, but not all the
// slots of one way (see knowledge.Concept.In): "Werkstatt" for
// "Fahrradwerkstatt" — or only through another word, or across languages
// only through a less sure translation (nil: none). full is the same with
// every translation held in full (see translationCredit), the evidence
// the confidence and answerability models read; in one language it is
// less.
func (q *question) matched(s sentence, out []bool) (less, full []float64) {
	set := make(map[string]bool, len(s.terms))
	for _, t := range s.terms {
		set[t] = true
	}
	has := func(t string) bool { return set[t] }
	hasOwn := func(t string) bool { return slices.Contains(s.own, t) } // a sentence's few words: no map
	reduceIn := func(to *[]float64, i int, credit float64) {
		if *to == nil {
			*to = make([]float64, len(q.concepts))
		}
		(*to)[i] = credit
	}
	reduce := func(i int, credit float64) {
		reduceIn(&less, i, credit)
		if q.credit != nil {
			reduceIn(&full, i, credit)
		}
	}
	for i, c := range q.concepts {
		out[i] = false
		for _, t := range c.Terms {
			if set[t] {
				out[i] = true
				break
			}
		}
		switch {
		case !out[i] || len(c.Ways) == 0:
		case !c.In(has):
			reduce(i, partialCredit)
		case q.credit != nil && q.credit[i] != nil:
			if cr := wayCredit(c, q.credit[i], has); cr < 1 {
				reduceIn(&less, i, math.Max(cr, minTranslationCredit))
			}
		case !q.cross && len(q.own[i].Ways) > 0 && !q.own[i].In(hasOwn):
			reduce(i, otherWordCredit)
		}
	}
	if q.credit == nil {
		return less, less
	}
	return less, full
}

// partialCredit is how much a concept held only in part counts in a
// sentence's overlap with the question; otherWordCredit how much one held
// only through a synonym or related word ("nach Termin" for "buche"),
// where another sentence may hold the word itself.
const (
	partialCredit   = 0.5
	otherWordCredit = 0.7
	// minTranslationCredit: a sentence holds a word through its least
	// sure translation to this degree at least.
	minTranslationCredit = 0.5
)

// held is how far a sentence with hits (and less, see matched) holds
// concept i: 1, a reduced credit, or 0.
func held(hits []bool, less []float64, i int) float64 {
	switch {
	case !hits[i]:
		return 0
	case less != nil && less[i] > 0:
		return less[i]
	}
	return 1
}

// degreeOf is shareOf with the concepts held in part or through another
// word counted at their reduced credit.
func (q *question) degreeOf(hits []bool, less []float64) (float64, bool) {
	return q.weightedShare(func(i int) float64 { return held(hits, less, i) })
}

// scored is a sentence of the page with its features and score for a
// question.
type scored struct {
	sentence
	x     [sfCount]float64
	score float64 // probability that it answers
	// plain is score without the block heading's share (sfBlock) and
	// with the question's words held through any translation in full
	// (overlap; see translationCredit): the evidence the confidence and
	// answerability models were fitted on.
	plain float64
	// overlap is the sfOverlap of plain; evLess the same with the
	// translations' credit (see translationCredit), as sfPrev and sfNext
	// of plain read it.
	overlap, evLess float64
	hits            []bool    // concepts of the question it holds
	less            []float64 // of those, the credit of the ones held in part or through another word (nil: none)
}

// addDegrees raises the degree to which deg holds each concept of the
// question to this sentence's (see held).
func (s *scored) addDegrees(deg []float64) {
	for k := range s.hits {
		deg[k] = math.Max(deg[k], held(s.hits, s.less, k))
	}
}

// degreeShare is shareOf over degrees (see addDegrees).
func (q *question) degreeShare(deg []float64) (float64, bool) {
	return q.weightedShare(func(i int) float64 { return deg[i] })
}

// scoreSentences scores every sentence of the page for the question.
//
// It also returns what of the question each section's heading holds (nil:
// no heading), which selectPassage needs as well.
func (e *Engine) scoreSentences(page *knowledge.Page, ps pageSentences, q question) (secs [][]scored, headHits [][]bool) {
	rule, cue := ruleOf(e.aspects, q.aspect), cueBit(e.aspects, q.aspect)
	ev := q.evidence()
	total := 0
	for _, sents := range ps {
		total += len(sents)
	}
	out := make([][]scored, len(page.Sections))
	headHits = make([][]bool, len(page.Sections))
	headLess := make([][]float64, len(page.Sections))
	for si, h := range e.headingSentences(page) {
		if h.text != "" {
			headHits[si] = make([]bool, len(q.concepts))
			headLess[si], _ = q.matched(h, headHits[si])
		}
	}
	nth := 0
	for si, sec := range page.Sections {
		sents := ps[si]
		out[si] = make([]scored, len(sents))
		inAspect := rule != nil && rule.answers(sec.Kind)
		for j, s := range sents {
			sc := scored{sentence: s, hits: make([]bool, len(q.concepts))}
			var full []float64
			sc.less, full = q.matched(s, sc.hits)
			x := &sc.x
			x[sfBias] = 1
			if sh, ok := q.degreeOf(sc.hits, sc.less); ok {
				x[sfOverlap] = sh
			}
			sc.evLess = x[sfOverlap]
			if q.part != nil {
				sc.evLess, _ = ev.degreeOf(sc.hits, sc.less)
			}
			sc.overlap = sc.evLess
			if q.credit != nil {
				if sh, ok := ev.degreeOf(sc.hits, full); ok {
					sc.overlap = sh
				}
			}
			x[sfTopic] = ev.topicShare(sc.hits)
			if rule != nil {
				if inAspect {
					x[sfAspectSection] = 1
				}
				if s.cues&cue != 0 {
					x[sfAspectCue] = 1
				}
			}
			k := nth + j
			if total > 1 {
				x[sfPosition] = float64(k) / float64(total-1)
			}
			x[sfEarly] = 1 / float64(1+k)
			if s.item {
				x[sfItem] = 1
			}
			if announces(s.text) {
				x[sfLead] = 1
			}
			if len([]rune(s.text)) < 40 {
				x[sfShort] = 1
			}
			out[si][j] = sc
		}
		// sfBlock: the share of the question a sentence's block heading
		// holds — the last line before it in the section that reads as a
		// heading ("Urlaub", "Der Zentrale Omnibusbahnhof München (ZOB)").
		// A section's own heading heads its first block ("Rechtsgrundlage"
		// for a question about the legal basis).
		block := 0.0
		if headHits[si] != nil {
			if sh, ok := q.degreeOf(headHits[si], headLess[si]); ok {
				block = sh
			}
		}
		for j := range out[si] {
			if blockHeading(sents, j) {
				block = out[si][j].x[sfOverlap]
			}
			out[si][j].x[sfBlock] = block
		}
		// Where the page has no typed section for the asked aspect, its
		// text may still name one: a line that names the aspect and
		// introduces a list ("Bei der Anmeldung sind folgende Dokumente
		// vorzulegen:", "Die Gebühren betragen:") is the aspect's section
		// with its items; so is a short heading that names it ("Opening
		// hours", "Kontakt", "Who for") or a label of at most three words
		// that does ("For whom:", "Voraussetzungen (Auswahl):",
		// "Antragstellung:") with the lines under it, up to the next
		// heading after a line of text. Not inside a section typed for
		// another aspect: "Antragstellung als juristische Person:" under
		// "Benötigte Unterlagen" lists documents, not the procedure.
		if rule != nil && !otherAspectSection(page.Sections[si].Kind, rule) {
			heading, ok := aspectHeadings[q.aspect]
			// Unlike blockHeading, the lines right under such a heading may
			// be short ones (an address under "Kontakt").
			names := func(j int) bool {
				return ok && j+1 < len(sents) && (headingLike(sents[j]) || labelLead(sents[j])) &&
					len(strings.Fields(sents[j].text)) <= maxAspectHeadingWords && heading.MatchString(sents[j].folded)
			}
			for j := 0; j < len(sents); j++ {
				switch {
				case (listLead(sents, j) || bareLists[q.aspect] && bareListLead(sents, j)) && (rule.question.MatchString(sents[j].folded) || ok && heading.MatchString(sents[j].folded)):
					out[si][j].x[sfAspectSection] = 1
					for k := j + 1; k < len(sents) && (sents[k].item || bareLists[q.aspect] && listLine(sents[k])); k++ {
						out[si][k].x[sfAspectSection] = 1
					}
				case names(j):
					out[si][j].x[sfAspectSection] = 1
					for k := j + 1; k < len(sents) && (k == j+1 || !blockHeading(sents, k) || headingLike(sents[k-1])); k++ {
						out[si][k].x[sfAspectSection] = 1
					}
				}
			}
		}
		for j := range out[si] {
			if j > 0 {
				out[si][j].x[sfPrev] = out[si][j-1].x[sfOverlap]
			}
			if j+1 < len(out[si]) {
				out[si][j].x[sfNext] = out[si][j+1].x[sfOverlap]
			}
			var z float64
			for f, w := range sentenceWeights {
				z += w * out[si][j].x[f]
			}
			out[si][j].score = 1 / (1 + math.Exp(-z))
			// plain: the overlaps as the models read them (evidence), the
			// translations in full, no block heading.
			z += sentenceWeights[sfOverlap] * (out[si][j].overlap - out[si][j].x[sfOverlap])
			if j > 0 {
				z += sentenceWeights[sfPrev] * (out[si][j-1].evLess - out[si][j].x[sfPrev])
			}
			if j+1 < len(out[si]) {
				z += sentenceWeights[sfNext] * (out[si][j+1].evLess - out[si][j].x[sfNext])
			}
			out[si][j].plain = 1 / (1 + math.Exp(-(z - sentenceWeights[sfBlock]*out[si][j].x[sfBlock])))
		}
		nth += len(sents)
	}
	return out, headHits
}

// questionList returns the units of the list whose lead holds most of
// what the question asks beyond the page's topic — lead and items, lo to
// hi — or -1, -1 when no lead holds at least listLeadShare of it.
func questionList(flat []unit, q question) (lo, hi int) {
	lo, hi = -1, -1
	best := 0.0
	deg := make([]float64, len(q.concepts))
	for i := 0; i+1 < len(flat); i++ {
		u := flat[i]
		if u.item || !announces(u.text) || flat[i+1].section != u.section || !listLine(flat[i+1].sentence) {
			continue
		}
		clear(deg)
		u.addDegrees(deg)
		sh, ok := q.degreeShare(deg)
		if !ok || sh < listLeadShare || sh <= best {
			continue
		}
		best, lo, hi = sh, i, i+1
		for hi+1 < len(flat) && listLine(flat[hi+1].sentence) && flat[hi+1].section == u.section {
			hi++
		}
	}
	return lo, hi
}

// questionHeading returns the unit of a line of the page that asks what
// the question asks — a page written as questions and answers ("Wer kann
// teilnehmen?" for "Wer kann als Arbeitnehmer am Berufssprachkurs
// teilnehmen?", "What does the technical college offer?" for "What
// educational courses does the technical college offer?") — or -1. Such a
// line asks by the same question word, heads text (the next line of its
// section is no question itself), names something the question asks
// beyond the page's topic ("Was sind Selbsthilfegruppen?" does not answer
// "Welche Themen werden in Selbsthilfegruppen behandelt?"), asks the
// aspect rule's question when one is given ("Was ist ein Gewerbe?" does not
// answer "Was kostet die Gewerbeanmeldung?"), and the
// question holds at least faqShare of its words; of several, the one with
// most of them.
func questionHeading(flat []unit, q question, rule *aspectRule) int {
	wh := interrogative(fold(q.text))
	if wh == "" {
		return -1
	}
	_, beyond := q.shareOf(make([]bool, len(q.concepts)))
	var asked map[string]bool // the question's terms, once a line is worth counting
	at, best := -1, 0.0
	for i := 0; i+1 < len(flat); i++ {
		u := flat[i]
		if !asks(u.text) || u.item || len(u.own) == 0 || len([]rune(strings.TrimSpace(u.text))) > maxListLineChars ||
			flat[i+1].section != u.section || asks(flat[i+1].text) || interrogative(u.folded) != wh ||
			(beyond && !q.holdsBeyondTopic(u.hits)) || (rule != nil && !rule.question.MatchString(u.folded)) {
			continue
		}
		if asked == nil {
			asked = q.termSet()
		}
		if sh := shareIn(asked, u.own); sh >= faqShare && sh > best {
			at, best = i, sh
		}
	}
	return at
}

// termSet returns the terms of the question's concepts.
func (q *question) termSet() map[string]bool {
	set := map[string]bool{}
	for _, c := range q.concepts {
		for _, t := range c.Terms {
			set[t] = true
		}
	}
	return set
}

// shareIn is the share of terms that set holds (0 for none).
func shareIn(set map[string]bool, terms []string) float64 {
	if len(terms) == 0 {
		return 0
	}
	n := 0
	for _, t := range terms {
		if set[t] {
			n++
		}
	}
	return float64(n) / float64(len(terms))
}

// definedAt returns the unit of flat that defines what a definition
// question asks ("Was ist Nachhilfeunterricht oder Lernunterstützung?":
// "Nachhilfeunterricht oder Lernunterstützung ist eine zusätzliche
// Unterstützung …"), or -1: the first sentence whose subject — its words
// before the first "ist", "sind", "bedeutet", "is", "are", "means" — holds
// at least definedShare of the question, and whose words are at least
// half the question's. The answer holds that sentence, though later
// sentences that use the words again may hold more of them.
func (e *Engine) definedAt(flat []unit, q question) int {
	if !definition.MatchString(fold(q.text)) {
		return -1
	}
	// share: how much of the question a sentence holds; of a question
	// that names nothing but the page's topic ("Was ist ein
	// Anwohnerparkausweis?"), the share of its topic words, which are all
	// its words.
	share := func(hits []bool, less []float64) float64 {
		if sh, ok := q.degreeOf(hits, less); ok {
			return sh
		}
		return q.topicShare(hits)
	}
	var asked map[string]bool // the question's terms, once a subject is worth counting
	for i, u := range flat {
		// The subject holds no more of the question than its sentence.
		if u.item || asks(u.text) || share(u.hits, u.less) < definedShare {
			continue
		}
		loc := copula.FindStringIndex(u.text)
		if loc == nil || loc[0] == 0 || conditional.MatchString(u.folded) {
			continue
		}
		subject := u.text[:loc[0]]
		if len(strings.Fields(subject)) > maxSubjectWords {
			continue
		}
		s := sentence{text: subject}
		s.terms, s.own = termsOf(e.an.Concepts(subject, q.lang))
		hits := make([]bool, len(q.concepts))
		less, _ := q.matched(s, hits)
		if share(hits, less) < definedShare {
			continue
		}
		// The subject is what the question names, not more: "Die
		// wichtigsten Inhalte in einer Hausordnung sind:" does not say
		// what a Hausordnung is.
		if asked == nil {
			asked = q.termSet()
		}
		if shareIn(asked, s.own) >= 0.5 {
			return i
		}
	}
	return -1
}

// A defining sentence's subject has at most maxSubjectWords words and
// holds at least definedShare of the question (weighted by rarity).
const (
	maxSubjectWords = 8
	definedShare    = 0.8
)

var (
	copula      = regexp.MustCompile(`(?i)\b(ist|sind|bedeutet|bedeuten|bezeichnet|heißt|heisst|is|are|means|refers to)\b`)
	conditional = re(`^(wenn|falls|ob|weil|da|sobald|if|when|whether|because|once)\b`)
)

// asks reports whether a line of a page is a question.
func asks(text string) bool { return strings.HasSuffix(strings.TrimSpace(text), "?") }

// faqShare is the least share of a page's question line's words the
// question holds for the line to head the answer.
const faqShare = 0.4

// interrogative is what a question asks for by its question word — a
// person, a thing, a way, a place, a time, a reason — or "" for a question
// without one ("Sind Sie in der Schule gestresst?", a page's rhetorical
// question). folded is the question as fold leaves it.
func interrogative(folded string) string {
	m := questionWord.FindStringSubmatch(folded)
	if m == nil {
		return ""
	}
	switch w := m[1]; w {
	case "wer", "wen", "wem", "wessen", "whom", "whose":
		return "who"
	case "was", "welche", "welcher", "welches", "welchen", "welchem", "which":
		return "what"
	case "wie", "how":
		return "how"
	case "wo", "wohin", "woher", "where":
		return "where"
	case "wann", "when":
		return "when"
	case "warum", "wieso", "weshalb", "why":
		return "why"
	default:
		return w
	}
}

// questionWord finds a question's question word at its start, after a
// preposition ("An wen …", "Für wen …", "To whom …").
var questionWord = regexp.MustCompile(`^(?:(?:an|fuer|bei|mit|von|zu|to|for|with|from|in|at|by|of) )?(wer|wen|wem|wessen|was|welche|welcher|welches|welchen|welchem|wie|wo|wohin|woher|wann|warum|wieso|weshalb|who|whom|whose|what|which|how|where|when|why)\b`)

// listLine reports whether a sentence reads as an entry of a list: a list
// item, or a line of a list written without bullets — short, not ending
// like a sentence ("Datum des Beschäftigungsbeginns").
func listLine(s sentence) bool {
	if s.item {
		return true
	}
	t := strings.TrimSpace(s.text)
	return t != "" && len([]rune(t)) <= maxListLineChars && !strings.ContainsAny(t[len(t)-1:], ".!?:")
}

// maxListLineChars: a line of a list without bullets is at most this long.
const maxListLineChars = 120

// listQuestion matches a question that asks for a list (folded text):
// "Welche Angaben sind Pflicht?", "Wo gibt es Tafeln?", "What documents
// do I need?".
var listQuestion = re(`^(welche\b|was fuer\b|was (muss|brauche|benoetige) ich\b|wo gibt es\b|(which|what) (\w+ ){0,2}\w+s (are|do|can|should|must|will|were|have)\b|what (do|does|must|should) (i|you|we) (need|have|bring|submit)\b)`)

// listLeadShare is the least share of the question's telling words a
// list's lead holds to be where the answer starts.
const listLeadShare = 0.5

// blockHeading reports whether sentence j of a section heads the text
// after it: a line that reads as a heading followed by text, not by
// another short line (a list without bullets). A short numbered or
// bulleted line followed by text reads so too ("4. Meningokokken").
func blockHeading(sents []sentence, j int) bool {
	if j+1 >= len(sents) || headingLike(sents[j+1]) {
		return false
	}
	s := sents[j]
	if s.item {
		if sents[j+1].item {
			return false
		}
		s.item = false
	}
	return headingLike(s)
}

// announces reports whether a line announces what follows it: a list's
// lead ("Sie brauchen folgende Dokumente:", "Who's it for:").
func announces(text string) bool { return strings.HasSuffix(strings.TrimSpace(text), ":") }

// listLead reports whether sentence j of a section introduces the list
// items after it.
func listLead(sents []sentence, j int) bool {
	return !sents[j].item && announces(sents[j].text) && j+1 < len(sents) && sents[j+1].item
}

// bareLists are the aspects whose answer is a list of things that pages
// also write without bullets: what to bring, what one must meet. Other
// aspects' leads ("Kostenlos:", "Telefon:") are followed by short lines
// that are no list of the answer.
var bareLists = map[aspect]bool{aspectDocuments: true, aspectEligibility: true}

// bareListLead is listLead for a list with or without bullets: the lead
// ends with ":" and the next line is an item or a line of a list written
// without bullets (see listLine) — "Für den Termin brauchst Du:" before
// "Reisepass und Geburtsurkunde", "Biometrisches Lichtbild".
func bareListLead(sents []sentence, j int) bool {
	return !sents[j].item && announces(sents[j].text) && j+1 < len(sents) && listLine(sents[j+1])
}

// labelLead reports whether a line is a short label that ends with a
// colon and announces the lines under it ("For whom:", "Who’s it for:").
func labelLead(s sentence) bool {
	t := strings.TrimSpace(s.text)
	return !s.item && announces(t) && len([]rune(t)) <= maxLabelChars+1 && len(strings.Fields(t)) <= 3
}

// headingLike reports whether a sentence reads as a heading inside a
// section's text: a short line of a few words, not a list item, that does
// not end like a sentence.
func headingLike(s sentence) bool {
	t := strings.TrimSpace(s.text)
	if s.item || t == "" || len([]rune(t)) > maxHeadingChars || strings.ContainsAny(t[len(t)-1:], ".!?:;,") {
		return false
	}
	return len(strings.Fields(t)) <= maxHeadingWords
}

// maxAspectHeadingWords: a heading that names an aspect is short ("Opening
// hours", "Kontakt und Öffnungszeiten", "Who for"); a longer one that holds
// the word names a topic ("Entry as part of a visa procedure").
const maxAspectHeadingWords = 4

// A heading inside a section's text is at most this long.
const (
	maxHeadingChars = 60
	maxHeadingWords = 8
)

// selectPassage picks the passage of the page that answers the question:
// of all runs of consecutive sentences (across section headings, which are
// shown) that fit the budget, the one that holds most of the question's
// telling words together, then most probable answer sentences. A list
// item comes with the sentence that introduces its list.
func (e *Engine) selectPassage(page *knowledge.Page, ps pageSentences, q question, lim composeLimits) passage {
	secs, headHits := e.scoreSentences(page, ps, q)
	p := passage{aspectFound: q.aspect == aspectNone}
	rule, cue := ruleOf(e.aspects, q.aspect), cueBit(e.aspects, q.aspect)
	pageHits := make([]bool, len(q.concepts))
	var flat []unit
	// A page with a section for the asked aspect ("Gebühren" for what it
	// costs) answers from that section alone: the documents list before it
	// is not part of the answer to "Was kostet das?". Not so for where to
	// go, how to apply or how long it takes: the page's text often says it
	// ("Informieren Sie sich im Sozialbürgerhaus"), not its contact box.
	only := false
	for si, sents := range secs {
		if rule != nil && len(sents) > 0 && rule.answers(page.Sections[si].Kind) && sectionAnswers[q.aspect] {
			only = true
		}
	}
	for si, sents := range secs {
		sec := page.Sections[si]
		if rule != nil && len(sents) > 0 && rule.answers(sec.Kind) {
			p.aspectFound = true
		}
		for i := range sents {
			for k, h := range sents[i].hits {
				pageHits[k] = pageHits[k] || h
			}
			if rule != nil && !p.aspectFound && sents[i].cues&cue != 0 {
				p.aspectFound = true
			}
			u := unit{scored: sents[i]}
			u.gain = (u.score - passageFloor) * lineWeight(u)
			if i == 0 && sec.Heading != "" && !strings.EqualFold(strings.TrimSpace(sec.Heading), strings.TrimSpace(page.Title)) {
				u.heading = sec.Heading
			}
			flat = append(flat, u)
		}
	}
	// relevant: the sections that hold a concept of the question beyond
	// the page's topic.
	relevant := make([]bool, len(page.Sections))
	for _, u := range flat {
		relevant[u.section] = relevant[u.section] || q.holdsBeyondTopic(u.hits)
	}
	// A section whose heading names the question is relevant, and a
	// passage that shows the heading holds what it names.
	for si, hh := range headHits {
		if hh != nil {
			relevant[si] = relevant[si] || q.holdsBeyondTopic(hh)
			for k, h := range hh {
				pageHits[k] = pageHits[k] || h
			}
		}
	}
	// headNamed: the section's heading names what the question asks beyond
	// the page's topic; a passage that starts there shows it.
	headNamed := func(si int) bool { return headHits[si] != nil && q.holdsBeyondTopic(headHits[si]) }
	// fits reports whether flat[from..to] keeps to the limits.
	fits := func(from, to int) bool {
		var r room
		for i := from; i <= to; i++ {
			if !r.take(flat, from, i, lim) {
				return false
			}
		}
		return true
	}
	// contactish: the question does not ask where, when or how to reach
	// someone, so the page's contact lines answer nothing.
	contactish := q.aspect != aspectPlace && q.aspect != aspectHours && q.aspect != aspectContact
	isContact := func(i int) bool { return contactish && flat[i].contact }
	best, bestFrom, bestTo := math.Inf(-1), -1, 0
	union := make([]float64, len(q.concepts))
	inAspect := func(u unit) bool { return !only || rule.answers(page.Sections[u.section].Kind) }
	// A line of the page that asks what the question asks heads its
	// answer (see questionHeading; for fees, documents, deadlines, hours
	// and eligibility it must ask the aspect too), even where a section or
	// a block of the page is typed for the aspect: "Wer kann teilnehmen?"
	// answers "Wer kann als Arbeitnehmer am Kurs teilnehmen?" under it,
	// while the page's "Voraussetzungen" may only say who decides. A line
	// inside the typed section leaves the answer to that section.
	var asked *aspectRule
	if sectionAnswers[q.aspect] {
		asked = rule
	}
	faqAt := questionHeading(flat, q, asked)
	if faqAt >= 0 && only && rule.answers(page.Sections[flat[faqAt].section].Kind) {
		faqAt = -1
	}
	only = only && faqAt < 0
	// Where no typed section answers the asked aspect but the text has a
	// block for it (a list introduced by "Bei der Anmeldung sind folgende
	// Dokumente vorzulegen:", an "Öffnungszeiten" heading), the answer
	// starts in that block; it may run on after it, since where such a
	// block ends is a guess.
	textBlock := false
	if !only && sectionAnswers[q.aspect] {
		textBlock = slices.ContainsFunc(flat, func(u unit) bool { return u.x[sfAspectSection] > 0 })
	}
	startsAnswer := func(i int) bool { return inAspect(flat[i]) && (!textBlock || flat[i].x[sfAspectSection] > 0) }
	// A list whose lead says what the question asks ("Pflichtangaben in
	// der Gehaltsabrechnung sind:" for "Welche Angaben sind in der
	// Gehaltsabrechnung Pflicht?") is the answer: it starts at the lead.
	if !only && !textBlock && listQuestion.MatchString(fold(q.text)) {
		if lo, hi := questionList(flat, q); lo >= 0 {
			startsAnswer = func(i int) bool { return i >= lo && i <= hi }
		}
	}
	// The page's own question (faqAt) heads the answer, which runs to
	// the page's next question at most.
	faqEnd := len(flat)
	if faqAt >= 0 {
		startsAnswer = func(i int) bool { return i == faqAt }
		for faqEnd = faqAt + 1; faqEnd < len(flat) && !asks(flat[faqEnd].text); faqEnd++ {
		}
	}
	// A definition question's defining sentence is part of the answer
	// where a passage within the limits can hold it (free: the best
	// passage without it).
	defined := -1
	if faqAt < 0 {
		defined = e.definedAt(flat, q)
	}
	free, freeFrom, freeTo := math.Inf(-1), -1, 0
	for from := range flat {
		if !startsAnswer(from) {
			continue
		}
		// A passage does not start in the middle of a list: the items
		// would read without the sentence that says what they are.
		if flat[from].item && from > 0 && flat[from-1].item && flat[from-1].section == flat[from].section {
			continue
		}
		var r room
		val := 0.0
		clear(union)
		for to := from; to < faqEnd; to++ {
			u := flat[to]
			if !inAspect(u) {
				break
			}
			// A passage does not run on into a fee, documents, deadline or
			// contact section the question did not ask about unless that
			// section says something of the question beyond the page's
			// topic: "Mein Hund ist neu, muss ich den anmelden?" is not
			// answered by the fees.
			if to > from && u.section != flat[to-1].section && offTopicSection(page, u.section, rule) && !relevant[u.section] {
				break
			}
			if !r.take(flat, from, to, lim) {
				break
			}
			if isContact(to) {
				// An address, a phone number, opening hours: no answer to
				// a question that did not ask where or when.
				val -= passageFloor
			} else {
				val += u.gain
			}
			u.addDegrees(union)
			if u.heading != "" && (to > from || headNamed(u.section)) {
				for k, h := range headHits[u.section] {
					if h {
						union[k] = 1
					}
				}
			}
			v := val
			if sh, ok := q.degreeShare(union); ok {
				v += unionWeight * sh
			}
			if v > free {
				free, freeFrom, freeTo = v, from, to
			}
			if v > best && (defined < 0 || from <= defined && defined <= to) {
				best, bestFrom, bestTo = v, from, to
			}
		}
	}
	if bestFrom < 0 {
		// No passage the limits allow holds the defining sentence.
		bestFrom, bestTo = freeFrom, freeTo
	}
	if bestFrom < 0 {
		return p
	}
	// Sentences at the edges that are unlikely answers and hold nothing of
	// the question the rest lacks are left out.
	unionShare := func(from, to int) float64 {
		u := make([]bool, len(q.concepts))
		for _, x := range flat[from : to+1] {
			for k, h := range x.hits {
				u[k] = u[k] || h
			}
		}
		sh, _ := q.shareOf(u)
		return sh
	}
	for bestFrom < bestTo && flat[bestFrom].score < passageFloor && !(flat[bestFrom].item && flat[bestFrom+1].item) && unionShare(bestFrom+1, bestTo) >= unionShare(bestFrom, bestTo) {
		bestFrom++
	}
	for bestTo > bestFrom && flat[bestTo].score < passageFloor && unionShare(bestFrom, bestTo-1) >= unionShare(bestFrom, bestTo) {
		bestTo--
	}
	// A section typed for the asked aspect ("Verfahrensablauf" for how,
	// "Erforderliche Unterlagen" for what to bring) that says nothing of
	// the question beyond the page's topic is read from its start: its
	// sentences all score alike (the section's weight lifts them all), so
	// the passage went to the run that fits the most of them — "Zudem
	// geben Sie den Standort Ihres Gewerbes an." for "How can I pay the
	// trade tax?", the middle of the documents for "I need proof of my
	// address". A procedure's steps, a list of documents start at the top.
	if si := flat[bestFrom].section; rule != nil && rule.answers(page.Sections[si].Kind) && !relevant[si] &&
		bestFrom > 0 && flat[bestFrom-1].section == si {
		start := bestFrom
		for start > 0 && flat[start-1].section == si {
			start--
		}
		if startsAnswer(start) {
			var r room
			to := start - 1
			for to+1 < len(flat) && flat[to+1].section == si && r.take(flat, start, to+1, lim) {
				to++
			}
			bestFrom, bestTo = start, to
		}
	}
	// A passage that starts in the middle of a section and holds nothing
	// of the question there beyond the page's topic starts with the next
	// section instead: "How do I register my dog?" is not answered by the
	// tail of the deadlines before "How it works".
	if bestFrom > 0 && flat[bestFrom-1].section == flat[bestFrom].section {
		end := bestFrom
		for end <= bestTo && flat[end].section == flat[bestFrom].section {
			end++
		}
		if end <= bestTo && !slices.ContainsFunc(flat[bestFrom:end], func(u unit) bool { return q.holdsBeyondTopic(u.hits) }) {
			bestFrom = end
		}
	}
	// An answer starts where the question's words are and runs on after
	// them: sentences before the passage's best match that hold nothing of
	// the question give their room to the sentences after the passage
	// (the consequences after "Wenn Sie den Aufenthalt überschreiten, …",
	// the shops under "Halal Lebensmittel einkaufen"); and an answer does
	// not start with another section's sentences that hold nothing of it
	// even when nothing more fits after it (the fees before "Stellen Sie
	// den Sperrmüll am Abholtag bis 7 Uhr an die Straße").
	{
		anchor, top := -1, 0.0
		for i := bestFrom; i <= bestTo; i++ {
			if o := flat[i].score; o > top {
				anchor, top = i, o
			}
		}
		if anchor > bestFrom {
			from := bestFrom
			for from < anchor && !q.holdsBeyondTopic(flat[from].hits) && flat[from].score < shiftBelow &&
				!(flat[from+1].item && announces(flat[from].text)) {
				from++
			}
			if from > bestFrom {
				to := bestTo
				for to+1 < len(flat) && inAspect(flat[to+1]) && fits(from, to+1) &&
					(flat[to+1].section == flat[to].section || !offTopicSection(page, flat[to+1].section, rule) || relevant[flat[to+1].section]) {
					to++
				}
				if to > bestTo || flat[from].section != flat[bestFrom].section {
					bestFrom, bestTo = from, to
				}
			}
		}
	}
	// A long answer runs on past the budget while the sentences after
	// it are likely answers themselves (a list of documents, the steps of
	// a procedure), up to extraChars more; full style only.
	if lim.sentences == 0 {
		chars := 0
		for i := bestFrom; i <= bestTo; i++ {
			chars += len([]rune(flat[i].text))
		}
		for bestTo+1 < len(flat) && inAspect(flat[bestTo+1]) && flat[bestTo+1].section == flat[bestTo].section &&
			flat[bestTo+1].score >= extendScore && !isContact(bestTo+1) && chars+len([]rune(flat[bestTo+1].text)) <= lim.chars+extraChars {
			bestTo++
			chars += len([]rune(flat[bestTo].text))
		}
	}
	bestTo = finishLead(flat, bestFrom, bestTo, lim, inAspect)
	// A passage that starts inside a list starts with the list's lead.
	if flat[bestFrom].item && bestFrom > 0 && !flat[bestFrom-1].item &&
		flat[bestFrom-1].section == flat[bestFrom].section && announces(flat[bestFrom-1].text) {
		bestFrom--
	}
	bestFrom = withAntecedent(flat, bestFrom, bestTo, lim)
	hits := make([]bool, len(q.concepts))
	for i, u := range flat[bestFrom : bestTo+1] {
		if u.heading != "" && (i > 0 || only || headNamed(u.section)) && lim.sentences == 0 {
			p.sentences = append(p.sentences, sentence{text: u.heading, heading: true, section: u.section})
			for k, h := range headHits[u.section] {
				hits[k] = hits[k] || h
			}
		}
		p.sentences = append(p.sentences, u.sentence)
		p.best = math.Max(p.best, u.plain)
		p.overlap = math.Max(p.overlap, u.overlap)
		if u.x[sfAspectCue] > 0 || u.x[sfAspectSection] > 0 {
			p.aspectShown = true
		}
		for k, h := range u.hits {
			hits[k] = hits[k] || h
		}
	}
	ev := q.evidence()
	p.support, p.pageSupport = ev.knownShare(hits), ev.knownShare(pageHits)
	for i, h := range pageHits {
		if !h && !ev.topic[i] && q.known[i] {
			p.missing = math.Max(p.missing, q.weights[i])
		}
	}
	return p
}

// leeway returns the characters of the passage flat[from..to] and the
// most it may grow to: extraChars more than the budget in full style, the
// budget in the short ones.
func leeway(flat []unit, from, to int, lim composeLimits) (chars, budget int) {
	for i := from; i <= to; i++ {
		chars += len([]rune(flat[i].text))
	}
	if lim.sentences > 0 {
		return chars, lim.chars
	}
	return chars, lim.chars + extraChars
}

// withAntecedent starts a passage whose first sentence refers back to
// the one before it ("Dafür musst Du einen Antrag stellen.", "Anschließend
// können Sie den Antrag online stellen.", "This costs 10 euros.") with that
// sentence, as far as the passage keeps within its leeway: read alone it
// does not say what it is about. bestFrom and bestTo are the passage's
// first and last unit; it returns the new first.
func withAntecedent(flat []unit, bestFrom, bestTo int, lim composeLimits) int {
	chars, budget := leeway(flat, bestFrom, bestTo, lim)
	for n := 0; n < maxAntecedents && bestFrom > 0 && refersBack.MatchString(flat[bestFrom].folded); n++ {
		prev := flat[bestFrom-1]
		if !antecedent(prev, flat[bestFrom]) || (lim.sentences > 0 && bestTo-bestFrom+2 > lim.sentences) {
			break
		}
		if chars += len([]rune(prev.text)); chars > budget {
			break
		}
		bestFrom--
	}
	return bestFrom
}

// antecedent reports whether prev, the line before s, is what s can point
// back to: in the same section, a whole sentence or the line that heads its
// block ("Der Zentrale Omnibusbahnhof München (ZOB)" before "Das ist ein
// Bahnhof für Busverbindungen."), not a contact line, a list's last item
// or a fragment of one (the list as a whole is what s points to).
func antecedent(prev, s unit) bool {
	return prev.section == s.section && !prev.contact && !prev.item &&
		(endsSentence(prev.text) || blockTitle(prev.sentence))
}

// blockTitle reports whether a line reads as the heading of the block
// after it: heading-like and capitalised, where a list's last line ("das
// staatliche Amt für Arbeitsschutz") is not.
func blockTitle(s sentence) bool {
	r, _ := utf8.DecodeRuneInString(strings.TrimSpace(s.text))
	return headingLike(s) && (unicode.IsUpper(r) || unicode.IsDigit(r))
}

// refersBack matches a sentence that starts with a word pointing back to
// the sentence before it: a pronominal adverb, a demonstrative, a
// connective of sequence or addition.
var refersBack = re(`^(dafuer|dazu|dabei|davon|damit|darin|darauf|darueber|hierfuer|hierzu|hierbei|dann|danach|anschliessend|ausserdem|zudem|deshalb|deswegen|daher|somit|dies|diese[mnrs]?|das (ist|sind|bedeutet|heisst|gilt|geht|kann|muss|kostet|dauert|wird|hat)\b|then|afterwards|after that|in addition|moreover|furthermore|therefore|this|these|they|it (is|was|can|must|will|has|costs|takes)\b)\b`)

// maxAntecedents is how many sentences a passage reaches back for
// (withAntecedent).
const maxAntecedents = 2

// finishLead keeps a passage from ending on a line that announces what
// follows ("Sie brauchen folgende Dokumente:", "Who's it for:"): it takes
// what the line announces — the list items after it, or the next line —
// as far as they fit in extraChars more than the budget (the lead is what
// the citizen asked for more often than not: "Welche Unterlagen …?"), or
// else ends before the line. bestTo is the passage's last unit; it returns
// the new one.
func finishLead(flat []unit, bestFrom, bestTo int, lim composeLimits, inAspect func(unit) bool) int {
	if !announces(flat[bestTo].text) {
		return bestTo
	}
	chars, budget := leeway(flat, bestFrom, bestTo, lim)
	next := bestTo + 1
	ok := next < len(flat) && flat[next].section == flat[bestTo].section && inAspect(flat[next]) &&
		chars+len([]rune(flat[next].text)) <= budget
	if ok {
		to := next
		chars += len([]rune(flat[next].text))
		items := 1
		for flat[next].item && to+1 < len(flat) && flat[to+1].item && flat[to+1].section == flat[to].section &&
			items < lim.items && chars+len([]rune(flat[to+1].text)) <= budget {
			to++
			items++
			chars += len([]rune(flat[to].text))
		}
		return to
	}
	for bestTo > bestFrom && announces(flat[bestTo].text) {
		bestTo--
	}
	return bestTo
}

// Where a passage runs on (see selectPassage): sentences before its
// likeliest answer sentence that hold nothing of the question and are
// less likely than shiftBelow are dropped for the sentences after it; and
// past the budget, a full answer takes up to extraChars more of the
// sentences after it that are at least extendScore likely answers. On the
// Integreat development set the two took the answer share from 0.681 to
// 0.720 (German) and 0.735 to 0.755 (English) at a median of 595
// characters (docs/benchmarks.md).
const (
	shiftBelow  = 0.5
	extraChars  = 400
	extendScore = 0.35
)

// contactLine matches a line of a page's contact block (folded text): a
// phone number, a street address, opening hours. (Web and e-mail
// addresses are often the answer: "Informationen finden Sie unter …".)
// Pages without typed sections (most CMS exports) list them in the text.
var contactLine = re(`(\btel\b|telefon|\+49|\b0\d{2,5}[ /-]?\d{3,}|\b\d{5}\s+\p{L}|(strasse|str\.|platz|weg|allee|gasse|ring|damm)\s*\d+|^(montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|mo|di|mi|do|fr|sa|so)\b.*\d{1,2}[:.]\d{2}|^\d{1,2}[:.]\d{2}\s*[-–]|^(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b.*\d)`)

// contactLineChars: a contact line is short; a longer sentence that
// holds an address says more.
const contactLineChars = 90

// unit is a sentence of the page in the order of the page, with the
// heading it shows when it opens a section that has one of its own.
type unit struct {
	scored
	heading string
	gain    float64 // what it adds to a passage's value (see lineWeight)
}

// room is what a passage holds against its limits: characters (a unit
// that opens a section adds its heading), list items and sentences (a list
// counts as one sentence: short and spoken styles run its items into one).
type room struct{ chars, items, sents int }

// take adds flat[i] to a passage that starts at flat[from], or reports
// false when it would exceed the limits (the first unit always fits).
func (r *room) take(flat []unit, from, i int, lim composeLimits) bool {
	u := flat[i]
	n := len([]rune(u.text))
	if u.heading != "" && i > from {
		n += len([]rune(u.heading))
	}
	opens := !u.item || i == from || !flat[i-1].item
	if i > from && (r.chars+n > lim.chars || (u.item && r.items >= lim.items) ||
		(opens && lim.sentences > 0 && r.sents >= lim.sentences)) {
		return false
	}
	r.chars += n
	if u.item {
		r.items++
	}
	if opens {
		r.sents++
	}
	return true
}

// offTopicSection reports whether section si of the page is one of the
// typed sections that answer an aspect (fees, documents, deadlines,
// contact) other than the asked one (rule; nil: none asked).
func offTopicSection(page *knowledge.Page, si int, rule *aspectRule) bool {
	switch k := page.Sections[si].Kind; k {
	case knowledge.SectionFees, knowledge.SectionDocuments, knowledge.SectionDeadlines, knowledge.SectionContact:
		return rule == nil || !rule.answers(k)
	}
	// The legal basis, the legal remedy and the forms of a service page
	// ("Rechtsgrundlage: Personalausweisgesetz (PAuswG)") answer no
	// question that does not name them.
	return legalHeading.MatchString(fold(page.Sections[si].Heading))
}

// otherAspectSection reports whether a section's kind is that of an aspect other
// than the rule's (fees, documents, deadlines, prerequisites, procedure,
// contact).
func otherAspectSection(kind knowledge.SectionKind, rule *aspectRule) bool {
	switch kind {
	case knowledge.SectionFees, knowledge.SectionDocuments, knowledge.SectionDeadlines, knowledge.SectionPrerequisites,
		knowledge.SectionProcedure, knowledge.SectionContact:
		return !rule.answers(kind)
	}
	return false
}

// legalHeading matches the heading of a section with a service's legal
// basis, legal remedy or forms (folded text).
var legalHeading = re(`^(rechtsgrundlagen?|gesetzliche grundlagen?|rechtsbehelfe?|rechtsbehelfsbelehrung|rechtsmittel|formulare|vordrucke|legal (basis|bases|remedy|remedies)|forms)\b`)

// holdsBeyondTopic reports whether hits holds a concept of the question
// other than the page's topic.
func (q *question) holdsBeyondTopic(hits []bool) bool {
	for i, h := range hits {
		if h && !q.topic[i] {
			return true
		}
	}
	return false
}

// sectionAnswers are the aspects whose section, when a page has one, is
// the whole answer.
var sectionAnswers = map[aspect]bool{aspectFees: true, aspectDocuments: true, aspectDeadline: true, aspectHours: true, aspectEligibility: true}

// topicShare is the share of the question's topic concepts (those the
// page's title names) that hits holds (0 when it has none).
func (q *question) topicShare(hits []bool) float64 {
	n, got := 0, 0
	for i, h := range hits {
		if q.topic[i] {
			n++
			if h {
				got++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(got) / float64(n)
}

// knownShare is share over the words the city's pages know.
func (q *question) knownShare(hits []bool) float64 {
	var got, total float64
	for i, h := range hits {
		if q.topic[i] || !q.known[i] {
			continue
		}
		total += q.weights[i]
		if h {
			got += q.weights[i]
		}
	}
	if total == 0 {
		return 1
	}
	return got / total
}

// shareOf is share, and false when the question names nothing but the
// page's topic.
func (q *question) shareOf(hits []bool) (float64, bool) {
	return q.degreeOf(hits, nil)
}

// weightedShare is how much of the question's telling words besides the
// page's topic deg(i) (0..1 per concept) holds, each weighed by how
// telling it is; false when the question names nothing but the topic.
func (q *question) weightedShare(deg func(i int) float64) (float64, bool) {
	var got, total float64
	for i := range q.concepts {
		if q.topic[i] {
			continue
		}
		total += q.weights[i]
		got += deg(i) * q.weights[i]
	}
	if total == 0 {
		return 0, false
	}
	return got / total, true
}

// render turns a passage into text for the style: the page title and the
// sentences (list items as bullets, a numbered list's items with the
// page's numbers, since steps and ranks are part of what it says; spoken
// and short styles run lists into one sentence and leave the title to the
// link or the closing words). more, when not nil, gives the line to
// write after the item p.sentences[i] ("" for none): that the page's list
// goes on (see listRest).
func render(title string, p passage, style Style, lim composeLimits, more func(i int) string) string {
	var b strings.Builder
	if style != StyleSpoken {
		b.WriteString(title)
		b.WriteString("\n")
	}
	type listed struct {
		text, mark string
		at         int // index in p.sentences
	}
	var items []listed
	flush := func() {
		if len(items) == 0 {
			return
		}
		if style == StyleSpoken || style == StyleShort {
			texts := make([]string, len(items))
			for i, it := range items {
				texts[i] = it.text
			}
			run := strings.Join(texts, ", ")
			if !strings.HasSuffix(run, ".") {
				run += "."
			}
			appendSentence(&b, run)
		} else {
			for _, it := range items {
				if !strings.HasSuffix(b.String(), "\n") {
					b.WriteString("\n")
				}
				if it.mark != "" {
					b.WriteString(it.mark + " ")
				} else {
					b.WriteString("• ")
				}
				b.WriteString(it.text)
				if more != nil {
					if m := more(it.at); m != "" {
						b.WriteString("\n" + m)
					}
				}
			}
		}
		items = items[:0]
	}
	for i, s := range p.sentences {
		// Read out, the lines of an address run on like a list's items:
		// "Verwaltungsgericht München, Bayerstraße 30, 80335 München."
		if s.item || style == StyleSpoken && !s.heading && blockLine(s) {
			text := s.text
			if !association.MatchString(s.folded) {
				text = strings.TrimRight(text, ".;,")
			}
			items = append(items, listed{text, s.mark, i})
			continue
		}
		flush()
		if s.heading {
			if style == StyleSpoken || style == StyleShort {
				continue
			}
			if !strings.HasSuffix(b.String(), "\n") {
				b.WriteString("\n")
			}
			b.WriteString(s.text)
			b.WriteString("\n")
			continue
		}
		if i > 0 && continues(p.sentences[i-1], s) && !strings.HasSuffix(b.String(), "\n") {
			b.WriteString(" ")
			b.WriteString(s.text)
			continue
		}
		if s.newLine && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteString("\n")
		}
		appendSentence(&b, s.text)
	}
	flush()
	return strings.TrimSpace(b.String())
}

// continues reports whether s goes on with the sentence of the page line
// before it, prev, which the page broke where a link was ("Die Standorte
// finden Sie" / "hier.", "You can find" / "our courses here."): s follows
// prev in its section, starts lower case and ends a sentence that prev,
// which starts upper case and has three words or more, does not. An
// answer shows the two as one sentence. Two lower-case lines in a row, or
// a line of one or two words before, are more likely the items of a list
// the page did not mark ("das Jahreseinkommen …" / "die Miete …",
// "Meldebescheinigung" / "alle Dokumente, die Ihr Kind betreffen …").
// Headings, list items, and contact lines or lines with a web or mail
// address (see reaches; a broken address, "gemeinde@korb." / "de") stay
// on lines of their own.
func continues(prev, s sentence) bool {
	if prev.heading || s.heading || prev.item || s.item || s.newLine || reaches(prev) || reaches(s) {
		return false
	}
	return prev.section == s.section && s.pos == prev.pos+1 && !endsSentence(prev.text) && endsSentence(s.text) &&
		startsLower(s.text) && !startsLower(prev.text) && len(strings.Fields(prev.text)) >= 3
}

// listRest returns, for each list item of the passage after which the
// page's list goes on with items the passage does not show, how many
// such items follow (keyed by the item's index in p.sentences): an answer
// that shows three of six documents must not read as the whole list.
func listRest(ps pageSentences, p passage) map[int]int {
	type at struct{ section, pos int }
	shown := make(map[at]bool, len(p.sentences))
	for _, s := range p.sentences {
		shown[at{s.section, s.pos}] = true
	}
	var out map[int]int
	for i, s := range p.sentences {
		if !s.item || s.section < 0 || s.section >= len(ps) {
			continue
		}
		sents := ps[s.section]
		if s.pos < 0 || s.pos >= len(sents) || sents[s.pos].text != s.text {
			continue
		}
		n := 0
		for k := s.pos + 1; k < len(sents) && sents[k].item && !shown[at{s.section, k}]; k++ {
			n++
		}
		if n > 0 {
			if out == nil {
				out = map[int]int{}
			}
			out[i] = n
		}
	}
	return out
}

// appendSentence adds a sentence to an answer: after a space, or on a line
// of its own when the text before it or the line itself does not end a
// sentence (a heading or a label line of the page such as "Links im
// Internet" or "Gültigkeitsdauer: 6 Jahre", the lines of an address), so
// that a heading is never glued onto the sentence before or after it.
func appendSentence(b *strings.Builder, s string) {
	if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
		if endsSentence(b.String()) && endsSentence(s) {
			b.WriteString(" ")
		} else {
			b.WriteString("\n")
		}
	}
	b.WriteString(s)
}

// endsSentence reports whether text ends with a sentence's final
// punctuation (closing quotes and brackets aside).
func endsSentence(text string) bool {
	t := strings.TrimRight(text, " \"')“”»«")
	if t == "" {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(t)
	return strings.ContainsRune(".!?:;…", r)
}

// shownSections are the kinds of the page's sections the passage quotes.
func shownSections(page *knowledge.Page, p passage) map[knowledge.SectionKind]bool {
	out := map[knowledge.SectionKind]bool{}
	for _, s := range p.sentences {
		if k := page.Sections[s.section].Kind; k != "" && k != knowledge.SectionDescription {
			out[k] = true
		}
	}
	return out
}

// followUps offers the aspects the page can answer that the citizen has
// not asked about: a section for it, or a sentence that looks like it.
func (e *Engine) followUps(page *knowledge.Page, ps pageSentences, asked aspect, p phrases, shown map[knowledge.SectionKind]bool) []conversation.QuickReply {
	var out []conversation.QuickReply
	for _, o := range []struct {
		a     aspect
		label string
	}{
		{aspectFees, p.AskCost},
		{aspectDocuments, p.AskDocuments},
		{aspectDeadline, p.AskDeadline},
		{aspectHours, p.AskHours},
	} {
		if o.a == asked || (asked == aspectPlace && o.a == aspectHours) {
			continue
		}
		// Not what the answer shows already ("Gibt es eine Frist?" under
		// the deadline).
		if rule := ruleOf(e.aspects, o.a); rule != nil && slices.ContainsFunc(rule.sections, func(k knowledge.SectionKind) bool { return shown[k] }) {
			continue
		}
		if e.pageAnswers(page, ps, o.a) {
			out = append(out, conversation.QuickReply{Label: o.label, Payload: o.label})
		}
		if len(out) == 3 {
			break
		}
	}
	return out
}

// pageAnswers reports whether the page has a section for the aspect or a
// sentence that looks like its answer (worked out once per page and
// aspect: every answer from the page asks it for its follow-ups).
func (e *Engine) pageAnswers(page *knowledge.Page, ps pageSentences, a aspect) bool {
	key := page.ID + "\x00" + string(a)
	if v, ok := e.answersAspect.Load(key); ok {
		return v.(bool)
	}
	yes := e.findAspect(page, ps, a)
	e.answersAspect.Store(key, yes)
	return yes
}

func (e *Engine) findAspect(page *knowledge.Page, ps pageSentences, a aspect) bool {
	rule, cue := ruleOf(e.aspects, a), cueBit(e.aspects, a)
	if rule == nil {
		return false
	}
	for si, sec := range page.Sections {
		if rule.answers(sec.Kind) && len(ps[si]) > 0 {
			return true
		}
		for _, s := range ps[si] {
			if s.cues&cue != 0 {
				return true
			}
		}
	}
	return false
}

// passageHits are the question's concepts the passage holds.
func passageHits(q question, p passage) []bool {
	hits := make([]bool, len(q.concepts))
	for _, s := range p.sentences {
		if s.heading {
			continue
		}
		set := make([]bool, len(q.concepts))
		q.matched(s, set)
		for i, h := range set {
			hits[i] = hits[i] || h
		}
	}
	return hits
}

// obligation asks what one has to do ("Ich bin umgezogen, was muss ich
// tun?", "Muss ich meinen Hund anmelden?", "do I need to register?").
var obligation = re(`(muss ich|muessen wir|was (muss|soll) ich|was ist zu tun|was tun\b|ist .*pflicht|\bpflicht|do i (have|need) to|must i|what (do|should) i (have to |need to )?do|required to|obliged)`)

// deadlineExtra is how far an answer may exceed its budget to add the
// deadline (see withDeadline).
const deadlineExtra = 200

// withDeadline adds the page's deadline to an answer to what one has to
// do: "innerhalb von zwei Wochen" is part of "was muss ich tun?" even
// when the passage that answers it best is the procedure. It adds the
// first sentence of the page's deadline section, under its heading, when
// the passage holds none of it and it fits.
func withDeadline(page *knowledge.Page, ps pageSentences, q question, p passage, lim composeLimits) passage {
	if q.aspect != aspectNone && q.aspect != aspectProcedure || !obligation.MatchString(fold(q.text)) {
		return p
	}
	chars := 0
	for _, s := range p.sentences {
		if page.Sections[s.section].Kind == knowledge.SectionDeadlines {
			return p
		}
		chars += len([]rune(s.text))
	}
	for si, sec := range page.Sections {
		if sec.Kind != knowledge.SectionDeadlines || len(ps[si]) == 0 {
			continue
		}
		first := ps[si][0]
		n := len([]rune(first.text))
		if chars+n > lim.chars+deadlineExtra {
			return p
		}
		out := p
		out.sentences = append([]sentence(nil), p.sentences...)
		if sec.Heading != "" && lim.sentences == 0 {
			out.sentences = append(out.sentences, sentence{text: sec.Heading, heading: true, section: si})
		}
		out.sentences = append(out.sentences, first)
		return out
	}
	return p
}

// contactExtra is how far an answer may exceed its budget to add the
// page's contact block (see withContact).
const contactExtra = 350

// reachLine matches an e-mail or a web address (folded text).
var reachLine = re(`(@[\p{L}\d-]+\.|www\.|https?:)`)

// webLine matches a line that is only a web address (folded text).
var webLine = re(`^\s*\S*(www\.|https?:)\S*\s*$`)

// textChars is the length of the sentences' text in characters.
func textChars(ss []sentence) int {
	n := 0
	for _, s := range ss {
		n += len([]rune(s.text))
	}
	return n
}

// addLines adds to a passage the first of lines (lines of the page
// outside it) that keep it within budget characters, in the page's
// order; it reports false, and adds nothing, unless ok holds for the
// lines it would add.
func addLines(p passage, lines []sentence, budget int, ok func(add []sentence) bool) (passage, bool) {
	n := textChars(p.sentences)
	var add []sentence
	for _, s := range lines {
		if n += len([]rune(s.text)); n > budget {
			break
		}
		add = append(add, s)
	}
	if len(add) == 0 || !ok(add) {
		return p, false
	}
	out := p
	if add[0].precedes(p.sentences[0]) {
		out.sentences = append(add, p.sentences...)
	} else {
		out.sentences = append(slices.Clone(p.sentences), add...)
	}
	return out, true
}

// fitShort adds lines of the page to a short answer (SMS, voice) as
// addLines does, but first drops the passage's last sentences (never its
// first whole sentence, nor the lines before it) until the lines fit
// within budget characters; it leaves the passage as it is unless ok
// holds for the lines added. The budget is the style's own: an SMS
// answer must still fit its segments with the link.
func fitShort(p passage, lines []sentence, budget int, ok func(add []sentence) bool) passage {
	least := 1 + slices.IndexFunc(p.sentences, func(s sentence) bool { return !s.heading && endsSentence(s.text) })
	trimmed := p
	for len(trimmed.sentences) > max(least, 1) && textChars(trimmed.sentences)+textChars(lines) > budget {
		trimmed.sentences = trimmed.sentences[:len(trimmed.sentences)-1]
	}
	if out, added := addLines(trimmed, lines, budget, ok); added {
		return out
	}
	return p
}

// reaches reports whether a line tells how to reach a place or a person:
// a contact line (contactLine), an e-mail or a web address.
func reaches(s sentence) bool { return s.contact || reachLine.MatchString(s.folded) }

// blockLine reports whether a line can be part of a contact block: short,
// no list item, no sentence and no question ("Verwaltungsgericht München",
// "Bayerstraße 30", "Sprachbrücke e. V.").
func blockLine(s sentence) bool {
	return !s.item && len([]rune(s.text)) <= contactLineChars && (!endsSentence(s.text) || association.MatchString(s.folded)) && !asks(s.text)
}

// association matches the end of a registered association's name
// ("Blaues Kreuz München e. V."), which ends with a full stop but is no
// sentence (folded text).
var association = re(`\be\.\s?v\.$`)

// precedes reports whether sentence s comes before o in their page.
func (s sentence) precedes(o sentence) bool {
	return s.section < o.section || s.section == o.section && s.pos < o.pos
}

// heldIn counts the question's concepts that the sentences hold between
// them (see matched).
func (q *question) heldIn(sents ...sentence) int {
	hits := make([]bool, len(q.concepts))
	for _, s := range sents {
		q.matched(s, hits)
	}
	n := 0
	for _, h := range hits {
		if h {
			n++
		}
	}
	return n
}

// withContact adds the page's contact block to an answer to where to go
// or whom to turn to: "Wo befindet sich das Verwaltungsgericht?" is
// answered by the court's address, "An wen kann ich mich wenden?" by the
// counselling office's name and e-mail, which pages list as a block of
// short lines after the text that the question's words pick. It adds the
// block (its name line and the lines that reach it, in the page's order,
// as far as contactExtra more than the budget allows) when the passage
// holds no line of one; of several blocks, the one that holds most of the
// question, the first of equals. An SMS or voice answer makes room for
// the block within its own budget (fitShort); read out, it leaves out a
// line that is only a web address.
func withContact(ps pageSentences, q question, p passage, lim composeLimits) passage {
	if q.aspect != aspectPlace && q.aspect != aspectContact || len(p.sentences) == 0 ||
		slices.ContainsFunc(p.sentences, func(s sentence) bool { return !s.heading && reaches(s) }) {
		return p
	}
	first, last := p.sentences[0], p.sentences[len(p.sentences)-1]
	var best []sentence
	bestHits := -1
	for _, sents := range ps {
		for j := 0; j < len(sents); {
			if !blockLine(sents[j]) {
				j++
				continue
			}
			k := j
			for k < len(sents) && blockLine(sents[k]) {
				k++
			}
			block := sents[j:k]
			j = k
			if !slices.ContainsFunc(block, reaches) || len(block) < 2 || !block[len(block)-1].precedes(first) && !last.precedes(block[0]) {
				continue
			}
			if n := q.heldIn(block...); n > bestHits {
				best, bestHits = block, n
			}
		}
	}
	if best == nil {
		return p
	}
	// Each line of the block on a line of its own, also one that ends
	// with a full stop ("Sprachbrücke e. V."); a copy, not the page's.
	best = slices.Clone(best)
	for i := range best {
		best[i].newLine = true
	}
	whole := func(add []sentence) bool { return len(add) >= 2 && slices.ContainsFunc(add, reaches) }
	if lim.sentences > 0 {
		if lim.spoken {
			best = slices.DeleteFunc(best, func(s sentence) bool { return webLine.MatchString(s.folded) })
		}
		return fitShort(p, best, lim.chars, whole)
	}
	out, _ := addLines(p, best, lim.chars+contactExtra, whole)
	return out
}

// labelExtra is the longest labelled line added to an answer, and how
// far past the longest passage (the budget and extraChars) it may take
// the answer (see withLabel).
const labelExtra = 250

// labelled are the aspects pages state on a line of their own after a
// label ("Für wen: alle Geflüchteten …", "Who for: Young men … aged
// between 16 and 23"), with the labels that may state each: an age is
// often said under "Für wen".
var labelled = map[aspect][]aspect{
	aspectEligibility: {aspectEligibility},
	aspectAge:         {aspectAge, aspectEligibility},
}

// maxLabelChars is the longest label before the colon of a labelled line.
const maxLabelChars = 30

// labelFor reports whether a sentence states one of the aspects as under
// a label: a short label that names it, a colon, and the statement.
func labelFor(s sentence, as []aspect) bool {
	i := strings.IndexByte(s.folded, ':')
	if i <= 0 || i > maxLabelChars || len(strings.Fields(s.folded[i+1:])) < 2 {
		return false
	}
	label := s.folded[:i]
	if len(strings.Fields(label)) > maxAspectHeadingWords {
		return false
	}
	return slices.ContainsFunc(as, func(a aspect) bool { return aspectHeadings[a].MatchString(label) })
}

// withLabel adds the page's labelled line for the asked aspect to an
// answer whose passage holds none: "Wer kann die Dolmetscherdienste von
// TranslAid in Anspruch nehmen?" is answered by "Für wen: alle
// Geflüchteten …" below the description the question's words pick. Of
// several such lines, the one that holds most of the question, then the
// first after the passage's start, then the last before it; it goes in
// the page's order (see labelExtra). An SMS or voice answer makes room
// for the whole line within its own budget (fitShort).
func withLabel(ps pageSentences, q question, p passage, lim composeLimits) passage {
	as := labelled[q.aspect]
	if as == nil || len(p.sentences) == 0 || slices.ContainsFunc(p.sentences, func(s sentence) bool { return labelFor(s, as) }) {
		return p
	}
	first := p.sentences[0]
	var best *sentence
	bestHits, bestAfter := -1, false
	for si := range ps {
		for j := range ps[si] {
			s := &ps[si][j]
			if !labelFor(*s, as) || slices.ContainsFunc(p.sentences, func(x sentence) bool { return x.section == s.section && x.pos == s.pos }) {
				continue
			}
			if n := q.heldIn(*s); n > bestHits || n == bestHits && !bestAfter {
				best, bestHits, bestAfter = s, n, first.precedes(*s)
			}
		}
	}
	if best == nil {
		return p
	}
	// A line the page breaks inside its sentence ("Für wen: Kinder von 5
	// bis 15 Jahren aus dem Münchner Stadtgebiet, die" / "…") comes with
	// the rest of the sentence.
	add := []sentence{*best}
	add[0].newLine = true
	for sents := ps[best.section]; !endsSentence(add[len(add)-1].text); {
		next := add[len(add)-1].pos + 1
		if next >= len(sents) || !startsLower(sents[next].text) {
			break
		}
		add = append(add, sents[next])
	}
	if textChars(add) > labelExtra {
		return p
	}
	all := func(a []sentence) bool { return len(a) == len(add) }
	if lim.sentences > 0 {
		return fitShort(p, add, lim.chars, all)
	}
	out, _ := addLines(p, add, lim.chars+extraChars+labelExtra, all)
	return out
}

// startsLower reports whether text starts with a lower-case letter: it
// goes on with the sentence of the line before.
func startsLower(text string) bool {
	r, _ := utf8.DecodeRuneInString(strings.TrimSpace(text))
	return unicode.IsLower(r)
}

// verbFactor damps the weight of a German question's words that are not
// nouns ("verhalten", "geimpft", "unterstützt") where the question writes
// its nouns with a capital: the nouns say what the answer is about ("bei
// Krankheit während des Praktikums"), the other words how it is asked,
// and a rare verb of the city's pages pulled answers to the sentences
// that repeat it ("Deshalb sollten sich Praktikanten … verhalten"). On
// Integreat's German questions the answer share rose 0.768 → 0.771 at
// 0.6 (0.769 at 0.4, which also answered five unanswerable questions;
// 0.766 at 0.8).
const verbFactor = 0.6

// germanNouns returns the words of a German question written with a
// capital after its first word, lower-cased: its nouns (and names). A
// hyphenated noun gives its parts and their joined form, as the analyser
// splits it into words ("Kfz-Zulassung": kfz, zulassung, kfzzulassung).
// nil when it has none — a question typed in lower case says nothing of
// which words are nouns.
func germanNouns(text string) map[string]bool {
	var out map[string]bool
	first := true
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' }) {
		r, _ := utf8.DecodeRuneInString(w)
		if !first && unicode.IsUpper(r) {
			if out == nil {
				out = map[string]bool{}
			}
			parts := strings.FieldsFunc(strings.ToLower(w), func(r rune) bool { return r == '-' })
			for _, part := range parts {
				out[part] = true
			}
			out[strings.Join(parts, "")] = true
		}
		first = false
	}
	return out
}

// lineWeight is how much a unit counts in a passage's value: a very
// short line of text that is not a list item ("January", "Monday, 10.", a
// calendar exported line by line) counts by its length, so that thirty
// such lines do not outweigh the sentences that answer. Integreat answer
// share (English) 0.779 → 0.782 at 12 characters, nothing lost; at 20 and
// 30 the German share fell (0.767, 0.763): headings and short answers
// ("Meldebescheinigung") count then too little.
func lineWeight(u unit) float64 {
	if u.item {
		return 1
	}
	return min(1, float64(len([]rune(strings.TrimSpace(u.text))))/shortLineChars)
}

const shortLineChars = 12
