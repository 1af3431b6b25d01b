package browsertest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html lang="de"><title>Test</title><p id="p">Hallo</p>
<script>document.getElementById('p').textContent = navigator.language; console.error('boom'); </script>`)
	}))
	defer srv.Close()

	b := Start(t, Options{Lang: "en-GB"})
	ctx, cancel := context.WithTimeout(b.Tab(t), 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('p').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if lang != "en-GB" {
		t.Errorf("navigator.language = %q, want en-GB", lang)
	}
	path := b.Screenshot(t, ctx, "browsertest")
	if st, err := os.Stat(path); err != nil || st.Size() < 1000 {
		t.Errorf("screenshot %s: %v", path, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(b.Errors()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if errs := b.Errors(); len(errs) != 1 || errs[0] != `console.error: "boom"` {
		t.Errorf("errors = %q", errs)
	}
}
