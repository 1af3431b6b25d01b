package knowledge

import (
	"bufio"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/philippgille/chromem-go"
)

// A knowledge base on disk is a directory:
//
//	manifest.json       which generation is current, format, embedder
//	gen-000007/         one complete generation:
//	    kb.gob            pages, content hashes, chunks, analysed terms,
//	                      compound dictionary
//	    vectors.gob       the chunk vectors as a chromem-go export (one file)
//	    bleve/            the BM25 index (scorch)
//	.lock               held while an ingest runs
//
// Ingest builds a new generation next to the current one and then replaces
// manifest.json atomically (write a temporary file, rename). A crash before
// that leaves the previous generation in force; leftovers are removed by the
// next ingest. Readers (Open) only follow manifest.json.

// FormatVersion is the on-disk format of a knowledge base. Open refuses
// other versions; Ingest rebuilds everything when it finds one.
const FormatVersion = 1

// AnalysisVersion numbers the way a civibot cuts pages and questions into
// index terms (stop words, compound parts, acronyms, the dictionary's
// nouns). A knowledge base stored under another number still opens, with
// a warning: its pages' terms may no longer meet a question's terms as
// this civibot cuts them, so answers suffer until it is ingested again.
// Raise it with every change to the analysis.
//
//	1: before 5 December 2026 (not stored)
//	2: acronyms are no stop words; the dictionary's nouns split compounds
//	3: "über", "während", "gegenüber" are stop words; German plurals in
//	   "-os", "-ys" lose their "s" (germanPlural)
const AnalysisVersion = 3

const (
	manifestFile  = "manifest.json"
	snapshotFile  = "kb.gob"
	vectorsFile   = "vectors.gob"
	bleveDir      = "bleve"
	lockFile      = ".lock"
	genPrefix     = "gen-"
	tmpSuffix     = ".tmp"
	vecCollection = "chunks"
)

// ErrNoKB is returned by Open for a directory without a knowledge base.
var ErrNoKB = errors.New("knowledge: no knowledge base")

// IngestSummary says what an Ingest did.
type IngestSummary struct {
	Added, Updated, Unchanged, Removed int // pages compared with the previous ingest
	Chunks                             int // chunks in the knowledge base
	Embedded                           int // chunks embedded by this ingest (the rest were reused)
	Translations                       int // translations kept from the dictionary
	Copies                             int // pages searched through a near-duplicate (see KB.Copies)
	Duration                           time.Duration
}

// manifest is manifest.json.
type manifest struct {
	Format     int       `json:"format"`
	Generation string    `json:"generation"`
	Embedder   string    `json:"embedder"`
	Dims       int       `json:"dims"`
	Pages      int       `json:"pages"`
	Chunks     int       `json:"chunks"`
	Created    time.Time `json:"created"`
	Lexicons   []string  `json:"lexicons,omitempty"` // extra lexicon files used at ingest (informational)
}

// snapshot is kb.gob: everything of a KB except vectors and the bleve index.
type snapshot struct {
	Format   int
	Embedder string
	Pages    []Page
	Hashes   []string
	Chunks   []chunk
	// Term store (see termStore).
	Terms            []string
	COff, CTid, CLen []uint32
	CTf              []uint16
	POff, PTid, PLen []uint32
	PTf              []uint16
	DictWords        []string // compound dictionary: German words …
	DictFreq         []int32  // … and their frequencies
	// Analysis is the AnalysisVersion of the civibot that wrote it (0: one
	// before the number was stored).
	Analysis int
	// NounHashes are the German–English dictionary's nouns the compound
	// splitter falls back on, hashed (nil without a dictionary, or in a
	// snapshot of an older civibot), kept so that a question's words split
	// as the pages' did, with or without the dictionary where civibot
	// serves.
	NounHashes []uint64
	Lang       []string // normalised language per page
	// Trans is the translation table built from the dictionary at ingest
	// (nil without one; a snapshot of an older civibot has none either).
	Trans *transTable
	// CopyOf is, per page, the page it is a near-duplicate of, or -1 (nil
	// in a snapshot of an older civibot: no copies).
	CopyOf []int32
}

// Ingest writes a knowledge base of pages to dir, replacing what an earlier
// Ingest wrote there. It is incremental: chunks of pages whose content did
// not change are not embedded again (unless the embedder changed), pages no
// longer given are removed. Only one Ingest may run on a directory at a
// time.
func Ingest(ctx context.Context, dir string, pages []Page, opts Options) (IngestSummary, error) {
	began := time.Now()
	var sum IngestSummary
	if err := checkPages(pages); err != nil {
		return sum, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sum, fmt.Errorf("knowledge: ingest: %w", err)
	}
	unlock, err := lockDir(filepath.Join(dir, lockFile))
	if err != nil {
		return sum, fmt.Errorf("knowledge: ingest: %w", err)
	}
	defer unlock()
	emb := opts.Embedder
	if emb == nil {
		emb = NewLocalEmbedder(0)
		opts.Embedder = emb
	}

	// What is there now.
	old, oldSnap, prev := loadPrevious(ctx, dir, emb.Name())
	oldHash := make(map[string]string)
	if oldSnap != nil {
		for i, p := range oldSnap.Pages {
			oldHash[p.ID] = oldSnap.Hashes[i]
		}
	}
	for i := range pages {
		h, ok := oldHash[pages[i].ID]
		switch {
		case !ok:
			sum.Added++
		case h == pageHash(&pages[i]):
			sum.Unchanged++
		default:
			sum.Updated++
		}
		delete(oldHash, pages[i].ID)
	}
	sum.Removed = len(oldHash)

	// Build the new generation beside it.
	gen := genPrefix + "000001"
	if old != nil {
		if n, err := strconv.Atoi(strings.TrimPrefix(old.Generation, genPrefix)); err == nil {
			gen = fmt.Sprintf("%s%06d", genPrefix, n+1)
		}
	}
	tmp := filepath.Join(dir, gen+tmpSuffix)
	if err := os.RemoveAll(tmp); err != nil {
		return sum, fmt.Errorf("knowledge: ingest: %w", err)
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return sum, fmt.Errorf("knowledge: ingest: %w", err)
	}
	keepTmp := false
	defer func() {
		if !keepTmp {
			os.RemoveAll(tmp)
		}
	}()
	kb, st, err := build(ctx, pages, opts, prev, filepath.Join(tmp, bleveDir))
	if err != nil {
		return sum, err
	}
	if kb.dictErr != nil {
		kb.Close()
		return sum, kb.dictErr // says "knowledge: dictionary …" already
	}
	sum.Copies = kb.CopyCount()
	err = writeGeneration(kb, tmp)
	if cerr := kb.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("knowledge: ingest: close index: %w", cerr)
	}
	if err != nil {
		return sum, err
	}
	final := filepath.Join(dir, gen)
	if err := os.RemoveAll(final); err != nil {
		return sum, fmt.Errorf("knowledge: ingest: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return sum, fmt.Errorf("knowledge: ingest: %w", err)
	}
	keepTmp = true
	m := manifest{
		Format:     FormatVersion,
		Generation: gen,
		Embedder:   emb.Name(),
		Dims:       kb.vecs.dims,
		Pages:      len(kb.pages),
		Chunks:     len(kb.chunks),
		Created:    time.Now().UTC(),
	}
	for _, f := range opts.LexiconFiles {
		m.Lexicons = append(m.Lexicons, filepath.Base(f))
	}
	if err := writeManifest(dir, m); err != nil {
		return sum, err
	}
	removeStale(dir, gen)
	sum.Chunks = len(kb.chunks)
	sum.Embedded = st.embedded
	sum.Translations = kb.an.trans.size()
	sum.Duration = time.Since(began)
	return sum, nil
}

// loadPrevious reads the current generation of dir for reuse: its manifest,
// its snapshot and — if it was built with the embedder named emb and the
// same format — its vectors per page. Anything unreadable counts as absent:
// the ingest then starts afresh.
func loadPrevious(ctx context.Context, dir, emb string) (*manifest, *snapshot, prevVectors) {
	m, err := readManifest(dir)
	if err != nil || m.Format != FormatVersion {
		return nil, nil, nil
	}
	gdir := filepath.Join(dir, m.Generation)
	snap, err := readSnapshot(filepath.Join(gdir, snapshotFile))
	if err != nil {
		return m, nil, nil
	}
	if m.Embedder != emb {
		return m, snap, nil
	}
	vecs, err := readVectors(ctx, filepath.Join(gdir, vectorsFile), len(snap.Chunks), m.Dims)
	if err != nil {
		return m, snap, nil
	}
	prev := make(prevVectors, len(snap.Pages))
	for _, c := range snap.Chunks {
		id := snap.Pages[c.Page].ID
		pv := prev[id]
		pv.hash = snap.Hashes[c.Page]
		prev[id] = pv
	}
	for ci, c := range snap.Chunks {
		id := snap.Pages[c.Page].ID
		pv := prev[id]
		pv.vecs = append(pv.vecs, vecs[ci])
		prev[id] = pv
	}
	return m, snap, prev
}

// writeGeneration writes the snapshot and the vectors of kb into gdir (the
// bleve index is already there).
func writeGeneration(kb *KB, gdir string) error {
	ts := kb.terms
	snap := snapshot{
		Format:   FormatVersion,
		Analysis: AnalysisVersion,
		Embedder: kb.emb.Name(),
		Pages:    kb.pages,
		Hashes:   kb.hashes,
		Chunks:   kb.chunks,
		Terms:    ts.terms,
		COff:     ts.coff, CTid: ts.ctid, CLen: ts.clen, CTf: ts.ctf,
		POff: ts.poff, PTid: ts.ptid, PLen: ts.plen, PTf: ts.ptf,
		Lang:   kb.lang,
		Trans:  kb.an.trans,
		CopyOf: kb.copyOf,
	}
	words := make([]string, 0, len(kb.an.split.words))
	for w := range kb.an.split.words {
		words = append(words, w)
	}
	sort.Strings(words)
	snap.DictWords = words
	snap.NounHashes = kb.an.split.nounHashes()
	snap.DictFreq = make([]int32, len(words))
	for i, w := range words {
		snap.DictFreq[i] = kb.an.split.words[w]
	}
	if err := writeFileSync(filepath.Join(gdir, snapshotFile), func(w *bufio.Writer) error {
		return gob.NewEncoder(w).Encode(&snap)
	}); err != nil {
		return fmt.Errorf("knowledge: write snapshot: %w", err)
	}
	// The vectors as a chromem-go collection, exported to one file.
	db := chromem.NewDB()
	coll, err := db.CreateCollection(vecCollection, map[string]string{"embedder": kb.emb.Name()}, embedFunc(kb.emb))
	if err != nil {
		return fmt.Errorf("knowledge: write vectors: %w", err)
	}
	docs := make([]chromem.Document, len(kb.chunks))
	for i, c := range kb.chunks {
		docs[i] = chromem.Document{
			ID:        strconv.Itoa(i),
			Metadata:  map[string]string{"page": kb.pages[c.Page].ID},
			Embedding: kb.vecs.vector(i),
		}
	}
	if err := coll.AddDocuments(context.Background(), docs, 1); err != nil {
		return fmt.Errorf("knowledge: write vectors: %w", err)
	}
	if err := writeFileSync(filepath.Join(gdir, vectorsFile), func(w *bufio.Writer) error {
		return db.ExportToWriter(w, false, "")
	}); err != nil {
		return fmt.Errorf("knowledge: write vectors: %w", err)
	}
	return syncDir(gdir)
}

// embedFunc adapts an Embedder for chromem-go, which must never get a nil
// function (it would fall back to OpenAI).
func embedFunc(e Embedder) chromem.EmbeddingFunc {
	return func(ctx context.Context, text string) ([]float32, error) {
		return e.Embed(ctx, text)
	}
}

// Open loads the knowledge base Ingest wrote to dir. opts.Embedder must
// have the name the KB was built with (nil: the local embedder).
func Open(ctx context.Context, dir string, opts Options) (*KB, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	if m.Format != FormatVersion {
		return nil, fmt.Errorf("knowledge: %s has format %d, this civibot reads %d: run civibot ingest again", dir, m.Format, FormatVersion)
	}
	emb := opts.Embedder
	if emb == nil {
		emb = NewLocalEmbedder(0)
	}
	if emb.Name() != m.Embedder {
		return nil, fmt.Errorf("knowledge: %s was built with embedder %s, configured is %s: configure the same embedder or run civibot ingest again", dir, m.Embedder, emb.Name())
	}
	gdir := filepath.Join(dir, m.Generation)
	if !filepath.IsLocal(m.Generation) || !strings.HasPrefix(m.Generation, genPrefix) {
		return nil, fmt.Errorf("knowledge: %s: bad generation %q in %s", dir, m.Generation, manifestFile)
	}
	snap, err := readSnapshot(filepath.Join(gdir, snapshotFile))
	if err != nil {
		return nil, fmt.Errorf("knowledge: open %s: %w", dir, err)
	}
	if snap.Embedder != m.Embedder || len(snap.Pages) != m.Pages || len(snap.Chunks) != m.Chunks {
		return nil, fmt.Errorf("knowledge: open %s: snapshot does not match %s", dir, manifestFile)
	}
	if err := snap.validate(); err != nil {
		return nil, fmt.Errorf("knowledge: open %s: %w", dir, err)
	}
	vecs, err := readVectors(ctx, filepath.Join(gdir, vectorsFile), len(snap.Chunks), m.Dims)
	if err != nil {
		return nil, fmt.Errorf("knowledge: open %s: %w", dir, err)
	}
	vi, err := newVectorIndex(vecs)
	if err != nil {
		return nil, fmt.Errorf("knowledge: open %s: %w", dir, err)
	}
	kb := &KB{
		pages:  snap.Pages,
		byID:   make(map[string]int, len(snap.Pages)),
		lang:   snap.Lang,
		chunks: snap.Chunks,
		emb:    emb,
		vecs:   vi,
		hashes: snap.Hashes,
		pchunk: make([]int, len(snap.Pages)+1),
		params: defaultSearchParams(emb, opts.Ranking),
		copyOf: snap.CopyOf,
	}
	if kb.copyOf == nil {
		kb.copyOf = make([]int32, len(kb.pages))
		for i := range kb.copyOf {
			kb.copyOf[i] = -1
		}
	}
	for i := range kb.pages {
		kb.byID[kb.pages[i].ID] = i
	}
	for ci, c := range kb.chunks {
		if ci == 0 || kb.chunks[ci-1].Page != c.Page {
			kb.pchunk[c.Page] = ci
		}
	}
	kb.pchunk[len(kb.pages)] = len(kb.chunks)
	kb.initPools()
	ts := &termStore{
		terms: snap.Terms,
		ids:   make(map[string]uint32, len(snap.Terms)),
		coff:  snap.COff, ctid: snap.CTid, ctf: snap.CTf, clen: snap.CLen,
		poff: snap.POff, ptid: snap.PTid, ptf: snap.PTf, plen: snap.PLen,
		pchunk: kb.pchunk,
	}
	for i, t := range ts.terms {
		ts.ids[t] = uint32(i)
	}
	ts.computeStats()
	kb.terms = ts
	dict := make(map[string]int32, len(snap.DictWords))
	for i, w := range snap.DictWords {
		dict[w] = snap.DictFreq[i]
	}
	lx, err := loadLexicon(opts.LexiconFiles)
	if err != nil {
		return nil, err
	}
	sp := &splitter{words: dict}
	if snap.NounHashes != nil {
		sp.setNounHashes(snap.NounHashes)
	}
	kb.an = &Analyzer{lex: lx, split: sp, trans: snap.Trans}
	kb.an.setVocabulary(ts.vocabulary(), len(ts.clen)+len(ts.plen))
	if snap.Trans == nil && opts.Dictionary != "" {
		// Ingested by a civibot without translation: build the table now.
		kb.useDictionary(opts.Dictionary)
	}
	kb.computeTitleWords(make(termCache))
	if a := max(snap.Analysis, 1); a != AnalysisVersion {
		kb.warnings = append(kb.warnings, fmt.Sprintf("%s was ingested by a civibot that analyses text differently (analysis %d, this civibot %d): run civibot ingest again, or questions may miss pages", dir, a, AnalysisVersion))
	}
	idx, err := bleve.OpenUsing(filepath.Join(gdir, bleveDir), map[string]any{"read_only": true})
	if err != nil {
		return nil, fmt.Errorf("knowledge: open %s: bleve index: %w", dir, err)
	}
	if n, err := idx.DocCount(); err != nil || n != uint64(len(kb.chunks)) {
		idx.Close()
		return nil, fmt.Errorf("knowledge: open %s: bleve index holds %d chunks, want %d (%v)", dir, n, len(kb.chunks), err)
	}
	kb.bidx = idx
	return kb, nil
}

// validate checks that a snapshot read from disk is consistent, so that a
// damaged file fails Open instead of a later search.
func (s *snapshot) validate() error {
	np, nc, nt := len(s.Pages), len(s.Chunks), uint32(len(s.Terms))
	if np == 0 || len(s.Hashes) != np || len(s.Lang) != np {
		return errors.New("snapshot: page tables disagree")
	}
	if len(s.COff) != nc+1 || len(s.CLen) != nc || len(s.POff) != np+1 || len(s.PLen) != np {
		return errors.New("snapshot: term tables disagree")
	}
	if len(s.CTid) != len(s.CTf) || len(s.PTid) != len(s.PTf) || len(s.DictWords) != len(s.DictFreq) {
		return errors.New("snapshot: term tables disagree")
	}
	if s.CopyOf != nil {
		if len(s.CopyOf) != np {
			return errors.New("snapshot: copy table disagrees")
		}
		for i, c := range s.CopyOf {
			if c >= int32(np) || c >= 0 && (c == int32(i) || s.CopyOf[c] >= 0) {
				return errors.New("snapshot: copy table out of range")
			}
		}
	}
	last := int32(-1)
	for _, c := range s.Chunks {
		// Chunks run page by page; every page has at least one.
		if c.Page != last && c.Page != last+1 {
			return errors.New("snapshot: chunks out of order")
		}
		last = c.Page
		p := &s.Pages[c.Page]
		if c.Section >= 0 {
			if int(c.Section) >= len(p.Sections) {
				return errors.New("snapshot: chunk section out of range")
			}
			if c.Start < 0 || c.Start > c.End || int(c.End) > len(p.Sections[c.Section].Text) {
				return errors.New("snapshot: chunk text out of range")
			}
		}
	}
	if int(last) != np-1 {
		return errors.New("snapshot: pages without chunks")
	}
	offsets := func(off []uint32, n int) bool {
		if off[0] != 0 || int(off[len(off)-1]) != n {
			return false
		}
		for i := 1; i < len(off); i++ {
			if off[i] < off[i-1] {
				return false
			}
		}
		return true
	}
	if !offsets(s.COff, len(s.CTid)) || !offsets(s.POff, len(s.PTid)) {
		return errors.New("snapshot: term offsets broken")
	}
	for _, ids := range [][]uint32{s.CTid, s.PTid} {
		for _, id := range ids {
			if id >= nt {
				return errors.New("snapshot: term id out of range")
			}
		}
	}
	return nil
}

func readManifest(dir string) (*manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(dir); serr != nil {
			return nil, fmt.Errorf("%w in %s: %v", ErrNoKB, dir, serr)
		}
		return nil, fmt.Errorf("%w in %s (no %s): run civibot ingest first", ErrNoKB, dir, manifestFile)
	}
	if err != nil {
		return nil, fmt.Errorf("knowledge: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("knowledge: %s: damaged %s: %v", dir, manifestFile, err)
	}
	if m.Generation == "" || m.Embedder == "" {
		return nil, fmt.Errorf("knowledge: %s: damaged %s: generation or embedder missing", dir, manifestFile)
	}
	return &m, nil
}

func writeManifest(dir string, m manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("knowledge: write manifest: %w", err)
	}
	tmp := filepath.Join(dir, manifestFile+tmpSuffix)
	if err := writeFileSync(tmp, func(w *bufio.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	}); err != nil {
		return fmt.Errorf("knowledge: write manifest: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, manifestFile)); err != nil {
		return fmt.Errorf("knowledge: write manifest: %w", err)
	}
	return syncDir(dir)
}

func readSnapshot(path string) (*snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	defer f.Close()
	var s snapshot
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&s); err != nil {
		return nil, fmt.Errorf("read snapshot %s: damaged: %w", path, err)
	}
	if s.Format != FormatVersion {
		return nil, fmt.Errorf("read snapshot %s: format %d, want %d", path, s.Format, FormatVersion)
	}
	return &s, nil
}

// readVectors imports the chromem-go export at path and returns the vector
// of every chunk, checking count and dimensions.
func readVectors(ctx context.Context, path string, chunks, dims int) ([][]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read vectors: %w", err)
	}
	defer f.Close()
	db := chromem.NewDB()
	if err := db.ImportFromReader(f, ""); err != nil {
		return nil, fmt.Errorf("read vectors %s: damaged: %w", path, err)
	}
	refuse := func(ctx context.Context, text string) ([]float32, error) {
		return nil, errors.New("knowledge: stored vectors are read only")
	}
	coll := db.GetCollection(vecCollection, refuse)
	if coll == nil || coll.Count() != chunks {
		n := 0
		if coll != nil {
			n = coll.Count()
		}
		return nil, fmt.Errorf("read vectors %s: %d vectors, want %d", path, n, chunks)
	}
	out := make([][]float32, chunks)
	for i := range out {
		d, err := coll.GetByID(ctx, strconv.Itoa(i))
		if err != nil {
			return nil, fmt.Errorf("read vectors %s: chunk %d: %w", path, i, err)
		}
		if len(d.Embedding) != dims {
			return nil, fmt.Errorf("read vectors %s: chunk %d has %d dimensions, want %d", path, i, len(d.Embedding), dims)
		}
		out[i] = d.Embedding
	}
	return out, nil
}

// removeStale deletes every generation (and unfinished one) of dir but
// keep. Failures are left for the next ingest.
func removeStale(dir, keep string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), genPrefix) && e.Name() != keep {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// writeFileSync writes a new file through a buffered writer and syncs it.
func writeFileSync(path string, write func(*bufio.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes renames and new files in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// CurrentGeneration names the generation a knowledge base directory's
// manifest points to ("gen-000007"). It changes with every Ingest, so a
// server can tell that there is something new to Open.
func CurrentGeneration(dir string) (string, error) {
	m, err := readManifest(dir)
	if err != nil {
		return "", err
	}
	return m.Generation, nil
}
