package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
)

// Options configure Build, Ingest and Open.
type Options struct {
	// Embedder embeds chunks and questions; nil means the local embedder.
	// Open checks that it has the Name the knowledge base was built with.
	Embedder Embedder
	// LexiconFiles are extra lexicon files (format: see lexicon/de.txt),
	// e.g. a city's own colloquial names. Open needs the same files as
	// Ingest for the same answers.
	LexiconFiles []string
	// Progress receives progress while building: a bar on a terminal,
	// plain lines otherwise. nil: no progress.
	Progress io.Writer
	// Dictionary is the German–English dictionary (TU Chemnitz format,
	// DefaultDictionary) from which a knowledge base builds its translation
	// table, so that a question in one language finds pages in the other.
	// "" translates nothing. Ingest fails when the file cannot be used;
	// Build and Open go on without translation and say why in Warnings.
	Dictionary string
	// Ranking weighs the evidence for a page; zero: DefaultRanking.
	Ranking Ranking
}

// KB is a searchable knowledge base: a city's pages as chunks in a BM25
// index (bleve) and as vectors. It is safe for concurrent use; Close
// releases the index.
type KB struct {
	pages  []Page
	byID   map[string]int
	lang   []string // normalised language per page
	chunks []chunk
	an     *Analyzer
	emb    Embedder
	terms  *termStore
	vecs   *vectorIndex
	bidx   bleve.Index
	hashes []string // content hash per page
	pchunk []int    // chunks of page p: pchunk[p] to pchunk[p+1]
	// titleWords holds, per page, the words of its title (stop words
	// removed), each as the term ids it is indexed by (stem, compound parts).
	titleWords [][][]uint32
	// titleKind is, per page, how many of its titleWords are the kind its
	// title names before " - " ("Hundehaltung - Hund steuerlich anmelden":
	// one), 0 for a title without one.
	titleKind []int
	// titleCompounds maps the stem of each compound title word to its
	// parts ("hundesteu" → "hund", "steu"), so a question that holds the
	// compound names its parts too (see namedByParts).
	titleCompounds map[uint32][]uint32
	// titleActions maps the stem of each title word that names what is
	// done with a service to whether it is the first thing done
	// ("beantragen") or a later one ("verlängern"; see actions.go).
	titleActions map[uint32]action
	// titlePages lists, per term id, the pages whose title holds it, so a
	// page a question names by its title is always a candidate.
	titlePages map[uint32][]int32
	params     searchParams
	// copyOf is, per page, the page it is a near-duplicate of (searched in
	// its place), or -1 (see copies.go).
	copyOf []int32
	// aliases are the searchable aliases (SetAliases); nil: none.
	aliases aliasStore
	// byURL finds pages by address (PageByURL), built on first use.
	urlsOnce sync.Once
	byURL    map[string]int
	// warnings are problems that did not stop Build or Open (see Warnings).
	warnings []string
	// dictErr is why the dictionary could not be used (Ingest fails on it).
	dictErr error

	cosPool sync.Pool // *[]float32 of len(chunks): cosines of one search

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// ErrNoPages is returned when there is nothing to build a knowledge base of.
var ErrNoPages = errors.New("knowledge: no pages")

// Build builds a knowledge base of pages in memory.
func Build(ctx context.Context, pages []Page, opts Options) (*KB, error) {
	kb, _, err := build(ctx, pages, opts, nil, "")
	return kb, err
}

// Len returns the number of pages.
func (kb *KB) Len() int { return len(kb.pages) }

// Page returns the page with the given id.
func (kb *KB) Page(id string) (*Page, bool) {
	i, ok := kb.byID[id]
	if !ok {
		return nil, false
	}
	return &kb.pages[i], true
}

// Warnings are problems Build or Open met without failing, for the
// operator's log: a dictionary that could not be read, so questions are not
// translated.
func (kb *KB) Warnings() []string { return kb.warnings }

// Translations describes the translation table ("no translations" without).
func (kb *KB) Translations() string { return kb.an.trans.String() }

// Analyzer returns the analyzer that knows this knowledge base's words.
func (kb *KB) Analyzer() *Analyzer { return kb.an }

// Close releases the index. Searching a closed KB fails.
func (kb *KB) Close() error {
	kb.closeOnce.Do(func() {
		kb.closed.Store(true)
		if kb.bidx != nil {
			kb.closeErr = kb.bidx.Close()
		}
	})
	return kb.closeErr
}

// normLang reduces a language tag to its primary subtag ("de-DE" → "de").
func normLang(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	return l
}

// stemLang is the stemmer used for a page language: English pages get the
// English stemmer, every other language the German one.
func stemLang(l string) string {
	if l == "en" {
		return "en"
	}
	return "de"
}

// pageHash is the content hash of a page: equal pages have equal hashes.
func pageHash(p *Page) string {
	b, _ := json.Marshal(p) // a Page always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// chunkSection returns the section a chunk belongs to, with the chunk's
// part of the text.
func (kb *KB) chunkSection(c chunk) Section {
	p := &kb.pages[c.Page]
	if c.Section < 0 {
		return Section{Kind: SectionDescription, Heading: p.Title}
	}
	s := p.Sections[c.Section]
	s.Text = s.Text[c.Start:c.End]
	return s
}

// chunkText is what is embedded for a chunk: title, keywords, heading and
// text.
func chunkText(p *Page, c chunk) string {
	var b strings.Builder
	b.WriteString(p.Title)
	if len(p.Keywords) > 0 {
		b.WriteString("\n")
		b.WriteString(strings.Join(p.Keywords, ", "))
	}
	if c.Section >= 0 {
		s := p.Sections[c.Section]
		if s.Heading != "" {
			b.WriteString("\n")
			b.WriteString(s.Heading)
		}
		b.WriteString("\n")
		b.WriteString(s.Text[c.Start:c.End])
	}
	if strings.TrimSpace(b.String()) == "" {
		return p.ID // remote embedders refuse empty text
	}
	return b.String()
}

// titleText is the text of a page's title field: title and keywords.
func titleText(p *Page) string {
	if len(p.Keywords) == 0 {
		return p.Title
	}
	return p.Title + "\n" + strings.Join(p.Keywords, "\n")
}

// bodyText is the text of a chunk's body field: heading and text.
func bodyText(p *Page, c chunk) string {
	if c.Section < 0 {
		return ""
	}
	s := p.Sections[c.Section]
	if s.Heading == "" {
		return s.Text[c.Start:c.End]
	}
	return s.Heading + "\n" + s.Text[c.Start:c.End]
}

// checkPages validates pages for building.
func checkPages(pages []Page) error {
	if len(pages) == 0 {
		return ErrNoPages
	}
	seen := make(map[string]bool, len(pages))
	for i := range pages {
		id := pages[i].ID
		if id == "" {
			return fmt.Errorf("knowledge: page %d (%q) has no id", i+1, pages[i].Title)
		}
		if seen[id] {
			return fmt.Errorf("knowledge: duplicate page id %q", id)
		}
		seen[id] = true
	}
	return nil
}

// germanWordFreq counts the folded words of the German (non-English) pages
// for the compound splitter.
func germanWordFreq(pages []Page) map[string]int32 {
	freq := make(map[string]int32)
	count := func(text string) {
		for _, w := range splitWords(text) {
			if !w.joined && !hasDigit(w.folded) {
				freq[w.folded]++
			}
		}
	}
	for i := range pages {
		p := &pages[i]
		if normLang(p.Language) == "en" {
			continue
		}
		count(p.Title)
		for _, k := range p.Keywords {
			count(k)
		}
		for _, s := range p.Sections {
			count(s.Heading)
			count(s.Text)
		}
	}
	// Words seen once are as likely typos or names as words; keep those of
	// the base list only (added by the splitter).
	for w, n := range freq {
		if n < 2 {
			delete(freq, w)
		}
	}
	return freq
}

// prevVectors are the vectors of an earlier build, reusable for pages whose
// content did not change (same id and hash, same embedder).
type prevVectors map[string]pageVectors

type pageVectors struct {
	hash string
	vecs [][]float32 // one per chunk, in chunk order
}

// buildStats says what a build did.
type buildStats struct {
	embedded int // chunks embedded now (not reused)
}

// build builds a KB of pages. prev offers vectors to reuse; blevePath is
// where the bleve index goes ("" in memory).
func build(ctx context.Context, pages []Page, opts Options, prev prevVectors, blevePath string) (*KB, buildStats, error) {
	var st buildStats
	if err := checkPages(pages); err != nil {
		return nil, st, err
	}
	pages = append([]Page(nil), pages...) // the caller keeps its slice
	emb := opts.Embedder
	if emb == nil {
		emb = NewLocalEmbedder(0)
	}
	prog := newProgress(opts.Progress)
	an, err := newAnalyzer(opts.LexiconFiles, germanWordFreq(pages))
	if err != nil {
		return nil, st, err
	}
	if opts.Dictionary != "" {
		// The dictionary's nouns split the compounds the pages' own words
		// cannot; a dictionary that cannot be read is reported with the
		// translations below.
		if nouns, err := cachedNouns(opts.Dictionary); err == nil {
			an.split.setNouns(nouns)
		}
	}
	kb := &KB{
		pages:  pages,
		byID:   make(map[string]int, len(pages)),
		lang:   make([]string, len(pages)),
		an:     an,
		emb:    emb,
		hashes: make([]string, len(pages)),
		pchunk: make([]int, len(pages)+1),
		params: defaultSearchParams(emb, opts.Ranking),
		copyOf: findCopies(pages, dictionaryWordings(opts.Dictionary)),
	}
	for i := range pages {
		kb.byID[pages[i].ID] = i
		kb.lang[i] = normLang(pages[i].Language)
		kb.hashes[i] = pageHash(&pages[i])
		kb.pchunk[i] = len(kb.chunks)
		if kb.copyOf[i] >= 0 {
			// A copy is searched through the page it copies: one
			// title-only chunk keeps the tables' one-chunk-per-page shape.
			kb.chunks = append(kb.chunks, chunk{Page: int32(i), Section: -1})
			continue
		}
		kb.chunks = append(kb.chunks, chunkPage(i, &pages[i])...)
	}
	kb.pchunk[len(pages)] = len(kb.chunks)
	kb.initPools()

	// Terms.
	prog.start("analysing", len(pages))
	tb := newTermBuilder(len(pages), len(kb.chunks))
	cache := make(termCache)
	ci := 0
	var buf []string
	for pi := range pages {
		if err := ctx.Err(); err != nil {
			return nil, st, err
		}
		p := &pages[pi]
		sl := stemLang(kb.lang[pi])
		buf = an.docTerms(buf[:0], titleText(p), sl, cache)
		tb.addTitle(buf)
		for ; ci < len(kb.chunks) && int(kb.chunks[ci].Page) == pi; ci++ {
			buf = an.docTerms(buf[:0], bodyText(p, kb.chunks[ci]), sl, cache)
			tb.addChunk(buf)
		}
		prog.step(1)
	}
	kb.terms = tb.finish(kb.pchunk)
	an.setVocabulary(kb.terms.vocabulary(), len(kb.terms.clen)+len(kb.terms.plen))
	kb.computeTitleWords(cache)
	prog.done()
	if opts.Dictionary != "" {
		prog.start("translations", 0)
		kb.useDictionary(opts.Dictionary)
		prog.done()
	}

	// Vectors.
	vecs, embedded, err := embedChunks(ctx, kb, prev, prog)
	if err != nil {
		return nil, st, err
	}
	st.embedded = embedded
	kb.vecs = vecs

	// BM25 index.
	prog.start("indexing", len(kb.chunks))
	kb.bidx, err = buildBleve(ctx, kb, blevePath, prog)
	if err != nil {
		return nil, st, err
	}
	prog.done()
	return kb, st, nil
}

// initPools prepares the buffers searches reuse.
func (kb *KB) initPools() {
	n := len(kb.chunks)
	kb.cosPool.New = func() any {
		b := make([]float32, n)
		return &b
	}
}

// computeTitleWords fills kb.titleWords from the page titles.
func (kb *KB) computeTitleWords(cache termCache) {
	kb.titleWords = make([][][]uint32, len(kb.pages))
	kb.titleKind = make([]int, len(kb.pages))
	kb.titleActions = make(map[uint32]action)
	for pi := range kb.pages {
		if kb.isCopy(pi) {
			continue // found through the page it copies
		}
		sl := stemLang(kb.lang[pi])
		words := func(text string) [][]uint32 {
			var out [][]uint32
			for _, w := range splitWords(text) {
				if w.joined || w.stop(sl) {
					continue
				}
				var ids []uint32
				for _, t := range kb.an.wordTerms(w, sl, cache) {
					if id, ok := kb.terms.ids[t]; ok {
						ids = append(ids, id)
					}
				}
				if len(ids) > 0 {
					out = append(out, ids)
					if a := actionOf(w.folded); a != actionNone {
						kb.titleActions[ids[0]] = a
					}
				}
			}
			return out
		}
		// The kind and the rest are the title split at its " - ".
		if kind, what := titleParts(kb.pages[pi].Title); kind != "" {
			kb.titleWords[pi] = words(kind)
			kb.titleKind[pi] = len(kb.titleWords[pi])
			kb.titleWords[pi] = append(kb.titleWords[pi], words(what)...)
		} else {
			kb.titleWords[pi] = words(kb.pages[pi].Title)
		}
	}
	kb.titlePages = make(map[uint32][]int32)
	kb.titleCompounds = make(map[uint32][]uint32)
	for pi, words := range kb.titleWords {
		for _, ids := range words {
			if len(ids) >= 3 { // stem and two parts or more
				kb.titleCompounds[ids[0]] = ids[1:]
			}
			for _, id := range ids {
				if l := kb.titlePages[id]; len(l) == 0 || l[len(l)-1] != int32(pi) {
					kb.titlePages[id] = append(l, int32(pi))
				}
			}
		}
	}
}

// embedChunks embeds every chunk, reusing vectors from prev where the page
// is unchanged. It returns the vectors and how many chunks it embedded.
func embedChunks(ctx context.Context, kb *KB, prev prevVectors, prog *progress) (*vectorIndex, int, error) {
	n := len(kb.chunks)
	out := make([][]float32, n)
	// Reuse first.
	todo := make([]int, 0, n)
	first := 0
	for pi := range kb.pages {
		last := first
		for last < n && int(kb.chunks[last].Page) == pi {
			last++
		}
		pv, ok := prev[kb.pages[pi].ID]
		if ok && pv.hash == kb.hashes[pi] && len(pv.vecs) == last-first && !kb.isCopy(pi) {
			copy(out[first:last], pv.vecs)
		} else {
			for c := first; c < last; c++ {
				todo = append(todo, c)
			}
		}
		first = last
	}
	prog.start("embedding", len(todo))
	workers := runtime.GOMAXPROCS(0)
	if _, local := kb.emb.(*LocalEmbedder); !local && workers < 4 {
		workers = 4 // remote embedders wait on the network
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				ch := kb.chunks[c]
				v, err := kb.emb.Embed(ctx, chunkText(&kb.pages[ch.Page], ch))
				if err != nil {
					cancel(fmt.Errorf("knowledge: embed page %q: %w", kb.pages[ch.Page].ID, err))
					return
				}
				out[c] = v
				mu.Lock()
				prog.step(1)
				mu.Unlock()
			}
		}()
	}
feed:
	for _, c := range todo {
		select {
		case jobs <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, 0, err
	}
	prog.done()
	vi, err := newVectorIndex(out)
	if err != nil {
		return nil, 0, err
	}
	return vi, len(todo), nil
}

// termStore holds the analysed terms of every chunk (body) and page
// (title) with their statistics: what BM25 scoring and query-term coverage
// need, in compact arrays.
type termStore struct {
	terms []string // term id → term
	ids   map[string]uint32

	// Body terms of chunk c: tid/tf[coff[c]:coff[c+1]], sorted by term id.
	coff []uint32
	ctid []uint32
	ctf  []uint16
	clen []uint32 // body length (terms)

	// Title terms of page p: tid/tf[poff[p]:poff[p+1]], sorted by term id.
	poff []uint32
	ptid []uint32
	ptf  []uint16
	plen []uint32

	dfBody  []int32 // chunks holding the term in their body
	dfTitle []int32 // pages holding the term in their title
	avgBody float64
	avgTitl float64

	// Whole pages (all chunks' bodies together).
	pchunk  []int    // chunks of page p: pchunk[p] to pchunk[p+1]
	goff    []uint32 // body terms of page p: gtid/gtf[goff[p]:goff[p+1]], sorted
	gtid    []uint32
	gtf     []uint16
	dfPage  []int32 // pages holding the term in a chunk body
	pageLen []uint32
	avgPage float64
}

// termBuilder assembles a termStore.
type termBuilder struct {
	ts  *termStore
	tmp map[uint32]uint16
}

func newTermBuilder(pages, chunks int) *termBuilder {
	ts := &termStore{
		ids:  make(map[string]uint32),
		coff: make([]uint32, 1, chunks+1),
		poff: make([]uint32, 1, pages+1),
	}
	return &termBuilder{ts: ts, tmp: make(map[uint32]uint16)}
}

func (b *termBuilder) id(t string) uint32 {
	id, ok := b.ts.ids[t]
	if !ok {
		id = uint32(len(b.ts.terms))
		b.ts.ids[t] = id
		b.ts.terms = append(b.ts.terms, t)
	}
	return id
}

// counts turns terms into sorted (id, tf) pairs.
func (b *termBuilder) counts(terms []string) ([]uint32, []uint16) {
	clear(b.tmp)
	for _, t := range terms {
		id := b.id(t)
		if b.tmp[id] < 65535 {
			b.tmp[id]++
		}
	}
	ids := make([]uint32, 0, len(b.tmp))
	for id := range b.tmp {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	tfs := make([]uint16, len(ids))
	for i, id := range ids {
		tfs[i] = b.tmp[id]
	}
	return ids, tfs
}

func (b *termBuilder) addTitle(terms []string) {
	ids, tfs := b.counts(terms)
	ts := b.ts
	ts.ptid = append(ts.ptid, ids...)
	ts.ptf = append(ts.ptf, tfs...)
	ts.poff = append(ts.poff, uint32(len(ts.ptid)))
	ts.plen = append(ts.plen, uint32(len(terms)))
}

func (b *termBuilder) addChunk(terms []string) {
	ids, tfs := b.counts(terms)
	ts := b.ts
	ts.ctid = append(ts.ctid, ids...)
	ts.ctf = append(ts.ctf, tfs...)
	ts.coff = append(ts.coff, uint32(len(ts.ctid)))
	ts.clen = append(ts.clen, uint32(len(terms)))
}

func (b *termBuilder) finish(pchunk []int) *termStore {
	b.ts.pchunk = pchunk
	b.ts.computeStats()
	return b.ts
}

// computeStats derives document frequencies and average lengths.
func (ts *termStore) computeStats() {
	ts.dfBody = make([]int32, len(ts.terms))
	ts.dfTitle = make([]int32, len(ts.terms))
	for _, id := range ts.ctid {
		ts.dfBody[id]++
	}
	for _, id := range ts.ptid {
		ts.dfTitle[id]++
	}
	var sum float64
	for _, l := range ts.clen {
		sum += float64(l)
	}
	if len(ts.clen) > 0 {
		ts.avgBody = sum / float64(len(ts.clen))
	}
	sum = 0
	for _, l := range ts.plen {
		sum += float64(l)
	}
	if len(ts.plen) > 0 {
		ts.avgTitl = sum / float64(len(ts.plen))
	}
	np := len(ts.pchunk) - 1
	ts.dfPage = make([]int32, len(ts.terms))
	ts.pageLen = make([]uint32, max(np, 0))
	// Page body terms: the chunks' terms summed per page.
	ts.goff = make([]uint32, 1, np+1)
	ts.gtid = ts.gtid[:0]
	ts.gtf = ts.gtf[:0]
	tf := make([]uint32, len(ts.terms))
	var touched []uint32
	sum = 0
	for p := 0; p < np; p++ {
		touched = touched[:0]
		for c := ts.pchunk[p]; c < ts.pchunk[p+1]; c++ {
			ts.pageLen[p] += ts.clen[c]
			for i, id := range ts.ctid[ts.coff[c]:ts.coff[c+1]] {
				if tf[id] == 0 {
					touched = append(touched, id)
				}
				tf[id] += uint32(ts.ctf[ts.coff[c]+uint32(i)])
			}
		}
		slices.Sort(touched)
		for _, id := range touched {
			ts.dfPage[id]++
			ts.gtid = append(ts.gtid, id)
			ts.gtf = append(ts.gtf, uint16(min(tf[id], 65535)))
			tf[id] = 0
		}
		ts.goff = append(ts.goff, uint32(len(ts.gtid)))
		sum += float64(ts.pageLen[p])
	}
	if np > 0 {
		ts.avgPage = sum / float64(np)
	}
	if ts.avgPage < 1 {
		ts.avgPage = 1
	}
	if ts.avgBody < 1 {
		ts.avgBody = 1
	}
	if ts.avgTitl < 1 {
		ts.avgTitl = 1
	}
}

// vocabulary returns every term with the number of chunks and pages
// holding it.
func (ts *termStore) vocabulary() map[string]int32 {
	v := make(map[string]int32, len(ts.terms))
	for id, t := range ts.terms {
		v[t] = ts.dfBody[id] + ts.dfTitle[id]
	}
	return v
}

// tfIn returns the frequency of term id in the sorted pairs.
func tfIn(ids []uint32, tfs []uint16, id uint32) int {
	if i, ok := slices.BinarySearch(ids, id); ok {
		return int(tfs[i])
	}
	return 0
}

// pageTF returns the body frequency of term id in page p (all chunks).
func (ts *termStore) pageTF(p int, id uint32) int {
	a, b := ts.goff[p], ts.goff[p+1]
	return tfIn(ts.gtid[a:b], ts.gtf[a:b], id)
}

// useDictionary builds the knowledge base's translation table from the
// dictionary at path; a dictionary that cannot be used is a warning.
func (kb *KB) useDictionary(path string) {
	langs := map[string]bool{}
	for _, l := range kb.lang {
		langs[stemLang(l)] = true
	}
	t, err := cachedTranslations(path, langs, kb.an.vocab)
	if err != nil {
		kb.dictErr = err
		kb.warnings = append(kb.warnings, err.Error()+"; questions are not translated")
		return
	}
	kb.an.trans = t
}
