package knowledge

import "strings"

// A German verb or noun with a separable particle names the opposite
// service with the opposite particle: "Wohnung anmelden" is not "Wohnung
// abmelden", "Einreise" not "Ausreise". Their words share every letter but
// the particle, so they match each other through stems, compound parts and
// near spellings. A page whose title says the question's word with the
// opposite particle — and not also with the question's — is the opposite
// service (see particleConflict). Other particles are no opposites:
// "ummelden" is the Anmeldung at a new address.

// conflictParticles are the particles with an opposite, opposite[p] it.
var (
	conflictParticles = []string{"aus", "ein", "auf", "ab", "an", "zu"}
	opposite          = map[string]string{"an": "ab", "ab": "an", "ein": "aus", "aus": "ein", "auf": "zu", "zu": "auf"}
)

// particleWord splits a folded word into its particle and its base without
// an inflection or -ung ending ("anmeldung" → "an", "meld"); ok is false
// for a word without a particle or with a base too short to tell.
func particleWord(folded string) (particle, base string, ok bool) {
	for _, p := range conflictParticles {
		rest, found := strings.CutPrefix(folded, p)
		if !found || len(rest) < 4 {
			continue
		}
		for _, suf := range []string{"ungen", "ung", "en", "st", "e", "t", "n"} {
			if s, cut := strings.CutSuffix(rest, suf); cut && len(s) >= 4 {
				rest = s
				break
			}
		}
		return p, rest, true
	}
	return "", "", false
}

// particleWords maps the bases of the particle words among folded words
// to their particles.
func particleWords(folded []string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, f := range folded {
		p, base, ok := particleWord(f)
		if !ok {
			continue
		}
		if out[base] == nil {
			out[base] = map[string]bool{}
		}
		out[base][p] = true
	}
	return out
}

// particleConflict returns the word of the title that names the question's
// particle word with the opposite particle ("abmelden" for "Anmeldung"),
// when the title does not also name it with the question's; "" otherwise.
func particleConflict(question map[string]map[string]bool, title []word) string {
	if len(question) == 0 {
		return ""
	}
	folded := make([]string, len(title))
	for i, w := range title {
		folded[i] = w.folded
	}
	tw := particleWords(folded)
	for base, qps := range question {
		tps := tw[base]
		if len(tps) == 0 {
			continue
		}
		same, opp := false, false
		for p := range qps {
			same = same || tps[p]
			opp = opp || tps[opposite[p]]
		}
		if same || !opp {
			continue
		}
		for _, w := range title {
			if p, b, ok := particleWord(w.folded); ok && b == base && !qps[p] {
				return w.lower
			}
		}
	}
	return ""
}
