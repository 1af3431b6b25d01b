package knowledge

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// PageFromHTML reads one web page fetched from pageURL the way the HTML
// importer reads a file (language from <html lang>, title from <h1> or
// <title>, the text of <main> without navigation and scripts, <h2>/<h3>
// sections). The page id comes from the URL's path
// ("https://www.city.example/buergerservice/personalausweis.html" →
// "buergerservice-personalausweis"; the site's root is "index"), with
// opts.IDPrefix; the page's URL is its <link rel="canonical"> (resolved
// against pageURL) or pageURL itself.
func PageFromHTML(data []byte, pageURL string, opts ImportOptions) (Page, error) {
	u, err := url.Parse(pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Page{}, fmt.Errorf("knowledge: page from html: %q is not an http(s) URL", pageURL)
	}
	if msg := notText(data); msg != "" {
		return Page{}, errors.New(msg)
	}
	im, err := newImporter(opts)
	if err != nil {
		return Page{}, err
	}
	rel := strings.Trim(u.Path, "/")
	if rel == "" {
		rel = "index"
	}
	p, err := im.htmlPage(data, rel)
	if err != nil {
		return Page{}, err
	}
	p.ID = opts.IDPrefix + p.ID
	canonical := canonicalOf(p, rel)
	p.URL = u.String()
	if c := canonical; c != "" {
		if cu, err := u.Parse(c); err == nil && (cu.Scheme == "http" || cu.Scheme == "https") {
			p.URL = cu.String()
		}
	}
	return p, nil
}

// canonicalOf is the canonical link htmlPage kept as the page's URL (it
// uses rel when there is none).
func canonicalOf(p Page, rel string) string {
	if p.URL == rel {
		return ""
	}
	return p.URL
}

// CurrentGeneration names the generation a knowledge base directory's
// manifest points to ("gen-000007"). It changes with every Ingest, so a
// server can tell that there is something new to Open.
func CurrentGeneration(dir string) (string, error) {
	m, err := readManifest(dir)
	if err != nil {
		return "", err
	}
	return m.Generation, nil
}
