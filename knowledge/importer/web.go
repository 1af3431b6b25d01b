package importer

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/civibot/civibot/knowledge"
)

// PageFromHTML reads one web page fetched from pageURL the way the HTML
// importer reads a file (language from <html lang>, title from <h1> or
// <title>, the text of <main> without navigation and scripts, <h2>/<h3>
// sections). The page id comes from the URL's path
// ("https://www.city.example/buergerservice/personalausweis.html" →
// "buergerservice-personalausweis"; the site's root is "index"), with
// opts.IDPrefix; the page's URL is its <link rel="canonical"> (resolved
// against pageURL) or pageURL itself.
func PageFromHTML(data []byte, pageURL string, opts Options) (knowledge.Page, error) {
	u, err := webURL(pageURL)
	if err != nil {
		return knowledge.Page{}, err
	}
	if msg := notText(data); msg != "" {
		return knowledge.Page{}, errors.New(msg)
	}
	im, err := newImporter(opts)
	if err != nil {
		return knowledge.Page{}, err
	}
	rel := urlRel(u)
	p, err := im.htmlPage(data, rel)
	if err != nil {
		return knowledge.Page{}, err
	}
	p.ID = opts.IDPrefix + p.ID
	im.boiler.strip(&p)
	if len(p.Sections) == 0 {
		return knowledge.Page{}, errors.New("the page has only boilerplate text (see --boilerplate)")
	}
	canonical := canonicalOf(p, rel)
	p.URL = u.String()
	if c := canonical; c != "" {
		if cu, err := u.Parse(c); err == nil && (cu.Scheme == "http" || cu.Scheme == "https") {
			p.URL = cu.String()
		}
	}
	return p, nil
}

// URLPageID is the id PageFromHTML gives the page fetched from pageURL
// (so that a page that could not be fetched this time can be found in the
// previous ingest).
func URLPageID(pageURL string, opts Options) (string, error) {
	u, err := webURL(pageURL)
	if err != nil {
		return "", err
	}
	return opts.IDPrefix + idFromPath(urlRel(u)), nil
}

func webURL(pageURL string) (*url.URL, error) {
	u, err := url.Parse(pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("importer: %q is not an http(s) URL", pageURL)
	}
	return u, nil
}

// urlRel is the path a page id is derived from.
func urlRel(u *url.URL) string {
	rel := strings.Trim(u.Path, "/")
	if rel == "" {
		rel = "index"
	}
	return rel
}

// canonicalOf is the canonical link htmlPage kept as the page's URL (it
// uses rel when there is none).
func canonicalOf(p knowledge.Page, rel string) string {
	if p.URL == rel {
		return ""
	}
	return p.URL
}
