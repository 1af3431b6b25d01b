package importer

import (
	"reflect"
	"testing"
)

// sectionAnchors lists "heading#anchor" for every section.
func sectionAnchors(heads []string, anchors []string) []string {
	out := make([]string, len(heads))
	for i := range heads {
		out[i] = heads[i] + "#" + anchors[i]
	}
	return out
}

func TestSectionAnchorsHTML(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"heading id", `<h2 id="kosten">Gebühren</h2><p>30 Euro.</p><h2>Ablauf</h2><p>Online.</p>`,
			[]string{"#", "Gebühren#kosten", "Ablauf#"}},
		{"anchor inside the heading", `<h2><a id="unterlagen"></a>Unterlagen</h2><p>Ausweis.</p><h3><a name="frist">Frist</a></h3><p>Zwei Wochen.</p>`,
			[]string{"#", "Unterlagen#unterlagen", "Frist#frist"}},
		{"empty anchor before the heading", `<a id="fees"></a><h2>Gebühren</h2><p>30 Euro.</p><a href="/x">Link</a><h2>Ablauf</h2><p>Online.</p>`,
			[]string{"#", "Gebühren#fees", "Ablauf#"}},
		{"section that the heading opens", `<section id="sec-3"><h2>Gebühren</h2><p>30 Euro.</p></section><section id="late"><p>Vorweg.</p><h2>Ablauf</h2><p>Online.</p></section>`,
			[]string{"#", "Gebühren#sec-3", "Ablauf#"}},
		{"a container's id is not the section's", `<div id="content"><h2>Gebühren</h2><p>30 Euro.</p></div>`,
			[]string{"#", "Gebühren#"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `<html lang="de"><body><main><h1>Sperrmüll</h1><p>Die Stadt holt Sperrmüll ab.</p>` + tt.body + `</main></body></html>`
			p, err := PageFromHTML([]byte(doc), "https://www.city.example/sperrmuell", Options{})
			if err != nil {
				t.Fatal(err)
			}
			var heads, anchors []string
			for _, s := range p.Sections {
				heads, anchors = append(heads, s.Heading), append(anchors, s.Anchor)
			}
			if got := sectionAnchors(heads, anchors); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sections %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSectionAnchorsMarkdown(t *testing.T) {
	md := "Einleitung.\n\n## Gebühren {#kosten}\n30 Euro.\n\n## Ablauf {#ablauf .wichtig}\nOnline.\n\n" +
		"## Kontakt {.klein}\nRathaus.\n\n## Mengen {2 bis 5}\nBis 5 m³.\n\nFristen {#frist}\n---\nZwei Wochen.\n"
	_, secs := markdownDocument(md, 2, "Sperrmüll")
	var heads, anchors []string
	for _, s := range secs {
		heads, anchors = append(heads, s.Heading), append(anchors, s.Anchor)
	}
	want := []string{"#", "Gebühren#kosten", "Ablauf#ablauf", "Kontakt#", "Mengen {2 bis 5}#", "Fristen#frist"}
	if got := sectionAnchors(heads, anchors); !reflect.DeepEqual(got, want) {
		t.Errorf("sections %q, want %q", got, want)
	}
}
