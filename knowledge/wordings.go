package knowledge

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// Wordings: one thing in two words. Integreat's pages are machine-translated
// back and forth, and a city ends up with one page twice under two wordings
// of its title: "Public holidays, school holidays and time changeover" and
// "…, school vacations and …", "Pharmacy and medicines" and "Pharmacy and
// medication", "Café Glanz für Frauen" and "Café Glanz for women". The
// dictionary knows such words for one thing: they share a translation
// ("holidays" and "vacations" are both "Ferien") or one translates the
// other ("Frauen", "women"). Sibling services differ in words for two
// things ("Eheurkunde" and "Lebenspartnerschaftsurkunde", "Arbeitgeber" and
// "Arbeitnehmer", "Abschrift" and "Einsichtnahme"), which share no
// translation.

// wordings maps the key of a title phrase (wordingKeys) to the keys of its
// translations in the dictionary.
type wordings struct {
	Trans map[string][]string
}

// wordingSource returns the wordings of the phrase keys in need, or nil
// when there is no dictionary.
type wordingSource func(need map[string]bool) *wordings

// wordingOverlap is the share of their translations (Jaccard) two
// phrases have in common when they are one thing, unless they share two
// or more: "holidays" and
// "vacations" share half of theirs (Ferien, Urlaub, …); "Arbeitgeber" and
// "Arbeitnehmer" share one of seven ("employ", a stem of both "employer"
// and "employee"), "Altpapier" and "Schrott" one of fourteen ("scrap").
const wordingOverlap = 0.25

// maxWordingWords is the longest title phrase looked up (in words).
const maxWordingWords = 2

// wordingKey is the key of a phrase of (lower-case) words in one
// language: the language and the stems of the words that are not stop
// words.
func wordingKey(words []string, lang string) string {
	var b strings.Builder
	b.WriteString(lang)
	b.WriteByte(':')
	n := 0
	for _, w := range words {
		if isStop(foldWord(w), lang) {
			continue
		}
		if n > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(stem(w, lang))
		n++
	}
	if n == 0 {
		return ""
	}
	return b.String()
}

// wordingKeys are the keys of a phrase in both languages: a title in one
// language often holds a word of the other ("Café Glanz für Frauen" among
// English pages).
func wordingKeys(words []string) []string {
	var out []string
	for _, lang := range []string{"de", "en"} {
		if k := wordingKey(words, lang); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// same reports whether two phrases, given by their keys, are one thing in
// two words: the same key, one a translation of the other, or many
// translations in common (wordingOverlap).
func (w *wordings) same(xs, ys []string) bool {
	for _, x := range xs {
		for _, y := range ys {
			if x == y {
				return true
			}
			if w == nil {
				continue
			}
			tx, ty := w.Trans[x], w.Trans[y]
			if slices.Contains(tx, y) || slices.Contains(ty, x) {
				return true
			}
			shared := 0
			for _, t := range tx {
				if slices.Contains(ty, t) {
					shared++
				}
			}
			if shared >= 2 || shared > 0 && float64(shared) >= wordingOverlap*float64(len(tx)+len(ty)-shared) {
				return true
			}
		}
	}
	return false
}

// dictionaryWordings returns the source of wordings from the dictionary at
// path, or nil for no dictionary. A dictionary that cannot be read gives
// no wordings (the translations report it).
func dictionaryWordings(path string) wordingSource {
	if path == "" {
		return nil
	}
	return func(need map[string]bool) *wordings {
		keys := make([]string, 0, len(need))
		for k := range need {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		w, err := cachedFromDictionary(path, "wordings", func(h io.Writer) {
			fmt.Fprintf(h, "%d\x00", transTableVersion)
			writeStopWords(h)
			for _, k := range keys {
				fmt.Fprintf(h, "%s\x00", k)
			}
		}, func() (*wordings, error) { return readWordings(path, need) })
		if err != nil {
			return nil
		}
		return w
	}
}

// readWordings reads the translations of the phrase keys in need from the
// dictionary at path.
func readWordings(path string, need map[string]bool) (*wordings, error) {
	f, err := openDictionary(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The stems a needed phrase consists of, per language: most dictionary
	// phrases are passed over on their first word that no title has.
	needStem := map[string]bool{}
	for k := range need {
		lang, ws, _ := strings.Cut(k, ":")
		for _, s := range strings.Fields(ws) {
			needStem[lang+":"+s] = true
		}
	}
	stems := map[string]string{}
	// key is the key of a dictionary phrase, or "" when no title has it.
	key := func(phrase, lang string) string {
		words := copyWords(phrase)
		var ks []string
		for _, w := range words {
			if isStop(foldWord(w), lang) {
				continue
			}
			s, ok := stems[lang+w]
			if !ok {
				s = lang + ":" + stem(w, lang)
				stems[lang+w] = s
			}
			if !needStem[s] || len(ks) == maxWordingWords {
				return ""
			}
			ks = append(ks, s[len(lang)+1:])
		}
		if len(ks) == 0 {
			return ""
		}
		return lang + ":" + strings.Join(ks, " ")
	}
	out := &wordings{Trans: map[string][]string{}}
	addTrans := func(from, to string) {
		if from != "" && to != "" && need[from] && !slices.Contains(out.Trans[from], to) {
			out.Trans[from] = append(out.Trans[from], to)
		}
	}
	err = readDictionary(f, path, minDictPairs, func(p dictPair) {
		dk, ek := key(p.de, "de"), key(p.en, "en")
		if dk == "" && ek == "" {
			return
		}
		// The other side is a translation whether or not a title has it.
		if dk != "" && !p.form {
			addTrans(dk, wordingKey(copyWords(p.en), "en"))
		}
		if ek != "" {
			addTrans(ek, wordingKey(copyWords(p.de), "de"))
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
