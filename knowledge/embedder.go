package knowledge

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// NewEmbedder returns the embedder cfg chooses: "" or "local" → the local
// embedder (no network), "ollama" → an Ollama server, "openai" → an
// OpenAI-compatible API. client is used by the remote embedders (nil: a
// client with the configured timeout).
func NewEmbedder(cfg EmbedderConfig, client *http.Client) (Embedder, error) {
	switch strings.ToLower(strings.TrimSpace(cfg.Kind)) {
	case "", "local":
		return NewLocalEmbedder(0), nil
	case "ollama":
		return NewOllamaEmbedder(cfg, client)
	case "openai":
		return NewOpenAIEmbedder(cfg, client)
	}
	return nil, fmt.Errorf("knowledge: unknown embedder kind %q (want local, ollama or openai)", cfg.Kind)
}

// embedQuery embeds a question. A remote embedder waits on the network:
// waiting (Query.Waiting) is told before and resumed after.
func (kb *KB) embedQuery(ctx context.Context, text string, waiting func() (resume func())) ([]float32, error) {
	if _, local := kb.emb.(*LocalEmbedder); local || waiting == nil {
		return kb.emb.Embed(ctx, text)
	}
	defer waiting()()
	return kb.emb.Embed(ctx, text)
}
