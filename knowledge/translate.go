package knowledge

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// A translation table lets a question in one language search pages in the
// other. It is built once per knowledge base from the German–English
// dictionary (dictionary.go) and keeps only translations whose words the
// city's pages hold: for an English question over German pages, every
// English word and phrase of the dictionary that has a German translation
// found in the pages. It is stored with the knowledge base.
//
// A question's words are looked up as phrases first ("residents parking
// permit" → "Bewohnerparkausweis"), then one by one; the translations
// search alongside the question's own words, weighed by how specific they
// are: a word with few translations more than one with many.

// transTarget is one translation of a source phrase: the words of the
// target phrase as the index holds them (one slot per word).
type transTarget struct {
	Text   string
	Slots  [][]string
	Weight float64
	// Forms are the English source phrases, as written (lower case, content
	// words), that the dictionary gives this translation for: a stem joins
	// words the dictionary tells apart ("insurances" and "insure" are both
	// "insur"), the word as asked does not. None for German sources.
	Forms []string
}

// transTable maps, per source language ("de", "en"), a source phrase (its
// words' stems joined by spaces) to its translations into the other
// language.
type transTable struct {
	From     map[string]map[string][]transTarget
	MaxWords int
}

// Weights of translations (see transWeight), chosen on the Integreat QA
// development set asked across languages (docs/benchmarks.md): for a
// question in a language the pages lack, its translations are all it has,
// so a specific translation weighs as much as a word of the question.
const (
	transWeightBase = 1.0
	// transSpecificity: a phrase with n > 2 translations gives each the
	// weight divided by (n/2)^transSpecificity.
	transSpecificity = 0.25
	// maxTranslations per source phrase are kept: phrases before words,
	// administrative senses ([adm.]) before others.
	maxTranslations = 12
	// maxForms of a source phrase are kept per translation.
	maxForms = 8
)

// transWeight is the weight of one of n translations of a phrase: the more
// translations a phrase has, the less each says.
func transWeight(n int) float64 {
	w := transWeightBase
	if n > 2 {
		w /= math.Pow(float64(n)/2, transSpecificity)
	}
	return w
}

// senseWeight is the share of a translation's weight that its sense
// keeps: the dictionary gives a word's usual sense in many of its entries
// (inflected forms, phrases: "finance" → "finanzieren" in "to finance",
// "financed", "financing"), a rarer sense in few ("finanziell
// unterstützen"). count is how many pairs give the translation, most the
// count of the phrase's most given one; a sense given in a quarter as many
// keeps half its weight (senseFloor). Chosen on the Integreat development
// set across languages (docs/benchmarks.md, fifteenth session).
func senseWeight(count, most int) float64 {
	if most <= 0 {
		return 1
	}
	return math.Max(senseFloor, math.Pow(float64(count)/float64(most), senseExponent))
}

const (
	senseExponent = 0.5
	senseFloor    = 0.5
)

// transCandidate collects translations of one source phrase while a table
// is built.
type transCandidate struct {
	target transTarget
	adm    bool
	count  int // dictionary pairs that give it
}

// buildTranslations reads a dictionary (named name, for errors) from r
// and keeps the translations into the languages the knowledge base has
// pages in (langs), whose words all occur in vocab (index term →
// frequency). A dictionary with fewer than minPairs translations is an
// error.
func buildTranslations(r io.Reader, name string, minPairs int, langs map[string]bool, vocab map[string]int32) (*transTable, error) {
	// A phrase is the stems of its content words; words repeat across the
	// dictionary, so their stems are kept.
	type phrase struct {
		stems []string
		text  string
		form  string // the content words as written, lower case
	}
	stems := map[string]string{}
	stemOf := func(w word, lang string) string {
		key := lang + w.lower
		s, ok := stems[key]
		if !ok {
			s = stem(w.lower, lang)
			stems[key] = s
		}
		return s
	}
	analyse := func(text, lang string, need func(string) bool) (phrase, bool) {
		var ps, forms []string
		for _, w := range splitWords(text) {
			if w.joined || isStop(w.folded, lang) {
				continue
			}
			s := stemOf(w, lang)
			if need != nil && !need(s) {
				return phrase{}, false
			}
			ps = append(ps, s)
			forms = append(forms, w.lower)
		}
		return phrase{ps, text, strings.Join(forms, " ")}, len(ps) > 0
	}
	inKB := func(s string) bool { return vocab[s] > 0 }
	cands := map[string]map[string][]transCandidate{}
	add := func(from string, src, dst phrase, adm bool) {
		if subset(dst.stems, src.stems) {
			return
		}
		key := strings.Join(src.stems, " ")
		m := cands[from]
		if m == nil {
			m = map[string][]transCandidate{}
			cands[from] = m
		}
		for i, c := range m[key] {
			if c.target.Text == dst.text || strings.Join(flatten(c.target.Slots), " ") == strings.Join(dst.stems, " ") {
				if adm && !c.adm {
					m[key][i].adm = true
				}
				m[key][i].count++
				if f := src.form; from == "en" && len(c.target.Forms) < maxForms && !slices.Contains(c.target.Forms, f) {
					m[key][i].target.Forms = append(c.target.Forms, f)
				}
				return
			}
		}
		slots := make([][]string, len(dst.stems))
		for i, s := range dst.stems {
			slots[i] = []string{s}
		}
		var forms []string // only English words are looked up as written (asWritten)
		if from == "en" {
			forms = []string{src.form}
		}
		m[key] = append(m[key], transCandidate{target: transTarget{Text: dst.text, Slots: slots, Forms: forms}, adm: adm, count: 1})
	}
	direction := func(from, to, src, dst string, adm bool) {
		d, ok := analyse(dst, to, inKB)
		if !ok {
			return
		}
		s, ok := analyse(src, from, nil)
		// An abbreviation the pages write as it is asked is their name
		// for something ("AVV", the city's transport association, in the
		// English pages too), not the dictionary's ("/AVV/", a data
		// processing agreement).
		if ok && !(strings.HasPrefix(src, "/") && len(s.stems) == 1 && inKB(s.stems[0])) {
			add(from, s, d, adm)
		}
	}
	parts := partSenses{words: map[string][]string{}}
	err := readDictionary(r, name, minPairs, func(p dictPair) {
		if langs["de"] {
			direction("en", "de", p.en, p.de, p.adm)
		}
		if langs["de"] && !p.form && !strings.HasPrefix(p.de, "/") && !strings.HasPrefix(p.en, "/") {
			parts.collect(p)
		}
		if langs["en"] && !p.form {
			direction("de", "en", p.de, p.en, p.adm)
		}
	})
	if err != nil {
		return nil, err
	}
	t := &transTable{From: map[string]map[string][]transTarget{}}
	for from, m := range cands {
		out := make(map[string][]transTarget, len(m))
		for key, cs := range m {
			words := strings.Count(key, " ") + 1
			t.MaxWords = max(t.MaxWords, words)
			most := 0
			for _, c := range cs {
				most = max(most, c.count)
			}
			for i := range cs {
				cs[i].target.Weight = transWeight(len(cs)) * senseWeight(cs[i].count, most)
			}
			sort.SliceStable(cs, func(a, b int) bool {
				if cs[a].adm != cs[b].adm {
					return cs[a].adm
				}
				return len(cs[a].target.Slots) < len(cs[b].target.Slots)
			})
			n := min(len(cs), maxTranslations)
			ts := make([]transTarget, n)
			for i := range ts {
				ts[i] = cs[i].target
			}
			out[key] = ts
		}
		t.From[from] = out
	}
	if langs["de"] {
		addPartSenses(t, parts.derive(), func(en string) (string, string, bool) {
			src, ok := analyse(en, "en", nil)
			if !ok || len(src.stems) != 1 {
				return "", "", false
			}
			return src.stems[0], src.form, true
		}, func(de string) (string, bool) {
			dst, ok := analyse(de, "de", inKB)
			if !ok || len(dst.stems) != 1 {
				return "", false
			}
			return dst.stems[0], true
		})
	}
	return t, nil
}

// addPartSenses adds to t the senses of English words read from the
// dictionary's compounds (partSenses.derive), for the English words (by
// their stem and form, from source) whose German part the pages hold (its
// stem, from target). They come after the dictionary's own translations
// of a word, a few, at a part of their weight: the dictionary does not
// give them, they are read from its compounds. Only English questions
// use them: German questions split their compounds themselves
// (compoundParts), and the same senses as translations of the German
// parts cost German questions over English pages (docs/benchmarks.md).
func addPartSenses(t *transTable, derived []derivedSense, source func(en string) (key, form string, ok bool), target func(de string) (string, bool)) {
	type partSense struct {
		target  transTarget
		support int
	}
	senses := map[string][]partSense{}
	for _, d := range derived {
		key, form, ok := source(d.en)
		if !ok {
			continue
		}
		part, ok := target(d.de)
		if !ok {
			continue
		}
		known := false
		for _, tt := range t.From["en"][key] {
			known = known || slices.Contains(flatten(tt.Slots), part)
		}
		for _, s := range senses[key] {
			known = known || s.target.Slots[0][0] == part
		}
		if !known {
			senses[key] = append(senses[key], partSense{transTarget{Text: d.de, Slots: [][]string{{part}}, Forms: []string{form}}, d.support})
		}
	}
	if len(senses) > 0 && t.From["en"] == nil {
		t.From["en"] = map[string][]transTarget{}
	}
	for key, ss := range senses {
		slices.SortStableFunc(ss, func(a, b partSense) int { return b.support - a.support })
		ss = ss[:min(len(ss), maxPartSenses)]
		for _, s := range ss {
			s.target.Weight = partSenseWeight * senseWeight(s.support, ss[0].support)
			t.From["en"][key] = append(t.From["en"][key], s.target)
		}
	}
}

// A word's senses read from compounds (partSenses): at most
// maxPartSenses the dictionary does not give already, each at
// partSenseWeight of a translation's weight.
const (
	maxPartSenses   = 2
	partSenseWeight = 0.2
)

// partSenses collects what the dictionary's compounds say about their
// parts. The dictionary translates many English words that German writes
// as the first part of a compound only inside the compound:
// "apprenticeship place" → "Ausbildungsplatz", "year of apprenticeship" →
// "Ausbildungsjahr", while "apprenticeship" alone is only "Lehre". With
// "place" → "Platz", the first says "apprenticeship" → "Ausbildung(s)".
type partSenses struct {
	words     map[string][]string // an English word → its one-word German translations (lower case)
	compounds []compoundPair
}

// compoundPair is a German word translated by an English phrase of two
// content words.
type compoundPair struct {
	de string
	en [2]string
}

// minPartSupport: a part's sense is kept when compounds with at least this
// many different other parts show it; one compound alone is as often an
// idiom ("Taschengeld" is "pocket money", yet "Taschen" is no "pocket" in
// the sense a city means).
const minPartSupport = 2

// collect notes a dictionary pair of one German word and an English word
// or two-word phrase.
func (ps *partSenses) collect(p dictPair) {
	// Clones: the dictionary's strings are slices of its lines, which are
	// not to be kept.
	de := strings.Clone(strings.ToLower(p.de))
	if strings.ContainsAny(de, " -.") {
		return
	}
	var en []string
	for _, w := range splitWords(p.en) {
		if w.joined || isStop(w.folded, "en") {
			continue
		}
		en = append(en, strings.Clone(w.lower))
	}
	switch len(en) {
	case 1:
		if !strings.ContainsAny(p.en, " -") && !slices.Contains(ps.words[en[0]], de) {
			ps.words[en[0]] = append(ps.words[en[0]], de)
		}
	case 2:
		if len(de) < 2*minPartLen+1 {
			return // too short to be a compound of two parts
		}
		ps.compounds = append(ps.compounds, compoundPair{de: de, en: [2]string{en[0], en[1]}})
	}
}

// derivedSense is an English word and the German compound part it
// translates, with the number of different other parts that show it.
type derivedSense struct {
	en, de  string
	support int
}

// derive returns the senses the compounds show for at least
// minPartSupport different other parts: a compound "AB" translated by "X
// Y" (or "Y of X") where Y alone translates to B says that X translates
// to A, without its linking element where it has one. They are in a fixed
// order, so that a table does not depend on map order.
func (ps *partSenses) derive() []derivedSense {
	type sense struct{ en, de string }
	shown := map[sense]map[string]bool{}
	for _, c := range ps.compounds {
		for i := range 2 {
			y, x := c.en[i], c.en[1-i]
			for _, b := range ps.words[y] {
				if len(b) < minPartLen || len(c.de)-len(b) < minPartLen+1 || !strings.HasSuffix(c.de, b) {
					continue
				}
				a := c.de[:len(c.de)-len(b)]
				if l := trimLinkers(a); len(l) > 0 && len(l[0]) >= minPartLen+1 {
					a = l[0]
				}
				k := sense{x, a}
				if shown[k] == nil {
					shown[k] = map[string]bool{}
				}
				shown[k][stem(y, "en")] = true
			}
		}
	}
	var out []derivedSense
	for k, ys := range shown {
		if len(ys) >= minPartSupport {
			out = append(out, derivedSense{k.en, k.de, len(ys)})
		}
	}
	slices.SortFunc(out, func(a, b derivedSense) int {
		return cmp.Or(strings.Compare(a.en, b.en), strings.Compare(a.de, b.de))
	})
	return out
}

// subset reports whether every string of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func flatten(slots [][]string) []string {
	var out []string
	for _, s := range slots {
		out = append(out, s...)
	}
	return out
}

// transMatch is a phrase of the question found in the table.
type transMatch struct {
	words   []int // indexes of the question words it covers
	targets []transTarget
}

// match finds the question's phrases in the table: at every word, the
// longest phrase of consecutive content words the table knows, and every
// single word. words are the question's content words; lang the question's
// language ("" tries both).
func (t *transTable) match(words []word, lang string) []transMatch {
	if t == nil || len(words) == 0 {
		return nil
	}
	var from []string
	switch lang {
	case "de", "en":
		from = []string{lang}
	default:
		from = []string{"de", "en"}
	}
	var out []transMatch
	for _, src := range from {
		m := t.From[src]
		if len(m) == 0 {
			continue
		}
		stems := make([]string, len(words))
		for i, w := range words {
			stems[i] = stem(w.lower, src)
		}
		// An English phrase's translations as written (asWritten).
		written := func(ts []transTarget, i, n int) []transTarget {
			if src != "en" {
				return ts
			}
			form := words[i].lower
			for _, w := range words[i+1 : i+n] {
				form += " " + w.lower
			}
			return asWritten(ts, form)
		}
		for i := range words {
			for n := min(t.MaxWords, len(words)-i); n >= 1; n-- {
				ts, ok := m[strings.Join(stems[i:i+n], " ")]
				if !ok {
					continue
				}
				idx := make([]int, n)
				for k := range idx {
					idx[k] = i + k
				}
				out = append(out, transMatch{words: idx, targets: written(ts, i, n)})
				if n > 1 {
					// A phrase found: its words are still looked up alone
					// (they may mean something on their own), shorter
					// phrases starting here are not.
					if ts1, ok := m[stems[i]]; ok {
						out = append(out, transMatch{words: []int{i}, targets: written(ts1, i, 1)})
					}
				}
				break
			}
		}
	}
	return out
}

// asWritten weighs, of an English phrase's translations (form: its words
// as written, lower case), those the dictionary gives only for other words
// of the same stems at otherFormWeight, when some are given for the phrase
// as written: the English stemmer joins words the dictionary tells apart
// ("insurances" and "insure" are both "insur", "universities" and
// "universe" "univers"), so "insurances" is "Versicherungen" before it is
// "sicherstellen". German stems join fewer such words; there it cost the
// Integreat development set asked across languages more than it gained
// (docs/benchmarks.md), so a German word's translations are left as they
// are (the table keeps no forms for them).
func asWritten(ts []transTarget, form string) []transTarget {
	n := 0
	for _, t := range ts {
		if slices.Contains(t.Forms, form) {
			n++
		}
	}
	if n == 0 || n == len(ts) {
		return ts
	}
	out := make([]transTarget, len(ts))
	for i, t := range ts {
		if !slices.Contains(t.Forms, form) {
			t.Weight *= otherFormWeight
		}
		out[i] = t
	}
	return out
}

// otherFormWeight: chosen on the Integreat development set, English
// questions over German pages (0.4 and 0.6 found the same first pages; 0.6
// declined fewer answerable questions).
const otherFormWeight = 0.6

// compoundParts splits a German word the table does not translate as a
// whole into parts it does ("masernimpfung" → "masern" + "impfung",
// "bewerbungshilfe" → "bewerbung(s)" + "hilfe"), or that the pages hold as
// they are (known: "familien" is the index term of "family" too): the
// head (the last part) as long as possible, the rest whole (without a
// linking element) or split once more. It returns the parts' stems, nil
// when the word is no such compound.
func (t *transTable) compoundParts(lower string, known func(stem string) bool) []string {
	m := t.From["de"]
	if len(m) == 0 || len(lower) < minCompoundLen+1 || hasDigit(lower) {
		return nil
	}
	var split func(w string, depth int) []string
	split = func(w string, depth int) []string {
		for i := minPartLen; i <= len(w)-minPartLen; i++ {
			head := w[i:]
			if !utf8.RuneStart(w[i]) || len(head) < minPartLen+1 {
				continue
			}
			hk := stem(head, "de")
			if m[hk] == nil && !known(hk) {
				continue
			}
			left := w[:i]
			for _, l := range append([]string{left}, trimLinkers(left)...) {
				if len(l) < minPartLen {
					continue
				}
				if lk := stem(l, "de"); m[lk] != nil || known(lk) {
					return []string{lk, hk}
				}
			}
			if depth > 0 {
				if parts := split(left, depth-1); parts != nil {
					return append(parts, hk)
				}
			}
		}
		return nil
	}
	return split(lower, 1)
}

// trimLinkers returns w without each linking element it ends with.
func trimLinkers(w string) []string {
	var out []string
	for _, l := range linkers {
		if strings.HasSuffix(w, l) {
			out = append(out, strings.TrimSuffix(w, l))
		}
	}
	return out
}

// size is the number of translations in the table.
func (t *transTable) size() int {
	if t == nil {
		return 0
	}
	n := 0
	for _, m := range t.From {
		for _, ts := range m {
			n += len(ts)
		}
	}
	return n
}

// String describes the table for logs and tests.
func (t *transTable) String() string {
	if t == nil {
		return "no translations"
	}
	return fmt.Sprintf("%d translations (de→en %d phrases, en→de %d phrases)", t.size(), len(t.From["de"]), len(t.From["en"]))
}
