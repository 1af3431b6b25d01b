package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/internal/testtime"
	"github.com/civibot/civibot/knowledge/samplecity"
)

// botAnswer asks one question on a new web chat and returns the bot's
// decision kind and its source URLs.
func botAnswer(t *testing.T, base, question string) (string, []string) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "lang": "de"})
	ws.WriteJSON(map[string]any{"type": "message", "id": "q1", "text": question})
	ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		var f struct {
			Type    string `json:"type"`
			Message struct {
				Role    string `json:"role"`
				Kind    string `json:"kind"`
				Sources []struct {
					URL string `json:"url"`
				} `json:"sources"`
			} `json:"message"`
		}
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("chat: %v", err)
		}
		if f.Type == "message" && f.Message.Role == "bot" {
			var urls []string
			for _, s := range f.Message.Sources {
				urls = append(urls, s.URL)
			}
			return f.Message.Kind, urls
		}
	}
}

// copyPages copies sample-city pages (by file name) into dir.
func copyPages(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		b, err := fs.ReadFile(samplecity.FS(), "de/"+n+".md")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n+".md"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ingestDir(t *testing.T, kb, pages string) string {
	t.Helper()
	code, out, errOut := runCLI(t, nil, "ingest", "--kb", kb, "--format", "markdown", pages)
	if code != 0 {
		t.Fatalf("ingest: %d %q", code, errOut)
	}
	return out
}

const parkingQuestion = "Wie bekomme ich einen Bewohnerparkausweis?"

func answeredFrom(urls []string, page string) bool {
	return len(urls) > 0 && strings.Contains(urls[0], page)
}

// TestServeReloadsAfterIngest: a nightly ingest adds a page; the running
// civibot notices the new generation and answers from it without a
// restart. A damaged generation is refused and the old one keeps serving.
func TestServeReloadsAfterIngest(t *testing.T) {
	dir := t.TempDir()
	pages, kb := filepath.Join(dir, "pages"), filepath.Join(dir, "kb")
	os.Mkdir(pages, 0o755)
	copyPages(t, pages, "hundesteuer", "sperrmuell", "personalausweis")
	ingestDir(t, kb, pages)

	cfg := testConfig(t, "")
	cfg.Knowledge.Dir = kb
	cfg.Knowledge.ReloadInterval = 200 * time.Millisecond
	cfg.Metrics.Token = "metrics-token-0123456789"
	in := startInstance(t, cfg)
	if _, urls := botAnswer(t, in.url, parkingQuestion); answeredFrom(urls, "bewohnerparkausweis") {
		t.Fatalf("answered from a page that is not there yet: %v", urls)
	}
	copyPages(t, pages, "bewohnerparkausweis")
	if out := ingestDir(t, kb, pages); !strings.Contains(out, "4 pages: 1 added, 0 updated, 3 unchanged, 0 removed") {
		t.Errorf("ingest summary %q", out)
	}
	testtime.WaitFor(t, 10*time.Second, "the reload", func() bool { return strings.Contains(in.logs.String(), `"msg":"knowledge reloaded"`) })
	if kind, urls := botAnswer(t, in.url, parkingQuestion); kind != "answer" || !answeredFrom(urls, "bewohnerparkausweis") {
		t.Fatalf("after the ingest: %s from %v", kind, urls)
	}
	if !strings.Contains(in.logs.String(), `"generation":"gen-000002","pages":4`) {
		t.Errorf("reload not logged with generation and pages:\n%s", in.logs.String())
	}

	// A manifest pointing to a generation that is not there: refused, logged,
	// the old knowledge base answers on.
	manifest := filepath.Join(kb, "manifest.json")
	raw, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, []byte(strings.Replace(string(raw), "gen-000002", "gen-000099", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	testtime.WaitFor(t, 10*time.Second, "the failed reload", func() bool {
		return strings.Contains(in.logs.String(), `"msg":"knowledge reload failed; still serving the previous knowledge base"`)
	})
	if kind, urls := botAnswer(t, in.url, parkingQuestion); kind != "answer" || !answeredFrom(urls, "bewohnerparkausweis") {
		t.Fatalf("after a damaged ingest: %s from %v", kind, urls)
	}
	if m := scrapeMetrics(t, in.url, cfg.Metrics.Token); m[`civibot_knowledge_reloads_total{result="ok"}`] != 1 || m[`civibot_knowledge_reloads_total{result="error"}`] < 1 ||
		m[`civibot_knowledge_pages`] != 4 {
		t.Errorf("reload metrics: ok %v, error %v, pages %v", m[`civibot_knowledge_reloads_total{result="ok"}`],
			m[`civibot_knowledge_reloads_total{result="error"}`], m[`civibot_knowledge_pages`])
	}
}

// TestServeReloadsOnSIGHUP: without polling, SIGHUP makes civibot pick up
// a new ingest.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	pages, kb := filepath.Join(dir, "pages"), filepath.Join(dir, "kb")
	os.Mkdir(pages, 0o755)
	copyPages(t, pages, "hundesteuer", "sperrmuell")
	ingestDir(t, kb, pages)

	cfg := testConfig(t, "")
	cfg.Knowledge.Dir = kb
	cfg.Knowledge.ReloadInterval = 0
	in := startInstance(t, cfg)
	copyPages(t, pages, "bewohnerparkausweis")
	ingestDir(t, kb, pages)
	// No polling: still the old knowledge base.
	time.Sleep(300 * time.Millisecond)
	if _, urls := botAnswer(t, in.url, parkingQuestion); answeredFrom(urls, "bewohnerparkausweis") {
		t.Fatalf("reloaded without being told: %v", urls)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testtime.WaitFor(t, 10*time.Second, "the reload on SIGHUP", func() bool {
		return strings.Contains(in.logs.String(), `"msg":"knowledge reloaded","trigger":"SIGHUP"`)
	})
	if kind, urls := botAnswer(t, in.url, parkingQuestion); kind != "answer" || !answeredFrom(urls, "bewohnerparkausweis") {
		t.Fatalf("after SIGHUP: %s from %v", kind, urls)
	}
}
