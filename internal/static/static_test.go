package static

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestFiles(t *testing.T) {
	mux := http.NewServeMux()
	Files{
		"/":            New("index.html", []byte("<h1>Hallo</h1>"), "no-cache"),
		"/widget.js":   New("widget.js", []byte("console.log(1)"), "public, max-age=300").CrossOrigin(),
		"/config.json": New("config.json", []byte(`{"a":1}`), "public, max-age=60"),
	}.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path, etag string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tests := []struct {
		path, wantType, wantCache string
		cross                     bool
	}{
		{"/", "text/html; charset=utf-8", "no-cache", false},
		{"/widget.js", "text/javascript; charset=utf-8", "public, max-age=300", true},
		{"/config.json", "application/json; charset=utf-8", "public, max-age=60", false},
	}
	for _, tt := range tests {
		resp := get(tt.path, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tt.wantType || resp.Header.Get("Cache-Control") != tt.wantCache {
			t.Errorf("%s: %d %q %q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		}
		if (resp.Header.Get("Access-Control-Allow-Origin") == "*") != tt.cross {
			t.Errorf("%s: CORS header %q", tt.path, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		if again := get(tt.path, resp.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag: %d, want 304", tt.path, again.StatusCode)
		}
	}
	if resp := get("/below/root", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a path below / served: %d", resp.StatusCode)
	}
}
