// Package testcity gives tests the real parts they share: the bundled
// sample city as a knowledge base (built once per test binary, with the
// local embedder, as `civibot serve` builds it) and a log sink that
// concurrent writers may share.
package testcity

import (
	"bytes"
	"context"
	"sync"

	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
	"github.com/civibot/civibot/knowledge/samplecity"
)

var sampleKB = sync.OnceValues(func() (*knowledge.KB, error) {
	ctx := context.Background()
	pages, _, err := importer.ImportFS(ctx, samplecity.FS(), ".", importer.Options{Format: "markdown"})
	if err != nil {
		return nil, err
	}
	emb, err := knowledge.NewEmbedder(knowledge.EmbedderConfig{}, nil)
	if err != nil {
		return nil, err
	}
	return knowledge.Build(ctx, pages, knowledge.Options{Embedder: emb})
})

// KB returns the sample city's knowledge base. It is built on the first
// call and shared by every test of the binary; tests must not close it.
func KB() (*knowledge.KB, error) { return sampleKB() }

// LogBuffer is a log sink safe for concurrent writers.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
