package importer

import (
	"strings"
	"testing"
)

func TestPageFromHTML(t *testing.T) {
	html := `<!doctype html><html lang="en"><head><title>Dog tax | City</title>
<link rel="canonical" href="/en/services/dog-tax"></head>
<body><nav>Home · Services</nav><main><h1>Dog tax</h1><p>Every dog in the city is taxed.</p>
<h2>Costs</h2><p>The first dog costs 120 euros a year.</p></main><footer>Imprint</footer></body></html>`
	p, err := PageFromHTML([]byte(html), "https://www.city.example/en/services/dog-tax.html?session=1", Options{IDPrefix: "city-"})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := URLPageID("https://www.city.example/en/services/dog-tax.html?x=1", Options{IDPrefix: "city-"}); err != nil || id != p.ID {
		t.Errorf("URLPageID = %q, %v; the page's id is %q", id, err, p.ID)
	}
	if p.ID != "city-en-services-dog-tax" || p.Title != "Dog tax" || p.Language != "en" || p.URL != "https://www.city.example/en/services/dog-tax" {
		t.Errorf("page = %+v", p)
	}
	text := ""
	for _, s := range p.Sections {
		text += s.Heading + ": " + s.Text + "\n"
	}
	if !strings.Contains(text, "120 euros") || strings.Contains(text, "Imprint") || strings.Contains(text, "Home") {
		t.Errorf("sections = %q", text)
	}
	// Without a canonical link the fetched URL is the page's; the root is "index".
	p, err = PageFromHTML([]byte(`<html><body><h1>Willkommen</h1><p>Das Rathaus ist geöffnet.</p></body></html>`), "https://www.city.example/", Options{})
	if err != nil || p.ID != "index" || p.URL != "https://www.city.example/" || p.Language != "de" {
		t.Errorf("root page = %+v, %v", p, err)
	}
	for _, tt := range []struct{ url, body, want string }{
		{"ftp://x.example/a", "<h1>x</h1><p>y</p>", "not an http(s) URL"},
		{"https://x.example/a", "<p>no title here</p>", "no title"},
		{"https://x.example/a", "\x00\x01\x02binary", "not a text file"},
	} {
		if _, err := PageFromHTML([]byte(tt.body), tt.url, Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("PageFromHTML(%q, %q) = %v, want %q", tt.body, tt.url, err, tt.want)
		}
	}
}
