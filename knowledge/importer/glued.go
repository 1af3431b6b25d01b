package importer

// Scrapers that flatten HTML lists glue words together ("oderSie",
// "UnterlagenAntrag", "sein.Die"); repairGlued splits them again.

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// gluedOften is the "auto" rule of RepairGlued: at least 3 glued spots and
// at least 4 per 1,000 words. Scraped Berlin fields show 8–80 per 1,000
// words; clean pages (Hamburg, Integreat) stay below 1 (brand names such as
// "ArrivalAid").
func gluedOften(cands, words int) bool {
	return cands >= 3 && cands*1000 >= 4*words
}

// functionWords are short words after which a glued word continues the same
// sentence ("oderSie" → "oder Sie"); after any other word the glue was a
// list or paragraph boundary and becomes a line break.
var functionWords = map[string]bool{
	"und": true, "oder": true, "sowie": true, "bzw": true, "des": true, "der": true, "die": true,
	"das": true, "dem": true, "den": true, "ein": true, "eine": true, "einer": true, "eines": true,
	"einem": true, "einen": true, "von": true, "vom": true, "zur": true, "zum": true, "bei": true,
	"mit": true, "für": true, "nach": true, "aus": true, "auf": true, "über": true, "unter": true,
	"durch": true, "gegen": true, "ohne": true, "wie": true, "als": true, "auch": true, "ggf": true,
	"sich": true, "ihr": true, "ihre": true, "ihren": true, "ihrem": true, "ihrer": true,
	"and": true, "the": true, "for": true, "with": true, "from": true, "your": true,
}

// shortWords are two-letter words that may follow a glue point ("VoraussetzungenEs").
var shortWords = map[string]bool{
	"Es": true, "Im": true, "In": true, "Je": true, "Ab": true, "Am": true, "An": true,
	"Zu": true, "Um": true, "Ob": true, "So": true, "Da": true, "Wo": true, "Er": true,
}

// gluedKeep are camel-case names that look glued but are not.
var gluedKeep = map[string]bool{
	"TestDaf": true, "AusweisApp": true, "PayPal": true, "MobiPro": true, "WhatsApp": true,
	"YouTube": true, "LinkedIn": true, "BahnCard": true, "JavaScript": true, "PowerPoint": true,
	"FaceTime": true, "TikTok": true, "GitHub": true, "DropBox": true, "SoundCloud": true,
	"PlayStore": true, "AppStore": true, "OneDrive": true, "WordPress": true, "BundID": true,
}

// repairGlued splits words a scraper glued together and returns the text
// and the number of repairs. It is conservative:
//   - camel case: a lowercase letter followed by an uppercase letter splits
//     only when every part of the letter run is a plain word (capital +
//     lowercase letters, the first part at least three letters), so "eID",
//     "BAföG", "GmbH", "iPhone", "BauPrüfV" stay whole;
//   - after ".", "!", "?", ";" or ":" that follow two letters (the last
//     lowercase), and after ")", a following capitalised word is split off;
//   - a comma between two letters gets a space;
//   - tokens that look like URLs or e-mail addresses are left alone.
func repairGlued(s string) (string, int) {
	var b strings.Builder
	b.Grow(len(s) + len(s)/16)
	count := 0
	i := 0
	for i < len(s) {
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !unicode.IsSpace(r) {
				break
			}
			j += size
		}
		b.WriteString(s[i:j])
		k := j
		for k < len(s) {
			r, size := utf8.DecodeRuneInString(s[k:])
			if unicode.IsSpace(r) {
				break
			}
			k += size
		}
		if k > j {
			tok, c := repairToken(s[j:k])
			b.WriteString(tok)
			count += c
		}
		i = k
	}
	return b.String(), count
}

func isURLish(tok string) bool {
	return strings.Contains(tok, "://") || strings.Contains(tok, "www.") || strings.Contains(tok, "WWW.") ||
		strings.ContainsAny(tok, "@/\\")
}

// mayBeGlued is a quick test for a glue point: an uppercase letter right
// after a letter or after ".!?;:)", or a letter right after a comma.
func mayBeGlued(tok string) bool {
	var prev rune
	for i, r := range tok {
		if i > 0 {
			switch {
			case unicode.IsUpper(r) && (unicode.IsLetter(prev) || strings.ContainsRune(".!?;:)", prev)):
				return true
			case prev == ',' && unicode.IsLetter(r):
				return true
			}
		}
		prev = r
	}
	return false
}

// repairToken repairs one whitespace-free token.
func repairToken(tok string) (string, int) {
	if !mayBeGlued(tok) || isURLish(tok) {
		return tok, 0
	}
	rs := []rune(tok)
	// insert[i] is the separator to put before rs[i].
	insert := map[int]string{}

	// Camel case inside letter runs.
	for start := 0; start < len(rs); {
		if !unicode.IsLetter(rs[start]) {
			start++
			continue
		}
		end := start
		for end < len(rs) && unicode.IsLetter(rs[end]) {
			end++
		}
		splitCamel(rs[start:end], start, insert)
		start = end
	}

	// Punctuation glued to the next word.
	for i := 1; i+1 < len(rs); i++ {
		c := rs[i]
		next := rs[i+1]
		switch c {
		case '.', '!', '?', ';', ':':
			closing := rs[i-1] == ')' || rs[i-1] == '"' || rs[i-1] == '“'
			if !closing && (i < 2 || !unicode.IsLetter(rs[i-2]) || !unicode.IsLower(rs[i-1])) {
				continue
			}
			if !startsWord(rs[i+1:]) || followedByDomain(rs[i+1:]) {
				continue
			}
			if c == ':' || c == ';' {
				insert[i+1] = " "
			} else {
				insert[i+1] = "\n"
			}
		case ')':
			if startsWord(rs[i+1:]) {
				insert[i+1] = "\n"
			} else if unicode.IsLower(next) {
				w := leadingLower(rs[i+1:])
				if functionWords[w] {
					insert[i+1] = " "
				}
			}
		case ',':
			if unicode.IsLetter(rs[i-1]) && unicode.IsLetter(next) {
				insert[i+1] = " "
			}
		}
	}
	if len(insert) == 0 {
		return tok, 0
	}
	var b strings.Builder
	for i, r := range rs {
		if sep, ok := insert[i]; ok {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String(), len(insert)
}

// splitCamel records the glue points of one letter run (offset is its
// position in the token).
func splitCamel(run []rune, offset int, insert map[int]string) {
	var cuts []int
	for i := 1; i < len(run); i++ {
		if unicode.IsLower(run[i-1]) && unicode.IsUpper(run[i]) {
			cuts = append(cuts, i)
		}
	}
	if len(cuts) == 0 || gluedKeep[string(run)] {
		return
	}
	bounds := append(append([]int{0}, cuts...), len(run))
	for p := 0; p+1 < len(bounds); p++ {
		seg := run[bounds[p]:bounds[p+1]]
		if !plainWord(seg) {
			return
		}
		if p == 0 && len(seg) < 3 {
			return
		}
		if p > 0 && len(seg) < 3 && !shortWords[string(seg)] {
			return
		}
	}
	for p, c := range cuts {
		if gluedKeep[string(run[bounds[p]:bounds[p+2]])] {
			continue // "AusweisAppZum": keep "AusweisApp" whole
		}
		left := strings.ToLower(string(run[bounds[p]:c]))
		sep := "\n"
		if functionWords[left] {
			sep = " "
		}
		insert[offset+c] = sep
	}
}

// plainWord: an optional capital followed by lowercase letters only.
func plainWord(seg []rune) bool {
	for i, r := range seg {
		if i == 0 && unicode.IsUpper(r) {
			continue
		}
		if !unicode.IsLower(r) {
			return false
		}
	}
	return len(seg) > 0 && (len(seg) > 1 || unicode.IsLower(seg[0]))
}

// startsWord: a capital followed by a lowercase letter.
func startsWord(rs []rune) bool {
	return len(rs) >= 2 && unicode.IsUpper(rs[0]) && unicode.IsLower(rs[1])
}

// followedByDomain reports whether the word at rs is followed by "." and a
// lowercase letter, as in "Berlin.de".
func followedByDomain(rs []rune) bool {
	i := 0
	for i < len(rs) && unicode.IsLetter(rs[i]) {
		i++
	}
	return i+1 < len(rs) && rs[i] == '.' && unicode.IsLower(rs[i+1])
}

func leadingLower(rs []rune) string {
	i := 0
	for i < len(rs) && unicode.IsLower(rs[i]) {
		i++
	}
	return string(rs[:i])
}
