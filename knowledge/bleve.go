package knowledge

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/whitespace"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"
)

// The bleve index holds one document per chunk with the chunk's terms as
// this package analyses them (stems, compound parts; title terms included),
// so bleve only splits at spaces, and the page's metadata for filtering.
// bleve finds the candidate chunks of a question by BM25; the final
// lexical score is computed from the term store (see search.go).

const (
	bleveTermsField = "a"
	bleveMetaField  = "m"
	bleveTermsAn    = "civibot_terms"
	metaSep         = "\x1f"
)

func bleveMapping() (mapping.IndexMapping, error) {
	m := bleve.NewIndexMapping()
	if err := m.AddCustomAnalyzer(bleveTermsAn, map[string]any{
		"type":      custom.Name,
		"tokenizer": whitespace.Name,
	}); err != nil {
		return nil, fmt.Errorf("knowledge: bleve mapping: %w", err)
	}
	m.ScoringModel = bleveindex.BM25Scoring
	m.DefaultAnalyzer = bleveTermsAn
	dm := bleve.NewDocumentStaticMapping()
	terms := bleve.NewTextFieldMapping()
	terms.Analyzer = bleveTermsAn
	terms.Store = false
	terms.IncludeTermVectors = false
	terms.IncludeInAll = false
	terms.DocValues = false
	dm.AddFieldMappingsAt(bleveTermsField, terms)
	meta := bleve.NewKeywordFieldMapping()
	meta.Analyzer = keyword.Name
	meta.Store = false
	meta.IncludeInAll = false
	meta.DocValues = false
	dm.AddFieldMappingsAt(bleveMetaField, meta)
	m.DefaultMapping = dm
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m, nil
}

// metaToken is the indexed form of one metadata pair.
func metaToken(k, v string) string { return k + metaSep + v }

// buildBleve indexes every chunk of kb into a new bleve index at path
// ("" in memory).
func buildBleve(ctx context.Context, kb *KB, path string, prog *progress) (bleve.Index, error) {
	m, err := bleveMapping()
	if err != nil {
		return nil, err
	}
	idx, err := bleve.NewUsing(path, m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("knowledge: create bleve index: %w", err)
	}
	fail := func(err error) (bleve.Index, error) {
		idx.Close()
		return nil, err
	}
	ts := kb.terms
	batch := idx.NewBatch()
	var b strings.Builder
	for ci, c := range kb.chunks {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		b.Reset()
		write := func(ids []uint32, tfs []uint16) {
			for i, id := range ids {
				for n := 0; n < int(tfs[i]); n++ {
					b.WriteString(ts.terms[id])
					b.WriteByte(' ')
				}
			}
		}
		pa, pb := ts.poff[c.Page], ts.poff[c.Page+1]
		write(ts.ptid[pa:pb], ts.ptf[pa:pb])
		ca, cb := ts.coff[ci], ts.coff[ci+1]
		write(ts.ctid[ca:cb], ts.ctf[ca:cb])
		p := &kb.pages[c.Page]
		doc := map[string]any{bleveTermsField: b.String()}
		if len(p.Meta) > 0 {
			keys := make([]string, 0, len(p.Meta))
			for k := range p.Meta {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			toks := make([]string, len(keys))
			for i, k := range keys {
				toks[i] = metaToken(k, p.Meta[k])
			}
			doc[bleveMetaField] = toks
		}
		if err := batch.Index(strconv.Itoa(ci), doc); err != nil {
			return fail(fmt.Errorf("knowledge: index chunk of %q: %w", p.ID, err))
		}
	}
	if err := idx.Batch(batch); err != nil {
		return fail(fmt.Errorf("knowledge: index: %w", err))
	}
	prog.step(len(kb.chunks))
	return idx, nil
}

// bleveCandidates returns up to size chunk indexes matching any of terms
// (weighted) and every where pair, best BM25 first.
func bleveCandidates(ctx context.Context, idx bleve.Index, terms []string, weights []float64, where map[string]string, size int) ([]int, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	dis := make([]query.Query, len(terms))
	for i, t := range terms {
		tq := query.NewTermQuery(t)
		tq.SetField(bleveTermsField)
		tq.SetBoost(weights[i])
		dis[i] = tq
	}
	var q query.Query = query.NewDisjunctionQuery(dis)
	if len(where) > 0 {
		conj := []query.Query{q}
		for k, v := range where {
			mq := query.NewTermQuery(metaToken(k, v))
			mq.SetField(bleveMetaField)
			mq.SetBoost(0.0001)
			conj = append(conj, mq)
		}
		q = query.NewConjunctionQuery(conj)
	}
	req := bleve.NewSearchRequestOptions(q, size, 0, false)
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("knowledge: search: %w", err)
	}
	out := make([]int, 0, len(res.Hits))
	for _, h := range res.Hits {
		ci, err := strconv.Atoi(h.ID)
		if err != nil {
			return nil, fmt.Errorf("knowledge: search: bad chunk id %q in index", h.ID)
		}
		out = append(out, ci)
	}
	return out, nil
}
