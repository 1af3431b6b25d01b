package importer

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// cityPage is a service page as a city's CMS might render it.
func cityPage(title, text string) string {
	return `<!doctype html><html lang="de"><head><title>` + title + ` | Stadt Musterstadt</title></head><body>
<header><nav><a href="/">Startseite</a> · <a href="/buergerservice">Bürgerservice</a></nav></header>
<main><h1>` + title + `</h1><p>` + text + `</p><h2>Gebühren</h2><p>Die Gebühr steht im Gebührenverzeichnis.</p></main>
<footer>Impressum · Datenschutz</footer></body></html>`
}

// TestFetcherLimits: slow pages time out, large ones are refused, redirects
// are followed (and bounded), and the page keeps the id of the URL listed.
func TestFetcherLimits(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, cityPage("Groß", strings.Repeat("Text ", 1000)))
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/target", http.StatusFound) })
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, cityPage("Ziel", "Die Seite ist umgezogen."))
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<html><body><h1>Leer</h1></body></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := NewFetcher(300*time.Millisecond, 4, Options{})
	f.maxBytes = 2048
	got := f.fetchAll(context.Background(), []string{srv.URL + "/slow", srv.URL + "/big", srv.URL + "/moved", srv.URL + "/loop", srv.URL + "/empty"})
	want := []struct {
		err       string
		transient bool
	}{
		{"timed out", true},
		{"larger than 0 MiB", false},
		{"", false},
		{"more than 5 redirects", true},
		{"page has no text", false},
	}
	for i, w := range want {
		o := got[i]
		if w.err == "" {
			if o.err != nil || o.page.ID != "moved" || o.page.URL != srv.URL+"/target" || o.page.Title != "Ziel" {
				t.Errorf("%s: %+v", o.url, o)
			}
			continue
		}
		if o.err == nil || !strings.Contains(o.err.Error(), w.err) || o.transient != w.transient {
			t.Errorf("%s: err %v transient %v; want %q transient %v", o.url, o.err, o.transient, w.err, w.transient)
		}
	}
}
