package console

import (
	"embed"
	"fmt"
	"net/http"
	"time"

	"github.com/civibot/civibot/internal/static"
)

//go:embed static
var staticFS embed.FS

// assets are the console's files by URL path.
type assets struct {
	files static.Files
}

// assetMaxAge: a new version of the console reaches open browsers within
// minutes; revalidation is cheap thanks to the ETag.
const assetMaxAge = 5 * time.Minute

func newAssets() (*assets, error) {
	a := &assets{files: static.Files{}}
	short := fmt.Sprintf("private, max-age=%d", int(assetMaxAge.Seconds()))
	for _, f := range []struct{ path, file, cache string }{
		{"/console/", "static/console.html", "no-cache"},
		{"/console/common.js", "static/common.js", short},
		{"/console/console.js", "static/console.js", short},
		{"/console/console.css", "static/console.css", short},
		{"/console/analytics", "static/analytics.html", "no-cache"},
		{"/console/analytics.js", "static/analytics.js", short},
		{"/console/analytics.css", "static/analytics.css", short},
		{"/console/aliases", "static/aliases.html", "no-cache"},
		{"/console/aliases.js", "static/aliases.js", short},
	} {
		body, err := staticFS.ReadFile(f.file)
		if err != nil {
			return nil, fmt.Errorf("console: asset %s: %w", f.file, err)
		}
		a.files[f.path] = static.New(f.file, body, f.cache)
	}
	return a, nil
}

func (a *assets) mount(mux *http.ServeMux) { a.files.Mount(mux) }
