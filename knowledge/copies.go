package knowledge

import (
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"unicode"
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
	stems    string              // the title's word stems (titleStems)
	stemSet  map[string]bool     // the same as a set
	words    map[string]bool     // words of the descriptive text
	contact  map[string]bool     // words of contact sections and addresses
	shingles map[uint64]struct{} // hashed word 3-grams of the descriptive text
	group    string              // language and grouping Meta values
	lang     string
	n        int             // words of the descriptive text
	numbers  map[string]bool // its words with a digit: numbers, dates, paragraphs, links
}

// findCopies returns, per page, the index of the page it is a copy of, or
// -1.
func findCopies(pages []Page) []int32 {
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
	// within joins the pages of each group that match, the first page of
	// a set of copies staying the searched one.
	within := func(groups map[string][]int, match func(a, b *copyInfo) bool) {
		for _, group := range groups {
			if len(group) < 2 || len(group) > maxCopyGroup {
				continue
			}
			for a := 0; a < len(group); a++ {
				for b := a + 1; b < len(group); b++ {
					i, j := group[a], group[b]
					if find(i) == find(j) || !match(info(i), info(j)) {
						continue
					}
					ri, rj := find(i), find(j)
					if rj < ri {
						ri, rj = rj, ri
					}
					parent[rj] = ri
				}
			}
		}
	}
	within(byKey, areCopies)
	// The same page in another wording under another title ("Benefits
	// from the Job Centre" / "Benefits from the job center").
	within(byStem, reworded)
	for i := range pages {
		if r := find(i); r != i {
			out[i] = int32(r)
		}
	}
	return out
}

// Rewording: Integreat's pages are machine-translated back and forth, and
// a city ends up with one page twice in two wordings under two wordings of
// its title: "Counselling centres for parents, children and young people"
// and "Counseling centers for parents, …", "Health insurance is mandatory"
// and "… is compulsory", "Leistungen des Jobcenters" and "Leistungen des
// Arbeitsamtes". Such pages
//   - have titles that share at least rewordTitleShare of their stems,
//   - share their vocabulary (≥ rewordWordShare of their descriptive
//     words) at about the same length (≥ rewordLength),
//   - keep every number, date and link (≥ rewordNumbers of the words with
//     a digit, or none in either: a sibling service has other fees and
//     other paragraphs), and
//   - are reworded (< rewordShingles of their word 3-grams in common):
//     two pages with the same text verbatim under different titles are
//     siblings whose difference is in the title ("Anerkennung ausländischer
//     Berufsqualifikationen - Apotheker/in" and "- Arzt/Ärztin").
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

// reworded reports whether two pages are one page in two wordings (see
// Rewording).
func reworded(a, b *copyInfo) bool {
	if a.group != b.group || a.n < rewordMinWords || b.n < rewordMinWords ||
		float64(min(a.n, b.n)) < rewordLength*float64(max(a.n, b.n)) {
		return false
	}
	if wordJaccard(a.stemSet, b.stemSet) < rewordTitleShare {
		return false
	}
	if (len(a.numbers) > 0 || len(b.numbers) > 0) && wordJaccard(a.numbers, b.numbers) < rewordNumbers {
		return false
	}
	return wordJaccard(a.words, b.words) >= rewordWordShare && !jaccardAtLeast(a.shingles, b.shingles, rewordShingles) &&
		!namesOwnThing(a, b) && !namesOwnThing(b, a)
}

// namesOwnThing reports whether a's title has a word, not in b's title in
// any spelling, that either text uses: the thing that makes a a service
// of its own ("Fachapotheker/-in" and "Fachzahnarzt/-ärztin", "Vorläufigen
// Personalausweis beantragen" and "Personalausweis beantragen", whose
// texts speak of each other). Two wordings of one title differ in words
// the texts do not repeat ("Childcare costs", "Costs for childcare") or in
// spelling ("centres", "centers").
func namesOwnThing(a, b *copyInfo) bool {
	for _, w := range a.title {
		if len(w) < 3 || slices.ContainsFunc(b.title, func(v string) bool { return spelledAlike(w, v) }) {
			continue
		}
		if st := stem(w, a.lang); hasAlike(a.words, w, st) || hasAlike(b.words, w, st) {
			return true
		}
	}
	return false
}

// hasAlike reports whether words holds w in some form: itself, a word
// that starts with its stem st ("Einsichtnahme" for "Einsicht"), or w in
// another spelling.
func hasAlike(words map[string]bool, w, st string) bool {
	if words[w] {
		return true
	}
	for v := range words {
		if (len(st) >= 4 && strings.HasPrefix(v, st)) || spelledAlike(w, v) {
			return true
		}
	}
	return false
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
	ci.lang, ci.n, ci.numbers, ci.stemSet = normLang(p.Language), len(words), map[string]bool{}, map[string]bool{}
	for _, st := range strings.Fields(ci.stems) {
		ci.stemSet[st] = true
	}
	for _, w := range words {
		ci.words[w] = true
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
