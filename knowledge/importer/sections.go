package importer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/civibot/civibot/knowledge"
)

// This file holds the one classifier every importer uses to turn a heading
// ("Benötigte Unterlagen", "How it works") or a field name ("voraussetzungen")
// into a SectionKind, German and English.
//
// classifyHeading is lenient: it is used on text that is known to be a
// heading (a Markdown "##", an HTML <h2>, a JSONL field name) and picks the
// kind of the first word or phrase it recognises ("Ablauf, Dauer & Gebühren"
// → procedure). headingLineKind is strict: it decides whether a line of plain
// text is a heading at all, so it only accepts lines made entirely of known
// heading words ("Verfahrensablauf", "Kontakt und Öffnungszeiten").

// headingPhrase is a run of normalised words that names a kind.
type headingPhrase struct {
	words []string
	kind  knowledge.SectionKind
}

// headingPhrases are multi-word names, checked before single words. Longer
// phrases come first where they share a first word.
var headingPhrases = []headingPhrase{
	{[]string{"beschreibung", "der", "leistung"}, knowledge.SectionDescription},
	{[]string{"allgemeine", "informationen"}, knowledge.SectionDescription},
	{[]string{"who", "can", "apply"}, knowledge.SectionPrerequisites},
	{[]string{"who", "is", "eligible"}, knowledge.SectionPrerequisites},
	{[]string{"who", "qualifies"}, knowledge.SectionPrerequisites},
	{[]string{"wer", "kann"}, knowledge.SectionPrerequisites},
	{[]string{"what", "to", "bring"}, knowledge.SectionDocuments},
	{[]string{"what", "you", "need"}, knowledge.SectionDocuments},
	{[]string{"was", "brauche", "ich"}, knowledge.SectionDocuments},
	{[]string{"was", "muss", "ich", "mitbringen"}, knowledge.SectionDocuments},
	{[]string{"processing", "time"}, knowledge.SectionDeadlines},
	{[]string{"processing", "times"}, knowledge.SectionDeadlines},
	{[]string{"how", "long"}, knowledge.SectionDeadlines},
	{[]string{"wie", "lange"}, knowledge.SectionDeadlines},
	{[]string{"time", "limits"}, knowledge.SectionDeadlines},
	{[]string{"time", "limit"}, knowledge.SectionDeadlines},
	{[]string{"how", "it", "works"}, knowledge.SectionProcedure},
	{[]string{"how", "to", "apply"}, knowledge.SectionProcedure},
	{[]string{"how", "to", "get", "it"}, knowledge.SectionProcedure},
	{[]string{"step", "by", "step"}, knowledge.SectionProcedure},
	{[]string{"so", "funktioniert", "es"}, knowledge.SectionProcedure},
	{[]string{"opening", "hours"}, knowledge.SectionContact},
	{[]string{"office", "hours"}, knowledge.SectionContact},
	{[]string{"where", "to", "go"}, knowledge.SectionContact},
	{[]string{"responsible", "office"}, knowledge.SectionContact},
	{[]string{"zuständige", "stelle"}, knowledge.SectionContact},
	{[]string{"zuständige", "behörde"}, knowledge.SectionContact},
}

// headingWords maps whole normalised words to kinds.
var headingWords = map[string]knowledge.SectionKind{
	// field names of scraped exports and generic content fields
	"body": knowledge.SectionDescription, "text": knowledge.SectionDescription, "content": knowledge.SectionDescription,
	"markdown": knowledge.SectionDescription, "md": knowledge.SectionDescription, "html": knowledge.SectionDescription,
	"summary": knowledge.SectionDescription, "description": knowledge.SectionDescription, "overview": knowledge.SectionDescription,
	"intro": knowledge.SectionDescription, "introduction": knowledge.SectionDescription, "teaser": knowledge.SectionDescription,
	"about": knowledge.SectionDescription, "überblick": knowledge.SectionDescription, "übersicht": knowledge.SectionDescription,
	"zusammenfassung": knowledge.SectionDescription, "einleitung": knowledge.SectionDescription,

	"requirements": knowledge.SectionPrerequisites, "requirement": knowledge.SectionPrerequisites,
	"prerequisites": knowledge.SectionPrerequisites, "prerequisite": knowledge.SectionPrerequisites,
	"eligibility": knowledge.SectionPrerequisites, "conditions": knowledge.SectionPrerequisites,
	"antragsberechtigt": knowledge.SectionPrerequisites, "antragsberechtigte": knowledge.SectionPrerequisites,

	"documents": knowledge.SectionDocuments, "document": knowledge.SectionDocuments, "paperwork": knowledge.SectionDocuments,
	"dokumente": knowledge.SectionDocuments, "nachweise": knowledge.SectionDocuments,

	"fees": knowledge.SectionFees, "fee": knowledge.SectionFees, "costs": knowledge.SectionFees, "cost": knowledge.SectionFees,
	"charges": knowledge.SectionFees, "prices": knowledge.SectionFees, "price": knowledge.SectionFees, "kostet": knowledge.SectionFees,
	"preise": knowledge.SectionFees, "entgelte": knowledge.SectionFees, "entgelt": knowledge.SectionFees,
	"zahlungsart": knowledge.SectionFees, "zahlungsarten": knowledge.SectionFees,

	"deadlines": knowledge.SectionDeadlines, "deadline": knowledge.SectionDeadlines, "duration": knowledge.SectionDeadlines,
	"dauert": knowledge.SectionDeadlines, "bearbeitungszeit": knowledge.SectionDeadlines,

	"procedure": knowledge.SectionProcedure, "process": knowledge.SectionProcedure, "steps": knowledge.SectionProcedure,
	"verfahren": knowledge.SectionProcedure, "vorgehen": knowledge.SectionProcedure, "vorgehensweise": knowledge.SectionProcedure,
	"antragsverfahren": knowledge.SectionProcedure, "antragstellung": knowledge.SectionProcedure,

	"contact": knowledge.SectionContact, "contacts": knowledge.SectionContact, "address": knowledge.SectionContact,
	"location": knowledge.SectionContact, "adresse": knowledge.SectionContact, "anschrift": knowledge.SectionContact,
	"standort": knowledge.SectionContact, "standorte": knowledge.SectionContact, "zuständigkeit": knowledge.SectionContact,
	"ansprechpartner": knowledge.SectionContact, "ansprechpartnerin": knowledge.SectionContact,
	"ansprechperson": knowledge.SectionContact, "erreichbarkeit": knowledge.SectionContact,
}

// headingSuffixes name kinds by the end of a German (compound) word:
// "Verfahrensablauf", "Bearbeitungsdauer", "Antragsunterlagen". Used by the
// lenient classifier only.
var headingSuffixes = []struct {
	suffix string
	kind   knowledge.SectionKind
}{
	{"beschreibung", knowledge.SectionDescription},
	{"voraussetzungen", knowledge.SectionPrerequisites},
	{"voraussetzung", knowledge.SectionPrerequisites},
	{"unterlagen", knowledge.SectionDocuments},
	{"gebühren", knowledge.SectionFees},
	{"gebühr", knowledge.SectionFees},
	{"kosten", knowledge.SectionFees},
	{"fristen", knowledge.SectionDeadlines},
	{"frist", knowledge.SectionDeadlines},
	{"dauer", knowledge.SectionDeadlines},
	{"ablauf", knowledge.SectionProcedure},
	{"kontakt", knowledge.SectionContact},
	{"kontakte", knowledge.SectionContact},
	{"öffnungszeiten", knowledge.SectionContact},
	{"sprechzeiten", knowledge.SectionContact},
	{"servicezeiten", knowledge.SectionContact},
}

// strictHeadingWords are the single words that may stand alone on a line of
// plain text as a heading. Compounds that often are list items ("Reisekosten",
// "Bewerbungsunterlagen") are deliberately absent.
var strictHeadingWords = map[string]knowledge.SectionKind{
	"beschreibung": knowledge.SectionDescription, "leistungsbeschreibung": knowledge.SectionDescription,
	"kurzbeschreibung": knowledge.SectionDescription, "description": knowledge.SectionDescription,
	"overview": knowledge.SectionDescription, "summary": knowledge.SectionDescription,

	"voraussetzungen": knowledge.SectionPrerequisites, "voraussetzung": knowledge.SectionPrerequisites,
	"anspruchsvoraussetzungen": knowledge.SectionPrerequisites, "requirements": knowledge.SectionPrerequisites,
	"prerequisites": knowledge.SectionPrerequisites, "eligibility": knowledge.SectionPrerequisites,

	"unterlagen": knowledge.SectionDocuments, "antragsunterlagen": knowledge.SectionDocuments,
	"documents": knowledge.SectionDocuments,

	"gebühren": knowledge.SectionFees, "gebühr": knowledge.SectionFees, "kosten": knowledge.SectionFees,
	"fees": knowledge.SectionFees, "costs": knowledge.SectionFees, "charges": knowledge.SectionFees,

	"fristen": knowledge.SectionDeadlines, "frist": knowledge.SectionDeadlines, "dauer": knowledge.SectionDeadlines,
	"bearbeitungsdauer": knowledge.SectionDeadlines, "bearbeitungszeit": knowledge.SectionDeadlines,
	"deadlines": knowledge.SectionDeadlines, "deadline": knowledge.SectionDeadlines, "duration": knowledge.SectionDeadlines,

	"ablauf": knowledge.SectionProcedure, "verfahrensablauf": knowledge.SectionProcedure,
	"verfahren": knowledge.SectionProcedure, "antragsverfahren": knowledge.SectionProcedure,
	"procedure": knowledge.SectionProcedure, "process": knowledge.SectionProcedure,

	"kontakt": knowledge.SectionContact, "öffnungszeiten": knowledge.SectionContact, "sprechzeiten": knowledge.SectionContact,
	"zuständigkeit": knowledge.SectionContact, "ansprechpartner": knowledge.SectionContact,
	"contact": knowledge.SectionContact, "address": knowledge.SectionContact, "adresse": knowledge.SectionContact,
}

// strictHeadingPhrases may also stand alone on a line.
var strictHeadingPhrases = []headingPhrase{
	{[]string{"beschreibung", "der", "leistung"}, knowledge.SectionDescription},
	{[]string{"who", "can", "apply"}, knowledge.SectionPrerequisites},
	{[]string{"what", "to", "bring"}, knowledge.SectionDocuments},
	{[]string{"documents", "you", "need"}, knowledge.SectionDocuments},
	{[]string{"processing", "time"}, knowledge.SectionDeadlines},
	{[]string{"how", "it", "works"}, knowledge.SectionProcedure},
	{[]string{"how", "to", "apply"}, knowledge.SectionProcedure},
	{[]string{"opening", "hours"}, knowledge.SectionContact},
	{[]string{"office", "hours"}, knowledge.SectionContact},
	{[]string{"where", "to", "go"}, knowledge.SectionContact},
	{[]string{"zuständige", "stelle"}, knowledge.SectionContact},
}

// headingAdjectives may precede a strict heading word: "Erforderliche
// Unterlagen", "Required documents".
var headingAdjectives = map[string]bool{
	"erforderliche": true, "benötigte": true, "notwendige": true, "einzureichende": true,
	"wichtige": true, "allgemeine": true, "weitere": true,
	"required": true, "necessary": true, "needed": true, "general": true,
}

// headingConnectors join two headings on one line: "Kontakt und Öffnungszeiten".
var headingConnectors = map[string]bool{
	"und": true, "and": true, "&": true, ",": true, "/": true, "sowie": true,
}

// normHeadingWords lowercases s and splits it into words; "&", "," and "/"
// become words of their own, other punctuation and underscores separate
// words ("opening_hours" → [opening hours]).
func normHeadingWords(s string) []string {
	var words []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			words = append(words, b.String())
			b.Reset()
		}
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case r == '&' || r == ',' || r == '/':
			flush()
			words = append(words, string(r))
		default:
			flush()
		}
	}
	flush()
	return words
}

// phraseAt reports whether words[i:] starts with one of phrases.
func phraseAt(words []string, i int, phrases []headingPhrase) (knowledge.SectionKind, int, bool) {
	for _, p := range phrases {
		if len(words)-i < len(p.words) {
			continue
		}
		ok := true
		for j, w := range p.words {
			if words[i+j] != w {
				ok = false
				break
			}
		}
		if ok {
			return p.kind, len(p.words), true
		}
	}
	return "", 0, false
}

// classifyHeading returns the kind a heading or field name stands for, or
// SectionOther. The first word or phrase it recognises decides.
func classifyHeading(heading string) knowledge.SectionKind {
	words := normHeadingWords(heading)
	for i, w := range words {
		if k, _, ok := phraseAt(words, i, headingPhrases); ok {
			return k
		}
		if k, ok := headingWords[w]; ok {
			return k
		}
		for _, s := range headingSuffixes {
			if strings.HasSuffix(w, s.suffix) {
				return s.kind
			}
		}
	}
	return knowledge.SectionOther
}

// maxHeadingLine is the longest line (in runes) headingLineKind accepts.
const maxHeadingLine = 60

// headingLineKind reports whether a line of plain text is a section heading
// and of which kind: the line must consist only of known heading words or
// phrases (each optionally after an adjective such as "Erforderliche"),
// joined by "und", "and", "&" or commas, with at most a trailing colon. The
// first heading on the line decides the kind.
func headingLineKind(line string) (knowledge.SectionKind, bool) {
	t := strings.TrimSpace(line)
	t = strings.TrimSpace(strings.TrimSuffix(t, ":"))
	if t == "" || utf8.RuneCountInString(t) > maxHeadingLine {
		return "", false
	}
	words := normHeadingWords(t)
	if len(words) == 0 || len(words) > 6 {
		return "", false
	}
	// Every letter of the line must be in words: lines with other characters
	// than letters, digits, spaces and the connectors are not headings.
	for _, r := range t {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r) || r == '&' || r == ',' || r == '/' || r == '-') {
			return "", false
		}
	}
	var first knowledge.SectionKind
	i := 0
	for i < len(words) {
		if headingAdjectives[words[i]] && i+1 < len(words) {
			i++
		}
		k, n, ok := phraseAt(words, i, strictHeadingPhrases)
		if !ok {
			k, ok = strictHeadingWords[words[i]]
			n = 1
		}
		if !ok {
			return "", false
		}
		if first == "" {
			first = k
		}
		i += n
		if i == len(words) {
			break
		}
		if !headingConnectors[words[i]] {
			return "", false
		}
		i++
		if i == len(words) {
			return "", false
		}
	}
	return first, true
}
