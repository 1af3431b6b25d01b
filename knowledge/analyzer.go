package knowledge

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Analyzer turns text into the terms the index holds: stems, compound parts,
// lexicon expansions and — when it knows a knowledge base's vocabulary —
// corrections of misspelt words. A KB's Analyzer (KB.Analyzer) knows the
// KB's words; it is safe for concurrent use.
type Analyzer struct {
	lex   *lexicon
	split *splitter
	vocab map[string]int32 // index term → number of chunks holding it; nil without a KB
	fuzzy *fuzzyIndex
	trans *transTable // translations into the pages' languages; nil: none
	docs  int         // chunks and titles the vocabulary counts in
	// german: the knowledge base has German pages (a German question then
	// needs no translation of its compounds).
	german bool
}

// Weights of the ways a question word can match, relative to the word itself.
const (
	weightExact         = 1.0
	weightCompoundOOV   = 0.9 // parts of a compound the KB does not hold as a whole
	weightCompoundPart  = 0.6 // parts of a compound the KB also holds as a whole
	weightLexicon       = 0.8
	weightLexiconPhrase = 1.0 // expansions of a matched phrase of several words
	weightParticiple    = 0.8 // the verb of a German participle ("verkauft" → "verkauf")
	weightFuzzy1        = 0.7 // one edit away
	weightFuzzy2        = 0.55
	// weakFactor scales every way of matching a weak question word
	// (wordlists/weak.txt: "beantragen", "bestellen", "apply").
	weakFactor = 1.0 / 3
)

// transEmbedded is how many translations of each phrase of a question are
// embedded with it, so the question's vector points towards the pages'
// language too.
const transEmbedded = 2

// newAnalyzer returns an analyzer with the built-in lexicon plus extra
// lexicon files, without a KB vocabulary. germanFreq holds the folded words
// of German text with their frequencies for compound splitting (may be nil).
func newAnalyzer(extraLexicon []string, germanFreq map[string]int32) (*Analyzer, error) {
	lx, err := loadLexicon(extraLexicon)
	if err != nil {
		return nil, err
	}
	return &Analyzer{lex: lx, split: newSplitter(germanFreq), german: len(germanFreq) > 0}, nil
}

// setVocabulary gives the analyzer the KB's index terms (term → chunk
// frequency) for fuzzy matching and compound decisions.
func (a *Analyzer) setVocabulary(vocab map[string]int32, docs int) {
	a.vocab = vocab
	a.docs = docs
	a.fuzzy = newFuzzyIndex(vocab)
}

// termCache memoises the index terms of a word while one knowledge base is
// built. It is not safe for concurrent use.
type termCache map[string][]string

// wordTerms returns the index terms of one document word in lang: its stem
// and the German stems of its compound parts — in English pages too, which
// in a German city are full of German names ("Bürgeramt", "Kindergeld").
func (a *Analyzer) wordTerms(w word, lang string, cache termCache) []string {
	key := lang + ":" + w.lower
	if cache != nil {
		if t, ok := cache[key]; ok {
			return t
		}
	}
	terms := []string{stem(w.lower, lang)}
	if !w.joined {
		for _, p := range a.split.split(w.folded, lang != "en") {
			terms = append(terms, stem(p, "de"))
		}
	}
	if cache != nil {
		cache[key] = terms
	}
	return terms
}

// docTerms appends the index terms of text (a page's language lang) to dst:
// stop words removed, every word stemmed, compounds also as their parts.
func (a *Analyzer) docTerms(dst []string, text, lang string, cache termCache) []string {
	for _, w := range splitWords(text) {
		if w.stop(lang) {
			continue
		}
		dst = append(dst, a.wordTerms(w, lang, cache)...)
	}
	return dst
}

// qslot is one position of a query option: any of its terms may fill it.
type qslot []string

// qoption is one way a question word can be found in a page: all slots
// (usually one; several for compound parts and multi-word expansions).
type qoption struct {
	slots  []qslot
	weight float64
	// translation: a translation into the other language (see
	// capByConcept).
	translation bool
}

// qconcept is one content word of a question with all the ways to find it.
type qconcept struct {
	text    string // the word as asked (lower case)
	options []qoption
	weak    bool // a weak word (wordlists/weak.txt): its options weigh weakFactor
}

// analyzeQuery turns a question into concepts: one per content word, each
// with its stems (German and English), compound parts, lexicon expansions
// and — for words the KB does not know — near spellings from the KB.
// lang chooses the stop words ("" → detected; unsure → German and English).
// It also returns the lexicon expansions it applied, as written in the
// lexicon, so the caller can embed them with the question.
func (a *Analyzer) analyzeQuery(text, lang string) ([]qconcept, []string) {
	if lang == "" {
		if l, conf := DetectLanguage(text); conf >= 0.5 {
			lang = l
		}
	}
	all := splitWords(text)
	if lang == "de" {
		all = a.joinSeparable(text)
	}
	var words []word
	var joined []word
	var stops []word // for lexicon phrases that need one
	for _, w := range all {
		if w.stop(lang) || a.foreignStop(w, lang) {
			stops = append(stops, w)
			continue
		}
		if w.joined {
			joined = append(joined, w)
			continue
		}
		words = append(words, w)
	}
	qkeys := make([][]string, len(words))
	qheads := make([][]string, len(words))
	parts := make([][]string, len(words)) // each word's compound parts (nil: none)
	for i, w := range words {
		qkeys[i] = wordKeys(w)
		parts[i] = a.split.parts(w.folded, lang != "en")
		if n := len(parts[i]); n >= 2 {
			head := parts[i][n-1]
			qheads[i] = dedupe([]string{head, stem(head, "de")})
		}
	}
	concepts := make([]qconcept, 0, len(words))
	index := make(map[string]int) // German stem → concept
	conceptOf := make([]int, len(words))
	unknown := make(map[int]string) // concept → its stem the KB does not know
	for i, w := range words {
		main := qslot(wordStems(w))
		if ci, ok := index[main[0]]; ok {
			conceptOf[i] = ci
			continue
		}
		c := qconcept{text: w.lower, options: []qoption{{slots: []qslot{main}, weight: weightExact}}}
		known := a.knows(main)
		if top := parts[i]; len(top) > 0 {
			// The top-level parts form the option; an unknown part is also
			// found by its own parts.
			slots := make([]qslot, 0, len(top))
			for _, p := range top {
				s := qslot{stem(p, "de")}
				if sub := a.split.segment(p); len(sub) >= 2 && !a.knows(s) {
					// An unknown part ("steuerid") is found by its own parts.
					for _, sp := range sub {
						s = append(s, stem(sp, "de"))
					}
				}
				slots = append(slots, s)
			}
			wt := weightCompoundOOV
			if known {
				wt = weightCompoundPart
			}
			c.options = append(c.options, qoption{slots: slots, weight: wt})
			known = true
		}
		if lang != "de" && a.vocab != nil {
			// "labor" where the pages write "labour", "center" for
			// "centre" (see spellingVariants).
			for _, v := range spellingVariants(w.lower) {
				if s := (qslot{stem(v, "en")}); !slices.Contains(main, s[0]) && a.knows(s) && !c.has(qoption{slots: []qslot{s}}) {
					c.options = append(c.options, qoption{slots: []qslot{s}, weight: weightExact})
					known = true
				}
			}
		}
		if lang == "de" {
			// "verkauft", "abgemeldet": the verb the pages name
			// ("Verkauf", "abmelden").
			for _, st := range participleStems(w.folded) {
				if s := (qslot{st}); st != main[0] && a.knows(s) {
					c.options = append(c.options, qoption{slots: []qslot{s}, weight: weightParticiple})
					known = true
				}
			}
		}
		if !known {
			unknown[len(concepts)] = main[0]
		}
		index[main[0]] = len(concepts)
		conceptOf[i] = len(concepts)
		concepts = append(concepts, c)
	}
	// Hyphenated words also count as written together ("Steuer-ID" →
	// "steuerid") — an alternative for the concepts of their parts.
	for _, j := range joined {
		s := qslot{stem(j.lower, "de"), stem(j.lower, "en")}
		if !a.knows(s) {
			continue
		}
		for i, w := range words {
			if strings.HasPrefix(j.lower, w.lower) {
				c := &concepts[conceptOf[i]]
				c.options = append(c.options, qoption{slots: []qslot{dedupe(s)}, weight: weightExact})
				break
			}
		}
	}
	// Lexicon expansions attach to the concepts of the words they matched.
	var expansions []string
	for _, m := range a.lex.match(qkeys, qheads, stops, normLang(lang)) {
		var opts []qoption
		wt := weightLexicon
		if m.phrase() {
			wt = weightLexiconPhrase
		}
		for _, p := range m.expand {
			expansions = append(expansions, p.text)
			o := qoption{weight: wt}
			for _, pw := range p.words {
				o.slots = append(o.slots, qslot(pw.stems))
			}
			opts = append(opts, o)
		}
		for _, wi := range m.words {
			c := &concepts[conceptOf[wi]]
			for _, o := range opts {
				if !c.has(o) {
					c.options = append(c.options, o)
				}
			}
			delete(unknown, conceptOf[wi])
		}
	}
	// Translations into the language of the pages search alongside.
	translated := map[int]bool{} // question words a translation covers
	matches := a.trans.match(words, normLang(lang))
	// German names in an English question over English pages
	// ("Realschulabschluss", "Kinder- und Jugendkulturwerkstatt"): the
	// pages translated them, so the question's words are translated too.
	germanInEnglish := func(i int) bool {
		return normLang(lang) == "en" && !a.german && looksGerman(words[i]) && !a.knows(wordStems(words[i]))
	}
	if a.trans != nil && normLang(lang) == "en" && !a.german {
		var ger []word
		var at []int
		for i, w := range words {
			if germanInEnglish(i) {
				ger, at = append(ger, w), append(at, i)
			}
		}
		for _, m := range a.trans.match(ger, "de") {
			for k, wi := range m.words {
				m.words[k] = at[wi]
			}
			matches = append(matches, m)
		}
	}
	for _, m := range matches {
		for _, wi := range m.words {
			translated[wi] = true
		}
		for ti, t := range m.targets {
			if ti < transEmbedded {
				expansions = append(expansions, t.Text)
			}
			o := qoption{weight: t.Weight, translation: true}
			for _, s := range t.Slots {
				o.slots = append(o.slots, qslot(s))
			}
			for _, wi := range m.words {
				c := &concepts[conceptOf[wi]]
				if !c.has(o) {
					c.options = append(c.options, o)
				}
				delete(unknown, conceptOf[wi])
			}
		}
	}
	// Over English pages only, a German compound the table does not
	// translate as a whole is translated by its parts ("Masernimpfung" →
	// measles, vaccination): one option with a slot per part, found partly
	// when only some are. (With German pages, a German question has its
	// own pages to find.)
	if a.trans != nil && !a.german {
		for i, w := range words {
			if normLang(lang) == "en" && !germanInEnglish(i) {
				continue
			}
			if translated[i] || a.knows(qslot{stem(w.lower, "de")}) && a.vocab != nil {
				continue // translated, or a word the pages hold as it is
			}
			parts := a.trans.compoundParts(w.lower, func(t string) bool { return a.vocab != nil && a.vocab[t] > 0 })
			if parts == nil {
				continue
			}
			o := qoption{weight: weightCompoundOOV}
			for _, p := range parts {
				var slot qslot
				if a.vocab != nil && a.vocab[p] > 0 {
					slot = append(slot, p)
				}
				ts := a.trans.From["de"][p]
				for _, t := range ts {
					if len(t.Slots) == 1 {
						slot = append(slot, t.Slots[0]...)
					}
				}
				// A part the dictionary gives only as a phrase
				// ("Tagesbetreuung" → day care, "Beratungsstelle" →
				// counselling centre, "Vollzeit" → full time) is found by
				// the words of its shortest phrase (of those, the first the
				// table keeps: administrative senses first, then the
				// dictionary's order).
				if len(slot) == 0 && len(ts) > 0 {
					best := slices.MinFunc(ts, func(x, y transTarget) int { return cmp.Compare(len(x.Slots), len(y.Slots)) })
					for _, s := range best.Slots {
						o.slots = append(o.slots, qslot(s))
					}
					continue
				}
				o.slots = append(o.slots, dedupe(slot))
			}
			c := &concepts[conceptOf[i]]
			if !c.has(o) {
				c.options = append(c.options, o)
			}
			// Still looked up as a possible misspelling below: parts found
			// in a typo ("zulasungsstelle") are no translation.
		}
	}
	// Words the KB does not know, that are no compound of known words and
	// that the lexicon does not name, may be misspelt: near spellings from
	// the KB stand in.
	if a.fuzzy != nil {
		for ci, t := range unknown {
			for _, f := range a.fuzzy.near(t) {
				wt := weightFuzzy1
				if f.dist > 1 {
					wt = weightFuzzy2
				}
				concepts[ci].options = append(concepts[ci].options, qoption{slots: []qslot{{f.term}}, weight: wt})
			}
		}
	}
	weak := tables().weak
	for ci := range concepts {
		if weak[foldWord(concepts[ci].text)] {
			concepts[ci].weak = true
			for oi := range concepts[ci].options {
				concepts[ci].options[oi].weight *= weakFactor
			}
		}
	}
	return concepts, dedupe(expansions)
}

// foreignStop reports whether a word of a question is a stop word of the
// other language that only the name of something holds: "für" in "What is
// offered at Café Glanz für Frauen?", "with" in "Wie melde ich mich bei
// Start with a Friend an?". The pages do not index it (stop words are not
// searched), so it would count as a word no page knows; a word with a
// translation from the question's language ("die": to die) stays.
func (a *Analyzer) foreignStop(w word, lang string) bool {
	lang = normLang(lang)
	var other string
	switch lang {
	case "de":
		other = "en"
	case "en":
		other = "de"
	default:
		return false
	}
	if !w.stop(other) || a.knows(wordStems(w)) {
		return false
	}
	return a.trans == nil || len(a.trans.From[lang][stem(w.lower, lang)]) == 0
}

// has reports whether c already has an option with the same slots.
func (c *qconcept) has(o qoption) bool {
	for _, x := range c.options {
		if len(x.slots) != len(o.slots) {
			continue
		}
		same := true
		for i := range x.slots {
			if strings.Join(x.slots[i], " ") != strings.Join(o.slots[i], " ") {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// knows reports whether the KB holds any of the terms. Without a
// vocabulary every term counts as known.
func (a *Analyzer) knows(terms []string) bool {
	if a.vocab == nil {
		return true
	}
	for _, t := range terms {
		if a.vocab[t] > 0 {
			return true
		}
	}
	return false
}

// Terms returns the terms of text as the knowledge base sees them: stems
// (German and English), compound parts, lexicon expansions and, for words
// the KB does not know, near spellings it does — stop words removed, each
// term once, in order of appearance. lang ("de", "en") chooses the stop
// words; "" detects the language. Two texts share a term when they talk
// about the same thing, so the overlap of Terms of a question and of a
// sentence measures how well the sentence covers the question.
func (a *Analyzer) Terms(text, lang string) []string {
	var out []string
	seen := make(map[string]bool)
	concepts, _ := a.analyzeQuery(text, lang)
	for _, c := range concepts {
		for _, o := range c.options {
			for _, s := range o.slots {
				for _, t := range s {
					if !seen[t] {
						seen[t] = true
						out = append(out, t)
					}
				}
			}
		}
	}
	return out
}

// Concept is one content word of a question with every term that finds it
// in a text: its stems, compound parts, lexicon expansions, near
// spellings and translations.
type Concept struct {
	Word  string   // the word as asked (lower case)
	Own   []string // the word's own stems
	Terms []string // all terms, the word's own first
	// Ways are the ways the word is found in a text: each is a list of
	// slots that must all be filled, a slot by any of its terms (a
	// compound's parts are two slots: "Fahrradwerkstatt" is in a text with
	// "Fahrrad" and "Werkstatt", not in one with "Werkstatt" alone).
	Ways [][][]string
	// Weights are, per way, how surely it finds the word: 1 for the word
	// itself, less for a compound's parts, a near spelling or a rarer
	// translation.
	Weights []float64
}

// In reports whether a text whose terms has reports holds the concept:
// all slots of one of its ways filled.
func (c Concept) In(has func(term string) bool) bool {
	return slices.ContainsFunc(c.Ways, func(way [][]string) bool { return slotsFilled(way, has) })
}

// OwnWays are the ways of finding the word itself or its compound parts:
// every slot has a term within one of its own stems ("sperrmull" and
// "abhol" for "Sperrmüllabholung"), not a synonym or related word
// ("termin" for "buchen").
func (c Concept) OwnWays() [][][]string {
	var out [][][]string
	for _, way := range c.Ways {
		own := len(way) > 0
		for _, slot := range way {
			own = own && slices.ContainsFunc(slot, func(t string) bool {
				return slices.ContainsFunc(c.Own, func(o string) bool { return strings.Contains(o, t) })
			})
		}
		if own {
			out = append(out, way)
		}
	}
	return out
}

// slotsFilled reports whether every slot holds a term has accepts (false
// for no slots): one way to find a question word — its stem, or all the
// parts of a compound.
func slotsFilled[T any](slots [][]T, has func(T) bool) bool {
	if len(slots) == 0 {
		return false
	}
	for _, slot := range slots {
		if !slices.ContainsFunc(slot, has) {
			return false
		}
	}
	return true
}

// Concepts returns the content words of a question with the terms that
// find each (see Terms). lang ("de", "en") chooses the stop words; ""
// detects the language.
func (a *Analyzer) Concepts(text, lang string) []Concept {
	concepts, _ := a.analyzeQuery(text, lang)
	out := make([]Concept, 0, len(concepts))
	for _, c := range concepts {
		k := Concept{Word: c.text}
		seen := map[string]bool{}
		for oi, o := range c.options {
			way := make([][]string, 0, len(o.slots))
			for _, sl := range o.slots {
				way = append(way, []string(sl))
			}
			k.Ways = append(k.Ways, way)
			k.Weights = append(k.Weights, o.weight)
			for _, sl := range o.slots {
				for _, t := range sl {
					if seen[t] {
						continue
					}
					seen[t] = true
					k.Terms = append(k.Terms, t)
					if oi == 0 {
						k.Own = append(k.Own, t)
					}
				}
			}
		}
		out = append(out, k)
	}
	return out
}

// Rarity is how telling a term is in this knowledge base: its inverse
// document frequency over the chunks, 0..1 (1: in no chunk, or no
// vocabulary known).
func (a *Analyzer) Rarity(term string) float64 {
	if a.vocab == nil {
		return 1
	}
	n := float64(max(a.docs, 1))
	df := float64(a.vocab[term])
	if df == 0 {
		return 1
	}
	return math.Log(1+n/df) / math.Log(1+n)
}

// Known reports whether some chunk of the knowledge base holds term (true
// when no vocabulary is known).
func (a *Analyzer) Known(term string) bool {
	return a.vocab == nil || a.vocab[term] > 0
}

// dedupe returns s without repeated strings, keeping the first of each.
func dedupe(s []string) []string {
	out := make([]string, 0, len(s))
	for _, x := range s {
		dup := false
		for _, y := range out {
			if x == y {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

// fuzzyIndex finds index terms near a misspelt word: same first letter,
// similar length, at most one edit (two from eight letters on: a dropped
// letter and the stem's cut ending add up, "anmeldng" → "anmeld"; from
// nine letters, Berlin colloquial hit@1 0.748, from eight 0.755 and the
// sample city's misspelt questions all answered).
type fuzzyIndex struct {
	buckets map[fuzzyKey][]fuzzyTerm
}

type fuzzyKey struct {
	first byte
	n     int
}

type fuzzyTerm struct {
	term string
	df   int32
}

type fuzzyHit struct {
	term string
	dist int
	df   int32
}

const minFuzzyLen = 5 // shorter words are not corrected

func newFuzzyIndex(vocab map[string]int32) *fuzzyIndex {
	fi := &fuzzyIndex{buckets: make(map[fuzzyKey][]fuzzyTerm)}
	for t, df := range vocab {
		if len(t) < minFuzzyLen-2 || hasDigit(t) {
			continue
		}
		k := fuzzyKey{t[0], len(t)}
		fi.buckets[k] = append(fi.buckets[k], fuzzyTerm{t, df})
	}
	for _, b := range fi.buckets {
		sort.Slice(b, func(i, j int) bool { return b[i].term < b[j].term })
	}
	return fi
}

// near returns at most two terms within the allowed edit distance of t,
// nearest and most frequent first.
func (fi *fuzzyIndex) near(t string) []fuzzyHit {
	if fi == nil || len(t) < minFuzzyLen || hasDigit(t) {
		return nil
	}
	maxd := 1
	if len(t) >= 8 {
		maxd = 2
	}
	var hits []fuzzyHit
	for n := len(t) - maxd; n <= len(t)+maxd; n++ {
		for _, c := range fi.buckets[fuzzyKey{t[0], n}] {
			if d := editDistance(t, c.term, maxd); d <= maxd {
				hits = append(hits, fuzzyHit{c.term, d, c.df})
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].dist != hits[j].dist {
			return hits[i].dist < hits[j].dist
		}
		if hits[i].df != hits[j].df {
			return hits[i].df > hits[j].df
		}
		return hits[i].term < hits[j].term
	})
	if len(hits) > 2 {
		hits = hits[:2]
	}
	return hits
}

// editDistance returns the optimal-string-alignment distance of a and b
// (insertions, deletions, substitutions, transpositions of neighbours) in
// bytes, or max+1 once it exceeds max.
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := prev[j] + 1
			if x := cur[j-1] + 1; x < v {
				v = x
			}
			if x := prev[j-1] + cost; x < v {
				v = x
			}
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				if x := prev2[j-2] + 1; x < v {
					v = x
				}
			}
			cur[j] = v
			if v < rowMin {
				rowMin = v
			}
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// looksGerman reports whether a word of an English question is likely a
// German one: it has an umlaut or ß, or is a long word (a compound).
func looksGerman(w word) bool {
	return w.folded != w.lower || utf8.RuneCountInString(w.lower) >= minGermanInEnglish
}

// minGermanInEnglish is the length from which an unknown word of an
// English question is taken for a German compound.
const minGermanInEnglish = 10
