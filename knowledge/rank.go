package knowledge

import (
	"maps"
	"math"
	"sort"
	"strings"
)

// Ranking turns the evidence for a candidate page (RankFeatures) into its
// score: a weighted sum, the weights fitted on question sets (`civibot
// eval --fit-ranking`, docs/benchmarks.md). A city that serves with a
// semantic embedder can refit them: the vector then says more.
type Ranking struct {
	Lexical        float64 `yaml:"lexical"`
	Chunk          float64 `yaml:"chunk"`
	Vector         float64 `yaml:"vector"`
	TitleNamed     float64 `yaml:"title_named"`
	TitleCovered   float64 `yaml:"title_covered"`
	RareCoverage   float64 `yaml:"rare_coverage"`
	SiblingNamed   float64 `yaml:"sibling_named"`
	SiblingMissing float64 `yaml:"sibling_missing"`
	Language       float64 `yaml:"language"`
	Alias          float64 `yaml:"alias"`
}

// RankFeatures is the evidence for one candidate page of one question.
// Each is comparable across the candidates of a question.
type RankFeatures struct {
	// Lexical is the page's BM25 (title weighted) relative to the best
	// candidate's (0..1).
	Lexical float64 `json:"lexical"`
	// Chunk is the page's best chunk BM25 relative to the best (0..1).
	Chunk float64 `json:"chunk"`
	// Vector is the best cosine of the page's chunks to the question (0..1).
	Vector float64 `json:"vector"`
	// TitleNamed is the share of the question's words (weighed by how rare
	// they are among titles) that the title names.
	TitleNamed float64 `json:"title_named"`
	// TitleCovered is the share of the title's words the question holds.
	TitleCovered float64 `json:"title_covered"`
	// RareCoverage is the share of the question's words the page holds,
	// each weighed by how rare it is among the pages: a page without the
	// question's rarest word is rarely the answer.
	RareCoverage float64 `json:"rare_coverage"`
	// SiblingNamed and SiblingMissing concern pages with a sibling among
	// the best candidates (titles sharing a word: "Parkausweis für Gäste",
	// "Parkausweis für Anwohner"): how much of what tells this page's title
	// from its siblings' the question names, and how much it does not
	// (rare title words count more).
	SiblingNamed   float64 `json:"sibling_named"`
	SiblingMissing float64 `json:"sibling_missing"`
	// Language is 1 when the page is in the question's language.
	Language float64 `json:"language"`
	// Alias is how well the question matches the page's best alias (a
	// question a caseworker answered with the page), 0..1.
	Alias float64 `json:"alias"`
}

// DefaultRanking are the weights fitted for the local embedder (see
// docs/benchmarks.md for the data and the held-out figures).
func DefaultRanking() Ranking {
	return Ranking{Lexical: 1, Chunk: 0, Vector: 0.75, TitleNamed: 0.14, TitleCovered: 0.06, Language: 0.35, Alias: aliasWeight}
}

// Score is the weighted sum of the features.
func (r Ranking) Score(f RankFeatures) float64 {
	return r.Lexical*f.Lexical + r.Chunk*f.Chunk + r.Vector*f.Vector + r.TitleNamed*f.TitleNamed +
		r.TitleCovered*f.TitleCovered + r.RareCoverage*f.RareCoverage + r.SiblingNamed*f.SiblingNamed +
		r.SiblingMissing*f.SiblingMissing + r.Language*f.Language + r.Alias*f.Alias
}

// Values returns the features in the order of Ranking's fields (for
// fitting).
func (f RankFeatures) Values() []float64 {
	return []float64{f.Lexical, f.Chunk, f.Vector, f.TitleNamed, f.TitleCovered, f.RareCoverage, f.SiblingNamed, f.SiblingMissing, f.Language, f.Alias}
}

// RankingFrom builds weights from a vector in the order of Values.
func RankingFrom(w []float64) Ranking {
	return Ranking{Lexical: w[0], Chunk: w[1], Vector: w[2], TitleNamed: w[3], TitleCovered: w[4], RareCoverage: w[5],
		SiblingNamed: w[6], SiblingMissing: w[7], Language: w[8], Alias: w[9]}
}

// aliasWeight is the weight of a question's match with a page's alias: a
// question asked just like one a caseworker answered with the page finds
// that page first.
const aliasWeight = 1.0

// siblingWindow is how many of the best candidates are compared for
// siblings.
const siblingWindow = 12

// features computes the rank features of every candidate.
func (kb *KB) features(list []*pageCand, pq *pquery, inQuery map[uint32]bool, lang string) {
	var maxLex, maxChunk float64
	for _, pc := range list {
		maxLex = math.Max(maxLex, pc.lex)
		maxChunk = math.Max(maxChunk, pc.bestLex)
	}
	cidf, total := pq.conceptIDF(len(kb.pages))
	for _, pc := range list {
		f := &pc.f
		if maxLex > 0 {
			f.Lexical = pc.lex / maxLex
		}
		if maxChunk > 0 {
			f.Chunk = pc.bestLex / maxChunk
		}
		f.Vector = math.Max(0, pc.vec)
		f.TitleNamed, f.TitleCovered = kb.titleMatch(pc.page, pq, inQuery)
		if total > 0 {
			var got float64
			for ci := range pq.concepts {
				if pq.concepts[ci].matched(pc.holds) {
					got += cidf[ci]
				}
			}
			f.RareCoverage = got / total
		}
		if lang != "" && kb.lang[pc.page] == lang {
			f.Language = 1
		}
	}
}

// conceptIDF weighs each concept of the question by how rare it is among
// the pages: the highest page IDF of its own terms (a word no page knows
// is as rare as can be). It returns the weights and their sum.
func (pq *pquery) conceptIDF(pages int) ([]float64, float64) {
	maxIDF := bm25IDF(float64(pages), 0)
	out := make([]float64, len(pq.concepts))
	var total float64
	for ci, c := range pq.concepts {
		var w float64
		known := false
		for _, o := range c.options {
			for _, slot := range o.slots {
				for _, i := range slot {
					known = true
					w = math.Max(w, math.Min(1, o.weight)*pq.idfPage[i])
				}
			}
		}
		if !known {
			w = maxIDF
		}
		out[ci] = w
		total += w
	}
	return out, total
}

// siblings computes the sibling features of the best candidates (list is
// sorted by a first score). Pages whose titles share a word are siblings
// ("Parkausweis für Gäste beantragen", "Parkausweis für Anwohner
// beantragen"); against each sibling, the words of a page's title that the
// sibling's title lacks tell the two apart. SiblingNamed is how much of
// them the question names, SiblingMissing how much it does not (weighed by
// rarity among titles, averaged over the siblings): the question decides
// for the page whose particular words it names, and, naming none, for the
// plain variant over the special one ("Reisepass beantragen" over
// "Reisepass beantragen (vorläufiger Reisepass)").
func (kb *KB) siblings(list []*pageCand, inQuery map[uint32]bool) {
	n := min(len(list), siblingWindow)
	np := float64(len(kb.pages))
	maxIDF := bm25IDF(np, 0)
	titleSet := make([]map[uint32]bool, n)
	for i := 0; i < n; i++ {
		titleSet[i] = kb.titleSet(list[i].page)
	}
	named := func(w []uint32) bool { return namedIn(inQuery, w) }
	for i := 0; i < n; i++ {
		f := &list[i].f
		words := kb.titleWords[list[i].page]
		sibs := 0
		var nm, ms float64
		for j := 0; j < n; j++ {
			if j == i || !sharesAny(titleSet[i], titleSet[j]) {
				continue
			}
			sibs++
			for _, w := range words {
				if titleSet[j][w[0]] {
					continue
				}
				idf := bm25IDF(np, float64(kb.terms.dfTitle[w[0]])) / maxIDF
				if named(w) {
					nm += idf
				} else {
					ms += idf
				}
			}
		}
		if sibs > 0 {
			f.SiblingNamed = nm / float64(sibs)
			f.SiblingMissing = ms / float64(sibs)
		}
	}
}

func sharesAny(a, b map[uint32]bool) bool {
	for id := range a {
		if b[id] {
			return true
		}
	}
	return false
}

// rank scores the candidates with the ranking weights and sorts them, best
// first: all by the features that need no comparison, then the best again
// with their siblings in view; among the closest, a page whose whole title
// the question says, then between a service and its variants.
func (kb *KB) rank(list []*pageCand, pq *pquery, inQuery map[uint32]bool, lang string, r Ranking) {
	kb.features(list, pq, inQuery, lang)
	for _, pc := range list {
		pc.fused = r.Score(pc.f)
	}
	sortCands(list)
	kb.siblings(list, inQuery)
	n := min(len(list), siblingWindow)
	for _, pc := range list[:n] {
		pc.fused = r.Score(pc.f)
	}
	sortCands(list)
	kb.preferNamedTitle(list, inQuery)
	kb.preferVariant(list, pq, inQuery, lang)
}

// namedTitleWindow is how many of the best candidates preferNamedTitle
// looks at, namedTitleMargin how far below the first (in fused score) the
// named one may be. Measured on the development sets (docs/benchmarks.md):
// Berlin hit@1 0.796 → 0.803, Hamburg (whole site) 0.689 → 0.756, the
// other sets within ±0.002 at 0.2; at 0.3 "Wie melde ich ein Gewerbe an?"
// gets "Gewerbe anmelden" (Hamburg probe 0.800 → 0.820, confident wrong
// 0.060 → 0.040) and German questions over English pages 0.581 → 0.584,
// English over German 0.593 → 0.592; 0.4 moved more cases for as little.
// Between services of one family (sameFamily) the named one may be up to
// familyTitleMargin below: their pages share their words, so the one
// that repeats them more often ("Befreiung von der Hundesteuer") says
// less about which service is asked than the title does ("How do I
// register my dog for tax?" → "Hund steuerlich anmelden").
const (
	namedTitleWindow  = 5
	namedTitleMargin  = 0.3
	familyTitleMargin = 0.5
)

// preferNamedTitle puts first a close candidate whose whole title (two
// words or more) the question holds — "neuen Personalausweis beantragen,
// was brauche ich" names "Personalausweis beantragen", not "Aufenthalts-
// erlaubnis - zu einem neuen Pass oder Ausweis übertragen" — when the
// question does not hold the first's whole title too, and the candidate
// holds the question's rare words as well as the first does. A title is a
// service's name: a question that says all of it asks for that service.
// A title word is said as preferVariant takes it to be named (namedIn);
// a word of the kind before " - " also by a part ("Hundehaltung - Hund
// steuerlich anmelden" is named by "Hund steuerlich anmelden"): the kind
// is the family's, the rest names the service. A compound of the question
// that a title holds as one word names its parts too (namedByParts).
func (kb *KB) preferNamedTitle(list []*pageCand, inQuery map[uint32]bool) {
	n := min(len(list), namedTitleWindow)
	if n < 2 {
		return
	}
	inQuery = kb.namedByParts(inQuery)
	whole := func(p int) bool {
		ws := kb.titleWords[p]
		if len(ws) < 2 {
			return false
		}
		for i, w := range ws {
			if !namedIn(inQuery, w) && (i >= kb.titleKind[p] || !partNamed(inQuery, w)) {
				return false
			}
		}
		return true
	}
	if whole(list[0].page) {
		return
	}
	for j := 1; j < n; j++ {
		c := list[j]
		gap := list[0].fused - c.fused
		if gap > familyTitleMargin {
			return
		}
		if gap > namedTitleMargin && !kb.sameFamily(list[0].page, c.page) {
			continue
		}
		if c.f.RareCoverage >= list[0].f.RareCoverage && whole(c.page) {
			promote(list, j)
			return
		}
	}
}

// variantWindow is how many of the best candidates preferVariant looks
// at, variantMargin how far below the first (in fused score) a variant
// may be. Measured on the development sets (docs/benchmarks.md): Berlin
// hit@1 0.714 → 0.735 with fewer clarifying questions (0.238 → 0.204),
// Integreat within ±0.006; a margin of 0.3 gave Berlin nothing, 0.08 half.
const (
	variantWindow = 3
	variantMargin = 0.15
)

// preferVariant decides between a service and its variants, pages whose
// title is the service's title and more ("Reisepass beantragen" and
// "Reisepass beantragen (vorläufiger Reisepass)", "Schwerbehindertenausweis"
// and "Schwerbehindertenausweis - Ausstellung nach Verlust"): a question
// that names none of a variant's own words asks for the plain service, one
// that names them asks for the variant. Only among the best few and close
// scores: the ranking decides everything else.
func (kb *KB) preferVariant(list []*pageCand, pq *pquery, inQuery map[uint32]bool, lang string) {
	n := min(len(list), variantWindow)
	if n < 2 {
		return
	}
	// own: the words of a's title that b's lacks, and how many of them the
	// question names — by its own words where they name one page's words
	// and not the other's (a lexicon entry may list siblings as synonyms:
	// "Mietzuschuss" and "Lastenzuschuss"), else, or when the pages are in
	// another language than the question, with its expansions and
	// translations ("residents" names "Anwohner").
	own := func(a int, sb map[uint32]bool, q map[uint32]bool) (words, nm int) {
		for _, w := range kb.titleWords[a] {
			if !sb[w[0]] && !kb.everywhere(w[0]) {
				words++
				if namedIn(q, w) {
					nm++
				}
			}
		}
		return words, nm
	}
	top := list[0]
	st := kb.titleSet(top.page)
	var ownQuery map[uint32]bool // the question's own words, worked out at the first close pair
	var over []int
	for j := 1; j < n; j++ {
		c := list[j]
		if top.fused-c.fused > variantMargin {
			break
		}
		if ownQuery == nil {
			ownQuery = pq.ownIDs()
		}
		sc := kb.titleSet(c.page)
		qm, byOwn := ownQuery, true
		ot, nt := own(top.page, sc, qm)
		oc, nc := own(c.page, st, qm)
		if (nt > 0) == (nc > 0) || kb.lang[top.page] != lang || kb.lang[c.page] != lang {
			qm, byOwn = inQuery, false
			_, nt = own(top.page, sc, qm)
			_, nc = own(c.page, st, qm)
		}
		var forC, forTop bool
		switch {
		case oc == 0 && ot > 0 && len(sc) > 0:
			// The first is a variant of c: c unless the question names
			// the variant's own words with words c's title does not
			// already answer ("birth certificate" is "Geburtsurkunde
			// beantragen", though "birth" also names the "Geburt" of
			// "Geburtsurkunde bei Geburt im Ausland").
			_, nt = own(top.page, sc, idsBeyond(pq, sc, st, qm, byOwn))
			forC, forTop = nt == 0, nt > 0
		case ot == 0 && oc > 0 && len(st) > 0:
			// c is a variant of the first: c if the question names its
			// own words beyond the first's title.
			_, nc = own(c.page, st, idsBeyond(pq, st, sc, qm, byOwn))
			forC, forTop = nc > 0, nc == 0
		case ot > 0 && oc > 0 && kb.sameFamily(top.page, c.page):
			// Services of one family ("Hundehaltung - Hund steuerlich
			// anmelden", "Hundehaltung - Befreiung von der Hundesteuer
			// beantragen"): the one more of whose own words the question
			// names ("register my dog" names "Hund" and "anmelden" of the
			// first, only "Hundesteuer" of the other). Naming as many of
			// each, it does not decide.
			forC, forTop = nc > nt, nt > nc
			if nt == 0 && nc == 0 && kb.ownAction(top.page, sc) == actionLater && kb.ownAction(c.page, st) == actionFirst {
				// Naming neither, the question more likely asks for what
				// is done first with the service ("Wie bekomme ich einen
				// Aufenthaltstitel?": "… beantragen", not "…
				// verlängern"). Only likelier: the two trade places and
				// scores, so the doubt between them stays what it was and
				// the other stays an alternative to ask about.
				top.fused, c.fused = c.fused, top.fused
				promote(list, j)
				return
			}
		}
		switch {
		case forC:
			c.decidedOver = append(c.decidedOver, top.page)
			promote(list, j)
			return
		case forTop:
			over = append(over, c.page)
		}
	}
	top.decidedOver = over
}

// siblingWindowNamed is how many of the best candidates after the first
// namedSiblings looks at.
const siblingWindowNamed = 3

// namedSiblings returns the ids of the candidates after the first (among
// the next few) of the first's family of services (sameFamily) whose
// shared title words the question names — a word, not an action
// ("beantragen" is shared by half a city's titles) and not one most pages
// hold. Their order decides nothing the question said.
func (kb *KB) namedSiblings(list []*pageCand, inQuery map[uint32]bool) []string {
	if len(list) < 2 {
		return nil
	}
	top := list[0].page
	var q map[uint32]bool // the question's ids with their title parts, worked out at the first sibling
	var out []string
	for _, c := range list[1:min(len(list), 1+siblingWindowNamed)] {
		if !kb.sameFamily(top, c.page) {
			continue
		}
		if q == nil {
			q = kb.namedByParts(inQuery)
		}
		sc := kb.titleSet(c.page)
		for _, w := range kb.titleWords[top] {
			if sc[w[0]] && !kb.everywhere(w[0]) && kb.titleActions[w[0]] == actionNone && (namedIn(q, w) || partNamed(q, w)) {
				out = append(out, kb.pages[c.page].ID)
				break
			}
		}
	}
	return out
}

// everywhere reports whether most pages hold the term: a word such as the
// city's name ("Gewerbe anmelden bei der Handelskammer Hamburg") tells no
// page from another, so a question naming it names no variant.
func (kb *KB) everywhere(id uint32) bool {
	return 3*int(kb.terms.dfPage[id]) > 2*len(kb.pages)
}

// idsBeyond are those of the ids in q that belong to question concepts
// the plain page's title (its titleSet) answers as fully as the
// variant's: the words left to name the variant with. A title answers a
// concept with the most slots of its options it holds word for word (a
// compound part does not count: "Führerschein" is not all of
// "Kartenführerschein"); "birth certificate" is all answered by
// "Geburtsurkunde beantragen", though "birth" also names the "Geburt" of
// "Geburtsurkunde bei Geburt im Ausland", while "Nachhilfeunterricht"
// ("private tutoring") is answered more fully by "Private tutoring" than
// by "Tutoring". With own, only the question's own word counts, as it
// names only by it.
func idsBeyond(pq *pquery, plain, variant map[uint32]bool, q map[uint32]bool, own bool) map[uint32]bool {
	inPlain := func(i int) bool { return plain[pq.ids[i]] }
	inVariant := func(i int) bool { return variant[pq.ids[i]] }
	out := make(map[uint32]bool, len(q))
	for ci := range pq.concepts {
		opts := pq.concepts[ci].options
		if own {
			opts = opts[:min(1, len(opts))]
		}
		var bp, bv int
		for _, o := range opts {
			if slotsFilled(o.slots, inPlain) {
				bp = max(bp, len(o.slots))
			}
			if slotsFilled(o.slots, inVariant) {
				bv = max(bv, len(o.slots))
			}
		}
		if bp > 0 && bp >= bv {
			continue
		}
		for _, o := range pq.concepts[ci].options {
			for _, slot := range o.slots {
				for _, i := range slot {
					if id := pq.ids[i]; q[id] {
						out[id] = true
					}
				}
			}
		}
	}
	return out
}

// sameFamily reports whether two pages' titles name services of one
// family: the same kind before " - " ("Hundehaltung - …"), the same action
// after it ("… - Verlust melden" for a Reisepass and a Personalausweis), or
// the same first word ("Parkausweis für Anwohner …", "Parkausweis für
// Gäste …").
func (kb *KB) sameFamily(a, b int) bool {
	ka, wa := titleParts(kb.pages[a].Title)
	kb2, wb := titleParts(kb.pages[b].Title)
	ta, tb := kb.titleWords[a], kb.titleWords[b]
	return ka != "" && strings.EqualFold(ka, kb2) || wa != "" && strings.EqualFold(wa, wb) ||
		len(ta) > 0 && len(tb) > 0 && ta[0][0] == tb[0][0]
}

// titleSet is the set of the page's title words, by their stems.
func (kb *KB) titleSet(p int) map[uint32]bool {
	out := make(map[uint32]bool, len(kb.titleWords[p]))
	for _, w := range kb.titleWords[p] {
		out[w[0]] = true
	}
	return out
}

// namedIn reports whether the question (the ids of its terms) names a
// title word: its stem, or all the parts of a compound ("Hundesteuer"
// needs "Hund" and "Steuer").
func namedIn(inQuery map[uint32]bool, w []uint32) bool {
	if inQuery[w[0]] {
		return true
	}
	if len(w) < 3 { // stem and at most one part: no compound
		return false
	}
	for _, id := range w[1:] {
		if !inQuery[id] {
			return false
		}
	}
	return true
}

// partNamed reports whether the question names a part of a compound
// title word ("Hund" of "Hundehaltung").
func partNamed(inQuery map[uint32]bool, w []uint32) bool {
	if len(w) < 3 {
		return false
	}
	for _, id := range w[1:] {
		if inQuery[id] {
			return true
		}
	}
	return false
}

// namedByParts returns the question's term ids with the parts of those
// that are compound title words: "Hundesteueranmeldung" splits into
// "Hundesteuer" and "Anmeldung", and "Hundesteuer" is the title word
// "Hund" + "Steuer" — so it names "Hund steuerlich anmelden" whole.
func (kb *KB) namedByParts(inQuery map[uint32]bool) map[uint32]bool {
	var out map[uint32]bool
	for id := range inQuery {
		parts, ok := kb.titleCompounds[id]
		if !ok {
			continue
		}
		if out == nil {
			out = maps.Clone(inQuery)
		}
		for _, p := range parts {
			out[p] = true
		}
	}
	if out == nil {
		return inQuery
	}
	return out
}

// promote moves list[j] to the front, the ones before it one down.
func promote(list []*pageCand, j int) {
	c := list[j]
	copy(list[1:j+1], list[0:j])
	list[0] = c
}

// titleParts splits a title "kind - what" at its first " - " or " – "
// ("Fahrerlaubnis - Umschreibung einer Dienstfahrerlaubnis"), "" and ""
// when it has none.
func titleParts(title string) (kind, what string) {
	i, n := -1, 0
	for _, sep := range []string{" - ", " – "} {
		if j := strings.Index(title, sep); j > 0 && (i < 0 || j < i) {
			i, n = j, len(sep)
		}
	}
	if i < 0 {
		return "", ""
	}
	return strings.TrimSpace(title[:i]), strings.TrimSpace(title[i+n:])
}

func sortCands(list []*pageCand) {
	sort.Slice(list, func(i, j int) bool {
		if list[i].fused != list[j].fused {
			return list[i].fused > list[j].fused
		}
		if list[i].lex != list[j].lex {
			return list[i].lex > list[j].lex
		}
		return list[i].page < list[j].page
	})
}

// oppositeWindow is how many of the best candidates avoidOpposite looks at.
const oppositeWindow = 3

// avoidOpposite puts the best candidate whose title names the question's
// particle words with their own particle before one that names them with
// another ("Wohnung anmelden" over "Wohnung abmelden" for "Welche
// Unterlagen brauche ich für die Anmeldung einer Wohnung?"), among the best
// few; a first candidate that stays the opposite service is marked so
// (Hit.Opposite) for the engine to doubt it. German questions only; the
// question's words are its concepts, separable verbs already joined
// ("Wie melde ich mein Auto ab?" → "abmelden").
func (kb *KB) avoidOpposite(list []*pageCand, concepts []qconcept, lang string) {
	if lang != "de" && lang != "" || len(list) == 0 {
		return
	}
	words := make([]string, len(concepts))
	for i, c := range concepts {
		words[i] = foldWord(c.text)
	}
	q := particleWords(words)
	if len(q) == 0 {
		return
	}
	n := min(len(list), oppositeWindow)
	for i := 0; i < n; i++ {
		pg := &kb.pages[list[i].page]
		w := particleConflict(q, splitWords(pg.Title))
		// A page that also says the question's word in its text covers
		// both ("Hund anmelden und Hundesteuer" tells how to deregister).
		if w != "" && !pageSays(pg, q) {
			list[i].opposite = w
		}
	}
	if list[0].opposite == "" {
		return
	}
	for j := 1; j < n; j++ {
		if list[j].opposite == "" {
			promote(list, j)
			return
		}
	}
}

// pageSays reports whether the page's text holds the question's particle
// words with the question's particle at least a third as often as with
// the opposite one: it covers both services ("Hund anmelden und
// Hundesteuer" tells how to deregister too), not the opposite one only
// ("Wohnung abmelden" says "anmelden" twice, "abmelden" 34 times).
func pageSays(pg *Page, q map[string]map[string]bool) bool {
	own, other := 0, 0
	for _, sec := range pg.Sections {
		for _, w := range splitWords(sec.Text) {
			p, base, ok := particleWord(w.folded)
			if !ok || q[base] == nil {
				continue
			}
			switch {
			case q[base][p]:
				own++
			case q[base][opposite[p]]:
				other++
			}
		}
	}
	return own > 0 && 3*own >= other
}
