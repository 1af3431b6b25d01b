// Package static serves embedded files (the widget, the console) with an
// ETag from their content and cache headers, so browsers revalidate cheaply.
package static

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// File is one file, ready to serve.
type File struct {
	name         string // for the Content-Type by extension
	body         []byte
	etag         string
	cacheControl string
	crossOrigin  bool
}

// New returns a file served with the given Cache-Control header.
func New(name string, body []byte, cacheControl string) *File {
	sum := sha256.Sum256(body)
	return &File{
		name: name, body: body, cacheControl: cacheControl,
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
	}
}

// CrossOrigin lets pages of any origin load the file (the widget's script
// and styles on a city's pages): CORS and CORP allow every origin.
func (f *File) CrossOrigin() *File {
	f.crossOrigin = true
	return f
}

// ServeHTTP serves the file; If-None-Match with the current ETag gets 304.
func (f *File) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", f.cacheControl)
	if f.crossOrigin {
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	}
	if strings.HasSuffix(f.name, ".json") {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	// ServeContent answers If-None-Match with 304, sets the Content-Type by
	// extension and handles HEAD and ranges.
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}

// Files are files by URL path.
type Files map[string]*File

// Mount registers every file for GET on mux. A path ending in "/" ("/",
// "/console/") serves that exact path only, not the tree below it.
func (fs Files) Mount(mux *http.ServeMux) {
	for path, f := range fs {
		pattern := "GET " + path
		if strings.HasSuffix(path, "/") {
			pattern += "{$}"
		}
		mux.Handle(pattern, f)
	}
}
