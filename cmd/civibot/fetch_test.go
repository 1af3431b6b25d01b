package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
)

// cityPage is a service page as a city's CMS might render it.
func cityPage(title, text string) string {
	return `<!doctype html><html lang="de"><head><title>` + title + ` | Stadt Musterstadt</title></head><body>
<header><nav><a href="/">Startseite</a> · <a href="/buergerservice">Bürgerservice</a></nav></header>
<main><h1>` + title + `</h1><p>` + text + `</p><h2>Gebühren</h2><p>Die Gebühr steht im Gebührenverzeichnis.</p></main>
<footer>Impressum · Datenschutz</footer></body></html>`
}

// cityWebsite serves pages whose answers the test can change between
// ingests; it records user agents and the most requests in flight.
type cityWebsite struct {
	mu        sync.Mutex
	status    map[string]int
	bodies    map[string]string
	agents    []string
	inFlight  atomic.Int32
	maxFlight atomic.Int32
}

func (w *cityWebsite) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	n := w.inFlight.Add(1)
	defer w.inFlight.Add(-1)
	for {
		m := w.maxFlight.Load()
		if n <= m || w.maxFlight.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(20 * time.Millisecond) // let requests overlap
	w.mu.Lock()
	w.agents = append(w.agents, r.UserAgent())
	status, body := w.status[r.URL.Path], w.bodies[r.URL.Path]
	w.mu.Unlock()
	switch {
	case r.URL.Path == "/alt/hundesteuer":
		http.Redirect(rw, r, "/buergerservice/hundesteuer", http.StatusMovedPermanently)
		return
	case strings.HasSuffix(r.URL.Path, ".pdf"):
		rw.Header().Set("Content-Type", "application/pdf")
		io.WriteString(rw, "%PDF-1.4")
		return
	case status != 0 && status != 200:
		http.Error(rw, http.StatusText(status), status)
		return
	case body == "":
		http.NotFound(rw, r)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(rw, body)
}

func (w *cityWebsite) set(path string, status int, body string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status[path], w.bodies[path] = status, body
}

// TestIngestURLs: a nightly re-crawl from a list of URLs. The first run
// imports the pages; the next keeps a page the site could not serve that
// night, drops one that is gone, and updates one that changed.
func TestIngestURLs(t *testing.T) {
	site := &cityWebsite{status: map[string]int{}, bodies: map[string]string{}}
	site.set("/buergerservice/hundesteuer", 200, cityPage("Hundesteuer", "Wer einen Hund hält, meldet ihn beim Steueramt an."))
	site.set("/buergerservice/sperrmuell", 200, cityPage("Sperrmüll", "Sperrmüll holt die Stadtreinigung zweimal im Jahr kostenlos ab."))
	site.set("/buergerservice/wohngeld", 200, cityPage("Wohngeld", "Wohngeld beantragen Sie bei der Wohngeldstelle."))
	site.set("/buergerservice/kita", 200, cityPage("Kita-Platz", "Einen Kita-Platz suchen Sie im Kita-Portal."))
	srv := httptest.NewServer(site)
	defer srv.Close()

	dir := t.TempDir()
	list := filepath.Join(dir, "urls.txt")
	kb := filepath.Join(dir, "kb")
	if err := os.WriteFile(list, []byte(fmt.Sprintf(`# Musterstadt service pages, fetched nightly
%[1]s/buergerservice/hundesteuer
%[1]s/buergerservice/sperrmuell
%[1]s/buergerservice/wohngeld#section

%[1]s/buergerservice/kita
%[1]s/downloads/gebuehren.pdf
%[1]s/buergerservice/wohngeld
`, srv.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, nil, "ingest", "--kb", kb, "--urls", list, "--fetch-concurrency", "2")
	if code != 0 {
		t.Fatalf("first ingest: %d %q", code, errOut)
	}
	if !strings.Contains(out, "5 URLs: 4 fetched, 0 kept from the previous ingest (fetch failed), 1 left out (gone or not usable), 0 failed") ||
		!strings.Contains(out, "4 pages: 4 added, 0 updated, 0 unchanged, 0 removed") {
		t.Errorf("first ingest printed %q", out)
	}
	if !strings.Contains(errOut, "gebuehren.pdf: not an HTML page") {
		t.Errorf("stderr %q", errOut)
	}
	if m := site.maxFlight.Load(); m > 2 || m < 1 {
		t.Errorf("%d requests in flight, --fetch-concurrency 2", m)
	}
	site.mu.Lock()
	for _, a := range site.agents {
		if a != importer.FetchUserAgent {
			t.Errorf("user agent %q", a)
		}
	}
	site.mu.Unlock()
	k, err := knowledge.Open(t.Context(), kb, knowledge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := k.Page("buergerservice-hundesteuer")
	if !ok || p.Title != "Hundesteuer" || p.URL != srv.URL+"/buergerservice/hundesteuer" || p.Language != "de" {
		t.Errorf("page = %+v", p)
	}
	for _, s := range p.Sections {
		if strings.Contains(s.Text, "Impressum") || strings.Contains(s.Text, "Startseite") {
			t.Errorf("navigation imported: %q", s.Text)
		}
	}
	k.Close()

	// The next night: one page changed, one is down, one is gone.
	site.set("/buergerservice/sperrmuell", 200, cityPage("Sperrmüll", "Sperrmüll holt die Stadtreinigung dreimal im Jahr kostenlos ab."))
	site.set("/buergerservice/wohngeld", 503, "")
	site.set("/buergerservice/kita", 404, "")
	code, out, errOut = runCLI(t, nil, "ingest", "--kb", kb, "--urls", list)
	if code != 0 {
		t.Fatalf("second ingest: %d %q", code, errOut)
	}
	if !strings.Contains(out, "5 URLs: 2 fetched, 1 kept from the previous ingest (fetch failed), 2 left out (gone or not usable), 0 failed") ||
		!strings.Contains(out, "3 pages: 0 added, 1 updated, 2 unchanged, 1 removed; 2 of 6 chunks embedded") {
		t.Errorf("second ingest printed %q", out)
	}
	if !strings.Contains(errOut, "wohngeld: 503 Service Unavailable; kept the page from the previous ingest") || !strings.Contains(errOut, "kita: 404 Not Found; left out") {
		t.Errorf("stderr %q", errOut)
	}

	// The whole site down: nothing is written.
	srv.Close()
	code, _, errOut = runCLI(t, nil, "ingest", "--kb", kb, "--urls", list)
	if code != 1 || !strings.Contains(errOut, "none of the 5 URLs could be fetched") {
		t.Errorf("site down: %d %q", code, errOut)
	}
	if g, err := knowledge.CurrentGeneration(kb); err != nil || g != "gen-000002" {
		t.Errorf("after a failed crawl: %q %v", g, err)
	}

	// A bad list.
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("https://ok.example/a\nftp://files.example/b\n"), 0o644)
	if code, _, errOut := runCLI(t, nil, "ingest", "--kb", kb, "--urls", bad); code != 2 || !strings.Contains(errOut, `bad.txt:2: "ftp://files.example/b" is not an http(s) URL`) {
		t.Errorf("bad list: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "ingest", "--kb", kb); code != 2 || !strings.Contains(errOut, "no PATH to import and no --urls") {
		t.Errorf("nothing to import: %d %q", code, errOut)
	}
}
