package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	name         string
	body         []byte
	etag         string
	cacheControl string
}

type assets struct {
	files map[string]*asset // by URL path
}

// assetMaxAge: a new version of the console reaches open browsers within
// minutes; revalidation is cheap thanks to the ETag.
const assetMaxAge = 5 * time.Minute

func newAssets() (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	short := fmt.Sprintf("private, max-age=%d", int(assetMaxAge.Seconds()))
	for _, f := range []struct{ path, file, cache string }{
		{"/console/", "static/console.html", "no-cache"},
		{"/console/console.js", "static/console.js", short},
		{"/console/console.css", "static/console.css", short},
		{"/console/analytics", "static/analytics.html", "no-cache"},
		{"/console/analytics.js", "static/analytics.js", short},
		{"/console/analytics.css", "static/analytics.css", short},
	} {
		body, err := staticFS.ReadFile(f.file)
		if err != nil {
			return nil, fmt.Errorf("console: asset %s: %w", f.file, err)
		}
		sum := sha256.Sum256(body)
		a.files[f.path] = &asset{
			name: f.file, body: body, cacheControl: f.cache,
			etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
		}
	}
	return a, nil
}

func (a *assets) mount(mux *http.ServeMux) {
	for path, f := range a.files {
		pattern := "GET " + path
		if path == "/console/" {
			pattern = "GET /console/{$}"
		}
		mux.Handle(pattern, f)
	}
}

func (f *asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", f.cacheControl)
	// ServeContent answers If-None-Match with 304 and sets the
	// Content-Type from the extension.
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}
