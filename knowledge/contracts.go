package knowledge

import (
	"context"
	"fmt"
)

// ImportOptions says how to read a city's pages. Import (importers: JSONL,
// Markdown folders, HTML folders) turns paths into Pages with them.
type ImportOptions struct {
	// Format is "jsonl", "markdown" or "html"; empty picks by file extension
	// (.jsonl, .md, .html/.htm; a folder by the files it holds).
	Format string
	// JSONL field mapping.
	IDField       string   // default "id"
	TitleField    string   // default "title"
	URLField      string   // default "url"
	LanguageField string   // default "language"; missing → Language
	BodyFields    []string // default ["body"]; each becomes one or more sections
	KeywordsField string   // optional: a string list or comma-separated string
	// Where keeps only records whose field equals the value (all must match),
	// e.g. {"city": "muenchen"}.
	Where map[string]string
	// Language is the language of pages that do not say (default "de").
	Language string
	// IDPrefix is put before every page id (e.g. "berlin-"), optional.
	IDPrefix string
	// RepairGlued says whether to split words a scraper glued together in
	// JSONL text fields ("UnterlagenAntrag", "sein.Die", "oderSie"):
	// "auto" (default) repairs a field only when its file shows the pattern
	// often (≥ 4 per 1,000 words), "on" always, "off" never.
	RepairGlued string
}

// Problem is one input record or file that could not be imported. Import
// reports it and goes on with the rest.
type Problem struct {
	Path string `json:"path"`
	Line int    `json:"line,omitempty"` // 1-based, JSONL only
	Err  string `json:"error"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Err)
	}
	return fmt.Sprintf("%s: %s", p.Path, p.Err)
}

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
