package knowledge

import (
	"slices"
	"strings"
)

// German separable verbs: "Wie melde ich mein Auto ab?" asks about
// "abmelden", "Wann melden wir die Eheschließung an?" about "anmelden".
// The particle stands at the end of the clause, the verb far before it;
// word by word the question holds "melde" and the stop word "ab", and the
// pages' "abmelden" and "Abmeldung" are not found.
//
// joinSeparable joins particle and verb into one word when the joined word
// is one the city's pages use (two or more times) or the lexicon names, so
// that only real verbs are formed: "läuft … ab" stays as it is unless the
// pages say "abläuft" — it is never read as the noun "Ablauf", because only
// the verb as written and its infinitive by regular endings are tried, not
// a form with another vowel.

// separableParticles are the particles that split off German verbs, folded.
var separableParticles = map[string]bool{
	"ab": true, "an": true, "auf": true, "aus": true, "bei": true, "ein": true, "fest": true,
	"her": true, "hin": true, "los": true, "mit": true, "nach": true, "vor": true, "weg": true,
	"zu": true, "zurueck": true, "zusammen": true, "um": true, "durch": true, "weiter": true,
	"frei": true, "vorbei": true, "hinzu": true, "dazu": true, "heraus": true, "raus": true, "rein": true,
}

// verbEndings are the endings of finite forms that leave the verb's stem,
// longest first: "meldest" → "meld", "meldet" → "meld", "melde" → "meld".
var verbEndings = []string{"est", "et", "st", "en", "e", "t", "n"}

// joinSeparable returns the words of a German question with each clause's
// final particle joined to its verb where the joined word is known. The
// clauses are the question's parts between punctuation.
func (a *Analyzer) joinSeparable(text string) []word {
	var out []word
	for _, clause := range splitClauses(text) {
		ws := splitWords(clause)
		if n := len(ws); n >= 2 && separableParticles[ws[n-1].folded] {
			if j, vi, ok := a.separableVerb(ws[:n-1], ws[n-1]); ok {
				ws[vi] = j
				ws = ws[:n-1]
			}
		}
		out = append(out, ws...)
	}
	return out
}

// separableVerb finds the word of a clause that forms a known verb with
// the particle, and returns the joined word and its index.
func (a *Analyzer) separableVerb(ws []word, particle word) (word, int, bool) {
	for i, w := range ws {
		if w.joined || hasDigit(w.folded) || separableParticles[w.folded] || len(w.folded) < 3 {
			continue
		}
		for _, form := range verbForms(w.lower) {
			lower := particle.lower + form
			folded := foldWord(lower)
			if a.knowsSurface(folded) {
				return word{lower: lower, folded: folded}, i, true
			}
		}
	}
	return word{}, 0, false
}

// verbForms are the forms of a finite verb that are tried after the
// particle: as written ("meldet"), and the infinitive by regular endings
// ("melden").
func verbForms(lower string) []string {
	forms := []string{lower}
	for _, e := range verbEndings {
		if base, ok := strings.CutSuffix(lower, e); ok && len(base) >= 2 {
			forms = append(forms, base+"en")
			if strings.HasSuffix(base, "el") || strings.HasSuffix(base, "er") {
				forms = append(forms, base+"n") // "wechsel" → "wechseln"
			}
			break
		}
	}
	return forms
}

// knowsSurface reports whether the pages use the word (folded) at least
// twice or the lexicon names it. Without pages' words nothing is known.
func (a *Analyzer) knowsSurface(folded string) bool {
	if a.split != nil && a.split.words[folded] >= 2 {
		return true
	}
	return a.lex.knowsWord(folded)
}

// splitClauses cuts text at sentence and clause punctuation.
func splitClauses(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		switch r {
		case '.', '?', '!', ',', ';', ':', '\n', '(', ')':
			return true
		}
		return false
	})
}

// participleStems returns the stems of the verb a German weak participle
// or third person may be (folded): "verkauft" → "verkauf", "beantragt" →
// "beantrag", "gekauft" → "kauf", "abgemeldet" → "abmeld". The Snowball
// stemmer leaves the "-t" and the "ge-", so "Ich habe mein Auto verkauft"
// never met "Kfz, Verkauf". Strong participles ("abgelaufen") are left
// alone: their stems change ("umgezogen") or mislead ("Ablauf" is the
// procedure, not the expiry). The caller keeps the stems the pages know.
func participleStems(folded string) []string {
	if len(folded) < 6 || !strings.HasSuffix(folded, "t") {
		return nil
	}
	var bases []string
	for _, cut := range []string{"et", "t"} {
		if b, ok := strings.CutSuffix(folded, cut); ok && len(b) >= 3 {
			bases = append(bases, b)
		}
	}
	var out []string
	for _, b := range bases {
		switch {
		case strings.HasPrefix(b, "ge") && len(b) >= 5:
			out = append(out, stem(b[2:]+"en", "de"))
		default:
			// A separable particle takes the "ge" after it ("an-ge-meldet").
			for i := 2; i+2 < len(b)-2; i++ {
				if b[i:i+2] == "ge" && separableParticles[b[:i]] {
					out = append(out, stem(b[:i]+b[i+2:]+"en", "de"))
				}
			}
			out = append(out, stem(b+"en", "de"))
		}
	}
	// A stem of three letters is a noun's remains more often than a verb
	// ("Gewalt" → "wal", "Geburt" → "bur"); a stem the pages do not know is
	// dropped by the caller.
	out = slices.DeleteFunc(out, func(st string) bool { return len(st) < 4 })
	return dedupe(out)
}
