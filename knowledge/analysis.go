package knowledge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/german"
)

// This file holds the word level of analysis: splitting text into words,
// folding them (lower case, umlauts and accents to their base letter, ß to
// ss) and stemming them with the Snowball stemmers. Everything that is
// compared — index terms, query terms, lexicon entries, compound parts — goes
// through these functions, so that "Führerschein", "fuhrerschein" and
// "Führerscheine" meet in one term.

// word is one word of a text.
type word struct {
	lower  string // lower case, as written
	folded string // lower case with umlauts, ß and accents folded
	// joined marks a form made by joining a hyphenated word ("steuerid" from
	// "Steuer-ID"); the parts are words of their own.
	joined bool
	// acronym marks a short word written with two capitals or more in a
	// text that is not written in capitals ("US", "BuT", "IT"): a name,
	// not the stop word it spells ("us", "but", "it").
	acronym bool
}

// stop reports whether w is a stop word of lang (see isStop); an acronym
// is none.
func (w word) stop(lang string) bool { return !w.acronym && isStop(w.folded, lang) }

// maxAcronymLen is the longest acronym (in letters) splitWords marks.
const maxAcronymLen = 5

// splitWords splits text into words: maximal runs of letters and digits.
// Words joined by hyphens ("Steuer-ID", "E-Mail") also yield the joined
// form. One-letter words are dropped; numbers are kept from two digits on.
func splitWords(text string) []word {
	words := make([]word, 0, len(text)/6+1)
	var b strings.Builder
	var group []string // lower-case parts of the current hyphenated run
	start := -1
	upper := 0 // capitals in the current word
	shouting := shouted(text)
	emit := func(w string) {
		n := utf8.RuneCountInString(w)
		if n < 2 {
			return
		}
		words = append(words, word{lower: w, folded: foldWord(w), acronym: !shouting && upper >= 2 && n <= maxAcronymLen})
	}
	flushGroup := func() {
		if len(group) > 1 {
			j := strings.Join(group, "")
			words = append(words, word{lower: j, folded: foldWord(j), joined: true})
		}
		group = group[:0]
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start, upper = i, 0
			}
			if unicode.IsUpper(r) {
				upper++
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		if start >= 0 {
			w := b.String()
			b.Reset()
			start = -1
			emit(w)
			group = append(group, w)
			// A hyphen directly between two words keeps the group open.
			if r == '-' && i+1 < len(text) {
				next, _ := utf8.DecodeRuneInString(text[i+1:])
				if unicode.IsLetter(next) || unicode.IsDigit(next) {
					continue
				}
			}
		}
		flushGroup()
	}
	if start >= 0 {
		w := b.String()
		emit(w)
		group = append(group, w)
	}
	flushGroup()
	return words
}

// shouted reports whether most letters of text are capitals ("WIE MELDE
// ICH MEINEN HUND AN"): its short capitalised words are no acronyms.
func shouted(text string) bool {
	upper, letters := 0, 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters > 0 && 2*upper > letters
}

// foldWord maps a lower-case word to its folded form: ä→a, ö→o, ü→u, ß→ss and
// common accented Latin letters to their base letter. It returns w itself
// when there is nothing to fold.
func foldWord(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return w
	}
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range w {
		switch r {
		case 'ä', 'à', 'á', 'â', 'ã', 'å', 'ā':
			b.WriteByte('a')
		case 'ö', 'ò', 'ó', 'ô', 'õ', 'ø', 'ō':
			b.WriteByte('o')
		case 'ü', 'ù', 'ú', 'û', 'ū':
			b.WriteByte('u')
		case 'ß':
			b.WriteString("ss")
		case 'é', 'è', 'ê', 'ë', 'ē':
			b.WriteByte('e')
		case 'í', 'ì', 'î', 'ï':
			b.WriteByte('i')
		case 'ç', 'ć', 'č':
			b.WriteByte('c')
		case 'ñ', 'ń':
			b.WriteByte('n')
		case 'š', 'ś':
			b.WriteByte('s')
		case 'ž', 'ź', 'ż':
			b.WriteByte('z')
		case 'ł':
			b.WriteByte('l')
		case 'ý', 'ÿ':
			b.WriteByte('y')
		case 'æ':
			b.WriteString("ae")
		case 'œ':
			b.WriteString("oe")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hasDigit reports whether s contains an ASCII digit.
func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}

// stem returns the folded Snowball stem of a lower-case word in the given
// language ("de" or "en"; anything else is treated as German, the primary
// language of the service pages). Words with digits are not stemmed.
func stem(lower, lang string) string {
	if hasDigit(lower) {
		return foldWord(lower)
	}
	if lang == "en" {
		env := snowballstem.NewEnv(foldWord(lower))
		english.Stem(env)
		return env.Current()
	}
	env := snowballstem.NewEnv(lower)
	german.Stem(env)
	// The German stemmer folds umlauts and ß itself; other accents remain.
	return germanPlural(foldWord(env.Current()))
}

// germanPlural takes the plural "s" off a German stem after o or y,
// which the Snowball stemmer leaves ("Autos", "Büros", "Handys", "Fotos":
// loan words; "Haus" and "Preis" end otherwise): "Wo parke ich Autos?"
// meets the page "Auto". Not after a: "Reisepas", a typing error, would
// lose its way to "Reisepass".
func germanPlural(st string) string {
	if n := len(st); n >= 5 && st[n-1] == 's' && (st[n-2] == 'o' || st[n-2] == 'y') {
		return st[:n-1]
	}
	return st
}
