package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/civibot/civibot/internal/static"
)

//go:embed static
var staticFS embed.FS

// assets are the widget's files by URL path.
type assets struct {
	files static.Files
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
	// ChatExpirySeconds: the widget forgets a chat idle this long.
	ChatExpirySeconds int `json:"chat_expiry_seconds"`
	// Starters are the start screen's questions by language ("de", "en").
	Starters map[string][]string `json:"starters,omitempty"`
}

// ProtocolVersion is the web chat protocol version the widget speaks
// (see docs/webchat-protocol.md).
const ProtocolVersion = 1

func newAssets(brand Branding) (*assets, error) {
	a := &assets{files: static.Files{}}
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
		Socket: "/ws", Protocol: ProtocolVersion, ChatExpirySeconds: int(brand.ChatExpiry.Seconds()),
		Starters: map[string][]string{"de": brand.StartersDE, "en": brand.StartersEN},
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
	f := static.New(name, body, cacheControl)
	if cross {
		f.CrossOrigin()
	}
	a.files[path] = f
}

func (a *assets) mount(mux *http.ServeMux) { a.files.Mount(mux) }
