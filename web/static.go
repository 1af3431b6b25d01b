package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	name         string // for the Content-Type by extension
	body         []byte
	etag         string
	cacheControl string
	crossOrigin  bool // loaded by city pages: CORS and CORP allow any origin
}

type assets struct {
	files map[string]*asset // by URL path
}

// Cache lifetimes. The widget script is short-lived so a new version reaches
// city pages within minutes; revalidation is cheap thanks to the ETag.
const (
	widgetMaxAge = 5 * time.Minute
	configMaxAge = time.Minute
)

// widgetConfig is the branding the widget fetches from /widget/config.json.
type widgetConfig struct {
	Name           string `json:"name"`
	LogoURL        string `json:"logo_url,omitempty"`
	PrimaryColor   string `json:"primary_color"`
	OnPrimaryColor string `json:"on_primary_color"`
	PrivacyURL     string `json:"privacy_url,omitempty"`
	// Socket is the path of the chat WebSocket, relative to the widget's origin.
	Socket string `json:"socket"`
	// Protocol is the web chat protocol version the server speaks.
	Protocol int `json:"protocol"`
}

// ProtocolVersion is the web chat protocol version the widget speaks
// (see docs/webchat-protocol.md).
const ProtocolVersion = 1

func newAssets(brand Branding) (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	short := fmt.Sprintf("public, max-age=%d", int(widgetMaxAge.Seconds()))
	for _, f := range []struct {
		path, file string
		cross      bool
	}{
		{"/widget.js", "static/widget.js", true},
		{"/widget.css", "static/widget.css", true},
		{"/favicon.svg", "static/favicon.svg", false},
	} {
		body, err := staticFS.ReadFile(f.file)
		if err != nil {
			return nil, fmt.Errorf("web: asset %s: %w", f.file, err)
		}
		a.add(f.path, f.file, body, short, f.cross)
	}

	cfg, err := json.Marshal(widgetConfig{
		Name: brand.Name, LogoURL: brand.LogoURL, PrimaryColor: brand.PrimaryColor,
		OnPrimaryColor: brand.OnPrimaryColor, PrivacyURL: brand.PrivacyURL,
		Socket: "/ws", Protocol: ProtocolVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("web: widget config: %w", err)
	}
	a.add("/widget/config.json", "config.json", cfg, fmt.Sprintf("public, max-age=%d", int(configMaxAge.Seconds())), true)

	tmpl, err := template.ParseFS(staticFS, "static/index.html")
	if err != nil {
		return nil, fmt.Errorf("web: index template: %w", err)
	}
	var page bytes.Buffer
	if err := tmpl.Execute(&page, struct{ City string }{brand.Name}); err != nil {
		return nil, fmt.Errorf("web: index template: %w", err)
	}
	a.add("/", "index.html", page.Bytes(), "no-cache", false)
	return a, nil
}

func (a *assets) add(path, name string, body []byte, cacheControl string, cross bool) {
	sum := sha256.Sum256(body)
	a.files[path] = &asset{
		name: name, body: body, cacheControl: cacheControl, crossOrigin: cross,
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
	}
}

func (a *assets) mount(mux *http.ServeMux) {
	for path, f := range a.files {
		pattern := "GET " + path
		if path == "/" {
			pattern = "GET /{$}"
		}
		mux.Handle(pattern, f)
	}
}

func (f *asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
