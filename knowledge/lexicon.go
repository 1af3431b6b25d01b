package knowledge

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
)

// The lexicon maps colloquial names and synonyms ("Perso", "GEZ", "ID card")
// to the names service pages use. Its files are in the format documented at
// the top of lexicon/de.txt: "a, b, c" for equivalent names, "a, b => c, d"
// for one-way expansions. The built-in files are embedded; a city adds its
// own with Options.LexiconFiles.

//go:embed lexicon/*.txt
var lexiconFS embed.FS

// builtinLexiconFiles are the embedded lexicon files, in load order.
var builtinLexiconFiles = []string{"lexicon/de.txt", "lexicon/en.txt"}

// lexWord is one word of a lexicon phrase: the keys it matches by.
type lexWord struct {
	keys  []string // folded form, German stem, English stem (deduplicated)
	stems []string // German and English stem (deduplicated)
}

// lexPhrase is one item of a lexicon entry.
type lexPhrase struct {
	text  string
	words []lexWord
	// needs are the stop words of the item that carry its meaning ("auto
	// weg", "führerschein machen", "keine wohnung"): they are no search
	// terms, but the phrase matches only a question that holds them. Without
	// them "auto weg" was "auto", and every question about a car was also
	// searched for towing.
	needs []lexWord
}

// lexEntry is one line of a lexicon file.
type lexEntry struct {
	from []lexPhrase // phrases that trigger the entry
	to   []lexPhrase // what they expand to; for equivalences the same as from
	eq   bool        // equivalence: every phrase expands to all others
	src  string      // file:line, for error messages
	// lang is the language of the file the entry comes from ("de", "en";
	// "" for a city's own files). An entry only expands questions in its
	// language: a German question is not searched for the English names an
	// English entry lists (they match unrelated German pages).
	lang string
}

// lexicon is a compiled set of entries, read-only after loading.
type lexicon struct {
	entries []lexEntry
	// byKey maps a key of the first word of a triggering phrase to the
	// (entry, phrase) pairs it may start.
	byKey map[string][]lexRef
	// folded holds every word of every phrase as written (folded): the
	// words the lexicon knows.
	folded map[string]bool
}

type lexRef struct{ entry, phrase int }

// lexMatch is one phrase found in a question and what it expands to.
type lexMatch struct {
	words  []int       // indexes of the question words the phrase matched
	expand []lexPhrase // the phrases to add
}

// phrase reports whether the match is of several words: "police clearance
// certificate" says more than any of its words.
func (m lexMatch) phrase() bool { return len(m.words) > 1 }

// loadLexicon reads the built-in files and then extra files from disk.
func loadLexicon(extra []string) (*lexicon, error) {
	lx := &lexicon{byKey: make(map[string][]lexRef)}
	for _, name := range builtinLexiconFiles {
		f, err := lexiconFS.Open(name)
		if err != nil {
			return nil, fmt.Errorf("knowledge: lexicon: %w", err)
		}
		err = lx.read(f, name, strings.TrimSuffix(path.Base(name), ".txt"))
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	for _, name := range extra {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("knowledge: lexicon: %w", err)
		}
		err = lx.read(f, name, "")
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return lx, nil
}

// read parses one lexicon file and adds its entries.
func (lx *lexicon) read(r io.Reader, name, lang string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		src := fmt.Sprintf("%s:%d", name, line)
		e := lexEntry{src: src, lang: lang}
		if strings.Count(text, "=>") > 1 {
			return fmt.Errorf("knowledge: lexicon %s: more than one \"=>\"", src)
		}
		if l, r, ok := strings.Cut(text, "=>"); ok {
			e.from = parseLexPhrases(l)
			e.to = parseLexPhrases(r)
			if len(e.from) == 0 || len(e.to) == 0 {
				return fmt.Errorf("knowledge: lexicon %s: \"=>\" needs names on both sides", src)
			}
		} else {
			e.from = parseLexPhrases(text)
			e.to = e.from
			e.eq = true
			if len(e.from) < 2 {
				return fmt.Errorf("knowledge: lexicon %s: an equivalence needs at least two names separated by commas", src)
			}
		}
		lx.add(e)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("knowledge: lexicon %s: %w", name, err)
	}
	return nil
}

func (lx *lexicon) add(e lexEntry) {
	idx := len(lx.entries)
	lx.entries = append(lx.entries, e)
	if lx.folded == nil {
		lx.folded = make(map[string]bool)
	}
	for _, ps := range [][]lexPhrase{e.from, e.to} {
		for _, p := range ps {
			for _, w := range splitWords(p.text) {
				lx.folded[w.folded] = true
			}
		}
	}
	for pi, p := range e.from {
		if len(p.words) == 0 {
			continue
		}
		for _, k := range p.words[0].keys {
			lx.byKey[k] = append(lx.byKey[k], lexRef{idx, pi})
		}
	}
}

// parseLexPhrases splits a comma-separated list of names into phrases.
// Items without any word left after stop-word removal are dropped.
func parseLexPhrases(s string) []lexPhrase {
	var out []lexPhrase
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p := lexPhrase{text: item}
		for _, w := range splitWords(item) {
			if w.joined {
				continue
			}
			if isStopAny(w.folded) {
				if !phraseGlue[w.folded] {
					p.needs = append(p.needs, lexWord{keys: wordKeys(w)})
				}
				continue
			}
			p.words = append(p.words, lexWord{keys: wordKeys(w), stems: wordStems(w)})
		}
		if len(p.words) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// phraseGlue are the stop words a lexicon phrase may do without: articles,
// prepositions, possessives and conjunctions ("register my dog" matches
// "register a dog", "certificate of registration" "registration
// certificate"). Its other stop words it needs (see lexPhrase.needs).
var phraseGlue = map[string]bool{
	"der": true, "die": true, "das": true, "den": true, "dem": true, "des": true, "ein": true, "eine": true,
	"einen": true, "einem": true, "einer": true, "eines": true, "fur": true, "von": true, "vom": true,
	"zu": true, "zum": true, "zur": true, "in": true, "im": true, "ins": true, "an": true, "am": true,
	"auf": true, "aus": true, "mit": true, "nach": true, "bei": true, "beim": true, "uber": true,
	"und": true, "oder": true, "mein": true, "meine": true, "meinen": true, "meinem": true, "meiner": true,
	"the": true, "a": true, "of": true, "to": true, "from": true, "for": true, "on": true,
	"at": true, "by": true, "with": true, "and": true, "or": true, "my": true, "our": true, "your": true,
}

// wordKeys returns the forms by which a word is matched against lexicon
// phrases: its folded form and its German and English stems.
func wordKeys(w word) []string {
	return dedupe([]string{w.folded, stem(w.lower, "de"), stem(w.lower, "en")})
}

// wordStems returns the German and English stems of a word, once each.
func wordStems(w word) []string {
	return dedupe([]string{stem(w.lower, "de"), stem(w.lower, "en")})
}

// match finds the lexicon phrases among the question words (each given by
// its keys) and returns them with their expansions. A phrase matches when
// each of its words matches some question word, in any order; a phrase of
// several words also matches a compound by its last part (heads: the keys
// of each question word's head, nil for none): "ausweis verloren" in
// "Personalausweis verloren". lang is the question's language; ""
// (unsure) lets entries of every language expand it; stops are the
// question's stop words, which some phrases need.
func (lx *lexicon) match(qkeys, heads [][]string, stops []word, lang string) []lexMatch {
	if lx == nil || len(qkeys) == 0 {
		return nil
	}
	var out []lexMatch
	seen := make(map[lexRef]bool)
	try := func(k string, head bool) {
		for _, ref := range lx.byKey[k] {
			if seen[ref] {
				continue
			}
			e := &lx.entries[ref.entry]
			if head && len(e.from[ref.phrase].words) < 2 {
				continue // a compound's head alone names no single-word entry
			}
			seen[ref] = true
			if lang != "" && e.lang != "" && e.lang != lang {
				continue
			}
			p := e.from[ref.phrase]
			idx, ok := matchPhrase(p, qkeys, heads, stops)
			if !ok {
				continue
			}
			m := lexMatch{words: idx}
			for ti, t := range e.to {
				if e.eq && ti == ref.phrase {
					continue
				}
				m.expand = append(m.expand, t)
			}
			out = append(out, m)
		}
	}
	for i, keys := range qkeys {
		for _, k := range keys {
			try(k, false)
		}
		if i < len(heads) {
			for _, k := range heads[i] {
				try(k, true)
			}
		}
	}
	return out
}

// matchPhrase reports whether every word of p matches a question word and
// returns the indexes of those question words. The stop words the phrase
// needs must be among the question's words: its stop words (stops, keyed
// only here, for the few phrases that need one) or, as a stop word in one
// language may be a content word in the question's ("kind", "bin"), its
// other words.
func matchPhrase(p lexPhrase, qkeys, heads [][]string, stops []word) ([]int, bool) {
	for _, nw := range p.needs {
		meets := func(keys []string) bool { return keysMeet(nw.keys, keys) }
		if !slices.ContainsFunc(qkeys, meets) && !slices.ContainsFunc(stops, func(w word) bool { return meets(wordKeys(w)) }) {
			return nil, false
		}
	}
	idx := make([]int, 0, len(p.words))
	for _, pw := range p.words {
		found := -1
		for qi, keys := range qkeys {
			if keysMeet(pw.keys, keys) || len(p.words) > 1 && qi < len(heads) && keysMeet(pw.keys, heads[qi]) {
				found = qi
				break
			}
		}
		if found < 0 {
			return nil, false
		}
		idx = append(idx, found)
	}
	return idx, true
}

func keysMeet(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// words returns every folded word of the German built-in lexicon file; the
// language detector uses them as weak evidence for German.
func lexiconFileWords(name string) []string {
	data, err := lexiconFS.ReadFile(name)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, w := range splitWords(line) {
			if !w.joined {
				out = append(out, w.folded)
			}
		}
	}
	return out
}

// knowsWord reports whether a phrase of the lexicon holds the word (folded).
func (lx *lexicon) knowsWord(folded string) bool {
	return lx != nil && lx.folded[folded]
}
