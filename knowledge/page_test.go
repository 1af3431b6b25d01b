package knowledge

import "testing"

func TestSectionURL(t *testing.T) {
	page := func(url string) Page {
		return Page{ID: "p", Title: "Sperrmüll", URL: url, Sections: []Section{
			{Kind: SectionDescription, Text: "Die Stadt holt Sperrmüll ab."},
			{Kind: SectionFees, Heading: "Gebühren", Text: "30 Euro.", Anchor: "kosten"},
			{Kind: SectionProcedure, Heading: "Ablauf", Text: "Online.", Anchor: "schritt 2/ä"},
		}}
	}
	tests := []struct {
		name, url string
		section   int
		want      string
	}{
		{"section without anchor", "https://city.example/sperrmuell", 0, "https://city.example/sperrmuell"},
		{"anchor", "https://city.example/sperrmuell", 1, "https://city.example/sperrmuell#kosten"},
		{"query kept", "https://city.example/s?id=4", 1, "https://city.example/s?id=4#kosten"},
		{"the page's own fragment replaced", "https://city.example/s#top", 1, "https://city.example/s#kosten"},
		{"fragment escaped", "https://city.example/s", 2, "https://city.example/s#schritt%202/%C3%A4"},
		{"no URL", "", 1, ""},
		{"section out of range", "https://city.example/s", 7, "https://city.example/s"},
		{"relative path of an imported file", "html/sperrmuell.html", 1, "html/sperrmuell.html#kosten"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := page(tt.url)
			if got := p.SectionURL(tt.section); got != tt.want {
				t.Errorf("SectionURL(%d) = %q, want %q", tt.section, got, tt.want)
			}
		})
	}
}
