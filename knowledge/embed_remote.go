package knowledge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// DefaultEmbedderTimeout is the per-request timeout of the remote embedders
// when EmbedderConfig.Timeout is empty.
const DefaultEmbedderTimeout = 30 * time.Second

// maxEmbedResponse bounds the response body a remote embedder reads
// (a 4,096-dimension vector is about 100 KB of JSON).
const maxEmbedResponse = 16 << 20

// NewOllamaEmbedder returns an Embedder that calls an Ollama server:
// POST {URL}/api/embed {"model", "input"} → {"embeddings": [[…]]}. Servers
// older than /api/embed (404 without a JSON error) are served through the
// legacy POST {URL}/api/embeddings {"model", "prompt"} → {"embedding": […]}.
// Vectors are L2-normalised. client may be nil (a client with the configured
// timeout is used); the timeout applies to every request either way.
func NewOllamaEmbedder(cfg EmbedderConfig, client *http.Client) (Embedder, error) {
	base, timeout, err := remoteConfig("ollama", cfg, "http://localhost:11434", "nomic-embed-text")
	if err != nil {
		return nil, err
	}
	base.Path = strings.TrimSuffix(strings.TrimRight(base.Path, "/"), "/api")
	return &ollamaEmbedder{
		remote: newRemote("ollama", cfg.Model, client, timeout, ""),
		base:   base.String(),
	}, nil
}

// NewOpenAIEmbedder returns an Embedder that calls an OpenAI-compatible API:
// POST {URL}/embeddings {"model", "input"} with "Authorization: Bearer
// <api_key>" → {"data": [{"embedding": […]}]}. Vectors are L2-normalised.
// The API key is required for api.openai.com and optional for other servers
// (local OpenAI-compatible servers often need none).
func NewOpenAIEmbedder(cfg EmbedderConfig, client *http.Client) (Embedder, error) {
	base, timeout, err := remoteConfig("openai", cfg, "https://api.openai.com/v1", "text-embedding-3-small")
	if err != nil {
		return nil, err
	}
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" && strings.EqualFold(base.Hostname(), "api.openai.com") {
		return nil, errors.New("knowledge: embedder.api_key is required for kind openai with api.openai.com (or set CIVIBOT_EMBEDDER_API_KEY_FILE)")
	}
	base.Path = strings.TrimSuffix(strings.TrimRight(base.Path, "/"), "/embeddings")
	return &openAIEmbedder{
		remote:   newRemote("openai", cfg.Model, client, timeout, key),
		endpoint: base.String() + "/embeddings",
	}, nil
}

// remoteConfig validates the settings shared by the remote embedders.
func remoteConfig(kind string, cfg EmbedderConfig, exampleURL, exampleModel string) (*url.URL, time.Duration, error) {
	if k := strings.ToLower(strings.TrimSpace(cfg.Kind)); k != "" && k != kind {
		return nil, 0, fmt.Errorf("knowledge: embedder.kind is %q, but this is the %s embedder", cfg.Kind, kind)
	}
	raw := strings.TrimSpace(cfg.URL)
	if raw == "" {
		return nil, 0, fmt.Errorf("knowledge: embedder.url is required for kind %s (e.g. %s)", kind, exampleURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, 0, fmt.Errorf("knowledge: embedder.url %q must be an http:// or https:// URL (e.g. %s)", redactURL(raw), exampleURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, 0, fmt.Errorf("knowledge: embedder.url %q must not have a query or fragment", redactURL(raw))
	}
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, 0, fmt.Errorf("knowledge: embedder.model is required for kind %s (e.g. %s)", kind, exampleModel)
	}
	timeout := DefaultEmbedderTimeout
	if t := strings.TrimSpace(cfg.Timeout); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			return nil, 0, fmt.Errorf("knowledge: embedder.timeout %q is not a positive duration (e.g. 30s)", cfg.Timeout)
		}
		timeout = d
	}
	return u, timeout, nil
}

// redactURL drops a password from a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// remote is what both remote embedders share: the HTTP round trip, error
// reporting and vector checks.
type remote struct {
	kind, model string
	client      *http.Client
	timeout     time.Duration
	apiKey      string
	dims        atomic.Int64 // dimensions of the first vector; later vectors must match
}

func newRemote(kind, model string, client *http.Client, timeout time.Duration, apiKey string) *remote {
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	return &remote{kind: kind, model: strings.TrimSpace(model), client: client, timeout: timeout, apiKey: apiKey}
}

func (r *remote) Name() string { return r.kind + ":" + r.model }

// statusError is a non-2xx answer of an embedding API.
type statusError struct {
	kind    string
	status  int
	excerpt string
	apiErr  bool // the body was a JSON error of the API itself
}

func (e *statusError) Error() string {
	msg := fmt.Sprintf("knowledge: %s embed: HTTP %d %s", e.kind, e.status, http.StatusText(e.status))
	if e.excerpt != "" {
		msg += ": " + e.excerpt
	}
	return msg
}

// post sends a JSON request and returns the response body of a 2xx answer,
// or a *statusError with a short excerpt of the body.
func (r *remote) post(ctx context.Context, endpoint string, payload any) ([]byte, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("knowledge: %s embed: %w", r.kind, err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("knowledge: %s embed: %w", r.kind, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if r.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+r.apiKey)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("knowledge: %s embed: %w", r.kind, r.redactErr(err))
	}
	defer func() {
		// Drain a little so the connection can be reused, then close.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxEmbedResponse+1))
	if err != nil {
		return nil, fmt.Errorf("knowledge: %s embed: reading response: %w", r.kind, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg, apiErr := r.excerpt(data)
		return nil, &statusError{kind: r.kind, status: resp.StatusCode, excerpt: msg, apiErr: apiErr}
	}
	if len(data) > maxEmbedResponse {
		return nil, fmt.Errorf("knowledge: %s embed: response larger than %d MiB", r.kind, maxEmbedResponse>>20)
	}
	return data, nil
}

// redactErr keeps the API key out of transport errors (it is never in a
// URL, but be sure).
func (r *remote) redactErr(err error) error {
	if r.apiKey == "" || !strings.Contains(err.Error(), r.apiKey) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), r.apiKey, "***"))
}

// excerpt is a one-line, at most 200-character summary of an error body:
// the "error" message of a JSON body when there is one (apiErr).
func (r *remote) excerpt(data []byte) (msg string, apiErr bool) {
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(data, &e) == nil {
		var s string
		var obj struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(e.Error, &s) == nil && s != "":
			msg = s
		case json.Unmarshal(e.Error, &obj) == nil && obj.Message != "":
			msg = obj.Message
		case e.Message != "":
			msg = e.Message
		}
	}
	apiErr = msg != ""
	if msg == "" {
		msg = string(data)
		if !utf8.ValidString(msg) {
			msg = strings.ToValidUTF8(msg, "?")
		}
	}
	msg = CleanLine(msg)
	if r.apiKey != "" {
		msg = strings.ReplaceAll(msg, r.apiKey, "***")
	}
	if utf8.RuneCountInString(msg) > 200 {
		msg = string([]rune(msg)[:200]) + "…"
	}
	return msg, apiErr
}

// vector checks a returned embedding and L2-normalises it: it must not be
// empty, must hold only finite float32 values, must not be all zeros, and
// must have the same dimensions as the first vector this embedder returned.
func (r *remote) vector(v []float64) ([]float32, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("knowledge: %s embed: the response holds an empty embedding (is %q an embedding model?)", r.kind, r.model)
	}
	var sum float64
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > math.MaxFloat32 {
			return nil, fmt.Errorf("knowledge: %s embed: value %d of the embedding is not a finite number", r.kind, i)
		}
		sum += x * x
	}
	if sum == 0 {
		return nil, fmt.Errorf("knowledge: %s embed: the embedding is all zeros", r.kind)
	}
	n := int64(len(v))
	if !r.dims.CompareAndSwap(0, n) {
		if d := r.dims.Load(); d != n {
			return nil, fmt.Errorf("knowledge: %s embed: got %d dimensions, earlier embeddings had %d (did the model change?)", r.kind, n, d)
		}
	}
	norm := math.Sqrt(sum)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x / norm)
	}
	return out, nil
}

func checkText(kind, text string) error {
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("knowledge: %s embed: empty text", kind)
	}
	return nil
}

// ollamaEmbedder calls Ollama's embedding API.
type ollamaEmbedder struct {
	*remote
	base   string
	legacy atomic.Bool // the server has no /api/embed; use /api/embeddings
}

func (e *ollamaEmbedder) Embed(ctx context.Context, text string) ([]float32, error) {
	if err := checkText(e.kind, text); err != nil {
		return nil, err
	}
	if !e.legacy.Load() {
		data, err := e.post(ctx, e.base+"/api/embed", map[string]any{"model": e.model, "input": text})
		var se *statusError
		if errors.As(err, &se) && se.status == http.StatusNotFound && !se.apiErr {
			// No /api/embed on this server (before Ollama 0.3): fall back.
			e.legacy.Store(true)
		} else if err != nil {
			return nil, err
		} else {
			return e.decode(data)
		}
	}
	data, err := e.post(ctx, e.base+"/api/embeddings", map[string]any{"model": e.model, "prompt": text})
	if err != nil {
		return nil, err
	}
	return e.decode(data)
}

// decode reads {"embeddings": [[…]]} (/api/embed) or {"embedding": […]}
// (/api/embeddings).
func (e *ollamaEmbedder) decode(data []byte) ([]float32, error) {
	var resp struct {
		Embeddings [][]float64 `json:"embeddings"`
		Embedding  []float64   `json:"embedding"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, fmt.Errorf("knowledge: ollama embed: malformed response: %s", JSONErrorText(err))
	}
	switch {
	case len(resp.Embeddings) == 1:
		return e.vector(resp.Embeddings[0])
	case len(resp.Embeddings) > 1:
		return nil, fmt.Errorf("knowledge: ollama embed: expected 1 embedding, got %d", len(resp.Embeddings))
	}
	return e.vector(resp.Embedding)
}

// openAIEmbedder calls an OpenAI-compatible embeddings API.
type openAIEmbedder struct {
	*remote
	endpoint string
}

func (e *openAIEmbedder) Embed(ctx context.Context, text string) ([]float32, error) {
	if err := checkText(e.kind, text); err != nil {
		return nil, err
	}
	data, err := e.post(ctx, e.endpoint, map[string]any{"model": e.model, "input": text})
	if err != nil {
		return nil, err
	}
	var resp struct {
		Data *[]struct {
			Embedding []float64 `json:"embedding"`
			Index     int       `json:"index"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, fmt.Errorf("knowledge: openai embed: malformed response: %s", JSONErrorText(err))
	}
	if resp.Data == nil {
		return nil, errors.New(`knowledge: openai embed: malformed response: no "data"`)
	}
	for _, d := range *resp.Data {
		if d.Index == 0 {
			return e.vector(d.Embedding)
		}
	}
	return nil, errors.New("knowledge: openai embed: the response holds no embedding")
}
