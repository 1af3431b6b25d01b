package dialog

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/knowledge"
)

// aspectRule maps words in a question to the section that answers it.
type aspectRule struct {
	kind    knowledge.SectionKind
	pattern pattern
}

// aspectRules are checked in order: the first that matches decides. They
// match folded text (see fold).
func newAspectRules() []aspectRule {
	return []aspectRule{
		{knowledge.SectionFees, re(`(kost|gebuehr|preis|\bteuer|bezahl|\bzahlen|\beuro\b|€|cost|\bfees?\b|price|how much|\bpay\b|charge)`)},
		{knowledge.SectionDocuments, re(`(unterlagen|dokument|mitbring|mitnehm|nachweis|was brauche ich|welche papiere|documents?\b|bring\b|paperwork|papers|what do i need)`)},
		{knowledge.SectionDeadlines, re(`(frist|wie lange|bis wann|dauert|dauer\b|bearbeitungszeit|gueltig|deadline|how long|until when|by when|processing time|valid\b|validity|expire)`)},
		{knowledge.SectionContact, re(`(\bwo\b|wohin|oeffnungszeit|adresse|telefon|erreichbar|termin|sprechzeit|geoeffnet|where\b|opening hours|open\b|address|phone|appointment|which office|contact)`)},
		{knowledge.SectionPrerequisites, re(`(voraussetzung|wer kann|wer darf|darf ich|berechtigt|anspruch|requirement|eligib|who can|am i allowed|entitled|qualify)`)},
		{knowledge.SectionProcedure, re(`(wie beantrage|beantragen|ablauf|antrag stellen|wie geht|wie kann ich|wie funktioniert|online|how do i|how can i|how to|apply|procedure|steps|process)`)},
	}
}

func detectAspect(rules []aspectRule, text string) knowledge.SectionKind {
	folded := fold(text)
	for _, r := range rules {
		if r.pattern.MatchString(folded) {
			return r.kind
		}
	}
	return ""
}

// sentence is one quotable unit of a page: a sentence or a list item.
type sentence struct {
	text    string
	item    bool // a list item
	section int  // index of the section in the page
	pos     int  // position in the section
	terms   []string
	score   float64
}

// pageSentences are a page's sentences per section, with their terms.
type pageSentences [][]sentence

// analyze splits every section of page into sentences and analyses them.
func analyze(page *knowledge.Page, terms func(string) []string) pageSentences {
	out := make(pageSentences, len(page.Sections))
	for i, s := range page.Sections {
		sents := splitSentences(s.Text)
		for j := range sents {
			sents[j].section, sents[j].pos = i, j
			sents[j].terms = terms(sents[j].text)
		}
		out[i] = sents
	}
	return out
}

// abbreviations that end with a dot but do not end a sentence.
var abbreviations = map[string]bool{
	"z.b": true, "bzw": true, "ca": true, "nr": true, "str": true, "tel": true, "mo": true, "di": true,
	"mi": true, "do": true, "fr": true, "sa": true, "so": true, "e.v": true, "u.a": true, "d.h": true,
	"dr": true, "st": true, "i.d.r": true, "ggf": true, "inkl": true, "zzgl": true, "gem": true, "vgl": true,
	"abs": true, "e.g": true, "i.e": true, "approx": true, "no": true, "etc": true, "usw": true, "evtl": true,
	"bspw": true, "max": true, "min": true, "mr": true, "mrs": true, "ms": true, "jan": true, "feb": true,
	"aug": true, "sept": true, "okt": true, "nov": true, "dez": true, "hr": true, "fa": true, "v": true,
}

var listItem = regexp.MustCompile(`^\s*([-*•–]|\d+[.)])\s+`)

// splitSentences splits section text into sentences and list items.
func splitSentences(text string) []sentence {
	var out []sentence
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if loc := listItem.FindStringIndex(line); loc != nil {
			item := strings.TrimSpace(line[loc[1]:])
			if item != "" {
				out = append(out, sentence{text: item, item: true})
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
		if c == '.' && isAbbreviation(line[start:i]) {
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

func isAbbreviation(before string) bool {
	idx := strings.LastIndexAny(before, " (\t")
	word := strings.ToLower(before[idx+1:])
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

// composeLimits depend on the channel's style.
type composeLimits struct {
	sentences int
	items     int
	chars     int
}

func limitsFor(style Style) composeLimits {
	switch style {
	case StyleShort:
		return composeLimits{sentences: 2, items: 4, chars: 320}
	case StyleSpoken:
		return composeLimits{sentences: 2, items: 4, chars: 380}
	}
	return composeLimits{sentences: 3, items: 8, chars: 900}
}

// passage is what an answer quotes: the chosen sentences of one page.
type passage struct {
	sentences []sentence
	kind      knowledge.SectionKind // the section kind quoted (or "" if mixed)
}

// selectPassage picks the sentences of page that answer the question:
// the section of the asked aspect if the page has one, else the
// best-scoring sentences across the page.
//
// ps holds the page's analysed sentences; selectPassage does not change it.
func selectPassage(page *knowledge.Page, ps pageSentences, qterms map[string]bool, aspect knowledge.SectionKind, hitSections []knowledge.SectionHit, lim composeLimits) passage {
	if aspect != "" {
		for i, s := range page.Sections {
			if s.Kind != aspect || len(ps[i]) == 0 {
				continue
			}
			sents := slices.Clone(ps[i])
			for j := range sents {
				sents[j].score = overlap(qterms, sents[j].terms)
			}
			return passage{sentences: pickInSection(sents, lim), kind: aspect}
		}
	}
	// Best sentences across the page. Sections the search matched rank first.
	sectionBoost := map[string]float64{}
	for rank, sh := range hitSections {
		key := string(sh.Section.Kind) + "\x00" + sh.Section.Heading
		if _, ok := sectionBoost[key]; !ok {
			sectionBoost[key] = 0.3 / float64(rank+1)
		}
	}
	var all []sentence
	for i, s := range page.Sections {
		if s.Kind == knowledge.SectionContact && aspect != knowledge.SectionContact {
			continue // addresses and hours only when asked
		}
		sents := slices.Clone(ps[i])
		for j := range sents {
			sc := overlap(qterms, sents[j].terms)
			sc += sectionBoost[string(s.Kind)+"\x00"+s.Heading]
			if s.Kind == knowledge.SectionDescription {
				sc += 0.15
			}
			if j == 0 {
				sc += 0.05
			}
			sents[j].score = sc
			all = append(all, sents[j])
		}
	}
	if len(all) == 0 {
		return passage{}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].score > all[b].score })
	n := min(lim.sentences, len(all))
	chosen := all[:n]
	sort.SliceStable(chosen, func(a, b int) bool {
		if chosen[a].section != chosen[b].section {
			return chosen[a].section < chosen[b].section
		}
		return chosen[a].pos < chosen[b].pos
	})
	return passage{sentences: chosen}
}

// pickInSection quotes a section: its list (with up to two lead sentences)
// when it has one, else its best sentences in page order.
func pickInSection(sents []sentence, lim composeLimits) []sentence {
	var items, prose []sentence
	for _, s := range sents {
		if s.item {
			items = append(items, s)
		} else {
			prose = append(prose, s)
		}
	}
	if len(items) > 0 {
		var out []sentence
		for i, s := range prose {
			if i >= 1 || s.pos > items[0].pos {
				break
			}
			out = append(out, s)
		}
		if len(items) > lim.items {
			items = items[:lim.items]
		}
		return append(out, items...)
	}
	if len(prose) <= lim.sentences {
		return prose
	}
	best := make([]sentence, len(prose))
	copy(best, prose)
	sort.SliceStable(best, func(a, b int) bool { return best[a].score > best[b].score })
	best = best[:lim.sentences]
	sort.SliceStable(best, func(a, b int) bool { return best[a].pos < best[b].pos })
	// Keep the section's first sentence when nothing in it matched better:
	// it usually states the rule.
	if best[0].score == 0 {
		return prose[:lim.sentences]
	}
	return best
}

// overlap scores a sentence by the share of question terms it contains,
// damped by its length so short precise sentences win.
func overlap(qterms map[string]bool, sterms []string) float64 {
	if len(qterms) == 0 || len(sterms) == 0 {
		return 0
	}
	seen := map[string]bool{}
	hits := 0
	for _, t := range sterms {
		if qterms[t] && !seen[t] {
			seen[t] = true
			hits++
		}
	}
	if hits == 0 {
		return 0
	}
	return float64(hits) / float64(len(qterms)) / math.Sqrt(1+float64(len(sterms))/12)
}

// render turns a passage into text for the style.
func render(title string, p passage, style Style, lim composeLimits) string {
	var b strings.Builder
	if style != StyleSpoken {
		b.WriteString(title)
		b.WriteString("\n")
	}
	var items []string
	for _, s := range p.sentences {
		if s.item {
			items = append(items, strings.TrimRight(s.text, ".;,"))
			continue
		}
		appendBounded(&b, s.text, lim.chars)
	}
	if len(items) > 0 {
		if style == StyleSpoken || style == StyleShort {
			appendBounded(&b, strings.Join(items, ", ")+".", lim.chars)
		} else {
			for _, it := range items {
				if b.Len()+len(it) > lim.chars {
					b.WriteString("\n• …")
					break
				}
				b.WriteString("\n• ")
				b.WriteString(it)
			}
		}
	}
	return strings.TrimSpace(b.String())
}

func appendBounded(b *strings.Builder, s string, limit int) {
	if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
		b.WriteString(" ")
	}
	if b.Len()+len(s) > limit {
		room := limit - b.Len()
		if room < 40 {
			return
		}
		cut := strings.LastIndex(s[:room], " ")
		if cut <= 0 {
			return
		}
		s = s[:cut] + " …"
	}
	b.WriteString(s)
}

// followUps offers the aspects of the page the citizen has not asked about.
func followUps(page *knowledge.Page, asked knowledge.SectionKind, p phrases) []conversation.QuickReply {
	type offer struct {
		kind  knowledge.SectionKind
		label string
	}
	var out []conversation.QuickReply
	for _, o := range []offer{
		{knowledge.SectionFees, p.AskCost},
		{knowledge.SectionDocuments, p.AskDocuments},
		{knowledge.SectionContact, p.AskHours},
		{knowledge.SectionDeadlines, p.AskDeadline},
	} {
		if o.kind == asked {
			continue
		}
		if _, ok := page.Section(o.kind); ok {
			out = append(out, conversation.QuickReply{Label: o.label, Payload: o.label})
		}
		if len(out) == 3 {
			break
		}
	}
	return out
}
