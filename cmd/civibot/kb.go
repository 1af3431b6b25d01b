package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
	"github.com/civibot/civibot/knowledge/samplecity"
)

// kbSource says where a command's knowledge comes from: a knowledge base
// written by `civibot ingest` (dir), pages imported on the fly (paths), or,
// when neither is given, the bundled sample city.
type kbSource struct {
	dir      string
	paths    []string
	imp      importer.Options
	embedder knowledge.EmbedderConfig
	lexicon  []string
	// dictionary is the German–English dictionary ("" translates nothing).
	dictionary string
}

// describe names the source for people.
func (s kbSource) describe() string {
	switch {
	case s.dir != "":
		return "knowledge base " + s.dir
	case len(s.paths) > 0:
		return fmt.Sprintf("%d imported path(s)", len(s.paths))
	}
	return "the bundled sample city " + samplecity.Name
}

// open loads the knowledge base. Import problems go to warn.
func (s kbSource) open(ctx context.Context, warn io.Writer) (*knowledge.KB, error) {
	emb, err := knowledge.NewEmbedder(s.embedder, remoteClient(60*time.Second))
	if err != nil {
		return nil, err
	}
	opts := knowledge.Options{Embedder: emb, LexiconFiles: s.lexicon, Dictionary: s.dictionary}
	var kb *knowledge.KB
	if s.dir != "" {
		kb, err = knowledge.Open(ctx, s.dir, opts)
	} else {
		var pages []knowledge.Page
		if pages, err = s.pages(ctx, warn); err == nil {
			kb, err = knowledge.Build(ctx, pages, opts)
		}
	}
	if err != nil {
		return nil, err
	}
	for _, w := range kb.Warnings() {
		fmt.Fprintf(warn, "warning: %s\n", w)
	}
	return kb, nil
}

// pages imports the pages of an on-the-fly or sample source.
func (s kbSource) pages(ctx context.Context, warn io.Writer) ([]knowledge.Page, error) {
	var (
		pages    []knowledge.Page
		problems []importer.Problem
		err      error
	)
	if len(s.paths) > 0 {
		pages, problems, err = importer.Import(ctx, s.paths, s.imp)
	} else {
		pages, problems, err = importer.ImportFS(ctx, samplecity.FS(), ".", importer.Options{Format: "markdown"})
	}
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		fmt.Fprintf(warn, "skipped %s\n", p)
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("no pages imported from %s", s.describe())
	}
	return pages, nil
}

// remoteClient is the HTTP client of a remote embedder. Turns call
// it concurrently (a turn gives its CPU slot up while it waits), so it
// keeps up to 64 idle connections to the API: Go's default keeps 2 and
// opens, and later closes, a new connection for every other caller.
func remoteClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 64, 64
	return &http.Client{Timeout: timeout, Transport: t}
}
