package knowledge

import (
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// German compounds ("Anwohnerparkausweis", "Hundesteueranmeldung") are split
// into known words so that a question for the parts finds a page with the
// whole word and the other way round. Known words are the words of the
// knowledge base's German pages plus a built-in list of base words; parts
// may be joined by a linking element (s, es, n, en, e). The whole word is
// always kept as well.

const (
	minCompoundLen = 6  // shorter words are not split
	minPartLen     = 3  // shortest part
	maxCompoundLen = 60 // longer "words" are not split (bytes)
)

// linkers are the German linking elements between compound parts.
var linkers = []string{"s", "es", "n", "en", "e"}

// splitter splits German compounds using a dictionary of folded words.
type splitter struct {
	words map[string]int32 // folded word → frequency in the knowledge base (base list: 1)
	// nouns are the German nouns of the German–English dictionary (see
	// readNouns), nil without one, as hashes (nounHash): a set of 170,000
	// strings would be scanned by every garbage collection. A German word
	// that the words above cannot split may be split with them
	// ("Suchtkranke" → "Sucht" + "Kranke" where the pages hold neither on
	// its own) — only then: the pages' own words decide first, and the
	// dictionary's many short nouns would split words that are no
	// compounds.
	nouns map[uint64]struct{}
}

// newSplitter builds a splitter from word frequencies of German text; the
// built-in base words are added with frequency 1.
func newSplitter(freq map[string]int32) *splitter {
	s := &splitter{words: make(map[string]int32, len(freq)+512)}
	for w, n := range freq {
		if len(w) >= minPartLen && !isStopAny(w) {
			s.words[w] = n
		}
	}
	for _, w := range tables().compoundBase {
		if len(w) >= minPartLen && s.words[w] == 0 {
			s.words[w] = 1
		}
	}
	return s
}

// setNouns gives the splitter the dictionary's nouns (see readNouns).
func (s *splitter) setNouns(nouns []string) {
	hashes := make([]uint64, len(nouns))
	for i, w := range nouns {
		hashes[i] = nounHash(w)
	}
	s.setNounHashes(hashes)
}

// setNounHashes gives the splitter the dictionary's nouns as hashes.
func (s *splitter) setNounHashes(hashes []uint64) {
	s.nouns = make(map[uint64]struct{}, len(hashes))
	for _, h := range hashes {
		s.nouns[h] = struct{}{}
	}
}

// nounHashes is the splitter's dictionary nouns as sorted hashes (nil:
// none).
func (s *splitter) nounHashes() []uint64 {
	if s.nouns == nil {
		return nil
	}
	out := make([]uint64, 0, len(s.nouns))
	for h := range s.nouns {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

// isNoun reports whether w is one of the dictionary's nouns.
func (s *splitter) isNoun(w string) bool {
	_, ok := s.nouns[nounHash(w)]
	return ok
}

// nounHash is the 64-bit FNV-1a hash of a folded noun.
func nounHash(w string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(w); i++ {
		h ^= uint64(w[i])
		h *= 1099511628211
	}
	return h
}

// split returns the parts of a folded word: the parts of the segmentation
// into the fewest known words (at least two), followed by the parts of each
// part that is itself a compound — modifiers ("hoch", "neu") left out. It
// returns nil if the word is no compound of known words. german allows the
// dictionary's nouns as parts (a German text's word, not an English one).
func (s *splitter) split(folded string, german bool) []string {
	if s == nil || len(folded) < minCompoundLen || len(folded) > maxCompoundLen || hasDigit(folded) {
		return nil
	}
	parts := s.segmentAny(folded, german)
	if len(parts) < 2 {
		return nil
	}
	mod := tables().modifiers
	var out []string
	for _, p := range parts {
		if !mod[p] {
			out = append(out, p)
		}
	}
	for _, p := range parts {
		if len(p) >= 2*minPartLen {
			for _, sp := range s.segment(p) {
				if !mod[sp] {
					out = append(out, sp)
				}
			}
		}
	}
	return out
}

// parts returns the top-level segmentation of a folded word without its
// modifiers, or nil if it is no compound of known words (german: as for
// split). It splits the words Concepts analyses — a question's, and the
// sentences of a page an answer is quoted from — and a German word also
// splits with an inflected head (see segmentInflected), so that the
// question's "Daueraufenthaltsgenehmigungen" finds the pages'
// "Genehmigung". The index's terms keep the stricter split of split.
func (s *splitter) parts(folded string, german bool) []string {
	if s == nil || len(folded) < minCompoundLen || len(folded) > maxCompoundLen || hasDigit(folded) {
		return nil
	}
	seg := s.segmentAny(folded, german)
	if len(seg) < 2 && german {
		seg = s.segmentInflected(folded)
	}
	if len(seg) < 2 {
		return nil
	}
	mod := tables().modifiers
	var out []string
	for _, p := range seg {
		if !mod[p] {
			out = append(out, p)
		}
	}
	return out
}

// segmentAny is segment, and when that finds no split and german allows,
// the segmentation that may also use the dictionary's nouns.
func (s *splitter) segmentAny(w string, german bool) []string {
	seg := s.segment(w)
	if len(seg) < 2 && german && s.nouns != nil {
		seg = s.segmentWith(w, true)
	}
	return seg
}

// inflections are the German plural and case endings a compound's head
// may carry that its known form lacks ("Daueraufenthaltsgenehmigungen":
// the pages hold "Genehmigung"), shortest first: "Asylbewerbern" is the
// pages' "Asylbewerber" with an "n", not a "Bewerb" with "ern".
var inflections = []string{"n", "s", "e", "en", "er", "es", "ern"}

// notNounEndings end German verbs and adjectives, which are no compound
// nouns with an inflected head ("profitieren" is no "Profi" + "Tier",
// "amerikanischen" no "Amerika" + "Nische").
var notNounEndings = []string{"ieren", "iert", "isch", "ische", "ischen", "ischer", "ischem", "isches", "lich", "liche", "lichen", "licher", "lichem", "liches"}

// segmentInflected is the segmentation of w whose last part is a known
// word with an inflection ending (see inflections), the part given without
// the ending; nil when none is. The ending goes only when w splits no
// other way: a head the pages hold as it is keeps its form.
func (s *splitter) segmentInflected(w string) []string {
	for _, e := range notNounEndings {
		if strings.HasSuffix(w, e) {
			return nil
		}
	}
	for _, e := range inflections {
		stem, ok := strings.CutSuffix(w, e)
		if !ok || len(stem) < minCompoundLen {
			continue
		}
		if _, known := s.words[stem]; known {
			// An inflection (or a misspelling: "Führungszeugniss") of a
			// word the pages hold, which stemming and near spellings find.
			return nil
		}
		if seg := s.segmentWith(stem, s.nouns != nil); len(seg) >= 2 {
			return seg
		}
	}
	return nil
}

// segment finds the segmentation of w into the fewest known words (at least
// two), ties broken by the larger product of word frequencies. Linking
// elements between parts are dropped.
func (s *splitter) segment(w string) []string { return s.segmentWith(w, false) }

// segmentWith is segment; withNouns also takes the dictionary's nouns as
// parts (with the frequency of a base word), unless they are stop words
// or, at the end, a derivational suffix ("-schaft" in "Partnerschaft").
func (s *splitter) segmentWith(w string, withNouns bool) []string {
	n := len(w)
	type state struct {
		parts int
		score float64
		prev  int // start of the last part
		end   int // end of the last part (before a linker)
		ok    bool
	}
	// best[i]: the best segmentation of w[:i] ending at i (possibly after a
	// linker).
	best := make([]state, n+1)
	best[0] = state{ok: true}
	for i := 0; i < n; i++ {
		if !best[i].ok || !utf8.RuneStart(w[i]) {
			continue
		}
		for j := i + minPartLen; j <= n; j++ {
			if j < n && !utf8.RuneStart(w[j]) {
				continue
			}
			if i == 0 && j == n {
				continue // the whole word is not a split
			}
			f, known := s.words[w[i:j]]
			if !known && withNouns && s.isNoun(w[i:j]) && !isStopAny(w[i:j]) && !(j == n && nounSuffixes[w[i:j]]) {
				f, known = 1, true
			}
			if !known {
				continue
			}
			cand := state{parts: best[i].parts + 1, score: best[i].score + math.Log(float64(f)+1), prev: i, end: j, ok: true}
			relax := func(at int) {
				b := &best[at]
				if !b.ok || cand.parts < b.parts || (cand.parts == b.parts && cand.score > b.score) {
					*b = cand
				}
			}
			relax(j)
			if j < n {
				for _, l := range linkers {
					if j+len(l) < n && w[j:j+len(l)] == l {
						relax(j + len(l))
					}
				}
			}
		}
	}
	if !best[n].ok || best[n].parts < 2 {
		return nil
	}
	parts := make([]string, best[n].parts)
	at := n
	for k := len(parts) - 1; k >= 0; k-- {
		st := best[at]
		parts[k] = w[st.prev:st.end]
		at = st.prev
	}
	return parts
}

// nounSuffixes are dictionary nouns that end German words as suffixes, not
// as compound heads ("Partnerschaft", "Jugendlichen").
var nounSuffixes = map[string]bool{"schaft": true, "schaften": true, "lichen": true, "liche": true, "heiten": true, "keiten": true}
