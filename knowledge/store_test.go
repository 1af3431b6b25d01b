package knowledge

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/philippgille/chromem-go"
)

var roundTripQueries = []Query{
	{Text: "Perso verlängern", Language: "de"},
	{Text: "Anwohnerparkausweis", Language: "de"},
	{Text: "How do I register my address?", Language: "en"},
	{Text: "Hundesteur", Where: map[string]string{"city": "nachbarstadt"}},
	{Text: "Was kostet der Personalausweis?", Language: "de", Limit: 3},
}

func TestIngestOpenRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "kb")
	pages := fixturePages()
	sum, err := Ingest(ctx, dir, pages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Added != len(pages) || sum.Updated+sum.Unchanged+sum.Removed != 0 || sum.Chunks == 0 || sum.Embedded != sum.Chunks || sum.Duration <= 0 {
		t.Errorf("first ingest summary %+v", sum)
	}
	mem := buildFixture(t)
	disk, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	if disk.Len() != mem.Len() || len(disk.chunks) != sum.Chunks {
		t.Fatalf("opened KB has %d pages, %d chunks", disk.Len(), len(disk.chunks))
	}
	for _, q := range roundTripQueries {
		a, b := search(t, mem, q), search(t, disk, q)
		if !slices.Equal(hitIDs(a), hitIDs(b)) {
			t.Errorf("%q: in memory %v, from disk %v", q.Text, hitIDs(a), hitIDs(b))
			continue
		}
		for i := range a {
			if math.Abs(a[i].Score-b[i].Score) > 1e-9 || a[i].Coverage != b[i].Coverage || !slices.Equal(a[i].Matched, b[i].Matched) || len(a[i].Sections) != len(b[i].Sections) {
				t.Errorf("%q hit %d: memory %+v, disk %+v", q.Text, i, a[i], b[i])
			}
		}
	}
	if got := disk.Analyzer().Terms("Hundesteueranmeldung", "de"); !slices.Contains(got, "hundesteu") {
		t.Errorf("opened analyzer splits no compounds: %v", got)
	}
}

func TestIngestIncremental(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pages := fixturePages()
	first, err := Ingest(ctx, dir, pages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	chunksOf := func(kb *KB, id string) int {
		p := kb.byID[id]
		return kb.pchunk[p+1] - kb.pchunk[p]
	}

	// Unchanged: nothing embedded.
	sum, err := Ingest(ctx, dir, pages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unchanged != len(pages) || sum.Added+sum.Updated+sum.Removed != 0 || sum.Embedded != 0 || sum.Chunks != first.Chunks {
		t.Errorf("unchanged re-ingest: %+v", sum)
	}

	// One page changed: only its chunks are embedded.
	pages[2].Sections[0].Text += " Der Ausweis gilt ein Jahr."
	sum, err = Ingest(ctx, dir, pages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	kb, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := chunksOf(kb, pages[2].ID)
	kb.Close()
	if sum.Updated != 1 || sum.Unchanged != len(pages)-1 || sum.Embedded != want {
		t.Errorf("one page changed: %+v, want 1 updated and %d embedded", sum, want)
	}

	// One page removed, one added.
	removed := pages[0].ID
	pages = append(pages[1:], Page{ID: "neu", Title: "Wunschkennzeichen", Language: "de", Sections: []Section{{Text: "Ein Wunschkennzeichen reservieren Sie online."}}})
	sum, err = Ingest(ctx, dir, pages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Removed != 1 || sum.Added != 1 || sum.Embedded != 1 {
		t.Errorf("remove+add: %+v", sum)
	}
	kb, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := kb.Page(removed); ok {
		t.Errorf("removed page %s still there", removed)
	}
	for _, h := range search(t, kb, Query{Text: "Personalausweis beantragen", Limit: 20}) {
		if h.Page.ID == removed {
			t.Errorf("removed page %s still found", removed)
		}
	}
	if hits := search(t, kb, Query{Text: "Wunschkennzeichen"}); len(hits) == 0 || hits[0].Page.ID != "neu" {
		t.Errorf("added page not found: %v", hitIDs(hits))
	}
	kb.Close()

	// Only one generation is left.
	entries, _ := os.ReadDir(dir)
	gens := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), genPrefix) {
			gens++
		}
	}
	if gens != 1 {
		t.Errorf("%d generations in %s, want 1", gens, dir)
	}

	// Another embedder re-embeds everything, and Open insists on it.
	other := Options{Embedder: NewLocalEmbedder(128)}
	sum, err = Ingest(ctx, dir, pages, other)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Embedded != sum.Chunks || sum.Unchanged != len(pages) {
		t.Errorf("embedder change: %+v, want all %d chunks embedded", sum, sum.Chunks)
	}
	if _, err := Open(ctx, dir, Options{}); err == nil || !strings.Contains(err.Error(), "local-v1-128") {
		t.Errorf("Open with another embedder: %v", err)
	}
	kb, err = Open(ctx, dir, other)
	if err != nil {
		t.Fatal(err)
	}
	kb.Close()
}

func TestIngestSurvivesLeftovers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pages := fixturePages()
	if _, err := Ingest(ctx, dir, pages, Options{}); err != nil {
		t.Fatal(err)
	}
	// A crashed ingest leaves an unfinished generation and a finished one
	// the manifest never pointed to.
	for _, d := range []string{"gen-000002" + tmpSuffix, "gen-000009"} {
		if err := os.MkdirAll(filepath.Join(dir, d, "bleve"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, d, snapshotFile), []byte("half written"), 0o644)
	}
	kb, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("Open with leftovers: %v", err)
	}
	kb.Close()
	sum, err := Ingest(ctx, dir, pages, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Embedded != 0 {
		t.Errorf("re-ingest after crash embedded %d chunks, want 0", sum.Embedded)
	}
	for _, d := range []string{"gen-000002" + tmpSuffix, "gen-000009"} {
		if _, err := os.Stat(filepath.Join(dir, d)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("leftover %s not removed: %v", d, err)
		}
	}
	// A cancelled ingest leaves the previous KB in force.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Ingest(cctx, dir, pages[:3], Options{}); err == nil {
		t.Fatal("cancelled ingest succeeded")
	}
	kb, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	if kb.Len() != len(pages) {
		t.Errorf("after a cancelled ingest the KB has %d pages, want %d", kb.Len(), len(pages))
	}
}

func TestIngestLocked(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockDir(filepath.Join(dir, lockFile))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Ingest(context.Background(), dir, fixturePages(), Options{})
	if err == nil || !strings.Contains(err.Error(), "another ingest") {
		t.Errorf("Ingest while locked: %v", err)
	}
	unlock()
	if _, err := Ingest(context.Background(), dir, fixturePages(), Options{}); err != nil {
		t.Errorf("Ingest after unlock: %v", err)
	}
	if _, err := Ingest(context.Background(), dir, nil, Options{}); !errors.Is(err, ErrNoPages) {
		t.Errorf("Ingest(no pages) = %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	good := t.TempDir()
	if _, err := Ingest(ctx, good, fixturePages(), Options{}); err != nil {
		t.Fatal(err)
	}
	m, err := readManifest(good)
	if err != nil {
		t.Fatal(err)
	}
	// damaged copies a good KB and lets damage change it.
	damaged := func(t *testing.T, damage func(dir, gen string)) string {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(good)); err != nil {
			t.Fatal(err)
		}
		damage(dir, filepath.Join(dir, m.Generation))
		return dir
	}
	truncate := func(path string) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, data[:len(data)/2], 0o644)
	}
	tests := []struct {
		name string
		dir  func(t *testing.T) string
		want string
	}{
		{"missing dir", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, "no knowledge base"},
		{"empty dir", func(t *testing.T) string { return t.TempDir() }, "run civibot ingest first"},
		{"manifest not JSON", func(t *testing.T) string {
			return damaged(t, func(dir, _ string) { os.WriteFile(filepath.Join(dir, manifestFile), []byte("{oops"), 0o644) })
		}, "damaged manifest.json"},
		{"manifest empty", func(t *testing.T) string {
			return damaged(t, func(dir, _ string) { os.WriteFile(filepath.Join(dir, manifestFile), []byte("{}"), 0o644) })
		}, "generation or embedder missing"},
		{"other format", func(t *testing.T) string {
			return damaged(t, func(dir, _ string) {
				m2 := *m
				m2.Format = 99
				writeManifest(dir, m2)
			})
		}, "format 99"},
		{"generation outside", func(t *testing.T) string {
			return damaged(t, func(dir, _ string) {
				m2 := *m
				m2.Generation = "../elsewhere"
				writeManifest(dir, m2)
			})
		}, "bad generation"},
		{"generation missing", func(t *testing.T) string {
			return damaged(t, func(_, gen string) { os.RemoveAll(gen) })
		}, "read snapshot"},
		{"snapshot truncated", func(t *testing.T) string {
			return damaged(t, func(_, gen string) { truncate(filepath.Join(gen, snapshotFile)) })
		}, "damaged"},
		{"vectors truncated", func(t *testing.T) string {
			return damaged(t, func(_, gen string) { truncate(filepath.Join(gen, vectorsFile)) })
		}, "read vectors"},
		{"vectors missing", func(t *testing.T) string {
			return damaged(t, func(_, gen string) { os.Remove(filepath.Join(gen, vectorsFile)) })
		}, "read vectors"},
		{"bleve missing", func(t *testing.T) string {
			return damaged(t, func(_, gen string) { os.RemoveAll(filepath.Join(gen, bleveDir)) })
		}, "bleve index"},
		{"manifest disagrees", func(t *testing.T) string {
			return damaged(t, func(dir, _ string) {
				m2 := *m
				m2.Pages++
				writeManifest(dir, m2)
			})
		}, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kb, err := Open(ctx, tt.dir(t), Options{})
			if err == nil {
				kb.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error %q, want it to say %q", err, tt.want)
			}
		})
	}
	if _, err := Open(ctx, t.TempDir(), Options{}); !errors.Is(err, ErrNoKB) {
		t.Errorf("Open(empty) = %v, want ErrNoKB", err)
	}
}

func TestSnapshotValidate(t *testing.T) {
	good := func() *snapshot {
		kb := buildFixture(t)
		ts := kb.terms
		return &snapshot{
			Format: FormatVersion, Pages: kb.pages, Hashes: kb.hashes, Chunks: slices.Clone(kb.chunks), Lang: kb.lang,
			Terms: ts.terms, COff: slices.Clone(ts.coff), CTid: slices.Clone(ts.ctid), CLen: ts.clen, CTf: ts.ctf,
			POff: ts.poff, PTid: ts.ptid, PLen: ts.plen, PTf: ts.ptf,
		}
	}
	if err := good().validate(); err != nil {
		t.Fatalf("good snapshot: %v", err)
	}
	for name, damage := range map[string]func(*snapshot){
		"chunk beyond text":   func(s *snapshot) { s.Chunks[0].End = 1 << 20 },
		"chunk section":       func(s *snapshot) { s.Chunks[0].Section = 99 },
		"chunks out of order": func(s *snapshot) { s.Chunks[0].Page = 3 },
		"offsets":             func(s *snapshot) { s.COff[1] = 1 << 30 },
		"term id":             func(s *snapshot) { s.CTid[0] = 1 << 30 },
		"hashes":              func(s *snapshot) { s.Hashes = s.Hashes[1:] },
	} {
		s := good()
		damage(s)
		if err := s.validate(); err == nil {
			t.Errorf("%s: validate passed", name)
		}
	}
}

func TestStoredVectorsAreAChromemCollection(t *testing.T) {
	// The vectors file is a chromem-go export; chromem's own exhaustive
	// search over it finds the same nearest chunks as the KB's scan.
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Ingest(ctx, dir, fixturePages(), Options{}); err != nil {
		t.Fatal(err)
	}
	m, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	db := chromem.NewDB()
	if err := db.ImportFromFile(filepath.Join(dir, m.Generation, vectorsFile), ""); err != nil {
		t.Fatal(err)
	}
	emb := NewLocalEmbedder(0)
	coll := db.GetCollection(vecCollection, embedFunc(emb))
	kb, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kb.Close()
	for _, q := range []string{"Hundesteuer", "bulky waste", "Personalausweis Gebühren"} {
		res, err := coll.Query(ctx, q, 5, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		qv, _ := emb.Embed(ctx, q)
		cos := make([]float32, len(kb.chunks))
		kb.vecs.scores(qv, cos)
		top := topChunks(cos, nil, kb.chunks, 5)
		for i, r := range res {
			if r.ID != itoa(top[i]) && math.Abs(float64(r.Similarity-cos[top[i]])) > 1e-5 {
				t.Errorf("%q rank %d: chromem %s (%.4f), scan %d (%.4f)", q, i, r.ID, r.Similarity, top[i], cos[top[i]])
			}
			if page := r.Metadata["page"]; page != kb.pages[kb.chunks[mustAtoi(t, r.ID)].Page].ID {
				t.Errorf("chunk %s metadata page %q", r.ID, page)
			}
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func TestCurrentGeneration(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kb")
	if _, err := CurrentGeneration(dir); err == nil {
		t.Fatal("no knowledge base: want an error")
	}
	p := Page{ID: "hundesteuer", Title: "Hundesteuer", Language: "de",
		Sections: []Section{{Kind: SectionDescription, Text: "Jeder Hund kostet 120 Euro im Jahr."}}}
	for want := range []int{1, 2} {
		if _, err := Ingest(t.Context(), dir, []Page{p}, Options{}); err != nil {
			t.Fatal(err)
		}
		g, err := CurrentGeneration(dir)
		if err != nil || g != []string{"gen-000001", "gen-000002"}[want] {
			t.Errorf("after ingest %d: %q, %v", want+1, g, err)
		}
	}
}

// TestOpenWarnsOfOlderAnalysis: a knowledge base ingested by a civibot
// that cut text into terms differently still opens, and says to ingest
// again; one of this civibot's opens without the warning.
func TestOpenWarnsOfOlderAnalysis(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "kb")
	if _, err := Ingest(ctx, dir, fixturePages(), Options{}); err != nil {
		t.Fatal(err)
	}
	kb, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := kb.Warnings(); len(w) != 0 {
		t.Errorf("warnings of a current knowledge base: %v", w)
	}
	kb.Close()

	// Rewrite the snapshot as a civibot before AnalysisVersion stored it.
	gdir, err := CurrentGeneration(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, gdir, snapshotFile)
	snap, err := readSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	snap.Analysis = 0
	if err := writeFileSync(path, func(w *bufio.Writer) error { return gob.NewEncoder(w).Encode(snap) }); err != nil {
		t.Fatal(err)
	}
	old, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if w := old.Warnings(); len(w) != 1 || !strings.Contains(w[0], "run civibot ingest again") || !strings.Contains(w[0], "analysis 1") {
		t.Errorf("warnings = %v", w)
	}
	if hits := search(t, old, roundTripQueries[0]); len(hits) == 0 {
		t.Error("the older knowledge base answers nothing")
	}
}
