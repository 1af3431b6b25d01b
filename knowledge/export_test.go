package knowledge

import (
	"fmt"
	"math/rand"
	"strings"
)

// Internals the external tests (package knowledge_test) use.

// ChunkCount is the number of chunks a page is indexed as.
func ChunkCount(p *Page) int { return len(chunkPage(0, p)) }

// NumChunks is the number of chunks in the knowledge base.
func (kb *KB) NumChunks() int { return len(kb.chunks) }

// SyntheticPages makes pages of German service vocabulary, about four
// chunks each, for benchmarks without the shared data.
func SyntheticPages(target int) []Page {
	r := rand.New(rand.NewSource(1))
	var words []string
	for _, p := range fixturePages() {
		for _, w := range splitWords(p.Title + " " + p.Sections[0].Text) {
			words = append(words, w.lower)
		}
	}
	words = append(words, tables().compoundBase...)
	sentence := func() string {
		n := 8 + r.Intn(10)
		ws := make([]string, n)
		for i := range ws {
			ws[i] = words[r.Intn(len(words))]
		}
		return strings.Join(ws, " ") + "."
	}
	text := func(sentences int) string {
		s := make([]string, sentences)
		for i := range s {
			s[i] = sentence()
		}
		return strings.Join(s, " ")
	}
	var pages []Page
	for i := 0; len(pages)*4 < target; i++ {
		pages = append(pages, Page{
			ID: fmt.Sprintf("p%d", i), Title: words[r.Intn(len(words))] + " " + words[r.Intn(len(words))], Language: "de",
			Sections: []Section{
				{Kind: SectionDescription, Text: text(6)},
				{Kind: SectionPrerequisites, Heading: "Voraussetzungen", Text: text(4)},
				{Kind: SectionDocuments, Heading: "Unterlagen", Text: text(4)},
				{Kind: SectionFees, Heading: "Gebühren", Text: text(2)},
			},
		})
	}
	return pages
}
