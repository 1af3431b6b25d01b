package knowledge

import (
	"context"
)

// Embedder turns a text into a vector. Implementations: the local default
// (no network, no model download) and the Ollama and OpenAI-compatible
// clients, chosen by EmbedderConfig.
type Embedder interface {
	Embed(ctx context.Context, text string) ([]float32, error)
	// Name identifies the model and its dimensions ("local-v1-512",
	// "ollama:nomic-embed-text"). It is stored with a knowledge base:
	// changing the embedder forces re-embedding on the next ingest.
	Name() string
}

// EmbedderConfig chooses and configures the embedder.
type EmbedderConfig struct {
	Kind    string `yaml:"kind"`    // "local" (default), "ollama", "openai"
	URL     string `yaml:"url"`     // base URL, e.g. http://localhost:11434 or https://api.openai.com/v1
	Model   string `yaml:"model"`   // e.g. nomic-embed-text, text-embedding-3-small
	APIKey  string `yaml:"api_key"` // OpenAI-compatible only; may come from CIVIBOT_EMBEDDER_API_KEY_FILE
	Timeout string `yaml:"timeout"` // per request, Go duration, default 30s
}
