package analytics

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/civibot/civibot/internal/personal"
)

// Placeholders that replace personal data in stored questions.
const (
	PlaceholderEmail   = "[email]"
	PlaceholderPhone   = "[phone]"
	PlaceholderNumber  = "[number]"
	PlaceholderName    = "[name]"
	PlaceholderAddress = "[address]"
	PlaceholderDate    = "[date]"
	PlaceholderIBAN    = "[iban]"
	PlaceholderLink    = "[link]"
	PlaceholderPlate   = "[plate]"
)

// scrubRule replaces every match of re with the placeholder (only those
// keep accepts, when it is set).
type scrubRule struct {
	re   *regexp.Regexp
	with string
	keep func(match string) bool
}

// scrubber holds the compiled rules; building it is cheap and it has no
// mutable state.
type scrubber struct {
	rules   []scrubRule
	intro   *regexp.Regexp // words that introduce a name
	stop    map[string]bool
	closing *regexp.Regexp // letter closings followed by a name
}

func newScrubber() *scrubber {
	re := regexp.MustCompile
	return &scrubber{
		// Order matters: links and e-mails before numbers, IBANs and dates
		// before phone numbers, phone numbers before digit runs.
		rules: []scrubRule{
			{re(`(?i)\b(?:https?://|www\.)\S+`), PlaceholderLink, nil},
			{personal.Email, PlaceholderEmail, nil},
			{re(`\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,4})?\b`), PlaceholderIBAN, nil},
			{personal.Date, PlaceholderDate, nil},
			{re(`(?i)\b[\p{L}][\p{L}\-]{2,}(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|steig|pfad)[ ]+\d+[ ]?[a-z]?\b`), PlaceholderAddress, nil},
			{re(`\b\d+[a-z]?[ ]+(?:[A-Z][\p{L}]+[ ]+){1,3}(?i:street|st\.|road|rd\.|avenue|ave\.|lane|drive)`), PlaceholderAddress, nil},
			{re(`\b[A-ZÄÖÜ]{1,3}[- ][A-Z]{1,2}[ ]?\d{1,4}[EH]?\b`), PlaceholderPlate, nil},
			{personal.Phone, PlaceholderPhone, looksLikePhone},
			{re(`\d{5,}`), PlaceholderNumber, nil},
		},
		intro:   re(`(?i)\b(?:ich\s+hei(?:ß|ss)e|mein\s+name\s+(?:ist|lautet|is)|my\s+name\s+is|i\s*'?\s*a?m\s+called|call\s+me|hier\s+(?:ist|spricht)|name\s*:|herr|frau|hr\.|fr\.|mr\.?|mrs\.?|ms\.?|dr\.)\s+`),
		closing: re(`(?i)(?:^|[\s,.;!])(?:viele\s+grüße|liebe\s+grüße|beste\s+grüße|freundliche\s+grüße|mit\s+freundlichen\s+grüßen|grüße|gruß|lg|vg|mfg|danke|thanks|thank\s+you|regards|cheers)\s*[,:]?\s+`),
		stop: map[string]bool{
			"und": true, "and": true, "ich": true, "i": true, "bin": true, "am": true, "wohne": true, "live": true,
			"aus": true, "from": true, "in": true, "im": true, "und?": true, "habe": true, "have": true, "möchte": true,
			"would": true, "want": true, "will": true, "brauche": true, "need": true, "mein": true, "my": true, "meine": true,
			"wie": true, "how": true, "was": true, "what": true, "wo": true, "where": true, "wann": true, "when": true,
			"kann": true, "can": true, "muss": true, "must": true, "bitte": true, "please": true, "der": true, "die": true,
			"das": true, "the": true, "a": true, "ein": true, "eine": true, "für": true, "for": true,
			"sprechen": true, "speak": true, "talk": true, "mit": true, "with": true, "zu": true, "to": true,
			"vom": true, "von": true, "of": true, "bei": true, "at": true, "is": true, "ist": true, "are": true,
			"sind": true, "schon": true, "already": true, "noch": true, "still": true, "hier": true, "here": true,
			"wegen": true, "about": true, "geht": true, "es": true, "it": true, "um": true, "on": true,
			"under": true, "unter": true, "via": true, "per": true, "back": true, "zurück": true, "an": true,
			"auf": true, "again": true, "nochmal": true, "später": true, "later": true, "asap": true,
		},
	}
}

// Scrub strips personal data from a citizen's question before it is
// stored or shown: links, e-mail addresses, IBANs, dates, street
// addresses, licence plates, phone numbers, digit runs of five or more (case,
// customer and tax numbers, postcodes) and the names after "ich heiße",
// "mein Name ist", "my name is", "Herr", "Frau", "Mr", greetings such as
// "Viele Grüße" … are replaced by placeholders ("[email]", "[name]", …).
// The result is trimmed, with runs of spaces collapsed, and at most
// MaxQuestionChars characters long.
//
// Scrubbing is a safeguard, not a guarantee: free text may hold personal
// data in forms no rule knows. That is why questions are kept only for
// Config.QuestionRetention and shown only to administrators.
func Scrub(text string) string {
	return defaultScrubber.scrub(text)
}

// defaultScrubber is immutable after construction (compiled patterns and
// a read-only word set), so sharing it is safe.
var defaultScrubber = newScrubber()

func (s *scrubber) scrub(text string) string {
	text = strings.ToValidUTF8(text, "")
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, text)
	for _, r := range s.rules {
		if r.keep == nil {
			text = r.re.ReplaceAllString(text, r.with)
			continue
		}
		text = r.re.ReplaceAllStringFunc(text, func(m string) string {
			if r.keep(m) {
				return r.with
			}
			return m
		})
	}
	text = s.names(text, s.intro)
	text = s.names(text, s.closing)
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) > MaxQuestionChars {
		text = string([]rune(text)[:MaxQuestionChars-1]) + "…"
	}
	return text
}

// names replaces up to three words after each match of intro (a name)
// with PlaceholderName. It stops at punctuation, digits, placeholders and
// common words ("und", "ich", "wohne", …).
func (s *scrubber) names(text string, intro *regexp.Regexp) string {
	var b strings.Builder
	rest := text
	for {
		loc := intro.FindStringIndex(rest)
		if loc == nil {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:loc[1]])
		rest = rest[loc[1]:]
		end, words := 0, 0
		for words < 3 {
			w, n := nextWord(rest[end:])
			if w == "" || s.stop[strings.ToLower(w)] {
				break
			}
			end += n
			words++
		}
		if words > 0 {
			b.WriteString(PlaceholderName)
			rest = rest[end:]
		}
	}
}

// nextWord reads one name-like word (letters, hyphens, apostrophes, a
// trailing dot of an initial) after optional spaces; it returns the word
// and the bytes consumed, or "" when the next thing is not such a word.
func nextWord(s string) (string, int) {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	start := i
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) || (i > start && (r == '-' || r == '\'' || r == '’')) {
			i += size
			continue
		}
		break
	}
	if i == start {
		return "", 0
	}
	word := s[start:i]
	if i < len(s) && s[i] == '.' && utf8.RuneCountInString(word) == 1 { // an initial: "J."
		i++
	}
	return word, i
}

// looksLikePhone accepts a match of the phone pattern with at least 6
// digits that starts like a phone number (+, a bracket or a 0) or is
// grouped by separators; a plain digit run is left to the number rule.
// Unlike contact capture (personal.Dialable) it also takes longer digit
// groups (card and account numbers): the scrubber removes what might be
// personal.
func looksLikePhone(m string) bool {
	n := personal.Digits(m)
	if n < 6 {
		return false
	}
	return n > 15 || m[0] == '+' || m[0] == '(' || m[0] == '0' || n != len(m)
}
