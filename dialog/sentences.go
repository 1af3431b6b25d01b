package dialog

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/civibot/civibot/knowledge"
)

// sentence is one quotable unit of a page: a sentence or a list item.
type sentence struct {
	text    string
	folded  string // text as the aspect patterns read it (fold)
	item    bool   // a list item
	heading bool   // a section heading shown in a passage
	section int    // index of the section in the page
	contact bool   // a line of a contact block (see contactLine)
	newLine bool   // starts a line of its own in an answer (see withLabel)
	pos     int    // position in the section
	terms   []string
	// own are the terms of the sentence's words themselves and their
	// compound parts, without synonyms and related words.
	own []string
	// cues: the aspect rules whose cue the sentence matches (their bits),
	// worked out once per page instead of on every turn.
	cues uint64
	// mark is a numbered list item's number as the page writes it ("1.",
	// "2)"); empty for a bulleted item and for sentences.
	mark string
}

// pageSentences are a page's sentences per section, with their terms.
type pageSentences [][]sentence

// analyze splits every section of page into sentences and analyses them.
func analyze(page *knowledge.Page, concepts func(string) []knowledge.Concept) pageSentences {
	out := make(pageSentences, len(page.Sections))
	for i, s := range page.Sections {
		sents := splitSentences(s.Text)
		for j := range sents {
			sents[j].section, sents[j].pos = i, j
			sents[j].terms, sents[j].own = termsOf(concepts(sents[j].text))
			sents[j].folded = fold(sents[j].text)
			sents[j].contact = len([]rune(sents[j].text)) <= contactLineChars && contactLine.MatchString(sents[j].folded)
		}
		out[i] = sents
	}
	if n := len(out); n > 0 {
		if sents := out[n-1]; len(sents) > 1 && keywordLine(sents[len(sents)-1].text) && !strings.HasSuffix(sents[len(sents)-2].text, ":") {
			out[n-1] = sents[:len(sents)-1]
		}
	}
	return out
}

// A page that ends with a bare list of search words ("Übersetzung,
// Sprachmittler, Sprachmittlerin", "Suchthilfe, Alkohol, Suchtprävention":
// the Integreat CMS puts a page's keywords there, unlabelled) is searched
// with them, but they are no sentence of an answer: quoted, they hold the
// question's words and answer nothing. A line is such a list when it names
// at least minKeywords phrases of at most three words, without digits,
// addresses or a sentence's end, and the line before does not introduce
// it ("In folgenden Sprachen:").
const minKeywords = 3

// keywordLine reports whether a line is a bare list of search words.
func keywordLine(l string) bool {
	l = strings.TrimSpace(l)
	if l == "" || strings.ContainsAny(l[len(l)-1:], ".!?:;") || strings.ContainsAny(l, "0123456789@/()") ||
		listItem.MatchString(l) || strings.Contains(strings.ToLower(l), "www.") {
		return false
	}
	items := strings.Split(l, ",")
	if len(items) < minKeywords {
		return false
	}
	for _, it := range items {
		if n := len(strings.Fields(it)); n == 0 || n > 3 {
			return false
		}
	}
	return true
}

// termsOf lists the terms of a text's concepts once each: all of them, and
// those of each word itself (see knowledge.Concept.OwnWays).
func termsOf(cs []knowledge.Concept) (all, own []string) {
	seen := map[string]bool{}
	for _, c := range cs {
		for _, t := range c.Terms {
			if !seen[t] {
				seen[t] = true
				all = append(all, t)
			}
		}
	}
	clear(seen)
	for _, c := range cs {
		for _, way := range c.OwnWays() {
			for _, slot := range way {
				for _, t := range slot {
					if !seen[t] {
						seen[t] = true
						own = append(own, t)
					}
				}
			}
		}
	}
	return all, own
}

// abbreviations end with a dot but do not end a sentence (lower case,
// without the final dot). Channels that cut text at sentence ends use them
// through IsAbbreviation.
var abbreviations = map[string]bool{
	"z.b": true, "z": true, "b": true, "bzw": true, "ca": true, "nr": true, "str": true, "tel": true, "mo": true,
	"di": true, "mi": true, "do": true, "fr": true, "sa": true, "so": true, "e.v": true, "u.a": true, "d.h": true,
	"dr": true, "st": true, "i.d.r": true, "ggf": true, "inkl": true, "zzgl": true, "gem": true, "vgl": true,
	"abs": true, "e.g": true, "i.e": true, "approx": true, "no": true, "etc": true, "usw": true, "evtl": true,
	"bspw": true, "max": true, "min": true, "mr": true, "mrs": true, "ms": true, "jan": true, "feb": true,
	"aug": true, "sept": true, "okt": true, "nov": true, "dez": true, "hr": true, "fa": true, "v": true, "s": true,
	"prof": true, "bzgl": true, "sog": true, "u.ä": true, "o.ä": true, "allg": true, "tägl": true, "ehem": true,
}

// IsAbbreviation reports whether word (as written before a dot) is an
// abbreviation or an ordinal number, after which a dot does not end the
// sentence ("z.B.", "Mo.", "1. März").
func IsAbbreviation(word string) bool {
	return isAbbreviation(word)
}

var listItem = regexp.MustCompile(`^\s*([-*•–]|\d+[.)])\s+`)

// midSentence are abbreviations after which a sentence goes on (unlike
// "etc.", "usw.", "e. V."): a line that ends with one was broken by the
// page's markup or an export ("Diese muss ggf.\nim Krankenhaus behandelt
// werden."), and goes on in the next line.
var midSentence = map[string]bool{
	"z.b": true, "z": true, "bzw": true, "ca": true, "nr": true, "tel": true, "dr": true, "ggf": true,
	"inkl": true, "zzgl": true, "gem": true, "vgl": true, "abs": true, "e.g": true, "i.e": true, "approx": true,
	"evtl": true, "bspw": true, "max": true, "min": true, "mr": true, "mrs": true, "ms": true, "prof": true,
	"bzgl": true, "sog": true, "allg": true, "ehem": true, "d.h": true, "u.a": true, "i.d.r": true, "str": true,
}

// joinBrokenLines joins a line that ends with a midSentence abbreviation
// with the line after it, unless that one is a list item; so a line that
// ends with an ordinal number when the next one goes on after it (see
// ordinalGoesOn).
func joinBrokenLines(lines []string) []string {
	out := lines[:0:0]
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if n := len(out); n > 0 && (endsMidSentence(out[n-1]) || ordinalGoesOn(out[n-1], line)) && listItem.FindStringIndex(line) == nil {
			out[n-1] += " " + line
			continue
		}
		out = append(out, line)
	}
	return out
}

// endsMidSentence reports whether line ends with a midSentence
// abbreviation and its dot.
func endsMidSentence(line string) bool {
	if !strings.HasSuffix(line, ".") {
		return false
	}
	before := strings.ToLower(line[:len(line)-1])
	if midSentence[before[strings.LastIndexAny(before, " (\t")+1:]] {
		return true
	}
	for _, spaced := range spacedMidSentence {
		if before == spaced || strings.HasSuffix(before, " "+spaced) || strings.HasSuffix(before, "("+spaced) {
			return true
		}
	}
	return false
}

// ordinalGoesOn reports whether line ends with a number of one or two
// digits and its dot and next goes on after it: starts in lower case or
// with a word ordinals precede. A sentence splitter upstream took the dot
// for a sentence end ("Die Realschule geht von der 5. bis zur 10.\nKlasse.",
// "Das Gymnasium (5.\nbis 12./13.\nKlasse)").
func ordinalGoesOn(line, next string) bool {
	if !strings.HasSuffix(line, ".") {
		return false
	}
	before := line[:len(line)-1]
	digits := len(before) - len(strings.TrimRightFunc(before, unicode.IsDigit))
	if digits == 0 || digits > 2 {
		return false
	}
	if rest := before[:len(before)-digits]; rest != "" {
		r, _ := utf8.DecodeLastRuneInString(rest)
		if unicode.IsLetter(r) || r == '.' || r == ',' {
			return false // "Artikel3.", "1.000.", "3,5."
		}
	}
	r, _ := utf8.DecodeRuneInString(next)
	return unicode.IsLower(r) || ordinalNoun(next)
}

// spacedMidSentence are the midSentence abbreviations of several letters
// as written with spaces ("z. B.", "u. a."), lower case, without the final
// dot.
var spacedMidSentence = []string{"z. b", "e. g", "i. e", "d. h", "u. a", "i. d. r"}

// splitSentences splits section text into sentences and list items.
func splitSentences(text string) []sentence {
	var out []sentence
	for _, line := range joinBrokenLines(strings.Split(text, "\n")) {
		if loc := listItem.FindStringIndex(line); loc != nil {
			item := strings.TrimSpace(line[loc[1]:])
			if item != "" {
				mark := strings.TrimSpace(line[loc[0]:loc[1]])
				if mark[0] < '0' || mark[0] > '9' { // a bullet
					mark = ""
				}
				out = append(out, sentence{text: item, item: true, mark: mark})
			}
			continue
		}
		for _, s := range splitLine(line) {
			out = append(out, sentence{text: s})
		}
	}
	return out
}

func splitLine(line string) []string {
	var out []string
	start := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		// Sentence end: punctuation, then space, then an upper-case letter or digit.
		j := i + 1
		for j < len(line) && (line[j] == '"' || line[j] == ')' || line[j] == '\'') {
			j++
		}
		if j >= len(line) || line[j] != ' ' {
			continue
		}
		k := j
		for k < len(line) && line[k] == ' ' {
			k++
		}
		if k >= len(line) {
			continue
		}
		r, _ := utf8.DecodeRuneInString(line[k:])
		if !unicode.IsUpper(r) && !unicode.IsDigit(r) && r != '„' && r != '"' {
			continue
		}
		if c == '.' && isAbbreviation(line[start:i]) && !(isNumber(lastWord(line[start:i])) && !ordinalNoun(line[k:])) {
			continue
		}
		out = append(out, strings.TrimSpace(line[start:j]))
		start = k
		i = k - 1
	}
	if rest := strings.TrimSpace(line[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// lastWord is the last word of s.
func lastWord(s string) string {
	return s[strings.LastIndexAny(s, " (/\t")+1:]
}

func isNumber(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// ordinalNouns follow an ordinal number ("am 1. März", "ab dem 16.
// Lebensjahr", "im 2. Stock"); after any other capitalised word a number
// and a dot end the sentence ("unter 24. Ein Foto …").
var ordinalNouns = map[string]bool{
	"januar": true, "februar": true, "märz": true, "april": true, "mai": true, "juni": true, "juli": true,
	"august": true, "september": true, "oktober": true, "november": true, "dezember": true,
	"jan": true, "feb": true, "mär": true, "apr": true, "jun": true, "jul": true, "aug": true, "sep": true,
	"sept": true, "okt": true, "nov": true, "dez": true, "lebensjahr": true, "geburtstag": true,
	"klasse": true, "stock": true, "etage": true, "obergeschoss": true, "og": true, "jahrhundert": true,
	"mal": true, "platz": true, "quartal": true, "halbjahr": true, "semester": true, "tag": true, "woche": true,
	"monat": true, "jahr": true, "kalenderwoche": true, "kw": true, "schuljahr": true,
}

// ordinalNoun reports whether the text after a number and its dot starts
// with a word that ordinals precede.
func ordinalNoun(rest string) bool {
	end := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) })
	if end < 0 {
		end = len(rest)
	}
	return ordinalNouns[strings.ToLower(rest[:end])]
}

func isAbbreviation(before string) bool {
	word := strings.ToLower(lastWord(before))
	if word == "" {
		return false
	}
	if abbreviations[word] {
		return true
	}
	// Single letters ("A.", initials) and ordinals ("1." in "am 1. März").
	if utf8.RuneCountInString(word) == 1 {
		return true
	}
	allDigits := true
	for _, r := range word {
		if !unicode.IsDigit(r) {
			allDigits = false
			break
		}
	}
	return allDigits
}
