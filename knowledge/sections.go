package knowledge

import (
	"strings"
	"unicode"
	"unicode/utf8"
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
	kind  SectionKind
}

// headingPhrases are multi-word names, checked before single words. Longer
// phrases come first where they share a first word.
var headingPhrases = []headingPhrase{
	{[]string{"beschreibung", "der", "leistung"}, SectionDescription},
	{[]string{"allgemeine", "informationen"}, SectionDescription},
	{[]string{"who", "can", "apply"}, SectionPrerequisites},
	{[]string{"who", "is", "eligible"}, SectionPrerequisites},
	{[]string{"who", "qualifies"}, SectionPrerequisites},
	{[]string{"wer", "kann"}, SectionPrerequisites},
	{[]string{"what", "to", "bring"}, SectionDocuments},
	{[]string{"what", "you", "need"}, SectionDocuments},
	{[]string{"was", "brauche", "ich"}, SectionDocuments},
	{[]string{"was", "muss", "ich", "mitbringen"}, SectionDocuments},
	{[]string{"processing", "time"}, SectionDeadlines},
	{[]string{"processing", "times"}, SectionDeadlines},
	{[]string{"how", "long"}, SectionDeadlines},
	{[]string{"wie", "lange"}, SectionDeadlines},
	{[]string{"time", "limits"}, SectionDeadlines},
	{[]string{"time", "limit"}, SectionDeadlines},
	{[]string{"how", "it", "works"}, SectionProcedure},
	{[]string{"how", "to", "apply"}, SectionProcedure},
	{[]string{"how", "to", "get", "it"}, SectionProcedure},
	{[]string{"step", "by", "step"}, SectionProcedure},
	{[]string{"so", "funktioniert", "es"}, SectionProcedure},
	{[]string{"opening", "hours"}, SectionContact},
	{[]string{"office", "hours"}, SectionContact},
	{[]string{"where", "to", "go"}, SectionContact},
	{[]string{"responsible", "office"}, SectionContact},
	{[]string{"zuständige", "stelle"}, SectionContact},
	{[]string{"zuständige", "behörde"}, SectionContact},
}

// headingWords maps whole normalised words to kinds.
var headingWords = map[string]SectionKind{
	// field names of scraped exports and generic content fields
	"body": SectionDescription, "text": SectionDescription, "content": SectionDescription,
	"markdown": SectionDescription, "md": SectionDescription, "html": SectionDescription,
	"summary": SectionDescription, "description": SectionDescription, "overview": SectionDescription,
	"intro": SectionDescription, "introduction": SectionDescription, "teaser": SectionDescription,
	"about": SectionDescription, "überblick": SectionDescription, "übersicht": SectionDescription,
	"zusammenfassung": SectionDescription, "einleitung": SectionDescription,

	"requirements": SectionPrerequisites, "requirement": SectionPrerequisites,
	"prerequisites": SectionPrerequisites, "prerequisite": SectionPrerequisites,
	"eligibility": SectionPrerequisites, "conditions": SectionPrerequisites,
	"antragsberechtigt": SectionPrerequisites, "antragsberechtigte": SectionPrerequisites,

	"documents": SectionDocuments, "document": SectionDocuments, "paperwork": SectionDocuments,
	"dokumente": SectionDocuments, "nachweise": SectionDocuments,

	"fees": SectionFees, "fee": SectionFees, "costs": SectionFees, "cost": SectionFees,
	"charges": SectionFees, "prices": SectionFees, "price": SectionFees, "kostet": SectionFees,
	"preise": SectionFees, "entgelte": SectionFees, "entgelt": SectionFees,
	"zahlungsart": SectionFees, "zahlungsarten": SectionFees,

	"deadlines": SectionDeadlines, "deadline": SectionDeadlines, "duration": SectionDeadlines,
	"dauert": SectionDeadlines, "bearbeitungszeit": SectionDeadlines,

	"procedure": SectionProcedure, "process": SectionProcedure, "steps": SectionProcedure,
	"verfahren": SectionProcedure, "vorgehen": SectionProcedure, "vorgehensweise": SectionProcedure,
	"antragsverfahren": SectionProcedure, "antragstellung": SectionProcedure,

	"contact": SectionContact, "contacts": SectionContact, "address": SectionContact,
	"location": SectionContact, "adresse": SectionContact, "anschrift": SectionContact,
	"standort": SectionContact, "standorte": SectionContact, "zuständigkeit": SectionContact,
	"ansprechpartner": SectionContact, "ansprechpartnerin": SectionContact,
	"ansprechperson": SectionContact, "erreichbarkeit": SectionContact,
}

// headingSuffixes name kinds by the end of a German (compound) word:
// "Verfahrensablauf", "Bearbeitungsdauer", "Antragsunterlagen". Used by the
// lenient classifier only.
var headingSuffixes = []struct {
	suffix string
	kind   SectionKind
}{
	{"beschreibung", SectionDescription},
	{"voraussetzungen", SectionPrerequisites},
	{"voraussetzung", SectionPrerequisites},
	{"unterlagen", SectionDocuments},
	{"gebühren", SectionFees},
	{"gebühr", SectionFees},
	{"kosten", SectionFees},
	{"fristen", SectionDeadlines},
	{"frist", SectionDeadlines},
	{"dauer", SectionDeadlines},
	{"ablauf", SectionProcedure},
	{"kontakt", SectionContact},
	{"kontakte", SectionContact},
	{"öffnungszeiten", SectionContact},
	{"sprechzeiten", SectionContact},
	{"servicezeiten", SectionContact},
}

// strictHeadingWords are the single words that may stand alone on a line of
// plain text as a heading. Compounds that often are list items ("Reisekosten",
// "Bewerbungsunterlagen") are deliberately absent.
var strictHeadingWords = map[string]SectionKind{
	"beschreibung": SectionDescription, "leistungsbeschreibung": SectionDescription,
	"kurzbeschreibung": SectionDescription, "description": SectionDescription,
	"overview": SectionDescription, "summary": SectionDescription,

	"voraussetzungen": SectionPrerequisites, "voraussetzung": SectionPrerequisites,
	"anspruchsvoraussetzungen": SectionPrerequisites, "requirements": SectionPrerequisites,
	"prerequisites": SectionPrerequisites, "eligibility": SectionPrerequisites,

	"unterlagen": SectionDocuments, "antragsunterlagen": SectionDocuments,
	"documents": SectionDocuments,

	"gebühren": SectionFees, "gebühr": SectionFees, "kosten": SectionFees,
	"fees": SectionFees, "costs": SectionFees, "charges": SectionFees,

	"fristen": SectionDeadlines, "frist": SectionDeadlines, "dauer": SectionDeadlines,
	"bearbeitungsdauer": SectionDeadlines, "bearbeitungszeit": SectionDeadlines,
	"deadlines": SectionDeadlines, "deadline": SectionDeadlines, "duration": SectionDeadlines,

	"ablauf": SectionProcedure, "verfahrensablauf": SectionProcedure,
	"verfahren": SectionProcedure, "antragsverfahren": SectionProcedure,
	"procedure": SectionProcedure, "process": SectionProcedure,

	"kontakt": SectionContact, "öffnungszeiten": SectionContact, "sprechzeiten": SectionContact,
	"zuständigkeit": SectionContact, "ansprechpartner": SectionContact,
	"contact": SectionContact, "address": SectionContact, "adresse": SectionContact,
}

// strictHeadingPhrases may also stand alone on a line.
var strictHeadingPhrases = []headingPhrase{
	{[]string{"beschreibung", "der", "leistung"}, SectionDescription},
	{[]string{"who", "can", "apply"}, SectionPrerequisites},
	{[]string{"what", "to", "bring"}, SectionDocuments},
	{[]string{"documents", "you", "need"}, SectionDocuments},
	{[]string{"processing", "time"}, SectionDeadlines},
	{[]string{"how", "it", "works"}, SectionProcedure},
	{[]string{"how", "to", "apply"}, SectionProcedure},
	{[]string{"opening", "hours"}, SectionContact},
	{[]string{"office", "hours"}, SectionContact},
	{[]string{"where", "to", "go"}, SectionContact},
	{[]string{"zuständige", "stelle"}, SectionContact},
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
func phraseAt(words []string, i int, phrases []headingPhrase) (SectionKind, int, bool) {
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
func classifyHeading(heading string) SectionKind {
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
	return SectionOther
}

// maxHeadingLine is the longest line (in runes) headingLineKind accepts.
const maxHeadingLine = 60

// headingLineKind reports whether a line of plain text is a section heading
// and of which kind: the line must consist only of known heading words or
// phrases (each optionally after an adjective such as "Erforderliche"),
// joined by "und", "and", "&" or commas, with at most a trailing colon. The
// first heading on the line decides the kind.
func headingLineKind(line string) (SectionKind, bool) {
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
	var first SectionKind
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
