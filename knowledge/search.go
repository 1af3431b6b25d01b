package knowledge

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Query is one search.
type Query struct {
	Text string
	// Language is the preferred page language ("de", "en"): on a near tie
	// its pages rank first, but pages in other languages are still found.
	// It also chooses the stop words; "" detects the language of Text.
	Language string
	Limit    int               // pages; default 5
	Where    map[string]string // only pages whose Meta has all these values
	// Waiting, if set, is called before the search waits on the network
	// (a remote embedder), and the func it returns once the answer is
	// there: a caller that bounds CPU work frees its slot meanwhile.
	Waiting func() (resume func())
}

// Hit is one page found for a query, with the evidence for it.
type Hit struct {
	Page *Page
	// Score is the fused ranking score, comparable only within one result
	// list.
	Score float64
	// Lexical is the best BM25 score of the page's chunks.
	Lexical float64
	// Vector is the best cosine similarity of the page's chunks (0..1).
	Vector float64
	// Coverage is the share of the query's content words found in the page
	// (0..1): as stems, compound parts, lexicon expansions or near spellings.
	Coverage float64
	// Matched and Missing are the query's content words found and not found
	// in the page (lower case, as asked).
	Matched, Missing []string
	// Features are the evidence the page was ranked by.
	Features RankFeatures
	// Opposite is the word of the page's title that names a word of the
	// question with another particle ("abmelden" for "Wohnung anmelden"):
	// the page is likely the opposite service. "" for none.
	Opposite string
	// DecidedOver are the ids of pages the question decided this one
	// against though they scored about as well: a variant of this service
	// whose own words the question does not name ("Reisepass beantragen
	// (vorläufiger Reisepass)" for "Reisepass beantragen, wie lange dauert
	// das?"), or the plain service of a variant it names. A clarifying
	// question between them would ask what the question already says.
	DecidedOver []string
	// Siblings are the ids of pages among the next best that belong to
	// this page's family of services (see sameFamily: "Tiere -
	// Hundehaltung - … Anmeldung", "… Ummeldung", "… Abmeldung") by title
	// words the question names: the question says which family it asks
	// about, not which of them. Set on the first hit only.
	Siblings []string
	// Sections are the page's matching chunks, best first.
	Sections []SectionHit
	// Unknown are the question's content words the knowledge base does not
	// know in any form — no stem, compound part, lexicon expansion or near
	// spelling of them occurs on any page (the same for every hit of a
	// search). "Wetter" in a city's service pages is a sign the question is
	// out of scope.
	Unknown []string
}

// SectionHit is one matching chunk of a page: its section with the chunk's
// part of the text.
type SectionHit struct {
	Section Section
	Score   float64
}

// DefaultLimit is the number of pages a search returns when Query.Limit is 0.
const DefaultLimit = 5

// remoteVectorWeight is the default weight of the cosine with a remote
// (semantic) embedder: an equal partner of BM25, where the local
// spelling-level embedder is a second opinion.
const remoteVectorWeight = 1.0

// maxLimit caps Query.Limit.
const maxLimit = 100

// searchParams are the knobs of ranking. The defaults were chosen on the
// Integreat development set (TestIntegreatRetrieval) and the team's case
// sets for the sample city and Berlin (TestColloquialRetrieval); the KB
// keeps its own copy so tests can vary them.
type searchParams struct {
	k1, b           float64 // BM25 for page and chunk bodies
	titleK1, titleB float64 // BM25 for page titles and keywords
	titleWeight     float64 // weight of a title match relative to a body match
	lexCandidates   int     // chunks taken from bleve
	vecCandidates   int     // chunks taken from the vector scan
	ranking         Ranking // weights of the rank features
}

func defaultSearchParams(emb Embedder, r Ranking) searchParams {
	p := searchParams{
		k1: 1.2, b: 0.75,
		titleK1: 1.2, titleB: 0.5,
		titleWeight:   1,
		lexCandidates: 100,
		vecCandidates: 50,
		ranking:       r,
	}
	if r == (Ranking{}) {
		p.ranking = DefaultRanking()
		if _, local := emb.(*LocalEmbedder); !local {
			// A semantic model's cosine says as much as BM25.
			p.ranking.Vector = remoteVectorWeight
		}
	}
	return p
}

// pquery is a query prepared against one KB: its concepts with the term ids
// the KB knows.
type pquery struct {
	concepts []pconcept
	ids      []uint32  // distinct known term ids
	weights  []float64 // highest option weight per id
	idfBody  []float64
	idfTitle []float64
	idfPage  []float64
	// titleRarity is each term's IDF among the page titles alone.
	titleRarity []float64
}

type pconcept struct {
	text    string
	options []poption
	weak    bool // see qconcept.weak
}

type poption struct {
	weight      float64
	slots       [][]int // per slot: indexes into pquery.ids (may be empty)
	translation bool
}

// ownIDs are the term ids of the question's words themselves (each
// concept's first option: its stems), without lexicon expansions,
// translations or near spellings.
func (pq *pquery) ownIDs() map[uint32]bool {
	out := make(map[uint32]bool, len(pq.concepts))
	for _, c := range pq.concepts {
		if len(c.options) == 0 {
			continue
		}
		for _, slot := range c.options[0].slots {
			for _, i := range slot {
				out[pq.ids[i]] = true
			}
		}
	}
	return out
}

// unknown lists the concepts none of whose options maps to a term the KB
// knows.
func (pq *pquery) unknown() []string {
	var out []string
	for _, c := range pq.concepts {
		known := false
		for _, o := range c.options {
			for _, slot := range o.slots {
				if len(slot) > 0 {
					known = true
				}
			}
		}
		if !known {
			out = append(out, c.text)
		}
	}
	return out
}

// prepare maps the analysed concepts to the KB's term ids.
func (kb *KB) prepare(concepts []qconcept) *pquery {
	ts := kb.terms
	pq := &pquery{}
	pos := make(map[uint32]int)
	for _, c := range concepts {
		pc := pconcept{text: c.text, weak: c.weak}
		for _, o := range c.options {
			po := poption{weight: o.weight, translation: o.translation}
			for _, s := range o.slots {
				var slot []int
				for _, t := range s {
					id, ok := ts.ids[t]
					if !ok {
						continue
					}
					i, seen := pos[id]
					if !seen {
						i = len(pq.ids)
						pos[id] = i
						pq.ids = append(pq.ids, id)
						pq.weights = append(pq.weights, o.weight)
					} else if o.weight > pq.weights[i] {
						pq.weights[i] = o.weight
					}
					slot = append(slot, i)
				}
				po.slots = append(po.slots, slot)
			}
			pc.options = append(pc.options, po)
		}
		pq.concepts = append(pq.concepts, pc)
	}
	nc := float64(len(ts.clen))
	np := float64(len(ts.plen))
	pq.idfBody = make([]float64, len(pq.ids))
	pq.idfTitle = make([]float64, len(pq.ids))
	pq.idfPage = make([]float64, len(pq.ids))
	pq.titleRarity = make([]float64, len(pq.ids))
	for i, id := range pq.ids {
		pq.idfPage[i] = bm25IDF(np, float64(ts.dfPage[id]))
		pq.idfBody[i] = bm25IDF(nc, float64(ts.dfBody[id]))
	}
	pq.capByConcept(ts, np)
	for i, id := range pq.ids {
		// A title word counts as much as it is rare among page bodies: a
		// title with "Deutschland" says little about a question with it.
		pq.titleRarity[i] = bm25IDF(np, float64(ts.dfTitle[id]))
		pq.idfTitle[i] = math.Sqrt(pq.idfPage[i] * pq.titleRarity[i])
	}
	return pq
}

// rareWording is how much of the extra rarity of a concept's rarer
// wordings still counts (measured on the development sets, docs/
// benchmarks.md: 0 asks back more often on Berlin, 0.7 keeps little of the
// gain).
const rareWording = 0.3

// sayingWeight is the least weight of a concept's option (a synonym, a
// lexicon expansion, a translation) that counts as a way of saying it.
const sayingWeight = 0.8

// capByConcept makes a concept about as telling as its commonest way of
// being said: a term of a concept counts (IDF) as the concept's most common
// option of weight sayingWeight or more, plus rareWording of what it is
// rarer than that. Otherwise a rare wording makes a page look specific:
// "Was kostet …?" found the pages that say "kostet" (two of Hamburg's, one
// about moving) although every page has its "Gebühren", and
// "Personalausweis" found a page that says "Ausweisdokument" before the
// pages named for it. Across languages the word itself is capped so by its
// surest translation, whatever that translation's weight.
func (pq *pquery) capByConcept(ts *termStore, np float64) {
	capOf := make([]float64, len(pq.ids))
	for i := range capOf {
		capOf[i] = -1
	}
	for _, c := range pq.concepts {
		// cp: the IDF of the commonest saying; tp: of the surest
		// translation (the one of highest weight), sure its weight.
		cp, tp, sure := math.Inf(1), -1.0, 0.0
		for _, o := range c.options {
			surer := o.translation && o.weight > sure
			if o.weight < sayingWeight && !surer {
				continue
			}
			df, ok := optionDF(o, pq, ts)
			if !ok {
				continue
			}
			idf := bm25IDF(np, df)
			if o.weight >= sayingWeight {
				cp = math.Min(cp, idf)
			}
			if surer {
				tp, sure = idf, o.weight
			}
		}
		if !math.IsInf(cp, 1) {
			for _, o := range c.options {
				for _, slot := range o.slots {
					for _, i := range slot {
						capOf[i] = math.Max(capOf[i], cp)
					}
				}
			}
		}
		// Across languages, the word itself counts no more than its surest
		// translation: "Germany" is rare in German pages ("Make it in
		// Germany", "Handbook Germany") and found those before the pages
		// that say "Deutschland".
		if tp >= 0 && len(c.options) > 0 {
			for _, slot := range c.options[0].slots {
				for _, i := range slot {
					if capOf[i] < 0 || tp < capOf[i] {
						capOf[i] = tp
					}
				}
			}
		}
	}
	for i := range pq.ids {
		if capOf[i] >= 0 && capOf[i] < pq.idfPage[i] {
			c := capOf[i] + rareWording*(pq.idfPage[i]-capOf[i])
			pq.idfBody[i] *= c / pq.idfPage[i]
			pq.idfPage[i] = c
		}
	}
}

// optionDF estimates how many pages hold an option: a page needs every
// slot, a slot any of its terms. false when a slot has no term the KB
// knows.
func optionDF(o poption, pq *pquery, ts *termStore) (float64, bool) {
	if len(o.slots) == 0 {
		return 0, false
	}
	df := math.Inf(1)
	for _, slot := range o.slots {
		if len(slot) == 0 {
			return 0, false
		}
		var sdf float64
		for _, i := range slot {
			sdf = math.Max(sdf, float64(ts.dfPage[pq.ids[i]]))
		}
		df = math.Min(df, sdf)
	}
	return df, true
}

func bm25IDF(n, df float64) float64 {
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

func bm25TF(tf, length, avg, k1, b float64) float64 {
	return tf * (k1 + 1) / (tf + k1*(1-b+b*length/avg))
}

// termScores fills out[i] with the score of query term i in chunk c: BM25
// of the chunk body plus the weighted BM25 of the page title.
func (kb *KB) termScores(c int, pq *pquery, out []float64) {
	ts := kb.terms
	p := int(kb.chunks[c].Page)
	prm := &kb.params
	ca, cb := ts.coff[c], ts.coff[c+1]
	pa, pb := ts.poff[p], ts.poff[p+1]
	clen, plen := float64(ts.clen[c]), float64(ts.plen[p])
	for i, id := range pq.ids {
		var s float64
		if tf := tfIn(ts.ctid[ca:cb], ts.ctf[ca:cb], id); tf > 0 {
			s = pq.idfBody[i] * bm25TF(float64(tf), clen, ts.avgBody, prm.k1, prm.b)
		}
		if tf := tfIn(ts.ptid[pa:pb], ts.ptf[pa:pb], id); tf > 0 {
			s += prm.titleWeight * pq.idfTitle[i] * bm25TF(float64(tf), plen, ts.avgTitl, prm.titleK1, prm.titleB)
		}
		out[i] = s
	}
}

// newCand makes page p a candidate: its BM25 as one document (see
// pageTermScores) and its cosine to the question. scratch holds a score
// per query term.
func (kb *KB) newCand(p int, pq *pquery, cos []float32, scratch []float64) *pageCand {
	pc := &pageCand{page: p, vec: kb.pageVector(p, cos), holds: make([]bool, len(pq.ids))}
	kb.pageTermScores(p, pq, scratch, pc.holds)
	pc.lex = pq.score(scratch)
	return pc
}

// pageTermScores fills out[i] with the score of query term i in page p as
// one document: BM25 over all its chunks' bodies plus the weighted BM25 of
// its title; holds[i] tells whether the page holds the term at all.
func (kb *KB) pageTermScores(p int, pq *pquery, out []float64, holds []bool) {
	ts := kb.terms
	prm := &kb.params
	pa, pb := ts.poff[p], ts.poff[p+1]
	plen, blen := float64(ts.plen[p]), float64(ts.pageLen[p])
	for i, id := range pq.ids {
		tf := ts.pageTF(p, id)
		var s float64
		if tf > 0 {
			s = pq.idfPage[i] * bm25TF(float64(tf), blen, ts.avgPage, prm.k1, prm.b)
		}
		ttf := tfIn(ts.ptid[pa:pb], ts.ptf[pa:pb], id)
		if ttf > 0 {
			s += prm.titleWeight * pq.idfTitle[i] * bm25TF(float64(ttf), plen, ts.avgTitl, prm.titleK1, prm.titleB)
		}
		out[i] = s
		holds[i] = tf > 0 || ttf > 0
	}
}

// score combines term scores: per concept the best option; an
// option is its weight times the mean over its slots of the best term.
func (pq *pquery) score(ts []float64) float64 { return pq.scoreWeak(ts, 1) }

// sectionScore scores one chunk among its page's chunks: the question's
// weak words count in full there. They say little about which page is
// meant, but within the page "kostet" tells the fees from the description.
func (pq *pquery) sectionScore(ts []float64) float64 { return pq.scoreWeak(ts, 1/weakFactor) }

// scoreWeak is score with the weak concepts scaled by weakScale.
func (pq *pquery) scoreWeak(ts []float64, weakScale float64) float64 {
	var total float64
	for _, c := range pq.concepts {
		var best float64
		for _, o := range c.options {
			if len(o.slots) == 0 {
				continue
			}
			var sum float64
			for _, slot := range o.slots {
				var m float64
				for _, i := range slot {
					if ts[i] > m {
						m = ts[i]
					}
				}
				sum += m
			}
			if v := o.weight * sum / float64(len(o.slots)); v > best {
				best = v
			}
		}
		if c.weak {
			best *= weakScale
		}
		total += best
	}
	return total
}

// ErrClosed is returned when searching a closed knowledge base.
var ErrClosed = errors.New("knowledge: knowledge base is closed")

// pageCand collects the evidence for one page during a search.
type pageCand struct {
	page     int
	lex      float64 // BM25 of the whole page
	bestLex  float64 // best chunk BM25
	vec      float64 // best chunk cosine
	holds    []bool  // per query term: whether the page holds it (title or body)
	f        RankFeatures
	fused    float64
	opposite string // see Hit.Opposite
	// decidedOver are the pages the question decided this one against: a
	// variant of it whose own words the question does not name, or the
	// plain service of a variant it names (see preferVariant).
	decidedOver []int
}

// Search finds the pages that best answer q.Text. bleve finds candidate
// chunks by BM25 and a scan of all chunk vectors the nearest ones; their
// pages are scored by BM25 over the whole page (title weighted) and by the
// best chunk cosine, and ranked by the sum of the page's BM25 relative to
// the best page and the weighted cosine.
func (kb *KB) Search(ctx context.Context, q Query) ([]Hit, error) {
	if kb.closed.Load() {
		return nil, ErrClosed
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, maxLimit)
	concepts, expansions := kb.an.analyzeQuery(q.Text, q.Language)
	if len(concepts) == 0 {
		return []Hit{}, nil
	}
	pq := kb.prepare(concepts)
	allowed := kb.allowedPages(q.Where)
	prm := &kb.params

	// Lexical candidates from bleve.
	terms, weights := kb.candidateTerms(pq)
	lexChunks, err := bleveCandidates(ctx, kb.bidx, terms, weights, q.Where, prm.lexCandidates)
	if err != nil {
		return nil, err
	}

	// Cosine of the question (with its lexicon expansions) to every chunk.
	etext := q.Text
	if len(expansions) > 0 {
		etext += "\n" + strings.Join(expansions, ", ")
	}
	qv, err := kb.embedQuery(ctx, etext, q.Waiting)
	if err != nil {
		return nil, fmt.Errorf("knowledge: embed query: %w", err)
	}
	if len(qv) != kb.vecs.dims {
		return nil, fmt.Errorf("knowledge: embedder %s returned %d dimensions, the knowledge base has %d", kb.emb.Name(), len(qv), kb.vecs.dims)
	}
	qv = normalize(qv)
	cosBuf := kb.cosPool.Get().(*[]float32)
	defer kb.cosPool.Put(cosBuf)
	cos := *cosBuf
	kb.vecs.scores(qv, cos)
	vecChunks := topChunks(cos, allowed, kb.chunks, prm.vecCandidates)

	// Candidate pages with their evidence.
	scratch := make([]float64, len(pq.ids))
	// sectionOf: the chunks scored, with their scores among their page's
	// chunks (sectionScore), which hit reuses.
	sectionOf := make(map[int]float64, len(lexChunks)+len(vecChunks))
	cands := make(map[int]*pageCand)
	for _, c := range append(lexChunks, vecChunks...) {
		if _, done := sectionOf[c]; done {
			continue
		}
		p := int(kb.chunks[c].Page)
		if kb.isCopy(p) {
			sectionOf[c] = 0
			continue // its text is searched through the page it copies
		}
		kb.termScores(c, pq, scratch)
		s := pq.score(scratch)
		sectionOf[c] = pq.sectionScore(scratch)
		pc := cands[p]
		if pc == nil {
			pc = kb.newCand(p, pq, cos, scratch)
			cands[p] = pc
		}
		pc.bestLex = math.Max(pc.bestLex, s)
	}
	// Pages whose title holds a telling word of the question are candidates
	// too, even when that word is common in page bodies (in Berlin's pages
	// "Geburtsurkunde" is a required document of dozens of services; the
	// page named "Geburtsurkunde beantragen" must still be found).
	for i, id := range pq.ids {
		pages := kb.titlePages[id]
		if len(pages) == 0 || len(pages) > maxTitleCandidates || pq.weights[i] < 0.5 {
			continue
		}
		for _, p32 := range pages {
			p := int(p32)
			if cands[p] != nil || (allowed != nil && !allowed[p]) {
				continue
			}
			cands[p] = kb.newCand(p, pq, cos, scratch)
		}
	}
	lang := normLang(q.Language)
	// Pages whose aliases the question matches are candidates too.
	aliasOf := kb.aliasMatches(pq, concepts, lang)
	for p, a := range aliasOf {
		if kb.isCopy(p) {
			// An alias taught for a copy finds the page it copies.
			delete(aliasOf, p)
			c := int(kb.copyOf[p])
			aliasOf[c] = max(aliasOf[c], a)
		}
	}
	for p := range aliasOf {
		if cands[p] != nil || (allowed != nil && !allowed[p]) {
			continue
		}
		cands[p] = kb.newCand(p, pq, cos, scratch)
	}
	list := make([]*pageCand, 0, len(cands))
	for _, pc := range cands {
		pc.f.Alias = aliasOf[pc.page]
		list = append(list, pc)
	}
	inQuery := make(map[uint32]bool, len(pq.ids))
	for _, id := range pq.ids {
		inQuery[id] = true
	}
	kb.rank(list, pq, inQuery, lang, prm.ranking)
	kb.avoidOpposite(list, concepts, lang)
	list = kb.preferLanguage(list, lang)
	if len(list) > limit {
		list = list[:limit]
	}
	unknown := pq.unknown()
	hits := make([]Hit, len(list))
	for i, pc := range list {
		hits[i] = kb.hit(pc, pq, cos, sectionOf)
		hits[i].Unknown = unknown
	}
	if len(hits) > 0 {
		hits[0].Siblings = kb.namedSiblings(list, inQuery)
	}
	return hits, nil
}

// preferLanguage drops pages in another language than the question's
// when the city publishes the same service (Meta "service") in the
// question's language and that page is a candidate too: translations let
// a question find the other language's page, often ranked above its own,
// and the citizen should read the answer in their language.
func (kb *KB) preferLanguage(list []*pageCand, lang string) []*pageCand {
	if lang == "" {
		return list
	}
	own := map[string]bool{} // services with a candidate in lang
	for _, pc := range list {
		if svc := kb.pages[pc.page].Meta["service"]; svc != "" && kb.lang[pc.page] == lang {
			own[svc] = true
		}
	}
	if len(own) == 0 {
		return list
	}
	out := list[:0:0]
	for _, pc := range list {
		if svc := kb.pages[pc.page].Meta["service"]; own[svc] && kb.lang[pc.page] != lang {
			continue
		}
		out = append(out, pc)
	}
	return out
}

// Candidate terms: bleve looks for at most maxCandidateTerms of the
// question's terms, the most telling first, and skips terms that occur in
// more than commonTermShare of the chunks unless nothing else is left — they
// select nothing and cost the most. Every term still counts when the
// candidates are scored.
const (
	maxCandidateTerms = 10
	commonTermShare   = 0.05
	// maxTitleCandidates: a question word in more page titles than this
	// ("beantragen") selects no title candidates.
	maxTitleCandidates = 40
)

// candidateTerms picks the terms (and their weights) bleve searches for.
func (kb *KB) candidateTerms(pq *pquery) ([]string, []float64) {
	ts := kb.terms
	order := make([]int, len(pq.ids))
	for i := range order {
		order[i] = i
	}
	value := func(i int) float64 { return pq.weights[i] * pq.idfBody[i] }
	sort.SliceStable(order, func(a, b int) bool { return value(order[a]) > value(order[b]) })
	limit := int32(commonTermShare * float64(len(ts.clen)))
	var terms []string
	var weights []float64
	for _, i := range order {
		if len(terms) == maxCandidateTerms {
			break
		}
		if ts.dfBody[pq.ids[i]]+ts.dfTitle[pq.ids[i]] > limit && limit >= 10 {
			continue
		}
		terms = append(terms, ts.terms[pq.ids[i]])
		weights = append(weights, pq.weights[i])
	}
	if len(terms) == 0 {
		// Only common terms: the rarest few.
		for _, i := range order[:min(3, len(order))] {
			terms = append(terms, ts.terms[pq.ids[i]])
			weights = append(weights, pq.weights[i])
		}
	}
	return terms, weights
}

// titleMatch measures how well the question and the page title cover each
// other: the share of the question's concepts the title names (weighed by
// their rarity among titles) and the share of title words the question
// holds. A question that names a page's title ("Personalausweis
// beantragen") scores 1 and 1.
func (kb *KB) titleMatch(p int, pq *pquery, inQuery map[uint32]bool) (named, covered float64) {
	words := kb.titleWords[p]
	if len(words) == 0 || len(pq.concepts) == 0 {
		return 0, 0
	}
	nc := 0
	for _, ids := range words {
		for _, id := range ids {
			if inQuery[id] {
				nc++
				break
			}
		}
	}
	inTitle := func(id uint32) bool {
		for _, ids := range words {
			if slices.Contains(ids, id) {
				return true
			}
		}
		return false
	}
	// How much of each question concept the title holds: for a compound
	// ("Anwohnerparkausweis") the share of its parts the title names, so
	// "Parkausweis für Anwohner" beats "Parkausweis für Gäste". Concepts
	// count by how rare they are among titles: a title that names
	// "Geburtsurkunde" says more than one that names "beantragen".
	var total float64
	for _, c := range pq.concepts {
		var best, weight float64
		for _, o := range c.options {
			if len(o.slots) == 0 {
				continue
			}
			hit := 0
			for _, slot := range o.slots {
				for _, i := range slot {
					weight = math.Max(weight, pq.titleRarity[i])
					if inTitle(pq.ids[i]) {
						hit++
						break
					}
				}
			}
			best = math.Max(best, float64(hit)/float64(len(o.slots)))
		}
		// Weak words ("beantragen") count as little here as in the score.
		var strength float64
		for _, o := range c.options {
			strength = math.Max(strength, math.Min(1, o.weight))
		}
		named += strength * weight * best
		total += strength * weight
	}
	if total > 0 {
		named /= total
	}
	return named, float64(nc) / float64(len(words))
}

// hit assembles the Hit of a page candidate.
func (kb *KB) hit(pc *pageCand, pq *pquery, cos []float32, sectionOf map[int]float64) Hit {
	p := pc.page
	h := Hit{
		Page:     &kb.pages[p],
		Score:    pc.fused,
		Lexical:  pc.bestLex,
		Vector:   math.Max(0, pc.vec),
		Features: pc.f,
		Opposite: pc.opposite,
	}
	for _, o := range pc.decidedOver {
		h.DecidedOver = append(h.DecidedOver, kb.pages[o].ID)
	}
	// Coverage: which concepts the page holds in any way.
	for _, c := range pq.concepts {
		if c.matched(pc.holds) {
			h.Matched = append(h.Matched, c.text)
		} else {
			h.Missing = append(h.Missing, c.text)
		}
	}
	if n := len(pq.concepts); n > 0 {
		h.Coverage = float64(len(h.Matched)) / float64(n)
	}
	// Sections: the page's chunks with any evidence, best first, the
	// question's weak words counted in full (sectionScore). Chunks the
	// search did not score are scored here.
	first := kb.pchunk[p]
	lex := make([]float64, kb.pchunk[p+1]-first)
	var scratch []float64
	var best float64
	for c := first; c < kb.pchunk[p+1]; c++ {
		l, seen := sectionOf[c]
		if !seen {
			if scratch == nil {
				scratch = make([]float64, len(pq.ids))
			}
			kb.termScores(c, pq, scratch)
			l = pq.sectionScore(scratch)
		}
		lex[c-first] = l
		best = math.Max(best, l)
	}
	for c := first; c < kb.pchunk[p+1]; c++ {
		l := lex[c-first]
		v := math.Max(0, float64(cos[c]))
		if l <= 0 && v <= 0 {
			continue
		}
		s := v
		if best > 0 {
			s = (l/best + v) / 2
		}
		h.Sections = append(h.Sections, SectionHit{Section: kb.chunkSection(kb.chunks[c]), Score: s})
	}
	sort.SliceStable(h.Sections, func(i, j int) bool { return h.Sections[i].Score > h.Sections[j].Score })
	return h
}

// matched reports whether the page holds the concept: some option has a
// present term in every slot.
func (c *pconcept) matched(present []bool) bool {
	has := func(i int) bool { return present[i] }
	for _, o := range c.options {
		if slotsFilled(o.slots, has) {
			return true
		}
	}
	return false
}

// pageVector is the best cosine of the page's chunks.
func (kb *KB) pageVector(p int, cos []float32) float64 {
	best := math.Inf(-1)
	for c := kb.pchunk[p]; c < kb.pchunk[p+1]; c++ {
		best = math.Max(best, float64(cos[c]))
	}
	return best
}

// allowedPages returns which pages pass the where filter (nil: all).
func (kb *KB) allowedPages(where map[string]string) []bool {
	if len(where) == 0 {
		return nil
	}
	ok := make([]bool, len(kb.pages))
	for i := range kb.pages {
		ok[i] = true
		for k, v := range where {
			if kb.pages[i].Meta[k] != v {
				ok[i] = false
				break
			}
		}
	}
	return ok
}

// topChunks returns the indexes of the n chunks with the highest cosine
// among allowed pages, best first.
func topChunks(cos []float32, allowed []bool, chunks []chunk, n int) []int {
	h := make(minHeap, 0, n)
	for c, s := range cos {
		if allowed != nil && !allowed[chunks[c].Page] {
			continue
		}
		if len(h) < n {
			h.push(scored{c, s})
		} else if s > h[0].s {
			h[0] = scored{c, s}
			h.down(0)
		}
	}
	out := make([]int, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = h.pop().i
	}
	return out
}

type scored struct {
	i int
	s float32
}

// minHeap is a binary min-heap on s (ties: larger index first out).
type minHeap []scored

func (h minHeap) less(a, b int) bool {
	if h[a].s != h[b].s {
		return h[a].s < h[b].s
	}
	return h[a].i > h[b].i
}

func (h *minHeap) push(x scored) {
	*h = append(*h, x)
	i := len(*h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		(*h)[i], (*h)[p] = (*h)[p], (*h)[i]
		i = p
	}
}

func (h *minHeap) pop() scored {
	old := *h
	x := old[0]
	n := len(old) - 1
	old[0] = old[n]
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
	return x
}

func (h minHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
