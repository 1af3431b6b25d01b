package knowledge

import (
	"math"
	"net/url"
	"strings"
	"sync/atomic"
)

// An alias is another way to ask for a page: a question a caseworker
// answered with that page, reviewed by an administrator. Its words find
// the page the way the words of the page's title do, so the next citizen
// who asks like that gets the page the caseworker chose. Aliases live
// outside the knowledge base (they survive every ingest) and are set on
// each generation when it is opened (SetAliases).

// Alias is one accepted alias of a page.
type Alias struct {
	PageID string `json:"page_id"`
	Text   string `json:"text"`
	// Language of the alias ("de", "en"); "" for any. An alias only finds
	// its page for questions in its language.
	Language string `json:"language,omitempty"`
}

// aliasIndex is the searchable form of the aliases.
type aliasIndex struct {
	list    []Alias
	entries []aliasEntry
	byTerm  map[string][]int32 // stem → entries holding it
}

type aliasEntry struct {
	page  int
	lang  string
	terms []string // the stems of its content words, once each
}

// SetAliases makes aliases searchable, replacing the aliases set before.
// Aliases of pages this knowledge base does not have (an ingest removed
// them) are not used and are returned, for the caller to drop and report.
// It is safe to call while searches run.
func (kb *KB) SetAliases(aliases []Alias) (unknown []Alias) {
	idx := &aliasIndex{byTerm: map[string][]int32{}}
	for _, a := range aliases {
		p, ok := kb.byID[a.PageID]
		if !ok {
			unknown = append(unknown, a)
			continue
		}
		lang := normLang(a.Language)
		sl := lang
		if sl == "" {
			sl = stemLang(kb.lang[p])
		}
		e := aliasEntry{page: p, lang: lang}
		seen := map[string]bool{}
		for _, w := range splitWords(a.Text) {
			if w.joined || w.stop(sl) {
				continue
			}
			for _, t := range wordStems(w) {
				if !seen[t] {
					seen[t] = true
					e.terms = append(e.terms, t)
				}
			}
		}
		if len(e.terms) == 0 {
			unknown = append(unknown, a)
			continue
		}
		n := int32(len(idx.entries))
		for _, t := range e.terms {
			idx.byTerm[t] = append(idx.byTerm[t], n)
		}
		idx.entries = append(idx.entries, e)
		idx.list = append(idx.list, a)
	}
	kb.aliases.Store(idx)
	return unknown
}

// Aliases returns the aliases in use.
func (kb *KB) Aliases() []Alias {
	idx := kb.aliases.Load()
	if idx == nil {
		return nil
	}
	return append([]Alias(nil), idx.list...)
}

// aliasMatches scores, per page, how well the question matches its best
// alias: the harmonic mean of the share of the question's concepts the
// alias holds (weighed by rarity) and the share of the alias's words the
// question holds. Only aliases in the question's language (or of any
// language) count.
func (kb *KB) aliasMatches(pq *pquery, concepts []qconcept, lang string) map[int]float64 {
	idx := kb.aliases.Load()
	if idx == nil || len(idx.entries) == 0 {
		return nil
	}
	cidf, total := pq.conceptIDF(len(kb.pages))
	// Every term of every concept, to find the aliases holding it.
	type hit struct{ concepts map[int]bool }
	hits := map[int32]*hit{}
	for ci, c := range concepts {
		for _, o := range c.options {
			for _, slot := range o.slots {
				for _, t := range slot {
					for _, e := range idx.byTerm[t] {
						h := hits[e]
						if h == nil {
							h = &hit{concepts: map[int]bool{}}
							hits[e] = h
						}
						h.concepts[ci] = true
					}
				}
			}
		}
	}
	out := map[int]float64{}
	for e, h := range hits {
		ent := &idx.entries[e]
		if ent.lang != "" && lang != "" && ent.lang != lang {
			continue
		}
		var got float64
		for ci := range h.concepts {
			got += cidf[ci]
		}
		qshare := 0.0
		if total > 0 {
			qshare = got / total
		}
		// The alias's words the question holds: each matched concept covers
		// at most the alias words it shares.
		held := 0
		for _, t := range ent.terms {
			for ci := range h.concepts {
				if conceptHas(concepts[ci], t) {
					held++
					break
				}
			}
		}
		ashare := float64(held) / float64(len(ent.terms))
		if qshare+ashare == 0 {
			continue
		}
		f := 2 * qshare * ashare / (qshare + ashare)
		if f < aliasMinMatch {
			continue
		}
		out[ent.page] = math.Max(out[ent.page], f)
	}
	return out
}

// aliasMinMatch is the least match (harmonic mean above) at which an
// alias counts. Learning from other people's wording is hard for a lexical
// engine: on the Berlin colloquial questions split by service (half as
// caseworker history, half as test, 5 random splits), aliases counted from
// any match took hit@1 from 0.727 to 0.655 (other services' aliases share
// everyday words with the question); from 0.6, 0.700; from 0.8, 0.720. Only
// a near-restatement of an alias finds its page.
const aliasMinMatch = 0.8

func conceptHas(c qconcept, term string) bool {
	for _, o := range c.options {
		for _, slot := range o.slots {
			for _, t := range slot {
				if t == term {
					return true
				}
			}
		}
	}
	return false
}

// aliasStore holds a KB's current aliases.
type aliasStore = atomic.Pointer[aliasIndex]

// PageByURL returns the page at the given address: the way a caseworker
// names a page when they paste its link into a reply. Scheme, "www.",
// letter case of the host, a trailing slash, the query's order and the
// fragment do not matter.
func (kb *KB) PageByURL(u string) (*Page, bool) {
	key := urlKey(u)
	if key == "" {
		return nil, false
	}
	kb.urlsOnce.Do(func() {
		kb.byURL = make(map[string]int, len(kb.pages))
		for i := range kb.pages {
			if k := urlKey(kb.pages[i].URL); k != "" {
				if _, dup := kb.byURL[k]; !dup {
					kb.byURL[k] = i
				}
			}
		}
	})
	i, ok := kb.byURL[key]
	if !ok {
		return nil, false
	}
	return &kb.pages[i], true
}

// urlKey is the form of an http(s) address that PageByURL compares.
func urlKey(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	host = strings.TrimSuffix(strings.TrimSuffix(host, ":443"), ":80")
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	key := host + path
	if q := u.Query(); len(q) > 0 {
		key += "?" + q.Encode() // sorted by key
	}
	return key
}
