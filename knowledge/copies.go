package knowledge

import (
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Near-duplicate pages. Many cities publish one service several times:
// Hamburg has "Personalausweis abholen - Nord Einwohnerangelegenheiten",
// "… - Altona …" and 23 more, the same text with another office's address.
// Searched as separate pages, the copies tie, and the engine asks which
// one the citizen means or hands off. At build time such pages are
// recognised: the first is searched, the others are remembered as its
// copies (Canonical, Copies) and are never a search result of their own.
//
// Two pages are copies when they agree on language and on every Meta
// field that groups pages (a value that other pages share, such as a
// city), and either
//   - their titles are equal (letters and digits; "Impf-Empfehlungen" and
//     "Impfempfehlungen" are equal), or equal as sets of word stems without
//     stop words (titleStems: "Masern-Schutz-Gesetz" and "Gesetz zum Schutz
//     der Masern"), and their descriptive text — everything
//     but contact sections and addresses — is near-identical (≥
//     copySimilarity of its word 3-grams) or shares its vocabulary (≥
//     sameTitleWordSimilarity of its words: the same page in another
//     wording), or
//   - their titles differ only in the office or place whose address the
//     page gives (every differing title word occurs in the page's contact
//     text: "… - Altona Einwohnerangelegenheiten" with the address of
//     "Altona Einwohnerangelegenheiten") and their descriptive text is
//     mostly the same (≥ placeCopySimilarity; offices add a remark or two),
//     or
//   - their titles are equal (as above) and they share most of their words,
//     contacts included (≥ contactCopySimilarity).
// Sibling services ("… Laufbahnfachrichtung Polizeivollzugsdienst" vs "…
// Feuerwehrtechnischer Dienst", "mit" vs "ohne Unterlagen") differ in words
// their own text is about, not in an address, and stay apart.

// copySimilarity is the Jaccard similarity of two pages' descriptive word
// 3-grams above which they are copies.
const copySimilarity = 0.9

// sameTitleWordSimilarity is the share of shared vocabulary (word
// Jaccard) above which two pages with the same title are copies: the same
// page in two wordings (Integreat publishes translations back and forth;
// such pairs share 35–80 % of their words, different pages of one city
// rarely 30 %).
const sameTitleWordSimilarity = 0.3

// placeCopySimilarity is the similarity above which two pages whose
// titles differ only in the office they name are copies.
const placeCopySimilarity = 0.75

// contactCopySimilarity is the share of shared words, contacts included,
// above which two pages with the same title are copies.
const contactCopySimilarity = 0.6

// maxCopyGroup bounds the pages compared pairwise under one title key.
const maxCopyGroup = 400

// postalAddress is a German postcode and town, the mark of an address.
var postalAddress = regexp.MustCompile(`\b\d{5} +\p{Lu}`)

// isContactText reports whether a section holds contacts or an address.
func isContactText(s Section) bool {
	return s.Kind == SectionContact || postalAddress.MatchString(s.Text)
}

// copyInfo is what comparing pages needs of one page.
type copyInfo struct {
	title    []string            // title words, lower case
	content  []string            // the title's words but stop words (contrast words kept)
	stems    string              // the title's word stems (titleStems)
	words    map[string]bool     // words of the descriptive text
	freq     map[string]int      // how often the text uses each
	contact  map[string]bool     // words of contact sections and addresses
	shingles map[uint64]struct{} // hashed word 3-grams of the descriptive text
	group    string              // language and grouping Meta values
	lang     string
	n        int             // words of the descriptive text
	numbers  map[string]bool // its words with a digit: numbers, dates, paragraphs, links
}

// findCopies returns, per page, the index of the page it is a copy of, or
// -1. words, when not nil, tells two wordings of a title apart from two
// titles (see Rewording).
func findCopies(pages []Page, words wordingSource) []int32 {
	out := make([]int32, len(pages))
	for i := range out {
		out[i] = -1
	}
	if len(pages) < 2 {
		return out
	}
	grouping := groupingMeta(pages)
	infos := make([]*copyInfo, len(pages))
	info := func(i int) *copyInfo {
		if infos[i] == nil {
			infos[i] = newCopyInfo(&pages[i], grouping)
		}
		return infos[i]
	}
	// Pages are compared under their title keys and their title stems, and,
	// for a page in another wording under another title, under each stem
	// their titles share.
	byKey, byStem := map[string][]int{}, map[string][]int{}
	add := func(m map[string][]int, k string, i int) {
		if l := m[k]; len(l) == 0 || l[len(l)-1] != i {
			m[k] = append(l, i)
		}
	}
	for i := range pages {
		lang := normLang(pages[i].Language)
		for _, k := range titleKeys(pages[i].Title) {
			add(byKey, lang+"\x00"+k, i)
		}
		stems := titleStems(pages[i].Title, lang)
		if stems != "" {
			add(byKey, lang+"\x00\x01"+stems, i)
		}
		for _, st := range strings.Fields(stems) {
			add(byStem, lang+"\x00"+st, i)
			// A compound and its shorter or longer form ("Zwangsehe" and
			// "Zwangsverheiratung", "Alphabetisierung" and
			// "Alphabetisierungskurse") share their first letters, not
			// their stem.
			if len(st) > compoundKeyLen {
				add(byStem, lang+"\x00\x02"+st[:compoundKeyLen], i)
			}
		}
	}
	parent := make([]int, len(pages))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	join := func(i, j int) {
		ri, rj := find(i), find(j)
		if rj < ri {
			ri, rj = rj, ri
		}
		parent[rj] = ri // the first page of a set of copies stays the searched one
	}
	// within joins the pages of each group that match.
	within := func(groups map[string][]int, match func(i, j int) bool) {
		for _, group := range groups {
			if len(group) < 2 || len(group) > maxCopyGroup {
				continue
			}
			for a := 0; a < len(group); a++ {
				for b := a + 1; b < len(group); b++ {
					if i, j := group[a], group[b]; find(i) != find(j) && match(i, j) {
						join(i, j)
					}
				}
			}
		}
	}
	within(byKey, func(i, j int) bool { return areCopies(info(i), info(j)) })
	// The same page in another wording under another title ("Benefits
	// from the Job Centre" / "Benefits from the job center"): the texts
	// are compared first, the titles' words then looked up in the
	// dictionary all at once.
	var near [][2]int
	seen, need := map[[2]int]bool{}, map[string]bool{}
	within(byStem, func(i, j int) bool {
		if seen[[2]int{i, j}] {
			return false // the titles share another stem
		}
		seen[[2]int{i, j}] = true
		if a, b := info(i), info(j); rewordedText(a, b) {
			near = append(near, [2]int{i, j})
			a.titlePhrases(need)
			b.titlePhrases(need)
		}
		return false
	})
	var w *wordings
	if len(near) > 0 && words != nil {
		w = words(need)
	}
	for _, p := range near {
		if find(p[0]) != find(p[1]) && rewordedTitle(info(p[0]), info(p[1]), w) {
			join(p[0], p[1])
		}
	}
	// A set of an office's copies of one service ("Express-Reisepass
	// beantragen - Altona Einwohnerangelegenheiten", "… - Bergedorf …")
	// that holds the page without an office ("Express-Reisepass
	// beantragen") is searched through that page: its title is the
	// service's, without an office's words for a question to match.
	root := make(map[int]int)
	for i := range pages {
		r := find(i)
		if r == i {
			continue
		}
		if _, ok := root[r]; !ok && generalTitle(pages[i].Title, pages[r].Title) {
			root[r] = i
		}
	}
	for i := range pages {
		r := find(i)
		if g, ok := root[r]; ok {
			r = g
		}
		if r != i {
			out[i] = int32(r)
		}
	}
	return out
}

// generalTitle reports whether title is other without its trailing
// qualifier: "Express-Reisepass beantragen" of "Express-Reisepass
// beantragen - Altona Einwohnerangelegenheiten".
func generalTitle(title, other string) bool {
	o := strings.ToLower(strings.TrimSpace(other))
	cut := qualifierCut(o)
	return cut > 0 && strings.TrimSpace(o[:cut]) == strings.ToLower(strings.TrimSpace(title))
}

// Rewording: Integreat's pages are machine-translated back and forth, and
// a city ends up with one page twice in two wordings under two wordings of
// its title: "Counselling centres for parents, children and young people"
// and "Counseling centers for parents, …", "Health insurance is mandatory"
// and "… is compulsory", "Leistungen des Jobcenters" and "Leistungen des
// Arbeitsamtes", "Public holidays, school holidays …" and "…, school
// vacations …". Such pages
//   - share their vocabulary (≥ rewordWordShare of their descriptive
//     words) at about the same length (≥ rewordLength),
//   - keep every number, date and link (≥ rewordNumbers of the words with
//     a digit, or none in either: a sibling service has other fees and
//     other paragraphs),
//   - are reworded (< rewordShingles of their word 3-grams in common):
//     two pages with the same text verbatim under different titles are
//     siblings whose difference is in the title ("Anerkennung ausländischer
//     Berufsqualifikationen - Apotheker/in" and "- Arzt/Ärztin"), and
//   - have titles that say one thing (rewordedTitle): they share at least
//     rewordTitleShare of their words, a word counting as shared when the
//     other title has it in another spelling ("centres", "centers"), as a
//     compound of it ("Alphabetisierung", "Alphabetisierungskurse"; see
//     compoundAlike) or, by the dictionary, in another word ("vacations",
//     "holidays"; see wordings.go); not both titles have a word of their own left
//     ("Eheurkunde" / "Lebenspartnerschaftsurkunde", "Güterichter in
//     Zivilprozessverfahren" / "in der Fachgerichtsbarkeit"; stop words
//     are no words of their own: "Kosten für die Kinderbetreuung" and
//     "Kosten für Kinderbetreuung" are one), and the words of its own that
//     one title has are not what its text is about (namesOwnThing:
//     "Personalausweis vorläufig beantragen" and "Personalausweis
//     beantragen" are two services, "Literacy courses" and "Literacy" with
//     one text are one).
//
// Short texts say too little to tell (Berlin's "Altpapier (illegal) -
// Entsorgung" and "Autowrack (illegal) - Entsorgung" share their few
// words): both need rewordMinWords.
const (
	rewordTitleShare = 0.4
	rewordWordShare  = 0.45
	rewordLength     = 0.75
	rewordNumbers    = 0.7
	rewordShingles   = 0.6
	rewordMinWords   = 60
)

// rewordedText reports whether two pages' texts are one text in two
// wordings (see Rewording).
func rewordedText(a, b *copyInfo) bool {
	if a.group != b.group || a.n < rewordMinWords || b.n < rewordMinWords ||
		float64(min(a.n, b.n)) < rewordLength*float64(max(a.n, b.n)) {
		return false
	}
	if (len(a.numbers) > 0 || len(b.numbers) > 0) && wordJaccard(a.numbers, b.numbers) < rewordNumbers {
		return false
	}
	return wordJaccard(a.words, b.words) >= rewordWordShare && !jaccardAtLeast(a.shingles, b.shingles, rewordShingles)
}

// rewordedTitle reports whether two titles of pages with one text in two
// wordings name one thing (see Rewording); w, when not nil, knows words
// for one thing.
func rewordedTitle(a, b *copyInfo, w *wordings) bool {
	da, db := ownWords(a, b, w), ownWords(b, a, w)
	if len(da) > 0 && len(db) > 0 {
		return false
	}
	shared := float64(len(a.content)-len(da)+len(b.content)-len(db)) / 2
	if shared == 0 || shared < rewordTitleShare*(shared+float64(len(da)+len(db))) {
		return false
	}
	return !namesOwnThing(a, b, da) && !namesOwnThing(b, a, db)
}

// ownWords returns the content words of a's title (their positions in
// a.content) that b's title does not have, in any spelling or, by w, in
// any other word.
func ownWords(a, b *copyInfo, w *wordings) []int {
	var own []int
	for i, x := range a.content {
		if slices.ContainsFunc(b.content, func(y string) bool {
			return spelledAlike(x, y) || stem(x, a.lang) == stem(y, b.lang) || compoundAlike(a, x, b, y)
		}) {
			continue
		}
		if w != nil && !contrastWords[foldWord(x)] && sharesWording(a.content, i, b.content, w) {
			continue
		}
		own = append(own, i)
	}
	return own
}

// compoundKeyLen is the length of the stem prefix under which titles are
// also compared, for compounds of one another (see compoundAlike).
const compoundKeyLen = 6

// minCompoundPart is the shortest part two compounds must share, and the
// shortest part one may add at an end, to be one word (see compoundRest).
const minCompoundPart = 5

// minCompoundRest is the shortest part a compound may add at its start or
// end: "Entsperrung" is not "Sperrung", "Abmeldung" not "Meldung".
const minCompoundRest = 4

// compoundRest reports whether two title words (lower case) may name one
// thing as compounds — one is the other with a part added at its end
// ("Alphabetisierung" and "Alphabetisierungskurse"), at its start
// ("Formen" and "Schutzformen") or inside it ("Berufsbildung" and
// "Berufsausbildung") — and returns the longer word and the part it adds,
// without a linking s. Whether that part is what one page is about is left
// to the caller (compoundAlike).
func compoundRest(x, y string) (longer, rest string, ok bool) {
	if len(x) > len(y) {
		x, y = y, x
	}
	if len(x) < minCompoundPart || len(x) == len(y) {
		return "", "", false
	}
	switch {
	case strings.HasPrefix(y, x):
		rest = strings.TrimPrefix(y[len(x):], "s")
	case strings.HasSuffix(y, x):
		rest = strings.TrimSuffix(y[:len(y)-len(x)], "s")
	default:
		p := 0
		for p < len(x) && x[p] == y[p] {
			p++
		}
		q := 0
		for q < len(x) && x[len(x)-1-q] == y[len(y)-1-q] {
			q++
		}
		if p < minCompoundPart-1 || q < minCompoundPart || p+q < len(x) {
			return "", "", false
		}
		return y, y[min(p, len(x)-q) : len(y)-q], true // inside: "aus" in "Berufsausbildung"
	}
	return y, rest, len(rest) >= minCompoundRest
}

// compoundAlike reports whether title words x of a and y of b are one
// thing as compounds (compoundRest), the part the longer adds being no
// more what its page is about than the other page's: "Nachhilfe" and
// "Nachhilfeunterricht" over one text in two wordings, not "Führerschein"
// and "Führerscheinentzug" when that text speaks of the Entzug throughout.
func compoundAlike(a *copyInfo, x string, b *copyInfo, y string) bool {
	longer, rest, ok := compoundRest(x, y)
	if !ok || !utf8.ValidString(rest) {
		return false
	}
	if len(rest) < minCompoundRest {
		return true // a linking part inside the word
	}
	if y == longer {
		return !speaksOfMore(b, a, rest)
	}
	return !speaksOfMore(a, b, rest)
}

// sharesWording reports whether a phrase of up to maxWordingWords words of
// xs around position i is, by w, one thing with a phrase of ys.
func sharesWording(xs []string, i int, ys []string, w *wordings) bool {
	for lo := max(0, i-maxWordingWords+1); lo <= i; lo++ {
		for hi := i + 1; hi <= min(len(xs), lo+maxWordingWords); hi++ {
			kx := wordingKeys(xs[lo:hi])
			for ylo := range ys {
				for yhi := ylo + 1; yhi <= min(len(ys), ylo+maxWordingWords); yhi++ {
					if w.same(kx, wordingKeys(ys[ylo:yhi])) {
						return true
					}
				}
			}
		}
	}
	return false
}

// titlePhrases adds the keys of the phrases of the page's title to need.
func (ci *copyInfo) titlePhrases(need map[string]bool) {
	for lo := range ci.content {
		for hi := lo + 1; hi <= min(len(ci.content), lo+maxWordingWords); hi++ {
			for _, k := range wordingKeys(ci.content[lo:hi]) {
				need[k] = true
			}
		}
	}
}

// namesOwnThing reports whether one of a's own title words (own, positions
// in a.content) is what a's text is about: a's text uses it more than
// twice as often as b's ("Personalausweis vorläufig beantragen" and
// "Personalausweis beantragen": the one text says "vorläufig" throughout,
// the other once). One text in two wordings uses the words of the longer
// title as often as the other ("Literacy courses" and "Literacy",
// "Advance Maintenance Payments" and "Advance on maintenance").
func namesOwnThing(a, b *copyInfo, own []int) bool {
	for _, i := range own {
		w := a.content[i]
		if contrastWords[foldWord(w)] {
			return true // "mit" or "ohne Unterlagen"
		}
		if len(w) < 3 {
			continue
		}
		if speaksOfMore(a, b, w) {
			return true
		}
	}
	return false
}

// speaksOfMore reports whether a's text uses word w (in some form, see
// uses) more than twice as often as b's: w is what a is about.
func speaksOfMore(a, b *copyInfo, w string) bool {
	st := stem(w, a.lang)
	return uses(a, w, st) > 2*uses(b, w, st)
}

// uses counts the words of ci's text that are w in some form (see
// alike).
func uses(ci *copyInfo, w, st string) int {
	n := 0
	for v, f := range ci.freq {
		if alike(v, w, st) {
			n += f
		}
	}
	return n
}

// alike reports whether v is w in some form: itself, a word that starts
// with its stem st ("Einsichtnahme" for "Einsicht"), or w in another
// spelling.
func alike(v, w, st string) bool {
	return v == w || (len(st) >= 4 && strings.HasPrefix(v, st)) || spelledAlike(w, v)
}

// spelledAlike reports whether two words are one word in two spellings:
// two letters differ at most, and no more than a quarter of them
// ("centres"/"centers", "counselling"/"counseling"; not "Arbeitgeber" and
// "Arbeitnehmer").
func spelledAlike(a, b string) bool {
	if len(a) < 4 || len(b) < 4 {
		return a == b
	}
	limit := min(2, max(len(a), len(b))/4)
	return editDistance(a, b, limit) <= limit
}

// groupingMeta lists the Meta fields whose values group pages: some value
// is shared by two pages (a city, a category), unlike a field that
// identifies one page (a source path).
func groupingMeta(pages []Page) []string {
	seen := map[string]map[string]bool{}
	grouping := map[string]bool{}
	for i := range pages {
		for k, v := range pages[i].Meta {
			if seen[k] == nil {
				seen[k] = map[string]bool{}
			}
			if seen[k][v] {
				grouping[k] = true
			}
			seen[k][v] = true
		}
	}
	out := make([]string, 0, len(grouping))
	for k := range grouping {
		out = append(out, k)
	}
	return out
}

// titleKeys are the keys under which pages are compared (besides their
// titleStems): the whole title, and the title without a trailing qualifier
// ("… - Altona", "… (Altona)", "… | Bezirk Nord").
func titleKeys(title string) []string {
	t := strings.ToLower(strings.TrimSpace(title))
	keys := []string{strings.Join(copyWords(t), "")}
	if cut := qualifierCut(t); cut > 0 {
		if k := strings.Join(copyWords(t[:cut]), ""); k != "" && k != keys[0] {
			keys = append(keys, k)
		}
	}
	return keys
}

// titleStems is a title as the set of its words' stems, stop words left
// out, in sorted order: the same title in another wording. Integreat
// publishes pages translated back and forth, so one city has "Wo finde ich
// einen Deutschkurs?" and "Wo kann ich einen Deutschkurs finden?",
// "Masern-Schutz-Gesetz" and "Gesetz zum Schutz der Masern" ("vor" is a
// contrast word: "Gesetz zum Schutz vor Masern" stays apart),
// "Dolmetscher" and "Dolmetscherinnen und Dolmetscher", "Further
// vaccination recommendations of the STIKO" and "Further STIKO vaccination
// recommendations". Sibling services differ in a word that names what is
// different ("Parkausweis für Anwohner" / "für Gäste") and keep apart.
func titleStems(title, lang string) string {
	var stems []string
	for _, w := range copyWords(title) {
		if f := foldWord(w); isStop(f, lang) && !contrastWords[f] {
			continue
		}
		s := stem(w, lang)
		if lang != "en" {
			s = unGender(s)
		}
		if !slices.Contains(stems, s) {
			stems = append(stems, s)
		}
	}
	slices.Sort(stems)
	return strings.Join(stems, " ")
}

// contrastWords are stop words that tell sibling titles apart: "Eheschließung
// (mit Auslandsbeteiligung)" and "(ohne Auslandsbeteiligung)" are two
// services.
var contrastWords = map[string]bool{
	"mit": true, "ohne": true, "nicht": true, "kein": true, "keine": true, "keinen": true, "vor": true,
	"nach": true, "unter": true, "bis": true, "ab": true, "seit": true,
	"with": true, "without": true, "not": true, "no": true, "non": true, "before": true, "after": true,
	"under": true, "until": true, "since": true,
}

// unGender maps the stem of a German feminine person noun to the stem of
// its masculine form ("dolmetscherinn" → "dolmetsch"): a page titled
// "Dolmetscherinnen und Dolmetscher" is about "Dolmetscher".
func unGender(s string) string {
	for _, suf := range []string{"erinn", "erin"} {
		if len(s) > len(suf)+3 && strings.HasSuffix(s, suf) {
			return stem(s[:len(s)-len(suf)]+"er", "de")
		}
	}
	return s
}

// qualifierCut is where a title's trailing qualifier begins, or -1.
func qualifierCut(t string) int {
	cut := -1
	for _, sep := range []string{" - ", " – ", " — ", " | ", " ("} {
		if i := strings.LastIndex(t, sep); i > cut {
			cut = i
		}
	}
	return cut
}

func copyWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func newCopyInfo(p *Page, grouping []string) *copyInfo {
	ci := &copyInfo{title: copyWords(p.Title), stems: titleStems(p.Title, normLang(p.Language)), words: map[string]bool{}, contact: map[string]bool{}, shingles: map[uint64]struct{}{}}
	var g strings.Builder
	g.WriteString(normLang(p.Language))
	for _, k := range grouping {
		g.WriteString("\x00" + k + "=" + p.Meta[k])
	}
	ci.group = g.String()
	var words []string
	for _, s := range p.Sections {
		if isContactText(s) {
			for _, w := range copyWords(s.Heading + " " + s.Text) {
				ci.contact[w] = true
			}
			continue
		}
		words = append(words, copyWords(s.Heading)...)
		words = append(words, copyWords(s.Text)...)
	}
	ci.lang, ci.n, ci.numbers = normLang(p.Language), len(words), map[string]bool{}
	for _, w := range ci.title {
		if f := foldWord(w); !isStop(f, ci.lang) || contrastWords[f] {
			ci.content = append(ci.content, w)
		}
	}
	ci.freq = make(map[string]int, len(words)/2)
	for _, w := range words {
		ci.words[w] = true
		ci.freq[w]++
		if strings.IndexFunc(w, unicode.IsDigit) >= 0 {
			ci.numbers[w] = true
		}
	}
	h := fnv.New64a()
	for i := 0; i+2 < len(words); i++ {
		h.Reset()
		h.Write([]byte(words[i] + " " + words[i+1] + " " + words[i+2]))
		ci.shingles[h.Sum64()] = struct{}{}
	}
	if len(words) < 3 && len(words) > 0 {
		h.Reset()
		h.Write([]byte(strings.Join(words, " ")))
		ci.shingles[h.Sum64()] = struct{}{}
	}
	return ci
}

// areCopies reports whether two pages are copies of one service.
func areCopies(a, b *copyInfo) bool {
	if a.group != b.group {
		return false
	}
	sameTitle := strings.Join(a.title, "") == strings.Join(b.title, "") || (a.stems != "" && a.stems == b.stems)
	if !sameTitle {
		return len(a.shingles) > 0 && len(b.shingles) > 0 &&
			namesPlaceOnly(a, b) && namesPlaceOnly(b, a) && jaccardAtLeast(a.shingles, b.shingles, placeCopySimilarity)
	}
	// The same title twice ("Impf-Empfehlungen", "Impfempfehlungen"): one
	// page, published twice or in two wordings, when the two texts share
	// their vocabulary. The engine could not tell the citizen the
	// difference between two equal titles anyway. Their descriptive texts
	// are compared, and their whole texts too: "Town hall in Korb" twice,
	// once with its opening hours under a heading of their own (a contact
	// section), once in the text.
	if len(a.shingles) > 0 && len(b.shingles) > 0 &&
		(jaccardAtLeast(a.shingles, b.shingles, copySimilarity) || wordJaccard(a.words, b.words) >= sameTitleWordSimilarity) {
		return true
	}
	return len(a.words)+len(a.contact) > 0 && wordJaccard(union(a.words, a.contact), union(b.words, b.contact)) >= contactCopySimilarity
}

// union is the union of two word sets.
func union(a, b map[string]bool) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for w := range a {
		out[w] = true
	}
	for w := range b {
		out[w] = true
	}
	return out
}

// wordJaccard is the Jaccard similarity of two word sets.
func wordJaccard(a, b map[string]bool) float64 {
	inter := 0
	for w := range a {
		if b[w] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

func jaccardAtLeast(x, y map[uint64]struct{}, min float64) bool {
	small, large := x, y
	if len(small) > len(large) {
		small, large = large, small
	}
	if float64(len(small)) < min*float64(len(large)) {
		return false
	}
	inter := 0
	for s := range small {
		if _, ok := large[s]; ok {
			inter++
		}
	}
	union := len(small) + len(large) - inter
	return float64(inter) >= min*float64(union)
}

// namesPlaceOnly reports whether the title words of a that b's title lacks
// all occur in a's contact text (they name the office whose address a
// gives).
func namesPlaceOnly(a, b *copyInfo) bool {
	in := map[string]bool{}
	for _, w := range b.title {
		in[w] = true
	}
	for _, w := range a.title {
		if !in[w] && !a.contact[w] {
			return false
		}
	}
	return true
}

// isCopy reports whether page p is searched through another page.
func (kb *KB) isCopy(p int) bool {
	return kb.copyOf != nil && kb.copyOf[p] >= 0
}

// Canonical returns the id of the page searched for page id: the page it
// is a near-duplicate of, or id itself.
func (kb *KB) Canonical(id string) string {
	if i, ok := kb.byID[id]; ok && kb.isCopy(i) {
		return kb.pages[kb.copyOf[i]].ID
	}
	return id
}

// Copies returns the ids of the pages recognised as near-duplicates of
// page id (not searched themselves), in page order; nil when it has none.
func (kb *KB) Copies(id string) []string {
	i, ok := kb.byID[id]
	if !ok || kb.copyOf == nil {
		return nil
	}
	var out []string
	for j, c := range kb.copyOf {
		if int(c) == i {
			out = append(out, kb.pages[j].ID)
		}
	}
	return out
}

// CopyCount is the number of pages searched through another page.
func (kb *KB) CopyCount() int {
	n := 0
	for _, c := range kb.copyOf {
		if c >= 0 {
			n++
		}
	}
	return n
}

// OfficeVariant reports whether two pages publish one service for
// different offices, or once in general and once for an office: their
// titles are equal after dropping a trailing qualifier ("… - Altona
// Einwohnerangelegenheiten") whose words name an office in the page's
// contact text. Such pages are not different services to choose between.
func OfficeVariant(a, b *Page) bool {
	ka, qa := splitQualifier(a.Title)
	kb, qb := splitQualifier(b.Title)
	switch {
	case ka == "" || kb == "":
		return false
	case qa != "" && qb != "" && ka == kb:
		return namesOffice(a, qa) && namesOffice(b, qb)
	case qa != "" && qb == "" && ka == strings.Join(copyWords(b.Title), ""):
		return namesOffice(a, qa)
	case qb != "" && qa == "" && kb == strings.Join(copyWords(a.Title), ""):
		return namesOffice(b, qb)
	}
	return false
}

// splitQualifier returns a title's words without its trailing qualifier,
// and the qualifier ("" when the title has none).
func splitQualifier(title string) (key, qualifier string) {
	keys := titleKeys(title)
	if len(keys) < 2 {
		return keys[0], ""
	}
	return keys[1], title[qualifierCut(strings.ToLower(strings.TrimSpace(title))):]
}

// namesOffice reports whether every word of qualifier occurs in the
// page's contact text (contact sections and addresses).
func namesOffice(p *Page, qualifier string) bool {
	words := copyWords(qualifier)
	if len(words) == 0 {
		return false
	}
	contact := map[string]bool{}
	for _, s := range p.Sections {
		if isContactText(s) {
			for _, w := range copyWords(s.Heading + " " + s.Text) {
				contact[w] = true
			}
		}
	}
	for _, w := range words {
		if !contact[w] {
			return false
		}
	}
	return true
}
