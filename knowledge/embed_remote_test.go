package knowledge

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The remote embedders are tested against local fakes of the Ollama and
// OpenAI wire protocols (httptest); nothing here reaches the internet.

// closeTracker counts response bodies that were opened and closed, to show
// that every path closes them.
type closeTracker struct {
	base           http.RoundTripper
	opened, closed atomic.Int64
}

type trackedBody struct {
	io.ReadCloser
	t    *closeTracker
	once sync.Once
}

func (b *trackedBody) Close() error {
	b.once.Do(func() { b.t.closed.Add(1) })
	return b.ReadCloser.Close()
}

func (c *closeTracker) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	c.opened.Add(1)
	resp.Body = &trackedBody{ReadCloser: resp.Body, t: c}
	return resp, nil
}

func trackedClient(t *testing.T) (*http.Client, *closeTracker) {
	t.Helper()
	tr := &closeTracker{base: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(func() {
		if o, c := tr.opened.Load(), tr.closed.Load(); o != c {
			t.Errorf("%d response bodies opened, %d closed", o, c)
		}
	})
	return &http.Client{Transport: tr}, tr
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func wantVector(t *testing.T, got []float32, want ...float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("vector %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Fatalf("vector %v, want %v", got, want)
		}
	}
	if math.Abs(norm(got)-1) > 1e-6 {
		t.Fatalf("vector %v has norm %v, want 1", got, norm(got))
	}
}

// decodeBody reads a JSON request body into a map.
func decodeBody(t *testing.T, r *http.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		t.Errorf("request body: %v", err)
	}
	return m
}

func TestEmbedderConfig(t *testing.T) {
	tests := []struct {
		name string
		kind string // "ollama" or "openai"
		cfg  EmbedderConfig
		want string
	}{
		{"ollama without url", "ollama", EmbedderConfig{Model: "m"}, "embedder.url is required for kind ollama"},
		{"openai without url", "openai", EmbedderConfig{Model: "m", APIKey: "k"}, "embedder.url is required for kind openai"},
		{"no scheme", "ollama", EmbedderConfig{URL: "localhost:11434", Model: "m"}, "must be an http:// or https:// URL"},
		{"ftp", "openai", EmbedderConfig{URL: "ftp://example.org", Model: "m"}, "must be an http:// or https:// URL"},
		{"query", "ollama", EmbedderConfig{URL: "http://localhost:11434/?x=1", Model: "m"}, "must not have a query"},
		{"no model", "ollama", EmbedderConfig{URL: "http://localhost:11434"}, "embedder.model is required for kind ollama"},
		{"no model openai", "openai", EmbedderConfig{URL: "http://localhost:8080/v1"}, "embedder.model is required for kind openai"},
		{"bad timeout", "ollama", EmbedderConfig{URL: "http://h", Model: "m", Timeout: "soon"}, "embedder.timeout"},
		{"negative timeout", "openai", EmbedderConfig{URL: "http://h", Model: "m", Timeout: "-1s"}, "embedder.timeout"},
		{"wrong kind", "ollama", EmbedderConfig{Kind: "openai", URL: "http://h", Model: "m"}, "embedder.kind is \"openai\""},
		{"openai.com without key", "openai", EmbedderConfig{URL: "https://api.openai.com/v1", Model: "m"}, "embedder.api_key is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.kind == "ollama" {
				_, err = NewOllamaEmbedder(tt.cfg, nil)
			} else {
				_, err = NewOpenAIEmbedder(tt.cfg, nil)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "knowledge: ") {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}

	// A password in the URL never shows up in a message.
	_, err := NewOllamaEmbedder(EmbedderConfig{URL: "http://user:secret@h:1/?q=1", Model: "m"}, nil)
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("err = %v", err)
	}

	// Names, and the key is optional for servers other than api.openai.com.
	o, err := NewOllamaEmbedder(EmbedderConfig{Kind: "ollama", URL: "http://localhost:11434", Model: "nomic-embed-text"}, nil)
	if err != nil || o.Name() != "ollama:nomic-embed-text" {
		t.Errorf("ollama: %v, %v", o, err)
	}
	a, err := NewOpenAIEmbedder(EmbedderConfig{URL: "http://localhost:8080/v1", Model: "text-embedding-3-small", Timeout: "5s"}, nil)
	if err != nil || a.Name() != "openai:text-embedding-3-small" {
		t.Errorf("openai: %v, %v", a, err)
	}
}

// ollamaFake is a fake Ollama server: embed answers POST /api/embed, legacy
// POST /api/embeddings (nil: 404 "404 page not found" like a server
// without the route).
func ollamaFake(t *testing.T, embed, legacy http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var embedCalls atomic.Int64
	mux := http.NewServeMux()
	if embed != nil {
		mux.HandleFunc("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
			embedCalls.Add(1)
			embed(w, r)
		})
	}
	if legacy != nil {
		mux.HandleFunc("POST /api/embeddings", legacy)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &embedCalls
}

func newOllama(t *testing.T, url string, client *http.Client, timeout string) Embedder {
	t.Helper()
	e, err := NewOllamaEmbedder(EmbedderConfig{Kind: "ollama", URL: url, Model: "nomic-embed-text", Timeout: timeout}, client)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestOllamaEmbedder(t *testing.T) {
	client, _ := trackedClient(t)
	srv, _ := ollamaFake(t, func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		body := decodeBody(t, r)
		if body["model"] != "nomic-embed-text" || body["input"] != "Wo beantrage ich einen Personalausweis?" {
			t.Errorf("request %v", body)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"model":"nomic-embed-text","embeddings":[[3,4]],"total_duration":14143917,"load_duration":1019500,"prompt_eval_count":8}`)
	}, nil)
	// A base URL ending in /api/ is accepted too.
	for _, base := range []string{srv.URL, srv.URL + "/api/"} {
		e := newOllama(t, base, client, "")
		v, err := e.Embed(context.Background(), "Wo beantrage ich einen Personalausweis?")
		if err != nil {
			t.Fatal(err)
		}
		wantVector(t, v, 0.6, 0.8)
	}
}

func TestOllamaEmbedderLegacyEndpoint(t *testing.T) {
	client, _ := trackedClient(t)
	var legacyCalls atomic.Int64
	// An Ollama server before /api/embed answers 404 with a plain-text page.
	oldServer := func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
	srv, embedCalls := ollamaFake(t, oldServer, func(w http.ResponseWriter, r *http.Request) {
		legacyCalls.Add(1)
		body := decodeBody(t, r)
		if body["model"] != "nomic-embed-text" || body["prompt"] != "Hundesteuer" {
			t.Errorf("legacy request %v", body)
		}
		io.WriteString(w, `{"embedding":[0,5]}`)
	})
	e := newOllama(t, srv.URL, client, "")
	for range 3 {
		v, err := e.Embed(context.Background(), "Hundesteuer")
		if err != nil {
			t.Fatal(err)
		}
		wantVector(t, v, 0, 1)
	}
	// /api/embed is tried once; after its 404 the embedder stays on the legacy route.
	if embedCalls.Load() != 1 || legacyCalls.Load() != 3 {
		t.Errorf("embed calls %d, legacy calls %d", embedCalls.Load(), legacyCalls.Load())
	}
}

func TestOllamaEmbedderErrors(t *testing.T) {
	long := strings.Repeat("x", 500)
	tests := []struct {
		name    string
		status  int
		body    string
		want    []string
		notWant string
	}{
		{"model not found (no fallback)", 404, `{"error":"model \"nomic-embed-text\" not found, try pulling it first"}`,
			[]string{"HTTP 404", `model "nomic-embed-text" not found`}, ""},
		{"401 from a proxy", 401, "Unauthorized", []string{"HTTP 401 Unauthorized", "Unauthorized"}, ""},
		{"500", 500, `{"error":"llama runner process has terminated"}`, []string{"HTTP 500", "llama runner process has terminated"}, ""},
		{"long body is cut", 502, long, []string{"HTTP 502", strings.Repeat("x", 200) + "…"}, strings.Repeat("x", 201)},
		{"malformed JSON", 200, `{"embeddings": [[1, 2`, []string{"malformed response"}, ""},
		{"not JSON", 200, `<html>proxy page</html>`, []string{"malformed response"}, ""},
		{"no embeddings", 200, `{"embeddings": []}`, []string{"empty embedding"}, ""},
		{"empty embedding", 200, `{"embeddings": [[]]}`, []string{"empty embedding"}, ""},
		{"two embeddings", 200, `{"embeddings": [[1],[2]]}`, []string{"expected 1 embedding, got 2"}, ""},
		{"overflow", 200, `{"embeddings": [[1e39, 1]]}`, []string{"not a finite number"}, ""},
		{"zero vector", 200, `{"embeddings": [[0, 0, 0]]}`, []string{"all zeros"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, _ := trackedClient(t)
			var legacy atomic.Int64
			srv, _ := ollamaFake(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}, func(w http.ResponseWriter, r *http.Request) {
				legacy.Add(1)
				io.WriteString(w, `{"embedding":[1]}`)
			})
			_, err := newOllama(t, srv.URL, client, "").Embed(context.Background(), "Text")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want %q in it", err, w)
				}
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("err = %v, must not contain %q", err, tt.notWant)
			}
			if !strings.HasPrefix(err.Error(), "knowledge: ollama embed: ") {
				t.Errorf("err = %v, want the knowledge: ollama embed: prefix", err)
			}
			if legacy.Load() != 0 {
				t.Error("fell back to the legacy endpoint")
			}
		})
	}
}

func TestOllamaEmbedderDimensionsAndInput(t *testing.T) {
	client, _ := trackedClient(t)
	var calls atomic.Int64
	srv, _ := ollamaFake(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			io.WriteString(w, `{"embeddings":[[1,2,2]]}`)
			return
		}
		io.WriteString(w, `{"embeddings":[[1,1]]}`)
	}, nil)
	e := newOllama(t, srv.URL, client, "")
	if _, err := e.Embed(context.Background(), "eins"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Embed(context.Background(), "zwei"); err == nil || !strings.Contains(err.Error(), "got 2 dimensions, earlier embeddings had 3") {
		t.Errorf("err = %v", err)
	}
	if _, err := e.Embed(context.Background(), "  \n"); err == nil || !strings.Contains(err.Error(), "empty text") {
		t.Errorf("err = %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls; empty text must not be sent", calls.Load())
	}
}

func TestOllamaEmbedderTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	srv, _ := ollamaFake(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}, nil)
	defer close(release)

	// The configured timeout bounds a request also with the caller's client.
	client, _ := trackedClient(t)
	_, err := newOllama(t, srv.URL, client, "50ms").Embed(context.Background(), "Text")
	var ne net.Error
	if err == nil || !(errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())) {
		t.Errorf("err = %v, want a timeout", err)
	}
	// And with the default client (nil).
	_, err = newOllama(t, srv.URL, nil, "50ms").Embed(context.Background(), "Text")
	if err == nil || !(errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())) {
		t.Errorf("nil client: err = %v, want a timeout", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newOllama(t, srv.URL, client, "").Embed(ctx, "Text"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// openAIFake is a fake OpenAI-compatible server at /v1/embeddings.
func openAIFake(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/embeddings", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func newOpenAI(t *testing.T, url, key string, client *http.Client) Embedder {
	t.Helper()
	e, err := NewOpenAIEmbedder(EmbedderConfig{Kind: "openai", URL: url, Model: "text-embedding-3-small", APIKey: key}, client)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestOpenAIEmbedder(t *testing.T) {
	client, _ := trackedClient(t)
	srv := openAIFake(t, func(w http.ResponseWriter, r *http.Request) {
		if auth := r.Header.Get("Authorization"); auth != "Bearer sk-test-123" {
			t.Errorf("authorization %q", auth)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		body := decodeBody(t, r)
		if body["model"] != "text-embedding-3-small" || body["input"] != "Wie viel kostet ein Reisepass?" {
			t.Errorf("request %v", body)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1,2,2]}],`+
			`"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}`)
	})
	// The base URL with or without a trailing /embeddings.
	for _, base := range []string{srv.URL + "/v1", srv.URL + "/v1/", srv.URL + "/v1/embeddings"} {
		v, err := newOpenAI(t, base, "sk-test-123", client).Embed(context.Background(), "Wie viel kostet ein Reisepass?")
		if err != nil {
			t.Fatal(err)
		}
		wantVector(t, v, 1.0/3, 2.0/3, 2.0/3)
	}
}

func TestOpenAIEmbedderWithoutKey(t *testing.T) {
	client, _ := trackedClient(t)
	srv := openAIFake(t, func(w http.ResponseWriter, r *http.Request) {
		if auth, ok := r.Header["Authorization"]; ok {
			t.Errorf("authorization sent without a key: %q", auth)
		}
		io.WriteString(w, `{"data":[{"index":0,"embedding":[0,0,2]}]}`)
	})
	v, err := newOpenAI(t, srv.URL+"/v1", "", client).Embed(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	wantVector(t, v, 0, 0, 1)
}

func TestOpenAIEmbedderErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{"401", 401, `{"error":{"message":"Incorrect API key provided: sk-test-123. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			[]string{"HTTP 401 Unauthorized", "Incorrect API key provided: ***."}},
		{"429", 429, `{"error":{"message":"Rate limit reached","type":"requests"}}`, []string{"HTTP 429", "Rate limit reached"}},
		{"500", 500, "upstream connect error", []string{"HTTP 500 Internal Server Error", "upstream connect error"}},
		{"malformed JSON", 200, `{"data":[{"embedding":[1,`, []string{"malformed response"}},
		{"no data", 200, `{"object":"list"}`, []string{`no "data"`}},
		{"empty data", 200, `{"data":[]}`, []string{"no embedding"}},
		{"empty embedding", 200, `{"data":[{"index":0,"embedding":[]}]}`, []string{"empty embedding"}},
		{"base64 instead of floats", 200, `{"data":[{"index":0,"embedding":"AAAA"}]}`, []string{"malformed response"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, _ := trackedClient(t)
			srv := openAIFake(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			_, err := newOpenAI(t, srv.URL+"/v1", "sk-test-123", client).Embed(context.Background(), "Text")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want %q in it", err, w)
				}
			}
			if strings.Contains(err.Error(), "sk-test-123") {
				t.Errorf("the API key leaked into the error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "knowledge: openai embed: ") {
				t.Errorf("err = %v, want the knowledge: openai embed: prefix", err)
			}
		})
	}
}

func TestOpenAIEmbedderDimensions(t *testing.T) {
	client, _ := trackedClient(t)
	var calls atomic.Int64
	srv := openAIFake(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			io.WriteString(w, `{"data":[{"index":0,"embedding":[1,0,0,0]}]}`)
			return
		}
		io.WriteString(w, `{"data":[{"index":0,"embedding":[1,0,0]}]}`)
	})
	e := newOpenAI(t, srv.URL+"/v1", "k", client)
	if _, err := e.Embed(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Embed(context.Background(), "b"); err == nil || !strings.Contains(err.Error(), "got 3 dimensions, earlier embeddings had 4") {
		t.Errorf("err = %v", err)
	}
}

func TestOpenAIEmbedderConcurrent(t *testing.T) {
	client, tr := trackedClient(t)
	srv := openAIFake(t, func(w http.ResponseWriter, r *http.Request) {
		body := decodeBody(t, r)
		// A deterministic vector per input: its length in the first slot.
		n := len(body["input"].(string))
		json.NewEncoder(w).Encode(map[string]any{"data": []map[string]any{{"index": 0, "embedding": []float64{float64(n), 1}}}})
	})
	e := newOpenAI(t, srv.URL+"/v1", "k", client)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				text := strings.Repeat("a", g*5+i+1)
				v, err := e.Embed(context.Background(), text)
				if err != nil {
					t.Error(err)
					return
				}
				n := float64(len(text))
				if len(v) != 2 || math.Abs(float64(v[0])-n/math.Hypot(n, 1)) > 1e-6 || math.Abs(float64(v[1])-1/math.Hypot(n, 1)) > 1e-6 {
					t.Errorf("Embed(%d × a) = %v", len(text), v)
				}
			}
		}()
	}
	wg.Wait()
	if tr.opened.Load() != 40 {
		t.Errorf("%d requests, want 40", tr.opened.Load())
	}
}
