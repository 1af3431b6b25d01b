package main

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// ingestPages is a small JSONL export in the shape of a city's service
// list (fields named as in a real export), written for this test.
var ingestPages = []string{
	`{"service_id": "1", "name": "Personalausweis beantragen", "link": "https://example.org/1", "text": "Den Personalausweis beantragen Sie im Bürgeramt.", "fees": "37 Euro.", "city": "musterstadt"}`,
	`{"service_id": "2", "name": "Hundesteuer", "link": "https://example.org/2", "text": "Wer einen Hund hält, meldet ihn zur Hundesteuer an.", "fees": "120 Euro im Jahr.", "city": "musterstadt"}`,
	`{"service_id": "3", "name": "Sperrmüll", "link": "https://example.org/3", "text": "Sperrmüll holt die Stadtreinigung ab.", "fees": "Zweimal im Jahr kostenlos.", "city": "musterstadt"}`,
	`{"service_id": "9", "name": "Elsewhere", "link": "https://example.org/9", "text": "Ein Dienst einer anderen Stadt.", "city": "nachbarstadt"}`,
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runCLI runs civibot with args and returns the exit code and outputs.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &cli{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errOut,
		getenv: func(k string) string { return env[k] },
	})
	return code, out.String(), errOut.String()
}

var summaryRE = regexp.MustCompile(`^(\d+) pages: (\d+) added, (\d+) updated, (\d+) unchanged, (\d+) removed; (?:(\d+) of )?(\d+) chunks embedded in [0-9.]+m?s\n(?:\d+ translations of words and phrases kept from the dictionary\n)?$`)

func TestIngestCommand(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "services.jsonl")
	kb := filepath.Join(dir, "kb")
	writeLines(t, src, ingestPages)
	args := []string{"ingest", "--kb", kb, "--id-field", "service_id", "--title-field", "name", "--url-field", "link",
		"--body-fields", "text,fees", "--where", "city=musterstadt", "--id-prefix", "m-", "--lang", "de", src}

	code, out, errOut := runCLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	m := summaryRE.FindStringSubmatch(out)
	if m == nil || m[1] != "3" || m[2] != "3" || m[3] != "0" || m[4] != "0" || m[5] != "0" || m[6] != "" {
		t.Fatalf("first ingest printed %q", out)
	}
	chunks := m[7]

	// Unchanged: nothing embedded.
	code, out, errOut = runCLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if m = summaryRE.FindStringSubmatch(out); m == nil || m[4] != "3" || m[6] != "0" || m[7] != chunks {
		t.Fatalf("unchanged re-ingest printed %q, want 3 unchanged and 0 of %s chunks embedded", out, chunks)
	}

	// A page removed, a broken line added: the problem goes to stderr, the
	// rest is ingested.
	writeLines(t, src, append([]string{ingestPages[0], `{"service_id": "4", "name": broken`}, ingestPages[2:]...))
	code, out, errOut = runCLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if m = summaryRE.FindStringSubmatch(out); m == nil || m[1] != "2" || m[5] != "1" || m[6] != "0" {
		t.Fatalf("after removing a page printed %q, want 2 pages and 1 removed", out)
	}
	if !strings.Contains(errOut, src+":2: ") {
		t.Errorf("stderr %q, want the problem as %s:2: …", errOut, src)
	}
}

func TestIngestCommandErrors(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "services.jsonl")
	writeLines(t, src, ingestPages)
	empty := filepath.Join(dir, "empty.jsonl")
	writeLines(t, empty, []string{`{"id": "x", "title": "No text", "body": ""}`})
	kb := filepath.Join(dir, "kb")
	fields := []string{"--id-field", "service_id", "--title-field", "name", "--body-fields", "text"}
	with := func(args ...string) []string {
		return append(append([]string{"ingest", "--kb", kb}, fields...), args...)
	}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"no --kb", nil, []string{"ingest", src}, 2, "--kb DIR is required (or knowledge.dir in the config)"},
		{"no path", nil, []string{"ingest", "--kb", kb}, 2, "no PATH"},
		{"bad flag", nil, []string{"ingest", "--kb", kb, "--nope", src}, 2, "flag provided but not defined"},
		{"bad where", nil, []string{"ingest", "--kb", kb, "--where", "city", src}, 2, "want field=value"},
		{"unknown embedder", nil, []string{"ingest", "--kb", kb, "--embedder", "magic", src}, 1, "unknown embedder kind"},
		{"nothing importable", nil, []string{"ingest", "--kb", kb, empty}, 1, "no pages imported"},
		{"filter matches nothing", nil, with("--where", "city=atlantis", src), 1, "no pages imported"},
		{"wrong field", nil, []string{"ingest", "--kb", kb, src}, 1, `no record has the id field "id"`},
		{"missing file", nil, []string{"ingest", "--kb", kb, filepath.Join(dir, "missing.jsonl")}, 1, "missing.jsonl"},
		{"key file missing", map[string]string{"CIVIBOT_EMBEDDER_API_KEY_FILE": filepath.Join(dir, "nokey")}, []string{"ingest", "--kb", kb, "--embedder", "openai", src}, 1, "CIVIBOT_EMBEDDER_API_KEY_FILE"},
		{"missing lexicon", nil, with("--lexicon", filepath.Join(dir, "nolex.txt"), src), 1, "nolex.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.env, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit %d and %q", code, errOut, out, tt.code, tt.stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(kb, "manifest.json")); err == nil {
		t.Error("a failed ingest wrote a knowledge base")
	}
}

func TestEmbedderKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte("sk-from-file\n"), 0o600)
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"CIVIBOT_EMBEDDER_API_KEY": "sk-env", "CIVIBOT_EMBEDDER_API_KEY_FILE": keyFile}, "sk-env"},
		{map[string]string{"CIVIBOT_EMBEDDER_API_KEY_FILE": keyFile}, "sk-from-file"},
	} {
		got, err := embedderKey(&cli{getenv: func(k string) string { return tt.env[k] }})
		if err != nil || got != tt.want {
			t.Errorf("embedderKey(%v) = %q, %v; want %q", tt.env, got, err, tt.want)
		}
	}
}

// embeddingsFake is a fake of an OpenAI-compatible embeddings API (the wire
// protocol only): each text gets a bag-of-words vector hashed into 64
// dimensions. It counts requests and checks the key.
func embeddingsFake(t *testing.T, key string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/embeddings", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, `{"error":{"message":"bad key"}}`, http.StatusUnauthorized)
			return
		}
		var in struct {
			Model string `json:"model"`
			Input string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Model != "city-embed" {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		vec := make([]float64, 64)
		for _, w := range strings.Fields(strings.ToLower(in.Input)) {
			h := fnv.New32a()
			h.Write([]byte(strings.Trim(w, ".,?!")))
			vec[h.Sum32()%64]++
		}
		vec[63] += 0.01 // never all zero
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "model": in.Model,
			"data": []any{map[string]any{"object": "embedding", "index": 0, "embedding": vec}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &calls
}

// TestIngestUsesServingConfig: with the serving configuration, ingest writes
// where serve reads (knowledge.dir) with the embedder serve opens it with,
// and ask --config answers from it; flags override the config.
func TestIngestUsesServingConfig(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "services.jsonl")
	writeLines(t, src, ingestPages)
	srv, calls := embeddingsFake(t, "sk-city")
	kb := filepath.Join(dir, "kb")
	keyFile := filepath.Join(dir, "embedder.key")
	if err := os.WriteFile(keyFile, []byte("sk-city\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "civibot.yaml")
	writeLines(t, cfgFile, []string{
		"knowledge:",
		"  dir: " + kb,
		"  embedder:",
		"    kind: openai",
		"    url: " + srv.URL + "/v1",
		"    model: city-embed",
	})
	env := map[string]string{"CIVIBOT_CONFIG": cfgFile, "CIVIBOT_KNOWLEDGE_EMBEDDER_API_KEY_FILE": keyFile}
	fields := []string{"--id-field", "service_id", "--title-field", "name", "--url-field", "link", "--body-fields", "text,fees", "--where", "city=musterstadt"}

	code, out, errOut := runCLI(t, env, append([]string{"ingest"}, append(fields, src)...)...)
	if code != 0 {
		t.Fatalf("ingest with the config: exit %d, stderr %q", code, errOut)
	}
	if m := summaryRE.FindStringSubmatch(out); m == nil || m[2] != "3" {
		t.Fatalf("ingest printed %q", out)
	}
	if calls.Load() == 0 {
		t.Fatal("ingest did not use the configured embedder")
	}
	raw, err := os.ReadFile(filepath.Join(kb, "manifest.json"))
	if err != nil {
		t.Fatalf("no knowledge base in knowledge.dir: %v", err)
	}
	var man struct{ Embedder string }
	if err := json.Unmarshal(raw, &man); err != nil || man.Embedder != "openai:city-embed" {
		t.Fatalf("manifest embedder = %q (%v), want openai:city-embed", man.Embedder, err)
	}

	// What ingest wrote, the serving configuration opens.
	code, out, errOut = runCLI(t, env, "ask", "Was kostet die Hundesteuer?")
	if code != 0 || !strings.Contains(out, "https://example.org/2") {
		t.Errorf("ask with the same config: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// Flags override the config: --kb elsewhere with the local embedder
	// sends nothing to the configured one.
	before := calls.Load()
	local := filepath.Join(dir, "kb-local")
	code, _, errOut = runCLI(t, env, append([]string{"ingest", "--kb", local, "--embedder", "local"}, append(fields, src)...)...)
	if code != 0 {
		t.Fatalf("ingest --embedder local: exit %d, stderr %q", code, errOut)
	}
	if n := calls.Load() - before; n != 0 {
		t.Errorf("--embedder local still sent %d requests to the configured embedder", n)
	}
	if raw, err = os.ReadFile(filepath.Join(local, "manifest.json")); err != nil || !strings.Contains(string(raw), `"embedder": "local-`) && !strings.Contains(string(raw), `"embedder":"local-`) {
		t.Errorf("--embedder local wrote manifest %s (%v)", raw, err)
	}

	// A wrong key in the environment beats the config's and fails clearly;
	// nothing is written.
	env["CIVIBOT_EMBEDDER_API_KEY"] = "sk-wrong"
	code, _, errOut = runCLI(t, env, append([]string{"ingest", "--kb", filepath.Join(dir, "kb-bad")}, append(fields, src)...)...)
	if code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("wrong key: exit %d, stderr %q, want exit 1 naming the 401", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "kb-bad", "manifest.json")); err == nil {
		t.Error("a failed ingest wrote a knowledge base")
	}

	// A config without knowledge.dir and no --kb: the usage error says both.
	code, _, errOut = runCLI(t, nil, "ingest", src)
	if code != 2 || !strings.Contains(errOut, "knowledge.dir") {
		t.Errorf("no --kb and no knowledge.dir: exit %d, stderr %q", code, errOut)
	}
}
